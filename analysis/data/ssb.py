"""Register data for a region from Statistics Norway (SSB), through PxWebApi v2 with ``pxwebpy``.

``fetch_region`` asks two tables for every number a region's municipalities have had
(``data/correspondence/municipality_numbers.csv``): employment by workplace municipality and
SN2007 division, and population. It maps each municipality number back to the registry's
number (marking rows across a merger as another area) and each SN2007 division to
Eurostat's high-tech aggregation (``data/correspondence/nace2_hightech.csv``), and writes
``data/external/<region>/<table>.csv`` with a JSON sidecar (table id, query, URL, retrieval
time, vintage). Everything is fetched and checked before anything is written; each file is
written to a temporary name and renamed into place.

The table ids are SSB's public ids; the variables are read from the table's own metadata,
so a table whose variables have changed fails with a message rather than a wrong query.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from analysis import config
from analysis.data.correspondence import MUNICIPALITY_FILE, NACE_FILE, chain, load_table, municipality_table_path, nace_classes
from analysis.errors import SSBError
from analysis.files import atomic_write_all

# Sysselsatte per 4. kvartal, etter arbeidsstedskommune og næring (SN2007). Table ids and
# variables change at SSB: fetch_table checks the table's variables before asking, and
# `fetch-ssb --employment-table` chooses another table.
EMPLOYMENT_TABLE = "07984"
# Befolkning, etter region, kjønn, alder, statistikkvariabel og år (1 January)
POPULATION_TABLE = "07459"
VINTAGE = "SN2007 (NACE Rev. 2)"
CONNECT_TIMEOUT = 5.0  # seconds: without network the command fails in seconds
DEADLINE = 120.0  # seconds for all requests of one fetch
URL_ENV = "ANALYSIS_SSB_URL"
# The whole country in SSB's regional tables (the StatBank's "Hele landet"); fetched for the location
# quotient against all industries. A table without this code is refused at fetch time.
NATIONAL = "norway"
NATIONAL_CODE = "0"


def base_url() -> str:
    """PxWebApi v2 base URL: ``$ANALYSIS_SSB_URL``, else pxwebpy's built-in SSB URL."""
    from pxweb import get_known_apis

    return os.environ.get(URL_ENV) or get_known_apis()["ssb"]


def _probe(url: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Fail fast and clearly when the API cannot be reached (pxwebpy's requests have no timeout)."""
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SSBError(f"not an http(s) URL: {url!r} (set {URL_ENV} to the PxWebApi v2 base URL)")
    from requests.utils import get_environ_proxies

    proxy = get_environ_proxies(url).get(parts.scheme)
    target = urlparse(proxy) if proxy else parts  # behind a proxy, the proxy is what must answer
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        socket.create_connection((target.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise SSBError(f"cannot reach Statistics Norway's API at {url} ({exc.strerror or exc}); "
                       f"check the network connection or set {URL_ENV}") from None


@dataclass
class Fetched:
    table_id: str
    label: str
    query: dict
    url: str
    rows: list[dict]  # one per data cell, keyed by variable code
    roles: dict[str, str | None]  # region / time / nace -> variable code


def _role(variables: dict, *, codes: tuple[str, ...] = (), label_words: tuple[str, ...] = ()) -> str | None:
    for code, var in variables.items():
        if code in codes or any(code.lower().startswith(c.lower()) for c in codes):
            return code
    for code, var in variables.items():
        if any(w in str(var.get("label", "")).lower() for w in label_words):
            return code
    return None


def _selection(table_id: str, variables: dict, numbers: list[str], years: tuple[int, int],
               industry: bool) -> tuple[dict[str, list[str]], dict[str, str | None]]:
    """The value codes to ask for, from the table's own variables (PxWebApi v2 ``selection``)."""
    region = _role(variables, codes=("Region",), label_words=("region", "kommune"))
    time = _role(variables, codes=("Tid",), label_words=("år", "year"))
    contents = _role(variables, codes=("ContentsCode",), label_words=("statistikkvariabel", "contents"))
    nace = _role(variables, codes=("NACE",), label_words=("næring", "industry")) if industry else None
    missing = [what for what, code in (("region", region), ("year", time), ("contents", contents)) if code is None]
    if industry and nace is None:
        missing.append("industry (SN2007)")
    if missing:
        raise SSBError(f"table {table_id} has no {', '.join(missing)} variable (variables: {', '.join(variables)}); "
                       "has the table changed?")

    def codes(var: str) -> list[str]:
        return list(variables[var].get("category", {}).get("label", {}))

    selection: dict[str, list[str]] = {}
    selection[region] = [c for c in codes(region) if c in numbers]
    if not selection[region]:
        if numbers == [NATIONAL_CODE]:
            raise SSBError(f"table {table_id} has no whole-country region (code {NATIONAL_CODE}); the location quotient "
                           "needs a table that gives Norway")
        raise SSBError(f"table {table_id} has none of the municipality numbers {', '.join(numbers)}")
    have = [c for c in codes(time) if c.isdigit()]
    selection[time] = [c for c in have if years[0] <= int(c) <= years[1]]
    if not selection[time]:
        span = f"{min(have)}–{max(have)}" if have else "none"
        raise SSBError(f"table {table_id} has no year in {years[0]}–{years[1]} (years in the table: {span})")
    selection[contents] = codes(contents)[:1]
    if nace:
        selection[nace] = [c for c in codes(nace) if re.fullmatch(r"[0-9]{2}", c)]
        if not selection[nace]:
            raise SSBError(f"table {table_id} has no two-digit SN2007 divisions in {nace}; "
                           "the technology classes need divisions (e.g. 21, 26, 62)")
    for var, meta in variables.items():
        if var in selection:
            continue
        if not meta.get("elimination") and len(codes(var)) != 1:
            raise SSBError(f"table {table_id}: variable {var} cannot be left out and has {len(codes(var))} values")
        if not meta.get("elimination"):
            selection[var] = codes(var)
    return selection, {"region": region, "time": time, "nace": nace}


def fetch_table(api, url: str, table_id: str, numbers: list[str], years: tuple[int, int], industry: bool) -> Fetched:
    """Ask one table for the region's municipality numbers and years; rows keyed by variable code."""
    variables = api.get_table_variables(table_id)
    metadata = api.get_table_metadata(table_id)
    selection, roles = _selection(table_id, variables, numbers, years, industry)
    rows = api.get_table_data(table_id, value_codes=selection, show="code")
    code_of = {var.get("label", code): code for code, var in variables.items()}
    keyed = [{code_of.get(k, k): v for k, v in row.items()} for row in rows]
    if not keyed or all(r.get("value") is None for r in keyed):
        raise SSBError(f"table {table_id} returned no values for municipalities {', '.join(selection[roles['region']])} "
                       f"and years {years[0]}–{years[1]}")
    query = {"selection": [{"variableCode": k, "valueCodes": v} for k, v in selection.items()]}
    data_url = f"{url.rstrip('/')}/tables/{table_id}/data?lang={api.language}&outputFormat=json-stat2"
    return Fetched(table_id, str(metadata.get("label", "")), query, data_url, keyed, roles)


def _tidy(fetched: Fetched, region_id: str, region_numbers: list[str], table, classes: dict | None):
    """One row per municipality number, (division,) and year, with the registry's number it maps to.

    ``classes``: SN2007 division -> technology class for the employment table, None for population.
    """
    import pandas as pd  # here, not at the top: the command line imports this module for its table ids

    owner: dict[str, tuple[str, bool]] = {NATIONAL_CODE: (NATIONAL_CODE, True)}  # the whole country is one area
    for r in region_numbers:
        if r == NATIONAL_CODE:
            continue
        for n, same in chain(r, table).items():
            owner.setdefault(n, (r, same))
    industry = classes is not None
    region_var, time_var, nace_var = (fetched.roles[k] for k in ("region", "time", "nace"))
    out = []
    for row in fetched.rows:
        if row["value"] is None:  # a number not valid that year, or a suppressed cell
            continue
        number = row[region_var]
        registry_number, same = owner[number]
        rec = {"region_id": region_id, "year": int(row[time_var]), "municipality_number": number,
               "registry_number": registry_number, "same_area": same}
        if industry:
            tech = classes.get(row[nace_var])
            rec.update({"nace2": row[nace_var], "tech_class": tech.class_id if tech else "not-classified",
                        "technology": bool(tech and tech.technology)})
        rec["employed" if industry else "population"] = row["value"]
        out.append(rec)
    frame = pd.DataFrame(out)
    value = "employed" if industry else "population"
    frame[value] = frame[value].astype("Int64")
    sort = ["year", "municipality_number"] + (["nace2"] if industry else [])
    return frame.sort_values(sort).reset_index(drop=True)


def _sidecar(fetched: Fetched, region_id: str, retrieved: str, kind: str, frame) -> dict:
    import pxweb

    return {
        "region_id": region_id,
        "dataset": kind,
        "table_id": fetched.table_id,
        "table_label": fetched.label,
        "publisher": "Statistics Norway (SSB), PxWebApi v2",
        "url": fetched.url,
        "query": fetched.query,
        "retrieved_utc": retrieved,
        "vintage": VINTAGE if kind == "employment" else "municipality numbers of each year (KLASS 131)",
        "municipality_correspondence": "data/correspondence/municipality_numbers.csv",
        "industry_correspondence": "data/correspondence/nace2_hightech.csv (Eurostat high-tech aggregation, NACE Rev. 2)"
        if kind == "employment" else None,
        "rows": len(frame),
        "years": sorted(int(y) for y in frame["year"].unique()),
        "client": f"pxwebpy {getattr(pxweb, '__version__', '') or _version('pxwebpy')}",
        "note": ("Register data in SN2007; not comparable with the 2005 report's SN2002 groups g1-g7."
                 if kind == "employment" else "Population on 1 January."),
    }


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def region_numbers(region_id: str, data_dir: Path | None = None) -> list[str]:
    """The registry's municipality numbers of ``region_id`` (a clear error when it has none);
    ``norway`` is the whole country (region code 0)."""
    if region_id == NATIONAL:
        return [NATIONAL_CODE]
    registry = (Path(data_dir) if data_dir is not None else config.data_dir()) / "regions.csv"
    with open(registry, encoding="utf-8", newline="") as fh:
        rows = {r["region_id"]: r for r in csv.DictReader(fh)}
    if region_id not in rows:
        raise SSBError(f"unknown region {region_id!r}; add it with `python -m analysis new-region` first")
    numbers = [n for n in rows[region_id]["municipality_numbers"].split(";") if n]
    if not numbers:
        raise SSBError(f"region {region_id!r} has no municipality numbers in {registry.name}; "
                       "register data are fetched by municipality")
    return numbers


def fetch_region(region_id: str, years: tuple[int, int] = (2008, 2100), data_dir: Path | None = None,
                 url: str | None = None, deadline: float = DEADLINE,
                 tables: tuple[str, str] = (EMPLOYMENT_TABLE, POPULATION_TABLE)) -> list[Path]:
    """Fetch employment and population of ``region_id`` and write them to ``data/external/<region>/``.

    ``tables``: the (employment, population) table ids; another employment table must have
    a region, a year and a two-digit SN2007 variable (checked against its metadata).
    """
    data_dir = Path(data_dir) if data_dir is not None else config.data_dir()
    numbers = region_numbers(region_id, data_dir)
    table = load_table(municipality_table_path(data_dir))
    unknown = [n for n in numbers if n not in table and n != NATIONAL_CODE]
    if unknown:
        raise SSBError(f"municipality {unknown[0]} of {region_id} is not in data/correspondence/"
                       f"{MUNICIPALITY_FILE}; add it with its KLASS 131 citation")
    wanted = [NATIONAL_CODE] if numbers == [NATIONAL_CODE] else sorted({n for r in numbers for n in chain(r, table)})
    url = url or base_url()
    _probe(url)
    retrieved = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    def work() -> list[tuple[str, Fetched]]:
        from pxweb import PxApi

        api = PxApi(url, language="no", disable_cache=True, timeout=int(CONNECT_TIMEOUT), max_workers=1)
        fetched = [("employment", fetch_table(api, url, tables[0], wanted, years, industry=True))]
        if wanted != [NATIONAL_CODE]:  # the whole country is fetched for the location quotient only
            fetched.append(("population", fetch_table(api, url, tables[1], wanted, years, industry=False)))
        return fetched

    results = _within(work, deadline, url)

    classes = nace_classes(data_dir / "correspondence" / NACE_FILE)
    files: dict[Path, str] = {}
    out_dir = data_dir / "external" / region_id
    for kind, fetched in results:
        try:
            frame = _tidy(fetched, region_id, numbers, table, classes if kind == "employment" else None)
        except (KeyError, StopIteration, ValueError, TypeError) as exc:
            raise SSBError(f"table {fetched.table_id}: unexpected answer ({_one_line(exc)}); nothing was written") from None
        files[out_dir / f"{fetched.table_id}.csv"] = frame.to_csv(index=False, lineterminator="\n")
        files[out_dir / f"{fetched.table_id}.json"] = json.dumps(
            _sidecar(fetched, region_id, retrieved, kind, frame), indent=2, ensure_ascii=False) + "\n"
    atomic_write_all(files)
    return sorted(files)


def _within(work, deadline: float, url: str):
    """Run ``work`` in a daemon thread (a hung connection must not keep the process alive) with a deadline."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which reports it in one line
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="fetch-ssb", daemon=True)
    thread.start()
    thread.join(deadline)
    if thread.is_alive():
        raise SSBError(f"Statistics Norway's API at {url} did not answer within {deadline:.0f} s; nothing was written")
    exc = outcome.get("error")
    if isinstance(exc, SSBError):
        raise exc
    if exc is not None:  # requests' HTTP/connection errors, malformed or truncated JSON-stat2, ...
        raise SSBError(f"fetching from {url} failed: {_one_line(exc)}; nothing was written") from None
    return outcome["value"]


def _one_line(exc: BaseException) -> str:
    """pxwebpy's multi-line HTTP errors and requests' nested errors, as one line that says what happened."""
    lines = str(exc).splitlines() or [""]
    text = lines[0].strip() or type(exc).__name__
    title = next((ln[7:] for ln in lines if ln.startswith("Title: ") and ln != "Title: None"), None)
    if title:
        text += f" ({title})"
    name = type(exc).__name__
    if name in ("ChunkedEncodingError", "IncompleteRead", "ProtocolError"):
        return f"the answer was cut off ({text})"
    if name == "JSONDecodeError":
        return f"the answer is not valid JSON-stat2 ({text})"
    return text if name in text else f"{name}: {text}"


def default_years() -> tuple[int, int]:
    return 2008, dt.date.today().year


__all__ = ["EMPLOYMENT_TABLE", "POPULATION_TABLE", "SSBError", "base_url", "fetch_region"]

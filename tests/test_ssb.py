"""fetch-ssb against a local PxWebApi v2 server (no internet): answers built in the documented
JSON-stat2 format from labelled test fixtures -- never real Statistics Norway data."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

from analysis import config
from analysis.config import PROJ_ROOT
from analysis.data import ssb

FIXTURE = "TEST FIXTURE - not Statistics Norway data"
# variable code -> (label, {code: label}, elimination); the Region codes are Halden's numbers over the reforms
TABLES = {
    ssb.EMPLOYMENT_TABLE: {
        "Region": ("region", {"0": "Hele landet", "0101": "Halden (-2019)", "3001": "Halden (2020-2023)", "3101": "Halden",
                              "0301": "Oslo"}, False),
        "NACE2007": ("næring (SN2007)", {"00-99": "I alt", "10": "Nærings- og nytelsesmidler", "21": "Farmasøytiske",
                                         "26": "Datamaskiner og elektronikk", "62": "IT-tjenester"}, False),
        "Kjonn": ("kjønn", {"0": "Begge kjønn", "1": "Menn", "2": "Kvinner"}, True),
        "ContentsCode": ("statistikkvariabel", {"Sysselsatte": "Sysselsatte"}, False),
        "Tid": ("år", {"2019": "2019", "2020": "2020", "2024": "2024"}, False),
    },
    ssb.POPULATION_TABLE: {
        "Region": ("region", {"0101": "Halden (-2019)", "3001": "Halden (2020-2023)", "3101": "Halden"}, False),
        "Kjonn": ("kjønn", {"1": "Menn", "2": "Kvinner"}, True),
        "Alder": ("alder", {"000": "0 år", "001": "1 år"}, True),
        "ContentsCode": ("statistikkvariabel", {"Personer1": "Personer"}, False),
        "Tid": ("år", {"2019": "2019", "2020": "2020", "2024": "2024"}, False),
    },
}
VALID = {"0": range(3000), "0101": range(2020), "3001": range(2020, 2024), "3101": range(2024, 3000), "0301": range(3000)}


def fixture_value(table: str, codes: dict[str, str]) -> int | None:
    """The fixture's cell value: an arithmetic label, null where the number is not valid that year (as SSB does)."""
    year, region = int(codes["Tid"]), codes["Region"]
    if year not in VALID[region]:
        return None
    if table == ssb.POPULATION_TABLE:
        return 1000 + year - 2000
    if codes["NACE2007"] == "00-99":
        return 99999  # the total, which the fetch must not ask for
    if region == "0":
        return int(codes["NACE2007"]) * 1000 + (year - 2000)  # the whole country
    return int(codes["NACE2007"]) * 10 + (year - 2000)


def _dimension(table: str, codes: list[str] | None = None) -> dict:
    out = {}
    for var, (label, cats, elim) in TABLES[table].items():
        chosen = [c for c in cats if codes is None or c in codes.get(var, cats)]
        out[var] = {"label": label, "category": {"index": {c: i for i, c in enumerate(chosen)},
                                                 "label": {c: cats[c] for c in chosen}},
                    "extension": {"elimination": elim, "show": "value"}}
    return out


def jsonstat(table: str, selection: dict[str, list[str]] | None, empty: bool = False) -> dict:
    """A JSON-stat2 dataset (PxWebApi v2 ``outputFormat=json-stat2``) for the selected codes."""
    dims = {v: d for v, d in _dimension(table, selection).items() if selection is None or v in selection}
    if empty:
        dims["Tid"]["category"] = {"index": {}, "label": {}}
    ids = list(dims)
    sizes = [len(d["category"]["label"]) for d in dims.values()]
    values = []
    for combo in itertools.product(*(list(d["category"]["label"]) for d in dims.values())):
        values.append(fixture_value(table, dict(zip(ids, combo))))
    return {"version": "2.0", "class": "dataset", "label": f"{table}: {FIXTURE}", "source": FIXTURE,
            "updated": "2000-01-01T00:00:00Z", "id": ids, "size": sizes, "dimension": dims, "value": values,
            "role": {"time": ["Tid"], "metric": ["ContentsCode"]}}


class Handler(BaseHTTPRequestHandler):
    mode = "ok"
    calls: ClassVar[list[str]] = []

    def log_message(self, *args):  # quiet
        pass

    def _json(self, status: int, body, headers: dict | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        path = self.path.split("?")[0]
        self.calls.append(f"GET {path}")
        if path.endswith("/config"):
            return self._json(200, {"apiVersion": "2.0.0", "appVersion": FIXTURE, "defaultLanguage": "no",
                                    "languages": [{"id": "no", "label": "Norsk"}], "maxDataCells": 100000,
                                    "maxCallsPerTimeWindow": 30, "timeWindow": 10})
        if path.endswith("/tables"):
            return self._json(200, {"language": "no", "tables": [], "page": {"pageNumber": 1, "pageSize": 20,
                                                                          "totalElements": 2, "totalPages": 1}})
        table = path.split("/")[-2]
        if path.endswith("/metadata") and table in TABLES:
            meta = jsonstat(table, None)
            meta.pop("value")
            return self._json(200, meta)
        return self._json(404, {"type": "about:blank", "title": "Not found", "status": 404})

    def do_POST(self):
        path = self.path.split("?")[0]
        self.calls.append(f"POST {path}")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        table = path.split("/")[-2]
        selection = {s["variableCode"]: s["valueCodes"] for s in body.get("selection", [])}
        mode = type(self).mode
        if mode == "404":
            return self._json(404, {"type": "about:blank", "title": "Table not found", "status": 404, "detail": FIXTURE})
        if mode == "500":
            return self._json(500, {"type": "about:blank", "title": "Internal error", "status": 500})
        if mode == "429" and sum(c.startswith("POST") for c in self.calls) == 1:
            return self._json(429, {"title": "Too many requests", "status": 429}, {"Retry-After": "0"})
        if mode == "malformed":
            raw = b'{"version": "2.0", "class": "dataset", "id": ["Region"'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            return None
        raw = json.dumps(jsonstat(table, selection, empty=mode == "empty")).encode()
        if mode == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        return self._json(200, json.loads(raw))


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Handler.mode, Handler.calls = "ok", []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v2"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    """The registry and the correspondence tables, copied: the real data/external is never touched."""
    dst = tmp_path / "data"
    dst.mkdir()
    shutil.copy2(config.data_dir() / "regions.csv", dst / "regions.csv")
    shutil.copytree(config.correspondence_dir(), dst / "correspondence")
    return dst


def _left_in(data_dir: Path) -> list[str]:
    ext = data_dir / "external"
    return sorted(str(p.relative_to(ext)) for p in ext.rglob("*")) if ext.exists() else []


def test_normal_answer_writes_csv_and_sidecar(server, data_dir):
    written = ssb.fetch_region("halden", (2019, 2024), data_dir=data_dir, url=server)
    names = sorted(p.name for p in written)
    assert names == ["07459.csv", "07459.json", "07984.csv", "07984.json"]
    emp = pd.read_csv(data_dir / "external" / "halden" / "07984.csv", dtype={"municipality_number": str,
                                                                             "registry_number": str, "nace2": str})
    # one row per valid (number, year, division); never the total 00-99, never another municipality (0301)
    assert set(emp["nace2"]) == {"10", "21", "26", "62"}
    assert set(zip(emp["year"], emp["municipality_number"])) == {(2019, "0101"), (2020, "3001"), (2024, "3101")}
    assert (emp["registry_number"] == "0101").all() and emp["same_area"].all()
    for row in emp.to_dict("records"):
        assert row["employed"] == int(row["nace2"]) * 10 + row["year"] - 2000
    tech = dict(zip(emp["nace2"], emp["tech_class"]))
    assert tech == {"10": "lt-manufacturing", "21": "ht-manufacturing", "26": "ht-manufacturing", "62": "ht-kis"}
    meta = json.loads((data_dir / "external" / "halden" / "07984.json").read_text())
    assert meta["table_id"] == "07984" and meta["vintage"] == "SN2007 (NACE Rev. 2)"
    assert meta["url"].startswith(server) and meta["retrieved_utc"].endswith("Z")
    sel = {s["variableCode"]: s["valueCodes"] for s in meta["query"]["selection"]}
    assert sel["Region"] == ["0101", "3001", "3101"] and sel["Tid"] == ["2019", "2020", "2024"]
    assert "Kjonn" not in sel  # eliminated: the total over sexes
    pop = pd.read_csv(data_dir / "external" / "halden" / "07459.csv", dtype={"municipality_number": str})
    assert dict(zip(pop["year"], pop["population"])) == {2019: 1019, 2020: 1020, 2024: 1024}
    assert not [n for n in _left_in(data_dir) if n.split("/")[-1].startswith(".")]


def test_rate_limited_answer_is_retried(server, data_dir):
    Handler.mode = "429"
    ssb.fetch_region("halden", (2019, 2024), data_dir=data_dir, url=server)
    posts = [c for c in Handler.calls if c.startswith("POST")]
    assert len(posts) == 3  # the 429, its retry, and the population table
    assert (data_dir / "external" / "halden" / "07984.csv").exists()


@pytest.mark.parametrize("mode,expect", [
    ("404", "404"),
    ("500", "500"),
    ("truncated", "fetching from"),
    ("malformed", "fetching from"),
    ("empty", "returned no values"),
])
def test_failures_are_clear_and_leave_nothing(server, data_dir, mode, expect):
    Handler.mode = mode
    with pytest.raises(ssb.SSBError) as err:
        ssb.fetch_region("halden", (2019, 2024), data_dir=data_dir, url=server)
    msg = str(err.value)
    assert expect in msg and "\n" not in msg, msg
    assert _left_in(data_dir) in ([], ["halden"]), _left_in(data_dir)


def test_failure_keeps_an_earlier_result(server, data_dir):
    ssb.fetch_region("halden", (2019, 2024), data_dir=data_dir, url=server)
    before = {p: p.read_bytes() for p in (data_dir / "external" / "halden").iterdir()}
    Handler.mode = "500"
    with pytest.raises(ssb.SSBError):
        ssb.fetch_region("halden", (2019, 2024), data_dir=data_dir, url=server)
    assert {p: p.read_bytes() for p in (data_dir / "external" / "halden").iterdir()} == before


def test_unknown_region_and_region_without_municipalities(data_dir, server):
    with pytest.raises(ssb.SSBError, match="unknown region 'atlantis'"):
        ssb.fetch_region("atlantis", data_dir=data_dir, url=server)
    with pytest.raises(ssb.SSBError, match="no municipality numbers"):
        ssb.fetch_region("rest-of-norway", data_dir=data_dir, url=server)


def test_the_whole_country_is_fetched_for_the_location_quotient(server, data_dir):
    written = ssb.fetch_region("norway", (2019, 2024), data_dir=data_dir, url=server)
    assert sorted(p.name for p in written) == ["07984.csv", "07984.json"]  # employment only
    emp = pd.read_csv(data_dir / "external" / "norway" / "07984.csv", dtype={"municipality_number": str, "nace2": str})
    assert set(emp["municipality_number"]) == {"0"} and emp["same_area"].all()
    assert dict(zip(zip(emp["year"], emp["nace2"]), emp["employed"]))[(2024, "62")] == 62 * 1000 + 24
    sel = {s["variableCode"]: s["valueCodes"] for s in
           json.loads((data_dir / "external" / "norway" / "07984.json").read_text())["query"]["selection"]}
    assert sel["Region"] == ["0"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_without_network_the_command_fails_fast_and_clearly(data_dir):
    env = {**os.environ, "ANALYSIS_SSB_URL": f"http://127.0.0.1:{_closed_port()}/api/v2"}
    proc = subprocess.run([sys.executable, "-m", "analysis", "fetch-ssb", "--region", "halden",
                           "--data-dir", str(data_dir)], cwd=PROJ_ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach Statistics Norway"), proc.stderr
    assert "ANALYSIS_SSB_URL" in lines[0]
    assert _left_in(data_dir) == []


def test_command_line_writes_through_the_local_server(server, data_dir, capsys):
    env = {**os.environ, "ANALYSIS_SSB_URL": server}
    proc = subprocess.run([sys.executable, "-m", "analysis", "fetch-ssb", "--region", "halden", "--from", "2019",
                           "--to", "2024", "--data-dir", str(data_dir)], cwd=PROJ_ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "07984.csv" in proc.stdout
    from analysis.cli import main

    assert main(["fetch-ssb", "--region", "halden", "--from", "2024", "--to", "2019", "--data-dir", str(data_dir)]) == 2
    assert "after --to" in capsys.readouterr().err

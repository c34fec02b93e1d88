"""Where does this number come from? Read the cited lines of a source document
and check that a value (or a verbatim term) is printed there.

Numbers are matched in the forms the sources print them: ``1 976``, ``1.976``,
``24.671``, ``-0,2``, ``−0,2`` and ``17,0``; numbers written as words are
matched through ``data/number_words.csv``; lines of ``of-2013-nedre-glomma``
in the garbled font are decoded with ``data/garbled_font_map.csv`` first.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.data.documents import FILES
from analysis.errors import SourceError

LINES_RE = re.compile(r"^[0-9]+(-[0-9]+)?(;[0-9]+(-[0-9]+)?)*$")
GARBLED_DOC = "of-2013-nedre-glomma"
# A region added with `python -m analysis new-region` has no source document: its registry row
# cites the lines of the municipality correspondence table that define its municipality numbers.
USER_REGISTRY = "user-registry"


def parse_lines(spec: str) -> list[tuple[int, int]]:
    """'2909-2935;3019' -> [(2909, 2935), (3019, 3019)]."""
    if not isinstance(spec, str) or not LINES_RE.match(spec):
        raise SourceError(f"malformed line range {spec!r} (expected e.g. '2909-2935' or '3019-3021;3053')")
    out = []
    for part in spec.split(";"):
        a, _, b = part.partition("-")
        lo, hi = int(a), int(b or a)
        if hi < lo:
            raise SourceError(f"line range {part!r} runs backwards")
        out.append((lo, hi))
    return out


def document_lines(doc: str, seeds_dir: Path | None = None) -> tuple[str, ...]:
    """The lines of document ``doc`` (of the correspondence table for a user-added region)."""
    if doc == USER_REGISTRY:
        path = config.correspondence_dir() / "municipality_numbers.csv"
        if not path.exists():
            raise SourceError(f"{doc}: the municipality correspondence table {path} is missing")
    else:
        if doc not in FILES:
            raise SourceError(f"unknown document {doc!r}; known: {', '.join(FILES)}")
        path = Path(seeds_dir if seeds_dir is not None else config.seeds_dir()) / FILES[doc]
        if not path.exists():
            raise SourceError(f"source document {doc} not found at {path}")
    return _lines(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _lines(path: Path, _mtime_ns: int) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8").splitlines())


def seeds_available(seeds_dir: Path | None = None) -> bool:
    folder = Path(seeds_dir if seeds_dir is not None else config.seeds_dir())
    return all((folder / f).exists() for f in FILES.values())


def garbled_map(path: Path | None = None) -> dict[str, str]:
    """Unambiguous part of the substitution (lower case, digits, punctuation).

    Upper-case glyphs land on ordinary ASCII letters and are left alone: they
    cannot be told from clean text without context, and no number depends on them.
    """
    return _garbled_map(Path(path) if path is not None else config.data_dir() / "garbled_font_map.csv")


@functools.lru_cache(maxsize=2)
def _garbled_map(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {r["garbled"]: r["decoded"] for r in csv.DictReader(fh) if r["class"] != "upper"}


def decode_garbled(text: str) -> str:
    table = garbled_map()
    return "".join(table.get(ch, ch) for ch in text)


def number_words(path: Path | None = None) -> dict[str, float]:
    return _number_words(Path(path) if path is not None else config.data_dir() / "number_words.csv")


@functools.lru_cache(maxsize=2)
def _number_words(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {r["word"].lower(): float(r["value"]) for r in csv.DictReader(fh)}


def cited_text(doc: str, spec: str, seeds_dir: Path | None = None) -> str:
    """The cited lines joined by spaces (decoded where the font is garbled)."""
    lines = document_lines(doc, seeds_dir)
    parts = []
    for lo, hi in parse_lines(spec):
        if lo < 1 or hi > len(lines):
            raise SourceError(f"{doc} has {len(lines)} lines; cited range {lo}-{hi} is outside it")
        parts.extend(lines[lo - 1 : hi])
    text = " ".join(parts)
    if doc == GARBLED_DOC:
        text = decode_garbled(text)
    return text


def _normalise(text: str) -> str:
    text = text.replace("\u2212", "-").replace("\u2013", "-").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text)


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def number_forms(value: float, decimals: int | None = None) -> set[str]:
    """Printed forms of ``value``: thousands separators ' ' or '.', decimal ',' or '.'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return set()
    mag = abs(float(value))
    decs = [decimals] if decimals is not None else sorted({0 if mag == int(mag) else len(repr(mag).split(".")[1]), 1, 2} - {None})
    forms: set[str] = set()
    for d in decs:
        if d is None or d < 0:
            continue
        s = f"{mag:.{d}f}"
        if float(s) != round(mag, d) or abs(float(s) - mag) > 10 ** -(d + 6) + 1e-9 * mag:
            continue
        ip, _, fp = s.partition(".")
        for tsep in ("", " ", "."):
            grouped = _group(ip, tsep) if tsep else ip
            if fp:
                for dsep in (",", "."):
                    if tsep == dsep:
                        continue
                    forms.add(grouped + dsep + fp)
            else:
                forms.add(grouped)
    return forms


def value_on_lines(value: float, text: str, decimals: int | None = None) -> bool:
    """True when ``value`` is printed in ``text`` (sign optional), as digits or a number word."""
    norm = _normalise(text)
    for form in number_forms(value, decimals):
        pat = r"(?<![0-9])(?<![0-9][.,])" + re.escape(form) + r"(?![0-9])(?![.,][0-9])"
        if re.search(pat, norm):
            return True
    v = float(value)
    if v == int(v) and 1000 <= v <= 2100:
        # a year inside a printed date: 02.05.2012, 15.2.2012
        if re.search(r"(?<![0-9])[0-9]{1,2}\.[0-9]{1,2}\." + str(int(v)) + r"(?![0-9])", norm):
            return True
    low = norm.lower()
    for word, v in number_words().items():
        if abs(v - abs(float(value))) < 1e-9 and re.search(r"(?<![a-zæøå])" + re.escape(word) + r"(?![a-zæøå])", low):
            return True
    return False


def _squash(text: str) -> list[str]:
    t = _normalise(text).lower()
    return [t, re.sub(r"-\s+", "-", t), re.sub(r"-\s+", "", t)]


def term_on_lines(term: str, text: str) -> bool:
    """True when ``term`` appears verbatim (case and line breaks aside) in ``text``."""
    needle = _normalise(term).lower().strip()
    return any(needle in hay for hay in _squash(text))


NUMBER_IN_STRING = re.compile(r"[-−]?\d{1,3}(?:[ .]\d{3})+(?:,\d+)?|[-−]?\d+(?:[.,]\d+)?")


def numbers_in(printed: str) -> list[float]:
    """Numbers inside a string as printed ('−0,2 %' -> [-0.2], '1 976' -> [1976])."""
    out = []
    for m in NUMBER_IN_STRING.finditer(printed or ""):
        tok = m.group(0).replace("−", "-")
        if re.fullmatch(r"-?\d{1,3}(?:[ .]\d{3})+(?:,\d+)?", tok):
            tok = tok.replace(" ", "").replace(".", "")
        out.append(float(tok.replace(",", ".")))
    return out


@dataclass(frozen=True)
class Check:
    dataset: str
    row: int
    column: str
    value: str
    doc: str
    lines: str
    ok: bool
    reason: str = ""


def check_frame(name: str, frame, fields: list[dict], seeds_dir: Path | None = None) -> list[Check]:
    """Check every cited number and verbatim term of ``frame`` against its cited lines."""
    if "lines" not in frame.columns:
        return []  # vocabularies without citation columns (number_words, garbled_font_map)
    cited = [f["name"] for f in fields if f.get("cited")]
    conditions = {f["name"]: f["cited_when"] for f in fields if f.get("cited_when")}
    verbatim = [f["name"] for f in fields if f.get("verbatim")]
    checks: list[Check] = []
    has_decimals = "decimals" in frame.columns
    for i, row in enumerate(frame.to_dict("records"), start=2):
        doc, spec = row.get("doc"), row.get("lines")
        try:
            text = cited_text(doc, spec, seeds_dir)
        except SourceError as exc:
            checks.append(Check(name, i, "lines", str(spec), str(doc), str(spec), False, str(exc)))
            continue
        if doc == USER_REGISTRY:
            # no printed values to check: the municipality numbers must be the ones on the cited lines
            for number in str(row.get("municipality_numbers") or "").split(";"):
                if number and number not in ("<NA>", "nan"):
                    ok = re.search(rf"(?:^| ){re.escape(number)},", text) is not None
                    checks.append(Check(name, i, "municipality_numbers", number, doc, spec, ok,
                                        "" if ok else f"{number} is not defined on lines {spec} of the correspondence table"))
            continue
        for col in cited:
            cond = conditions.get(col)
            if cond and any(str(row.get(k)) != str(v) for k, v in cond.items()):
                continue
            v = row.get(col)
            if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("<NA>", "nan"):
                continue
            dec = row.get("decimals") if has_decimals and col == "value" else None
            dec = None if dec is None or str(dec) in ("<NA>", "nan") else int(dec)
            ok = value_on_lines(float(v), text, dec)
            checks.append(Check(name, i, col, str(v), doc, spec, ok, "" if ok else f"{v} not printed on {doc} lines {spec}"))
        for col in verbatim:
            v = row.get(col)
            if v is None or str(v) in ("<NA>", "nan", ""):
                continue
            ok = term_on_lines(str(v), text)
            checks.append(Check(name, i, col, str(v), doc, spec, ok, "" if ok else f"{v!r} not found on {doc} lines {spec}"))
    return checks


def check_dataset(name: str, frame, fields: list[dict], seeds_dir: Path | None = None) -> list[Check]:
    """The source-line checks of one dataset: both sides of each contradiction for the errata,
    the cited values and verbatim terms for every other dataset."""
    if name == "errata":
        return check_errata(frame, seeds_dir)
    return check_frame(name, frame, fields, seeds_dir)


def check_errata(frame, seeds_dir: Path | None = None) -> list[Check]:
    """Both sides of every contradiction: printed numbers must be on their lines."""
    checks = []
    for i, row in enumerate(frame.to_dict("records"), start=2):
        doc = row.get("doc", "nibr-2005-11")
        for side in ("a", "b"):
            spec = row[f"lines_{side}"]
            try:
                text = cited_text(doc, spec, seeds_dir)
            except SourceError as exc:
                checks.append(Check("errata", i, f"lines_{side}", str(spec), doc, str(spec), False, str(exc)))
                continue
            if side == "b" and str(row.get("b_computed")).lower() == "true":
                continue
            for num in numbers_in(str(row[f"value_{side}"])):
                ok = value_on_lines(num, text)
                checks.append(Check("errata", i, f"value_{side}", str(num), doc, spec, ok,
                                    "" if ok else f"{num} not printed on {doc} lines {spec}"))
    return checks

"""The cited source data: schema, keys, registry, source lines, arithmetic, bad input."""

from __future__ import annotations

import csv
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from analysis import config
from analysis import data as D
from analysis.data.provenance import line_checks
from analysis.data.sources import parse_lines, seeds_available
from analysis.datacheck import data_report, replace_block, summary_markdown
from analysis.reproduce import REASONS, reproduce_all

# In CI the seeds are beside the clone: a missing ../shared/seeds is then a failure, not a skip.
NEEDS_SEEDS = pytest.mark.skipif(not seeds_available() and not os.environ.get("CI"),
                                 reason="../shared/seeds not present")


@pytest.fixture(scope="module")
def datasets() -> dict[str, pd.DataFrame]:
    return D.load_all()


def test_package_validates():
    assert D.validate_package() == []


def test_every_dataset_has_rows(datasets):
    empty = [name for name, frame in datasets.items() if frame.empty]
    assert empty == []


def test_primary_keys_unique(datasets):
    for name, frame in datasets.items():
        pk = D.resource_descriptor(name)["schema"].get("primaryKey", [])
        dup = frame[frame.duplicated(pk, keep=False)]
        assert dup.empty, f"{name}: duplicate keys\n{dup[pk]}"


def _regions_with(datasets, name, col, query=None):
    frame = datasets[name] if query is None else datasets[name].query(query)
    return set(frame[col].dropna())


def test_registry_flags_match_data(datasets):
    """has_<section> is true exactly when some dataset holds that section for the region."""
    reg = datasets["regions"]
    cc = datasets["case_content"]

    def sec(section: str) -> set:
        return set(cc.loc[cc["section"] == section, "region_id"])

    have = {
        "has_history": set(datasets["history_events"]["region_id"]),
        "has_production_system": sec("production-system") | set(datasets["largest_firms"]["region_id"]),
        "has_innovation_sources": sec("innovation-sources")
        | set(datasets["survey_rankings"].query("question == 'information-sources'")["region_id"]),
        "has_innovation_barriers": sec("innovation-barriers")
        | set(datasets["survey_rankings"].query("question == 'innovation-barriers'")["region_id"]),
    }
    for row in reg[reg["case"]].to_dict("records"):
        for flag, regions in have.items():
            assert bool(row[flag]) == (row["region_id"] in regions), f"{row['region_id']}: {flag}={row[flag]} but data says {row['region_id'] in regions}"


def test_every_case_region_has_documents(datasets):
    reg = datasets["regions"]
    for row in reg[reg["case"]].to_dict("records"):
        docs = set(row["documents"].split(";"))
        cited = set()
        for frame in datasets.values():
            if "region_id" in frame.columns and "doc" in frame.columns:
                cited |= set(frame.loc[frame["region_id"] == row["region_id"], "doc"])
        assert cited <= docs | {"nibr-2005-11"}, f"{row['region_id']} cites {cited - docs} not listed in its documents"


@NEEDS_SEEDS
def test_every_cited_value_is_on_its_lines(datasets):
    checks = line_checks(datasets)
    failed = [c for c in checks if not c.ok]
    per = Counter(c.dataset for c in checks)
    print(f"\nsource-line check: {len(checks) - len(failed)} of {len(checks)} cited values and terms pass")
    for name, n in sorted(per.items()):
        print(f"  {name}: {n - sum(1 for c in failed if c.dataset == name)}/{n}")
    assert not failed, "\n".join(f"{c.dataset} row {c.row} {c.column}: {c.reason}" for c in failed[:30])


def test_published_values_reproduce_or_are_explained(datasets):
    """Arithmetic inside the tables: every machine-computable printed derived number
    is recomputed from the levels; a disagreement must carry an errata id."""
    results = reproduce_all(datasets)
    by = Counter(r.status for r in results)
    print(f"\npublished values: {dict(by)}")
    bad = [r for r in results if r.status == "mismatch"]
    assert not bad, "\n".join(f"{r.pv_id}: printed {r.published}, reproduced {r.reproduced} ({r.detail})" for r in bad)
    assert by["match"] > 0
    errata = set(datasets["errata"]["errata_id"])
    unexplained = [r.pv_id for r in results if r.status == "source-inconsistent" and r.errata_id not in errata]
    assert unexplained == []


def test_what_cannot_be_computed_says_why_and_nothing_else_claims_a_reason(datasets):
    """Not-computable only where the sources lack an input, and then with the declared reason."""
    results = reproduce_all(datasets)
    silent = [f"{r.pv_id}: {r.detail}" for r in results if r.status == "not-computable" and not r.reason]
    assert silent == [], "not computable without an uncomputable_reason:\n" + "\n".join(silent)
    stale = [f"{r.pv_id} ({r.reason}): {r.status}" for r in results if r.status != "not-computable" and r.reason]
    assert stale == [], "computable, yet declared uncomputable:\n" + "\n".join(stale)


def test_the_reasons_the_schema_allows_are_the_ones_the_code_names():
    declared = next(f for f in D.fields("published_values") if f["name"] == "uncomputable_reason")
    assert declared["constraints"]["enum"] == list(REASONS)


@NEEDS_SEEDS
def test_the_readme_data_summary_is_generated_from_the_data(datasets):
    text = (config.PROJ_ROOT / "README.md").read_text(encoding="utf-8")
    assert replace_block(text, "data-summary", summary_markdown(data_report(datasets))) == text, \
        "README.md's data summary is stale: run `python -m analysis check-data --write-readme`"


TABLE_OR_FIGURE = re.compile(r"^(Tabell|Figur) ")
WIDEST_PROSE_CITATION = 15  # lines: a paragraph or two of the source, what a reader can check by eye
WIDE_REASON = "Wide citation: "


def _span(lines: str) -> int:
    return sum(hi - lo + 1 for lo, hi in parse_lines(str(lines)))


def test_citations_of_prose_are_narrow_or_say_why(datasets):
    """A table or figure is cited whole (its cells are split over lines); anything else cites the lines that
    hold the value, at most 15 in all, unless its notes or description start with 'Wide citation: ' and say why.
    A source that names a table or figure among its parts ('§4.3; Tabell 4.3') counts as a table."""
    wide = []
    for name, frame in datasets.items():
        if not {"source", "lines"} <= set(frame.columns):
            continue
        why = [c for c in ("notes", "description") if c in frame.columns]
        for i, row in enumerate(frame.to_dict("records"), start=2):
            if any(TABLE_OR_FIGURE.match(part.strip()) for part in str(row["source"]).split(";")):
                continue
            if _span(row["lines"]) > WIDEST_PROSE_CITATION and not any(
                    str(row.get(c) or "").startswith(WIDE_REASON) for c in why):
                wide.append(f"{name} row {i} ({row['source']}): {row['lines']}, {_span(row['lines'])} lines")
    assert wide == [], f"{len(wide)} prose citations wider than {WIDEST_PROSE_CITATION} lines:\n" + "\n".join(wide[:40])


def test_the_narrow_citation_rule_counts_lines_across_ranges():
    assert _span("2909-2935") == 27 and _span("3019-3021;3053") == 4
    assert TABLE_OR_FIGURE.match("Tabell v.3") and TABLE_OR_FIGURE.match("Figur 7.2")
    assert not TABLE_OR_FIGURE.match("§4.3") and not TABLE_OR_FIGURE.match("Tabellen")


def test_errata_ids_referenced_exist(datasets):
    known = set(datasets["errata"]["errata_id"])
    for name, frame in datasets.items():
        if "errata_id" in frame.columns and name != "errata":
            used = set(frame["errata_id"].dropna())
            assert used <= known, f"{name} refers to unknown errata {used - known}"


# ---- bad data files are rejected with a clear message -------------------------------------------

@pytest.fixture()
def data_copy(tmp_path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(config.data_dir(), dst, ignore=shutil.ignore_patterns(".validated"))
    return dst / "datapackage.json"


def _rewrite(path: Path, edit):
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows = edit(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _first_data_row(path: Path) -> int:
    return 1


@pytest.mark.parametrize("case,edit,expect", [
    ("truncated", lambda rows: rows[:2] + [rows[2][:3]], "row 3"),
    ("missing column", lambda rows: [r[:-1] for r in rows], "lines"),
    ("duplicate key", lambda rows: rows + [rows[1]], "primary-key"),
    ("negative count", lambda rows: [rows[0], [*rows[1][:3], "-5", *rows[1][4:]], *rows[2:]], "minimum"),
    ("text in numeric column", lambda rows: [rows[0], [*rows[1][:3], "many", *rows[1][4:]], *rows[2:]], "type-error"),
    ("unknown region", lambda rows: [rows[0], ["atlantis", *rows[1][1:]], *rows[2:]], "atlantis"),
])
def test_bad_employment_file_is_rejected(data_copy, case, edit, expect):
    target = data_copy.parent / "employment.csv"
    _rewrite(target, edit)
    with pytest.raises(D.DataError) as err:
        D.load("employment", data_copy)
    msg = str(err.value)
    assert "employment.csv" in msg and expect in msg, msg


def test_missing_file_is_named(data_copy):
    (data_copy.parent / "errata.csv").unlink()
    with pytest.raises(D.DataError, match=r"errata\.csv: file is missing"):
        D.load("regions", data_copy)


def test_unknown_dataset_lists_valid_ones():
    with pytest.raises(D.DataError, match="declared datasets: regions"):
        D.load("no-such-dataset")


def test_corrupt_declaration(data_copy):
    data_copy.write_text("{not json")
    with pytest.raises(D.DataError, match="not valid JSON"):
        D.load("regions", data_copy)

"""analysis.findings: status rules, deterministic files, verify comparison."""

import json

import pandas as pd
import pytest

from analysis.findings import Findings, compare_findings, load_findings, status_of, write_table
from analysis.indicators import rel_change

# published_values rows as the lead's data will carry them (NIBR-rapport 2005:11, Tabell 4.1, Horten kommune)
PV_REL = {"pv_id": "horten-ict-rel-change", "value": -0.2, "decimals": 1, "doc": "nibr-2005-11",
          "source": "Tabell 4.1", "lines": "2909-2935", "errata_id": None}
PV_ABS = {**PV_REL, "pv_id": "horten-ict-abs-change", "value": -3, "decimals": 0}


def test_reproduces_tabell_4_1_relative_change_as_match(tmp_path):
    # -3 / 1644 * 100 = -0.1825, printed -0,2: |-0.1825 - (-0.2)| = 0.0175 <= 0.05 -> match
    f = Findings("horten", "horten-production", tmp_path)
    rec = f.record("ict-rel-change", rel_change(1641, 1644), "percent", "ICT industry, change 1997-2005",
                   published=pd.Series(PV_REL))
    assert rec["status"] == "match"
    assert rec["citation"] == "NIBR-rapport 2005:11, Tabell 4.1, lines 2909-2935"
    assert rec["difference"] == pytest.approx(0.0175, abs=1e-4)


def test_status_rules():
    # printed 17 (0 decimals): 16.5 .. 17.5 match (rule exact); 17.6 does not
    assert status_of(17.14, {"value": 17, "decimals": 0}) == ("match", "exact")
    assert status_of(17.5, {"value": 17, "decimals": 0}) == ("match", "exact")  # half-way: either convention
    assert status_of(17.6, {"value": 17, "decimals": 0}) == ("mismatch", "exact")
    assert status_of(17.6, {"value": 17, "decimals": 0, "errata_id": "E05"})[0] == "source-inconsistent"
    assert status_of(17.6, None) == ("no-published-value", "")
    # 'om lag 700' (approx) is met by 704, not by 760
    assert status_of(704, {"value": 700, "decimals": 0, "qualifier": "approx"}) == ("match", "approximate")
    assert status_of(760, {"value": 700, "decimals": 0, "qualifier": "approx"})[0] == "mismatch"


def test_exact_counts_mismatch_by_one():
    # abs change -3 printed with 0 decimals: -4 is outside -3 ± 0.5
    f = Findings("horten", "nb", ".")
    assert f.record("a", -4, "persons", "x", published=PV_ABS)["status"] == "mismatch"
    assert f.record("b", -3, "persons", "x", published=PV_ABS)["status"] == "match"
    assert f.record("c", 35, "firms", "implied 1998 stock")["status"] == "no-published-value"


def test_record_refuses_bad_values_and_duplicates():
    f = Findings("horten", "nb", ".")
    f.record("a", 1.0, "ratio", "x")
    with pytest.raises(ValueError, match="twice"):
        f.record("a", 2.0, "ratio", "x")
    for bad in (float("nan"), None, pd.NA, float("inf")):
        with pytest.raises(ValueError):
            f.record("b", bad, "ratio", "x")
    with pytest.raises(ValueError, match="lacks"):
        f.record("c", 1.0, "ratio", "x", published={"pv_id": "p", "value": 1.0})


def test_save_is_sorted_deterministic_and_rounded(tmp_path):
    def run(order):
        f = Findings("horten", "horten-production", tmp_path)
        for fid in order:
            f.record(fid, 1 / 3 if fid == "b" else 2.0, "ratio", f"finding {fid}")
        return f.save()

    path = run(["b", "a"])
    first = path.read_bytes()
    assert run(["a", "b"]).read_bytes() == first  # record order does not matter
    doc = json.loads(first)
    assert [r["id"] for r in doc] == ["a", "b"]
    assert doc[1]["value"] == 0.3333333333  # 10 significant digits
    assert {r["region"] for r in doc} == {"horten"}  # records describe themselves for the merged region file
    assert path == tmp_path / "findings" / "horten-production.json"
    assert not list((tmp_path / "findings").glob("*.tmp"))  # the temp file was replaced, not left behind
    assert path.stat().st_mode & 0o777 == 0o644  # readable by others, unlike a bare mkstemp file
    assert "time" not in first.decode() and "date" not in first.decode()


def test_counts_are_exact_but_rounded_inputs_allow_their_interval():
    # a share of counts must round to the print: 6/37 = 16.2 % is not 17 -- no slack for the counts
    f = Findings("horten", "nb", ".")
    pub = {"pv_id": "horten-ict-entry", "value": 17, "decimals": 0}
    assert f.record("entry", 100 * 6 / 37, "percent", "entry share", published=pub)["status"] == "mismatch"
    # a value derived from rounded prints (a share of 96.5 + 3.4) matches when the printed value lies in the
    # interval those inputs allow, and says so
    rec = f.record("derived", 16.2, "percent", "x", published={**pub, "pv_id": "p2"}, interval=(16.2, 17.4))
    assert (rec["status"], rec["rule"]) == ("match", "within-rounding")
    rec = f.record("exact", 100 * 6 / 35, "percent", "x", published={**pub, "pv_id": "p3"})
    assert (rec["status"], rec["rule"]) == ("match", "exact")
    assert f.published_ids() == {"horten-ict-entry", "p2", "p3"}
    with pytest.raises(ValueError, match="backwards"):
        f.record("bad", 1.0, "percent", "x", published=pub, interval=(2.0, 1.0))
    with pytest.raises(ValueError, match="unknown status"):
        f.record("bad2", 1.0, "percent", "x", status=("fine", ""))


def test_load_merged_region_file(tmp_path):
    # pipeline.merge_findings concatenates the notebooks' lists; ids may repeat across notebooks
    a, b = Findings("horten", "history", tmp_path), Findings("horten", "production-system", tmp_path)
    a.record("x", 1.0, "ratio", "x")
    b.record("x", 2.0, "ratio", "x")
    merged = json.loads(a.save().read_text()) + json.loads(b.save().read_text())
    (tmp_path / "findings.json").write_text(json.dumps(merged))
    assert sorted(load_findings(tmp_path / "findings.json")) == ["history/x", "production-system/x"]


def test_summary_frame(tmp_path):
    f = Findings("horten", "nb", tmp_path)
    f.record("x", rel_change(1641, 1644), "percent", "ICT", published=PV_REL)
    s = f.summary()
    assert s.loc[0, ["id", "published", "decimals", "status"]].tolist() == ["x", -0.2, 1, "match"]


def test_write_table_is_deterministic(tmp_path):
    df = pd.DataFrame({"industry_id": ["g3"], "e_t0": [1644], "rel_change_pct": pd.array([-0.18248175182481752],
                                                                                        dtype="Float64")})
    path = write_table(df, tmp_path, "horten-production", "changes")
    assert path == tmp_path / "tables" / "horten-production--changes.csv"
    assert path.read_text() == "industry_id,e_t0,rel_change_pct\ng3,1644,-0.1824817518\n"
    assert write_table(df, tmp_path, "horten-production", "changes").read_bytes() == path.read_bytes()
    with pytest.raises(ValueError):
        write_table(df, tmp_path, "../x", "changes")


def test_compare_findings_exact_for_counts_and_ranks(tmp_path):
    old = Findings("horten", "nb", tmp_path)
    old.record("stock", 35, "firms", "implied stock")
    old.record("rank", 2, "rank", "customers")
    old.record("share", 81.48148148, "percent", "innovators")
    old.record("gone", 1.0, "ratio", "dropped later")
    recorded = load_findings(old.save())

    new = Findings("horten", "nb", tmp_path / "new")
    new.record("stock", 35.0000001, "firms", "implied stock")  # a count must be exact
    new.record("rank", 2, "rank", "customers")
    new.record("share", 81.48148148 * (1 + 1e-12), "percent", "innovators")  # float noise is fine
    new.record("added", 3.0, "ratio", "new finding")
    out = compare_findings(new, recorded).set_index("id")
    assert out.loc["rank", "ok"] and out.loc["share", "ok"]
    assert not out.loc["stock", "ok"] and out.loc["stock", "change"] == "value"
    assert out.loc["gone", "change"] == "missing" and out.loc["added", "change"] == "new"
    # an explicit tolerance overrides the default
    assert compare_findings(new, recorded, tolerances={"stock": 1e-3}).set_index("id").loc["stock", "ok"]


def test_compare_findings_flags_status_change(tmp_path):
    old = Findings("horten", "nb", tmp_path)
    old.record("x", -0.18, "percent", "ICT", published=PV_REL)
    new = Findings("horten", "nb", tmp_path)
    new.record("x", -0.18, "percent", "ICT", published={**PV_REL, "value": -0.3})  # published row changed
    row = compare_findings(new, old).iloc[0]
    assert not row["ok"] and row["change"] == "status"


def test_load_findings_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="run the notebook"):
        load_findings(tmp_path / "findings" / "nope.json")

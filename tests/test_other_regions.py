"""The regions outside the NIBR report on small in-memory data (no papermill): the case/example split of the
registry, the cluster assessment industry by industry, targets against their status, the case material by
document and industry, the short cases and the rural context. Every number below is made up for the test."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from analysis import book
from analysis import indicators as ind
from analysis.data.regions import CASE_STUDY, SHORT_EXAMPLE, Region, case_regions, short_examples
from analysis.errors import DataError, InputError, UndefinedIndicator
from analysis.findings import Findings
from analysis.pipeline import Project, plan
from analysis.sections import (
    base, history, innovation_barriers, innovation_sources, national_context, production_system, short_cases,
)

DOC = "of-2013-nedre-glomma"
REGISTRY_HEADER = ("region_id,name,kind,case,presentation,municipality_numbers,municipality_vintage,economic_region,"
                   "county,reference_areas,documents,has_history,has_production_system,has_innovation_sources,"
                   "has_innovation_barriers,notes,doc,source,lines\n")


def _registry(tmp_path, rows: list[str]):
    (tmp_path / "regions.csv").write_text(REGISTRY_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return tmp_path / "regions.csv"


def _row(rid: str, case: str, presentation: str) -> str:
    return (f"{rid},{rid.title()},municipality,{case},{presentation},,,,Somefylke,norway,{DOC},"
            f"true,true,true,true,,{DOC},§1,1")


def _regions(*extra: dict) -> pd.DataFrame:
    rows = [{"region_id": "testregion", "name": "Testregion", "kind": "business-region", "county": "Somefylke",
             "reference_areas": "testcounty;norway", "presentation": CASE_STUDY, "documents": DOC, "source": "§1",
             "lines": "1"},
            {"region_id": "testpart", "name": "Testpart", "kind": "municipality", "county": "Somefylke",
             "reference_areas": "testregion;testcounty", "presentation": "reference", "documents": DOC, "source": "§1",
             "lines": "1"},
            {"region_id": "testcounty", "name": "Testcounty", "kind": "county", "county": "Somefylke",
             "reference_areas": "norway", "presentation": "reference", "documents": DOC, "source": "§1", "lines": "1"},
            {"region_id": "norway", "name": "Norway", "kind": "country", "county": "", "reference_areas": "",
             "presentation": "reference", "documents": DOC, "source": "§1", "lines": "1"}, *extra]
    return pd.DataFrame(rows)


VOCABULARY = pd.DataFrame([
    ("industry-segment", "building", "building"), ("industry-segment", "health", "health"),
    ("industry-segment", "all", "the region's business as a whole"),
    ("cluster-criterion", "size", "size"), ("cluster-criterion", "facilitator", "facilitator"),
    ("cluster-criterion", "collaboration", "collaboration"), ("cluster-criterion", "overall", "the report's verdict"),
    ("case-kind", "strength", "strength"), ("case-kind", "barrier", "barrier"), ("case-kind", "key-firm", "key firm"),
    ("case-kind", "strategy", "strategy"), ("case-kind", "context", "background"),
], columns=["vocabulary", "term_id", "label_en"])


def _cc(rid, section, kind, item, lines, industry=None, doc=DOC, year=None, basis=None, term="ord"):
    return {"region_id": rid, "section": section, "kind": kind, "industry": industry, "year": year, "year_end": None,
            "year_basis": basis, "item": item, "term_no": term, "doc": doc, "source": "§5", "lines": lines}


def _indicator(rid, indicator, category, period, value, unit, qualifier="exact", topic="cluster", errata=None,
               description="A made-up number", lines="10"):
    return {"region_id": rid, "topic": topic, "indicator": indicator, "category": category, "period": period,
            "value": value, "unit": unit, "qualifier": qualifier, "description": description, "errata_id": errata,
            "doc": DOC, "source": "§4", "lines": lines}


def _case(tmp_path, notebook="production-system", documents=(DOC,), reference=("testcounty", "norway"), **data):
    region = Region("testregion", "Testregion", "business-region", True, {}, tuple(documents), tuple(reference))
    data.setdefault("regions", _regions())
    data.setdefault("vocabulary", VOCABULARY)
    return base.Case(notebook, tmp_path, data, Findings("testregion", notebook, tmp_path), region=region)


def _said(capsys) -> str:
    return capsys.readouterr().out


def _found(chapter) -> dict:
    return {r["id"]: r["value"] for r in chapter.findings.records()}


# ---------------------------------------------------------------- the registry, the pipeline and the book


def test_presentation_decides_who_gets_region_notebooks(tmp_path):
    path = _registry(tmp_path, [_row("alpha", "true", CASE_STUDY), _row("beta", "false", SHORT_EXAMPLE),
                                _row("gamma", "false", "reference")])
    assert [r.region_id for r in case_regions(path)] == ["alpha"]
    assert [r.region_id for r in short_examples(path)] == ["beta"]


def test_a_registry_whose_case_column_disagrees_with_presentation_is_refused(tmp_path):
    path = _registry(tmp_path, [_row("beta", "true", SHORT_EXAMPLE)])
    with pytest.raises(DataError, match="case is true but presentation is short-example"):
        case_regions(path)


def test_a_hand_built_region_takes_its_presentation_from_case():
    assert Region("x", "X", "municipality", True, {}, (), ()).presentation == CASE_STUDY
    assert Region("x", "X", "municipality", False, {}, (), ()).presentation == "reference"


def test_the_pipeline_says_why_a_short_example_gets_no_region_run(tmp_path, monkeypatch):
    _registry(tmp_path, [_row("alpha", "true", CASE_STUDY), _row("beta", "false", SHORT_EXAMPLE)])
    monkeypatch.setenv("ANALYSIS_DATA", str(tmp_path))
    project = Project(outputs_dir=tmp_path / "out", validate=lambda: [], fingerprint=lambda ids: "x")
    with pytest.raises(InputError, match="'beta' is a short example of its source, shown in the cross-region "
                                         "short-cases notebook; valid regions: alpha"):
        plan(project, regions=["beta"])
    assert [p.region for p in plan(project).region_pairs] == ["alpha"] * 4


def test_the_book_has_no_part_for_a_short_example_and_a_chapter_for_them_all():
    chapters = book.book_config()["book"]["chapters"]
    parts = {p["part"]: p["chapters"] for p in chapters if isinstance(p, dict)}
    assert not {r.name for r in short_examples()} & set(parts)
    assert "book/chapters/cross-region/short-cases.ipynb" in parts["Across regions"]


# ---------------------------------------------------------------- growth rates


def test_annual_growth_and_compound_undo_each_other():
    rate = ind.annual_growth(1300, 1000, 10)
    assert rate == pytest.approx(100 * (1.3 ** 0.1 - 1))
    assert ind.compound(1000, rate, 10) == pytest.approx(1300)
    with pytest.raises(UndefinedIndicator):
        ind.annual_growth(10, 0, 5)
    with pytest.raises(ValueError, match="years"):
        ind.annual_growth(10, 5, 0)


# ---------------------------------------------------------------- targets


def _targets() -> pd.DataFrame:
    common = {"region_id": "testregion", "target_year": 2030, "baseline_year": 2020, "baseline_value": None,
              "doc": "sarpsborg-2023", "source": "Mål", "lines": "5-9", "notes": None}
    return pd.DataFrame([
        {**common, "target_id": "t-jobs", "indicator": "Jobs in Testregion", "target_value": 1300.0,
         "target_qualifier": "minimum", "target_unit": "jobs", "target_text": "minst 1300", "status": "none",
         "status_value": None, "status_unit": None, "status_direction": None, "status_qualifier": None,
         "status_period": None},
        {**common, "target_id": "t-increase", "indicator": "Increase", "target_value": 300.0,
         "target_qualifier": "approx", "target_unit": "jobs", "target_text": "rundt 300", "status": "Lost 20 jobs",
         "status_value": -20.0, "status_unit": "jobs", "status_direction": "decrease", "status_qualifier": "over",
         "status_period": "2021-2023"},
        {**common, "target_id": "t-rate", "indicator": "Growth needed", "target_value": 2.5, "target_qualifier": "exact",
         "target_unit": "% per year", "target_text": "2,5 prosent", "status": "1 % a year", "status_value": 1.0,
         "status_unit": "% per year", "status_direction": "increase", "status_qualifier": "exact",
         "status_period": "2020-2024"},
        {**common, "target_id": "t-tax", "indicator": "Tax per inhabitant", "target_value": None,
         "target_qualifier": None, "target_unit": "% of national average per inhabitant", "target_text": "på nivå",
         "status": "80 %", "status_value": 80.0, "status_unit": "% of national average per inhabitant",
         "status_direction": "level", "status_qualifier": "exact", "status_period": "2016", "baseline_year": None},
    ])


def test_targets_compute_the_growth_needed_against_the_growth_achieved(tmp_path, capsys):
    case = _case(tmp_path, targets=_targets(), errata=pd.DataFrame(columns=["errata_id", "affects"]))
    production_system.targets(case)
    got = _found(case)
    # start 1300 - 300 = 1000 in 2020; 1.3 ** (1/10); 1 % a year for 4 years gives 1040.6, then 6 years to 1300
    assert got["targets.t-jobs.start-level"] == 1000
    assert got["targets.t-jobs.needed-rate"] == pytest.approx(round(100 * (1.3 ** 0.1 - 1), 4))
    assert got["targets.t-jobs.needed-rate-after-status"] == pytest.approx(
        round(100 * ((1300 / (1000 * 1.01 ** 4)) ** (1 / 6) - 1), 4))
    assert got["targets.t-jobs.level-at-achieved-rate"] == pytest.approx(round(1000 * 1.01 ** 10, 4))
    # the national average is 100 % of itself: 20 points in 14 years
    assert got["targets.t-tax.gap"] == 20
    assert got["targets.t-tax.relative-growth-needed"] == pytest.approx(round(100 * (1.25 ** (1 / 14) - 1), 4))
    text = _said(capsys)
    # 'rundt 300' allows 250-350: the printed 2.5 % lies within 2.11 .. 3.19 %
    assert "(250–350)" in text and "so the printed rate is within what the rounded inputs allow" in text
    assert (tmp_path / "figures" / "production-system--target-path-t-jobs.csv").exists()


def test_target_sketches_without_status_stand_with_their_strategy_area(tmp_path, capsys):
    sketch = {**_targets().iloc[0].to_dict(), "target_id": "s-clusters", "target_value": 5.0, "target_unit": "clusters",
              "target_text": "Minst 5 klynger", "status": "not reported", "doc": "tf-2012-sandefjord", "lines": "20-24"}
    cc = pd.DataFrame([
        _cc("testregion", "innovation-sources", "strategy", "Strategy area 1, clusters: build two", "18-26",
            doc="tf-2012-sandefjord"),
        _cc("testregion", "innovation-sources", "strategy", "Strategy area 2, people: attract them", "30-33",
            doc="tf-2012-sandefjord"),
        _cc("testregion", "innovation-sources", "source", "Culture matters", "40", doc="tf-2012-sandefjord")])
    case = _case(tmp_path, "innovation-sources", documents=("tf-2012-sandefjord",), case_content=cc,
                 targets=pd.DataFrame([sketch]))
    assert production_system.targets(case).empty  # no status anywhere: not a 'targets against status' section
    innovation_sources.case_material(case)
    table = pd.read_csv(tmp_path / "tables" / "innovation-sources--areas-strategy-area.csv")
    assert list(table["no."]) == [1, 2] and list(table["area"]) == ["clusters: build two", "people: attract them"]
    assert table["target sketch"].fillna("").tolist() == ["«Minst 5 klynger» (5 clusters)", ""]
    text = _said(capsys)
    assert "Culture matters" in text and "- Strategy area 1" not in text  # the areas are not listed twice


# ---------------------------------------------------------------- the cluster assessment


def _criteria() -> pd.DataFrame:
    rows = [("building", "size", "met"), ("building", "facilitator", "partly"), ("building", "overall", "not-met"),
            ("health", "collaboration", "not-met"), ("health", "overall", "partly")]
    return pd.DataFrame([{"region_id": "testregion", "industry": i, "industry_label": i.title(), "criterion": c,
                          "criterion_label": f"{c} (ord)", "assessment": a, "term_no": "ord", "notes": "why",
                          "doc": DOC, "source": "§5", "lines": "50"} for i, c, a in rows])


def test_the_cluster_assessment_grids_the_criteria_and_profiles_each_industry(tmp_path, capsys):
    cc = pd.DataFrame([_cc("testregion", "production-system", "strength", "Building is productive", "60", "building"),
                       _cc("testregion", "production-system", "key-firm", "Firm A builds", "61", "building"),
                       _cc("testregion", "innovation-barriers", "barrier", "Margins are low", "62", "building")])
    case = _case(tmp_path, cluster_criteria=_criteria(), case_content=cc, indicators=pd.DataFrame(
        columns=list(_indicator("x", "x", "x", "x", 0, "x"))))
    production_system.cluster_assessment(case)
    got = _found(case)
    assert got["cluster.building.criteria-met"] == 1 and got["cluster.building.criteria-partly"] == 1
    assert got["cluster.health.criteria-not-met"] == 1 and "cluster.health.criteria-met" not in got
    grid = pd.read_csv(tmp_path / "figures" / "production-system--cluster-criteria.csv")
    assert len(grid) == 5 and set(grid["industry_name"]) == {"building", "health"}
    text = _said(capsys)
    assert "scores none of them" in text  # the Nedre Glomma report's criteria are read from its prose
    assert "The report's verdict: **not met**" in text and "**Barriers and challenges** (1):\n- Margins are low" in text
    # the production-system material leaves out what the profile showed, and keeps the rest
    production_system.case_material(case)
    text = _said(capsys)
    assert "Firm A builds" in text and "Building is productive" not in text


def test_industry_numbers_give_the_productivity_they_allow(tmp_path, capsys):
    ind_rows = pd.DataFrame([
        _indicator("testregion", "value-added", "building", "2011", 2.0, "NOK billion"),
        _indicator("testregion", "employed", "building", "2011", 4000, "persons", "over"),
        _indicator("testregion", "value-added-share", "health", "2011", 3, "% of Testregion value added"),
        _indicator("testregion", "employment-share", "health", "2011", 6, "% of Testregion employment"),
        _indicator("testregion", "value-added-share-of-testcounty", "all", "2004", 40, "% of Testcounty value added"),
        _indicator("testregion", "value-added-share-of-testcounty", "all", "2011", 44, "% of Testcounty value added"),
        _indicator("testpart", "value-added-share-of-testregion", "all", "2011", 60, "% of Testregion value added")])
    case = _case(tmp_path, cluster_criteria=_criteria(), indicators=ind_rows, case_content=pd.DataFrame(
        columns=list(_cc("x", "x", "x", "x", "1"))))
    production_system.cluster_assessment(case)
    got = _found(case)
    assert got["productivity.building.value-added-per-employed"] == 0.5  # 2 000 MNOK / 4 000 persons
    assert got["productivity.health.relative-to-region"] == 0.5  # 3 % of the value added with 6 % of the jobs
    text = _said(capsys)
    assert "building: at most NOK 0.50 million" in text  # 'over 4 000' employed: at most 0.5 each
    assert "share of Testcounty value added went from 40 % in 2004 to 44 % in 2011: its business grew faster" in text
    measures = pd.read_csv(tmp_path / "figures" / "production-system--industry-measures.csv")
    assert set(measures["industry"]) == {"building", "health"}
    shares = pd.read_csv(tmp_path / "figures" / "production-system--region-shares.csv")
    assert len(shares) == 3 and shares["share"].str.startswith(("Testregion", "Testpart")).all()


# ---------------------------------------------------------------- case material, history, key figures


def test_case_material_stands_under_each_document_oldest_first_with_the_wider_region(tmp_path, capsys):
    cc = pd.DataFrame([
        _cc("testregion", "innovation-barriers", "barrier", "Few clusters (2023)", "5", doc="sarpsborg-2023"),
        _cc("testregion", "innovation-barriers", "barrier", "Low margins (2013)", "7"),
        _cc("testcounty", "innovation-barriers", "barrier", "The county is a periphery", "9"),
        _cc("testcounty", "innovation-barriers", "barrier", "Not in these documents", "9", doc="nibr-2005-11")])
    case = _case(tmp_path, "innovation-barriers", documents=("sarpsborg-2023", DOC), case_content=cc)
    innovation_barriers.case_material(case)
    text = _said(capsys)
    first, second = text.index("### Østfoldforskning 2013"), text.index("### Sarpsborg kommune 2023")
    assert first < text.index("Low margins") < second < text.index("Few clusters")
    assert "### Testcounty, the wider region" in text and "The county is a periphery" in text
    assert "Not in these documents" not in text
    empty = _case(tmp_path, "innovation-barriers", case_content=cc.iloc[0:0])
    assert innovation_barriers.case_material(empty).empty and _said(capsys) == ""  # no heading without material


def test_history_leaves_out_a_source_s_own_making_and_does_not_repeat_an_event(tmp_path, capsys):
    ev = pd.DataFrame([
        {"region_id": "testregion", "event_id": "e1", "year": None, "year_end": None, "precision": "undated",
         "event": "The old whaling town", "label": "Whaling", "actors": None, "phase": "heritage (kulturarv)",
         "doc": DOC, "source": "§5", "lines": "70-72"},
        {"region_id": "testregion", "event_id": "e2", "year": 2011, "year_end": None, "precision": "exact",
         "event": "Workshops of the report", "label": "Workshops", "actors": None,
         "phase": "foresight process (Testregion 2020)", "doc": DOC, "source": "Forord", "lines": "3"}])
    cc = pd.DataFrame([_cc("testregion", "history", "context", "Whaling heritage", "70-72"),
                       _cc("testregion", "history", "context", "Entrepreneurial spirit", "80")])
    case = _case(tmp_path, "history", history_events=ev, case_content=cc)
    history.events(case)
    history.case_material(case)
    text = _said(capsys)
    assert "Workshops of the report" not in text and not (tmp_path / "figures").exists()  # no timeline of one event
    assert "**Heritage (kulturarv)**\n- The old whaling town" in text
    assert "Entrepreneurial spirit" in text and "Whaling heritage" not in text
    assert _found(case)["history.events"] == 1


def test_key_figures_leave_out_the_making_of_a_source_and_name_the_errata(tmp_path, capsys):
    ind_rows = pd.DataFrame([
        _indicator("testregion", "population-growth", "all", "2007-2017", 22, "% change", topic="rural-context",
                   errata="E1"),
        _indicator("testregion", "population-growth", "all", "2008-2018", 20, "% change", topic="rural-context",
                   errata="E1"),
        _indicator("testregion", "immigrant-share", "all", "2018", 24, "% of inhabitants", topic="rural-context"),
        _indicator("testregion", "participants", "all", "2012", 30, "persons", topic="process"),
        _indicator("testregion", "job-growth-annual", "all", "2020-2024", 1.0, "% per year", topic="key-figures")])
    errata = pd.DataFrame([{"errata_id": "E1", "topic": "Two growth figures", "reason": "Different periods. More.",
                            "affects": ""}])
    case = _case(tmp_path, indicators=ind_rows, errata=errata, targets=_targets())
    table = production_system.key_figures(case)
    # the two growth rates are drawn, not tabled again; the participants are the report's making; 1 % a year is
    # a target's status (shown with the target)
    assert list(table["unit"]) == ["% of inhabitants"]
    text = _said(capsys)
    assert "Two growth figures (Different periods)" in text and "E1" not in text
    assert len(pd.read_csv(tmp_path / "figures" / "production-system--growth.csv")) == 2


# ---------------------------------------------------------------- short cases and the rural context


def test_a_short_case_gives_its_facts_numbers_and_argument_once(tmp_path, capsys):
    regions = _regions({"region_id": "testplace", "name": "Testplace", "kind": "municipality", "county": "Nordfylke",
                        "reference_areas": "norway", "presentation": SHORT_EXAMPLE,
                        "documents": "distriktssenteret-2018", "source": "Suksessrike", "lines": "100-104"})
    ev = pd.DataFrame([{"region_id": "testplace", "event_id": "p1", "year": 2011, "year_end": 2018, "precision": "period",
                        "event": "Grew fast, 40 more jobs", "label": "Growth", "actors": None, "phase": "growth",
                        "doc": "distriktssenteret-2018", "source": "Suksessrike", "lines": "100-110"}])
    cc = pd.DataFrame([_cc("testplace", "production-system", "key-firm", "Fish firm grew", "105-106",
                           doc="distriktssenteret-2018"),
                       _cc("testplace", "innovation-barriers", "barrier", "Things swing fast", "111",
                           doc="distriktssenteret-2018")])
    ind_rows = pd.DataFrame([_indicator("testplace", "job-change", "all", "2011-2018", 40, "jobs", topic="rural-context")])
    cl = pd.DataFrame([{"claim_id": "p-swings", "region_id": "testplace", "section": "innovation-barriers",
                        "kind": "conclusion", "subkind": None, "claim": "It swings fast.", "term_no": "svinger",
                        "report_verdict": None, "evidence": None, "test": None, "untestable": "no series printed",
                        "doc": "distriktssenteret-2018", "source": "Suksessrike", "lines": "111"}])
    study = base.Study("short-cases", tmp_path, {"regions": regions, "history_events": ev, "case_content": cc,
                                                 "indicators": ind_rows, "claims": cl},
                       Findings("cross-region", "short-cases", tmp_path), regions=["testplace"])
    short_cases.all_places(study)
    text = _said(capsys)
    assert "## Testplace (Nordfylke)" in text and "- 2011–2018: Grew fast, 40 more jobs" in text
    assert "Fish firm grew" not in text  # its lines lie within the event's: told once
    assert "**Its barriers and challenges**\n- Things swing fast" in text
    assert "**The argument:** It swings fast." in text and "Not testable: no series printed" in text
    assert _found(study) == {"short-cases.testplace.job-change.all.2011-2018": 40.0}


def test_kart1_adds_up_the_municipalities_and_says_what_immigration_meant(tmp_path, capsys):
    rows = pd.DataFrame([_indicator("norway", national_context.KART1, cat, "2006-2018", n, "municipalities",
                                    topic="rural-context", description=f"{text}, 2006-2018")
                         for cat, n, text in (("growth-regardless-of-immigration", 50, "Grew anyway"),
                                              ("growth-due-to-net-immigration", 30, "Grew thanks to immigration"),
                                              ("decline", 20, "Declined"))])
    study = base.Study("national-context", tmp_path, {"indicators": rows, "regions": _regions()},
                       Findings("cross-region", "national-context", tmp_path), regions=[])
    table = national_context.kart1(study)
    assert list(table["share, %"]) == [50.0, 30.0, 20.0]
    got = _found(study)
    assert got["rural.kart1.municipalities"] == 100 and got["rural.kart1.decline-without-immigration-pct"] == 50
    assert "add up to 100 municipalities" in _said(capsys)

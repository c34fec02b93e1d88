"""The notebook sections on small in-memory data (no papermill): what they compute, record, draw and say."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from analysis import indicators as ind
from analysis.findings import Findings
from analysis.data.regions import Region
from analysis.sections import base, claims, comparison, innovation_sources, production_system, reproduction

GROUPS = [f"g{i}" for i in range(1, 8)]
# a made-up town: synthetic numbers for the test only
TOWN = {1997: [100, 0, 400, 50, 20, 10, 30], 2005: [120, 0, 380, 40, 60, 10, 45]}
TOWNS_TOGETHER = {1997: [300, 100, 900, 400, 100, 50, 150], 2005: [320, 120, 850, 380, 250, 40, 200]}
REST = {1997: [2000, 1500, 1400, 2000, 1800, 600, 2300], 2005: [1900, 1300, 1300, 1800, 4800, 900, 3200]}


def _employment() -> pd.DataFrame:
    rows = [(area, g, year, levels[year][k], "x", "nibr-2005-11", "Tabell v.3", "12225-12300")
            for area, levels in (("testtown", TOWN), ("tech-towns", TOWNS_TOGETHER), ("rest-of-norway", REST))
            for year in (1997, 2005) for k, g in enumerate(GROUPS)]
    df = pd.DataFrame(rows, columns=["area", "industry_id", "year", "employed", "label_printed", "doc", "source", "lines"])
    return df.astype({"year": "Int64", "employed": "Int64"})


def _data(**extra) -> dict[str, pd.DataFrame]:
    data = {
        "employment": _employment(),
        "industries": pd.DataFrame({"industry_id": GROUPS, "label_en": [f"Group {g}" for g in GROUPS],
                                    "label_short": ["Metal products", "Transport equipment", "ICT manufacturing",
                                                    "Other high-tech manufacturing", "ICT services", "R&D services",
                                                    "Technical consultancy"]}),
        "regions": pd.DataFrame({"region_id": ["testtown", "rest-of-norway", "norway"],
                                 "name": ["Testtown", "Rest of Norway", "Norway"]}),
        "published_values": pd.DataFrame(columns=["pv_id", "area", "industry_id", "measure", "period", "value",
                                                  "decimals", "qualifier", "unit", "description", "computed_from",
                                                  "errata_id", "doc", "source", "lines"]),
        "claims": pd.DataFrame(columns=["claim_id", "region_id", "section", "kind", "subkind", "claim", "term_no",
                                        "report_verdict", "evidence", "test", "untestable", "doc", "source", "lines"]),
        "firm_dynamics": pd.DataFrame(columns=["area", "industry_id", "period_start", "period_end", "firms_end",
                                               "established", "closed", "doc", "source", "lines"]),
    }
    data.update(extra)
    return data


def _case(tmp_path, notebook="production-system", **extra) -> base.Case:
    region = Region("testtown", "Testtown", "municipality", True, {}, ("nibr-2005-11",), ())
    return base.Case(notebook, tmp_path, _data(**extra), Findings("testtown", notebook, tmp_path), region=region)


def _said(capsys) -> str:
    return capsys.readouterr().out


def test_employment_change_recomputes_and_compares_with_the_rest_of_the_country(tmp_path, capsys):
    case = _case(tmp_path)
    table = production_system.employment_change(case)
    got = {r["id"]: r["value"] for r in case.findings.records()}
    # g5: 20 -> 60, +40 persons, +200 %; the rest of the country 1800 -> 4800, +166.7 %
    assert got["employment.testtown.g5.abs-change.1997-2005"] == 40
    assert got["employment.testtown.g5.rel-change-pct.1997-2005"] == pytest.approx(200.0)
    # total 610 -> 655: +7.38 %; the rest 11600 -> 15200: +31.03 %
    assert got["employment.testtown.tech-total.rel-change-pct.1997-2005"] == pytest.approx(100 * 45 / 610)
    assert got["employment.rest-of-norway.tech-total.rel-change-pct.1997-2005"] == pytest.approx(100 * 3600 / 11600)
    text = _said(capsys)
    # faster than the rest: g1 (+20 % vs -5 %), g3 (-5 % vs -7.1 %), g5 (+200 vs +166.7), g7 (+50 vs +39.1); not g4, g6
    assert "Groups that grew faster than in the rest of the country: Metal products, ICT manufacturing, ICT services, " \
           "Technical consultancy." in text
    assert (tmp_path / "figures" / "production-system--employment-index-by-group.png").exists()
    assert (tmp_path / "figures" / "production-system--employment-index-by-group.csv").exists()
    assert len(table) == 2 * len(GROUPS)


def test_shift_share_uses_the_rest_of_the_country_and_shows_the_classic_form(tmp_path, capsys):
    case = _case(tmp_path)
    production_system.shift_share(case)
    got = {r["id"]: r["value"] for r in case.findings.records()}
    town0, town1 = pd.Series(TOWN[1997], GROUPS, dtype=float), pd.Series(TOWN[2005], GROUPS, dtype=float)
    nation0 = pd.Series(TOWNS_TOGETHER[1997], GROUPS, dtype=float) + pd.Series(REST[1997], GROUPS, dtype=float)
    nation1 = pd.Series(TOWNS_TOGETHER[2005], GROUPS, dtype=float) + pd.Series(REST[2005], GROUPS, dtype=float)
    # g2 has no employment in the town: its components are 0, which the sums must survive
    rest = ind.shift_rest(town0, town1, nation0, nation1).sum()
    classic = ind.shift(town0, town1, nation0, nation1).sum()
    assert got["shift-share.rest-of-country.regional_shift.1997-2005"] == pytest.approx(round(rest["regional_shift"], 2))
    assert got["shift-share.norway.regional_shift.1997-2005"] == pytest.approx(round(classic["regional_shift"], 2))
    assert "With Norway including Testtown as the reference (the classic form)" in _said(capsys)


def test_specialisation_is_named_for_what_it_is(tmp_path, capsys):
    case = _case(tmp_path)
    frame = production_system.specialisation(case)
    # g3 in 2005: 380 of the town's 655 against (850 + 1300) of Norway's (2160 + 15200 = 17360)
    expected = (380 / 655) / (2150 / 17360)
    assert frame.set_index("industry_id").loc["g3", "locq"] == pytest.approx(expected)
    text = _said(capsys)
    assert "specialisation within the technology industries" in text
    assert "location quotient against all industries cannot be computed" in text


def test_reproduce_published_checks_counts_exactly_and_says_which_rule_decided(tmp_path, capsys):
    pv = pd.DataFrame([
        # 120 - 100 = 20 exactly: match by the exact rule
        {"pv_id": "t.g1.abs", "area": "testtown", "industry_id": "g1", "measure": "abs-change", "period": "1997-2005",
         "value": 20.0, "decimals": 0, "qualifier": "exact", "unit": "persons", "description": "g1 change",
         "computed_from": "employment[testtown,g1,2005] - employment[testtown,g1,1997]", "errata_id": None,
         "doc": "nibr-2005-11", "source": "Tabell v.3", "lines": "12225-12300"},
        # a printed 21 where the counts give 20: a count is exact, so this is a mismatch, not 'within rounding'
        {"pv_id": "t.g1.bad", "area": "testtown", "industry_id": "g1", "measure": "abs-change", "period": "1997-2005",
         "value": 21.0, "decimals": 0, "qualifier": "exact", "unit": "persons", "description": "g1 change misprinted",
         "computed_from": "employment[testtown,g1,2005] - employment[testtown,g1,1997]", "errata_id": None,
         "doc": "nibr-2005-11", "source": "Tabell v.3", "lines": "12225-12300"},
    ]).astype({"decimals": "Int64"})
    case = _case(tmp_path, published_values=pv)
    table = reproduction.reproduce_published(case)
    assert dict(zip(table["printed value"], zip(table["status"], table["rule"]))) == {
        "g1 change": ("match", "exact"), "g1 change misprinted": ("mismatch", "exact")}
    assert "1 match, 1 mismatch" in _said(capsys)


def _claim_rows() -> pd.DataFrame:
    return pd.DataFrame([
        {"claim_id": "testtown-ict-shrinks", "region_id": "testtown", "section": "production-system",
         "kind": "production-system", "subkind": None, "claim": "ICT manufacturing shrank.", "term_no": "nedgang",
         "report_verdict": None, "evidence": None, "untestable": None, "doc": "nibr-2005-11", "source": "§4.3",
         "lines": "3200", "test": "employment[testtown,g3,2005,Tabell v.3] < employment[testtown,g3,1997,Tabell v.3]"},
        {"claim_id": "testtown-services-shrink", "region_id": "testtown", "section": "production-system",
         "kind": "production-system", "subkind": None, "claim": "ICT services shrank.", "term_no": "nedgang",
         "report_verdict": None, "evidence": None, "untestable": None, "doc": "nibr-2005-11", "source": "§4.3",
         "lines": "3201", "test": "employment[testtown,g5,2005,Tabell v.3] < employment[testtown,g5,1997,Tabell v.3]"},
        {"claim_id": "testtown-interviews", "region_id": "testtown", "section": "production-system",
         "kind": "network", "subkind": None, "claim": "Firms cooperate locally.", "term_no": "samarbeid",
         "report_verdict": None, "evidence": None, "test": None, "untestable": "interview evidence",
         "doc": "nibr-2005-11", "source": "§4.3", "lines": "3202"},
    ])


def test_synthesis_tests_the_claims_against_the_data(tmp_path, capsys):
    case = _case(tmp_path, claims=_claim_rows())
    cl = claims.synthesis(case, "production-system")
    assert dict(zip(cl["claim_id"], cl["verdict"])) == {"testtown-ict-shrinks": "supported",
                                                         "testtown-services-shrink": "contradicted",
                                                         "testtown-interviews": "not testable"}
    said = _said(capsys)
    assert "The source makes 3 arguments in this chapter" in said
    assert "2 of them can be tested against the printed numbers: **1 supported, 1 contradicted**" in said
    assert said.index("**contradicted**: ICT services shrank.") < said.index("**supported**: ICT manufacturing shrank.")
    assert "Arguments the printed numbers cannot test (1)\n- Firms cooperate locally." in said
    assert claims.verdict_sentence(case, "production-system") == (
        "Of the chapter's 2 arguments that the printed numbers can test, 1 holds; the numbers contradict "
        "“ICT services shrank” (§4.3, line 3201).")
    assert {r["id"]: r["value"] for r in case.findings.records()} == {"claim.testtown-ict-shrinks": 1.0,
                                                                       "claim.testtown-services-shrink": 0.0}


def test_many_tested_arguments_keep_the_contradictions_in_view_and_fold_the_rest(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(claims, "SHOWN_INLINE", 1)
    claims.synthesis(_case(tmp_path, claims=_claim_rows()), "production-system")
    said = _said(capsys)
    assert "- **contradicted**: ICT services shrank." in said
    assert said.index("ICT services shrank.") < said.index("Arguments the printed numbers bear out (1)\n- **supported**: "
                                                           "ICT manufacturing shrank.")


def test_a_contradicted_argument_names_where_the_source_says_otherwise(tmp_path, capsys):
    rows = _claim_rows().assign(term_no=["nedgang", "(nedgang)", "samarbeid"])
    errata = pd.DataFrame([{"errata_id": "E999", "doc": "nibr-2005-11", "topic": "ICT services: shrinking in §4.3 vs growing in Tabell v.3",
                            "value_a": "nedgang", "lines_a": "3201", "value_b": "+10", "lines_b": "12235", "b_computed": False,
                            "used": "b", "reason": "The table is used.", "affects": "claims[testtown-services-shrink]"}])
    claims.synthesis(_case(tmp_path, claims=rows, errata=errata), "production-system")
    said = _said(capsys)
    assert ("ICT services shrank. (*nedgang*; §4.3, line 3201) Where the source says otherwise: ICT services: shrinking "
            "in §4.3 vs growing in Tabell v.3 (erratum E999).") in said
    assert "ICT manufacturing shrank. (*nedgang*; §4.3, line 3200)\n" in said + "\n"  # a supported one names no erratum


def test_a_chapter_without_material_says_so_once(tmp_path, capsys):
    case = _case(tmp_path, notebook="innovation-sources")
    innovation_sources.partner_locations(case)  # no locations for the town: shows nothing
    assert _said(capsys) == ""
    case.finish("innovation sources", "a firm survey")
    text = _said(capsys)
    assert text.count("hold no material on its innovation sources") == 1 and "a firm survey would fill" in text


def test_firm_dynamics_gives_the_stocks_the_printed_rates_allow(tmp_path):
    fd = pd.DataFrame([{"area": "testtown", "industry_id": "g3", "period_start": 1998, "period_end": 2005,
                        "firms_end": 31, "established": 6, "closed": 16, "doc": "nibr-2005-11", "source": "Tabell v.6",
                        "lines": "12391-12470"}]).astype({"firms_end": "Int64", "established": "Int64", "closed": "Int64"})
    pv = pd.DataFrame([{"pv_id": "v6.testtown.g3.entry", "area": "testtown", "industry_id": "g3", "measure": "entry-rate-pct",
                        "period": "1998-2005", "value": 17.0, "decimals": 0, "qualifier": "exact", "unit": "pct",
                        "description": "entry", "errata_id": None, "doc": "nibr-2005-11", "source": "Tabell v.6",
                        "lines": "12391-12470",
                        "computed_from": "100 * firm_dynamics[testtown,g3,1998,2005].established / firms in 1998 (not printed)"}])
    case = _case(tmp_path, firm_dynamics=fd, published_values=pv)
    row = production_system.firm_dynamics(case).iloc[0]
    # 6 established at a printed 17 %: stocks 600/17.5 = 34.3 .. 600/16.5 = 36.4 -> 35 or 36 whole firms;
    # the stock-flow base 31 - 6 + 16 = 41 lies outside: firms moved or changed industry
    assert row["1998 stock the entry rate allows"] == "35–36"
    assert row["stock-flow base 1998"] == 41
    assert row["entry rate on that base, %"] == pytest.approx(100 * 6 / 41)


def test_comparison_matrix_shows_the_report_verdicts(tmp_path):
    rows = pd.DataFrame([{"claim_id": f"v-{t}", "region_id": t, "section": "comparison", "kind": "cluster-verdict",
                            "subkind": None, "claim": f"{t} is {v}.", "term_no": "klynge", "report_verdict": v,
                            "evidence": None, "test": None, "untestable": "verdict", "doc": "nibr-2005-11",
                            "source": "§9.1", "lines": "11350"}
                           for t, v in (("horten", "operative"), ("halden", "latent"))])
    study = base.Study("comparison", tmp_path, _data(claims=rows, regions=pd.DataFrame(
        {"region_id": ["horten", "halden"], "name": ["Horten", "Halden"]})), Findings("cross-region", "comparison", tmp_path),
        regions=["horten", "halden"])
    grid = comparison.matrix(study)
    assert dict(zip(grid["town"], grid["report_verdict"])) == {"Horten": "operative", "Halden": "latent"}
    assert (tmp_path / "figures" / "comparison--comparative-verdicts.csv").exists()


def _extract(folder, region: str, rows: list[tuple[int, str, str, bool, int]]) -> None:
    """A synthetic fetch-ssb extract (table 07984 and its sidecar) for the test only."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows, columns=["year", "nace2", "tech_class", "technology", "employed"]).assign(
        region_id=region, municipality_number="0", registry_number="0", same_area=True)
    frame.to_csv(folder / "07984.csv", index=False)
    (folder / "07984.json").write_text(json.dumps({"dataset": "employment", "table_id": "07984",
                                                   "retrieved_utc": "2026-01-01T00:00:00Z", "vintage": "SN2007"}))


def test_register_data_computes_the_classic_location_quotient_with_a_national_extract(tmp_path, monkeypatch, capsys):
    import shutil

    from analysis import config

    shutil.copytree(config.correspondence_dir(), tmp_path / "data" / "correspondence")  # before ANALYSIS_DATA moves
    monkeypatch.setenv("ANALYSIS_DATA", str(tmp_path / "data"))
    # the town: 30 of its 200 employed in high-tech manufacturing; Norway: 1000 of 20000 -> LQ = 0.15 / 0.05 = 3
    _extract(tmp_path / "data" / "external" / "testtown", "testtown",
             [(2024, "26", "ht-manufacturing", True, 30), (2024, "10", "lt-manufacturing", False, 170)])
    case = _case(tmp_path / "out")
    production_system.register_data(case)
    assert "Without a national extract" in _said(capsys)
    _extract(tmp_path / "data" / "external" / "norway", "norway",
             [(2024, "26", "ht-manufacturing", True, 1000), (2024, "10", "lt-manufacturing", False, 19000)])
    table = production_system.register_data(case)
    quotients = dict(zip(table["class"], table["location quotient (1 = Norway)"]))
    assert quotients["ht-manufacturing"] == pytest.approx(3.0)
    assert quotients["lt-manufacturing"] == pytest.approx((170 / 200) / (19000 / 20000))


@pytest.mark.parametrize("source, lines, expected", [
    ("Tabell 4.6", "4403-4410", "Tabell 4.6, lines 4403–4410"),
    ("§4.2.2", "913", "§4.2.2, line 913"),
    ("Tekstboks 1;Tekstboks 2", "340;429", "Tekstboks 1, Tekstboks 2, lines 340, 429"),
    ("", "12-14", "lines 12–14"),
])
def test_a_citation_reads_as_a_reader_reads_it(source, lines, expected):
    assert base.cite(source, lines) == expected


# ---------------------------------------------------------------- what a reader sees

import re  # noqa: E402

from analysis.sections import display, history  # noqa: E402
from analysis.reproduce import STATUS_LABELS  # noqa: E402

HYPHEN_MINUS = re.compile(r"(?<![\w.\-/'])-\d")


def test_prose_writes_negative_numbers_with_a_minus_sign(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(base, "show_table", lambda *args, **kwargs: None)  # the prose only
    case = _case(tmp_path)
    production_system.shift_share(case)
    said = _said(capsys)
    # the town's g3 falls 400 -> 380 while Norway's falls less: some component is negative
    assert re.search(r"(industry mix|regional shift) −\d", said), said
    assert not HYPHEN_MINUS.search(said), HYPHEN_MINUS.search(said)
    assert re.search(r"actual change \+45\b", said)


def test_the_reproduction_table_reads_in_words_and_at_the_printed_precision(tmp_path, capsys):
    rows = [("t.g3.rel", "rel-change-pct", -4.9, 1, "100 * (employment[testtown,g3,2005] - employment[testtown,g3,1997]) "
             "/ employment[testtown,g3,1997]", None),  # -5.0 exactly: within the printed rounding? no: a mismatch
            ("t.g5.rel", "rel-change-pct", 200.0, 1, "100 * (employment[testtown,g5,2005] - employment[testtown,g5,1997]) "
             "/ employment[testtown,g5,1997]", None),
            ("t.g7.rel", "rel-change-pct", 51.0, 0, "100 * (employment[testtown,g7,2005] - employment[testtown,g7,1997]) "
             "/ employment[testtown,g7,1997]", "E07")]
    pv = pd.DataFrame([{"pv_id": p, "area": "testtown", "industry_id": p.split(".")[1], "measure": m, "period": "1997-2005",
                        "value": v, "decimals": d, "qualifier": "exact", "unit": "percent",
                        "description": f"Tab v.3 testtown {p.split('.')[1]}: relative change", "computed_from": f,
                        "errata_id": e, "doc": "nibr-2005-11", "source": "Tabell v.3", "lines": "12225-12300"}
                       for p, m, v, d, f, e in rows]).astype({"decimals": "Int64"})
    table = reproduction.reproduce_published(_case(tmp_path, published_values=pv))
    shown = _said(capsys)
    assert "1 match, 1 mismatch, 1 inconsistent in the source" in shown
    assert not re.search(r"\b(?:source-inconsistent|not-computable|unprinted-base)\b", shown)
    assert "Tabell v.3, Testtown, ICT manufacturing: relative change" in shown and "testtown g3" not in shown
    # -5.0 against a printed -4.9 (one decimal): shown with two decimals at most, with a minus
    assert "recomputed −5.0; printed −4.9" in shown and "200.0 prints as 200.0" in shown
    assert "recomputed 50; printed 51" in shown  # 30 -> 45 is 50 % exactly: no decimals added
    assert not re.search(r"\d\.\d{4,}", shown) and not HYPHEN_MINUS.search(shown)
    saved = pd.read_csv(tmp_path / "tables" / "production-system--reproduction.csv")
    assert list(saved.columns) == list(table.columns) and set(saved["status"]) == {"mismatch", "match",
                                                                                   "source-inconsistent"}
    assert set(STATUS_LABELS) >= set(saved["status"])


def test_the_firm_dynamics_table_is_shown_in_two_that_fit_a_page_and_saved_whole(tmp_path, capsys):
    fd = pd.DataFrame([{"area": a, "industry_id": "g3", "period_start": 1998, "period_end": 2005, "firms_end": n,
                        "established": e, "closed": c, "doc": "nibr-2005-11", "source": "Tabell v.6", "lines": "12391-12470"}
                       for a, n, e, c in (("testtown", 31, 6, 16), ("norway", 1383, 1855, 982))]
                      ).astype({"firms_end": "Int64", "established": "Int64", "closed": "Int64"})
    case = _case(tmp_path, firm_dynamics=fd)
    table = production_system.firm_dynamics(case)
    views = production_system.dynamics_views(table)
    assert len(views) == 2 and all(len(v.columns) <= 8 for v, _ in views)
    shown = {c for v, _ in views for c in v.columns}
    assert {"firms 2005", "net", "stock-flow base 1998", "entry, printed", "exit, stock-flow base"} <= shown
    assert "established" not in shown  # a bare 'established' column reads as a year: 1,855 firms, not the year 1855
    counts = display.table_html(views[0][0])
    assert "1,855" in counts and "1855" not in counts
    saved = pd.read_csv(tmp_path / "tables" / "production-system--firm-dynamics.csv")
    assert len(saved.columns) == len(table.columns) >= 12


def test_the_history_numbers_show_a_series_as_one_row_with_its_years(tmp_path):
    numbers = pd.DataFrame({"subject": ["CognIT", "CognIT", "Nexans"], "measure": ["employment"] * 3,
                            "year": [1996, 2001, 2000], "value": [2.0, 20.0, 18000.0], "unit": ["årsverk"] * 3,
                            "qualifier": ["exact", "approx", "over"], "source": ["§7.2"] * 3,
                            "lines": ["8971-8976", "8971-8976", "8815-8818"]})
    (wide, caption), (rest, _) = history.numbers_views(numbers)
    assert list(wide.columns) == ["subject", "measure", "unit", "1996", "2001", "source"] and "two or more" in caption
    assert wide.iloc[0][["1996", "2001", "source"]].tolist() == ["2", "≈ 20", "§7.2, lines 8971–8976"]
    assert rest.iloc[0][["subject", "value"]].tolist() == ["Nexans", "> 18,000"]


def test_figure_8_1_is_shown_as_its_matrix_of_signs_with_a_true_minus():
    table = pd.DataFrame([{"town": t, "core groups": "ICT manufacturing", "employment (report)": s,
                           "employment recomputed": "-", "core change, %": -0.18, "Norway, same groups, %": -4.6,
                           "innovation (report)": "+", "new firms (report)": "-", "new firms recomputed": None,
                           "core entry rate, %": 17.0, "Norway entry rate, same groups, %": 58.0,
                           "profitability (report)": "0", "source": f"Figur 8.1, lines 10747–10770, {n}"}
                          for t, s, n in (("Horten", "+", 10773), ("Halden", "(+)", 10775))])
    (signs, caption), (numbers, _) = comparison.fig81_views(table)
    assert list(signs.columns) == ["component", "Horten", "Halden"]
    assert signs.set_index("component").loc["employment, recomputed"].tolist() == ["−", "−"]
    assert "-" not in "".join(signs[["Horten", "Halden"]].astype(str).sum())
    assert "lines 10747–10770, 10773, 10775" in caption and len(numbers.columns) == 6
# ---------------------------------------------------------------- the real figures, as a reader sees them


@pytest.fixture(scope="module")
def real_data():
    from analysis import data as D

    return D.load_all()


def _ids(data) -> tuple[set[str], set[str]]:
    """What a figure must not print: the ids the data use, as they are ('horten-electronics', 'hibu'), and
    those the data give no name for in words, in any case ('Tinius olsen'); an id whose name is its words
    ('demanding-customers') may print its name."""
    chains, items = set(data["value_chain"]["chain"]), set(data["survey_rankings"]["item_id"])
    voc = data["vocabulary"]
    unnamed = (chains - set(voc.loc[voc["vocabulary"] == "value-chain", "term_id"])) | (items - set(data["survey_items"]["item_id"]))
    return chains | items | set(data["regions"]["region_id"]), {i.replace("-", " ") for i in unnamed}


@pytest.mark.parametrize("town", ["horten", "kongsberg", "raufoss", "halden"])
def test_real_figures_have_no_layout_problem_and_print_no_id(town, real_data, tmp_path, monkeypatch):
    from analysis import plots

    drawn = {}

    def keep(fig, output_dir, notebook, name, source, data=None):
        paths = save(fig, output_dir, notebook, name, source, data)
        texts = [t.get_text().strip() for t in fig.findobj(matplotlib.text.Text) if t.get_visible()]
        drawn[name] = (plots.layout_problems(fig), texts)
        return paths

    save = plots.save_figure
    monkeypatch.setattr(plots, "save_figure", keep)
    case = base.open_case(town, tmp_path / "production", "production-system", data=real_data)
    production_system.specialisation(case)
    production_system.value_chains(case)
    sources = base.open_case(town, tmp_path / "sources", "innovation-sources", data=real_data)
    innovation_sources.rankings(sources, "local-institutions", "importance of local actors and institutions")
    innovation_sources.survey_shares(sources)
    assert {"specialisation", "value-chains"} <= set(drawn)
    ids, in_words = _ids(real_data)
    for name, (problems, texts) in drawn.items():
        assert problems == [], f"{town} {name}: {problems}"
        printed = (ids & set(texts)) | (in_words & {t.lower() for t in texts})
        assert not printed, f"{town} {name} prints ids: {printed}"


def test_survey_shares_read_as_answers_of_n_with_one_interval_column():
    table = pd.DataFrame([
        {"indicator": "Innovators", "firms": "all firms", "count": 22, "n": 27, "printed share, %": None,
         "qualifier": "exact", "share, %": 81.48, "interval low, %": 63.3, "interval high, %": 91.8, "note": "",
         "source": "fn 72, lines 5836–5839"},
        {"indicator": "Exporters", "firms": "all firms", "count": None, "n": 25, "printed share, %": 47.0,
         "qualifier": "approx", "share, %": None, "interval low, %": None, "interval high, %": None,
         "note": "approximate print: no interval", "source": "§5.3, line 5636"}])
    view = innovation_sources.shares_view(table)
    assert list(view.columns) == ["indicator", "firms", "answers", "printed share, %", "share, %", "95 % interval, %",
                                  "note", "source"]
    assert view["answers"].tolist() == ["22 of 27", "n = 25"]
    assert view["printed share, %"].tolist() == ["", "≈ 47"]
    assert view["share, %"].tolist() == ["81", ""] and view["95 % interval, %"].tolist() == ["63–92", ""]


def test_coverage_counts_each_chapter_s_arguments_and_the_tested_ones(monkeypatch):
    from types import SimpleNamespace

    regions = {"testtown": SimpleNamespace(name="Testtown", sections={"history": True, "production_system": True,
                                                                     "innovation_sources": False,
                                                                     "innovation_barriers": True})}
    monkeypatch.setattr(comparison, "get_region", regions.__getitem__)
    cl = _claim_rows()  # two tested production-system arguments, one untested
    shown = {}
    study = SimpleNamespace(regions=["testtown"], data={"claims": cl}, heading=lambda *a, **k: None,
                            say=lambda *a, **k: None, table=lambda frame, name: shown.setdefault(name, frame))
    table = comparison.coverage(study)
    assert table.to_dict("records") == [{"region": "Testtown", "history": "material",
                                         "production system": "3 (2 tested)", "innovation sources": "–",
                                         "innovation barriers": "material"}]


def test_a_table_is_rendered_once_and_read_back_the_same(tmp_path, monkeypatch):
    from analysis.sections import display

    monkeypatch.setenv("ANALYSIS_RENDERED", str(tmp_path / "kept"))
    frame = pd.DataFrame({"group": ["ICT manufacturing", "ICT services"], "employed 2005": [1641, 85]})
    labels = display.Labels({"regions": pd.DataFrame({"region_id": ["horten"], "name": ["Horten"]})})
    first = display.table_html(frame, caption="Employment", labels=labels, table_id="t")
    assert len(list((tmp_path / "kept" / "tables").rglob("*.html"))) == 1
    rendered = display._render_table
    monkeypatch.setattr(display, "_render_table", lambda *a: pytest.fail("a kept table was rendered again"))
    assert display.table_html(frame, caption="Employment", labels=labels, table_id="t") == first
    monkeypatch.setattr(display, "_render_table", rendered)
    # what the table shows is in its key: a value, the caption, the labels
    other_labels = display.Labels({"regions": pd.DataFrame({"region_id": ["horten"], "name": ["Horten (Vestfold)"]})})
    for args in ((frame.assign(**{"employed 2005": [1640, 85]}), "Employment", labels),
                 (frame, "Employment, 2005", labels), (frame, "Employment", other_labels)):
        display.table_html(args[0], caption=args[1], labels=args[2], table_id="t")
    assert len(list((tmp_path / "kept" / "tables").rglob("*.html"))) == 4
    monkeypatch.setenv("ANALYSIS_RENDERED", "off")
    assert display.table_html(frame, caption="Employment", labels=labels, table_id="t") == first

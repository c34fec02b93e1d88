"""Recomputing printed numbers (analysis.reproduce) on small made-up tables: the expression language,
the lookups and every rule that can decide a status."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.reproduce import (DataIndex, NotComputable, evaluate, evaluate_full, judge, lookup, reproduce_all,
                                reproduce_row, unprinted_base)

PV_COLUMNS = ["pv_id", "area", "industry_id", "measure", "period", "value", "decimals", "qualifier", "unit",
              "description", "computed_from", "errata_id", "doc", "source", "lines", "uncomputable_reason"]


def _employment(*rows) -> pd.DataFrame:
    frame = pd.DataFrame([(a, g, y, e, "x", "nibr-2005-11", s, "1-2") for a, g, y, e, s in rows],
                         columns=["area", "industry_id", "year", "employed", "label_printed", "doc", "source", "lines"])
    return frame.astype({"year": "Int64", "employed": "Int64"})


def _locations(*rows) -> pd.DataFrame:
    frame = pd.DataFrame([(r, "partners", "all", loc, v, "percent", None, "x", "nibr-2005-11", "Tabell 8.1", "1-2")
                          for r, loc, v in rows],
                         columns=["region_id", "subject", "category", "location", "value", "unit", "n",
                                  "label_printed", "doc", "source", "lines"])
    return frame.astype({"value": "Float64", "n": "Int64"})


def _pv(pv_id, value, decimals, computed_from, **extra) -> dict:
    row = dict.fromkeys(PV_COLUMNS)
    row.update(pv_id=pv_id, area="testtown", measure="total", period="2005", value=float(value), decimals=decimals,
               unit="persons", description=pv_id, computed_from=computed_from, doc="nibr-2005-11",
               source="Tabell 9.9", lines="1-2")
    row.update(extra)
    return row


def _published(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=PV_COLUMNS).astype({"decimals": "Int64", "value": "Float64"})


@pytest.fixture()
def data() -> dict[str, pd.DataFrame]:
    return {
        "employment": _employment(("testtown", "g1", 1997, 100, "Tabell v.3"), ("testtown", "g1", 2005, 120, "Tabell v.3"),
                                  ("testtown", "g2", 1997, 50, "Tabell v.3"), ("testtown", "g2", 2005, 40, "Tabell v.3"),
                                  # one cell printed by two tables with different numbers
                                  ("testtown", "g3", 2005, 300, "Tabell v.3"), ("testtown", "g3", 2005, 310, "Tabell 4.1")),
        "locations": _locations(("testtown", "local", 25), ("testtown", "regional", 30), ("testtown", "national", 22),
                                ("testtown", "abroad", 23), ("othertown", "local", 40)),
    }


# ---------------------------------------------------------------- the expression language


def test_a_reference_names_the_key_fields_in_order_and_a_change_is_exact(data):
    assert evaluate("employment[testtown,g1,2005] - employment[testtown,g1,1997]", data) == 20
    assert lookup(data, "employment", ["testtown", "g2", "1997"], None, None) == 50


def test_a_cell_that_two_sources_print_differently_must_name_its_source(data):
    with pytest.raises(NotComputable, match=r"differs between sources: 300 \(Tabell v.3\), 310 \(Tabell 4.1\)"):
        evaluate("employment[testtown,g3,2005]", data)
    assert evaluate("employment[testtown,g3,2005,Tabell 4.1]", data) == 310
    assert evaluate("employment[testtown,g3,2005]", data, prefer_source="Tabell v.3") == 300


def test_sum_over_a_wildcard_key_adds_every_cell_of_that_row(data):
    assert evaluate("sum(locations[testtown,partners,all,*,Tabell 8.1])", data) == 100
    # the other town's cell is not in the row
    assert evaluate("sum(locations[*,partners,all,local])", data) == 65


def test_mean_of_references_and_of_a_wildcard(data):
    assert evaluate("mean(locations[testtown,partners,all,local], locations[testtown,partners,all,regional])",
                    data) == 27.5
    assert evaluate("mean(locations[testtown,partners,all,*])", data) == 25


def test_a_wildcard_outside_sum_or_mean_is_not_an_expression(data):
    with pytest.raises(NotComputable):
        evaluate("locations[testtown,partners,all,*] * 2", data)
    with pytest.raises(NotComputable, match="no row"):
        evaluate("sum(locations[nowhere,partners,all,*])", data)


def test_prose_is_not_computable_and_never_guessed(data):
    with pytest.raises(NotComputable, match="no dataset reference"):
        evaluate("value added of KIFT 2011 / 2004 (not printed)", data)
    with pytest.raises(NotComputable, match="division by zero"):
        evaluate("100 * employment[testtown,g1,2005] / (employment[testtown,g1,1997] - 100)", data)


def test_rounded_inputs_give_the_interval_their_half_units_allow(data):
    ev = evaluate_full("mean(locations[testtown,partners,all,local], locations[testtown,partners,all,regional])", data)
    assert (ev.value, ev.rounded_inputs) == (27.5, True)
    assert ev.low == pytest.approx(27.0) and ev.high == pytest.approx(28.0)
    counts = evaluate_full("employment[testtown,g1,2005] + employment[testtown,g2,2005]", data)
    assert (counts.low, counts.high, counts.rounded_inputs) == (160, 160, False)


# ---------------------------------------------------------------- the rules


def _judge(data, expression, value, decimals, **extra):
    row = _pv("x", value, decimals, expression, **extra)
    return judge(evaluate_full(expression, data), row)


def test_counts_are_exact_so_one_job_off_is_a_mismatch_or_with_its_errata_source_inconsistent(data):
    change = "employment[testtown,g1,2005] - employment[testtown,g1,1997]"
    assert (_judge(data, change, 20, 0).status, _judge(data, change, 20, 0).rule) == ("match", "exact")
    assert _judge(data, change, 21, 0).status == "mismatch"
    assert _judge(data, change, 21, 0, errata_id="E800").status == "source-inconsistent"
    # a percentage of counts must print at its own decimals: 20 % is 20.0, not 20.1
    rate = f"100 * ({change}) / employment[testtown,g1,1997]"
    assert _judge(data, rate, 20.0, 1).status == "match" and _judge(data, rate, 20.1, 1).status == "mismatch"


def test_a_value_of_rounded_inputs_matches_within_their_rounding(data):
    mean = "mean(locations[testtown,partners,all,local], locations[testtown,partners,all,regional])"
    verdict = _judge(data, mean, 28.0, 1)  # 27.5 from 25 and 30, each +-0.5: anything in [27, 28]
    assert (verdict.status, verdict.rule) == ("match", "within-rounding")
    assert _judge(data, mean, 28.6, 1).status == "mismatch"


def test_a_qualified_print_is_an_approximation(data):
    total = "employment[testtown,g1,2005] + employment[testtown,g2,2005]"  # 160
    assert (_judge(data, total, 155, 0, qualifier="approx").rule, _judge(data, total, 170, 0, qualifier="under").status) \
        == ("approximate", "match")
    assert _judge(data, total, 100, 0, qualifier="approx").status == "mismatch"
    assert _judge(data, total, 150, 0, qualifier="under").status == "mismatch"  # 'under 150' but 160


def _firm_dynamics(firms_end, established, closed) -> pd.DataFrame:
    return pd.DataFrame([("testtown", "g1", 1998, 2005, firms_end, established, closed, "nibr-2005-11", "Tabell v.6",
                          "1-2")],
                        columns=["area", "industry_id", "period_start", "period_end", "firms_end", "established",
                                 "closed", "doc", "source", "lines"]).astype(
        {"period_start": "Int64", "period_end": "Int64", "firms_end": "Int64", "established": "Int64",
         "closed": "Int64"})


def _rate(pv_id, value, field, **extra) -> dict:
    return _pv(pv_id, value, 0, f"100 * firm_dynamics[testtown,g1,1998,2005,Tabell v.6].{field} / firms in 1998 "
               "(not printed)", industry_id="g1", period="1998-2005", source="Tabell v.6", **extra)


def test_rates_over_an_unprinted_base_share_one_base_or_say_which_does_not(data):
    data["firm_dynamics"] = _firm_dynamics(110, 30, 20)  # stock-flow base 110 - 30 + 20 = 100
    rows = [_rate("entry", 30, "established"), _rate("exit", 20, "closed"),  # both: a base of 100
            _rate("nothing", 0, "established") | {"computed_from": "100 * (firm_dynamics[testtown,g1,1998,2005].closed "
                                                   "- 20) / firms in 1998 (not printed)"},  # 0 from 0
            _rate("off-explained", 40, "closed", errata_id="E801"),  # a base of 50
            # another table's cell whose two rates admit no common base, and no errata say why
            _rate("other-entry", 30, "established") | {"source": "Tabell 4.8"},
            _rate("other-exit", 40, "closed") | {"source": "Tabell 4.8"}]
    verdicts = {k: v for k, (v, _) in unprinted_base(rows, DataIndex(data)).items()}
    assert (verdicts["entry"].status, verdicts["entry"].rule) == ("unprinted-base", "common-base")
    assert "stock-flow base 100" in verdicts["entry"].detail and "lies in it" in verdicts["entry"].detail
    assert (verdicts["nothing"].status, verdicts["nothing"].rule) == ("not-testable", "any-base")
    assert (verdicts["off-explained"].status, verdicts["off-explained"].rule) == ("source-inconsistent", "no-common-base")
    assert {verdicts[k].status for k in ("other-entry", "other-exit")} == {"mismatch"}


def test_reproduce_all_carries_the_declared_reason_of_what_cannot_be_computed(data):
    data["published_values"] = _published(
        _pv("ok", 20, 0, "employment[testtown,g1,2005] - employment[testtown,g1,1997]"),
        _pv("lost", 2, 0, "value added 2011 / 2004 (chart not extracted)", uncomputable_reason="chart-lost-in-extraction"),
        _pv("silent", 2, 0, "turnover 2011 / 2007 (not printed)"))
    out = {r.pv_id: r for r in reproduce_all(data)}
    assert (out["ok"].status, out["ok"].reproduced, out["ok"].reason) == ("match", 20, "")
    assert (out["lost"].status, out["lost"].reason) == ("not-computable", "chart-lost-in-extraction")
    assert (out["silent"].status, out["silent"].reason) == ("not-computable", "")


def test_the_index_answers_repeated_questions_from_what_it_built_once(data):
    data["published_values"] = _published(_pv("ok", 20, 0, "employment[testtown,g1,2005] - employment[testtown,g1,1997]"))
    index = DataIndex(data)
    assert index.unprinted() is index.unprinted()
    assert index.records("employment") is index.records("employment")
    assert reproduce_row(index.records("published_values")[0], index).status == "match"
    assert index.match("locations", ("*", "partners", "all", "local")) == [
        r for r in index.records("locations") if r["location"] == "local"]


# ---------------------------------------------------------------- which run and notebook reproduce a value


def test_every_published_value_has_one_run_and_notebook_and_reference_areas_go_to_their_town():
    from analysis.sections.reproduction import CROSS_REGION, claimants, route

    regions = pd.DataFrame([
        {"region_id": "town-a", "case": True, "reference_areas": "region-a;county;norway", "documents": "doc-1",
         "doc": "doc-1"},
        {"region_id": "town-b", "case": True, "reference_areas": "county;norway", "documents": "doc-1;doc-2",
         "doc": "doc-2"},
        {"region_id": "part-of-b", "case": False, "reference_areas": "town-b;county", "documents": "doc-2",
         "doc": "doc-2"},
        {"region_id": "region-a", "case": False, "reference_areas": "norway", "documents": "doc-1", "doc": "doc-1"},
    ])
    cases, claims = claimants(regions)

    def where(area, doc="doc-1", computed_from="employment[x,g1,2005]"):
        return route({"area": area, "doc": doc, "computed_from": computed_from}, cases, claims)

    assert where("town-a") == ("town-a", "production-system")
    assert where("town-a", computed_from="locations[x,partners,all,local]") == ("town-a", "innovation-sources")
    assert where("region-a") == ("town-a", "production-system")  # town-a's reference area
    assert where("part-of-b") == ("town-b", "production-system")  # an area that names town-b as its own
    assert where("county", doc="doc-2") == ("town-b", "production-system")  # two claimants, one has the document
    assert where("county", doc="doc-1") == ("town-a", "production-system")  # both have it: the registry row's own
    assert where("tech-towns") == (CROSS_REGION, "comparison")
    assert where("norway", doc="doc-2") == (CROSS_REGION, "national-context")
    assert where("somewhere-else") == (CROSS_REGION, "national-context")

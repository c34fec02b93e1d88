"""The national-context notebook: where Norway's high-tech employment is (NIBR-rapport 2005:11,
ch. 3) and the rural context of the 2018 Distriktssenteret anthology, as far as their numbers go."""

from __future__ import annotations

import pandas as pd

from analysis import indicators as ind
from analysis import plots
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    Study, citation, open_study as _open_study,
)
from analysis.sections.claims import synthesis, verdict_sentence  # noqa: F401
from analysis.sections.reproduction import NATIONAL_AREAS, reproduce_published  # noqa: F401

NOTEBOOK = "national-context"
MUNICIPALITY_TYPES = ["big-cities", "medium-cities", "small-towns", "other-municipalities"]


def open_study(regions=None, output_dir: str = "", data=None) -> Study:
    return _open_study(regions, output_dir, NOTEBOOK, data)


def municipality_types(study: Study) -> pd.DataFrame:
    """High-tech employment by municipality type (Tabell 3.2), beside the population shares where printed."""
    emp = study.data["employment"]
    sub = emp[(emp["source"] == "Tabell 3.2") & emp["area"].isin(MUNICIPALITY_TYPES)]
    if sub.empty:
        return sub
    levels = sub.set_index("area")["employed"].astype(float).reindex(MUNICIPALITY_TYPES)
    shares = 100 * ind.shares(levels)
    table = pd.DataFrame({"type": [study.area(a) for a in MUNICIPALITY_TYPES], "area": MUNICIPALITY_TYPES,
                          "employed": levels.astype(int).values, "share of high-tech employment, %": shares.values})
    pop = study.data["indicators"]
    pop = pop[(pop["indicator"] == "population-share") & pop["category"].isin(MUNICIPALITY_TYPES)]
    if not pop.empty:
        table["share of population, %"] = table["area"].map(pop.set_index("category")["value"])
    study.heading("High-tech employment by municipality type, 2005 (Tabell 3.2)")
    for r in table.to_dict("records"):
        study.findings.record(f"national.ht-share.{r['area']}", round(float(r["share of high-tech employment, %"]), 4),
                              "percent", f"Share of national high-tech employment in {r['type']} (Tabell 3.2)")
    study.table(table.drop(columns="area"), "municipality-types")
    long = table.melt(id_vars=["type"], value_vars=[c for c in table.columns if c.startswith("share")],
                      var_name="measure", value_name="percent")
    fig = plots.grouped_bars(long, "type", "percent", "High-tech employment and population by municipality type",
                             "Share of Norway's total (%)", group="measure",
                             colours={"share of population, %": plots.BENCHMARK_COLOUR}, ylabel="Municipality type")
    study.figure(fig, "municipality-types", citation(sub if pop.empty else pd.concat([sub, pop])), long)
    return table


def national_indicators(study: Study) -> pd.DataFrame:
    ind_ = study.data["indicators"]
    sub = ind_[ind_["topic"].isin(["national-context", "rural-context"])]
    if sub.empty:
        return sub
    study.heading("National and rural indicators")
    shown = sub.assign(area=sub["region_id"].map(study.area))[
        ["topic", "area", "description", "period", "value", "unit", "source", "lines"]].sort_values(["topic", "area"])
    return study.table(shown, "national-indicators")


def largest_milieus(study: Study) -> pd.DataFrame:
    """The largest high-tech milieus as far as chapter 3 prints them (Oslo, the Oslo region, Bergen and
    Stavanger as ranges) beside the four technology towns (Tabell 3.3), as shares of Norway's high-tech jobs."""
    emp, ind_ = study.data["employment"], study.data["indicators"]
    total = emp[(emp["area"] == "norway") & (emp["industry_id"] == "htn") & (emp["source"] == "§3.2")]
    if total.empty:
        return total
    national = float(total["employed"].iloc[0])
    rows = [{"milieu": study.area(r["area"]), "low": r["employed"], "high": r["employed"], "source": r["source"]}
            for r in emp[(emp["industry_id"] == "htn") & (emp["source"] == "§3.3")].to_dict("records")]
    ranges = ind_[(ind_["indicator"] == "htn-employed") & (ind_["source"] == "§3.3")]
    for area, g in ranges.groupby("region_id"):
        v = g.set_index("category")["value"]
        rows.append({"milieu": study.area(area), "low": v.get("range-low"), "high": v.get("range-high"), "source": "§3.3"})
    towns = emp[(emp["industry_id"] == "specialised") & (emp["source"] == "Tabell 3.3")]
    rows += [{"milieu": f"{study.area(r['area'])} (specialised industries)", "low": r["employed"], "high": r["employed"],
              "source": r["source"], "town": True} for r in towns.to_dict("records")]
    table = pd.DataFrame(rows).sort_values("high", ascending=False)
    # the towns' milieus are their specialised high-tech *and related* industries: no share of HTN
    table["share of Norway's high-tech employment, %"] = [
        "–" if town is True else f"{100 * lo / national:.0f}" if lo == hi else f"{100 * lo / national:.0f}–{100 * hi / national:.0f}"
        for lo, hi, town in zip(table["low"], table["high"], table.get("town", [None] * len(table)))]
    table = table.drop(columns="town").astype({"low": "Int64", "high": "Int64"})
    study.heading("The largest high-tech milieus")
    study.say(f"Chapter 3 puts Norway's high-tech industries (HTN) at {national:,.0f} employed in 2005 (§3.2) and names "
              "the largest milieus; the towns' own technology milieus (Tabell 3.3, their specialised industries) are "
              "shown beside them. Bergen and Stavanger are printed as a range.")
    table["kind"] = ["technology town (its specialised industries)" if "specialised" in m else "high-tech milieu"
                     for m in table["milieu"]]
    fig = plots.range_dots(table, "milieu", "low", "high", "The largest high-tech milieus and the four technology towns, 2005",
                           "Employed persons (log scale; a bar where the source prints a range)", log=True, group="kind")
    study.figure(fig, "largest-milieus", citation(pd.concat([total, emp[emp["source"] == "§3.3"], towns])), table)
    study.table(table.rename(columns={"low": "employed (low end)", "high": "employed (high end)"}), "largest-milieus")
    return table


def national_benchmarks(study: Study) -> pd.DataFrame:
    """The national figures the town chapters compare with: Norway's technology industries by group
    1997-2005 (the four towns + the rest of the country, Tabell v.3) and chapter 3's national totals."""
    emp = study.data["employment"]
    v3 = emp[(emp["source"] == "Tabell v.3") & emp["area"].isin(["tech-towns", "rest-of-norway"])
             & emp["industry_id"].str.fullmatch(r"g[1-7]")]
    if v3.empty:
        return v3
    nat = v3.groupby(["industry_id", "year"], as_index=False)["employed"].sum()
    table = ind.change_table(nat.assign(area="norway", source="sum"), "norway", 1997, 2005, "sum")
    table.insert(0, "group", table["industry_id"].map(study.industry))
    e0, e1 = float(table["e_t0"].sum()), float(table["e_t1"].sum())
    study.heading("The national benchmark of the town chapters")
    study.say(f"Norway's technology industries (the appendix's seven groups; the four towns + the rest of the "
              f"country, Tabell v.3) employed {e0:,.0f} in 1997 and {e1:,.0f} in 2005 ({ind.rel_change(e1, e0):+.1f} %): "
              "the reference of the towns' changes, specialisation and shift-share.")
    study.findings.record("national.tech-total.rel-change-pct.1997-2005", ind.rel_change(e1, e0), "percent",
                          "Change of Norway's technology employment (Tabell v.3, towns + rest)")
    shown = table[["group", "e_t0", "e_t1", "abs_change", "rel_change_pct"]].rename(columns={
        "e_t0": "employed 1997", "e_t1": "employed 2005", "abs_change": "change", "rel_change_pct": "change, %"})
    study.table(shown, "national-benchmark", decimals={"change, %": 1})
    return table


def conclusion(study: Study) -> None:
    """Chapter 3's conclusion from the numbers above."""
    got = {r["id"]: r["value"] for r in study.findings.records()}
    pop = study.data["indicators"]
    pop = pop[pop["indicator"] == "population-share"].set_index("category")["value"]
    parts = []
    if all(f"national.ht-share.{a}" in got for a in MUNICIPALITY_TYPES) and not pop.empty:
        over = max(MUNICIPALITY_TYPES, key=lambda a: got[f"national.ht-share.{a}"] / pop.get(a, float("inf")))
        parts.append(f"High-tech employment is most over-represented in {study.area(over).lower()}: "
                     f"{got[f'national.ht-share.{over}']:.0f} % of the jobs against {pop[over]:.0f} % of the population")
    if "national.tech-total.rel-change-pct.1997-2005" in got:
        parts.append(f"Norway's technology industries grew {got['national.tech-total.rel-change-pct.1997-2005']:.1f} % "
                     "between 1997 and 2005")
    study.heading("Conclusion")
    study.say(("; ".join(parts) + ". " if parts else "") + verdict_sentence(study, "national-context", "norway"))

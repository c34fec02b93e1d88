"""The national-context notebook: where Norway's high-tech employment is (NIBR-rapport 2005:11,
ch. 3) and the rural context of the 2018 Distriktssenteret anthology, as far as their numbers go."""

from __future__ import annotations

import pandas as pd

from analysis import indicators as ind
from analysis import plots
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    Study, citation, open_study as _open_study,
)
from analysis.sections.claims import synthesis  # noqa: F401
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

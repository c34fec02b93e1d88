"""The history notebook: dated events and employment series."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis import plots
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    GROUPS, Case, Study, citation, header, named, open_case as _open_case, qualitative, reproduce_published, rotate, slug,
)


# ---------------------------------------------------------------------------------------------- history

def history_events(case: Case) -> pd.DataFrame:
    """The dated events of the region, as a timeline coloured by phase and as a cited table."""
    ev = case.rows("history_events").copy()
    if ev.empty:
        case.no_data("dated history", "a chronology of the region's firms and institutions")
        return ev
    ev = ev.sort_values(["year", "event_id"], na_position="last")
    dated = ev[ev["year"].notna()]
    if not dated.empty:
        fig = plots.timeline(dated, title=f"{case.region.name}: dated events by phase")
        case.figure(fig, "timeline", citation(dated))
    table = ev[["year", "year_end", "precision", "event", "actors", "phase", "doc", "source", "lines"]]
    case.table(table, "events")
    case.findings.record("history.events", len(ev), "events", "Dated and undated history events in the sources")
    if not dated.empty:
        case.findings.record("history.first-year", int(dated["year"].min()), "year", "Earliest dated event")
    undated = int(ev["year"].isna().sum())
    if undated:
        case.say(f"{undated} event(s) have no date in the sources; they are listed in the table, not on the timeline.")
    return table


def employment_history(case: Case) -> pd.DataFrame:
    """Employment levels by industry and year, and the printed index series."""
    emp = case.rows("employment")
    idx = case.rows("employment_index")
    if emp.empty and idx.empty:
        case.no_data("employment series", "register employment by industry and year (e.g. SSB table 07984)")
        return emp
    if not emp.empty:
        levels = emp.pivot_table(index=["source", "industry_id", "label_printed"], columns="year",
                                 values="employed", aggfunc="first").reset_index()
        levels.columns = [str(c) for c in levels.columns]
        case.table(levels, "employment-levels")
        two = emp.groupby(["source", "industry_id"])["year"].nunique()
        paired = two[two >= 2].index
        if len(paired):
            sub = emp.set_index(["source", "industry_id"]).loc[paired].reset_index()
            sub = sub[sub["industry_id"].isin(GROUPS) | sub["industry_id"].str.startswith("tech-")]
            if not sub.empty:
                fig, ax = plt.subplots(figsize=(8, 4.5))
                sns.barplot(data=named(sub).assign(year=sub["year"].astype(str)), x="industry", y="employed",
                            hue="year", ax=ax, errorbar=None)
                rotate(ax)
                ax.set(title=f"{case.region.name}: employment by industry group",
                       xlabel="industry group (appendix groups g1–g7, tech totals)", ylabel="employed persons")
                case.figure(fig, "employment-levels", citation(sub))
    if not idx.empty:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for (area_label, ind_id), g in idx.groupby(["label_printed", "industry_id"]):
            g = g.sort_values("year")
            ax.plot(g["year"], g["index"], marker="o", label=f"{area_label}")
        base = int(idx["base_year"].iloc[0])
        ax.axhline(100, color="grey", lw=0.8)
        ax.set(title=f"{case.region.name}: employment index ({base} = 100)", xlabel="year",
               ylabel=f"index, {base} = 100")
        ax.legend(fontsize="small")
        case.figure(fig, "employment-index", citation(idx))
        lo = idx.loc[idx["index"].idxmin()]
        case.findings.record("history.index-low", float(lo["index"]), "index",
                             f"Lowest index value of {lo['label_printed']} ({int(lo['year'])})")
    return emp




NOTEBOOK = "history"


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)

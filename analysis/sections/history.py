"""The history notebook: how the milieu grew up -- dated events, the numbers the history tells
(a firm's employment, exports, turnover over time) and the employment index beside its benchmarks.
"""

from __future__ import annotations

import textwrap

import pandas as pd

from analysis import plots

from analysis.sections.base import cite
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    Case, as_printed, citation, header, number, open_case as _open_case,
)
from analysis.sections import material
from analysis.sections.claims import synthesis, verdict_sentence  # noqa: F401
from analysis.sections.clusters import printed
from analysis.sections.display import by_period
from analysis.sections.reproduction import reproduce_published  # noqa: F401

NOTEBOOK = "history"
LOG_SPAN = 20  # a series whose largest value is this many times its smallest is drawn on a log scale


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)


def short_label(event: dict) -> str:
    """A short readable name for an event on a timeline: the event text, shortened."""
    return textwrap.shorten(str(event["event"]).split(";")[0].split(" (")[0], 58, placeholder=" …")


# The making of a source is not the region's history: the foresight workshops that produced
# Telemarksforsking's Sandefjord report are left out of the region's timeline.
OWN_MAKING = ("foresight process",)
MIN_TIMELINE = 2  # fewer dated events are listed, not drawn


def region_events(case: Case) -> pd.DataFrame:
    """The region's history events, without those of the making of a source (:data:`OWN_MAKING`)."""
    ev = case.rows("history_events")
    if ev.empty:
        return ev
    return ev[~ev["phase"].fillna("").str.startswith(OWN_MAKING)]


def _phase_lists(events: pd.DataFrame) -> str:
    """Events listed phase by phase, each with its citation."""
    return "\n\n".join(f"**{phase[0].upper() + phase[1:]}**\n" + "\n".join(
        f"- {e['event']} ({cite(e['source'], e['lines'])})" for e in g.to_dict("records"))
        for phase, g in events.groupby(events["phase"].fillna("(no phase)"), sort=False))


def events(case: Case) -> pd.DataFrame:
    """The dated events of the region as a timeline coloured by phase, and the undated ones by phase."""
    ev = region_events(case).copy()
    if ev.empty:
        return ev
    case.heading("Timeline" if ev["year"].notna().sum() >= MIN_TIMELINE else "The history the sources tell")
    ev = ev.sort_values(["year", "event_id"], na_position="last")
    if "label" not in ev.columns or ev["label"].isna().any():
        ev["label"] = [e.get("label") if isinstance(e.get("label"), str) else short_label(e) for e in ev.to_dict("records")]
    dated = ev[ev["year"].notna()]
    case.findings.record("history.events", len(ev), "events", "Dated and undated history events in the sources")
    if not dated.empty:
        first, last = int(dated["year"].min()), int(dated["year"].max())
        case.findings.record("history.first-year", first, "year", "Earliest dated event")
    if len(dated) >= MIN_TIMELINE:
        case.say(f"{len(dated)} dated events from {first} to {last}, coloured by the phase the source assigns them to"
                 + (f"; {len(ev) - len(dated)} more without a date are listed below the figure, never placed by guess."
                    if len(ev) > len(dated) else "."))
        fig = plots.timeline(dated, f"{case.name}: dated events by phase")
        case.figure(fig, "timeline", citation(dated), dated[["year", "year_end", "label", "phase", "source", "lines"]])
    elif not dated.empty:
        case.say("\n".join(f"- {int(e['year'])}: {e['event']} ({cite(e['source'], e['lines'])})"
                           for e in dated.to_dict("records")))
    undated = ev[ev["year"].isna()]
    if not undated.empty:
        case.say(("Without a date in the sources, by the phase they assign:\n\n" if not dated.empty else
                  "The sources date none of it; by the phase they assign:\n\n") + _phase_lists(undated))
    table = ev[["year", "year_end", "event", "actors", "phase", "source", "lines"]].rename(columns={"year_end": "until"})
    case.table(table, "events", show=False)
    return table


def series(case: Case) -> pd.DataFrame:
    """Numbers the history tells over time: one figure per subject and measure with three or more dated values."""
    hs = case.rows("history_series")
    if hs.empty:
        return hs
    drawn = []
    for (subject_id, measure), g in hs.groupby(["subject_id", "measure"], sort=False):
        g = g.sort_values("year")
        if g["year"].nunique() < 3:
            continue
        if not drawn:
            case.heading("The history in numbers")
        subject, unit = case.term("history-subject", subject_id), g["unit"].iloc[0]
        span = g["value"].max() / max(g["value"].min(), 1e-9)
        log = bool(g["value"].min() > 0 and span >= LOG_SPAN)
        fig = plots.series_lines(g.assign(series=subject), "year", "value", "series",
                                 # a subject that names the town ("Kongsberg's industrial firms") needs no prefix
                                 f"{'' if subject.startswith(case.name.split(' (')[0]) else case.name + ': '}"
                                 f"{subject}, {measure.replace('-', ' ')}",
                                 f"{measure.replace('-', ' ').capitalize()} ({unit}{', log scale' if log else ''})", log=log)
        case.figure(fig, f"series-{subject_id}-{measure}", citation(g), g[["year", "value", "unit", "qualifier", "source", "lines"]])
        first, last = g.iloc[0], g.iloc[-1]
        case.say(f"{subject}: {measure.replace('-', ' ')} from {as_printed(first['value'])} {unit} in {int(first['year'])} "
                 f"to {as_printed(last['value'])} in {int(last['year'])}.")
        drawn.append((subject_id, measure))
    rest = hs[~hs.set_index(["subject_id", "measure"]).index.isin(drawn)]
    if not rest.empty:
        if not drawn:
            case.heading("The history in numbers")
        full = rest[["subject", "measure", "year", "value", "unit", "qualifier", "source", "lines"]]
        case.table(full, "history-numbers", views=numbers_views(full))
    return hs


def numbers_views(numbers: pd.DataFrame) -> list[tuple[pd.DataFrame, str | None]]:
    """The history's other numbers for reading: each value with the source's mark ('≈ 70', '< 30') and one
    citation; a subject's measure given for two or more years as one row with the years as columns."""
    shown = pd.DataFrame({"subject": numbers["subject"].values, "measure": numbers["measure"].str.replace("-", " ").values,
                          "unit": numbers["unit"].values, "year": numbers["year"].astype("Int64").values,
                          "value": [printed(v, q) for v, q in zip(numbers["value"], numbers["qualifier"])],
                          "source": [cite(s, x) for s, x in zip(numbers["source"], numbers["lines"])]})
    wide, rest = by_period(shown, ["subject", "measure", "unit"], "year", "value", cite="source")
    views = []
    if not wide.empty:
        views.append((wide, "Numbers the history gives for two or more years"))
    if not rest.empty:
        views.append((rest[["subject", "measure", "year", "value", "unit", "source"]],
                      "Other numbers of the history" if views else None))
    return views


def employment_index(case: Case) -> pd.DataFrame:
    """The printed employment index series of the region beside the comparison series the source prints."""
    idx = case.data["employment_index"]
    mine = idx[idx["area"] == case.rid]
    if mine.empty:
        return mine
    case.heading("Employment index")
    out = []
    for source, g in idx[idx["source"].isin(mine["source"].unique())].groupby("source"):
        g = g.assign(series=g["area"].map(case.area) + " – " + g["industry_id"].map(case.industry))
        base = int(g["base_year"].iloc[0])
        own = g[g["area"] == case.rid]
        bench = sorted(set(g.loc[g["area"] != case.rid, "series"]))
        fig = plots.series_lines(g, "year", "index", "series",
                                 f"{case.name}: employment index ({base} = 100) beside the source's comparison series",
                                 f"Index, {base} = 100", benchmarks=bench, reference=100)
        case.figure(fig, f"employment-index-{source.lower().replace(' ', '-').replace('.', '-')}", citation(g),
                    g[["series", "area", "industry_id", "year", "index"]])
        for industry, series in own.groupby("industry_id", sort=False):
            lo, last = series.loc[series["index"].idxmin()], series.loc[series["year"].idxmax()]
            case.findings.record(f"history.index-low.{industry}", float(lo["index"]), "index",
                                 f"Lowest index value of {case.name}, {case.industry(industry)} ({int(lo['year'])})")
            comps = g[(g["area"] != case.rid) & (g["industry_id"] == industry) & (g["year"] == last["year"])]
            comp_text = "; ".join(f"{case.area(r['area'])} {number(r['index'])}" for r in comps.to_dict("records"))
            case.say(f"{case.industry(industry)}: lowest {number(lo['index'], 1)} in {int(lo['year'])}, "
                     f"{number(last['index'], 1)} in "
                     f"{int(last['year'])}" + (f", against {comp_text} in the same industry." if comp_text else "."))
        out.append(g)
    return pd.concat(out, ignore_index=True)


def case_material(case: Case) -> pd.DataFrame:
    """The history in the case material, by document where several speak of the region; a statement that
    cites lines within an event's (same document) is told by the event and not repeated."""
    ev = region_events(case)
    cc = case.rows("case_content", section="history")
    told = [(d, material.cited_lines(x)) for d, x in zip(ev["doc"], ev["lines"])] if not ev.empty else []
    repeated = cc[[any(d == doc and material.cited_lines(x) <= t for doc, t in told)
                   for d, x in zip(cc["doc"], cc["lines"])]] if not cc.empty else cc
    return material.show(case, "history", "The history in the case material", exclude=repeated)


def conclusion(case: Case) -> None:
    """The chapter's conclusion from what it showed: the span of the dated history, the numbers that
    tell it, the index against its benchmark, and how far the printed data bear out the argument (for the
    NIBR towns: the other regions' sources tell too little history for a conclusion beyond what is shown)."""
    got = {r["id"]: r for r in case.findings.records()}
    if "history.events" not in got or not case.is_nibr_town:
        return
    parts = []
    first = got.get("history.first-year")
    events = int(got["history.events"]["value"])
    parts.append(f"The sources date {case.name}'s milieu back to {int(first['value'])} and record {events} events of its history"
                 if first else f"The sources record {events} events of {case.name}'s history, none of them dated")
    hs = case.rows("history_series")
    long = hs.groupby(["subject_id", "measure"]).filter(lambda g: g["year"].nunique() >= 3) if not hs.empty else hs
    for _, g in (long.groupby(["subject_id", "measure"], sort=False) if not long.empty else []):
        g = g.sort_values("year")
        parts.append(f"{case.term('history-subject', g['subject_id'].iloc[0])}'s {g['measure'].iloc[0].replace('-', ' ')} went from "
                     f"{as_printed(g['value'].iloc[0])} in {int(g['year'].iloc[0])} to {as_printed(g['value'].iloc[-1])} {g['unit'].iloc[-1]} in {int(g['year'].iloc[-1])}")
    low = next((r for k, r in got.items() if k.startswith("history.index-low.")), None)
    if low:
        parts.append(f"the employment index fell to {number(low['value'], 1)} ({low['description'].split('(')[-1].rstrip(')')})")
    case.conclude(parts, verdict_sentence(case, "history"))

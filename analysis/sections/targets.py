"""A region's targets against their status, computed (``data/targets.csv``): the yearly growth a level
target needs from its baseline, against the growth achieved in the status period; a relative target
(the national average) against the last status; what the source prints where it differs (errata).

Written for Sarpsborg kommune's 2023 note (at least 33 000 jobs in 2030, about 6 000 more than in 2017,
1,5 % a year; 0.9 % a year achieved 2017-2021; tax revenue 79.9 % of the national average in 2016).
Shown from the production-system notebook (:func:`analysis.sections.production_system.targets`).
"""

from __future__ import annotations

import math

import pandas as pd

from analysis import indicators as ind
from analysis import plots
from analysis.sections.base import Case, as_printed, citation, number

NATIONAL_LEVEL = 100.0  # 'på nivå med landsgjennomsnittet': the national average is 100 % of itself
RATE = "per year"  # a target or status unit of an annual rate


def _period(text) -> tuple[int, int] | None:
    parts = str(text).split("-")
    return (int(parts[0]), int(parts[-1])) if all(p.isdigit() for p in parts) and len(parts) <= 2 else None


def _as_printed(r: dict) -> str:
    if pd.isna(r["target_value"]):
        return ""
    mark = {"minimum": "at least ", "maximum": "at most ", "approx": "about "}.get(str(r["target_qualifier"]), "")
    return f"{mark}{as_printed(r['target_value'])} {r['target_unit']}"


def overview(case: Case, tg: pd.DataFrame) -> pd.DataFrame:
    """The targets with their status as printed, one row each."""
    table = pd.DataFrame({
        "target": tg["indicator"], "as printed": [f"«{t}»" for t in tg["target_text"]],
        "value": [_as_printed(r) for r in tg.to_dict("records")],
        "target year": tg["target_year"], "baseline year": tg["baseline_year"], "status as printed": tg["status"],
        "status period": tg["status_period"].fillna(""),
        "source": (tg["source"] + ", lines " + tg["lines"]).values})
    return case.table(table, "targets")


def growth_set(tg: pd.DataFrame) -> tuple[dict, dict, dict] | None:
    """(level target, its implied change, the rate): a level target, a change target in the same unit with the
    same years (the smaller of the two), and an annual-rate target with the same years, where printed."""
    for rate in tg[tg["target_unit"].fillna("").str.endswith(RATE)].to_dict("records"):
        same = tg[(tg["target_year"] == rate["target_year"]) & (tg["baseline_year"] == rate["baseline_year"])
                  & ~tg["target_unit"].fillna("").str.endswith(RATE) & tg["target_value"].notna()]
        for unit, g in same.groupby("target_unit"):
            if len(g) == 2:
                level, change = g.sort_values("target_value", ascending=False).to_dict("records")
                return level, change, rate
    return None


def _rounding_half(value: float) -> float:
    """Half the unit of the last non-zero digit of a rounded print ('rundt 6 000' -> 500)."""
    digits = len(str(int(value))) - len(str(int(value)).rstrip("0"))
    return 0.5 * 10 ** digits if digits else 0.5


def job_path(case: Case, level: dict, change: dict, rate: dict) -> dict:
    """The growth the level target needs from its baseline, against the growth achieved; the path drawn."""
    t0, t1 = int(rate["baseline_year"]), int(rate["target_year"])
    base = level["target_value"] - change["target_value"]
    needed = ind.annual_growth(level["target_value"], base, t1 - t0)
    out = {"base": base, "needed": needed, "printed": rate["target_value"], "t0": t0, "t1": t1}
    if change["target_qualifier"] == "approx":
        half = _rounding_half(change["target_value"])
        out["needed_range"] = tuple(ind.annual_growth(level["target_value"], level["target_value"] - c, t1 - t0)
                                    for c in (change["target_value"] - half, change["target_value"] + half))
    period = _period(rate["status_period"])
    if pd.notna(rate["status_value"]) and period:
        s0, s1 = period
        reached = ind.compound(base, rate["status_value"], s1 - s0)
        out.update(achieved=rate["status_value"], s1=s1, reached=reached,
                   after=ind.annual_growth(level["target_value"], reached, t1 - s1),
                   at_achieved=ind.compound(base, rate["status_value"], t1 - t0))
    return out


def _path_frame(p: dict, target: float) -> pd.DataFrame:
    rows = [(y, ind.compound(p["base"], p["needed"], y - p["t0"]), f"the path the target needs "
             f"({number(p['needed'], 2)} % a year)") for y in range(p["t0"], p["t1"] + 1)]
    if "achieved" in p:
        rows += [(y, ind.compound(p["base"], p["achieved"], y - p["t0"]),
                  f"achieved {number(p['achieved'], 1)} % a year, {p['t0']}–{p['s1']}") for y in range(p["t0"], p["s1"] + 1)]
        rows += [(y, ind.compound(p["base"], p["achieved"], y - p["t0"]), f"{number(p['achieved'], 1)} % a year "
                  f"continued to {p['t1']}") for y in range(p["s1"], p["t1"] + 1)]
    if "after" in p:
        rows += [(y, ind.compound(p["reached"], p["after"], y - p["s1"]), f"the path needed from {p['s1']} "
                  f"({number(p['after'], 2)} % a year)") for y in range(p["s1"], p["t1"] + 1)]
    rows.append((p["t1"], target, f"the target ({number(target)})"))
    return pd.DataFrame(rows, columns=["year", "level", "series"])


def job_growth(case: Case, tg: pd.DataFrame) -> dict | None:
    """Required against achieved growth of a level target, computed from the printed target, change and rates."""
    found = growth_set(tg)
    if found is None:
        return None
    level, change, rate = found
    p = job_path(case, level, change, rate)
    unit = level["target_unit"]
    text = (f"**{level['indicator']}.** The target is {_as_printed(level)} in {p['t1']}, "
            f"{_as_printed(change)} more than in {p['t0']}; the {p['t0']} level is not printed, so the start of the "
            f"path is the difference, {number(p['base'])} {unit}. From there the target needs "
            f"**{number(p['needed'], 2)} % a year** for {p['t1'] - p['t0']} years; the note prints "
            f"{number(p['printed'], 1)} %.")
    err = case.errata_affecting(f"targets[{rate['target_id']}]")
    if "needed_range" in p:
        lo, hi = sorted(p["needed_range"])
        text += (f" With the change anywhere in what '{_as_printed(change)}' allows "
                 f"({number(change['target_value'] - _rounding_half(change['target_value']))}–"
                 f"{number(change['target_value'] + _rounding_half(change['target_value']))}), the rate lies between "
                 f"{number(lo, 2)} and {number(hi, 2)} %, so the printed rate is "
                 f"{'within' if lo <= p['printed'] <= hi else 'outside'} what the rounded inputs allow")
        text += (f" (errata {', '.join(err['errata_id'])})." if not err.empty else ".")
    if "achieved" in p:
        text += (f" Achieved: {number(p['achieved'], 1)} % a year from {p['t0']} to {p['s1']}, which takes the start to "
                 f"about {number(p['reached'])} in {p['s1']}; from there the target needs **{number(p['after'], 2)} % a "
                 f"year** to {p['t1']}. At the achieved rate the level would reach about {number(p['at_achieved'])} in "
                 f"{p['t1']}, {number(level['target_value'] - p['at_achieved'])} short of the target.")
    if pd.notna(change.get("status_value")):
        text += (f" The note's other status, {change['status_period']}: "
                 f"{change['status'][0].lower() + change['status'][1:]}.")
    case.say(text)
    rid = level["target_id"]
    for key, value, what, unit_ in (("needed-rate", p["needed"], "Annual growth the target needs from the baseline", "% per year"),
                                    ("start-level", p["base"], "Baseline level implied by the target and its change", unit),
                                    ("needed-rate-after-status", p.get("after"), "Annual growth needed after the status period", "% per year"),
                                    ("level-at-achieved-rate", p.get("at_achieved"), "Level in the target year at the achieved rate", unit)):
        if value is not None and math.isfinite(value):
            case.findings.record(f"targets.{rid}.{key}", round(float(value), 4), unit_, f"{what} ({level['indicator']})")
    frame = _path_frame(p, level["target_value"])
    bench = [s for s in dict.fromkeys(frame["series"]) if "continued" in s]
    title = (f"{case.name}: {level['indicator'][:1].lower() + level['indicator'][1:]} against the {p['t1']} target "
             "(levels implied by the printed target, change and rates)")
    fig = plots.series_lines(frame, "year", "level", "series", title, unit[:1].upper() + unit[1:], benchmarks=bench)
    case.figure(fig, f"target-path-{rid}", citation(pd.DataFrame([level, change, rate])), frame, caption=title)
    return p


def relative_targets(case: Case, tg: pd.DataFrame) -> pd.DataFrame:
    """A target at the national average (no number printed: 100 % of it) against the status level."""
    rel = tg[tg["target_value"].isna() & tg["target_unit"].fillna("").str.startswith("% of national average")
             & (tg["status_direction"] == "level") & tg["status_value"].notna()]
    out = []
    for r in rel.to_dict("records"):
        period = _period(r["status_period"])
        if period is None or pd.isna(r["target_year"]):
            continue
        years = int(r["target_year"]) - period[1]
        faster = ind.annual_growth(NATIONAL_LEVEL, r["status_value"], years)
        case.findings.record(f"targets.{r['target_id']}.gap", round(NATIONAL_LEVEL - r["status_value"], 4),
                             "percentage points", f"Distance to the national average ({r['indicator']})")
        case.findings.record(f"targets.{r['target_id']}.relative-growth-needed", round(faster, 4), "% per year",
                             f"Yearly growth above the national average the target needs ({r['indicator']})")
        case.say(f"**{r['indicator']}.** The target is the national level by {int(r['target_year'])} (100 % of the "
                 f"average); in {period[1]} it stood at {number(r['status_value'], 1)} %, "
                 f"{number(NATIONAL_LEVEL - r['status_value'], 1)} points below. To close the gap in the "
                 f"{years} years to {int(r['target_year'])} it must grow about **{number(faster, 2)} % a year faster "
                 "than the national average**; the note prints no later status.")
        out.append(r)
    return pd.DataFrame(out)


def targets(case: Case) -> pd.DataFrame:
    """The region's targets with a reported status, and what the printed numbers say about reaching them.

    Target sketches without any status (Sandefjord's 2012 strategy areas) are shown with the strategy area
    they belong to (:func:`analysis.sections.innovation_sources.strategy_areas`).
    """
    tg = case.rows("targets")
    if tg.empty:
        return tg
    tg = tg[tg["doc"].isin(tg.loc[tg["status_value"].notna(), "doc"])]
    if tg.empty:
        return tg
    case.heading("Targets against their status")
    case.say("The targets as printed, each with the status the source reports; below, what the printed numbers "
             "imply for reaching them (every level and rate computed from the printed ones, never typed).")
    overview(case, tg)
    job_growth(case, tg)
    relative_targets(case, tg)
    return tg

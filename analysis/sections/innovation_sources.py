"""The innovation-sources notebook: rankings, survey shares, partners."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis import survey as sv
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    GROUPS, Case, Study, citation, header, named, open_case as _open_case, qualitative, reproduce_published, rotate, slug,
)


# ----------------------------------------------------------------------------------------- survey

def rankings(case: Case, question: str, title: str) -> pd.DataFrame:
    r = case.rows("survey_rankings", question=question)
    if r.empty:
        return r
    items = case.data["survey_items"].query("question == @question")[["item_id", "label_en"]]
    r = r.merge(items, on="item_id", how="left")
    wide = r.pivot_table(index=["item_id", "label_en"], columns="firm_group", values="rank", aggfunc="first")
    wide = wide.reset_index().sort_values(list(wide.columns[2:3]) or ["item_id"])
    case.table(wide, f"{question}-ranks")
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(wide) + 1.5))
    sns.stripplot(data=r, y="label_en", x="rank", hue="firm_group", ax=ax, size=8, jitter=False, dodge=True)
    ax.set(title=f"{case.region.name}: {title}", xlabel="rank (1 = most important; ties share a rank)", ylabel="item")
    ax.invert_xaxis()
    case.figure(fig, f"{question}-ranks", citation(r))
    groups = sorted(r["firm_group"].unique())
    if len(groups) >= 2:
        agr = sv.agreement(r.assign(question=question), by="firm_group")
        if not agr.empty:
            case.table(agr, f"{question}-agreement")
            for a in agr[agr["defined"].fillna(False)].to_dict("records"):
                case.findings.record(f"{question}.tau.{a['a']}.{a['b']}", round(float(a["tau"]), 4), "Kendall tau",
                                     f"Rank agreement ({question}) between {a['a']} and {a['b']} over {a['n']} common items")
        else:
            case.say("Fewer than three items are ranked by both groups, so rank agreement cannot be measured.")
    return r


def survey_indicators(case: Case, indicators: list[str] | None = None) -> pd.DataFrame:
    """Printed survey counts and shares, with Wilson intervals and a test against a printed reference share."""
    si = case.rows("survey_indicators")
    if indicators:
        si = si[si["indicator"].isin(indicators)]
    if si.empty:
        return si
    rows = []
    for r in si.to_dict("records"):
        out = {"indicator": r["indicator"], "firm_group": r["firm_group"], "count": r["count"], "n": r["n"],
               "share_pct": r["share_pct"], "qualifier": r["qualifier"], "description": r["description"],
               "source": r["source"], "lines": r["lines"]}
        n = r["n"] if pd.notna(r["n"]) else None
        # intervals only for shares of firms with a printed count (shares of turnover are not binomial)
        if n and pd.notna(r["count"]):
            res = sv.proportion_test(int(r["count"]), int(n), 0.5)
            if res is not None:
                out.update({"ci_low_pct": round(100 * res["ci_low"], 1), "ci_high_pct": round(100 * res["ci_high"], 1)})
                case.findings.record(f"survey.{r['indicator']}.{r['firm_group']}.share", round(100 * res["share"], 2),
                                     "percent", f"{r['description']} (share of {int(n)} firms)")
        rows.append(out)
    table = pd.DataFrame(rows)
    case.table(table, "survey-indicators")
    return table


def _respondents(case: Case, firm_group: str) -> int | None:
    sr = case.data["survey_respondents"]
    hit = sr[(sr["region_id"] == case.rid) & (sr["measure"] == "responded") & (sr["firm_group"] == firm_group)
             & sr["question"].isna()]
    return int(hit["n"].iloc[0]) if not hit.empty else None


def innovator_tests(case: Case) -> list[dict]:
    """The region's printed shares of firms against the printed national share of the same industries.

    National references are the ``norway`` rows of ``survey_indicators`` with the same
    indicator and the same firm group, or a firm group named after the region (e.g.
    ``halden-ict-industries``). Where the source prints a range (25-30 %), the end closest
    to the region's share is used, so the test is conservative. N is the printed N of the
    group, or the region's respondents when the group is all firms; without an N there is
    no test, and the notebook says so.
    """
    si = case.data["survey_indicators"]
    mine = si[(si["region_id"] == case.rid) & si["share_pct"].notna() | (si["region_id"] == case.rid) & si["count"].notna()]
    nat = si[si["region_id"] == "norway"]
    results = []
    for r in mine.to_dict("records"):
        refs = nat[(nat["indicator"] == r["indicator"])
                   & ((nat["firm_group"] == r["firm_group"]) | nat["firm_group"].str.startswith(f"{case.rid}-"))]
        if refs.empty:
            continue
        n = int(r["n"]) if pd.notna(r["n"]) else (_respondents(case, "all") if r["firm_group"] == "all" else None)
        share = (100 * r["count"] / r["n"]) if pd.notna(r["count"]) and pd.notna(r["n"]) else float(r["share_pct"])
        ref = refs.iloc[(refs["share_pct"] - share).abs().argsort().iloc[0]]
        if n is None:
            case.say(f"{r['description']}: {share:.0f} % against {ref['share_pct']:.0f} % nationally "
                     f"({ref['description']}); the source prints no number of firms for this group, so no test.")
            continue
        try:
            res = (sv.proportion_test(int(r["count"]), n, float(ref["share_pct"]) / 100) if pd.notna(r["count"])
                   else sv.share_ci_from_pct(float(r["share_pct"]), n, p0=float(ref["share_pct"]) / 100))
        except ValueError as exc:
            case.say(f"{r['description']}: no test ({exc}).")
            continue
        note = " The count is rebuilt from the printed percentage and N." if pd.isna(r["count"]) else ""
        case.say(f"{r['description']}: **{100 * res['share']:.0f} %** of {n} firms (95 % Wilson interval "
                 f"{100 * res['ci_low']:.0f}–{100 * res['ci_high']:.0f} %) against **{ref['share_pct']:.0f} %** "
                 f"nationally ({ref['description']}); one-sample z-test p = {res['p_value']:.2g}.{note}")
        case.findings.record(f"survey.{r['indicator']}.{r['firm_group']}.vs-national.p", float(res["p_value"]),
                             "p-value", f"z-test of {r['indicator']} ({r['firm_group']}) against the national share")
        results.append(res)
    if not results and not mine.empty:
        case.say("No printed share of this region has both a number of firms and a printed national share to test against.")
    return results


def partner_locations(case: Case) -> pd.DataFrame:
    loc = case.rows("locations", subject="innovation-partners")
    if loc.empty:
        case.no_data("locations of innovation partners", "survey counts of partners by location")
        return loc
    case.table(loc[["category", "location", "value", "unit", "n", "label_printed", "source", "lines"]],
               "partner-locations")
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.barplot(data=loc, x="location", y="value", hue="source", ax=ax, errorbar=None)
    ax.set(title=f"{case.region.name}: where the innovation partners are", xlabel="location",
           ylabel="share of partners, %")
    case.figure(fig, "partner-locations", citation(loc))
    return loc




NOTEBOOK = "innovation-sources"


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)

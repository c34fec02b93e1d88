"""The comparison notebook: the four towns side by side (NIBR-rapport 2005:11, ch. 8)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis import indicators as ind
from analysis import survey as sv
from analysis.regions import get_region
from analysis.sections.base import (  # noqa: F401
    GROUPS, SECTION_TITLES, TOWNS, Study, citation, named, open_study as _open_study, reproduce_published, rotate,
)


def towns_change(study: Study, t0: int = 1997, t1: int = 2005, source: str = "Tabell v.3") -> pd.DataFrame:
    """The four towns, the towns together and the rest of the country: change by group (Tabell 3.4 / v.3)."""
    emp = study.data["employment"]
    sub = emp[(emp["source"] == source) & emp["year"].isin([t0, t1])]
    areas = [a for a in TOWNS if a in study.regions] + ["tech-towns", "rest-of-norway"]
    rows = []
    for area in areas:
        lv = sub[sub["area"] == area].pivot_table(index="industry_id", columns="year", values="employed", aggfunc="first")
        if lv.empty or t0 not in lv.columns:
            continue
        for industry, r in lv.dropna().iterrows():
            e0, e1 = float(r[t0]), float(r[t1])
            rows.append({"area": area, "industry_id": industry, "abs_change": e1 - e0,
                         "rel_change_pct": round(ind.rel_change(e1, e0), 1) if e0 > 0 else None})
    table = pd.DataFrame(rows)
    if table.empty:
        study.say("No employment levels for two years are in the data.")
        return table
    wide = table.pivot_table(index="industry_id", columns="area", values="rel_change_pct", aggfunc="first")
    study.table(wide.reset_index(), "towns-relative-change")
    totals = table[table["industry_id"] == "tech-total"]
    if not totals.empty:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        sns.barplot(data=totals, x="area", y="rel_change_pct", ax=ax, color=sns.color_palette()[0])
        ax.axhline(0, color="grey", lw=0.8)
        ax.set(title=f"Technology industries: change in employment {t0}–{t1}", xlabel="area",
               ylabel="relative change, %")
        study.figure(fig, "towns-change", citation(sub[sub["area"].isin(areas)]))
    return table


def towns_structure(study: Study, year: int = 2005, source: str = "Tabell v.3") -> pd.DataFrame:
    """Employment shares by group in each town and the rest of the country (the analogue of Figur 3.4)."""
    emp = study.data["employment"]
    sub = emp[(emp["source"] == source) & (emp["year"] == year) & emp["industry_id"].isin(GROUPS)]
    areas = [a for a in TOWNS if a in study.regions] + ["tech-towns", "rest-of-norway"]
    sub = sub[sub["area"].isin(areas)]
    if sub.empty:
        return sub
    share = sub.assign(share_pct=100 * sub["employed"].astype(float) / sub.groupby("area")["employed"].transform("sum"))
    wide = share.pivot_table(index="industry_id", columns="area", values="share_pct").round(1)
    study.table(wide.reset_index(), "towns-structure")
    fig, ax = plt.subplots(figsize=(9, 4.5))
    sns.barplot(data=named(share), x="industry", y="share_pct", hue="area", ax=ax, errorbar=None)
    rotate(ax)
    ax.set(title=f"Structure of the technology industries, {year}", xlabel="industry group",
           ylabel="share of technology-industry employment, %")
    study.figure(fig, "towns-structure", citation(sub))
    for area, g in share.groupby("area"):
        k = ind.krugman(g.set_index("industry_id")["share_pct"] / 100,
                        share[share["area"] == "rest-of-norway"].set_index("industry_id")["share_pct"] / 100)
        study.findings.record(f"structure.krugman.{area}.{year}", round(float(k), 4), "index",
                              f"Krugman index of {area} vs the rest of the country, tech industries {year}")
    return share


def partner_comparison(study: Study) -> pd.DataFrame:
    loc = study.data["locations"]
    loc = loc[(loc["subject"] == "innovation-partners") & (loc["source"] == "Tabell 8.1")]
    if loc.empty:
        return loc
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.barplot(data=loc, x="region_id", y="value", hue="location", ax=ax, errorbar=None)
    ax.set(title="Where the innovation partners are (NIBR survey 2004)", xlabel="town", ylabel="share of partners, %")
    study.figure(fig, "partner-locations", citation(loc))
    study.table(loc.pivot_table(index="region_id", columns="location", values="value").reset_index(), "partner-locations")
    return loc


def concordance(study: Study, question: str) -> pd.DataFrame:
    """Kendall's W across towns (or firm groups) that rank the same items."""
    r = study.data["survey_rankings"].query("question == @question")
    r = r[r["region_id"].isin([*study.regions, "tech-towns"])]  # ch. 8 ranks some items for the towns together
    if r.empty:
        study.say(f"No rankings for {question} are in the data.")
        return r
    r = r.assign(rater=r["region_id"] + "/" + r["firm_group"])
    wide = r.pivot_table(index="item_id", columns="rater", values="rank", aggfunc="first")
    short = [c for c in wide.columns if wide[c].notna().sum() < 3]
    if short:
        study.say(f"Left out of the concordance for {question} (fewer than three ranked items): {', '.join(short)}.")
    wide = wide.drop(columns=short).dropna()
    if wide.shape[1] < 2 or wide.shape[0] < 3:
        study.say(f"Fewer than two rankings over three or more common items for {question}: no concordance measure.")
        return wide
    res = sv.kendall_w(wide)
    study.say(f"Kendall's W for {question} across {wide.shape[1]} rankings of {wide.shape[0]} common items: "
              f"**{res['w']:.2f}** (chi-square p = {res['p_value']:.3g}).")
    study.findings.record(f"{question}.kendall-w", round(float(res["w"]), 4), "W",
                          f"Kendall's W across {', '.join(wide.columns)}")
    study.table(wide.reset_index(), f"{question}-concordance")
    return wide


def coverage(study: Study) -> pd.DataFrame:
    """What each region's sources support, section by section."""
    rows = []
    for rid in study.regions:
        reg = get_region(rid)
        counts = {name: int((frame[["region_id" if "region_id" in frame.columns else "area"]].iloc[:, 0] == rid).sum())
                  for name, frame in study.data.items()
                  if "region_id" in frame.columns or "area" in frame.columns}
        rows.append({"region": reg.name, **{SECTION_TITLES[k]: v for k, v in reg.sections.items()},
                     "rows of data": sum(counts.values())})
    return study.table(pd.DataFrame(rows), "coverage")


def reproduce_study(study: Study, areas: list[str]) -> pd.DataFrame:
    """Recompute the published values of aggregate areas owned by this notebook."""
    return reproduce_published(study, areas)




# The core each town's Figur 8.1 sign compares, and the national groups of the same definition (Tabell v.6).
FIG81_CORE = {"horten": ["g3"], "kongsberg": ["g2", "g4"], "raufoss": ["g2", "g4"], "halden": ["g3", "g5"]}


def _national_entry_rate(pv: pd.DataFrame, fd: pd.DataFrame, groups: list[str]) -> float:
    """Entry rate of several national groups together: the unprinted 1998 stocks are implied by each
    group's printed rate (stock = established / rate), then summed (Tabell v.6)."""
    est = stock = 0.0
    for g in groups:
        e = float(fd[(fd["area"] == "norway") & (fd["industry_id"] == g) & (fd["source"] == "Tabell v.6")]["established"].iloc[0])
        rate = float(pv[pv["pv_id"] == f"v6.norway.{g}.entry"]["value"].iloc[0])
        est += e
        stock += 100 * e / rate
    return 100 * est / stock


def dynamics_matrix(study: Study) -> pd.DataFrame:
    """Figur 8.1: the report's signs for the towns' core sectors against the country, and the new-firm
    column recomputed from the entry rates of Tabell v.6 (the other columns need survey and accounts
    data the report does not print)."""
    cc = study.data["case_content"]
    rows = cc[cc["item"].str.startswith("Figur 8.1 codes")]
    if rows.empty:
        study.say("Figur 8.1 is not in the data.")
        return rows
    pv, fd = study.data["published_values"], study.data["firm_dynamics"]
    out = []
    for r in rows.to_dict("records"):
        signs = r["item"].split(":")[-1].split()
        town = r["region_id"]
        core = pv[pv["pv_id"] == f"v6.{town}.core.entry"]
        national = _national_entry_rate(pv, fd, FIG81_CORE[town])
        town_rate = float(core["value"].iloc[0]) if not core.empty else None
        computed = None if town_rate is None else ("+" if town_rate > national else "-")
        out.append({"town": town, "employment 1997–2005": signs[0], "innovation rates 2001–2003": signs[1],
                    "new-firm rates 1998–2005": signs[2], "profitability 2001–2003": signs[3],
                    "core entry rate, %": town_rate, "national entry rate of the same groups, %": round(national),
                    "new-firm sign recomputed": computed, "source": r["source"], "lines": r["lines"]})
        if computed is not None:
            agrees = computed == signs[2].strip("()")
            study.findings.record(f"fig8-1.new-firm-sign-agrees.{town}", float(agrees), "boolean",
                                  f"Recomputed new-firm sign ({computed}) agrees with Figur 8.1 ({signs[2]}) for {town}")
    table = pd.DataFrame(out)
    study.say("Signs: + substantially better than the country, − worse, 0 the same, (+) somewhat better "
              "(fn 132). Only the new-firm column can be recomputed from printed numbers; '(+)' is read as '+'.")
    return study.table(table, "fig8-1-dynamics")



NOTEBOOK = "comparison"


def open_study(regions=None, output_dir: str = "", data=None) -> Study:
    return _open_study(regions, output_dir, NOTEBOOK, data)

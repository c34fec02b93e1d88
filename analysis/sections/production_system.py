"""The production-system notebook: industries, specialisation, shift-share, firms, suppliers, dynamics."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis import indicators as ind
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    GROUPS, Case, Study, citation, header, named, open_case as _open_case, qualitative, reproduce_published, rotate, slug,
)
from analysis.reproduce import NotComputable, evaluate, evaluate_interval  # noqa: F401


# ------------------------------------------------------------------------------------ production system

def _levels(data: dict[str, pd.DataFrame], area: str, source: str, years=(1997, 2005)) -> pd.DataFrame:
    emp = data["employment"]
    sub = emp[(emp["area"] == area) & (emp["source"] == source) & emp["year"].isin(years)]
    return sub.pivot_table(index="industry_id", columns="year", values="employed", aggfunc="first")


def _published(case: Case, area: str, industry: str, measure: str, period: str, source: str | None = None):
    pv = case.data["published_values"]
    hit = pv[(pv["area"] == area) & (pv["industry_id"] == industry) & (pv["measure"] == measure) & (pv["period"] == period)]
    if source is not None and (hit["source"] == source).any():
        hit = hit[hit["source"] == source]
    return None if hit.empty else hit.iloc[0].to_dict()


def employment_change(case: Case, area: str | None = None, source: str = "Tabell v.3",
                      t0: int = 1997, t1: int = 2005) -> pd.DataFrame:
    """Absolute and relative change by industry group, reproducing the printed change columns."""
    area = area or case.rid
    lv = _levels(case.data, area, source, (t0, t1))
    if lv.empty or t0 not in lv.columns or t1 not in lv.columns:
        return pd.DataFrame()
    lv = lv.dropna()
    rows = []
    for industry, r in lv.iterrows():
        e0, e1 = float(r[t0]), float(r[t1])
        rel = ind.rel_change(e1, e0) if e0 > 0 else None
        rows.append({"area": area, "industry_id": industry, f"employed_{t0}": int(e0), f"employed_{t1}": int(e1),
                     "abs_change": ind.abs_change(e1, e0), "rel_change_pct": None if rel is None else round(rel, 1)})
        period = f"{t0}-{t1}"
        # the register counts are roundings of fractional values: each level may be off by 0.5
        corners = [(e1 + a) - (e0 + b) for a in (-0.5, 0.5) for b in (-0.5, 0.5)]
        rel_corners = [100 * ((e1 + a) - (e0 + b)) / (e0 + b) for a in (-0.5, 0.5) for b in (-0.5, 0.5)] if e0 > 0.5 else []
        for measure, value, unit, span in (("abs-change", e1 - e0, "persons", corners),
                                           ("rel-change-pct", rel, "percent", rel_corners)):
            if value is None:
                continue
            pub = _published(case, area, industry, measure, period, source)
            case.findings.record(f"employment.{area}.{industry}.{measure}.{period}.{slug(source)}", value, unit,
                                 f"{measure} of employment in {industry}, {area}, {period} ({source} levels)",
                                 published=pub, interval=(min(span), max(span)) if span else None)
    return pd.DataFrame(rows)


def production_structure(case: Case) -> pd.DataFrame:
    """Employment by industry group: the chapter table and the appendix table, with changes."""
    if case.rows("employment").empty:
        case.no_data("register employment by industry", "employment by NACE group and year for the region's municipalities")
        return pd.DataFrame()
    frames = []
    for source in sorted(case.rows("employment")["source"].unique()):
        ch = employment_change(case, source=source)
        if not ch.empty:
            ch.insert(0, "source", source)
            frames.append(ch)
    if not frames:
        case.say("The sources print employment for one year only here, so no change can be computed from levels.")
        return case.table(case.rows("employment")[["industry_id", "year", "employed", "label_printed", "source"]],
                          "employment-levels")
    table = pd.concat(frames, ignore_index=True)
    case.table(table, "employment-change")
    sub = table[table["industry_id"].isin(GROUPS)]
    if sub.empty:
        sub = table
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.barplot(data=named(sub), x="industry", y="abs_change", hue="source", ax=ax, errorbar=None)
    rotate(ax)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(title=f"{case.region.name}: change in employment 1997–2005", xlabel="industry group",
           ylabel="change, employed persons")
    case.figure(fig, "employment-change", citation(case.rows("employment", source=list(sub["source"].unique()))))
    return table


def norway_levels(data: dict[str, pd.DataFrame], year: int, source: str = "Tabell v.3") -> pd.Series:
    """Norway = the four towns + the rest of the country (appendix Tabell v.3 prints no Norway block)."""
    emp = data["employment"]
    sub = emp[(emp["source"] == source) & (emp["year"] == year) & emp["industry_id"].isin(GROUPS)
              & emp["area"].isin(["tech-towns", "rest-of-norway"])]
    return sub.groupby("industry_id")["employed"].sum().astype(float)


def specialisation(case: Case, year: int = 2005, source: str = "Tabell v.3") -> pd.DataFrame:
    """Shares, location quotients, Krugman and Hoover against Norway, within technology industries."""
    lv = _levels(case.data, case.rid, source, (year,))
    if lv.empty:
        case.no_data("employment by industry group for the specialisation measures",
                     "employment by industry group for the region and Norway")
        return pd.DataFrame()
    e_ij = lv[year].reindex(GROUPS).fillna(0).astype(float)
    e_i = norway_levels(case.data, year, source).reindex(GROUPS).fillna(0)
    table = pd.DataFrame({
        "industry_id": GROUPS,
        "employed": e_ij.values,
        "share_pct": (100 * ind.shares(e_ij)).round(1).values,
        "norway_employed": e_i.values,
        "norway_share_pct": (100 * ind.shares(e_i)).round(1).values,
        "lq": [round(ind.locq(e_ij[g], e_ij.sum(), e_i[g], e_i.sum()), 2) for g in GROUPS],
    })
    k = ind.krugman(ind.shares(e_ij), ind.shares(e_i))
    h = ind.hoover(e_ij, e_i)
    case.say(f"Within the technology industries ({year}), {case.region.name}'s Krugman dissimilarity index against "
             f"Norway is **{k:.2f}** and the Hoover coefficient **{h:.2f}**. The location quotients compare "
             "shares of technology-industry employment: the sources print no total employment per municipality, "
             "so a quotient against all industries cannot be computed.")
    case.findings.record(f"specialisation.krugman.{year}", round(k, 4), "index", "Krugman index vs Norway, tech industries")
    case.findings.record(f"specialisation.hoover.{year}", round(h, 4), "index", "Hoover coefficient vs Norway, tech industries")
    for row in table.to_dict("records"):
        case.findings.record(f"specialisation.lq.{row['industry_id']}.{year}", row["lq"], "ratio",
                             f"Location quotient of {row['industry_id']} within tech industries vs Norway")
    case.table(table, "specialisation")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.barplot(data=named(table), x="industry", y="lq", ax=ax, color=sns.color_palette()[0])
    rotate(ax)
    ax.axhline(1, color="grey", lw=0.8)
    ax.set(title=f"{case.region.name}: location quotients vs Norway, {year}", xlabel="industry group",
           ylabel="location quotient (1 = Norway's structure)")
    rows = case.data["employment"].query("source == @source and year == @year")
    case.figure(fig, "location-quotients", citation(rows))
    return table


def shift_share(case: Case, t0: int = 1997, t1: int = 2005, source: str = "Tabell v.3") -> pd.DataFrame:
    """Classic shift-share of the change t0 -> t1 against Norway (national growth, industry mix, regional shift)."""
    lv = _levels(case.data, case.rid, source, (t0, t1))
    if lv.empty or t0 not in lv.columns:
        case.no_data(f"employment by industry group for {t0} and {t1}", "two years of employment by group")
        return pd.DataFrame()
    e0 = lv[t0].reindex(GROUPS).fillna(0)
    e1 = lv[t1].reindex(GROUPS).fillna(0)
    n0 = norway_levels(case.data, t0, source).reindex(GROUPS).fillna(0)
    n1 = norway_levels(case.data, t1, source).reindex(GROUPS).fillna(0)
    table = ind.shift(e0, e1, n0, n1).reset_index()
    case.table(table.round(1), "shift-share")
    tot = table.select_dtypes("number").sum()
    for comp in [c for c in table.columns if c not in ("industry_id", "index")]:
        if pd.api.types.is_numeric_dtype(table[comp]):
            case.findings.record(f"shift-share.{comp}.{t0}-{t1}", round(float(tot[comp]), 2), "persons",
                                 f"Shift-share total of {comp}, {t0}-{t1}, vs Norway")
    return table


def firm_size(case: Case) -> pd.DataFrame:
    fs = case.rows("firm_size")
    if fs.empty:
        case.no_data("firm-size structure", "firms and employment by size class")
        return fs
    case.table(fs[["industry_id", "year", "size_class", "firms", "employed", "source"]], "firm-size")
    tot = fs[(fs["industry_id"] == "tech-total") & (fs["size_class"] != "total") & fs["employed"].notna()]
    if not tot.empty:
        tot = tot[tot["source"] == tot["source"].iloc[0]]
        fig, ax = plt.subplots(figsize=(7, 4))
        share = 100 * tot["employed"].astype(float) / tot["employed"].sum()
        sns.barplot(x=tot["size_class"], y=share.values, ax=ax, color=sns.color_palette()[1])
        ax.set(title=f"{case.region.name}: employment by firm size, technology industries",
               xlabel="employees per firm", ylabel="share of employment, %")
        case.figure(fig, "firm-size", citation(tot))
        large = share[tot["size_class"].isin(["gt100", "gt99"]).values].sum()
        case.findings.record("firm-size.large-share", round(float(large), 2), "percent",
                             "Share of technology-industry employment in firms with more than 100 employed")
    return fs


def largest_firms(case: Case) -> pd.DataFrame:
    lf = case.rows("largest_firms")
    if lf.empty:
        case.no_data("list of the largest firms", "firm-level employment for the region")
        return lf
    cols = ["rank", "firm", "established_printed", "ownership", "products", "jobs", "jobs_measure", "jobs_year", "source"]
    table = lf.sort_values(["source", "rank"])[cols]
    case.table(table, "largest-firms")
    for src, g in lf.groupby("source"):
        case.findings.record(f"largest-firms.sum.{src}", int(g["jobs"].sum()), "jobs",
                             f"Sum of jobs of the firms listed in {src}")
    return table


def supplier_locations(case: Case) -> pd.DataFrame:
    loc = case.rows("locations", subject=["suppliers", "sales", "purchases"])
    if loc.empty:
        case.no_data("supplier localisation", "locations of the firms' most important suppliers")
        return loc
    case.table(loc[["subject", "category", "location", "value", "unit", "n", "source"]], "supplier-locations")
    pct = loc[loc["unit"].isin(["percent", "percent-of-answers"]) & (loc["category"] != "total")]
    if not pct.empty:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        sns.barplot(data=pct, x="category", y="value", hue="location", ax=ax, errorbar=None)
        ax.set(title=f"{case.region.name}: where the suppliers are", xlabel="supplier type",
               ylabel=f"share, {pct['unit'].iloc[0].replace('-', ' ')}")
        ax.tick_params(axis="x", rotation=20)
        case.figure(fig, "supplier-locations", citation(pct))
    return loc


def firm_dynamics(case: Case) -> pd.DataFrame:
    fd = case.data["firm_dynamics"]
    mine = fd[fd["area"] == case.rid]
    if mine.empty:
        case.no_data("firm dynamics (entries, exits)", "firms established and closed by industry and year")
        return mine
    ref = fd[(fd["area"] == "norway") & fd["source"].isin(mine["source"].unique())]
    both = pd.concat([mine, ref], ignore_index=True)
    both = both.assign(net=both["established"] - both["closed"])
    case.table(both[["area", "industry_id", "period_start", "period_end", "firms_end", "established", "closed", "net",
                     "source"]], "firm-dynamics")
    for row in mine.to_dict("records"):
        if pd.notna(row["established"]) and pd.notna(row["closed"]):
            case.findings.record(f"dynamics.net.{row['industry_id']}.{row['source']}",
                                 int(row["established"] - row["closed"]), "firms",
                                 f"Net change in firms (established - closed), {row['industry_id']}, {row['source']}")
    return both




def reported_indicators(case: Case, topics: list[str] | None = None) -> pd.DataFrame:
    ind_ = case.rows("indicators")
    if topics:
        ind_ = ind_[ind_["topic"].isin(topics)]
    if ind_.empty:
        return ind_
    cols = ["topic", "indicator", "category", "period", "value", "unit", "qualifier", "description", "source", "lines"]
    case.table(ind_[cols], "reported-indicators")
    return ind_


def targets(case: Case) -> pd.DataFrame:
    t = case.rows("targets")
    if t.empty:
        return t
    case.table(t[["indicator", "target_value", "target_unit", "target_year", "target_text", "status", "status_value",
                  "status_period", "source", "lines"]], "targets")
    return t




def value_chains(case: Case) -> pd.DataFrame:
    """The value chains the source describes, stage by stage, with the region's position marked."""
    vc = case.rows("value_chain")
    if vc.empty:
        case.no_data("value-chain description", "a description of the chain from raw materials to end customers")
        return vc
    chains = list(dict.fromkeys(vc["chain"]))
    fig, axes = plt.subplots(len(chains), 1, figsize=(11, 1.9 * len(chains) + 0.6), squeeze=False)
    palette = sns.color_palette()
    for ax, chain in zip(axes[:, 0], chains):
        steps = vc[vc["chain"] == chain].sort_values("step")
        for x, r in enumerate(steps.to_dict("records")):
            here = bool(r["region_position"]) if pd.notna(r["region_position"]) else False
            label = r["stage"] + (f"\n({r['actors'].replace(';', ', ')})" if pd.notna(r["actors"]) else "")
            ax.text(x, 0, "\n".join(__import__("textwrap").wrap(label, 18)), ha="center", va="center", fontsize=7,
                    bbox={"boxstyle": "round", "fc": palette[2] if here else "white", "ec": "0.4",
                          "alpha": 0.5 if here else 1})
            if x:
                ax.annotate("", xy=(x - 0.42, 0), xytext=(x - 0.58, 0), arrowprops={"arrowstyle": "->", "color": "0.4"})
        ax.set(xlim=(-0.6, len(steps) - 0.4), ylim=(-1, 1), yticks=[], xticks=range(len(steps)),
               xticklabels=[str(s) for s in steps["step"]], xlabel="stage (upstream → downstream)", ylabel=chain,
               title=f"{case.region.name}: {chain.replace('-', ' ')} value chain (shaded: the region's firms)")
        ax.grid(False)
    fig.tight_layout()
    case.figure(fig, "value-chains", citation(vc))
    case.table(vc[["chain", "step", "stage", "term_no", "actors", "region_position", "source", "lines"]], "value-chains")
    for chain in chains:
        steps = vc[(vc["chain"] == chain) & vc["region_position"].fillna(False)]
        case.findings.record(f"value-chain.{chain}.stages-in-region", int(len(steps)), "count",
                             f"Stages of the {chain} chain where the source places the region's firms")
    return vc


NOTEBOOK = "production-system"


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)

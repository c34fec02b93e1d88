"""The production-system notebook: industries and their growth against the rest of the country,
specialisation, shift-share, firm sizes, the largest firms, suppliers and markets, value chains and
firm dynamics (NIBR-rapport 2005:11, the sections "Produksjonsmiljø og -system" of ch. 4-7 and the
appendix tables v.2-v.6); for the other regions, what their sources hold. One module because it
is one notebook's chapter, read from top to bottom in the order the chapter argues; each section
function is short and stands alone.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis import indicators as ind
from analysis import plots
from analysis.data.correspondence import nace_classes
from analysis.data.external import read_extract, region_folder, table_of
from analysis.data.ssb import EMPLOYMENT_TABLE
from analysis.indicators import UndefinedIndicator
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    GROUPS, Case, citation, header, number, open_case as _open_case,
)
from analysis.sections import material
from analysis.sections.claims import synthesis, verdict_sentence  # noqa: F401
from analysis.sections.clusters import cluster_assessment, printed, profiled  # noqa: F401
from analysis.sections.reproduction import reproduce_published  # noqa: F401
from analysis.sections.targets import targets  # noqa: F401

NOTEBOOK = "production-system"
APPENDIX = "Tabell v.3"
T0, T1 = 1997, 2005
REST = "rest-of-norway"


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)


# ---------------------------------------------------------------- levels


def levels(case: Case, area: str, year: int, source: str = APPENDIX) -> pd.Series:
    """Employed persons by appendix group (g1-g7) of one area and year, as printed."""
    emp = case.data["employment"]
    sub = emp[(emp["area"] == area) & (emp["year"] == year) & (emp["source"] == source) & emp["industry_id"].isin(GROUPS)]
    return sub.set_index("industry_id")["employed"].astype(float).reindex(GROUPS)


def norway(case: Case, year: int, source: str = APPENDIX) -> pd.Series:
    """Norway = the four towns + the rest of the country (the appendix prints no Norway block)."""
    return levels(case, "tech-towns", year, source) + levels(case, REST, year, source)


def _published(case: Case, area: str, industry: str, measure: str, period: str, source: str):
    pv = case.data["published_values"]
    hit = pv[(pv["area"] == area) & (pv["industry_id"] == industry) & (pv["measure"] == measure)
             & (pv["period"] == period) & (pv["source"] == source)]
    return None if hit.empty else hit.iloc[0].to_dict()


def _total(changes: pd.DataFrame) -> dict:
    """The technology industries together (the sum of the seven groups' printed levels)."""
    e0, e1 = float(changes["e_t0"].sum()), float(changes["e_t1"].sum())
    return {"e_t0": e0, "e_t1": e1, "abs_change": ind.abs_change(e1, e0), "rel_change_pct": ind.rel_change(e1, e0)}


def _has_appendix(case: Case) -> bool:
    return levels(case, case.rid, T0).notna().all() and levels(case, case.rid, T1).notna().all()


# ---------------------------------------------------------------- employment change


def introduction(case: Case) -> None:
    """What the region's sources hold on its production system."""
    if _has_appendix(case):
        case.say(f"Register employment (*sysselsatte*, from the business register BoF) of {case.name} by the "
                 "appendix's seven technology groups, 1997 and 2005 (Tabell v.3), against the rest of the country; "
                 "firm sizes (v.4, v.5) and firm dynamics (v.6); the chapter's survey of the firms (2004) and its "
                 "description of the largest firms, suppliers and markets.")


def employment_change(case: Case) -> pd.DataFrame:
    """Change 1997-2005 by group, recomputed from the printed levels, beside the rest of the country."""
    if not _has_appendix(case):
        return pd.DataFrame()
    emp = case.data["employment"].query("source == @APPENDIX and industry_id in @GROUPS")
    frames = []
    for area in (case.rid, REST):
        t = ind.change_table(emp, area, T0, T1, source=APPENDIX, industries=GROUPS)
        frames.append(t.assign(area=area))
    table = pd.concat(frames, ignore_index=True)
    table["industry"] = table["industry_id"].map(case.industry)
    table["area_name"] = table["area"].map(case.area)
    table["index_2005"] = (100 + table["rel_change_pct"]).astype("Float64")
    for r in table[table["area"] == case.rid].to_dict("records"):
        for measure, value in (("abs-change", r["abs_change"]), ("rel-change-pct", r["rel_change_pct"])):
            if value is pd.NA or pd.isna(value):
                continue
            case.findings.record(f"employment.{case.rid}.{r['industry_id']}.{measure}.{T0}-{T1}", float(value),
                                 "persons" if measure == "abs-change" else "percent",
                                 f"{measure.replace('-', ' ')} of employment, {r['industry']}, {case.name}, {T0}-{T1}",
                                 published=_published(case, case.rid, r["industry_id"], measure, f"{T0}-{T1}", APPENDIX))
    case.heading(f"Employment by technology group, {T0}–{T1}")
    total, rest = (_total(table[table["area"] == a]) for a in (case.rid, REST))
    mine = table[table["area"] == case.rid].set_index("industry_id")
    theirs = table[table["area"] == REST].set_index("industry_id")
    faster = [mine.loc[g, "industry"] for g in GROUPS
              if pd.notna(mine.loc[g, "rel_change_pct"]) and mine.loc[g, "rel_change_pct"] > theirs.loc[g, "rel_change_pct"]]
    case.say(f"The technology industries of {case.name} employed {number(total['e_t0'])} persons in {T0} and "
             f"{number(total['e_t1'])} in {T1} ({number(total['rel_change_pct'], 1)} %), against "
             f"{number(rest['rel_change_pct'], 1)} % in the rest of the country (Norway without the four towns). "
             f"Groups that grew faster than in the rest of the country: {', '.join(faster) or 'none'}.")
    for area in (case.rid, REST):
        # the sum of the seven printed groups; the table's own printed total is reproduced from its printed
        # totals below (where it differs from the sum of its rows, the errata say so)
        case.findings.record(f"employment.{area}.tech-total.rel-change-pct.{T0}-{T1}",
                             float(total["rel_change_pct"] if area == case.rid else rest["rel_change_pct"]), "percent",
                             f"Relative change of technology employment (sum of the seven groups), {case.area(area)}, "
                             f"{T0}-{T1}")
    wide = mine[["industry", "e_t0", "e_t1", "abs_change", "rel_change_pct"]].join(
        theirs[["rel_change_pct"]].rename(columns={"rel_change_pct": "rest_rel"}))
    wide.columns = ["group", f"employed {T0}", f"employed {T1}", "change", "change, %", "rest of Norway, change %"]
    case.table(wide.reset_index(drop=True), "employment-change", decimals={"change, %": 1, "rest of Norway, change %": 1})
    rows = case.data["employment"].query("source == @APPENDIX and area in [@case.rid, @REST]")
    plotted = table[["industry", "area_name", "e_t0", "e_t1", "abs_change", "rel_change_pct", "index_2005"]]
    fig = plots.compare_dots(plotted, "industry", "index_2005", "area_name",
                             f"{case.name}: employment {T1} by technology group ({T0} = 100), beside the rest of Norway",
                             f"Index, {T0} = 100 (log scale)", benchmarks=[case.area(REST)], log=True, reference=100)
    case.figure(fig, "employment-index-by-group", citation(rows), plotted)
    return table


# ---------------------------------------------------------------- specialisation


def specialisation(case: Case, year: int = T1) -> pd.DataFrame:
    """Specialisation within the technology industries: the group's share of the town's technology
    employment relative to its share of Norway's (a location quotient over the technology industries only)."""
    if not _has_appendix(case):
        return pd.DataFrame()
    e_ij, e_i = levels(case, case.rid, year), norway(case, year)
    frame = pd.DataFrame({"industry_id": GROUPS, "e_ij": e_ij.values, "e_j": e_ij.sum(), "e_i": e_i.values,
                          "e": e_i.sum()})
    frame = ind.locq_frame(frame)
    frame["industry"] = frame["industry_id"].map(case.industry)
    frame["share_town_pct"] = 100 * ind.shares(e_ij).values
    frame["share_norway_pct"] = 100 * ind.shares(e_i).values
    k = ind.krugman(e_ij, e_i)
    h = ind.hoover(e_ij, e_i)
    case.heading("Specialisation within the technology industries")
    case.say("The sources print no total employment per municipality, so a location quotient against all industries "
             "cannot be computed. What can be computed is a **specialisation within the technology industries**: each "
             f"group's share of {case.name}'s technology employment divided by its share of Norway's (Norway = the four "
             "towns + the rest of the country, Tabell v.3). Above 1: the group weighs more in the town's technology "
             f"industries than in the country's. The Krugman dissimilarity index of the two structures is "
             f"**{number(k, 2)}** (0 = the same structure, 2 = nothing in common) and the Hoover coefficient **{number(h, 2)}** "
             "(the share of the town's technology employment that would have to move group to mirror Norway's).")
    case.findings.record(f"specialisation.krugman.{year}", round(k, 4), "index", "Krugman index vs Norway, technology industries")
    case.findings.record(f"specialisation.hoover.{year}", round(h, 4), "index", "Hoover coefficient vs Norway, technology industries")
    for r in frame.to_dict("records"):
        if r["locq_defined"]:
            case.findings.record(f"specialisation.quotient.{r['industry_id']}.{year}", round(float(r["locq"]), 4), "ratio",
                                 f"Share of {case.name}'s technology employment in {r['industry']} relative to Norway's")
    shown = frame[["industry", "e_ij", "share_town_pct", "e_i", "share_norway_pct", "locq"]].rename(columns={
        "industry": "group", "e_ij": f"employed {year}", "share_town_pct": "share of the town's tech employment, %",
        "e_i": f"Norway {year}", "share_norway_pct": "share of Norway's, %", "locq": "specialisation quotient"})
    shown[f"employed {year}"] = shown[f"employed {year}"].astype("Int64")
    shown[f"Norway {year}"] = shown[f"Norway {year}"].astype("Int64")
    case.table(shown, "specialisation", decimals={"specialisation quotient": 2})
    rows = case.data["employment"].query("source == @APPENDIX and year == @year and area in [@case.rid, 'tech-towns', @REST]")
    plotted = frame[["industry", "share_town_pct", "share_norway_pct", "locq"]]
    fig = plots.grouped_bars(plotted.assign(area=case.name), "industry", "locq",
                             f"{case.name}: specialisation within the technology industries, {year}",
                             "Share of the town's technology employment ÷ share of Norway's "
                             "(1 = as in Norway; log scale)",
                             reference=1.0, log=True, value_format="{:.2g}", zero_text="0 (none employed)")
    case.figure(fig, "specialisation", citation(rows), plotted)
    return frame


# ---------------------------------------------------------------- shift-share


def shift_share(case: Case) -> pd.DataFrame:
    """Shift-share of the change 1997-2005 against the rest of the country, with Norway as sensitivity."""
    if not _has_appendix(case):
        return pd.DataFrame()
    e0, e1 = levels(case, case.rid, T0), levels(case, case.rid, T1)
    n0, n1 = norway(case, T0), norway(case, T1)
    try:
        main = ind.shift_rest(e0, e1, n0, n1)
        alt = ind.shift(e0, e1, n0, n1)
    except UndefinedIndicator as exc:
        case.say(f"No shift-share: {exc}.")
        return pd.DataFrame()
    case.heading(f"Shift-share, {T0}–{T1}")
    tot, tot_alt = main.sum(), alt.sum()
    beat = [case.industry(g) for g in GROUPS if main.loc[g, "regional_shift"] > 0.5]
    growth = 100 * ((n1 - e1).sum() / (n0 - e0).sum() - 1)
    case.say(f"The change in each group split into what a rest-of-country trend would have given (*national share*: "
             f"the technology industries of Norway without {case.name} grew {number(growth, 1)} %), the group's own national "
             "trend against that (*industry mix*) and the town's difference from its group's national trend "
             "(*regional shift*). The reference total is the technology industries, since the sources print no total "
             f"employment per municipality. Over all groups: actual change {number(tot['actual_change'], sign=True)}, "
             f"national share {number(tot['national_share'], sign=True)}, industry mix "
             f"{number(tot['industry_mix'], sign=True)}, regional shift {number(tot['regional_shift'], sign=True)} persons. Groups that beat their national trend: {', '.join(beat) or 'none'}. "
             f"With Norway including {case.name} as the reference (the classic form), the regional shift is "
             f"{number(tot_alt['regional_shift'], sign=True)}.")
    for comp in ("national_share", "industry_mix", "regional_shift"):
        case.findings.record(f"shift-share.rest-of-country.{comp}.{T0}-{T1}", round(float(tot[comp]), 2), "persons",
                             f"Shift-share against Norway without {case.name}: {comp.replace('_', ' ')}, {T0}-{T1}")
        case.findings.record(f"shift-share.norway.{comp}.{T0}-{T1}", round(float(tot_alt[comp]), 2), "persons",
                             f"Shift-share against Norway including {case.name}: {comp.replace('_', ' ')}, {T0}-{T1}")
    table = main.reset_index().assign(group=lambda f: f["industry_id"].map(case.industry))
    table["regional_shift_vs_norway"] = alt["regional_shift"].values
    shown = table[["group", "e_ij_t0", "e_ij_t1", "actual_change", "national_share", "industry_mix", "regional_shift",
                   "regional_shift_vs_norway"]].rename(columns={
        "e_ij_t0": f"employed {T0}", "e_ij_t1": f"employed {T1}", "actual_change": "actual change",
        "national_share": "national share", "industry_mix": "industry mix", "regional_shift": "regional shift",
        "regional_shift_vs_norway": "regional shift (Norway incl. the town)"})
    for c in (f"employed {T0}", f"employed {T1}", "actual change"):
        shown[c] = shown[c].round().astype("Int64")
    case.table(shown, "shift-share", decimals={c: 0 for c in shown.columns})
    long = table.melt(id_vars=["group"], value_vars=["national_share", "industry_mix", "regional_shift"],
                      var_name="component", value_name="persons")
    long["component"] = long["component"].str.replace("_", " ")
    fig = plots.grouped_bars(long, "group", "persons", f"{case.name}: shift-share of the change {T0}–{T1}",
                             f"Persons (reference: Norway without {case.name})", group="component")
    rows = case.data["employment"].query("source == @APPENDIX and area in [@case.rid, 'tech-towns', @REST]")
    case.figure(fig, "shift-share", citation(rows), long)
    return table


# ---------------------------------------------------------------- firms


def firm_size(case: Case) -> pd.DataFrame:
    """Employment by firm size in the technology industries, beside the rest of the country (Tabell v.4)."""
    fs = case.data["firm_size"]
    fs = fs[(fs["source"] == "Tabell v.4") & (fs["industry_id"] == "tech-total") & (fs["size_class"] != "total")
            & fs["area"].isin([case.rid, REST]) & fs["employed"].notna()]
    if fs.empty or (fs["area"] == case.rid).sum() == 0:
        fs = case.rows("firm_size")
        if not fs.empty:
            case.heading("Firm sizes")
            case.table(fs[["industry_id", "year", "size_class", "firms", "employed", "source"]].assign(
                size_class=lambda f: f["size_class"].map(lambda x: case.term("size-class", x)),
                industry_id=lambda f: f["industry_id"].map(case.industry)).rename(
                columns={"industry_id": "industry", "size_class": "employees per firm"}), "firm-size")
        return fs
    fs = fs.assign(share_pct=100 * fs["employed"] / fs.groupby("area")["employed"].transform("sum"),
                   size=fs["size_class"].map(lambda x: case.term("size-class", x)), area_name=fs["area"].map(case.area))
    large = fs[(fs["area"] == case.rid) & (fs["size_class"] == "gt100")]["share_pct"].sum()
    large_rest = fs[(fs["area"] == REST) & (fs["size_class"] == "gt100")]["share_pct"].sum()
    case.heading("Firm sizes")
    case.say(f"Firms with 100 or more employees hold {number(large)} % of {case.name}'s technology employment, against "
             f"{number(large_rest)} % in the rest of the country (Tabell v.4, 2005).")
    case.findings.record("firm-size.large-share", round(float(large), 2), "percent",
                         "Share of technology employment in firms with 100 or more employees")
    order = [case.term("size-class", c) for c in ("lt10", "10-29", "30-99", "gt100")]
    plotted = fs[["size", "area_name", "firms", "employed", "share_pct"]]
    fig = plots.grouped_bars(plotted, "size", "share_pct", f"{case.name}: technology employment by firm size, 2005",
                             "Share of technology employment (%)", group="area_name", order=order,
                             colours={case.area(REST): plots.BENCHMARK_COLOUR}, ylabel="Employees per firm")
    case.figure(fig, "firm-size", citation(fs), plotted)
    return fs


def largest_firms(case: Case) -> pd.DataFrame:
    lf = case.rows("largest_firms")
    if lf.empty:
        return lf
    case.heading("The largest firms")
    for src, g in lf.groupby("source"):
        g = g.sort_values("rank")
        jobs = int(g["jobs"].sum())
        case.findings.record(f"largest-firms.sum.{src}", jobs, "jobs", f"Sum of jobs of the firms listed in {src}")
        shown = g[["rank", "firm", "established_printed", "ownership", "products", "jobs", "jobs_year"]].rename(
            columns={"established_printed": "established", "jobs_year": "year"})
        case.table(shown, f"largest-firms-{src.lower().replace(' ', '-').replace('.', '-')}",
                   caption=f"{src}: the {len(g)} firms listed, {number(jobs)} jobs together")
    return lf


def _share_label(unit: str) -> str:
    """The x label of a location bar by the unit its values are printed in: 'Share of each type's firms (%)',
    'Share of the answers (%)' for values printed as percent of answers, 'Share (%)' for plain percent."""
    words = unit.replace("-", " ")
    if words.startswith("percent"):
        rest = words.removeprefix("percent").removeprefix(" of").strip()
        return f"Share{f' of the {rest}' if rest else ''} (%), each bar 100 %"
    return f"Share of each type's {words} (%), each bar 100 %"


def supplier_locations(case: Case) -> pd.DataFrame:
    """Where suppliers and customers are, each bar its own 100 % (one denominator per bar)."""
    loc = case.rows("locations", subject=["suppliers", "sales", "purchases"])
    if loc.empty:
        return loc
    case.heading("Suppliers and markets")
    for (subject, unit, source), g in loc.groupby(["subject", "unit", "source"]):
        g = g[g["category"] != "total"].assign(location_name=lambda f: f["location"].map(lambda x: case.term("location", x)),
                                               type=lambda f: f["category"].map(lambda x: case.term("location-category", x)))
        n = g["n"].dropna()
        n_text = f"n = {int(n.iloc[0])} firms" if len(n) else "n not printed"
        if len(g["category"].unique()) >= 1 and len(g["location"].unique()) >= 2:
            fig = plots.location_bars(g, "type", "location_name", "value",
                                      f"{case.name}: where the {subject} are ({source}, {n_text})",
                                      location_order=[case.term("location", x) for x in dict.fromkeys(g["location"])],
                                      xlabel=_share_label(unit))
            case.figure(fig, f"{subject}-locations-{source.lower().replace(' ', '-').replace('.', '-').replace('§', 's')}",
                        citation(g), g[["type", "location_name", "value", "unit", "n"]])
        else:
            case.table(g[["type", "location_name", "value", "unit", "n", "source"]].rename(columns={"location_name": "location"}),
                       f"{subject}-locations")
    return loc


def _printed_rate(case: Case, area: str, industry: str, measure: str, source: str) -> float | None:
    pv = case.data["published_values"]
    hit = pv[(pv["area"] == area) & (pv["industry_id"] == industry) & (pv["measure"] == measure) & (pv["source"] == source)]
    return float(hit["value"].iloc[0]) if len(hit) else None


def _dynamics_row(case: Case, r: dict) -> dict:
    est, closed, end = r["established"], r["closed"], r["firms_end"]
    rec = {"area": case.area(r["area"]), "group": case.industry(r["industry_id"]), "firms 2005": end,
           "established": est, "closed": closed, "net": int(est - closed)}
    entry = _printed_rate(case, r["area"], r["industry_id"], "entry-rate-pct", r["source"])
    rec["printed entry rate, %"] = entry
    rec["printed turbulence"] = _printed_rate(case, r["area"], r["industry_id"], "turbulence", r["source"])
    rec["1998 stock the entry rate allows"] = ""
    if entry is not None and est > 0:
        lo, hi = ind.base_interval(est, entry)
        if not math.isfinite(hi):
            rec["1998 stock the entry rate allows"] = "none"
            return _stock_flow_rates(rec, est, closed, end)
        whole = (math.ceil(lo - 1e-9), math.floor(hi + 1e-9))
        rec["1998 stock the entry rate allows"] = (number(whole[0]) if whole[0] == whole[1] else
                                                   f"{number(whole[0])}–{number(whole[1])}" if whole[0] < whole[1] else "none")
    return _stock_flow_rates(rec, est, closed, end)


def _stock_flow_rates(rec: dict, est, closed, end) -> dict:
    if pd.notna(end):
        base = ind.stock_flow_start(end, est, closed)
        rec["stock-flow base 1998"] = int(base)
        if base > 0:
            rec["entry rate on that base, %"] = ind.entry_rate(est, base)
            rec["exit rate, %"] = ind.exit_rate(closed, base)
            rec["net rate, %"] = ind.net_rate(est, closed, base)
            rec["turbulence on that base"] = ind.turbulence(est, closed, base)
    return rec


def firm_dynamics(case: Case) -> pd.DataFrame:
    """Firms established and closed 1998-2005 against Norway: the rates the appendix prints, the 1998
    stocks those rates allow, and the rates on the stock the stock-flow identity implies."""
    fd = case.data["firm_dynamics"]
    mine = fd[(fd["area"] == case.rid) & fd["established"].notna() & fd["closed"].notna()]
    if mine.empty:
        return mine
    source = "Tabell v.6" if (mine["source"] == "Tabell v.6").any() else mine["source"].iloc[0]
    mine = mine[mine["source"] == source]
    nat = fd[(fd["area"] == "norway") & (fd["source"] == source) & fd["industry_id"].isin(mine["industry_id"])]
    rows = [_dynamics_row(case, r) for r in pd.concat([mine, nat]).to_dict("records")]
    for r in mine.to_dict("records"):
        case.findings.record(f"dynamics.net.{r['industry_id']}.{r['source']}", int(r["established"] - r["closed"]),
                             "firms", f"Net change in firms (established - closed), {case.industry(r['industry_id'])}, {r['source']}")
    table = pd.DataFrame(rows)
    case.heading("Firm dynamics, 1998–2005")
    case.say(f"{source} prints entry rates and turbulence as shares of the 1998 stock of firms, but not the stock. "
             "Each printed rate allows a range of stocks; the stock-flow identity (firms in 2005 − established + "
             "closed) gives another, and firms that move or change industry make the two differ. The rates below "
             "are recomputed on the stock-flow base beside the printed ones.")
    for c in ("firms 2005", "established", "closed", "net", "stock-flow base 1998"):
        if c in table:
            table[c] = table[c].astype("Int64")
    case.table(table, "firm-dynamics", decimals={c: 0 for c in table.columns}, views=dynamics_views(table))
    shown = [case.industry(g) for g in [*GROUPS, "tech-total", "core"]]
    plotted = table.dropna(subset=["printed entry rate, %"])
    plotted = plotted[plotted["group"].isin(shown) & (plotted["printed entry rate, %"] > 0)]
    if not plotted.empty and plotted["area"].nunique() > 1:
        fig = plots.compare_dots(plotted, "group", "printed entry rate, %", "area",
                                 f"{case.name}: firms established 1998–2005 per 100 firms of 1998, beside Norway",
                                 "Entry rate (% of the 1998 stock, log scale)", benchmarks=[case.area("norway")], log=True)
        case.figure(fig, "entry-rates", citation(mine), plotted)
    return table


DYNAMICS_COUNTS = ("area", "group", "firms 2005", "established", "closed", "net", "1998 stock the entry rate allows",
                   "stock-flow base 1998")
DYNAMICS_RATES = {"printed entry rate, %": "entry, printed", "entry rate on that base, %": "entry, stock-flow base",
                  "exit rate, %": "exit, stock-flow base", "net rate, %": "net, stock-flow base",
                  "printed turbulence": "turbulence, printed", "turbulence on that base": "turbulence, stock-flow base"}


def dynamics_views(table: pd.DataFrame) -> list[tuple[pd.DataFrame, str]]:
    """The firm-dynamics table in two that each fit a page: the counts with the 1998 stocks, and the rates
    per 100 firms of 1998 as printed and on the stock-flow base."""
    # 'established' alone would read as a year column (and print 1795 firms as the year 1795)
    counts = table[[c for c in DYNAMICS_COUNTS if c in table.columns]].rename(
        columns={"established": "established 1998–2005", "closed": "closed 1998–2005"})
    rates = table[["area", "group", *(c for c in DYNAMICS_RATES if c in table.columns)]].rename(columns=DYNAMICS_RATES)
    return [(counts, "Firms in 2005, established and closed 1998–2005, and the 1998 stock"),
            (rates, "Rates per 100 firms of 1998: as printed, and on the stock-flow base")]


def value_chains(case: Case) -> pd.DataFrame:
    """The value chains the source describes, stage by stage, with the region's position marked."""
    vc = case.rows("value_chain")
    if vc.empty:
        return vc
    case.heading("Position in the value chain")
    case.say("Figures 6.1 and 6.2 of the NIBR report were lost in the text extraction; the chains are redrawn here "
             "from the report's own description of them, the stages where the region's firms work shaded.")
    fig = plots.value_chain(vc, f"{case.name}: the value chains and the region's position",
                            chain_labels={c: case.term("value-chain", c) for c in vc["chain"].unique()},
                            region_label=f"firms of {case.name}")
    case.figure(fig, "value-chains", citation(vc), vc[["chain", "step", "stage", "actors", "region_position"]])
    for chain in dict.fromkeys(vc["chain"]):
        steps = vc[(vc["chain"] == chain) & vc["region_position"].fillna(False)]
        case.findings.record(f"value-chain.{chain}.stages-in-region", int(len(steps)), "count",
                             f"Stages of the {chain} chain where the source places the region's firms")
    return vc


def case_material(case: Case) -> pd.DataFrame:
    """The clusters, key firms and strengths the case material names, by document where several speak of the
    region and by industry where the source treats industries one by one; an industry's strengths are in its
    profile of the cluster assessment (:func:`cluster_assessment`), not repeated here."""
    return material.show(case, "production-system", "Clusters, key firms and strengths in the case material",
                         exclude=profiled(case))


# indicators topics shown elsewhere or not about the region: the cluster assessment draws 'cluster'; 'process'
# counts the making of a source (participants, workshops, megatrends), not the region
KEY_FIGURES_LEAVE_OUT = ("cluster", "process")
NIBR = "nibr-2005-11"  # its town indicators belong to the chapter sections that use them


def _status_repeats(case: Case, rows: pd.DataFrame) -> pd.Series:
    """Indicator rows that repeat the status of one of the region's targets (shown with the target)."""
    tg = case.rows("targets")
    if tg.empty:
        return pd.Series(False, index=rows.index)
    shown = {(abs(float(v)), str(p)) for v, p in zip(tg["status_value"], tg["status_period"]) if pd.notna(v)}
    return pd.Series([(abs(float(v)), str(p)) in shown for v, p in zip(rows["value"], rows["period"])], index=rows.index)


def key_figures(case: Case) -> pd.DataFrame:
    """The numbers the later documents print about the region (not its making, not what other sections show),
    with the growth rates drawn side by side and the contradictions between them named (errata)."""
    rows = case.rows("indicators")
    if rows.empty:
        return rows
    rows = rows[(rows["doc"] != NIBR) & ~rows["topic"].isin(KEY_FIGURES_LEAVE_OUT)]
    rows = rows[~_status_repeats(case, rows)]
    if rows.empty:
        return rows
    case.heading(f"{case.name} in numbers")
    label = [r["indicator"].replace("-", " ") + (f" ({r['category'].replace('-', ' ')})" if r["category"] != "all" else "")
             for r in rows.to_dict("records")]
    table = pd.DataFrame({"what": rows["description"].values, "value": [printed(v, q) for v, q in
                                                                        zip(rows["value"], rows["qualifier"])],
                          "unit": rows["unit"].values, "year or period": rows["period"].values,
                          "source": (rows["source"] + ", lines " + rows["lines"]).values})
    growth = rows.assign(measure=[f"{lab}, {p}" for lab, p in zip(label, rows["period"])], panel="",
                         as_printed=[printed(v, q) + " %" for v, q in zip(rows["value"], rows["qualifier"])])
    growth = growth[growth["unit"] == "% change"]
    if len(growth) >= 2:
        title = f"{case.name}: the growth its sources print"
        fig = plots.panel_bars(growth, "measure", "value", "panel", title, xlabels={"": "Change over the period (%)"},
                               label="as_printed")
        case.figure(fig, "growth", citation(growth), growth[["measure", "value", "qualifier", "period", "source", "lines"]],
                    caption=title)
        table = table[~rows.index.isin(growth.index)]  # drawn above
        err = case.data.get("errata", pd.DataFrame())
        ids = sorted({e for e in growth["errata_id"].dropna() if e}) if "errata_id" in growth else []
        named = err[err["errata_id"].isin(ids)] if not err.empty else err
        if not named.empty:
            case.say("Where the printed figures seem to disagree: " + "; ".join(
                f"{r['topic']} ({r['reason'].split('. ')[0]})" for r in named.to_dict("records"))
                + ".")
    if not table.empty:
        case.table(table, "key-figures")
    return table


def conclusion(case: Case) -> None:
    """The chapter's conclusion, from the results above."""
    got = {r["id"]: r["value"] for r in case.findings.records()}
    key = f"employment.{case.rid}.tech-total.rel-change-pct.{T0}-{T1}"
    if key not in got:
        return
    rest = got.get(f"employment.{REST}.tech-total.rel-change-pct.{T0}-{T1}")
    shift_total = got.get(f"shift-share.rest-of-country.regional_shift.{T0}-{T1}")
    k = got.get(f"specialisation.krugman.{T1}")
    case.heading("Conclusion")
    text = (f"{case.name}'s technology industries changed by {number(got[key], 1, sign=True)} % between {T0} and {T1}, against "
            f"{number(rest, 1, sign=True)} % in the rest of the country. ")
    if shift_total is not None:
        text += (f"Against the trend of the rest of the country, the town's regional shift adds up to "
                 f"{number(shift_total, sign=True)} persons: " + ("the town's groups did better than their national trends. "
                                                     if shift_total > 0 else "the town's groups did worse than their national trends. "))
    if k is not None:
        text += f"Its technology structure differs from Norway's with a Krugman index of {number(k, 2)}. "
    case.say(text + verdict_sentence(case, "production-system"))


ROLES = {"system-firm": "system firm", "technology-supplier": "technology supplier",
         "system-or-technology": "system firm or technology supplier", "contract-supplier": "contract supplier",
         "subcontractor": "subcontractor or service firm", "institution": "institution", "customer": "customer",
         "other": "other actor"}


def networks(case: Case) -> pd.DataFrame:
    """The networks the chapter draws or describes, as networks: actors coloured by role, links only
    where the source prints them (a supplier network; a value chain with its support actors around it)."""
    nodes = case.rows("network_nodes")
    if nodes.empty:
        return nodes
    label = "label_en" if "label_en" in nodes.columns else "label"
    for network, g in nodes.groupby("network", sort=False):
        g = g.assign(Role=[("core chain stage" if r["group"] == "core-chain" else ROLES.get(r["role"], r["role"]))
                                for r in g.to_dict("records")])
        edges = pd.DataFrame([(r["node_id"], t) for r in g.to_dict("records")
                              for t in str(r["linked_to"] or "").split(";") if t and t != "<NA>" and pd.notna(r["linked_to"])],
                             columns=["source", "target"])
        chain = g.loc[g["group"] == "core-chain", "node_id"].tolist()
        case.heading(plots.first_upper(case.term("network", network)))
        printed = len(edges)
        if chain:
            case.say(f"The core chain (dark arrows, upstream → downstream) with the {len(g) - len(chain)} actors the "
                     f"chapter places around it; {printed} links are printed in the text, each drawn.")
            fig = plots.network(g, edges, f"{case.name}: the value chain and the actors around it", label=label,
                                group="Role", layout="chain", chain=chain,
                                bands={"institution": 1, "customer": 0, "subcontractor or service firm": -1,
                                       "technology supplier": -1, "other actor": -1})
        elif edges.empty:
            case.say(f"Members ({len(g)}), with no links printed between them: "
                     + "; ".join(f"{r[label]} ({r['Role']})" for r in g.to_dict("records")) + ".")
            continue
        else:
            left = ["system firm", "technology supplier", "system firm or technology supplier"]
            case.say(f"{len(g)} actors; the text prints {printed} links between them, and only those are drawn."
                     + (" The contract suppliers on the right are those that at least two of the firms on the left name "
                        "among their largest; which firm named which is not printed." if network.endswith("suppliers") else ""))
            fig = plots.network(g, edges, f"{case.name}: system firms and technology suppliers (left) and their "
                                f"suppliers (right)", label=label, group="Role", left_groups=left)
        case.figure(fig, f"network-{network}", citation(g), g[["node_id", label, "Role", "group", "linked_to", "source", "lines"]])
    return nodes


def _ssb_source(meta: dict) -> str:
    return (f"Source: Statistics Norway, table {meta['table_id']} (PxWebApi v2, retrieved "
            f"{meta['retrieved_utc'][:10]}); SN2007 divisions grouped by Eurostat's high-tech aggregation")


def _by_class(frame: pd.DataFrame) -> pd.DataFrame:
    """Employed persons by technology class and year, over the municipalities that cover the registry's area."""
    same = frame[frame["same_area"].astype(str).str.lower() == "true"]
    return same.groupby(["year", "tech_class"], as_index=False)["employed"].sum()


def register_data(case: Case) -> pd.DataFrame:
    """Statistics Norway register employment (SN2007, ``fetch-ssb``) for the region: another vintage than the
    sources, never joined to their series; with a national extract, the classic location quotient against all
    industries. A series break (a merger) is shown, not bridged."""
    folder = region_folder(case.rid)
    found = read_extract(folder, table_of(folder, "employment", EMPLOYMENT_TABLE))
    if found is None:
        if case.region.documents == ("user-registry",):  # a region added for its register data: say how to get them
            case.say(f"*No Statistics Norway register data have been fetched for {case.name}; "
                     f"`python -m analysis fetch-ssb --region {case.rid}` would add them here.*")
        return pd.DataFrame()
    frame, meta = found
    case.heading("Statistics Norway register data (SN2007)")
    other = frame[frame["same_area"].astype(str).str.lower() != "true"]
    case.say(f"Employed persons by workplace municipality (4th quarter), SSB table {meta['table_id']}, retrieved "
             f"{meta['retrieved_utc'][:10]}; vintage **{meta['vintage']}**, not comparable with the 2005 report's groups."
             + (f" Series break: in {', '.join(map(str, sorted(other['year'].unique())))} the municipality numbers "
                "covered another area (a merger); those rows are left out." if not other.empty else ""))
    levels = _by_class(frame)
    if levels.empty:
        return levels
    totals = levels.groupby("year", as_index=False)["employed"].sum().assign(tech_class="all industries")
    tech = frame[(frame["same_area"].astype(str).str.lower() == "true") & (frame["technology"].astype(str).str.lower() == "true")]
    tech = tech.groupby("year", as_index=False)["employed"].sum().assign(tech_class="technology industries")
    series = pd.concat([tech, totals], ignore_index=True)
    wide = pd.concat([levels, series]).pivot_table(index="tech_class", columns="year", values="employed", aggfunc="sum")
    wide.columns = [str(c) for c in wide.columns]
    case.table(wide.reset_index().rename(columns={"tech_class": "class"}), "ssb-employment-by-class")
    fig = plots.series_lines(series, "year", "employed", "tech_class", f"{case.name}: register employment, SN2007",
                             "Employed persons", xlabel="Year (4th quarter)")
    case.figure(fig, "ssb-employment", _ssb_source(meta), series)
    national = read_extract(region_folder("norway"), table_of(region_folder("norway"), "employment", EMPLOYMENT_TABLE))
    if national is None:
        case.say("Without a national extract (`python -m analysis fetch-ssb --region norway`) no location quotient "
                 "against all industries can be computed.")
        return series
    nat = _by_class(national[0])
    year = int(min(levels["year"].max(), nat["year"].max()))
    mine, theirs = levels[levels["year"] == year].set_index("tech_class")["employed"], nat[nat["year"] == year].set_index("tech_class")["employed"]
    lq = ind.locq_frame(pd.DataFrame({"e_ij": mine.reindex(theirs.index).fillna(0), "e_j": mine.sum(), "e_i": theirs,
                                      "e": theirs.sum()}))
    names = {c.class_id: c.label for c in nace_classes().values()}
    table = pd.DataFrame({"class": lq.index, "class name": [names.get(c, c) for c in lq.index],
                          "employed": lq["e_ij"].astype(int).values, "location quotient (1 = Norway)": lq["locq"].values})
    case.say(f"Location quotient against all industries, {year}: the class's share of {case.name}'s employment over "
             "its share of Norway's (the classic quotient, Isserman 1977).")
    case.table(table, "ssb-location-quotients", decimals={"location quotient (1 = Norway)": 2})
    return table

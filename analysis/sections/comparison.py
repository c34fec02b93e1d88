"""The comparison notebook: the four towns side by side on every measure of the case chapters
(NIBR-rapport 2005:11, ch. 8, *Likheter og ulikheter*), each beside the rest of the country."""

from __future__ import annotations

import pandas as pd

from analysis import indicators as ind
from analysis import plots
from analysis import survey as sv
from analysis.data.regions import get_region
from analysis.sections.base import cite
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    GROUPS, SECTION_TITLES, TOWNS, Study, citation, number, open_study as _open_study,
)
from analysis.sections.claims import claims_of, synthesis, verdict_sentence  # noqa: F401
from analysis.sections.reproduction import reproduce_published  # noqa: F401
from analysis.sections.display import join_citations
from analysis.survey import InsufficientData

NOTEBOOK = "comparison"
APPENDIX = "Tabell v.3"
T0, T1 = 1997, 2005
REST = "rest-of-norway"
# The core each town's Figur 8.1 signs compare, as the appendix groups of the same definition (Tabell v.2, v.6).
FIG81_CORE = {"horten": ["g3"], "kongsberg": ["g2", "g4"], "raufoss": ["g2", "g4"], "halden": ["g3", "g5"]}


def open_study(regions=None, output_dir: str = "", data=None) -> Study:
    return _open_study(regions, output_dir, NOTEBOOK, data)


def _towns(study: Study) -> list[str]:
    return [t for t in TOWNS if t in study.regions]


def coverage(study: Study) -> pd.DataFrame:
    """What each region's sources hold, chapter by chapter: the arguments they make there and how many of those
    the printed numbers can test ('material' where they hold facts or numbers but no argument is recorded)."""
    claims = study.data.get("claims", pd.DataFrame(columns=["region_id", "section", "test"]))
    rows = []
    for rid in study.regions:
        reg = get_region(rid)
        row = {"region": reg.name}
        for key, present in reg.sections.items():
            mine = claims[(claims["region_id"] == rid) & (claims["section"] == key.replace("_", "-"))]
            tested = int(mine["test"].notna().sum())
            row[SECTION_TITLES[key]] = (f"{len(mine)} ({tested} tested)" if len(mine) else
                                        "material" if present else "–")
        rows.append(row)
    study.heading("What the sources cover")
    study.say("Each cell: the arguments the region's sources make in that chapter, and in brackets how many of them "
              "the printed numbers can test; 'material' where the sources hold facts or numbers for the chapter but "
              "make no argument of their own there. The four technology towns carry the NIBR report's full chapters; "
              "the other regions what their shorter documents give.")
    return study.table(pd.DataFrame(rows), "coverage")


def towns_change(study: Study) -> pd.DataFrame:
    """Employment 2005 (1997 = 100) by group in each town, the four towns together and the rest of the country."""
    emp = study.data["employment"].query("source == @APPENDIX")
    areas = [*_towns(study), "tech-towns", REST]
    frames = []
    for a in areas:
        groups = ind.change_table(emp, a, T0, T1, APPENDIX, GROUPS)
        e0, e1 = float(groups["e_t0"].sum()), float(groups["e_t1"].sum())
        total = pd.DataFrame([{"industry_id": "tech-total", "e_t0": e0, "e_t1": e1, "abs_change": e1 - e0,
                               "rel_change_pct": ind.rel_change(e1, e0), "rel_change_defined": True}])
        frames.append(pd.concat([groups, total], ignore_index=True).assign(area=a))
    table = pd.concat(frames, ignore_index=True)
    table["group"] = table["industry_id"].map(study.industry)
    table["area_name"] = table["area"].map(study.area)
    table["index_2005"] = (100 + table["rel_change_pct"]).astype("Float64")
    study.heading(f"Employment change {T0}–{T1}")
    total = table[table["industry_id"] == "tech-total"].set_index("area")
    better = [study.area(t) for t in _towns(study) if total.loc[t, "rel_change_pct"] > total.loc[REST, "rel_change_pct"]]
    study.say(f"Technology employment grew {number(total.loc['tech-towns', 'rel_change_pct'], 1)} % in the four towns "
              f"together and {number(total.loc[REST, 'rel_change_pct'], 1)} % in the rest of the country; towns above the rest of the "
              f"country: {', '.join(better) or 'none'}.")
    for a in areas:
        study.findings.record(f"towns.{a}.tech-total.rel-change-pct", float(total.loc[a, "rel_change_pct"]), "percent",
                              f"Relative change in technology employment {T0}-{T1}, {study.area(a)}")
    wide = table.pivot_table(index="group", columns="area_name", values="rel_change_pct", aggfunc="first", sort=False)
    study.table(wide.reset_index(), "towns-relative-change")
    plotted = table[["group", "area_name", "e_t0", "e_t1", "rel_change_pct", "index_2005"]]
    fig = plots.compare_dots(plotted, "group", "index_2005", "area_name",
                             f"Employment {T1} by technology group ({T0} = 100): the towns beside the rest of Norway",
                             f"Index, {T0} = 100 (log scale)", benchmarks=[study.area(REST)], log=True, reference=100)
    study.figure(fig, "towns-change", citation(emp[emp["area"].isin(areas)]), plotted)
    return table


def towns_structure(study: Study, year: int = T1) -> pd.DataFrame:
    """Shares of each group in the technology employment of each town and of the rest of the country."""
    emp = study.data["employment"]
    sub = emp[(emp["source"] == APPENDIX) & (emp["year"] == year) & emp["industry_id"].isin(GROUPS)
              & emp["area"].isin([*_towns(study), "tech-towns", REST])]
    share = sub.assign(share_pct=100 * sub["employed"].astype(float) / sub.groupby("area")["employed"].transform("sum"),
                       group=sub["industry_id"].map(study.industry), area_name=sub["area"].map(study.area))
    study.heading(f"Structure of the technology industries, {year}")
    rest = share[share["area"] == REST].set_index("industry_id")["employed"]
    ks = {}
    for area, g in share.groupby("area"):
        ks[area] = ind.krugman(g.set_index("industry_id")["employed"], rest)
        study.findings.record(f"structure.krugman.{area}.{year}", round(ks[area], 4), "index",
                              f"Krugman index of {study.area(area)} against the rest of the country, technology industries {year}")
    study.say("Krugman dissimilarity from the rest of the country's technology structure (0 = the same, 2 = nothing in "
              "common): " + "; ".join(f"{study.area(a)} {number(k, 2)}" for a, k in ks.items() if a != REST) + ".")
    wide = share.pivot_table(index="group", columns="area_name", values="share_pct", sort=False)
    study.table(wide.reset_index(), "towns-structure")
    fig = plots.grouped_bars(share, "group", "share_pct", f"Structure of the technology industries, {year}",
                             "Share of the area's technology employment (%)", group="area_name",
                             group_order=[study.area(a) for a in [*_towns(study), "tech-towns", REST]
                                          if a in set(share["area"])],
                             colours={study.area(REST): plots.BENCHMARK_COLOUR}, ylabel="Technology group")
    study.figure(fig, "towns-structure", citation(sub), share[["group", "area_name", "employed", "share_pct"]])
    return share


def partner_comparison(study: Study) -> pd.DataFrame:
    loc = study.data["locations"]
    loc = loc[(loc["subject"] == "innovation-partners") & (loc["source"] == "Tabell 8.1")]
    if loc.empty:
        return loc
    study.heading("Where the innovation partners are (Tabell 8.1)")
    loc = loc.assign(town=loc["region_id"].map(study.area), location_name=loc["location"].map(lambda x: study.term("location", x)))
    fig = plots.location_bars(loc, "town", "location_name", "value",
                              "Innovation partners by location, NIBR survey 2004 (n not printed)",
                              location_order=[study.term("location", x) for x in ("local", "rest-of-ostlandet", "rest-of-norway", "abroad")],
                              xlabel="Share of partners (%)")
    study.figure(fig, "partner-locations", citation(loc), loc[["town", "location_name", "value"]])
    return loc


def concordance(study: Study, question: str, title: str) -> pd.DataFrame:
    """Kendall's W across the rankings of the same items (towns, firm groups), descriptive."""
    r = study.data["survey_rankings"].query("question == @question")
    r = r[r["region_id"].isin([*study.regions, "tech-towns"])]  # ch. 8 ranks some items for the towns together
    if r.empty:
        return r
    r = r.assign(rater=r["region_id"].map(study.area) + ", " + r["firm_group"].map(lambda x: study.term("firm-group", x)))
    wide = r.pivot_table(index="item_id", columns="rater", values="rank", aggfunc="first")
    short = [c for c in wide.columns if wide[c].notna().sum() < 3]
    kept = wide.drop(columns=short).dropna()
    study.heading(f"Agreement across the rankings: {title}")
    if short:
        study.say(f"Left out (fewer than three ranked items): {', '.join(short)}.")
    try:
        res = sv.kendall_w(kept)
    except (InsufficientData, ValueError):
        study.say(f"Fewer than two rankings share three or more items ({kept.shape[1]} rankings, {kept.shape[0]} common "
                  "items): too few items for a concordance measure.")
        return kept
    study.say(f"Kendall's W across {res.m_raters} rankings of {res.n_items} common items: **{number(res.w, 2)}** (1 = the same "
              "order everywhere, 0 = no agreement). Descriptive: a handful of items supports no test.")
    study.findings.record(f"{question}.kendall-w", round(float(res.w), 4), "W", f"Kendall's W across {', '.join(kept.columns)}")
    # one ranking per town: all firms where printed, else the town's first firm group (Horten: system firms)
    first = {town: ("all" if "all" in set(g["firm_group"]) else g["firm_group"].iloc[0]) for town, g in r.groupby("region_id")}
    pairs = sv.agreement_between_towns(r, groups=first, basis=None)
    pairs = pairs[pairs["defined"].fillna(False)]
    if not pairs.empty:
        study.say("Pairwise (Kendall's tau-b over the items both rank): " + "; ".join(
            f"{study.area(a['a'])}–{study.area(a['b'])} {number(a['tau'], 2)} ({a['n']} items)" for a in pairs.to_dict("records")) + ".")
    study.table(kept.reset_index().assign(item_id=lambda f: [study.item(question, i) for i in f["item_id"]]).rename(
        columns={"item_id": "item"}), f"{question}-concordance", decimals={c: 0 for c in kept.columns})
    return kept


def _national_entry_rate(study: Study, groups: list[str]) -> float:
    """Entry rate of several national groups together: the unprinted 1998 stocks implied by each
    group's printed rate (stock = 100 * established / rate), summed (Tabell v.6)."""
    fd, pv = study.data["firm_dynamics"], study.data["published_values"].set_index("pv_id")
    est = stock = 0.0
    for g in groups:
        e = float(fd[(fd["area"] == "norway") & (fd["industry_id"] == g) & (fd["source"] == "Tabell v.6")]["established"].iloc[0])
        est += e
        stock += 100 * e / float(pv.loc[f"v6.norway.{g}.entry", "value"])
    return ind.entry_rate(est, stock)


def dynamics_matrix(study: Study) -> pd.DataFrame:
    """Figur 8.1: the report's signs for the towns' core sectors against the country, with the employment
    and new-firm signs recomputed from the appendix (the other two rest on survey and accounts data
    the report does not print)."""
    cc = study.data["case_content"]
    rows = cc[cc["item"].str.startswith("Figur 8.1 codes")]
    if rows.empty:
        return rows
    emp = study.data["employment"].query("source == @APPENDIX")
    pv = study.data["published_values"].set_index("pv_id")
    out = []
    for r in rows.to_dict("records"):
        town, signs = r["region_id"], r["item"].split(":")[-1].split()
        core = FIG81_CORE[town]
        town_change = ind.change_table(emp, town, T0, T1, APPENDIX, core)
        nat = {y: sum(float(emp[(emp["area"] == a) & (emp["year"] == y) & (emp["industry_id"] == g)]["employed"].iloc[0])
                      for a in ("tech-towns", REST) for g in core) for y in (T0, T1)}
        town_rel = ind.rel_change(town_change["e_t1"].sum(), town_change["e_t0"].sum())
        nat_rel = ind.rel_change(nat[T1], nat[T0])
        town_entry = float(pv.loc[f"v6.{town}.core.entry", "value"]) if f"v6.{town}.core.entry" in pv.index else None
        national_entry = _national_entry_rate(study, core)
        emp_sign = "+" if town_rel > nat_rel else "-"
        firm_sign = None if town_entry is None else ("+" if town_entry > national_entry else "-")
        out.append({"town": study.area(town), "core groups": ", ".join(study.industry(g) for g in core),
                    "employment (report)": signs[0], "employment recomputed": emp_sign,
                    "core change, %": town_rel, "Norway, same groups, %": nat_rel,
                    "innovation (report)": signs[1], "new firms (report)": signs[2], "new firms recomputed": firm_sign,
                    "core entry rate, %": town_entry, "Norway entry rate, same groups, %": national_entry,
                    "profitability (report)": signs[3], "source": f"{cite(r['source'], r['lines'])}"})
        for comp, mine, theirs in (("employment", emp_sign, signs[0]), ("new-firm", firm_sign, signs[2])):
            if mine is not None and theirs.strip("()") in "+-":
                study.findings.record(f"fig8-1.{comp}-sign-agrees.{town}", float(mine == theirs.strip("()")), "boolean",
                                      f"Recomputed {comp} sign ({mine}) agrees with Figur 8.1 ({theirs}) for {town}")
    table = pd.DataFrame(out)
    study.heading("Dynamic components (Figur 8.1)")
    agree_e = (table["employment recomputed"] == table["employment (report)"].str.strip("()")).sum()
    agree_f = (table["new firms recomputed"] == table["new firms (report)"].str.strip("()")).sum()
    study.say("Signs: + substantially better than the country, − worse, 0 the same, (+) somewhat better (fn 132). The "
              "employment and new-firm columns are recomputed from the appendix (core groups' change against Norway's "
              f"in the same groups, Tabell v.3; entry rates, Tabell v.6), reading '(+)' as '+': the recomputed employment "
              f"sign agrees for {agree_e} of {len(table)} towns, the new-firm sign for {agree_f} of {len(table)}. The "
              "innovation and profitability columns rest on survey and accounts data the report does not print.")
    return study.table(table, "fig8-1-dynamics", decimals={c: 1 for c in FIG81_NUMBERS}, views=fig81_views(table))


FIG81_SIGNS = {"employment (report)": "employment, the report", "employment recomputed": "employment, recomputed",
               "innovation (report)": "innovation, the report", "new firms (report)": "new firms, the report",
               "new firms recomputed": "new firms, recomputed", "profitability (report)": "profitability, the report"}
FIG81_NUMBERS = ("core change, %", "Norway, same groups, %", "core entry rate, %", "Norway entry rate, same groups, %")


def fig81_views(table: pd.DataFrame) -> list[tuple[pd.DataFrame, str]]:
    """Figur 8.1 as it is drawn, a matrix of signs (components by town, the recomputed signs under the
    report's, with a true minus), and the numbers the recomputed signs rest on, town by town."""
    signs = table.set_index("town")[list(FIG81_SIGNS)].rename(columns=FIG81_SIGNS).T
    signs = signs.map(lambda v: v.replace("-", "−") if isinstance(v, str) else "")
    signs = signs.rename_axis("component").reset_index().rename_axis(None, axis=1)
    sources = join_citations(table["source"])
    return [(signs, f"Figur 8.1's signs for the core sectors against the country, the report's and the recomputed "
                    f"({sources})"),
            (table[["town", "core groups", *FIG81_NUMBERS]],
             "What the recomputed signs compare: the core groups' change and entry rate against Norway's")]


def _claims(study: Study, sections=("comparison",)) -> pd.DataFrame:
    cl = claims_of(study, sections[0])
    for s in sections[1:]:
        cl = pd.concat([cl, claims_of(study, s)], ignore_index=True)
    return cl[cl["region_id"].isin(_towns(study))]


# Cooke's criteria for a regional innovation system as the report lists them (§4.5, lines 4058-4065)
COOKE = {1: "Cooperating firms", 2: "Cooperation with knowledge organisations", 3: "Local support organisations"}
COMPONENTS = {"employment": "Employment vs the country", "innovation rates": "Innovation rates",
              "new-firm rates": "New-firm rates", "profitability": "Profitability"}


def _criterion(r: dict) -> str:
    """A short column name for a verdict: 'Cooperating firms (Cooke 1)', 'New-firm rates' ..."""
    if r["kind"] == "cluster-verdict":
        return "Cluster verdict (ch. 9)"
    sub = str(r["subkind"] or "")
    if "Cooke criterion" in sub:
        k = int(sub.split("criterion")[-1].strip(" )"))
        return f"{COOKE.get(k, sub.split(' (')[0])} (Cooke {k})"
    head = sub.split(" (")[0]
    for key, name in COMPONENTS.items():
        if head.startswith(key):
            return name
    return head


def matrix(study: Study) -> pd.DataFrame:
    """Chapter 8-9 as a comparative matrix of the four towns: the report's verdicts (cluster, Cooke's
    regional-innovation-system criteria, Figur 8.1's dynamic components) and, in words, the production
    system, the main barriers and the policy needs, each cell with its citation."""
    cl = _claims(study, ("comparison", "policy"))
    if cl.empty:
        return cl
    study.heading("The four towns compared: the report's verdicts")
    verdicts = cl[cl["kind"].isin(["cluster-verdict", "ris-criterion", "dynamic-component"]) & cl["report_verdict"].notna()]
    grid = verdicts.assign(town=verdicts["region_id"].map(study.area), criterion=[_criterion(r) for r in verdicts.to_dict("records")],
                           tested=verdicts["verdict"].map({"supported": "data agree", "contradicted": "data disagree"}))
    present = set(grid["criterion"])
    order = [c for c in ["Cluster verdict (ch. 9)", *[f"{v} (Cooke {k})" for k, v in COOKE.items()], *COMPONENTS.values()]
             if c in present] + sorted(present - {"Cluster verdict (ch. 9)", *COMPONENTS.values(),
                                                  *[f"{v} (Cooke {k})" for k, v in COOKE.items()]})
    study.say("Each cell is the report's own verdict (chapters 8 and 9): the cluster verdict, Cooke's criteria for a "
              "regional innovation system (yes / partly / no), and the signs of Figur 8.1 against the country "
              "(+ substantially better, (+) somewhat better, 0 the same, − worse). Where the appendix allows a "
              "recomputation, the cell says whether the printed data agree.")
    fig = plots.verdict_grid(grid, "town", "criterion", "report_verdict",
                             "The technology towns in the report's verdicts (NIBR-rapport 2005:11, ch. 8–9)",
                             row_order=[study.area(t) for t in _towns(study)], column_order=order, note="tested")
    study.figure(fig, "comparative-verdicts", citation(verdicts),
                 grid[["town", "criterion", "report_verdict", "verdict", "source", "lines"]])
    words = cl[cl["kind"].isin(["cluster-type", "production-system", "barrier", "policy-diagnosis", "policy-recommendation"])]
    aspect = {"cluster-type": "how the cluster grew", "production-system": "production system", "barrier": "main barriers",
              "policy-diagnosis": "policy needs", "policy-recommendation": "policy needs"}
    rows = []
    for (town, kind), g in words.groupby(["region_id", words["kind"].map(aspect)], sort=False):
        first = g.iloc[0]
        more = f" (+{len(g) - 1} more)" if len(g) > 1 else ""
        rows.append({"town": study.area(town), "aspect": kind,
                     "the report": f"{first['claim']} ({cite(first['source'], first['lines'])}){more}"})
    if not rows:
        return grid
    table = pd.DataFrame(rows).pivot_table(index="aspect", columns="town", values="the report", aggfunc="first")
    study.heading("The four towns compared: in the report's words")
    study.table(table.reindex(columns=[study.area(t) for t in _towns(study)]).reset_index(), "comparative-matrix")
    return grid


def conclusion(study: Study) -> None:
    """Chapter 8's conclusion from the comparison: which towns grew faster than the rest of the country,
    which is the operative cluster, how far the recomputed dynamic components agree with Figur 8.1."""
    got = {r["id"]: r["value"] for r in study.findings.records()}
    towns = _towns(study)
    rest = got.get("towns.rest-of-norway.tech-total.rel-change-pct")
    parts = []
    if rest is not None:
        above = [study.area(t) for t in towns if got.get(f"towns.{t}.tech-total.rel-change-pct", -1e9) > rest]
        parts.append(f"Between 1997 and 2005 the technology industries grew "
                     f"{number(got['towns.tech-towns.tech-total.rel-change-pct'], 1)} % in the four towns together "
                     f"against {number(rest, 1)} % in the rest of the country"
                     + (f"; only {', '.join(above)} grew faster" if above else "; none of the towns grew faster"))
    cl = claims_of(study, "comparison")
    operative = cl[(cl["kind"] == "cluster-verdict") & (cl["report_verdict"] == "operative")]
    if not operative.empty:
        parts.append(f"the report calls {', '.join(study.area(t) for t in operative['region_id'])} the operative cluster and "
                     "the other towns latent")
    agree = [v for k, v in got.items() if k.startswith("fig8-1.")]
    if agree:
        parts.append(f"the components of Figur 8.1 that the appendix allows to recompute agree in {int(sum(agree))} of "
                     f"{len(agree)} cases")
    study.conclude(parts, verdict_sentence(study, "comparison", "tech-towns"))

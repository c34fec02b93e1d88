"""The cluster assessment, industry by industry: what a report prints about each industry (value added,
employment, firms) with the benchmarks it prints (the region's share of its county and of Norway), the
productivity those numbers allow, and the report's cluster criteria as a grid and a table per industry
with its own verdict (``cluster_criteria``), beside each industry's strengths and barriers
(``case_content`` with ``industry``).

Written for Østfoldforskning's Nedre Glomma report (2013), which treats four industries one by one;
any region with ``cluster_criteria`` rows gets the grid (Halden's operative-cluster criteria, NIBR §7.5).
Shown from the production-system notebook (:func:`analysis.sections.production_system.cluster_assessment`).
"""

from __future__ import annotations

import pandas as pd

from analysis import plots
from analysis.sections.base import as_printed, cite, Case, citation, number
from analysis.plots import first_upper

# The report's framework (of-2013 §3.1.1 Figur 3 and Tabell 2), in its order; other criteria follow.
FRAMEWORK = (
    ("value-creation potential (Figur 3)", ("resource-base", "market", "competing-regions", "value-creation-potential")),
    ("potential synergies (Tabell 2)", ("vertical-structure", "horizontal-structure", "size")),
    ("relational preconditions (Tabell 2)", ("proximity", "cluster-identity", "mutual-trust", "facilitator")),
    ("interaction properties (Tabell 2)", ("collaboration", "external-links", "knowledge-links", "capital-links",
                                           "knowledge-mobility")),
)
OVERALL = "overall"
ASSESSMENTS = ("met", "partly", "not-met", "unclear", "not-assessed")
# Reports that discuss their criteria in prose and score none: the cell is the project's reading of the sentence.
SCORED_IN_PROSE = ("of-2013-nedre-glomma",)
DEFINITION_PREFIX = "Cluster-assessment criterion"  # case_content items that define Tabell 2's criteria
# What the report prints per industry, with the panel title of each (indicators, topic cluster).
MEASURES = {"value-added": "Value added", "value-added-share": "Share of the region's value added",
            "employed": "Employed persons", "employment-share": "Share of the region's employment", "firms": "Firms"}
MARKS = {"over": "> ", "under": "< ", "approx": "≈ ", "range-low": "from ", "range-high": "to "}
WORDS = {"over": "over ", "under": "under ", "approx": "about "}  # the same marks in prose
STRENGTH_KINDS = ("strength",)
BARRIER_KINDS = ("barrier", "challenge")


def industries(case: Case) -> list[str]:
    """The industries the region's report treats one by one, in the report's order."""
    crit = case.rows("cluster_criteria")
    cc = case.rows("case_content")
    found = [*crit.get("industry", pd.Series(dtype=str)),
             *(cc["industry"].dropna() if "industry" in cc.columns else [])]
    return [i for i in dict.fromkeys(found) if i and i != "all"]


def printed(value, qualifier, words: bool = False) -> str:
    """A value as the source prints it, with its qualifier: '> 8,400', '≈ 40', '5.6' ('over 8,400' in words)."""
    mark = (WORDS if words else MARKS).get(str(qualifier), "") if isinstance(qualifier, str) else ""
    return f"{mark}{as_printed(value)}"





def _used(rows: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """One row per key: a fact printed twice keeps the printing its description marks 'Used:'."""
    rows = rows.assign(_used=rows["description"].fillna("").str.contains("Used:")).sort_values("_used", ascending=False)
    return rows.drop_duplicates(key).drop(columns="_used")


def industry_measures(case: Case) -> pd.DataFrame:
    """Value added, employment and firms per industry as printed, one panel per measure, every industry on
    every panel so that what the report does not print shows as such; and the productivity they allow."""
    names = industries(case)
    rows = case.rows("indicators", topic="cluster", indicator=list(MEASURES))
    rows = rows[rows["category"].isin(names)] if not rows.empty else rows
    if rows.empty:
        return rows
    rows = _used(rows, ["indicator", "category", "period"])
    case.heading(f"{case.name}'s industries in the report's numbers")
    shown = rows.assign(industry=[case.term("industry-segment", c) for c in rows["category"]],
                        measure=[f"{MEASURES[i]}, {p}" for i, p in zip(rows["indicator"], rows["period"])],
                        as_printed=[printed(v, q) for v, q in zip(rows["value"], rows["qualifier"])])
    shown = shown.drop_duplicates(["measure", "industry"])
    units = dict(zip(shown["measure"], shown["unit"]))
    case.say(f"What the report prints for each of the {len(names)} industries it treats; its charts of growth, "
             "productivity and margins are lost in the text extraction, so a value it gives only there shows as "
             "'not printed'. A mark before a value is the report's own ('over', 'under', 'about').")
    title = f"{case.name}: the industries in the report's numbers"
    rank = {m: list(MEASURES).index(i) for m, i in zip(shown["measure"], shown["indicator"])}
    panels = sorted(rank, key=lambda m: (rank[m], m))
    fig = plots.panel_bars(shown, "industry", "value", "measure", title, xlabels=units, label="as_printed",
                           order=[case.term("industry-segment", i) for i in names], panel_order=panels)
    case.figure(fig, "industry-measures", citation(rows),
                shown[["industry", "measure", "value", "unit", "qualifier", "source", "lines"]], caption=title)
    productivity(case, rows)
    return shown


def productivity(case: Case, rows: pd.DataFrame) -> None:
    """Value added per employed person where both are printed, and an industry's value-added share over its
    employment share (its productivity relative to the region's average)."""
    level = rows.pivot_table(index="category", columns="indicator", values="value", aggfunc="first")
    quals = rows.pivot_table(index="category", columns="indicator", values="qualifier", aggfunc="first")
    said = []
    for cat in level.index:
        name = case.term("industry-segment", cat)
        va, emp = level.get("value-added", {}).get(cat), level.get("employed", {}).get(cat)
        if pd.notna(va) and pd.notna(emp) and emp > 0:
            per = 1000 * float(va) / float(emp)  # NOK billion over persons, in NOK million per person
            bound = {"over": "at most ", "under": "at least "}.get(quals.get("employed", {}).get(cat), "")
            case.findings.record(f"productivity.{cat}.value-added-per-employed", round(per, 4), "NOK million per person",
                                 f"Value added per employed person, {name} (printed value added / printed employment)")
            said.append(f"{name}: {bound}NOK {number(per, 2)} million of value added per employed person "
                        f"({number(va, 1)} billion for {printed(emp, quals.get('employed', {}).get(cat), words=True)} "
                        "employed)")
        share_va, share_emp = level.get("value-added-share", {}).get(cat), level.get("employment-share", {}).get(cat)
        if pd.notna(share_va) and pd.notna(share_emp) and share_emp > 0:
            rel = float(share_va) / float(share_emp)
            case.findings.record(f"productivity.{cat}.relative-to-region", round(rel, 4), "ratio",
                                 f"Value-added share over employment share, {name} (1 = the region's average)")
            said.append(f"{name}: {number(share_va, 0)} % of the value added with {number(share_emp, 0)} % of the "
                        f"employment, value added per employed person {number(rel, 2)} times the region's average")
    if said:
        case.say("Productivity as far as the printed numbers allow: " + "; ".join(said) + ". The report prints no "
                 "national value added per employed person to set beside these.")


def region_shares(case: Case) -> pd.DataFrame:
    """The benchmarks the report prints: the region's share of its county's and Norway's value added, its
    parts' shares of it, the county's share of Norway's (shares whose total names one of these areas)."""
    reg = case.data["regions"]
    parts = reg.loc[reg["reference_areas"].fillna("").str.split(";").map(lambda a: case.rid in a), "region_id"]
    areas = [case.rid, *parts, *case.region.reference_areas]
    stems = [case.area(a).replace("Norway", "Norw") for a in areas]
    ind_ = case.data["indicators"]
    rows = ind_[(ind_["topic"] == "cluster") & ind_["region_id"].isin(areas) & ind_["doc"].isin(case.region.documents)
                & ind_["unit"].map(lambda u: str(u).startswith("% of") and any(s in str(u) for s in stems))]
    own_measures = (rows["region_id"] == case.rid) & rows["indicator"].isin(list(MEASURES))
    rows = rows[~own_measures]
    if rows.empty:
        return rows
    rows = _used(rows, ["region_id", "indicator", "category", "period"])
    rows = rows.assign(_o=rows["region_id"].map({a: i for i, a in enumerate(areas)})).sort_values(
        ["_o", "category", "indicator", "period"]).drop(columns="_o")
    case.heading(f"{case.name} in its county and in Norway")
    what = [f"{case.area(r['region_id'])}"
            + (f" ({case.term('industry-segment', r['category'], r['category'].replace('-', ' '))})"
               if r["category"] != "all" else "")
            + f": {r['unit'].removeprefix('% ')}, {r['period']}" for r in rows.to_dict("records")]
    shown = rows.assign(share=what, panel="", as_printed=[printed(v, q) + " %" for v, q in zip(rows["value"], rows["qualifier"])])
    title = f"{case.name} beside its county and Norway: the shares the report prints"
    fig = plots.panel_bars(shown, "share", "value", "panel", title, xlabels={"": "Percent of the total named on the left"},
                           label="as_printed")
    case.figure(fig, "region-shares", citation(rows), shown[["share", "value", "unit", "qualifier", "source", "lines"]],
                caption=title)
    own = rows[(rows["region_id"] == case.rid) & (rows["category"] == "all")]
    for _, g in own.groupby("indicator"):
        if g["period"].nunique() >= 2:
            a, b = g.sort_values("period").iloc[[0, -1]].to_dict("records")
            what = str(a["unit"]).removeprefix("% of ")
            case.say(f"{case.name}'s share of {what} went from {number(a['value'])} % in {a['period']} to "
                     f"{number(b['value'])} % in {b['period']}: its business grew "
                     f"{'faster' if b['value'] > a['value'] else 'slower'} than the rest of that total.")
    return shown


def _framework_order(criteria) -> list[str]:
    known = [c for _, group in FRAMEWORK for c in group]
    return [c for c in known if c in set(criteria)] + [c for c in dict.fromkeys(criteria)
                                                       if c not in known and c != OVERALL] + [OVERALL]


def _group_of(criterion: str) -> str:
    return next((g for g, cs in FRAMEWORK if criterion in cs), "the report's verdict" if criterion == OVERALL
                else "criteria")


def criteria_grid(case: Case) -> pd.DataFrame:
    """The report's criteria as a verdict grid (industries by criteria), with the counts per industry."""
    crit = case.rows("cluster_criteria")
    if crit.empty:
        return crit
    names = {i: case.term("industry-segment", i, p) for i, p in zip(crit["industry"], crit["industry_label"])}
    labels = {c: case.term("cluster-criterion", c, str(lab).split(" (")[0])
              for c, lab in zip(crit["criterion"], crit["criterion_label"])}
    grid = crit.assign(industry_name=crit["industry"].map(names), criterion_name=crit["criterion"].map(labels),
                       assessment_text=crit["assessment"].str.replace("-", " "))
    order = _framework_order(crit["criterion"])
    case.heading("The report's cluster assessment, industry by industry")
    prose = crit["doc"].isin(SCORED_IN_PROSE).any()
    case.say("Each cell is the assessment of one criterion for one industry; the last column is the report's own "
             "verdict on whether the industry forms a cluster. "
             + ("The report discusses its criteria in prose and scores none of them, so a cell is the reading of the "
                "sentence cited in the tables below: 'met' where the text says the property is present, 'partly' "
                "where in part or expected rather than established, 'not met' where absent or weak, 'unclear' where "
                "the text raises the criterion without a verdict; an empty cell is a criterion the report does not "
                "discuss for that industry." if prose else "An empty cell is a criterion the report does not discuss."))
    fig = plots.verdict_grid(grid, "industry_name", "criterion_name", "assessment_text",
                             f"{case.name}: the report's cluster criteria by industry",
                             row_order=list(dict.fromkeys(grid["industry_name"])),
                             column_order=[labels[c] for c in order if c in labels], xlabel="Criterion",
                             ylabel="Industry")
    case.figure(fig, "cluster-criteria", citation(crit),
                grid[["industry_name", "criterion_name", "assessment", "term_no", "source", "lines"]])
    counts = crit[crit["criterion"] != OVERALL].groupby(["industry", "assessment"]).size().unstack(fill_value=0)
    for industry, r in counts.iterrows():
        for a in ASSESSMENTS:
            if r.get(a, 0) > 0:
                case.findings.record(f"cluster.{industry}.criteria-{a}", int(r[a]), "criteria",
                                     f"Criteria assessed '{a.replace('-', ' ')}' for {names[industry]}")
    return grid


def _listed(items: pd.DataFrame) -> str:
    return "\n".join(f"- {r['item']} ({cite(r['source'], r['lines'])})" for r in items.to_dict("records"))


def profiled(case: Case) -> pd.DataFrame:
    """The case-material rows the industry profiles show (strengths and barriers of an assessed industry)."""
    cc = case.rows("case_content")
    crit = case.rows("cluster_criteria")
    if cc.empty or crit.empty or "industry" not in cc.columns:
        return cc.iloc[0:0]
    return cc[cc["industry"].isin(set(crit["industry"])) & cc["kind"].isin([*STRENGTH_KINDS, *BARRIER_KINDS])]


def industry_profiles(case: Case) -> pd.DataFrame:
    """Per industry: the report's verdict, the criteria with the report's words, its strengths and barriers."""
    crit = case.rows("cluster_criteria")
    if crit.empty:
        return crit
    items = profiled(case)
    out = []
    for industry, g in crit.groupby("industry", sort=False):
        name = case.term("industry-segment", industry, g["industry_label"].iloc[0])
        g = g.set_index("criterion").loc[[c for c in _framework_order(g["criterion"]) if c in set(g["criterion"])]]
        verdict = g.loc[OVERALL] if OVERALL in g.index else None
        as_printed = g["industry_label"].iloc[0]
        text = f"### {first_upper(name)}" + (f" (*{as_printed}*)" if as_printed.lower() != name.lower() else "") + "\n\n"
        if verdict is not None:
            text += (f"The report's verdict: **{verdict['assessment'].replace('-', ' ')}** — «{verdict['term_no']}» "
                     f"({cite(verdict['source'], verdict['lines'])}). {verdict['notes']}")
        case.say(text)
        table = pd.DataFrame({
            "criterion group": [_group_of(c) for c in g.index],
            "criterion": [case.term("cluster-criterion", c) for c in g.index],
            "assessment": g["assessment"].str.replace("-", " ").values,
            "in the report's words": [f"«{t}»" for t in g["term_no"]],
            "the reasoning": g["notes"].fillna("").values,
            "source": (g["source"] + ", lines " + g["lines"]).values})
        case.table(table[table["criterion"] != case.term("cluster-criterion", OVERALL)], f"criteria-{industry}")
        mine = items[items["industry"] == industry]
        for kinds, what in ((STRENGTH_KINDS, "Strengths"), (BARRIER_KINDS, "Barriers and challenges")):
            sub = mine[mine["kind"].isin(kinds)]
            if not sub.empty:
                case.say(f"**{what}** ({len(sub)}):\n" + _listed(sub))
        out.append(table.assign(industry=name))
    return pd.concat(out, ignore_index=True)


def _definition(item: str) -> str:
    """'Cluster-assessment criterion (Potensielle synergier): vertikal struktur – ...' -> '*vertikal struktur* – ...
    (potensielle synergier)'."""
    rest = item.removeprefix(DEFINITION_PREFIX).strip()
    group, _, text = rest.partition("): ")
    name, _, meaning = text.partition(" – ")
    return f"*{name}* ({group.strip('( ').lower()}) – {meaning}" if meaning else rest


def definitions(case: Case) -> pd.DataFrame:
    """The case-material rows that define the report's criteria (Tabell 2), shown with the grid."""
    cc = case.rows("case_content")
    return cc[cc["item"].str.startswith(DEFINITION_PREFIX)] if not cc.empty else cc


def cluster_assessment(case: Case) -> pd.DataFrame:
    """The cluster assessment industry by industry: numbers, benchmarks, criteria, verdicts, strengths, barriers."""
    industry_measures(case)
    region_shares(case)
    grid = criteria_grid(case)
    if grid.empty:
        return grid
    defs = definitions(case)
    if not defs.empty:
        case.say("What Tabell 2's criteria mean:\n" + "\n".join(f"- {_definition(r['item'])} ({r['source']}, lines "
                                                                f"{r['lines']})" for r in defs.to_dict("records")))
    industry_profiles(case)
    return grid


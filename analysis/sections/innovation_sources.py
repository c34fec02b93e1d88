"""The innovation-sources notebook: where the firms get information for innovation, whom they
innovate with and where those partners are, which local institutions matter -- the NIBR survey of
2004 as printed (ranks, counts, shares), with n and intervals, beside the national figures.
"""

from __future__ import annotations

import re

import pandas as pd

from analysis import plots
from analysis import survey as sv
from analysis.sections.base import cite
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    Case, citation, header, open_case as _open_case,
)
from analysis.data.documents import SHORT_NAMES as DOC_SHORT_NAMES
from analysis.sections import material
from analysis.sections.base import as_printed, number
from analysis.sections.claims import synthesis, verdict_sentence  # noqa: F401
from analysis.sections.clusters import definitions, printed
from analysis.sections.reproduction import reproduce_published  # noqa: F401
from analysis.survey import InsufficientData

NOTEBOOK = "innovation-sources"
SURVEY = "nibr-2004"


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)


def respondents(case: Case, firm_group: str = "all", question: str | None = None) -> int | None:
    sr = case.data["survey_respondents"]
    hit = sr[(sr["region_id"] == case.rid) & (sr["firm_group"] == firm_group) & (sr["survey"] == SURVEY)]
    hit = hit[hit["measure"] == ("responded" if question is None else "answered-question")]
    hit = hit[hit["question"].isna()] if question is None else hit[hit["question"] == question]
    return int(hit["n"].iloc[0]) if len(hit) else None


def introduction(case: Case) -> None:
    """Which survey speaks for the region, with its numbers -- only for regions it covered."""
    n = respondents(case)
    if n is None:
        return
    sr = case.data["survey_respondents"]
    total = sr[(sr["region_id"] == "tech-towns") & (sr["survey"] == SURVEY) & (sr["question"].isna())]
    asked = total.loc[total["measure"] == "sampled", "n"]
    answered = total.loc[total["measure"] == "responded", "n"]
    case.say(f"The survey is NIBR's telephone survey of 2004 of technology firms in the four towns: "
             f"{int(asked.iloc[0])} firms asked, {int(answered.iloc[0])} answered; {n} of them in {case.name}. "
             "Larger firms were sought out, so the answers describe these firms, not a random sample of all: every "
             "share below carries its n and an interval, rankings are described, not tested. The survey's microdata "
             "are not public; the printed ranks, counts and shares are analysed as printed.")
    n_all, n_asked = int(answered.iloc[0]), int(asked.iloc[0])
    lo, hi = sv.nonresponse_bounds(n_all // 2, n_all, n_asked)
    case.say(f"How much the {n_asked - n_all} firms that did not answer could matter: {n_all // 2} of the {n_all} that "
             f"answered ({number(100 * (n_all // 2) / n_all)} %) could be anywhere from {number(100 * lo)} % to "
             f"{number(100 * hi)} % "
             "of all firms asked, had the others all answered one way or the other (the towns' own numbers asked "
             "are not printed, so this bound is given for the survey as a whole).")


def rankings(case: Case, question: str, title: str) -> pd.DataFrame:
    """Ranked items by firm group, and how far the groups agree (Kendall's tau-b, descriptive)."""
    r = case.rows("survey_rankings", question=question)
    if r.empty:
        return r
    r = r.assign(item=[case.item(question, i) for i in r["item_id"]],
                 group=r["firm_group"].map(lambda x: case.term("firm-group", x)))
    case.heading(title[0].upper() + title[1:])
    text = r["basis"].eq("text").all()
    ns = r.groupby("group")["n"].first().dropna()
    n_text = "; ".join(f"{g}: n = {int(k)}" for g, k in ns.items()) or "n not printed"
    if text:
        case.say(f"The source states this order in words, without a table ({n_text}).")
    for group, g in r[r["basis"] == "table"].groupby("firm_group"):
        if not sv.is_competition_ranking(g["rank"]):  # ties should share the best rank: 1, 2, 2, 4
            case.say(f"The printed ranks of the {case.term('firm-group', group)} are not a standard competition "
                     "ranking (tied items should share the best rank and the next rank skip); shown as printed.")
    wide = r.pivot_table(index="item", columns="group", values="rank", aggfunc="first").reset_index()
    first = wide.columns[1]
    case.table(wide.sort_values(first), f"{question}-ranks", decimals={c: 0 for c in wide.columns})
    if r["item"].nunique() > 1:
        fig = plots.rank_dots(r, f"{case.name}: {title} ({n_text})")
        case.figure(fig, f"{question}-ranks", citation(r), r[["item", "group", "rank", "n", "basis", "source"]])
    else:  # one item and one rank: a chart would show a single dot
        case.say(f"The source names one item only ({r['item'].iloc[0]}), so there is no order to chart.")
    if r["firm_group"].nunique() >= 2:
        agr = sv.agreement_between_groups(r.assign(question=question), basis=None)
        for a in agr.to_dict("records"):
            ga, gb = case.term("firm-group", a["a"]), case.term("firm-group", a["b"])
            if a["defined"]:
                case.say(f"Agreement between {ga} and {gb} over the {a['n']} items both rank: Kendall's tau-b = "
                         f"**{number(a['tau'], 2)}** (1 = the same order, 0 = unrelated). Descriptive only: {a['n']} items "
                         "ranked by a purposive sample support no test.")
                case.findings.record(f"{question}.tau.{a['a']}.{a['b']}", round(float(a["tau"]), 4), "Kendall tau",
                                     f"Rank agreement ({question}) between {ga} and {gb} over {a['n']} common items")
            else:
                case.say(f"{ga} and {gb} rank only {a['n']} items in common: too few items for a rank agreement.")
    return r


def shares_view(table: pd.DataFrame) -> pd.DataFrame:
    """The survey shares as a reader reads them: answers as 'count of n', the printed share with the source's
    own mark, the interval in one column (the saved CSV keeps every column apart)."""
    def of(r) -> str:
        if pd.isna(r["n"]):
            return ""
        return f"{number(r['count'])} of {number(r['n'])}" if pd.notna(r["count"]) else f"n = {number(r['n'])}"

    def interval(r) -> str:
        if pd.isna(r["interval low, %"]):
            return ""
        return f"{number(r['interval low, %'], 0)}–{number(r['interval high, %'], 0)}"

    rows = table.to_dict("records")
    return pd.DataFrame({"indicator": table["indicator"], "firms": table["firms"],
                         "answers": [of(r) for r in rows], "printed share, %": ["" if pd.isna(r["printed share, %"]) else printed(r["printed share, %"], r["qualifier"])
                                              for r in rows],
                         "share, %": [number(r["share, %"], 0) if pd.notna(r["share, %"]) else "" for r in rows],
                         "95 % interval, %": [interval(r) for r in rows], "note": table["note"],
                         "source": table["source"]})


def _share_row(case: Case, r: dict, population: int | None) -> dict:
    out = {"indicator": r["description"], "firms": case.term("firm-group", r["firm_group"]),
           "count": r["count"], "n": r["n"], "printed share, %": r["share_pct"], "qualifier": r["qualifier"],
           "share, %": None, "interval low, %": None, "interval high, %": None, "note": "",
           "source": f"{cite(r['source'], r['lines'])}"}
    n = None if pd.isna(r["n"]) else int(r["n"])
    if n is None:
        if r["firm_group"] == "all":
            n = respondents(case)
        if n is None:
            out["note"] = "no n printed: no interval"
            return out
        out["n"] = n
    if pd.notna(r["count"]):
        res = sv.share_interval(int(r["count"]), n)
        out.update({"share, %": 100 * res.share, "interval low, %": 100 * res.ci_low, "interval high, %": 100 * res.ci_high})
        counts = (int(r["count"]), int(r["count"]))
    elif pd.notna(r["share_pct"]) and r["qualifier"] == "exact":
        try:
            counts = sv.rounded_share_counts(float(r["share_pct"]), n)
        except ValueError as exc:
            out["note"] = f"not a share of {n} firms ({exc})"
            return out
        lo, hi = sv.share_interval(counts[0], n), sv.share_interval(counts[1], n)
        out.update({"share, %": float(r["share_pct"]), "interval low, %": 100 * lo.ci_low,
                    "interval high, %": 100 * hi.ci_high,
                    "note": f"the printed {as_printed(r['share_pct'])} % of {n} allows {counts[0]}"
                            + (f"–{counts[1]}" if counts[1] != counts[0] else "") + " firms"})
    else:
        out["note"] = "approximate print: no interval"
        return out
    if population and population >= n and r["firm_group"] == "all":
        lo, hi = sv.finite_population_interval(counts[0], n, population)
        out["note"] = (out["note"] + "; " if out["note"] else "") + (
            f"as a random draw from the register's {population} technology firms: {number(100 * lo)}–{number(100 * hi)} %")
    return out


def survey_shares(case: Case) -> pd.DataFrame:
    """Printed survey counts and shares with n and a Wilson interval; compared with each national figure printed."""
    si = case.rows("survey_indicators")
    if si.empty:
        return si
    fd = case.data["firm_dynamics"]
    pop = fd[(fd["area"] == case.rid) & (fd["industry_id"] == "tech-total") & (fd["source"] == "Tabell v.6")]
    population = int(pop["firms_end"].iloc[0]) if len(pop) and pd.notna(pop["firms_end"].iloc[0]) else None
    rows = [_share_row(case, r, population) for r in si.to_dict("records")]
    table = pd.DataFrame(rows)
    case.heading("Survey counts and shares")
    case.say("Each share with its n and a 95 % Wilson interval: what the answers of these firms allow. Where the "
             "source prints only a rounded percentage, the interval covers every count the rounding allows.")
    case.table(table, "survey-shares", views=[(shares_view(table), None)])
    for r, src in zip(rows, si.to_dict("records")):
        if r["share, %"] is not None:
            case.findings.record(f"survey.{src['indicator']}.{src['firm_group']}.share", round(float(r["share, %"]), 2),
                                 "percent", f"{src['description']} (share of {r['n']} firms)")
    drawn = table.dropna(subset=["interval low, %"])
    if len(drawn):
        fig = plots.share_dots(drawn.assign(label=drawn["indicator"]), "label", "share, %",
                               "interval low, %", "interval high, %", "n", f"{case.name}: survey shares with their intervals")
        case.figure(fig, "survey-shares", citation(si), drawn)
    national_comparison(case, si)
    return table


def national_comparison(case: Case, si: pd.DataFrame) -> None:
    """The region's share beside each national figure the source prints for the same indicator."""
    nat = case.data["survey_indicators"]
    nat = nat[nat["region_id"] == "norway"]
    for r in si.to_dict("records"):
        refs = nat[nat["indicator"] == r["indicator"]]
        if refs.empty or pd.isna(r["share_pct"]):
            continue
        n = None if pd.isna(r["n"]) else int(r["n"])
        n = n or (respondents(case) if r["firm_group"] == "all" else None)
        figures = "; ".join(f"{case.term('firm-group', x['firm_group'])} {as_printed(x['share_pct'])} %"
                            + (f" ({x['qualifier'].replace('range-', '')} end of a range)" if "range" in str(x["qualifier"]) else "")
                            for x in refs.to_dict("records"))
        text = f"{r['description']}: {as_printed(r['share_pct'])} % in {case.name}"
        if n:
            try:
                lo_c, hi_c = sv.rounded_share_counts(float(r["share_pct"]), n)
                lo, hi = sv.share_interval(lo_c, n).ci_low, sv.share_interval(hi_c, n).ci_high
                outside = [x for x in refs["share_pct"] if not 100 * lo <= x <= 100 * hi]
                text += (f" (n = {n}, interval {number(100 * lo)}–{number(100 * hi)} %); every national figure printed "
                         f"({figures}) lies {'below' if all(x < 100 * lo for x in refs['share_pct']) else 'outside' if len(outside) == len(refs) else 'partly inside'} it")
            except (ValueError, InsufficientData):
                text += f" against {figures}"
        else:
            text += f"; no n is printed for this group, so no interval; national figures: {figures}"
        case.say(text + ". The national figures are themselves estimates of Statistics Norway's innovation survey.")


def partner_locations(case: Case) -> pd.DataFrame:
    """Where the innovation partners are (shares of partners, each source its own 100 %)."""
    loc = case.rows("locations", subject="innovation-partners")
    if loc.empty:
        return loc
    case.heading("Where the innovation partners are")
    loc = loc.assign(location_name=loc["location"].map(lambda x: case.term("location", x)),
                     printed_in=loc["source"])
    fig = plots.location_bars(loc, "printed_in", "location_name", "value",
                              f"{case.name}: innovation partners by location (n not printed)",
                              location_order=[case.term("location", x) for x in ("local", "rest-of-ostlandet", "rest-of-norway", "abroad")
                                              if x in set(loc["location"])], xlabel="Share of partners (%)")
    case.figure(fig, "partner-locations", citation(loc), loc[["printed_in", "location_name", "value", "unit"]])
    return loc


# The case material numbers a report's strategy areas 'Strategy area 1, ...:', 'Focus area 3 (new): ...'
NUMBERED = re.compile(r"^(?P<list>[A-Z][\w -]*? area) (?P<no>\d+)(?P<note>[^,:]*)[,:] (?P<text>.+)$")


def _sketches(case: Case, r: dict) -> str:
    """The target sketches printed within a strategy area's lines (targets without a status)."""
    tg = case.rows("targets", doc=r["doc"])
    if tg.empty or tg["status_value"].notna().any():
        return ""
    hits = tg[[bool(material.cited_lines(x) & material.cited_lines(r["lines"])) for x in tg["lines"]]]
    texts = []
    for text, g in hits.groupby("target_text", sort=False):
        vals = [number(v) for v in g["target_value"].dropna()]
        texts.append(f"«{text}»" + (f" ({'–'.join(vals)} {g['target_unit'].iloc[0]})" if vals else ""))
    return "; ".join(texts)


def strategy_areas(case: Case) -> pd.DataFrame:
    """The numbered strategy (or focus) areas of the case material, one table per list, each area with the
    source's words and the target sketch printed with it."""
    cc = case.rows("case_content", section="innovation-sources")
    if cc.empty:
        return cc
    found = [(r, m) for r in cc.to_dict("records") if (m := NUMBERED.match(str(r["item"])))]
    if not found:
        return cc.iloc[0:0]
    shown = []
    for name in dict.fromkeys(m["list"] for _, m in found):
        rows = [(r, m) for r, m in found if m["list"] == name]
        case.heading(f"{name[0].upper() + name[1:]}s ({DOC_SHORT_NAMES.get(rows[0][0]['doc'], rows[0][0]['doc'])})")
        table = pd.DataFrame({"no.": [m["no"] + m["note"] for _, m in rows], "area": [m["text"] for _, m in rows],
                              "in the source's words": [f"«{r['term_no']}»" for r, _ in rows],
                              "target sketch": [_sketches(case, r) for r, _ in rows],
                              "source": [f"{cite(r['source'], r['lines'])}" for r, _ in rows]})
        if not table["target sketch"].str.len().any():
            table = table.drop(columns="target sketch")
        case.table(table, f"areas-{name.lower().replace(' ', '-')}")
        shown += [r for r, _ in rows]
    return pd.DataFrame(shown)


def case_material(case: Case) -> pd.DataFrame:
    """The strategy areas as tables, then the rest of the chapter's case material (by document and industry);
    the definitions of a cluster assessment's criteria are shown with it in the production-system chapter."""
    areas = strategy_areas(case)
    leave_out = pd.concat([areas, definitions(case)], ignore_index=True)
    return material.show(case, "innovation-sources", "Innovation sources in the case material", exclude=leave_out)


def local_actors(case: Case) -> pd.DataFrame:
    """How the firms rate the actors and institutions of their region (appendix Figur v.21): answers
    counted per actor, and how the ranking these counts imply compares with the printed ranks."""
    sc = case.rows("survey_counts", question="local-institutions")
    if sc.empty:
        return sc
    certain = {r: case.term("response", r) for r in ("very-important", "somewhat-important")}
    sc = sc.assign(actor=[case.item("local-institutions", i) for i in sc["item_id"]],
                   answer=sc["response"].map(certain).fillna("other answers (order of categories uncertain)"))
    n = int(sc.groupby("item_id")["count"].sum().max())
    order = sc[sc["response"] == "very-important"].sort_values("count", ascending=False)["actor"].tolist()
    short = sorted(set(sc["actor"]) - set(sc.loc[sc["response"] == "somewhat-important", "actor"]))
    case.heading("Local actors and institutions, answers counted (Figur v.21)")
    case.say(f"Each row counts the {n} firms that rated the actor (of {respondents(case)} respondents): 'very important' "
             "and 'somewhat important' are the figure's first two answer categories; the order of the other columns "
             "in the extracted text is uncertain, so they are shown together."
             + (f" For {', '.join(short)} the extraction keeps only the first count: the rest of the row is not drawn."
                if short else ""))
    fig = plots.location_bars(sc, "actor", "answer", "count", f"{case.name}: importance of local actors for the firms' "
                              f"development (n = {n} firms)", normalise=False,
                              location_order=[*certain.values(), "other answers (order of categories uncertain)"],
                              xlabel="Firms (count)", legend_title="Answer", bar_order=order)
    case.figure(fig, "local-actors", citation(sc), sc[["actor", "answer", "response", "count", "order_uncertain"]])
    very = sc[sc["response"] == "very-important"].set_index("item_id")["count"]
    implied = sv.competition_ranks(very)
    printed = case.rows("survey_rankings", question="local-institutions", basis="table")
    for group, g in printed.groupby("firm_group"):
        ranks = sv.printed_ranks(printed, case.rid, "local-institutions", group)
        try:
            res = sv.kendall_tau(implied, ranks)
        except (InsufficientData, ValueError):
            continue
        case.say(f"The ranking implied by the 'very important' counts and the printed ranks of the "
                 f"{case.term('firm-group', group)} (Tabell 4.6) agree with Kendall's tau-b = **{number(res.tau, 2)}** over "
                 f"{res.n_common} common actors (descriptive).")
        case.findings.record(f"local-institutions.tau.counts.{group}", round(res.tau, 4), "Kendall tau",
                             f"Agreement of Figur v.21's counts with Tabell 4.6's ranks of {group}")
    return sc


def leading_items(case: Case, question: str) -> str:
    """'for contract suppliers customers, for system firms within the firm' -- the items ranked first."""
    r = case.rows("survey_rankings", question=question)
    first = r[r["rank"] == 1]
    by_group = {}
    for g, sub in first.groupby("firm_group", sort=False):
        by_group[case.term("firm-group", g)] = " and ".join(case.item(question, i).lower() for i in sub["item_id"])
    return "; ".join(f"{items} for {'' if g.startswith('all') else 'the '}{g}" for g, items in by_group.items())


def conclusion(case: Case) -> None:
    """The chapter's conclusion from what it showed: the leading sources, where the partners are, the
    shares against the country, and how far the printed data bear out the argument."""
    parts = []
    leaders = leading_items(case, "information-sources")
    if leaders:
        parts.append(f"The most important information sources for innovation are {leaders}")
    loc = case.rows("locations", subject="innovation-partners", source="Tabell 8.1")
    if not loc.empty:
        share = loc.set_index("location")["value"]
        parts.append(f"{number(share.get('local', 0))} % of the innovation partners are local and "
                     f"{number(share.get('abroad', 0))} % "
                     "abroad (Tabell 8.1)")
    got = {r["id"]: r["value"] for r in case.findings.records()}
    taus = {k: v for k, v in got.items() if k.startswith("information-sources.tau.")}
    if taus:
        parts.append(f"the firm groups rank the sources much alike (Kendall's tau-b {number(next(iter(taus.values())), 2)})")
    case.conclude(parts, verdict_sentence(case, "innovation-sources"))

"""The national-context notebook: where Norway's high-tech employment is (NIBR-rapport 2005:11,
ch. 3) and the rural context of the 2018 Distriktssenteret anthology, as far as their numbers go."""

from __future__ import annotations

import re
import textwrap

import pandas as pd

from analysis import indicators as ind
from analysis import plots
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    Study, cite, citation, number, open_study as _open_study,
)
from analysis.data.documents import SHORT_NAMES as DOC_SHORT_NAMES
from analysis.sections.claims import synthesis, verdict_sentence  # noqa: F401
from analysis.sections.clusters import printed
from analysis.sections.display import by_period
from analysis.sections.material import doc_year
from analysis.sections.reproduction import NATIONAL_AREAS, reproduce_published  # noqa: F401

NOTEBOOK = "national-context"
MUNICIPALITY_TYPES = ["big-cities", "medium-cities", "small-towns", "other-municipalities"]


def open_study(regions=None, output_dir: str = "", data=None) -> Study:
    return _open_study(regions, output_dir, NOTEBOOK, data)


def municipality_types(study: Study) -> pd.DataFrame:
    """High-tech employment by municipality type (Tabell 3.2), beside the population shares where printed."""
    emp = study.data["employment"]
    sub = emp[(emp["source"] == "Tabell 3.2") & emp["area"].isin(MUNICIPALITY_TYPES)]
    if sub.empty:
        return sub
    levels = sub.set_index("area")["employed"].astype(float).reindex(MUNICIPALITY_TYPES)
    shares = 100 * ind.shares(levels)
    table = pd.DataFrame({"type": [study.area(a) for a in MUNICIPALITY_TYPES], "area": MUNICIPALITY_TYPES,
                          "employed": levels.astype(int).values, "share of high-tech employment, %": shares.values})
    pop = study.data["indicators"]
    pop = pop[(pop["indicator"] == "population-share") & pop["category"].isin(MUNICIPALITY_TYPES)]
    if not pop.empty:
        table["share of population, %"] = table["area"].map(pop.set_index("category")["value"])
    study.heading("High-tech employment by municipality type, 2005 (Tabell 3.2)")
    for r in table.to_dict("records"):
        study.findings.record(f"national.ht-share.{r['area']}", round(float(r["share of high-tech employment, %"]), 4),
                              "percent", f"Share of national high-tech employment in {r['type']} (Tabell 3.2)")
    study.table(table.drop(columns="area"), "municipality-types")
    long = table.melt(id_vars=["type"], value_vars=[c for c in table.columns if c.startswith("share")],
                      var_name="measure", value_name="percent")
    fig = plots.grouped_bars(long, "type", "percent", "High-tech employment and population by municipality type",
                             "Share of Norway's total (%)", group="measure",
                             colours={"share of population, %": plots.BENCHMARK_COLOUR}, ylabel="Municipality type")
    study.figure(fig, "municipality-types", citation(sub if pop.empty else pd.concat([sub, pop])), long)
    return table


def national_indicators(study: Study) -> pd.DataFrame:
    """The other national and rural numbers of the sources, one table per document, for reference: those
    drawn in this chapter's figures (chapter 3's milieus and population shares, the anthology's immigration
    and population series) and a case's or short example's own numbers are left out."""
    ind_ = study.data["indicators"]
    sub = ind_[ind_["topic"].isin(["national-context", "rural-context"]) & ~ind_["indicator"].isin(DRAWN)
               & ~ind_["region_id"].isin(_places(study))]  # a case's or short example's numbers are shown with it
    drawn_here = (((sub["indicator"] == "htn-employed") & (sub["source"] == "§3.3"))
                  | ((sub["indicator"] == "population-share") & (sub["source"] == "Tabell 3.2")))
    sub = sub[~drawn_here]
    if sub.empty:
        return sub
    study.heading("Other national numbers the sources print")
    study.say("For reference, the national and rural numbers the sources print that no figure above draws, each "
              "with the words it stands for; values the source gives as approximate or as a bound carry the mark.")
    shown = []
    for doc, g in sorted(sub.groupby("doc"), key=lambda x: doc_year(x[0])):
        table = pd.DataFrame({"area": g["region_id"].map(study.area).values, "what": g["description"].values,
                              "value": [printed(v, q) for v, q in zip(g["value"], g["qualifier"])],
                              "unit": g["unit"].values, "year or period": g["period"].values,
                              "source": (g["source"] + ", lines " + g["lines"]).values})
        if table["area"].nunique() == 1:
            table = table.drop(columns="area")
        study.table(table, f"national-indicators-{doc}", views=_indicator_views(study, g, DOC_SHORT_NAMES.get(doc, doc)))
        shown.append(g)
    return pd.concat(shown)


def _measure_name(indicator: str, category: str, descriptions: pd.Series) -> str:
    """'Farms in operation', 'Agriculture share of GDP': the indicator in words, an abbreviation as the source's
    descriptions write it."""
    written = {w.lower(): w for d in descriptions for w in re.findall(r"[A-Za-z]+", str(d)) if w.isupper()}
    words = [written.get(w, w) for w in indicator.split("-")] + ([] if category == "all" else [f"({category.replace('-', ' ')})"])
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _indicator_views(study: Study, g: pd.DataFrame, caption: str) -> list[tuple[pd.DataFrame, str]]:
    """One document's numbers for reading: a measure printed for two or more single years as one row with the
    years as columns, each other number with the words it stands for."""
    rows = pd.DataFrame({"area": g["region_id"].map(study.area).values, "indicator": g["indicator"].values,
                         "category": g["category"].values, "what": g["description"].values,
                         "value": [printed(v, q) for v, q in zip(g["value"], g["qualifier"])],
                         "unit": g["unit"].values, "year or period": g["period"].astype(str).values,
                         "source": [cite(s, x) for s, x in zip(g["source"], g["lines"])]})
    single_years = rows[rows["year or period"].str.fullmatch(r"\d{4}")]
    wide, unwidened = by_period(single_years, ["area", "indicator", "category", "unit"], "year or period", "value",
                                cite="source")
    one_area = rows["area"].nunique() == 1
    views = []
    if not wide.empty:
        names = [_measure_name(i, c, rows.loc[(rows["indicator"] == i) & (rows["category"] == c), "what"])
                 for i, c in zip(wide["indicator"], wide["category"])]
        wide = wide.drop(columns=["indicator", "category"])
        wide.insert(1, "measure", names)
        views.append((wide.drop(columns="area") if one_area else wide,
                      f"{caption}: measures printed for two or more years"))
    rest = rows.drop(index=single_years.index.difference(unwidened.index)).drop(columns=["indicator", "category"])
    if not rest.empty:
        views.append((rest.drop(columns="area") if one_area else rest, f"{caption}: other numbers" if views else caption))
    return views


def largest_milieus(study: Study) -> pd.DataFrame:
    """The largest high-tech milieus as far as chapter 3 prints them (Oslo, the Oslo region, Bergen and
    Stavanger as ranges) beside the four technology towns (Tabell 3.3), as shares of Norway's high-tech jobs."""
    emp, ind_ = study.data["employment"], study.data["indicators"]
    total = emp[(emp["area"] == "norway") & (emp["industry_id"] == "htn") & (emp["source"] == "§3.2")]
    if total.empty:
        return total
    national = float(total["employed"].iloc[0])
    rows = [{"milieu": study.area(r["area"]), "low": r["employed"], "high": r["employed"], "source": r["source"]}
            for r in emp[(emp["industry_id"] == "htn") & (emp["source"] == "§3.3")].to_dict("records")]
    ranges = ind_[(ind_["indicator"] == "htn-employed") & (ind_["source"] == "§3.3")]
    for area, g in ranges.groupby("region_id"):
        v = g.set_index("category")["value"]
        rows.append({"milieu": study.area(area), "low": v.get("range-low"), "high": v.get("range-high"), "source": "§3.3"})
    towns = emp[(emp["industry_id"] == "specialised") & (emp["source"] == "Tabell 3.3")]
    rows += [{"milieu": f"{study.area(r['area'])} (specialised industries)", "low": r["employed"], "high": r["employed"],
              "source": r["source"], "town": True} for r in towns.to_dict("records")]
    table = pd.DataFrame(rows).sort_values("high", ascending=False)
    # the towns' milieus are their specialised high-tech *and related* industries: no share of HTN
    table["share of Norway's high-tech employment, %"] = [
        "–" if town is True else number(100 * lo / national) if lo == hi
        else f"{number(100 * lo / national)}–{number(100 * hi / national)}"
        for lo, hi, town in zip(table["low"], table["high"], table.get("town", [None] * len(table)))]
    table = table.drop(columns="town").astype({"low": "Int64", "high": "Int64"})
    study.heading("The largest high-tech milieus")
    study.say(f"Chapter 3 puts Norway's high-tech industries (HTN) at {number(national)} employed in 2005 (§3.2) and names "
              "the largest milieus; the towns' own technology milieus (Tabell 3.3, their specialised industries) are "
              "shown beside them. Bergen and Stavanger are printed as a range.")
    table["kind"] = ["technology town (its specialised industries)" if "specialised" in m else "high-tech milieu"
                     for m in table["milieu"]]
    fig = plots.range_dots(table, "milieu", "low", "high", "The largest high-tech milieus and the four technology towns, 2005",
                           "Employed persons (log scale; a bar where the source prints a range)", log=True, group="kind")
    study.figure(fig, "largest-milieus", citation(pd.concat([total, emp[emp["source"] == "§3.3"], towns])), table)
    study.table(table.rename(columns={"low": "employed (low end)", "high": "employed (high end)"}), "largest-milieus")
    return table


def national_benchmarks(study: Study) -> pd.DataFrame:
    """The national figures the town chapters compare with: Norway's technology industries by group
    1997-2005 (the four towns + the rest of the country, Tabell v.3) and chapter 3's national totals."""
    emp = study.data["employment"]
    v3 = emp[(emp["source"] == "Tabell v.3") & emp["area"].isin(["tech-towns", "rest-of-norway"])
             & emp["industry_id"].str.fullmatch(r"g[1-7]")]
    if v3.empty:
        return v3
    nat = v3.groupby(["industry_id", "year"], as_index=False)["employed"].sum()
    table = ind.change_table(nat.assign(area="norway", source="sum"), "norway", 1997, 2005, "sum")
    table.insert(0, "group", table["industry_id"].map(study.industry))
    e0, e1 = float(table["e_t0"].sum()), float(table["e_t1"].sum())
    study.heading("The national benchmark of the town chapters")
    study.say(f"Norway's technology industries (the appendix's seven groups; the four towns + the rest of the "
              f"country, Tabell v.3) employed {number(e0)} in 1997 and {number(e1)} in 2005 "
              f"({number(ind.rel_change(e1, e0), 1, sign=True)} %): "
              "the reference of the towns' changes, specialisation and shift-share.")
    study.findings.record("national.tech-total.rel-change-pct.1997-2005", ind.rel_change(e1, e0), "percent",
                          "Change of Norway's technology employment (Tabell v.3, towns + rest)")
    shown = table[["group", "e_t0", "e_t1", "abs_change", "rel_change_pct"]].rename(columns={
        "e_t0": "employed 1997", "e_t1": "employed 2005", "abs_change": "change", "rel_change_pct": "change, %"})
    study.table(shown, "national-benchmark", decimals={"change, %": 1})
    return table


def conclusion(study: Study) -> None:
    """Chapter 3's conclusion from the numbers above."""
    got = {r["id"]: r["value"] for r in study.findings.records()}
    pop = study.data["indicators"]
    pop = pop[pop["indicator"] == "population-share"].set_index("category")["value"]
    parts = []
    if all(f"national.ht-share.{a}" in got for a in MUNICIPALITY_TYPES) and not pop.empty:
        over = max(MUNICIPALITY_TYPES, key=lambda a: got[f"national.ht-share.{a}"] / pop.get(a, float("inf")))
        parts.append(f"High-tech employment is most over-represented in {study.area(over).lower()}: "
                     f"{number(got[f'national.ht-share.{over}'])} % of the jobs against {number(pop[over])} % of the population")
    if "national.tech-total.rel-change-pct.1997-2005" in got:
        parts.append(f"Norway's technology industries grew {number(got['national.tech-total.rel-change-pct.1997-2005'], 1)} % "
                     "between 1997 and 2005")
    study.conclude(parts, verdict_sentence(study, "national-context", "norway"))


# ---------------------------------------------------------------- the rural context (Distriktssenteret 2018)

ANTHOLOGY = "distriktssenteret-2018"
KART1 = "municipalities-by-population-change"
EARLY = ("1801-1900", "1801-1910")  # the 1800s growth multiples Østby prints
DRAWN = (KART1, "population-share-of-norway", "projected-population", "net-immigration", "share-of-immigrants-in-norway",
         "municipalities-with-population-decline")


def _places(study: Study) -> set[str]:
    """The regions the sources present (case studies and short examples): their numbers are shown with them."""
    reg = study.data["regions"]
    if "presentation" not in reg.columns:
        return set(study.regions)
    return set(reg.loc[reg["presentation"] != "reference", "region_id"])


def _short(description: str) -> str:
    """The first clause of a description, for an axis label."""
    return description.split(",")[0].split(" (")[0].rstrip(".")


def kart1(study: Study) -> pd.DataFrame:
    """Kart 1: what immigration meant for the municipalities' population, 2006-2018, with the shares of the
    three classes (their sum is the number of municipalities; the anthology prints no total)."""
    ind_ = study.data["indicators"]
    rows = ind_[(ind_["region_id"] == "norway") & (ind_["indicator"] == KART1)]
    if rows.empty:
        return rows
    counts = rows.set_index("category")["value"].astype(float)
    shares = 100 * ind.shares(counts)
    total = int(counts.sum())
    table = pd.DataFrame({"class": [_short(d) for d in rows["description"]], "category": rows["category"].values,
                          "municipalities": counts.astype(int).values, "share, %": shares.values})
    study.heading("Immigration and the municipalities' population, 2006–2018 (Kart 1)")
    declining = sum(counts[c] for c in counts.index if c != "growth-regardless-of-immigration")
    study.findings.record("rural.kart1.municipalities", total, "municipalities", "Municipalities in Kart 1 (sum of its classes)")
    study.findings.record("rural.kart1.decline-without-immigration-pct", round(100 * declining / total, 4), "percent",
                          "Share of municipalities that would have declined without immigration, 2006-2018")
    study.say(f"The three classes of Kart 1 add up to {total} municipalities (the anthology prints no total): "
              + "; ".join(f"{r['municipalities']} ({number(r['share, %'], 0)} %) "
                          f"{r['class'].removeprefix('Municipalities ')}" for r in table.to_dict("records"))
              + f". Without immigration {int(declining)} of them ({number(100 * declining / total, 0)} %) would have "
              "had fewer inhabitants in 2018 than in 2006"
              + (f": {int(counts['growth-due-to-net-immigration'])} grew only because immigration «berget» (rescued) "
                 "them." if "growth-due-to-net-immigration" in counts.index else "."))
    fig = plots.grouped_bars(table, "class", "municipalities", "Kart 1: municipalities by population change, "
                             "2006–2018", "Municipalities (count)", ylabel="Class")
    study.figure(fig, "kart1", citation(rows), table)
    return table


def growth_multiples(study: Study) -> pd.DataFrame:
    """How many times its 1801 population each county and town had around 1900-1910, beside Norway's."""
    pv = study.data["published_values"]
    rows = pv[(pv["doc"] == ANTHOLOGY) & (pv["measure"] == "ratio") & pv["period"].isin(EARLY)]
    if rows.empty:
        return rows
    nat = rows[rows["area"] == "norway"]
    rows_ = rows.assign(place=rows["area"].map(study.area),
                        printed_as=rows["qualifier"].map({"over": "more than (lower bound)"}).fillna("as printed"))
    rows_ = rows_.sort_values("value", ascending=False)
    study.heading("Population growth 1801–1910")
    study.say("How many times the population of 1801 lived there at the end of the century (1900 for the counties, "
              "1910 for Norway and the towns), as Østby prints it; "
              + (f"Norway as a whole grew {number(nat['value'].iloc[0], 1)} times. " if len(nat) else "")
              + "In the 1800s every region grew; the large regional differences came in the 1900s.")
    fig = plots.compare_dots(rows_, "place", "value", "printed_as", "Population around 1900–1910 as a multiple of "
                             "1801", "Times the 1801 population (log scale)", log=True,
                             reference=float(nat["value"].iloc[0]) if len(nat) else None, name_missing=False)
    study.figure(fig, "population-multiples", citation(rows), rows_[["place", "period", "value", "qualifier", "source", "lines"]])
    return rows_


def population_shares(study: Study) -> pd.DataFrame:
    """Centralisation over two centuries: the shares of Norway's population in the capital region and inland."""
    ind_ = study.data["indicators"]
    rows = ind_[(ind_["indicator"] == "population-share-of-norway") & (ind_["doc"] == ANTHOLOGY)]
    if rows.empty:
        return rows
    rows = rows.assign(area=rows["region_id"].map(study.area), year=rows["period"].astype(int))
    dec = ind_[(ind_["indicator"] == "municipalities-with-population-decline") & (ind_["doc"] == ANTHOLOGY)]
    study.heading("Two centuries of centralisation")
    text = "; ".join(f"{a}: {number(g.iloc[0]['value'])} % in {g.iloc[0]['year']}, {number(g.iloc[-1]['value'])} % in "
                     f"{g.iloc[-1]['year']}" for a, g in rows.sort_values("year").groupby("area", sort=False))
    study.say("The share of Norway's population: " + text + "."
              + (" Municipalities with a falling population: " + ", ".join(
                  f"{int(r['value'])} in {r['period'].replace('-', '–')}" for r in dec.to_dict("records")) + "."
                 if not dec.empty else ""))
    fig = plots.series_lines(rows, "year", "value", "area", "Share of Norway's population, 1801 and 2011",
                             "Share of Norway's population (%)")
    study.figure(fig, "population-shares", citation(pd.concat([rows, dec])), rows[["area", "year", "value", "source", "lines"]])
    return rows


def immigration_series(study: Study) -> pd.DataFrame:
    """The anthology's series of immigration (``history_series`` of Norway and its regions), one figure each,
    and the 2040 population of the two projections with and without net immigration."""
    hs = study.data["history_series"]
    hs = hs[(hs["doc"] == ANTHOLOGY) & ~hs["region_id"].isin(_places(study))]
    if hs.empty:
        return hs
    study.heading("Immigration: where the immigrants live, and how many come")
    for (area, subject_id), g in hs.groupby(["region_id", "subject_id"], sort=False):
        g = g.sort_values("year")
        unit, name = g["unit"].iloc[0], study.area(area)
        what = str(g["notes"].iloc[0]).split(". ")[0].split(" (")[0].rstrip(".")
        fig = plots.series_lines(g.assign(series=name), "year", "value", "series",
                                 f"{what}, {int(g['year'].min())}–{int(g['year'].max())}", textwrap.fill(unit, 30))
        study.figure(fig, f"series-{subject_id}", citation(g), g[["year", "value", "unit", "qualifier", "source", "lines"]])
        marks = g["qualifier"].isin(["under", "over", "approx"])
        study.say(f"{what}: " + ", ".join(
            f"{'almost ' if q == 'under' else 'over ' if q == 'over' else 'about ' if q == 'approx' else ''}"
            f"{number(v)} in {int(y)}" for y, v, q in zip(g["year"], g["value"], g["qualifier"])) + f" ({unit})"
            + (". 'Almost' marks a printed upper bound." if (g["qualifier"] == "under").any() else
               "." if not marks.any() else ". 'Over' and 'about' are the anthology's."))
    projections(study)
    return hs


def projections(study: Study) -> pd.DataFrame:
    """Norway's projected population in 2040 with and without net immigration, in SSB's 2012 and 2018 projections."""
    ind_ = study.data["indicators"]
    rows = ind_[(ind_["indicator"] == "projected-population") & (ind_["region_id"] == "norway")]
    if rows.empty:
        return rows
    alt = rows["category"].str.extract(r"(?P<alt>mmmm|mmm0)-projection-(?P<year>\d{4})")
    rows = rows.assign(projection="SSB projection of " + alt["year"],
                       alternative=alt["alt"].map({"mmmm": "main alternative (MMMM)",
                                                   "mmm0": "without net immigration (MMM0)"}))
    effect = rows.pivot_table(index="projection", columns="alternative", values="value").diff(axis=1).iloc[:, -1].abs()
    study.say("Norway's population in " + rows["period"].iloc[0] + ": " + "; ".join(
        f"{p}: {number(g.loc[g['alternative'].str.startswith('main'), 'value'].iloc[0], 1)} million, "
        f"{number(g.loc[~g['alternative'].str.startswith('main'), 'value'].iloc[0], 1)} million without net "
        f"immigration, so immigration adds {number(effect[p], 1)} million" for p, g in rows.groupby("projection"))
        + ". The lower immigration of recent years shrinks what immigration can do for the municipalities' population.")
    fig = plots.grouped_bars(rows, "projection", "value", f"Norway's population in {rows['period'].iloc[0]}, "
                             "with and without net immigration", "Million persons", group="alternative",
                             colours={"without net immigration (MMM0)": plots.BENCHMARK_COLOUR}, ylabel="Projection")
    study.figure(fig, "projections-2040", citation(rows), rows[["projection", "alternative", "value", "unit", "source", "lines"]])
    return rows


def rural_context(study: Study) -> pd.DataFrame:
    """The rural context of the 2018 Distriktssenteret anthology, as far as its numbers go: Kart 1, the
    population history since 1801 and immigration (Østby)."""
    out = [kart1(study), growth_multiples(study), population_shares(study), immigration_series(study)]
    return pd.concat([o for o in out if not o.empty], ignore_index=True) if any(not o.empty for o in out) else out[0]

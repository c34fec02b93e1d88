"""Which notebook reproduces which printed number, and the table of reproduced numbers a notebook closes with.

Every published value is reproduced in exactly one run (a case region's, or the cross-region one) and one
notebook of it (:func:`route`):

* a value about a case region goes to that region's run;
* a value about the four towns together (``tech-towns``, ``other-tech-towns``) to the comparison notebook,
  one about Norway or the rest of the country to the national-context notebook, whichever document prints it;
* a value about a reference area goes to the one case region that area belongs to: the region whose
  ``reference_areas`` (``data/regions.csv``) list it, or that the area's own ``reference_areas`` list
  (Fredrikstad is part of Nedre Glomma); several claimants are told apart by the value's document;
* everything else (Norway, the rest of the country, its counties, cities and municipality types) to the
  national-context notebook.

Within a region's run the first dataset the computation reads picks the notebook (:data:`NOTEBOOK_OF_DATASET`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.numerals import number
from analysis.reproduce import REASONS, REF_RE, RULE_LABELS, STATUS_LABELS, recomputed_text, reproduce_row
from analysis.sections.base import cite, Chapter
from analysis.sections.display import describe_printed

NOTEBOOK_OF_DATASET = {
    "employment": "production-system", "firm_size": "production-system", "firm_dynamics": "production-system",
    "largest_firms": "production-system", "population": "history", "employment_index": "history",
    "history_series": "history", "survey_indicators": "innovation-sources", "survey_rankings": "innovation-sources",
    "survey_respondents": "innovation-sources", "survey_counts": "innovation-sources", "locations": "innovation-sources",
    "indicators": "production-system", "targets": "production-system",
}
CROSS_REGION = "cross-region"  # the run of the cross-region notebooks (Findings' region of a Study)
CROSS_TOWN_AREAS = ("tech-towns", "other-tech-towns")
COUNTRY = ("norway", "rest-of-norway")  # every case region's reference area, and always the national context's
# The national-context notebook's former list of areas; kept because the notebook passes it, but the
# routing decides (every area no single case region claims goes to national-context).
NATIONAL_AREAS = ("norway", "rest-of-norway", "big-cities", "medium-cities", "small-towns", "other-municipalities")


@dataclass(frozen=True)
class Claimant:
    region_id: str
    documents: tuple[str, ...]
    doc: str


def _split(value) -> tuple[str, ...]:
    return () if value is None or pd.isna(value) else tuple(x for x in str(value).split(";") if x)


def claimants(regions: pd.DataFrame) -> tuple[frozenset[str], dict[str, list[Claimant]]]:
    """The case regions, and for every other area the case regions it belongs to (see the module docstring)."""
    if "case" not in regions.columns:  # a registry without the case flag (made-up data): no reference areas
        return frozenset(regions["region_id"]), {}
    rows = regions.to_dict("records")
    cases = {r["region_id"]: Claimant(r["region_id"], _split(r.get("documents")), str(r.get("doc") or ""))
             for r in rows if bool(r["case"])}
    out: dict[str, list[Claimant]] = {}
    for r in rows:
        for area in _split(r.get("reference_areas")):
            if r["region_id"] in cases and area not in cases:
                out.setdefault(area, []).append(cases[r["region_id"]])
            elif area in cases and r["region_id"] not in cases:
                out.setdefault(r["region_id"], []).append(cases[area])
    return frozenset(cases), out


def route(pv: dict, cases: frozenset[str], claims: dict[str, list[Claimant]]) -> tuple[str, str]:
    """(run, notebook) that reproduces a published value: a case region's id or :data:`CROSS_REGION`."""
    area, doc = pv.get("area"), pv.get("doc")
    if area in CROSS_TOWN_AREAS:
        return CROSS_REGION, "comparison"
    if area in COUNTRY:
        return CROSS_REGION, "national-context"
    run = area if area in cases else None
    if run is None:
        towns = claims.get(area, [])
        for narrower in (lambda c: doc in c.documents, lambda c: c.doc == doc):
            if len(towns) > 1:
                towns = [c for c in towns if narrower(c)]
        run = towns[0].region_id if len(towns) == 1 else None
    if run is None:
        return CROSS_REGION, "national-context"
    return run, notebook_of(pv)


def notebook_of(pv: dict) -> str:
    """The per-region notebook of a published value: by the first dataset its computation reads."""
    m = REF_RE.search(str(pv.get("computed_from", "")))
    return NOTEBOOK_OF_DATASET.get(m.group(1), "production-system") if m else "production-system"


def routes(data: dict[str, pd.DataFrame]) -> dict[str, tuple[str, str]]:
    """{pv_id: (run, notebook)} for every published value."""
    cases, claims = claimants(data["regions"])
    return {row["pv_id"]: route(row, cases, claims) for row in data["published_values"].to_dict("records")}


def _how(rep) -> str:
    if rep.status == "not-computable":
        return f"not computable: {REASONS.get(rep.reason, 'no reason declared')}"
    return RULE_LABELS.get(rep.rule, rep.rule)


def _checked(rep) -> str:
    """How a value was checked, for a reader: the rule, and for a computed value what the check found."""
    return _how(rep) if rep.status == "not-computable" or not rep.detail else f"{_how(rep)}: {rep.detail}"


def _reader_view(rows: list[dict], reps: list, published: list[dict], chapter: Chapter) -> pd.DataFrame:
    """The table as a reader sees it: what each printed value is in words, the printed and recomputed values
    at the printed precision, the status in words and how it was checked in one column."""
    return pd.DataFrame({
        "printed value": [describe_printed(pv, chapter.labels) for pv in published],
        "printed": [number(pv["value"], int(pv["decimals"])) for pv in published],
        "recomputed": ["" if rep.reproduced is None else recomputed_text(rep.reproduced, int(pv["decimals"]))
                       for rep, pv in zip(reps, published)],
        "status": [STATUS_LABELS.get(rep.status, rep.status) for rep in reps],
        "how it was checked": [_checked(rep) for rep in reps],
        "errata": [r["errata"] for r in rows], "source": [r["source"] for r in rows]})


def reproduce_published(chapter: Chapter) -> pd.DataFrame:
    """Recompute every published value :func:`route` gives this run and notebook and that it has not compared yet.

    Each is recorded as a finding ``published.<pv_id>`` with its status and the rule that decided it (for a
    value that cannot be computed: the declared reason, and the printed value).
    """
    cases, claims = claimants(chapter.data["regions"])
    here = (chapter.findings.region, chapter.notebook)
    done = chapter.findings.published_ids()
    rows, reps, published = [], [], []
    for row in chapter.index.records("published_values"):
        if row["pv_id"] in done or route(row, cases, claims) != here:
            continue
        rep = reproduce_row(row, chapter.index)
        chapter.findings.record(f"published.{row['pv_id']}",
                                rep.reproduced if rep.reproduced is not None else float(row["value"]),
                                row["unit"], row["description"], published=row,
                                status=(rep.status, rep.reason if rep.status == "not-computable" else rep.rule))
        rows.append({"printed value": row["description"], "printed": row["value"], "recomputed": rep.reproduced,
                     # what failed to resolve is for check-data; the reader gets the declared reason
                     "status": rep.status, "rule": _how(rep), "how": "" if rep.status == "not-computable" else rep.detail,
                     "errata": rep.errata_id or "", "source": f"{cite(row['source'], row['lines'])}"})
        reps.append(rep)
        published.append(row)
    table = pd.DataFrame(rows, columns=["printed value", "printed", "recomputed", "status", "rule", "how", "errata",
                                        "source"])
    if not table.empty:
        chapter.heading("Printed numbers reproduced", 2)
        counts = table["status"].value_counts().to_dict()
        chapter.say("The numbers this chapter's sources print and derive (changes, shares, totals, rates), recomputed "
                    "from the numbers they print: "
                    + ", ".join(f"{v} {STATUS_LABELS.get(k, k)}" for k, v in sorted(counts.items())) + ".")
        chapter.table(table, "reproduction", views=[(_reader_view(rows, reps, published, chapter), None)])
    return table

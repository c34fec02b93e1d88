"""Which notebook reproduces which printed number, and the table of reproduced numbers a notebook closes with."""

from __future__ import annotations

import pandas as pd

from analysis.reproduce import REF_RE, reproduce_row, unprinted_base
from analysis.sections.base import Chapter


NOTEBOOK_OF_DATASET = {
    "employment": "production-system", "firm_size": "production-system", "firm_dynamics": "production-system",
    "largest_firms": "production-system", "population": "history", "employment_index": "history",
    "history_series": "history", "survey_indicators": "innovation-sources", "survey_rankings": "innovation-sources",
    "survey_respondents": "innovation-sources", "survey_counts": "innovation-sources", "locations": "innovation-sources",
    "indicators": "production-system", "targets": "production-system",
}
NATIONAL_AREAS = ("norway", "rest-of-norway", "big-cities", "medium-cities", "small-towns", "other-municipalities")
CROSS_TOWN_AREAS = ("tech-towns", "other-tech-towns")


def notebook_of(pv: dict) -> str:
    """Which notebook reproduces a published value: by the first dataset its computation reads."""
    m = REF_RE.search(str(pv.get("computed_from", "")))
    nb = NOTEBOOK_OF_DATASET.get(m.group(1), "production-system") if m else "production-system"
    if pv.get("area") in NATIONAL_AREAS and nb != "innovation-sources":
        return "national-context"
    if pv.get("area") in CROSS_TOWN_AREAS:
        return "comparison"
    return nb


def reproduce_published(chapter: Chapter, areas: list[str] | None = None) -> pd.DataFrame:
    """Recompute every published value of these areas that this notebook owns and has not yet compared."""
    pv = chapter.data["published_values"]
    areas = areas or [chapter.rid]
    done = chapter.findings.published_ids()
    based = unprinted_base(pv.to_dict("records"), chapter.index)
    rows = []
    for row in pv[pv["area"].isin(areas)].to_dict("records"):
        if notebook_of(row) != chapter.notebook or row["pv_id"] in done:
            continue
        rep = reproduce_row(row, chapter.index, based)
        if rep.reproduced is not None:
            chapter.findings.record(f"published.{row['pv_id']}", rep.reproduced, row["unit"], row["description"],
                                    published=row, status=(rep.status, rep.rule))
        elif rep.status in ("unprinted-base", "not-testable", "source-inconsistent", "mismatch"):
            chapter.findings.record(f"published.{row['pv_id']}", float(row["value"]), row["unit"], row["description"],
                                    published=row, status=(rep.status, rep.rule))
        rows.append({"printed value": row["description"], "printed": row["value"], "recomputed": rep.reproduced,
                     "status": rep.status, "rule": rep.rule, "how": rep.detail,
                     "errata": rep.errata_id or "", "source": f"{row['source']}, lines {row['lines']}"})
    table = pd.DataFrame(rows, columns=["printed value", "printed", "recomputed", "status", "rule", "how", "errata",
                                        "source"])
    if not table.empty:
        chapter.heading("Printed numbers reproduced", 2)
        counts = table["status"].value_counts().to_dict()
        chapter.say("The numbers this chapter's sources print and derive (changes, shares, totals, rates), recomputed "
                    "from the numbers they print: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + ".")
        chapter.table(table, "reproduction", decimals={"recomputed": 2})
    return table

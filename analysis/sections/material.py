"""The case material (``data/case_content.csv``) of a chapter, as a reader takes it in.

Where several documents speak of a region (Sarpsborg in the 2013 Nedre Glomma report and the 2023
note; Horten in NIBR-rapport 2005:11 and Telemarksforsking's 2012 Sandefjord report) each document's
items stand under its own name and year, oldest first. Where a source treats industries one by one
(the Nedre Glomma report) the items are grouped by industry, otherwise by kind. The wider region's
items in the same documents (Vestfold in the Sandefjord report) follow the region's own.
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.data.documents import SHORT_NAMES as DOC_SHORT_NAMES
from analysis.plots import first_upper
from analysis.sections.base import cite, Case



ALL = "all"  # case_content.industry for an item on the region's business as a whole
WIDER_KINDS = ("county", "economic-region", "business-region")  # reference areas a region is part of


def cited_lines(spec) -> set[int]:
    """The line numbers of a citation ('595-600;644')."""
    out: set[int] = set()
    for part in str(spec).split(";"):
        a, _, b = part.partition("-")
        if a.strip().isdigit():
            out |= set(range(int(a), int(b or a) + 1))
    return out


def doc_year(doc_id: str) -> int:
    """The year of a document, from its short name ('Sarpsborg kommune 2023, ...' -> 2023)."""
    m = re.search(r"\b(19|20)\d\d\b", DOC_SHORT_NAMES.get(doc_id, ""))
    return int(m.group(0)) if m else 0


def _wider_areas(case: Case) -> list[str]:
    reg = case.data["regions"]
    kinds = dict(zip(reg["region_id"], reg["kind"])) if "kind" in reg.columns else {}
    return [a for a in case.region.reference_areas if kinds.get(a) in WIDER_KINDS]


def rows(case: Case, section: str, exclude: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chapter's items of the region and of its wider region (same documents), without ``exclude``'s."""
    cc = case.data.get("case_content", pd.DataFrame())
    if cc.empty:
        return cc, cc
    cc = cc[cc["section"] == section]
    own = cc[cc["region_id"] == case.rid]
    wider = cc[cc["region_id"].isin(_wider_areas(case)) & cc["doc"].isin(case.region.documents)]
    if exclude is not None and not exclude.empty:
        shown = set(zip(exclude["doc"], exclude["lines"], exclude["item"]))
        own = own[[k not in shown for k in zip(own["doc"], own["lines"], own["item"])]]
    return own, wider


def _item(r: dict) -> str:
    return f"- {r['item']} ({cite(r['source'], r['lines'])})"


def _by_kind(case: Case, items: pd.DataFrame) -> list[str]:
    return [f"**{first_upper(case.term('case-kind', kind))}**\n" + "\n".join(_item(r) for r in g.to_dict("records"))
            for kind, g in items.groupby("kind", sort=False)]


def _by_industry(case: Case, items: pd.DataFrame) -> list[str]:
    """One group per industry (the region as a whole first), each item marked with its kind."""
    industry = items["industry"].fillna(ALL).replace("", ALL)
    order = [ALL, *[i for i in dict.fromkeys(industry) if i != ALL]]
    groups = []
    for ind_id in order:
        g = items[industry == ind_id]
        if not g.empty:
            groups.append(f"**{first_upper(case.term('industry-segment', ind_id))}**\n" + "\n".join(
                f"- *{case.term('case-kind', r['kind'])}:* {r['item']} ({cite(r['source'], r['lines'])})"
                for r in g.to_dict("records")))
    return groups


def _body(case: Case, items: pd.DataFrame) -> str:
    """The groups apart by a blank line, so that a group's name does not run on from the list above it."""
    by_industry = "industry" in items.columns and items["industry"].fillna("").ne("").any()
    return "\n\n".join(_by_industry(case, items) if by_industry else _by_kind(case, items))


def show(case: Case, section: str, title: str, exclude: pd.DataFrame | None = None) -> pd.DataFrame:
    """Show the chapter's case material under ``title``; nothing (not even the heading) when there is none."""
    own, wider = rows(case, section, exclude)
    if own.empty and wider.empty:
        return own
    case.heading(title)
    several = len(case.region.documents) > 1
    for doc in sorted(dict.fromkeys(own["doc"]), key=doc_year):
        body = _body(case, own[own["doc"] == doc])
        case.say(f"### {DOC_SHORT_NAMES.get(doc, doc)}\n\n{body}" if several else body)
    for area, g in wider.groupby("region_id", sort=False):
        docs = " and ".join(DOC_SHORT_NAMES.get(d, d) for d in dict.fromkeys(g["doc"]))
        case.say(f"### {case.area(area)}, the wider region, in {docs}\n\n" + _body(case, g))
    return pd.concat([own, wider], ignore_index=True)

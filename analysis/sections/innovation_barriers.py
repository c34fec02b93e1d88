"""The innovation-barriers notebook: what hampers innovation -- the survey's ranked barriers and
barrier groups, and the barriers and challenges the case material names."""

from __future__ import annotations

import pandas as pd

from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    Case, header, open_case as _open_case,
)
from analysis.sections import material
from analysis.sections.claims import synthesis, verdict_sentence  # noqa: F401
from analysis.sections.reproduction import reproduce_published  # noqa: F401
from analysis.sections.innovation_sources import leading_items, rankings, respondents  # noqa: F401

NOTEBOOK = "innovation-barriers"


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)


def introduction(case: Case) -> None:
    """How NIBR's survey asked about barriers -- only for the regions it covered."""
    n = respondents(case)
    if n is None:
        return
    case.say("In NIBR's survey of 2004 the firms that had met obstacles to innovation in 2001–2003 rated a list of "
             "factors as of high, medium or low importance (*hemmende faktorer*, hampering factors; footnote 54, "
             "lines 4563–4566). The report prints the factors ranked highest by each firm group and ranks three "
             "groups of barriers: economic (*økonomiske*), external pressure (*ytre press*: customers and copying "
             f"competitors) and shortcomings of the local milieu (*mangler i lokalmiljøet*). {n} firms of {case.name} "
             "answered the survey; each ranking below gives the n its table prints.")


def case_material(case: Case) -> pd.DataFrame:
    """The barriers and challenges the case material names, by document where several speak of the region,
    by industry where the source treats industries one by one, else by kind, with citations."""
    return material.show(case, "innovation-barriers", "Barriers and challenges in the case material")


def conclusion(case: Case) -> None:
    """The chapter's conclusion: the barriers and barrier groups ranked first, and how far the printed
    data bear out the argument."""
    parts = []
    for question, what in (("innovation-barriers", "The barrier ranked first is"),
                           ("barrier-groups", "Of the groups of barriers, the first is")):
        leaders = leading_items(case, question)
        if leaders:
            parts.append(f"{what} {leaders}.")
    # the parts are whole sentences: one clause, without its last full stop
    case.conclude([" ".join(parts).rstrip(".")] if parts else [], verdict_sentence(case, "innovation-barriers"))

"""The innovation-barriers notebook: what hampers innovation -- the survey's ranked barriers and
barrier groups, and the barriers and challenges the case material names."""

from __future__ import annotations

import pandas as pd

from analysis.sections import base
from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    Case, header, open_case as _open_case,
)
from analysis.sections.claims import synthesis, verdict_sentence  # noqa: F401
from analysis.sections.reproduction import reproduce_published  # noqa: F401
from analysis.sections.innovation_sources import leading_items, introduction, rankings  # noqa: F401

NOTEBOOK = "innovation-barriers"


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)


def case_material(case: Case) -> pd.DataFrame:
    """What the case material says for this chapter, grouped by kind, cited."""
    return base.case_material(case, "innovation-barriers", "Barriers and challenges in the case material")


def conclusion(case: Case) -> None:
    """The chapter's conclusion: the barriers and barrier groups ranked first, and how far the printed
    data bear out the argument."""
    parts = []
    for question, what in (("innovation-barriers", "The barrier ranked first is"),
                           ("barrier-groups", "Of the groups of barriers, the first is")):
        leaders = leading_items(case, question)
        if leaders:
            parts.append(f"{what} {leaders}.")
    sentence = verdict_sentence(case, "innovation-barriers")
    if not parts and not sentence:
        return
    case.heading("Conclusion")
    case.say(" ".join([*parts, sentence]).strip())

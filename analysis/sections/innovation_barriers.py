"""The innovation-barriers notebook: what hampers innovation -- the survey's ranked barriers and
barrier groups, and the barriers and challenges the case material names."""

from __future__ import annotations

import pandas as pd

from analysis.sections.base import (  # noqa: F401 - the notebook calls these through this module
    Case, header, open_case as _open_case,
)
from analysis.sections import material
from analysis.sections.claims import synthesis  # noqa: F401
from analysis.sections.reproduction import reproduce_published  # noqa: F401
from analysis.sections.innovation_sources import introduction, rankings  # noqa: F401

NOTEBOOK = "innovation-barriers"


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)


def case_material(case: Case) -> pd.DataFrame:
    """The barriers and challenges the case material names, by document where several speak of the region,
    by industry where the source treats industries one by one, else by kind, with citations."""
    return material.show(case, "innovation-barriers", "Barriers and challenges in the case material")

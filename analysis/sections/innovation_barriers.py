"""The innovation-barriers notebook: ranked barriers, barrier groups, the case material."""

from __future__ import annotations

from analysis.sections.base import Case, header, open_case as _open_case, qualitative, reproduce_published  # noqa: F401
from analysis.sections.innovation_sources import rankings  # noqa: F401

NOTEBOOK = "innovation-barriers"


def open_case(region: str, output_dir: str = "", data=None) -> Case:
    return _open_case(region, output_dir, NOTEBOOK, data)

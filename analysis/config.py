"""Where things are: one function per folder, read from the environment when it is called.

Nothing here is computed at import time from the environment: a notebook kernel forked
from a template, a test that points ``ANALYSIS_DATA`` at a copy, or a command run with
another ``ANALYSIS_OUTPUTS`` each see the environment of the moment. Functions that take
a path default to ``None`` and ask these functions then.

=================  ======================  =====================================
function           environment variable    default
=================  ======================  =====================================
``data_dir``       ``ANALYSIS_DATA``       ``<repository>/data``
``notebooks_dir``  ``ANALYSIS_NOTEBOOKS``  ``<repository>/notebooks``
``outputs_dir``    ``ANALYSIS_OUTPUTS``    ``<repository>/outputs``
``seeds_dir``      ``ANALYSIS_SEEDS``      ``<repository>/../shared/seeds``
``rendered``       ``ANALYSIS_RENDERED``   ``<outputs>/.cache`` (``off``: none)
=================  ======================  =====================================
"""

from __future__ import annotations

import os
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "tech-towns"


def _from_env(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else default


def data_dir() -> Path:
    """The cited source data (``data/``, a Frictionless Data Package)."""
    return _from_env("ANALYSIS_DATA", PROJ_ROOT / "data")


def datapackage() -> Path:
    """The data package declaration, ``data/datapackage.json``."""
    return data_dir() / "datapackage.json"


def correspondence_dir() -> Path:
    """Classifications that are not source data: municipality numbers, SN2007 high-tech groups."""
    return data_dir() / "correspondence"


def external_dir() -> Path:
    """Register data fetched from Statistics Norway, ``data/external/<region>/``."""
    return data_dir() / "external"


def notebooks_dir() -> Path:
    """The parameterized notebooks."""
    return _from_env("ANALYSIS_NOTEBOOKS", PROJ_ROOT / "notebooks")


def outputs_dir() -> Path:
    """Everything a run generates."""
    return _from_env("ANALYSIS_OUTPUTS", PROJ_ROOT / "outputs")


RENDERED_BYTES = 200 * 2**20  # about 25 complete sets of the book's figures and tables


def rendered(kind: str, outputs: Path | None = None) -> Path | None:
    """Figures (``kind="figures"``) and tables (``"tables"``) as drawn, kept by what they are drawn from
    (:func:`analysis.plots.save_figure`, :func:`analysis.sections.display.table_html`), in
    ``<outputs>/.cache/<kind>`` (``outputs``: default :func:`outputs_dir`); None when
    ``ANALYSIS_RENDERED=off``, so that everything is drawn afresh. A run keeps the cache under
    :data:`RENDERED_BYTES`."""
    value = os.environ.get("ANALYSIS_RENDERED")
    if value and value.lower() == "off":
        return None
    return (Path(value) if value else Path(outputs or outputs_dir()) / ".cache") / kind


def seeds_dir() -> Path:
    """The source documents' text; they live outside the repository, beside the clone in CI."""
    return _from_env("ANALYSIS_SEEDS", PROJ_ROOT.parent / "shared" / "seeds")


def reference_dir() -> Path:
    """What ``verify`` compares with: the reviewed findings and the environment that made them."""
    return PROJ_ROOT / "reference"


def book_dir() -> Path:
    """The book's own pages; the executed chapters are copied into ``book/chapters/``."""
    return PROJ_ROOT / "book"

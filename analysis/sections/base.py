"""What every notebook section shares: the case and study objects, where their results go, labels.

Beside it: :mod:`analysis.sections.display` (text, tables, figures, citations),
:mod:`analysis.sections.claims` (the chapter's arguments, tested against the data) and
:mod:`analysis.sections.reproduction` (the printed numbers each notebook recomputes).

A section function takes a :class:`Case` (one region) or a :class:`Study` (several), computes
through the methods modules, draws through :mod:`analysis.plots`, records findings, and shows
its own heading only when it has something to show. Where a region's sources hold nothing for a
whole chapter, :meth:`Chapter.no_material` says so once and names what would fill it.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import data as D
from analysis import plots
from analysis.cells import assignments
from analysis.config import outputs_dir
from analysis.findings import DOC_SHORT_NAMES, Findings, write_table
from analysis.data.regions import Region, case_regions, get_region
from analysis.errors import InputError
from analysis.reproduce import DataIndex
from analysis.sections.display import (  # noqa: F401 - re-exported for the sections
    Labels, as_printed, citation, fold, number, say, show_figure, show_table,
)

GROUPS = [f"g{i}" for i in range(1, 8)]
TOWNS = ["horten", "kongsberg", "raufoss", "halden"]
SECTION_TITLES = {
    "history": "history",
    "production_system": "production system",
    "innovation_sources": "innovation sources",
    "innovation_barriers": "innovation barriers",
}


# ---------------------------------------------------------------- chapters


# the key columns of each table a chapter takes labels from (Chapter._name)
NAME_KEYS = {"industries": ("industry_id",), "regions": ("region_id",), "survey_items": ("question", "item_id"),
             "vocabulary": ("vocabulary", "term_id")}


@dataclass
class Chapter:
    """What every notebook chapter does with its results: say, show and save tables and figures, record findings."""

    notebook: str
    output_dir: Path
    data: dict[str, pd.DataFrame]
    findings: Findings
    index: DataIndex = field(init=False, repr=False)
    shown: int = field(default=0, init=False)
    _labels: Labels | None = field(default=None, init=False, repr=False)
    _names: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        self.index = DataIndex(self.data)

    def say(self, text: str) -> None:
        say(text)

    def fold(self, summary: str, text: str) -> None:
        """Markdown shown folded under a summary line (a long list a reader opens if they want it)."""
        fold(summary, text)

    def heading(self, text: str, level: int = 2) -> None:
        self.shown += 1
        say(f"{'#' * level} {text}")

    def errata_affecting(self, reference: str) -> pd.DataFrame:
        """The errata rows whose ``affects`` names ``reference`` (e.g. ``claims[horten-phase-pioneers]``)."""
        err = self.data.get("errata")
        if err is None or err.empty:
            return pd.DataFrame() if err is None else err
        return err[err["affects"].fillna("").str.contains(reference, regex=False)]

    def conclude(self, clauses: list[str], verdict: str = "") -> None:
        """The chapter's conclusion: the computed results as one sentence of clauses joined by ';', then the
        verdict on the source's arguments; nothing at all when there is neither."""
        text = (("; ".join(clauses) + ". ") if clauses else "") + verdict
        if text.strip():
            self.heading("Conclusion")
            self.say(text.rstrip())

    def table(self, frame: pd.DataFrame, name: str, show: bool = True, decimals: dict[str, int] | None = None,
              caption: str | None = None, views: list[tuple[pd.DataFrame, str | None]] | None = None) -> pd.DataFrame:
        """Save the table (CSV, as computed) and show it for reading: names for ids, numbers formatted,
        errata unfolded beside their values, a long table summarised with the full list folded.

        ``views``: what the reader sees instead, each a table with its caption (fewer or reworded columns,
        a wide layout, a table too wide for a page split in two); the CSV keeps the full table."""
        write_table(frame, self.output_dir, self.notebook, name)
        if show:
            for i, (view, view_caption) in enumerate(views or [(frame, caption)]):
                show_table(view, decimals, view_caption, labels=self.labels, errata=self.data.get("errata"),
                           name=f"{self.notebook}--{name}" + (f"-{i + 1}" if i else ""))
        return frame

    @property
    def labels(self) -> Labels:
        if self._labels is None:
            self._labels = Labels(self.data)
        return self._labels

    def figure(self, fig, name: str, source, data: pd.DataFrame | None = None, caption: str | None = None) -> None:
        """Save the figure (PNG + the plotted data as CSV) and show it with its caption: what it shows
        (the caption given, else the figure's title), n where it plots survey answers, and the source."""
        paths = plots.save_figure(fig, self.output_dir, self.notebook, name, source, data)
        text = " ".join((caption or plots.figure_title(fig)).split())  # titles are wrapped for the plot, not for the caption
        n = data["n"].dropna() if data is not None and "n" in data.columns else pd.Series(dtype=float)
        if len(n) and not re.search(r"\bn\b", text):
            lo, hi = int(n.min()), int(n.max())
            text += f" (n = {lo} firms)" if lo == hi else f" (n = {lo}–{hi} firms per share)"
        src = plots._caption(source) if not isinstance(source, str) or not source.startswith("Source") else source
        show_figure(paths["png"], f"{text.rstrip('.')}. {' '.join(src.split())}.")
        plots.close(fig)

    def save(self) -> Path:
        return self.findings.save()

    # labels from the data's label columns (industries, regions, survey_items, vocabulary)
    def _name(self, table: str, keys: tuple, column: str, default):
        """The ``column`` of the first row of ``table`` whose key columns equal ``keys``, else ``default``.

        Each table's {keys: label} is built once per chapter: filtering the table for every label
        a notebook writes (some 1,600 in a run) cost more than the rest of the lookups together."""
        names = self._names.get((table, column))
        if names is None:
            frame = self.data[table]
            names = {}
            for row in zip(*(frame[k].tolist() for k in NAME_KEYS[table]), frame[column].tolist()):
                names.setdefault(row[:-1], row[-1])
            self._names[(table, column)] = names
        return str(names[keys]) if keys in names else default

    def industry(self, industry_id: str, short: bool = True) -> str:
        ind = self.data["industries"]
        col = "label_short" if short and "label_short" in ind.columns else "label_en"
        return self._name("industries", (industry_id,), col, industry_id)

    def term(self, vocabulary: str, term_id: str, printed=None) -> str:
        """The English name of an id of one vocabulary (firm-group, location, size-class, response, ...);
        where the vocabulary has none, ``printed`` (the source's own label) if given, else the id in words."""
        if self.data.get("vocabulary") is None or term_id is None or pd.isna(term_id):
            return "" if term_id is None or pd.isna(term_id) else str(term_id)
        fallback = printed if isinstance(printed, str) and printed else str(term_id).replace("-", " ")
        return self._name("vocabulary", (vocabulary, term_id), "label_en", fallback)

    def area(self, area_id: str) -> str:
        return self._name("regions", (area_id,), "name", area_id)

    def item(self, question: str, item_id: str) -> str:
        return self._name("survey_items", (question, item_id), "label_en", item_id.replace("-", " "))


@dataclass
class Case(Chapter):
    """Everything a notebook section needs for one region: the region, its data and where results go."""

    region: Region = None

    @property
    def rid(self) -> str:
        return self.region.region_id

    @property
    def name(self) -> str:
        return self.region.name

    def rows(self, name: str, **where) -> pd.DataFrame:
        """Rows of dataset ``name`` for this region (``region_id`` or ``area``), filtered by ``where``."""
        if name not in self.data:
            return pd.DataFrame()
        frame = self.data[name]
        col = "region_id" if "region_id" in frame.columns else "area"
        out = frame[frame[col] == self.rid]
        for k, v in where.items():
            out = out[out[k].isin(v if isinstance(v, (list, tuple, set)) else [v])]
        return out

    def no_data(self, what: str, would_fill: str) -> None:
        """One sentence for a part of a section the region's sources do not cover."""
        say(f"*The sources have no {what} for {self.name}; {would_fill} would fill this.*")

    def no_material(self, chapter: str, would_fill: str) -> None:
        """One sentence for a whole chapter the region's sources do not cover."""
        sources = ("has no source document (it was added with `new-region`) and holds"
                   if self.region.documents == ("user-registry",)
                   else f"'s sources ({documents_named(self.region.documents)}) hold")
        say(f"*{self.name}{' ' if sources.startswith('has') else ''}{sources} no material on its {chapter}; "
            f"{would_fill} would fill this chapter.*")

    @property
    def is_nibr_town(self) -> bool:
        return "nibr-2005-11" in self.region.documents

    def finish(self, chapter: str, would_fill: str) -> Path:
        """Say once when nothing of this chapter was shown, then write the findings."""
        if not self.shown:
            self.no_material(chapter, would_fill)
        return self.save()


@dataclass
class Study(Chapter):
    """The cross-region view: several regions at once."""

    regions: list[str] = field(default_factory=list)


def _datasets(data):
    return data if data is not None else D.load_all()


INTERACTIVE = "interactive"  # outputs/interactive/: where a notebook run by hand writes, apart from the pipeline's
# The first line of the cell papermill injects right after the parameters cell (its translators' comment)
INJECTED_HEADER = "# Parameters"


def _assigned_names(source: str) -> list[str] | None:
    """The names a cell assigns at its top level, in order; None when it is not Python."""
    try:
        return [name for name, _ in assignments(source)]
    except SyntaxError:
        return None


def _kernel_history() -> list[str]:
    from IPython import get_ipython

    shell = get_ipython()
    return list(shell.history_manager.input_hist_raw) if shell is not None else []


def check_parameters(history: list[str] | None = None) -> None:
    """Refuse a parameter the notebook does not take, naming the ones it does (papermill only warns).

    ``history``: the source of every cell run so far, oldest first (default: this kernel's
    input history). Papermill runs the cell it injects right after the parameters cell,
    so the cell before the injected one names the parameters the notebook takes. A run
    without injected parameters (JupyterLab, ``jupyter nbconvert --execute``) has nothing
    to check. Papermill's own ``PAPERMILL_*`` names (``--inject-paths``) are allowed.
    """
    history = _kernel_history() if history is None else history
    injected = [i for i, src in enumerate(history) if i and src.strip().splitlines()[:1] == [INJECTED_HEADER]]
    if not injected:
        return
    declared = _assigned_names(history[injected[-1] - 1])
    given = _assigned_names(history[injected[-1]]) or []
    if declared is None:
        return  # the cell before is not a parameters cell: this history is not a papermill run's
    unknown = [n for n in given if n not in declared and not n.startswith("PAPERMILL_")]
    if unknown:
        close = difflib.get_close_matches(unknown[0], declared, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(f"unknown parameter {unknown[0]!r}{hint}; this notebook takes: {', '.join(declared)}")


def study_regions(regions) -> list[str]:
    """The ``regions`` parameter as a list of ids: papermill's ``-p regions '["horten","halden"]'`` passes text."""
    value = regions
    if isinstance(regions, str):
        text = regions.strip()
        try:
            value = ast.literal_eval(text) if text.startswith(("[", "(")) else [r.strip() for r in text.split(",")]
        except (ValueError, SyntaxError):
            value = None
    if not isinstance(value, list | tuple) or not all(isinstance(r, str) and r for r in value):
        raise InputError(f"regions must be a list of region ids, e.g. [\"horten\", \"halden\"], not {regions!r}")
    return list(value)


def open_case(region: str, output_dir: str | Path = "", notebook: str = "notebook", data=None) -> Case:
    """Load the validated data and set up the output folder and findings for one region. Without an
    ``output_dir`` (a notebook opened and run by hand) outputs go to ``outputs/interactive/<region>``, so the
    pipeline's results stay as they are; the pipeline always passes its own folder."""
    reg = get_region(region)
    out = Path(output_dir) if output_dir else outputs_dir() / INTERACTIVE / region
    out.mkdir(parents=True, exist_ok=True)
    plots.set_theme()
    return Case(notebook, out, _datasets(data), Findings(region, notebook, out), region=reg)


def open_study(regions: list[str] | None = None, output_dir: str | Path = "", notebook: str = "comparison",
               data=None) -> Study:
    valid = [r.region_id for r in case_regions()]
    regions = study_regions(regions) if regions else valid
    for r in regions:
        get_region(r)
    out = Path(output_dir) if output_dir else outputs_dir() / INTERACTIVE / "cross-region"
    out.mkdir(parents=True, exist_ok=True)
    plots.set_theme()
    return Study(notebook, out, _datasets(data), Findings("cross-region", notebook, out), regions=regions)


def documents_named(doc_ids) -> str:
    return "; ".join(DOC_SHORT_NAMES.get(d, d) for d in doc_ids if d in DOC_SHORT_NAMES) or "none"


def header(case: Case) -> None:
    """One line on the region and the documents that cover it."""
    reg = case.region
    if reg.documents == ("user-registry",):
        case.say(f"**{reg.name}** was added with `new-region` and has no source document "
                 f"(see `data/templates/{reg.region_id}/README.md` for how to add data).")
        return
    case.say(f"**{reg.name}** — sources: {documents_named(reg.documents)}.")


def cite(source: str, lines) -> str:
    """A source and its lines as a reader reads them: 'Tabell 4.6, lines 4403–4410', '§4.2.2, line 913'."""
    parts = [p.strip() for p in str(lines).split(";") if p.strip()]
    spans = [p.replace("-", "–") for p in parts]
    word = "line" if len(spans) == 1 and "–" not in spans[0] else "lines"
    where = f"{word} {', '.join(spans)}"
    return f"{str(source).replace(';', ', ')}, {where}" if source else where

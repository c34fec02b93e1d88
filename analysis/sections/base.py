"""What every notebook section shares: the case and study objects, display, citations, reproduction.

Each function takes a :class:`Case` (region, data, output folder, findings
recorder), computes through :mod:`analysis.indicators` and :mod:`analysis.survey`,
draws with :mod:`analysis.plots`, records findings, and returns what it showed.
Where the sources hold no data for a section it says so in one sentence and
names the data that would fill it -- it never fills the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis import data as D
from analysis import plots
from analysis.config import OUTPUTS_DIR
from analysis.findings import Findings, write_table
from analysis.regions import Region, get_region
from analysis.reproduce import NotComputable, evaluate, evaluate_interval

GROUPS = [f"g{i}" for i in range(1, 8)]
# Short English names of the appendix's seven groups (Tabell v.1-v.6), for figure axes.
GROUP_NAMES = {"g1": "metal products", "g2": "transport equip.", "g3": "ICT industry", "g4": "other high-tech ind.",
               "g5": "ICT services", "g6": "R&D", "g7": "technical consult.", "tech-total": "all tech industries",
               "tech-industry": "tech industry", "tech-service": "tech services"}


def named(frame: pd.DataFrame) -> pd.DataFrame:
    """Add an 'industry' column with readable group names for figure axes."""
    order = {k: i for i, k in enumerate(GROUP_NAMES)}
    out = frame.assign(industry=frame["industry_id"].map(lambda i: GROUP_NAMES.get(i, i)))
    return out.sort_values("industry_id", key=lambda s: s.map(lambda i: order.get(i, len(order))), kind="stable")


def rotate(ax) -> None:
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
SECTION_TITLES = {
    "history": "history",
    "production_system": "production system",
    "innovation_sources": "innovation sources",
    "innovation_barriers": "innovation barriers",
}


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in str(text).lower()).strip("-")


def say(text: str) -> None:
    """Show Markdown in a notebook, plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(text))
            return
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass
    print(text)


def show_table(frame: pd.DataFrame) -> None:
    """A table for reading: no index, blanks for missing values, long texts in full."""
    shown = frame.reset_index(drop=True).astype(object)
    shown = shown.where(frame.reset_index(drop=True).notna(), "")
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            with pd.option_context("display.max_colwidth", 160, "display.max_rows", 400):
                display(shown.style.hide(axis="index").set_properties(**{"text-align": "left"}))
            return
    except ImportError:  # pragma: no cover
        pass
    print(shown.to_string(index=False))


def show_figure(fig, png: Path, caption: str) -> None:
    """Show the saved PNG where it belongs in the text, with its caption for the book, then close the figure.

    Showing the file (not the live figure) keeps the notebook independent of the kernel's
    matplotlib integration and guarantees the reader sees exactly the published figure.
    """
    try:
        from IPython import get_ipython
        from IPython.display import Image, display

        if get_ipython() is not None:
            display(Image(data=Path(png).read_bytes(), format="png"), metadata={"analysis": {"caption": caption}})
    except ImportError:  # pragma: no cover
        pass
    plt.close(fig)


def caption_of(fig, source: str) -> str:
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    title = titles[0] if titles else "Figure"
    return f"{title}. {source if source.startswith('Source') else 'Source: ' + source}."


class Chapter:
    """What every notebook chapter does with its results: say, show and save tables and figures, record findings.

    Subclasses provide ``notebook``, ``output_dir`` and ``findings``.
    """

    notebook: str
    output_dir: Path
    findings: Findings

    def say(self, text: str) -> None:
        say(text)

    def table(self, frame: pd.DataFrame, name: str, show: bool = True) -> pd.DataFrame:
        write_table(frame, self.output_dir, self.notebook, name)
        if show:
            show_table(frame)
        return frame

    def figure(self, fig, name: str, source: str) -> None:
        paths = plots.save_figure(fig, self.output_dir, self.notebook, name, source)
        show_figure(fig, paths["png"], caption_of(fig, source))

    def save(self) -> Path:
        return self.findings.save()


@dataclass
class Case(Chapter):
    """Everything a notebook section needs: the region, its data and where results go."""

    region: Region
    notebook: str
    output_dir: Path
    data: dict[str, pd.DataFrame]
    findings: Findings

    @property
    def rid(self) -> str:
        return self.region.region_id

    def rows(self, name: str, **where) -> pd.DataFrame:
        """Rows of dataset ``name`` for this region (``region_id`` or ``area``), filtered by ``where``."""
        frame = self.data[name]
        col = "region_id" if "region_id" in frame.columns else "area"
        out = frame[frame[col] == self.rid]
        for k, v in where.items():
            out = out[out[k].isin(v if isinstance(v, (list, tuple, set)) else [v])]
        return out

    def no_data(self, what: str, would_fill: str) -> None:
        say(f"*The sources have no {what} for {self.region.name}; {would_fill} would fill this section.*")


def open_case(region: str, output_dir: str | Path = "", notebook: str = "notebook",
              data: dict[str, pd.DataFrame] | None = None) -> Case:
    """Load the validated data and set up the output folder and findings for one region."""
    reg = get_region(region)
    out = Path(output_dir) if output_dir else OUTPUTS_DIR / region
    out.mkdir(parents=True, exist_ok=True)
    plots.set_theme()
    datasets = data if data is not None else D.load_all()
    return Case(reg, notebook, out, datasets, Findings(region, notebook, out))


def citation(rows: pd.DataFrame) -> str:
    """'Source: NIBR-rapport 2005:11, Tabell 4.1, Tabell v.3' for the rows shown."""
    pairs = rows[["doc", "source"]].drop_duplicates()
    by_doc: dict[str, list[str]] = {}
    for doc, src in pairs.itertuples(index=False):
        by_doc.setdefault(doc, []).append(src)
    parts = [plots.source_caption(doc, ", ".join(sorted(set(srcs)))) for doc, srcs in sorted(by_doc.items())]
    return "; ".join(parts)


def header(case: Case) -> None:
    reg = case.region
    docs = ", ".join(reg.documents)
    if reg.documents == ("user-registry",):
        docs = f"none (added with `new-region`; see data/templates/{reg.region_id}/README.md)"
    lines = [f"**{reg.name}** ({reg.kind}) — documents: {docs}.", "", "| section | data in the sources |", "|---|---|"]
    for key, title in SECTION_TITLES.items():
        lines.append(f"| {title} | {'yes' if reg.sections.get(key) else 'no'} |")
    case.say("\n".join(lines))




def qualitative(case: Case, section: str, kinds: list[str] | None = None, title: str = "") -> pd.DataFrame:
    cc = case.rows("case_content", section=section)
    if kinds:
        cc = cc[cc["kind"].isin(kinds)]
    if cc.empty:
        case.no_data(title or section.replace("-", " "), "case interviews or documents")
        return cc
    table = cc[["kind", "item", "term_no", "doc", "source", "lines"]].sort_values(["kind", "item"])
    case.table(table, f"{section}-records")
    return table




# ----------------------------------------------------------------------------------- reproduction

NOTEBOOK_OF_DATASET = {
    "employment": "production-system", "firm_size": "production-system", "firm_dynamics": "production-system",
    "largest_firms": "production-system", "population": "history", "employment_index": "history",
    "survey_indicators": "innovation-sources", "survey_rankings": "innovation-sources",
    "survey_respondents": "innovation-sources", "locations": "innovation-sources", "indicators": "production-system",
    "targets": "production-system",
}


def notebook_of(pv: dict) -> str:
    """Which notebook reproduces a published value: by the first dataset its computation reads."""
    from analysis.reproduce import REF_RE

    m = REF_RE.search(str(pv.get("computed_from", "")))
    nb = NOTEBOOK_OF_DATASET.get(m.group(1), "production-system") if m else "production-system"
    if pv.get("area") in ("norway", "rest-of-norway", "big-cities", "medium-cities", "small-towns",
                          "other-municipalities") and nb != "innovation-sources":
        return "national-context"
    if pv.get("area") in ("tech-towns", "other-tech-towns"):
        return "comparison"
    return nb


def reproduce_published(case: Chapter, areas: list[str] | None = None) -> pd.DataFrame:
    """Recompute every published value of these areas that this notebook owns and is not yet recorded."""
    pv = case.data["published_values"]
    areas = areas or [case.rid]
    done = case.findings.published_ids()
    rows = []
    for row in pv[pv["area"].isin(areas)].to_dict("records"):
        if notebook_of(row) != case.notebook or row["pv_id"] in done:
            continue
        try:
            value = evaluate(row["computed_from"], case.data, row["source"])
            lo, hi = evaluate_interval(row["computed_from"], case.data, row["source"])
        except NotComputable as exc:
            rows.append({"pv_id": row["pv_id"], "published": row["value"], "reproduced": None,
                         "status": "not-computable", "note": str(exc)})
            continue
        rec = case.findings.record(f"published.{row['pv_id']}", round(value, 6), row["unit"], row["description"],
                                   published=row, interval=(lo, hi))
        rows.append({"pv_id": row["pv_id"], "published": row["value"], "reproduced": round(value, 3),
                     "status": rec["status"], "note": row.get("errata_id") or ""})
    table = pd.DataFrame(rows, columns=["pv_id", "published", "reproduced", "status", "note"])
    if not table.empty:
        case.table(table, "reproduction")
        counts = table["status"].value_counts().to_dict()
        case.say("Reproduction of the printed numbers: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + ".")
    return table



# ----------------------------------------------------------------------------------- cross-region

TOWNS = ["horten", "kongsberg", "raufoss", "halden"]


@dataclass
class Study(Chapter):
    """The cross-region view: several regions at once."""

    regions: list[str]
    notebook: str
    output_dir: Path
    data: dict[str, pd.DataFrame]
    findings: Findings


def open_study(regions: list[str] | None = None, output_dir: str | Path = "", notebook: str = "comparison",
               data: dict[str, pd.DataFrame] | None = None) -> Study:
    from analysis.regions import case_regions

    valid = [r.region_id for r in case_regions()]
    regions = list(regions) if regions else valid
    for r in regions:
        get_region(r)
    out = Path(output_dir) if output_dir else OUTPUTS_DIR / "cross-region"
    out.mkdir(parents=True, exist_ok=True)
    plots.set_theme()
    datasets = data if data is not None else D.load_all()
    return Study(regions, notebook, out, datasets, Findings("cross-region", notebook, out))


"""What every notebook section shares: the case and study objects, display, labels, citations,
the chapter's arguments (claims) and the reproduction of printed numbers.

A section function takes a :class:`Case` (one region) or a :class:`Study` (several), computes
through the methods modules, draws through :mod:`analysis.plots`, records findings, and shows
its own heading only when it has something to show. Where a region's sources hold nothing for a
whole chapter, :meth:`Chapter.no_material` says so once and names what would fill it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import data as D
from analysis import plots
from analysis.config import outputs_dir
from analysis.findings import DOC_SHORT_NAMES, Findings, write_table
from analysis.data.regions import Region, case_regions, get_region
from analysis.reproduce import REF_RE, DataIndex, NotComputable, evaluate_test, reproduce_row, unprinted_base

GROUPS = [f"g{i}" for i in range(1, 8)]
TOWNS = ["horten", "kongsberg", "raufoss", "halden"]
SECTION_TITLES = {
    "history": "history",
    "production_system": "production system",
    "innovation_sources": "innovation sources",
    "innovation_barriers": "innovation barriers",
}
# Short English names for the axes; the long names are in data/industries.csv (label_en).
SHORT_INDUSTRY = {"g1": "Metal products", "g2": "Transport equipment", "g3": "ICT manufacturing",
                  "g4": "Other high-tech manufacturing", "g5": "ICT services", "g6": "R&D services",
                  "g7": "Technical consultancy", "tech-total": "All technology industries",
                  "tech-industry": "Technology manufacturing", "tech-service": "Technology services",
                  "core": "Technology core"}
FIRM_GROUPS = {"all": "all firms", "system-tech": "system firms and technology suppliers",
               "contract-suppliers": "contract suppliers", "system-tech-cooperating": "cooperating system firms",
               "product-innovators": "product innovators", "process-innovators": "process innovators",
               "established-since-1997": "firms established since 1997", "car-parts": "car-parts makers",
               "transport-equipment": "transport equipment", "other-tech-industries": "other technology industries",
               "ict-industry": "ICT manufacturing", "ict-services": "ICT services",
               "technical-consulting": "technical consultancy", "halden-ict-industries": "the industries of Halden's ICT milieu"}
SIZE_CLASSES = {"lt10": "fewer than 10", "10-29": "10–29", "30-99": "30–99", "gt100": "100 or more",
                "10-99": "10–99", "total": "all sizes"}
LOCATIONS = {"local": "local (municipality and neighbours)", "rest-of-ostlandet": "rest of Eastern Norway",
             "rest-of-norway": "rest of Norway", "abroad": "abroad", "not-relevant": "not relevant",
             "vestfold": "Vestfold", "rest-of-scandinavia": "rest of Scandinavia", "rest-of-europe": "rest of Europe",
             "rest-of-world": "rest of the world", "kongsberg-region": "Kongsberg region",
             "all-in-vestfold": "all in Vestfold", "half-or-more-in-vestfold": "half or more in Vestfold",
             "under-half-in-vestfold": "under half in Vestfold"}
VERDICTS = {True: "supported", False: "contradicted"}


# ---------------------------------------------------------------- display


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    return get_ipython() is not None


def say(text: str) -> None:
    """Show Markdown in a notebook, plain text elsewhere."""
    if _in_notebook():
        from IPython.display import Markdown, display

        display(Markdown(text))
    else:
        print(text)


def number(value, decimals: int = 0) -> str:
    """A number for prose and tables: thousands separated, fixed decimals, '–' for missing."""
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):,.{decimals}f}".replace("-", "−")


def show_table(frame: pd.DataFrame, decimals: dict[str, int] | None = None, caption: str | None = None) -> None:
    """A table for reading: no index, blanks for missing values, counts as integers with thousands
    separators, other numbers at the decimals given per column (default 1)."""
    decimals = decimals or {}
    shown = frame.reset_index(drop=True)
    fmt = {}
    for col in shown.columns:
        if pd.api.types.is_bool_dtype(shown[col]):
            continue
        if "year" in str(col).lower() or str(col).lower() in ("rank", "period", "until"):
            fmt[col] = lambda v: "" if v is None or pd.isna(v) else str(int(v)) if isinstance(v, (int, float)) else str(v)
        elif pd.api.types.is_integer_dtype(shown[col]):
            fmt[col] = lambda v: number(v, 0)
        elif pd.api.types.is_float_dtype(shown[col]):
            fmt[col] = (lambda d: lambda v: number(v, d))(decimals.get(col, 1))
    if _in_notebook():
        from IPython.display import display

        styler = shown.style.hide(axis="index").format(fmt, na_rep="").set_properties(**{"text-align": "left"})
        if caption:
            styler = styler.set_caption(caption)
        display(styler)
    else:
        print(shown.to_string(index=False, formatters=fmt))


def show_figure(png: Path, caption: str) -> None:
    """Show the saved PNG where it belongs in the text, with its caption for the book.

    Showing the file (not the live figure) keeps the notebook independent of the kernel's
    matplotlib integration and guarantees the reader sees exactly the published figure.
    """
    if _in_notebook():
        from IPython.display import Image, display

        display(Image(data=Path(png).read_bytes(), format="png"), metadata={"analysis": {"caption": caption}})


def citation(rows: pd.DataFrame) -> str:
    """'Source: NIBR-rapport 2005:11, Tabell 4.1, Tabell v.3' for the rows shown."""
    pairs = rows[["doc", "source"]].drop_duplicates()
    by_doc: dict[str, list[str]] = {}
    for doc, src in pairs.itertuples(index=False):
        by_doc.setdefault(doc, []).append(src)
    parts = [plots.source_caption(doc, ", ".join(sorted(set(srcs)))) for doc, srcs in sorted(by_doc.items())]
    return "; ".join(p if i == 0 else p.removeprefix("Source: ") for i, p in enumerate(parts))


# ---------------------------------------------------------------- chapters


@dataclass
class Chapter:
    """What every notebook chapter does with its results: say, show and save tables and figures, record findings."""

    notebook: str
    output_dir: Path
    data: dict[str, pd.DataFrame]
    findings: Findings
    index: DataIndex = field(init=False, repr=False)
    shown: int = field(default=0, init=False)

    def __post_init__(self):
        self.index = DataIndex(self.data)

    def say(self, text: str) -> None:
        say(text)

    def heading(self, text: str, level: int = 2) -> None:
        self.shown += 1
        say(f"{'#' * level} {text}")

    def table(self, frame: pd.DataFrame, name: str, show: bool = True, decimals: dict[str, int] | None = None,
              caption: str | None = None) -> pd.DataFrame:
        write_table(frame, self.output_dir, self.notebook, name)
        if show:
            show_table(frame, decimals, caption)
        return frame

    def figure(self, fig, name: str, source, data: pd.DataFrame | None = None, caption: str | None = None) -> None:
        """Save the figure (PNG + the plotted data as CSV) and show it with its caption."""
        import matplotlib.pyplot as plt

        paths = plots.save_figure(fig, self.output_dir, self.notebook, name, source, data)
        title = next((ax.get_title(loc="left") or ax.get_title() for ax in fig.axes
                      if ax.get_title(loc="left") or ax.get_title()), "Figure")
        src = plots._caption(source) if not isinstance(source, str) or not source.startswith("Source") else source
        show_figure(paths["png"], f"{caption or title}. {src}.")
        plt.close(fig)

    def save(self) -> Path:
        return self.findings.save()

    # labels from the data's label columns
    def industry(self, industry_id: str, short: bool = True) -> str:
        if short and industry_id in SHORT_INDUSTRY:
            return SHORT_INDUSTRY[industry_id]
        ind = self.data["industries"]
        hit = ind.loc[ind["industry_id"] == industry_id, "label_en"]
        return str(hit.iloc[0]) if len(hit) else industry_id

    def area(self, area_id: str) -> str:
        reg = self.data["regions"]
        hit = reg.loc[reg["region_id"] == area_id, "name"]
        return str(hit.iloc[0]) if len(hit) else area_id

    def item(self, question: str, item_id: str) -> str:
        items = self.data["survey_items"]
        hit = items.loc[(items["question"] == question) & (items["item_id"] == item_id), "label_en"]
        return str(hit.iloc[0]) if len(hit) else item_id.replace("-", " ")


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
        say(f"*{self.name}'s sources ({documents_named(self.region.documents)}) hold no material on its "
            f"{chapter}; {would_fill} would fill this chapter.*")

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


def open_case(region: str, output_dir: str | Path = "", notebook: str = "notebook", data=None) -> Case:
    """Load the validated data and set up the output folder and findings for one region."""
    reg = get_region(region)
    out = Path(output_dir) if output_dir else outputs_dir() / region
    out.mkdir(parents=True, exist_ok=True)
    plots.set_theme()
    return Case(notebook, out, _datasets(data), Findings(region, notebook, out), region=reg)


def open_study(regions: list[str] | None = None, output_dir: str | Path = "", notebook: str = "comparison",
               data=None) -> Study:
    valid = [r.region_id for r in case_regions()]
    regions = list(regions) if regions else valid
    for r in regions:
        get_region(r)
    out = Path(output_dir) if output_dir else outputs_dir() / "cross-region"
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


# ---------------------------------------------------------------- the chapter's arguments


def claims_of(chapter: Chapter, section: str, region: str | None = None) -> pd.DataFrame:
    """The claims of one book section (and region), each with its verdict computed from the data.

    ``verdict``: supported / contradicted when the claim has a test, else 'not testable' with
    the reason the data give (``untestable``).
    """
    if "claims" not in chapter.data:
        return pd.DataFrame(columns=["claim_id", "region_id", "section", "verdict"])
    cl = chapter.data["claims"]
    cl = cl[cl["section"] == section]
    if region is not None:
        cl = cl[cl["region_id"] == region]
    rows = []
    for r in cl.to_dict("records"):
        if pd.notna(r["test"]) and str(r["test"]).strip():
            try:
                verdict = VERDICTS[evaluate_test(str(r["test"]), chapter.index)]
            except NotComputable as exc:
                verdict = f"not evaluable ({exc})"
        else:
            verdict = "not testable"
        rows.append({**r, "verdict": verdict})
    return pd.DataFrame(rows, columns=[*cl.columns, "verdict"])


def synthesis(chapter: Chapter, section: str, region: str | None = None, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """What the chapter argues for this section -> the evidence -> does the printed data bear it out.

    Shown at the top of a notebook, generated from the claims and their tests; says so plainly
    when no argument of the sources is recorded for this section.
    """
    if region is None and isinstance(chapter, Case):
        region = chapter.rid
    cl = claims_of(chapter, section, region)
    if cl.empty:
        return cl
    counts = cl["verdict"].value_counts()
    tested = int(counts.get("supported", 0) + counts.get("contradicted", 0))
    chapter.heading("What the source argues", 2)
    chapter.say(f"{len(cl)} arguments of the source for this chapter; {tested} can be tested against the printed "
                f"numbers: {int(counts.get('supported', 0))} supported, {int(counts.get('contradicted', 0))} "
                "contradicted. The others rest on interviews and text without numbers (reason given).")
    table = pd.DataFrame({
        "argument": cl["claim"],
        "kind": cl["kind"].str.replace("-", " ") if kinds is None else cl["kind"].map(kinds).fillna(cl["kind"]),
        "in the source's words": cl["term_no"].map(lambda s: f"«{s}»"),
        "verdict": cl["verdict"],
        "why not testable": cl["untestable"].fillna(""),
        "source": cl["source"] + ", lines " + cl["lines"],
    })
    chapter.table(table, f"claims-{section}")
    for r in cl.to_dict("records"):
        if r["verdict"] in VERDICTS.values():
            chapter.findings.record(f"claim.{r['claim_id']}", 1.0 if r["verdict"] == "supported" else 0.0, "boolean",
                                    f"Claim tested against the printed data: {r['claim']}",
                                    citation=f"{DOC_SHORT_NAMES.get(r['doc'], r['doc'])}, {r['source']}, lines {r['lines']}")
    return cl


# ---------------------------------------------------------------- reproduction of printed numbers

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
        chapter.table(table, "reproduction", decimals={"printed": 1, "recomputed": 2})
    return table

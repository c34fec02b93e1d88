"""One seaborn theme and figure helpers that always put the source under the figure.

:func:`set_theme` fixes style, palette (seaborn 'colorblind') and the settings
that make saved files byte-identical between runs. :func:`save_figure` refuses
a figure without a title or axis labels and writes PNG and SVG with the source
line ("Source: NIBR-rapport 2005:11, Tabell 4.1") drawn under the plot.

Helpers: :func:`timeline`, :func:`change_bars`, :func:`index_lines`,
:func:`rank_dots`, :func:`location_bars`. Each returns the Figure, with title
and axis labels set from its arguments; the caller saves it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis.errors import FigureError
from analysis.findings import DOC_SHORT_NAMES
from analysis.names import FILE_PART as _SLUG

PALETTE = "colorblind"
SOURCE_GID = "source-line"


def set_theme() -> None:
    """Apply the project theme. Idempotent: every call sets the same values."""
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE)
    matplotlib.rcParams.update({
        "svg.hashsalt": "tech-towns",  # fixed ids in SVG output instead of random ones
        "svg.fonttype": "path",  # glyphs as paths: no dependence on installed fonts when viewed
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "figure.figsize": (8.0, 4.5),
        "axes.titlesize": "medium",
        "axes.titleweight": "bold",
    })


def source_caption(doc_id: str, locator: str | None = None) -> str:
    """'Source: NIBR-rapport 2005:11, Tabell 4.1' from a document id and table/figure/section."""
    if doc_id not in DOC_SHORT_NAMES:
        raise KeyError(f"unknown document {doc_id!r}; known: {', '.join(DOC_SHORT_NAMES)}")
    return f"Source: {DOC_SHORT_NAMES[doc_id]}" + (f", {locator}" if locator else "")


def _caption(source) -> str:
    """A caption from a string, a (doc, locator) pair, or a list of pairs."""
    if isinstance(source, str):
        if not source.strip():
            raise FigureError("empty source line")
        return source if source.startswith("Source") else f"Source: {source}"
    if isinstance(source, tuple):
        return source_caption(*source)
    if isinstance(source, list) and source:
        parts = [source_caption(*s).removeprefix("Source: ") for s in source]
        return "Sources: " + "; ".join(parts)
    raise FigureError(f"source must be a caption, a (doc_id, locator) pair or a list of pairs, got {source!r}")


def check_figure(fig) -> None:
    """Raise :class:`FigureError` unless the figure has a title and every plotting axes both labels."""
    axes = [ax for ax in fig.axes if ax.axison]
    if not axes:
        raise FigureError("figure has no visible axes")
    suptitle = fig._suptitle.get_text().strip() if fig._suptitle is not None else ""
    if not suptitle and not all(ax.get_title().strip() for ax in axes):
        raise FigureError("figure has no title: set ax.set_title(...) or fig.suptitle(...)")
    for ax in axes:
        if not ax.get_xlabel().strip() or not ax.get_ylabel().strip():
            raise FigureError(f"axes {ax.get_title() or suptitle!r} lacks an x or y label (with units)")


def _draw_source(fig, caption: str) -> None:
    """Put the caption left-aligned just below everything else drawn (tick labels, x label, legend)."""
    text = next((t for t in fig.texts if t.get_gid() == SOURCE_GID), None)
    if text is None:  # reuse the artist so saving twice does not stack two source lines
        text = fig.text(0, 0, "", ha="left", va="top", fontsize="small", color="0.3", gid=SOURCE_GID)
    text.set_text(caption)
    text.set_visible(False)  # measure the figure without the caption itself
    bbox = fig.get_tightbbox(fig.canvas.get_renderer())
    text.set_visible(True)
    width, height = fig.get_size_inches()
    text.set_position((bbox.x0 / width, (bbox.y0 - 0.05) / height))


def _atomic_save(fig, path: Path, **kwargs) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        fig.savefig(tmp, bbox_inches="tight", **kwargs)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are for everyone to read
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_figure(fig, output_dir, notebook: str, name: str, source) -> dict[str, Path]:
    """Write ``output_dir/figures/<notebook>--<name>.png`` and ``.svg`` with the source line.

    ``source`` is a caption string, a ``(doc_id, locator)`` pair or a list of
    pairs. Output is byte-identical across runs (no dates or software tags in
    the metadata; fixed SVG hash salt). Raises :class:`FigureError` if the
    figure lacks a title or axis labels.
    """
    for value, what in ((notebook, "notebook"), (name, "name")):
        if not isinstance(value, str) or not _SLUG.match(value):
            raise FigureError(f"{what} {value!r} must be a plain file-name part (letters, digits, . _ -)")
    check_figure(fig)
    _draw_source(fig, _caption(source))
    folder = Path(output_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{notebook}--{name}"
    paths = {"png": folder / f"{stem}.png", "svg": folder / f"{stem}.svg"}
    _atomic_save(fig, paths["png"], format="png", metadata={"Software": None})
    _atomic_save(fig, paths["svg"], format="svg", metadata={"Date": None, "Creator": None})
    return paths


# ---------------------------------------------------------------- helpers

def _new(ax, figsize=None):
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize)


def timeline(events: pd.DataFrame, title: str, phase_order=None, label_col: str = "event_id"):
    """Dated events on a year axis, one row per event (oldest on top), coloured by phase.

    ``events``: history_events rows (year, year_end, phase and ``label_col``).
    Periods (``year_end``) are drawn as bars from year to year_end. The panel
    beside the axis holds the phase legend and lists the events without a year,
    which are not placed on the axis.
    """
    import textwrap

    dated = events[events["year"].notna()].sort_values(["year", label_col])
    undated = events[events["year"].isna()]
    phase = dated["phase"].astype("object").where(dated["phase"].notna(), "(no phase)")
    phases = list(phase_order) if phase_order is not None else list(dict.fromkeys(phase))
    colours = dict(zip(phases, sns.color_palette(PALETTE, max(len(phases), 1))))
    fig, (ax, side) = plt.subplots(1, 2, figsize=(11, 1.5 + 0.25 * max(len(dated), 6)),
                                   gridspec_kw={"width_ratios": [2.2, 1]})
    for y, (ev, ph) in enumerate(zip(dated.to_dict("records"), phase)):
        end = ev.get("year_end") if pd.notna(ev.get("year_end")) else ev["year"]
        if end != ev["year"]:
            ax.plot([ev["year"], end], [y, y], color=colours.get(ph, "0.5"), lw=5, solid_capstyle="butt")
        ax.plot(ev["year"], y, "o", color=colours.get(ph, "0.5"))
    ax.set_yticks(range(len(dated)), dated[label_col].astype(str).tolist(), fontsize="x-small")
    ax.invert_yaxis()
    ax.set(title=title, xlabel="Year", ylabel="Event")
    side.axis("off")
    handles = [plt.Line2D([], [], marker="o", ls="", color=colours[p]) for p in phases]
    side.legend(handles, [textwrap.fill(str(p), 38) for p in phases], title="Phase", loc="upper left",
                fontsize="x-small", frameon=False)
    if len(undated):
        listing = "\n".join(textwrap.fill(f"• {x}", 45) for x in undated[label_col].astype(str))
        side.text(0, 0.35, "Undated (not on the axis)\n" + listing, va="top", fontsize="x-small",
                  transform=side.transAxes)
    return fig


def change_bars(table: pd.DataFrame, value: str, label: str, title: str, unit: str, ax=None):
    """Horizontal bars of a change by industry (``value`` column, e.g. abs_change or rel_change_pct).

    Rows whose value is ``<NA>`` (undefined relative change) are shown as 'n/a'.
    """
    fig, ax = _new(ax, figsize=(8, 0.4 * len(table) + 1.5))
    vals = pd.to_numeric(table[value]).astype("Float64")
    labels = table[label].astype(str).tolist()
    colours = sns.color_palette(PALETTE, 2)
    ax.barh(labels, vals.fillna(0).astype(float), color=[colours[0] if v >= 0 else colours[1] for v in vals.fillna(0)])
    for i, v in enumerate(vals):
        if pd.isna(v):
            ax.text(0, i, " n/a", va="center", fontsize="small")
    ax.axvline(0, color="0.2", lw=0.8)
    ax.invert_yaxis()  # first row on top, as in the printed table
    ax.set(title=title, xlabel=unit, ylabel="Industry")
    return fig


def index_lines(frame: pd.DataFrame, x: str, y: str, hue: str, title: str, base_year: int, ax=None):
    """Index series (base year = 100), one line per ``hue`` value, with the 100 line marked."""
    fig, ax = _new(ax)
    sns.lineplot(data=frame, x=x, y=y, hue=hue, marker="o", ax=ax, palette=PALETTE)
    ax.axhline(100, color="0.4", lw=0.8, ls="--")
    ax.set(title=title, xlabel="Year", ylabel=f"Index ({base_year} = 100)")
    return fig


def rank_dots(rankings: pd.DataFrame, title: str, item: str = "item_id", group: str = "firm_group",
              rank: str = "rank", ax=None):
    """Ranked items (rows, best on top) by group (colour); tied items share an x position.

    Items are ordered by their mean rank over the groups; rank 1 is on the left.
    """
    order = rankings.groupby(item)[rank].mean().sort_values().index.tolist()
    fig, ax = _new(ax, figsize=(8, 0.35 * len(order) + 1.5))
    sns.stripplot(data=rankings, x=rank, y=item, hue=group, order=order, dodge=True, jitter=False, size=8,
                  palette=PALETTE, ax=ax)
    top = int(rankings[rank].max())
    ax.set_xticks(range(1, top + 1))
    ax.legend(title=group.replace("_", " ").capitalize(), fontsize="small")
    ax.set(title=title, xlabel="Rank (1 = most important)", ylabel="Item")
    return fig


def location_bars(frame: pd.DataFrame, bar: str, location: str, value: str, title: str,
                  normalise: bool = True, location_order=None, ax=None):
    """Stacked horizontal bars: the distribution over locations of each ``bar`` (e.g. partner type).

    With ``normalise`` each bar is scaled to 100 % of its own total, so bars
    with different N compare; otherwise values are stacked as given.
    """
    wide = frame.pivot_table(index=bar, columns=location, values=value, aggfunc="sum", sort=False).fillna(0)
    if location_order is not None:
        wide = wide[[c for c in location_order if c in wide.columns]]
    if normalise:
        totals = wide.sum(axis=1)
        if (totals == 0).any():
            raise ValueError(f"bars {list(wide.index[totals == 0])} have no values to normalise")
        wide = wide.div(totals, axis=0) * 100
    fig, ax = _new(ax, figsize=(8, 0.5 * len(wide) + 1.8))
    left = pd.Series(0.0, index=wide.index)
    for colour, col in zip(sns.color_palette(PALETTE, len(wide.columns)), wide.columns):
        ax.barh(wide.index.astype(str), wide[col], left=left, color=colour, label=str(col))
        left += wide[col]
    ax.invert_yaxis()
    ax.legend(title="Location", bbox_to_anchor=(1.01, 1), loc="upper left", fontsize="small")
    ax.set(title=title, xlabel="Share (%)" if normalise else value, ylabel=bar.replace("_", " ").capitalize())
    return fig


__all__ = [
    "DOC_SHORT_NAMES", "FigureError", "change_bars", "check_figure", "index_lines", "location_bars",
    "rank_dots", "save_figure", "set_theme", "source_caption", "timeline",
]

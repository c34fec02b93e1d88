"""One seaborn theme and the figure helpers every notebook draws with.

:func:`set_theme` fixes style, palette (seaborn 'colorblind'), constrained layout and the
settings that make saved files byte-identical between runs. :func:`save_figure` refuses a
figure without a title or axis labels, draws the source line ("Source: NIBR-rapport 2005:11,
Tabell 4.1") under the plot and writes the PNG and, beside it, the data the figure plots (CSV).

Helpers (each returns the Figure with title and axis labels set; the caller saves it):

* :func:`grouped_bars` -- a value by category for one or several groups (a town beside its
  benchmark), horizontal, with a zero or reference line; ratios on a log axis centred on 1;
* :func:`series_lines` -- series over time (employment index with its comparison rows, a firm's
  history), optionally on a log scale so that no series is flattened;
* :func:`timeline` -- dated events by phase;
* :func:`rank_dots` -- ranked items by group;
* :func:`share_dots` -- survey shares with their intervals and n, with reference marks;
* :func:`location_bars` -- the distribution over locations, each bar its own 100 %;
* :func:`network` -- actors and links (networkx layout), e.g. a supplier network;
* :func:`panel_bars` -- small multiples, one bar panel per measure over the same categories, so
  that what a source leaves unprinted shows as such;
* :func:`verdict_grid` -- categorical verdicts (criteria met or not) in a coloured grid;
* :func:`compare_dots`, :func:`range_dots` -- one row per category, a marker per group or a range;
* :func:`value_chain` -- the stages of value chains in boxes sized to their text, the region's shaded.

Legends go beside the axes, never over the data. Titles, axis labels and the source line are wrapped
to the room they have by measuring them (at the screen's and the saved resolution), so none is cut
off; :func:`layout_problems` lists what a reader would call broken in a figure (a text cut off, a
text outside its box, overlapping texts or tick labels, an id printed as a label), and the tests
hold every helper to an empty list.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import itertools
import json
import re
import textwrap
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis import config, kept
from analysis.data.documents import SHORT_NAMES as DOC_SHORT_NAMES
from analysis.errors import FigureError
from analysis.files import atomic_path, atomic_write_bytes, atomic_write_text
from analysis.names import FILE_PART
from analysis.numerals import as_printed  # tick labels as the text writes numbers: 0.05, 1, 5,000

PALETTE = "colorblind"
SOURCE_GID = "source-line"
BENCHMARK_COLOUR = "0.55"


def set_theme() -> None:
    """Apply the project theme. Idempotent: every call sets the same values."""
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE)
    matplotlib.rcParams.update({
        "svg.hashsalt": "tech-towns",
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "figure.figsize": (8.0, 4.5),
        "figure.constrained_layout.use": True,
        "axes.titlesize": "medium",
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "legend.frameon": False,
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


def _check_figure(fig) -> None:
    """Raise :class:`FigureError` unless the figure has a title and every plotting axes both labels."""
    axes = [ax for ax in fig.axes if ax.axison and ax.get_label() != "<colorbar>"]
    if not axes:
        raise FigureError("figure has no visible axes")
    suptitle = fig._suptitle.get_text().strip() if fig._suptitle is not None else ""
    if not suptitle and not all(ax.get_title(loc="left").strip() or ax.get_title().strip() for ax in axes):
        raise FigureError("figure has no title: set ax.set_title(...) or fig.suptitle(...)")
    for ax in axes:
        if getattr(ax, "_analysis_unlabelled", False):
            continue  # a drawing without axes scales (network, value chain)
        if not ax.get_xlabel().strip() or not ax.get_ylabel().strip():
            raise FigureError(f"axes {ax.get_title() or suptitle!r} lacks an x or y label (with units)")


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")


def _visible_texts(fig) -> list:
    """Every text a reader sees: titles, labels, tick labels, legend entries, annotations (drawn, non-empty).
    Tick labels of ticks outside the axis' view are left out: matplotlib keeps them but does not draw them."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) or 1.0
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                loc = tick.get_loc()
                if loc is None or not lo - 1e-9 * span <= loc <= hi + 1e-9 * span or not axis.get_visible():
                    hidden.update({id(tick.label1), id(tick.label2)})
    return [t for t in fig.findobj(matplotlib.text.Text)
            if id(t) not in hidden and t.get_visible() and t.get_text().strip() and t.get_alpha() != 0
            and t.get_figure() is not None]


def _extent(text, renderer):
    """The window extent of a text, its box included when it is drawn in one."""
    box = text.get_bbox_patch()
    if box is not None:
        return box.get_window_extent(renderer)
    return text.get_window_extent(renderer)


def _saved_dpi() -> float:
    dpi = matplotlib.rcParams["savefig.dpi"]
    return float(matplotlib.rcParams["figure.dpi"] if dpi == "figure" else dpi)


def _dpis() -> list[float]:
    """The screen's and the saved file's resolution: hinting makes text a few per cent wider at some, so a
    width is taken as the wider of the two, and text fitted to it fits in the notebook and the PNG."""
    return sorted({float(matplotlib.rcParams["figure.dpi"]), _saved_dpi()})


def _inches(text: str, font) -> float:
    """The width in inches of the widest line of ``text`` drawn in ``font``, at the wider of :func:`_dpis`."""
    from matplotlib.font_manager import findfont

    rc = matplotlib.rcParams
    face = (findfont(font), font.get_size_in_points(), rc["text.hinting"], rc["text.hinting_factor"],
            rc["text.kerning_factor"])
    return max(_line_inches(line or " ", dpi, face) for dpi in _dpis() for line in str(text).split("\n"))


@functools.lru_cache(maxsize=16384)
def _line_inches(line: str, dpi: float, face: tuple) -> float:
    """One line's width in inches; ``face`` is everything the width depends on besides the text and resolution
    (font file, size, hinting), so a width is measured once however often wrapping asks for it."""
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=face[0], size=face[1])
    return _renderer(dpi).get_text_width_height_descent(line, font, ismath=False)[0] / dpi


@functools.lru_cache(maxsize=8)
def _renderer(dpi: float):
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, dpi)


def _fill_to_width(text: str, width_in: float, font) -> str:
    """``text`` wrapped, word by word, into lines no wider than ``width_in`` inches as drawn in ``font``
    (measured, so that it fits the width it has whatever the letters)."""
    lines: list[str] = []
    for word in str(text).split():
        if lines and _inches(f"{lines[-1]} {word}", font) <= width_in:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def _fit(text, width_in: float) -> bool:
    """Rewrap a text artist that is wider than ``width_in`` inches to that width; True if it changed."""
    if width_in <= 0 or _inches(text.get_text(), text.get_fontproperties()) <= width_in:
        return False
    text.set_text(_fill_to_width(" ".join(text.get_text().split()), width_in, text.get_fontproperties()))
    return True


def _fit_labels(fig, lay_out=None) -> None:
    """Axis labels (and panel titles) rewrapped to the room they have once the layout is done, so that none is
    cut off at the figure's edge or runs into the next panel: a centred x label may reach as far as the
    nearer figure edge allows, in a figure of several panels no wider than its panel.

    ``lay_out``: what places the axes before they are measured (default: a draw without painting)."""
    lay_out = lay_out or fig.draw_without_rendering
    for _ in range(3):  # rewrapping changes the layout; three rounds settle it
        lay_out()  # the layout and the text positions, without painting pixels
        width, height = fig.get_size_inches()
        dpi = fig.dpi
        changed = False
        axes = [ax for ax in fig.axes if ax.axison]
        for ax in axes:
            changed |= _thin_log_ticks(ax, fig.canvas.get_renderer())
            for label in (ax.xaxis.label, ax.yaxis.label):
                label.set_text(first_upper(label.get_text()))  # 'persons' -> 'Persons'
            box = ax.get_window_extent()
            cx, cy = (box.x0 + box.x1) / 2 / dpi, (box.y0 + box.y1) / 2 / dpi
            room_x = 2 * min(cx, width - cx) - 0.1 if len(axes) == 1 else box.width / dpi + 0.15
            changed |= _fit(ax.xaxis.label, room_x)
            changed |= _fit(ax.yaxis.label, 2 * min(cy, height - cy) - 0.1)
            for loc in ("left", "center"):
                title = ax._left_title if loc == "left" else ax.title
                if title.get_text().strip():
                    changed |= _fit(title, (width - box.x0 / dpi - 0.1) if len(axes) == 1 else box.width / dpi + 0.1)
        if not changed:
            return


def _thin_log_ticks(ax, renderer) -> bool:
    """On a log x axis whose labels run together (5,000 10,000 20,000 on a narrow axis), keep the powers of
    ten, then each 5 and 2 whose label keeps its distance from those kept; True if ticks were dropped."""
    import math

    from matplotlib.ticker import FixedLocator

    if ax.get_xscale() != "log":
        return False
    ax.xaxis.get_tightbbox(renderer)  # the ticks and their labels where the axis now is (a layout pass moved it)
    labels = _tick_extents(ax.xaxis, renderer)
    gap = TICK_GAP * renderer.dpi * 1.5  # half as much again as layout_problems asks: a margin
    if all(b2.x0 - b1.x1 >= gap for (_, b1), (_, b2) in zip(labels, labels[1:])):
        return False
    at = {round(float(t.get_position()[0]), 9): box for t, box in labels}

    def rank(v: float) -> int:
        m = round(v / 10 ** math.floor(math.log10(v) + 1e-9), 6)
        return {1.0: 0, 5.0: 1, 2.0: 2}.get(m, 3)

    kept: list[float] = []
    for v in sorted(at, key=lambda v: (rank(v), v)):
        box = at[v]
        if all(box.x0 - at[k].x1 >= gap or at[k].x0 - box.x1 >= gap for k in kept):
            kept.append(v)
    if len(kept) < 2 or len(kept) == len(at):
        return False
    ax.xaxis.set_major_locator(FixedLocator(sorted(kept)))
    return True


def layout_problems(fig) -> list[str]:
    """What a reader would call broken in a figure, each in one line: a text that leaves the figure (cut off),
    a text that leaves the box it is written in, two texts that overlap, a label that prints an internal id
    (a slug such as 'horten-electronics').

    Draws the figure at the resolution it is saved with (text is a few per cent wider at some), so positions
    are the final ones under constrained layout; the figure's own resolution is restored afterwards.
    """
    screen = fig.get_dpi()
    fig.set_dpi(_saved_dpi())
    try:
        fig.draw_without_rendering()  # the layout and the text positions, without painting pixels
        renderer = fig.canvas.get_renderer()
        frame = fig.bbox
        boxes = [(t, _extent(t, renderer)) for t in _visible_texts(fig)]
        problems = []
        for t, b in boxes:
            label = " ".join(t.get_text().split())[:60]
            if b.x0 < frame.x0 - 1 or b.y0 < frame.y0 - 1 or b.x1 > frame.x1 + 1 or b.y1 > frame.y1 + 1:
                problems.append(f"cut off at the figure's edge: {label!r}")
            holder = getattr(t, "_analysis_box", None)
            if holder is not None:
                h = holder.get_window_extent(renderer)
                if b.x0 < h.x0 or b.y0 < h.y0 or b.x1 > h.x1 or b.y1 > h.y1:
                    problems.append(f"text leaves its box: {label!r}")
            if SLUG.fullmatch(t.get_text().strip()):
                problems.append(f"internal id as a label: {label!r}")
        for (t1, b1), (t2, b2) in itertools.combinations(boxes, 2):
            # 1.5 px of tolerance: neighbouring lines of text may touch, not cover each other
            if b1.x0 + 1.5 < b2.x1 and b2.x0 + 1.5 < b1.x1 and b1.y0 + 1.5 < b2.y1 and b2.y0 + 1.5 < b1.y1:
                problems.append(f"texts overlap: {' '.join(t1.get_text().split())[:40]!r} and "
                                f"{' '.join(t2.get_text().split())[:40]!r}")
        gap = TICK_GAP * fig.dpi
        for ax in fig.axes:
            labels = _tick_extents(ax.xaxis, renderer)
            for (t1, b1), (t2, b2) in zip(labels, labels[1:]):
                if b2.x0 - b1.x1 < gap:
                    problems.append(f"tick labels run together: {t1.get_text()!r} and {t2.get_text()!r}")
        return problems
    finally:
        fig.set_dpi(screen)


TICK_GAP = 0.05  # inches between neighbouring x tick labels, below which they read as one number ('10,00020,000')


def _tick_extents(axis, renderer) -> list:
    """The drawn major tick labels of an axis with their extents, left to right."""
    lo, hi = sorted(axis.get_view_interval())
    out = []
    for tick in axis.get_major_ticks():
        loc = tick.get_loc()
        for label in (tick.label1, tick.label2):
            if (label.get_visible() and label.get_text().strip() and loc is not None
                    and lo - 1e-9 * (hi - lo) <= loc <= hi + 1e-9 * (hi - lo)):
                out.append((label, label.get_window_extent(renderer)))
    return sorted(out, key=lambda tb: tb[1].x0)


def _draw_source(fig, caption: str) -> None:
    """The caption under everything else: constrained layout is told to keep a band at the bottom
    of the figure free (a band as high as the wrapped caption), and the caption is written into it."""
    from matplotlib.font_manager import FontProperties

    text = next((t for t in fig.texts if t.get_gid() == SOURCE_GID), None)
    width, height = fig.get_size_inches()
    wrapped = _fill_to_width(caption, width - 0.25, FontProperties(size="small"))
    band = (0.17 * (wrapped.count("\n") + 1) + 0.12) / height
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and "rect" in engine.get():
        engine.set(rect=(0, band, 1, 1 - band))
    if text is None:  # reuse the artist so saving twice does not stack two source lines
        text = fig.text(0.01, 0, wrapped, ha="left", va="top", fontsize="small", color="0.3", gid=SOURCE_GID,
                        transform=fig.transFigure)
    text.set_text(wrapped)
    text.set_position((0.01, band - 0.04 / height))


def save_figure(fig, output_dir, notebook: str, name: str, source, data: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write ``output_dir/figures/<notebook>--<name>.png`` with the source line, and the plotted data as CSV.

    ``source`` is a caption string, a ``(doc_id, locator)`` pair or a list of pairs; ``data``
    the frame the figure draws (written as ``<notebook>--<name>.csv`` beside the PNG). Output is
    byte-identical across runs (no software tag in the metadata). Raises :class:`FigureError` if
    the figure lacks a title or axis labels.

    A figure is drawn once: the PNG is kept in :func:`analysis.config.rendered` under a key of what
    it is drawn from (:func:`_recipe_key` and the source line), and a figure with the same key is copied
    from there instead of laid out and painted again; a helper whose call was drawn before returns a
    :class:`KeptFigure`, built only if it has to be drawn (``ANALYSIS_RENDERED=off`` draws every figure afresh).
    """
    for value, what in ((notebook, "notebook"), (name, "name")):
        if not isinstance(value, str) or not FILE_PART.match(value):
            raise FigureError(f"figure {what} {value!r} must be a plain file-name part (letters, digits, . _ -)")
    if not isinstance(fig, KeptFigure):
        _check_figure(fig)  # a kept figure passed this check when it was drawn
    caption = _caption(source)
    folder = Path(output_dir) / "figures"
    stem = f"{notebook}--{name}"
    paths = {"png": folder / f"{stem}.png"}
    cache, recipe = config.rendered("figures"), _recipe_of(fig)
    key = _png_key(recipe, caption)
    drawn = _from_cache(cache, key)
    if drawn is not None:
        atomic_write_bytes(paths["png"], drawn)
    else:
        real = fig.figure() if isinstance(fig, KeptFigure) else fig
        _draw_source(real, caption)
        with atomic_path(paths["png"]) as tmp:
            _save_laid_out(real, tmp)
        _keep(cache, recipe, key, paths["png"], figure_title(real))
    if data is not None:
        paths["csv"] = folder / f"{stem}.csv"
        atomic_write_text(paths["csv"], data.to_csv(index=False, float_format="%.10g", lineterminator="\n"))
    return paths


# zlib level 3 instead of Pillow's 6: the same pixels, 2 % larger files, a third less time to encode
PNG_OPTIONS = {"compress_level": 3}


def _save_laid_out(fig, path) -> None:
    """Lay the figure out at the resolution the PNG is saved with, fit its labels, paint it once.

    ``savefig`` on a figure with a layout engine draws it twice: once for the layout (without
    painting), once to paint. Here the labels are fitted between passes of the layout engine alone,
    at the saved resolution, and the figure is painted once, with the engine set aside so that
    painting does not lay it out again. One pass after the last fitting is enough: over the 93
    figures of a run, another pass moved an axes by 0.1 px (median), 0.26 px at most, except in
    one whose outside legend makes constrained layout alternate between two states (1.7 px, either
    way). A figure placed by hand (no engine, or a placeholder), or a theme whose saving does more
    than paint (a tight bounding box, other colours), is saved by ``savefig``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    screen, engine, canvas = fig.get_dpi(), fig.get_layout_engine(), fig.canvas
    rc = matplotlib.rcParams
    plain = (rc["savefig.bbox"] is None and not rc["savefig.transparent"]
             and rc["savefig.facecolor"] == rc["savefig.edgecolor"] == "auto")
    fig.set_dpi(_saved_dpi())
    try:
        if engine is None or isinstance(engine, PlaceHolderLayoutEngine) or not plain:
            _fit_labels(fig)
            fig.savefig(path, format="png", metadata={"Software": None}, pil_kwargs=PNG_OPTIONS)
            return
        _fit_labels(fig, lambda: engine.execute(fig))
        fig.set_layout_engine("none")
        painter = canvas if isinstance(canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        painter.print_png(path, metadata={"Software": None}, pil_kwargs=PNG_OPTIONS)
    finally:
        fig.set_canvas(canvas)
        if fig.get_layout_engine() is not engine:
            fig.set_layout_engine(engine)
        fig.set_dpi(screen)


# ---------------------------------------------------------------- figures drawn once
#
# A figure here is a pure function of one call of a drawing helper (sections never draw themselves:
# tests/test_layers.py), its source line, the theme, the package's code and the libraries that draw,
# so its PNG is kept under a key of exactly those (analysis.kept) and reused.

def _drawing(draw):
    """Mark a drawing helper: the figure it returns remembers the key of the call that drew it (its recipe),
    unless it drew into the axes of another figure (``ax=``) or was given what no key can describe. A call
    drawn and kept before returns a :class:`KeptFigure` instead, which builds the figure only if asked to."""
    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        recipe, cache = None, config.rendered("figures")
        if cache is not None and kwargs.get("ax") is None:  # no key to take when nothing is kept
            with contextlib.suppress(kept.Unkeyable):
                recipe = _recipe_key(json.dumps([draw.__name__, kept.canonical(list(args)), kept.canonical(kwargs)]))
        title = _kept_title(cache, recipe)
        if title is not None:
            args, kwargs = copy.deepcopy((args, kwargs))  # the figure is built from what the key was taken of
            return KeptFigure(lambda: draw(*args, **kwargs), recipe, title)
        fig = draw(*args, **kwargs)
        if isinstance(fig, matplotlib.figure.Figure):
            fig._analysis_recipe = recipe
        return fig
    return drawn


class KeptFigure:
    """What a drawing helper returns for a call whose figure was drawn and kept before: the figure's title,
    and the figure itself only when something needs it (a source line not kept with it, a look at its
    axes: any attribute of a Figure builds it), so that rerunning unchanged figures builds none of them."""

    def __init__(self, build, recipe: str, title: str):
        self._build, self.recipe, self.title, self._figure = build, recipe, title, None

    def figure(self):
        """The matplotlib Figure, built on first use."""
        if self._figure is None:
            self._figure = self._build()
            self._figure._analysis_recipe = self.recipe
        return self._figure

    def __getattr__(self, name):
        if name.startswith("__") or name in {"_build", "_figure", "recipe", "title"}:
            raise AttributeError(name)
        return getattr(self.figure(), name)


def figure_title(fig) -> str:
    """What a figure shows, in its own words: the figure's title, else the first panel title, else 'Figure'."""
    if isinstance(fig, KeptFigure):
        return fig.title
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    return suptitle or next((ax.get_title(loc="left") or ax.get_title() for ax in fig.axes
                             if ax.get_title(loc="left") or ax.get_title()), "Figure")


def close(fig) -> None:
    """Close a figure (a kept figure that was never built has nothing to close)."""
    if isinstance(fig, KeptFigure):
        if fig._figure is not None:
            plt.close(fig._figure)
    else:
        plt.close(fig)


def _drawing_environment() -> str:
    """What draws, besides the recipe: the package's code, the drawing libraries' versions, the font file."""
    from matplotlib.font_manager import FontProperties, findfont

    return kept.environment(("matplotlib", "seaborn", "numpy", "pandas", "networkx", "pillow"), findfont(FontProperties()))


def _recipe_key(call: str) -> str:
    """The key of one helper call as it draws here: the call, the theme (every rcParam that draws) and
    :func:`_drawing_environment`."""
    theme = repr(sorted((k, repr(v)) for k, v in matplotlib.rcParams.items() if k not in NOT_DRAWING))
    return kept.key(call, theme, _drawing_environment())


# rcParams that steer a screen, not a drawing: a notebook kernel turns `interactive` on when it makes its
# first figure, which must not give every later figure of the notebook a new key
NOT_DRAWING = frozenset({"interactive", "backend", "backend_fallback", "toolbar"})


def _recipe_of(fig) -> str | None:
    """The recipe key of a figure; None for one that no helper's call describes alone."""
    return fig.recipe if isinstance(fig, KeptFigure) else getattr(fig, "_analysis_recipe", None)


def _png_key(recipe: str | None, caption: str) -> str | None:
    """The key of a figure's PNG: its recipe and its source line."""
    return None if recipe is None else kept.key(recipe, caption)


PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"


def _from_cache(cache: Path | None, key: str | None) -> bytes | None:
    """The kept PNG of ``key``, or None (none kept, no cache, or a file cut short)."""
    return kept.read(cache, key, ".png", lambda data: data.startswith(PNG_START) and data.endswith(PNG_END))


def _kept_title(cache: Path | None, recipe: str | None) -> str | None:
    """The title of the figure of ``recipe`` if it was drawn and kept before, else None."""
    data = kept.read(cache, recipe, ".json")
    try:
        return json.loads(data)["title"] if data is not None else None
    except (ValueError, KeyError, TypeError):
        return None


def _keep(cache: Path | None, recipe: str | None, key: str | None, png: Path, title: str) -> None:
    """Keep a drawn PNG under its key and the figure's title under its recipe (the PNG first, so that a
    title is kept only beside a picture)."""
    if cache is not None and key is not None:
        with contextlib.suppress(OSError):
            if kept.keep(cache, key, ".png", png.read_bytes()):
                kept.keep(cache, recipe, ".json", json.dumps({"title": title}).encode())


# ---------------------------------------------------------------- helpers


def _legend_beside(ax, title: str | None = None, **options) -> None:
    """The legend beside the axes, outside the data, labels wrapped narrow (constrained layout makes room)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        seen = dict(zip(labels, handles))
        ax.legend(list(seen.values()), _wrap(seen, 24), title=title, loc="upper left", bbox_to_anchor=(1.02, 1),
                  fontsize="small", title_fontsize="small", **options)


def _title(ax, text: str, width: int | None = None) -> None:
    """The figure's title, left-aligned over the whole figure (a single plot) or over its axes (panels),
    wrapped to the width it has (a single plot's title measured against the figure's width)."""
    fig = ax.figure
    if len(fig.axes) == 1:
        title = fig.suptitle(text, x=0.01, ha="left", fontweight="bold", fontsize="medium")
        _fit(title, fig.get_size_inches()[0] - 0.2)
    else:
        ax.set_title(textwrap.fill(text, width or 60), loc="left")


def _log_axis(ax, axis: str = "x") -> None:
    """A log scale labelled with plain numbers (0.1, 0.2, 0.5, 1, 2 ... 5,000), no minor labels; at least
    four labelled ticks where 1-2-5 gives fewer (3, 5, 7, 10, 15 ...), so a narrow range (2.5 to 25) is still
    read off the axis."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    lo, hi = (ax.get_xlim() if axis == "x" else ax.get_ylim())
    for mantissas in ((1, 2, 5), (1, 1.5, 2, 3, 5, 7)):
        ticks = [m * 10.0 ** e for e in range(-4, 8) for m in mantissas if lo <= m * 10.0 ** e <= hi]
        if len(ticks) >= 4:
            break
    if len(ticks) >= 2:
        target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: as_printed(v)))
    target.set_minor_formatter(NullFormatter())


def _wrap(labels, width: int = 28) -> list[str]:
    """Category and legend labels wrapped, each starting as a sentence does ('fewer than 10 employees' ->
    'Fewer than 10 employees')."""
    return [textwrap.fill(first_upper(label), width) for label in labels]


@_drawing
def grouped_bars(frame: pd.DataFrame, category: str, value: str, title: str, xlabel: str, group: str | None = None,
                 order=None, group_order=None, reference: float | None = 0.0, colours: dict | None = None, ax=None,
                 ylabel: str | None = None, log: bool = False, value_format: str | None = None,
                 zero_text: str = "0"):
    """Horizontal bars of ``value`` by ``category``, one bar per ``group`` (e.g. the town and its benchmark).

    The first group is drawn in the palette's first colour, a group named in ``colours`` in its
    colour (benchmarks in grey). ``reference`` draws a vertical line (0 for changes, 1 for
    quotients, None for none). Missing values are left as gaps and labelled 'n/a'; a value of exactly
    0 is labelled ``zero_text``, so that a reader tells 0 from a gap. ``value_format`` (e.g. ``"{:.2f}"``)
    writes each value at the end of its bar.

    ``log=True`` is for ratios (location quotients): a log axis centred on ``reference`` (default 1), each
    bar drawn from the reference to its value, so that 0.5 and 2 are as long; zeros, which a log axis
    cannot show, are written at the axis' left end.
    """
    order = list(order) if order is not None else list(dict.fromkeys(frame[category]))
    groups = [None] if group is None else (list(group_order) if group_order is not None
                                           else list(dict.fromkeys(frame[group])))
    palette = sns.color_palette(PALETTE, max(len(groups), 1))
    height = 0.8 / len(groups)
    base = (reference or 1.0) if log else 0.0
    if ax is None:
        lines = max(len(_wrap([c])[0].splitlines()) for c in order) if order else 1
        per_category = max(0.5, 0.2 * lines + 0.12, 0.19 * len(groups) + 0.14)
        fig, ax = plt.subplots(figsize=(8, per_category * len(order) + 1.6))
    fig = ax.figure
    numbers = pd.to_numeric(frame[value], errors="coerce")
    if log:
        positive = numbers[numbers > 0]
        if positive.empty:
            raise FigureError(f"grouped_bars(log=True): {value!r} has no positive value to draw")
        lo, hi = min(positive.min(), base) / 2.2, max(positive.max(), base) * 2.2
        if (numbers == 0).any():
            lo /= 2.5  # room at the left end for the zeros' label
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
    marks = []
    for k, g in enumerate(groups):
        sub = frame if g is None else frame[frame[group] == g]
        vals = pd.to_numeric(sub.set_index(category)[value].reindex(order), errors="coerce")
        y = [i - 0.4 + height * (k + 0.5) for i in range(len(order))]
        colour = (colours or {}).get(g, palette[k])
        drawn = vals.where(vals > 0) if log else vals
        ax.barh(y, (drawn - base).fillna(0), left=base, height=height * 0.92, color=colour,
                label=None if g is None else str(g))
        for yy, v in zip(y, vals):
            if pd.isna(v):
                marks.append((base if not log else lo, yy, "n/a", "left"))
            elif v == 0:
                marks.append((base if not log else lo, yy, zero_text, "left"))
            elif value_format:
                marks.append((v, yy, value_format.format(v), "left" if v >= base else "right"))
    for x, yy, text, ha in marks:
        ax.text(x, yy, f" {text} " if ha == "left" else f"{text} ", va="center", ha=ha, fontsize="x-small",
                color="0.3" if text in ("n/a", zero_text) else "0.15")
    ax.set_yticks(range(len(order)), _wrap(order))
    ax.set_ylim(len(order) - 0.5, -0.5)  # first category on top, as in the printed table
    ax.grid(axis="y", visible=False)  # the bars carry the categories; lines across them only cut them
    if reference is not None:
        ax.axvline(reference, color="0.25", lw=0.8)
    if log:
        _log_axis(ax, "x")
    elif value_format:
        left, right = ax.get_xlim()
        ax.set_xlim(left - 0.1 * (right - left) * (left < 0), right + 0.12 * (right - left))
    _title(ax, title)
    ax.set(xlabel=xlabel, ylabel=ylabel or category.replace("_", " ").capitalize())
    if group is not None:
        _legend_beside(ax)
    return fig


def _year_axis(ax, years) -> None:
    """Years as years (1996, not 1996.0 or 1,996): the data's own years when they are few and apart, else
    whole years chosen by matplotlib."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    years = sorted({int(y) for y in pd.to_numeric(pd.Series(list(years)), errors="coerce").dropna()})
    span = (years[-1] - years[0]) if years else 0
    gaps = [b - a for a, b in zip(years, years[1:])]
    if 2 <= len(years) <= 10 and span and min(gaps) >= span / 14:
        ax.xaxis.set_major_locator(FixedLocator(years))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=9, integer=True, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))


def _thousands(axis) -> None:
    """Numbers of four digits and more with a thousands separator (33,000), as the text writes them."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: as_printed(v)))


@_drawing
def series_lines(frame: pd.DataFrame, x: str, y: str, hue: str, title: str, ylabel: str, xlabel: str = "Year",
                 log: bool = False, reference: float | None = None, benchmarks=(), ax=None):
    """Series over ``x``, one line per ``hue``; ``benchmarks`` (hue values) are drawn in grey, dashed.

    ``log=True`` puts the y axis on a log scale, so a series that grows twentyfold does not
    flatten the others; ``reference`` draws a horizontal line (100 for an index). A year axis is labelled
    in whole years; a single series needs no legend (the title names it).
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    fig = ax.figure
    palette = iter(sns.color_palette(PALETTE, 10))
    for label, g in frame.groupby(hue, sort=False):
        g = g.sort_values(x)
        bench = label in set(benchmarks)
        ax.plot(g[x], g[y], marker="o", ms=4, lw=1.6 if not bench else 1.2, ls="--" if bench else "-",
                color=BENCHMARK_COLOUR if bench else next(palette), label=str(label))
    if reference is not None:
        ax.axhline(reference, color="0.4", lw=0.8, ls=":")
    _title(ax, title)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if x == "year" or xlabel == "Year":
        _year_axis(ax, frame[x])
    if log:
        _log_axis(ax, "y")
    else:
        _thousands(ax.yaxis)
    if frame[hue].nunique() > 1:
        _legend_beside(ax)
    return fig


def _compressed_gap(years) -> tuple[float, float] | None:
    """The one long empty stretch of a time axis worth compressing: a gap between two dated events of more
    than half of a span of a century or more, with at most a fifth of the years before it (Raufoss: a mill in
    1600, then nothing until 1874 and sixty events after). None when the years are spread more evenly."""
    years = sorted({float(y) for y in years})
    if len(years) < 5:
        return None
    span = years[-1] - years[0]
    gap, k = max((b - a, i) for i, (a, b) in enumerate(zip(years, years[1:])))
    if span >= 100 and gap > 0.5 * span and k + 1 <= len(years) / 5:
        return years[k], years[k + 1]
    return None


@_drawing
def timeline(events: pd.DataFrame, title: str, label_col: str = "label", phase_order=None):
    """Dated events on a year axis, one row per event (oldest on top), coloured by phase.

    ``events``: rows with year, year_end, phase and ``label_col`` (a short readable name).
    Periods (``year_end``) are drawn as bars from year to year_end; the phase legend is beside
    the axis. Events without a year are not placed (the caller lists them). A long empty stretch
    before most events (:func:`_compressed_gap`) is compressed, shaded and named in the x label, so
    the crowded decades keep their width.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    dated = events[events["year"].notna()].sort_values(["year", label_col])
    phase = dated["phase"].astype("object").where(dated["phase"].notna(), "(no phase)")
    phases = list(phase_order) if phase_order is not None else list(dict.fromkeys(phase))
    colours = dict(zip(phases, sns.color_palette(PALETTE, max(len(phases), 1))))
    fig, ax = plt.subplots(figsize=(10, 1.4 + 0.24 * max(len(dated), 6)))
    years = [*dated["year"].astype(float), *dated["year_end"].dropna().astype(float)] if "year_end" in dated else \
        list(dated["year"].astype(float))
    gap = _compressed_gap(years)
    xlabel = "Year"
    if gap is not None:
        import numpy as np

        a, b = gap
        late = max(years) - b
        width = max(0.08 * late, 1.0)  # the gap drawn as 8 % of the years after it

        def forward(x):
            x = np.asarray(x, dtype=float)
            return np.where(x >= b, x, np.where(x <= a, x - a + b - width, b - width + (x - a) * width / (b - a)))

        def inverse(x):
            x = np.asarray(x, dtype=float)
            return np.where(x >= b, x, np.where(x <= b - width, x + a - b + width, a + (x - b + width) * (b - a) / width))

        ax.set_xscale("function", functions=(forward, inverse))
        ax.axvspan(a, b, color="0.93", zorder=0, lw=0)
        xlabel = f"Year (the axis is compressed between {a:.0f} and {b:.0f}, shaded)"
    for y, (ev, ph) in enumerate(zip(dated.to_dict("records"), phase)):
        end = ev.get("year_end") if pd.notna(ev.get("year_end")) else ev["year"]
        if end != ev["year"]:
            ax.plot([ev["year"], end], [y, y], color=colours.get(ph, "0.5"), lw=5, solid_capstyle="butt")
        ax.plot(ev["year"], y, "o", color=colours.get(ph, "0.5"), label=ph)
    if gap is not None:
        lo, hi = min(years), max(years)
        later = [t for t in MaxNLocator(nbins=8, integer=True, steps=[1, 2, 5, 10]).tick_values(b, hi) if b + 0.1 * late <= t <= hi + 1]
        ax.xaxis.set_major_locator(FixedLocator(sorted({lo, *later})))
        ax.set_xlim(lo - 0.02 * (hi - b), hi + 0.03 * (hi - b))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=9, integer=True, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))
    ax.set_yticks(range(len(dated)), [textwrap.shorten(str(s), 60) for s in dated[label_col]], fontsize="x-small")
    ax.set_ylim(len(dated) - 0.4, -0.6)
    _title(ax, title)
    ax.set(xlabel=xlabel, ylabel="Event")
    handles = [plt.Line2D([], [], marker="o", ls="", color=colours[p]) for p in phases]
    ax.legend(handles, _wrap(phases, 28), title="Phase", loc="upper left", bbox_to_anchor=(1.02, 1),
              fontsize="x-small", title_fontsize="small")
    return fig


def _rank_axis(ax, top: int, items: int) -> None:
    """A rank axis from 1 to the last rank there could be (the number of items): every rank labelled up to
    8, beyond that 1 and every second rank, with a light grid line at every rank."""
    from matplotlib.ticker import FixedLocator

    last = max(top, items)
    step = 1 if last <= 8 else 2 if last <= 20 else 5
    ticks = [1, *range(step, last + 1, step)] if step > 1 else list(range(1, last + 1))
    ax.set_xlim(0.5, last + 0.5)
    ax.xaxis.set_major_locator(FixedLocator(sorted(set(ticks))))
    ax.xaxis.set_minor_locator(FixedLocator(list(range(1, last + 1))))
    ax.grid(axis="x", which="minor", color="0.93", lw=0.6)


@_drawing
def rank_dots(rankings: pd.DataFrame, title: str, item: str = "item", group: str = "group", rank: str = "rank",
              ax=None):
    """Ranked items (rows, best on top) by group (colour); tied items share an x position.

    Items are ordered by their mean rank over the groups; rank 1 is on the left. The axis runs to the last
    rank there could be (as many as there are items), so items tied in first place are seen as such; one
    group needs no legend.
    """
    order = rankings.groupby(item)[rank].mean().sort_values().index.tolist()
    groups = list(dict.fromkeys(rankings[group]))
    labels = _wrap(order, 44)
    lines = max(label.count("\n") + 1 for label in labels)
    if ax is None:
        per_item = max(0.34, 0.19 * lines + 0.1, 0.2 * len(groups) + 0.06)
        fig, ax = plt.subplots(figsize=(8, per_item * len(order) + 1.6))
    fig = ax.figure
    sns.stripplot(data=rankings, x=rank, y=item, hue=group, order=order, dodge=len(groups) > 1,
                  jitter=False, size=8, palette=PALETTE, ax=ax, legend=len(groups) > 1)
    _rank_axis(ax, int(rankings[rank].max()), len(order))
    ax.set_yticks(range(len(order)), labels)
    if len(groups) > 1:
        _legend_beside(ax, group.replace("_", " ").capitalize())
    _title(ax, title)
    ax.set(xlabel="Rank (1 = most important; ties share a rank)", ylabel="Item")
    return fig


@_drawing
def share_dots(frame: pd.DataFrame, label: str, share: str, low: str, high: str, n: str, title: str,
               xlabel: str = "Share of firms (%)", reference: str | None = None, reference_label: str = "national figure",
               ax=None):
    """Shares as dots with their intervals (whiskers), n beside each, and reference values as marks.

    All columns in percent. ``reference`` names a column of reference shares (e.g. the national
    survey figure for the same industry), drawn as a grey diamond. Labels are the indicators' full
    descriptions, wrapped; one longer than four lines is shortened at a word, with an ellipsis.
    """
    labels = [textwrap.fill(textwrap.shorten(first_upper(t), 190, placeholder=" …"), 46) for t in frame[label]]
    lines = max((t.count("\n") + 1 for t in labels), default=1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, max(0.45, 0.2 * lines + 0.14) * len(frame) + 1.6))
    fig = ax.figure
    colour = sns.color_palette(PALETTE, 1)[0]
    y = range(len(frame))
    ax.errorbar(frame[share], list(y), xerr=[frame[share] - frame[low], frame[high] - frame[share]], fmt="o",
                color=colour, ecolor=colour, capsize=3, label="share, 95 % Wilson interval")
    for yy, (s, hi, k) in enumerate(zip(frame[share], frame[high], frame[n])):
        ax.text(min(hi + 2, 101), yy, f"n = {int(k)}", va="center", fontsize="x-small", color="0.3")
    if reference is not None and frame[reference].notna().any():
        ax.plot(frame[reference], list(y), "D", color=BENCHMARK_COLOUR, label=reference_label)
    ax.set_yticks(list(y), labels)
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.set_xlim(0, 112)
    ax.set_xticks([0, 25, 50, 75, 100])
    _title(ax, title)
    # what dot and whisker are: in the x label, where a one-entry legend would take the plot's width
    drawn_reference = reference is not None and frame[reference].notna().any()
    ax.set(xlabel=xlabel if drawn_reference else f"{xlabel}; dot: share, whisker: 95 % Wilson interval",
           ylabel="Indicator")
    if drawn_reference:
        _legend_beside(ax)
    return fig


@_drawing
def location_bars(frame: pd.DataFrame, bar: str, location: str, value: str, title: str, normalise: bool = True,
                  location_order=None, xlabel: str | None = None, legend_title: str = "Location", bar_order=None, ax=None):
    """Stacked horizontal bars: the distribution over locations of each ``bar`` (e.g. supplier type).

    With ``normalise`` each bar is scaled to 100 % of its own total, so bars with different N
    compare (one denominator per bar); otherwise values are stacked as given.
    """
    wide = frame.pivot_table(index=bar, columns=location, values=value, aggfunc="sum", sort=False).fillna(0)
    if bar_order is not None:
        wide = wide.reindex([b for b in bar_order if b in wide.index])
    if location_order is not None:
        wide = wide[[c for c in location_order if c in wide.columns]]
    if normalise:
        totals = wide.sum(axis=1)
        if (totals == 0).any():
            raise ValueError(f"bars {list(wide.index[totals == 0])} have no values to normalise")
        wide = wide.div(totals, axis=0) * 100
    labels = _wrap(wide.index)
    if ax is None:
        legend_lines = sum(len(_wrap([c], 24)[0].splitlines()) for c in wide.columns) + 1
        bar_lines = max((t.count("\n") + 1 for t in labels), default=1)
        height = max(max(0.5, 0.2 * bar_lines + 0.14) * len(wide) + 1.8, 0.21 * legend_lines + 1.5)
        fig, ax = plt.subplots(figsize=(8, height))
    fig = ax.figure
    left = pd.Series(0.0, index=wide.index)
    widest = float(wide.sum(axis=1).max()) or 1.0
    for colour, col in zip(sns.color_palette(PALETTE, len(wide.columns)), wide.columns):
        ax.barh(labels, wide[col], left=left, color=colour, label=str(col))
        # each segment wide enough carries its value, in black or white as its colour is light or dark
        ink = "white" if sum(c * w for c, w in zip(colour, (0.299, 0.587, 0.114))) < 0.5 else "0.1"
        for k, (start, v) in enumerate(zip(left, wide[col])):
            if v >= 0.07 * widest:
                ax.text(start + v / 2, k, f"{v:.0f} %" if normalise else f"{v:,.0f}", ha="center", va="center",
                        fontsize="x-small", color=ink)
        left += wide[col]
    ax.set_ylim(len(wide) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    _legend_beside(ax, legend_title)
    _title(ax, title)
    ax.set(xlabel=xlabel or ("Share of the bar's total (%)" if normalise else value),
           ylabel=bar.replace("_", " ").capitalize())
    return fig


def _chain_layout(graph, chain: list[str], chain_edges: list[tuple], bands: dict[str, int]) -> dict:
    """Positions for a value chain: the chain stages in their generations from left to right, the
    other actors in horizontal bands (above: +1, below: -1, right of the chain: 0), each near the
    mean position of the stages it serves, spaced so that labels do not collide."""
    import networkx as nx

    core = nx.DiGraph(chain_edges)
    core.add_nodes_from(chain)
    pos = {n: (3.0 * x, 1.2 * (k - (len(gen) - 1) / 2))
           for x, gen in enumerate(nx.topological_generations(core)) for k, n in enumerate(sorted(gen, key=chain.index))}
    right = max(x for x, _ in pos.values()) + 3.0
    wanted = {}
    for _ in range(2):  # actors linked only to other actors follow them
        for n in graph.nodes:
            if n in pos:
                continue
            xs = [pos[m][0] if m in pos else wanted.get(m) for m in graph.neighbors(n)]
            xs = [x for x in xs if x is not None]
            wanted[n] = sum(xs) / len(xs) if xs else None
    by_band: dict[int, list] = {}
    for n, band in bands.items():
        if n not in pos:
            by_band.setdefault(band, []).append(n)
    for band, members in by_band.items():
        members.sort(key=lambda n: (wanted.get(n) is None, wanted.get(n) or 0.0, n))
        x_prev = -1e9
        for k, n in enumerate(members):
            if band == 0:
                pos[n] = (right, 1.6 * (k - (len(members) - 1) / 2))
                continue
            x = max(wanted.get(n) if wanted.get(n) is not None else x_prev + 1.6, x_prev + 1.6)
            pos[n] = (x, band * (2.2 + 1.4 * (k % 2)))  # two rows, far enough apart for four-line labels
            x_prev = x
    return pos


@_drawing
def network(nodes: pd.DataFrame, edges: pd.DataFrame, title: str, label: str = "label", group: str = "role",
            layout: str = "bipartite", chain: list[str] | None = None, left_groups=None, bands: dict | None = None,
            ax=None):
    """Actors (nodes: ``node_id``, ``label``, ``group``) and their links (edges: ``source``, ``target``).

    ``layout``: ``bipartite`` (the ``left_groups`` in a column on the left, the others on the right)
    or ``chain`` (the ``chain`` stages from upstream to downstream with dark arrows, every other actor
    in a band above, below or right of the chain by its ``group`` -- ``bands`` maps a group to +1,
    -1 or 0 -- near the stages it serves). Colour = ``group``. Drawn with networkx; no axes scales.
    """
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(nodes["node_id"])
    graph.add_edges_from(e for e in edges[["source", "target"]].itertuples(index=False, name=None)
                         if e[0] in graph and e[1] in graph)
    groups = list(dict.fromkeys(nodes[group]))
    colours = dict(zip(groups, sns.color_palette(PALETTE, len(groups))))
    chain_edges = [e for e in edges[["source", "target"]].itertuples(index=False, name=None)
                   if chain and e[0] in chain and e[1] in chain]
    if layout == "chain":
        node_band = {r["node_id"]: (bands or {}).get(r[group], -1) for r in nodes.to_dict("records")}
        pos = _chain_layout(graph, chain or [], chain_edges, node_band)
        span = max(x for x, _ in pos.values()) - min(x for x, _ in pos.values())
        size = (min(16, 3 + 0.55 * span), 8.0)
    else:
        left = nodes.loc[nodes[group].isin(left_groups or groups[:1]), "node_id"].tolist()
        right = [n for n in nodes["node_id"] if n not in left]
        pos = {n: (0.0, -i * (len(right) / max(len(left), 1))) for i, n in enumerate(left)}
        pos.update({n: (1.0, -float(i)) for i, n in enumerate(right)})
        size = (10, 0.42 * max(len(nodes), 10))
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    fig = ax.figure
    others = [e for e in graph.edges if e not in chain_edges and e[::-1] not in chain_edges]
    same_column = [e for e in others if layout != "chain" and pos[e[0]][0] == pos[e[1]][0]]
    nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="0.7", width=0.8, edgelist=[e for e in others if e not in same_column])
    if same_column:  # an arc beside the column, so the link does not run through the nodes between
        nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="0.7", width=0.8, edgelist=same_column, arrows=True,
                               arrowstyle="-", connectionstyle="arc3,rad=-0.6", node_size=260)
    if chain_edges:
        nx.draw_networkx_edges(nx.DiGraph(chain_edges), pos, ax=ax, edge_color="0.15", width=2.4, arrows=True,
                               arrowsize=18, node_size=500)
    for g in groups:
        ids = nodes.loc[nodes[group] == g, "node_id"].tolist()
        nx.draw_networkx_nodes(graph, pos, nodelist=ids, node_color=[colours[g]], node_size=260 if g != "core chain stage" else 500,
                               ax=ax, label=str(g))
    for r in nodes.to_dict("records"):
        x, y = pos[r["node_id"]]
        # labels a fixed distance from their node, on a light ground, so that links pass behind them
        ground = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
        if layout == "chain":
            ax.annotate(textwrap.fill(str(r[label]), 18), (x, y), xytext=(0, 12 if y >= 0 else -12),
                        textcoords="offset points", ha="center", va="bottom" if y >= 0 else "top", fontsize=7,
                        bbox=ground, zorder=4)
        else:
            ha = "right" if x == 0.0 else "left"
            ax.annotate(textwrap.fill(str(r[label]), 30), (x, y), xytext=(-11 if ha == "right" else 11, 0),
                        textcoords="offset points", ha=ha, va="center", fontsize=7, bbox=ground, zorder=4)
    _title(ax, title, 95)
    ax._analysis_unlabelled = True
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.grid(False)
    ax.margins(x=0.35 if layout != "chain" else 0.06, y=0.18)
    _legend_beside(ax, group.replace("_", " ").capitalize(), markerscale=0.6, labelspacing=0.8)
    return fig


@_drawing
def compare_dots(frame: pd.DataFrame, category: str, value: str, group: str, title: str, xlabel: str,
                 order=None, group_order=None, benchmarks=(), log: bool = False, reference: float | None = None,
                 ax=None, name_missing: bool = True):
    """One row per category, one marker per group (the region and its benchmarks, in grey).

    For indexes and ratios that span orders of magnitude (``log=True``): a group that grew
    twentyfold does not flatten the others. A group without a value in a row is named under the
    row's label ("no value: Halden"), so a reader does not look for its marker (``name_missing=False``
    where the groups are kinds of value, one per row, not areas).
    """
    order = list(order) if order is not None else list(dict.fromkeys(frame[category]))
    groups = list(group_order) if group_order is not None else list(dict.fromkeys(frame[group]))
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 0.5 * len(order) + 1.7))
    fig = ax.figure
    palette = iter(sns.color_palette(PALETTE, 10))
    markers = itertools.cycle("oDs^vP")
    pos = {c: i for i, c in enumerate(order)}
    for g in groups:
        sub = frame[(frame[group] == g) & frame[value].notna()]
        bench = g in set(benchmarks)
        ax.plot(sub[value].astype(float), [pos[c] for c in sub[category]], ls="", marker=next(markers),
                ms=7, color=BENCHMARK_COLOUR if bench else next(palette), label=str(g), alpha=0.9)
    if reference is not None:
        ax.axvline(reference, color="0.3", lw=0.8, ls=":")
    shown = frame[frame[value].notna()]
    labels = []
    for c in order:
        missing = [str(g) for g in groups if name_missing and not ((shown[category] == c) & (shown[group] == g)).any()]
        labels.append(_wrap([c])[0] + ("\n" + textwrap.fill(f"(no value: {', '.join(missing)})", 34) if missing else ""))
    ax.set_yticks(range(len(order)), labels)
    ax.set_ylim(len(order) - 0.5, -0.5)
    _title(ax, title)
    ax.set(xlabel=xlabel, ylabel=category.replace("_", " ").capitalize())
    if log:
        _log_axis(ax, "x")
    _legend_beside(ax)
    return fig


def first_upper(text: str) -> str:
    """A label as a sentence starts: first letter upper case ('second-tier suppliers' -> 'Second-tier
    suppliers'), a label that starts with a capital or a mixed-case name ('eNorge') as it is."""
    text = str(text)
    return text[:1].upper() + text[1:] if text[:2].islower() else text


def readable(term_id: str) -> str:
    """An id in words, for a label the data give no name for: 'horten-electronics' -> 'Horten electronics'."""
    words = str(term_id).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


VALUE_CHAIN_BOX = "value-chain-box"
VALUE_CHAIN_WIDTH = 11.0  # inches: a page in landscape, or the text width at about 60 %


@_drawing
def value_chain(steps: pd.DataFrame, title: str, chain_labels: dict | None = None,
                region_label: str = "the region's firms"):
    """Value chains, one row each, as boxes from upstream (left) to downstream (right), with the full text
    of every stage in its box and the actors named there below it in italics; the stages where
    ``region_label`` work are shaded, as the legend under the title says.

    ``steps``: rows with chain, step, stage, actors (';'-separated) and region_position;
    ``chain_labels`` maps a chain id to its name (else the id in words). The boxes of a chain share one
    width and the height of the longest text, which is wrapped to the box by measuring it, so a long stage
    never leaves its box. Laid out by hand in inches (no constrained layout), so that the boxes' size
    is known when the text is wrapped.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import FancyBboxPatch, Patch

    chains = list(dict.fromkeys(steps["chain"]))
    width, margin, pad = VALUE_CHAIN_WIDTH, 0.25, 0.09
    stage_font = FontProperties(size=8)
    actor_font = FontProperties(size=7.5, style="italic")
    line = 8 * 1.25 / 72  # inches per line of 8 pt text (matplotlib's default line spacing)
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    fig = plt.figure(figsize=(width, 4))
    # no layout engine: the drawing is placed by hand (a placeholder, as saving would put in a constrained one)
    fig.set_layout_engine(PlaceHolderLayoutEngine(adjust_compatible=True, colorbar_gridspec=True))
    palette = sns.color_palette(PALETTE)
    shaded = sns.light_palette(palette[2], 4)[1]
    rows = []
    for chain in chains:
        sub = steps[steps["chain"] == chain].sort_values("step").to_dict("records")
        gap = 0.45 if len(sub) <= 5 else 0.32
        box_w = (width - 2 * margin - gap * (len(sub) - 1)) / len(sub)
        texts = []
        for r in sub:
            stage = _fill_to_width(first_upper(r["stage"]), box_w - 2 * pad, stage_font)
            actors = (_fill_to_width(str(r["actors"]).replace(";", ", "), box_w - 2 * pad, actor_font)
                      if pd.notna(r["actors"]) else "")
            here = bool(r["region_position"]) if pd.notna(r["region_position"]) else False
            texts.append((r["step"], stage, actors, here))
        lines = max(s.count("\n") + 1 + ((a.count("\n") + 1.3) if a else 0) for _, s, a, _ in texts)
        rows.append((chain, box_w, gap, texts, lines * line + 2 * pad))
    head, chain_head, stage_row, after, foot = 0.62, 0.32, 0.2, 0.28, 0.5
    height = head + sum(chain_head + stage_row + box_h + after for *_, box_h in rows) - after + foot
    fig.set_size_inches(width, height)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(0, width), ylim=(0, height))
    ax._analysis_unlabelled = True  # a drawing in inches, without scales
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.suptitle(textwrap.fill(title, 110), x=margin / width, y=1 - 0.12 / height, ha="left", va="top",
                 fontweight="bold", fontsize="medium")
    ax.legend([Patch(fc=shaded, ec="0.25"), Patch(fc="white", ec="0.55")],
              [f"stage where {region_label} work", "stage elsewhere"], loc="upper left", ncol=2,
              bbox_to_anchor=(margin, height - 0.36), bbox_transform=ax.transData, fontsize="small",
              handlelength=1.6, borderaxespad=0, borderpad=0)
    top = height - head
    for chain, box_w, gap, texts, box_h in rows:
        name = first_upper((chain_labels or {}).get(chain) or readable(chain))
        ax.text(margin, top - 0.04, f"{name} value chain (upstream → downstream)", ha="left", va="top",
                fontsize=9.5, fontweight="bold")
        y_top = top - chain_head - stage_row
        for k, (step, stage, actors, here) in enumerate(texts):
            x = margin + k * (box_w + gap)
            box = FancyBboxPatch((x, y_top - box_h), box_w, box_h, boxstyle="round,pad=0,rounding_size=0.06",
                                 fc=shaded if here else "white", ec="0.25" if here else "0.55", lw=1.0,
                                 gid=VALUE_CHAIN_BOX)
            ax.add_patch(box)
            ax.text(x + 0.02, y_top + 0.04, f"Stage {step}", ha="left", va="bottom", fontsize=7.5, color="0.35",
                    fontweight="bold")
            words = ax.text(x + pad, y_top - pad, stage, ha="left", va="top", fontproperties=stage_font,
                            color="0.1")
            words._analysis_box = box
            if actors:
                below = y_top - pad - (stage.count("\n") + 1) * line - 0.3 * line
                names = ax.text(x + pad, below, actors, ha="left", va="top", fontproperties=actor_font,
                                color="0.25")
                names._analysis_box = box
            if k:
                ax.annotate("", xy=(x - 0.07, y_top - min(box_h, 0.5) / 2), xytext=(x - gap + 0.07, y_top - min(box_h, 0.5) / 2),
                            arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1.2, "shrinkA": 0, "shrinkB": 0})
        top = y_top - box_h - after
    return fig


VERDICT_COLOURS = {"yes": "#4daf4a", "operative": "#4daf4a", "+": "#4daf4a", "(+)": "#a6d96a", "partly": "#fee08b",
                   "potential": "#fee08b", "0": "#e0e0e0", "latent": "#fdae61", "(-)": "#fdae61", "no": "#d73027",
                   "-": "#d73027", "met": "#4daf4a", "not met": "#d73027", "unclear": "#e0e0e0",
                   "not assessed": "#f5f5f5"}


@_drawing
def verdict_grid(frame: pd.DataFrame, row: str, column: str, value: str, title: str, row_order=None,
                 column_order=None, note: str | None = None, xlabel: str = "Criterion or component",
                 ylabel: str = "Town"):
    """A grid of categorical verdicts (rows: e.g. towns, columns: criteria), each cell coloured by its
    verdict and labelled with it; a cell without a verdict is white with a grey dash, so it does not read as
    a gap in the drawing. ``note`` (a column) adds a small mark under the verdict. Many columns beside few rows
    (13 criteria for 5 industries) are turned, criteria down the page, so that the grid fits a page's width."""
    rows = list(row_order) if row_order is not None else list(dict.fromkeys(frame[row]))
    cols = list(column_order) if column_order is not None else list(dict.fromkeys(frame[column]))
    cells = frame.set_index([row, column])
    turned = len(cols) > 8 and len(cols) > 1.5 * len(rows)
    if turned:
        rows, cols, xlabel, ylabel = cols, rows, ylabel, xlabel
    fig, ax = plt.subplots(figsize=(1.25 * len(cols) + 3.0, 0.62 * len(rows) + 2.2))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            key = (c, r) if turned else (r, c)
            v = cells[value].get(key) if key in cells.index else None
            v = None if v is None or pd.isna(v) else str(v)
            ax.add_patch(plt.Rectangle((j, i), 1, 1, fc=VERDICT_COLOURS.get(v, "white"), ec="0.85" if v is None else "white",
                                       lw=0.8 if v is None else 2))
            extra = cells[note].get(key) if note and key in cells.index else None
            label = (v or "–") + (f"\n{extra}" if extra is not None and not pd.isna(extra) and str(extra) else "")
            ax.text(j + 0.5, i + 0.5, label, ha="center", va="center", fontsize="small",
                    color="0.6" if v is None else "0.1")
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([j + 0.5 for j in range(len(cols))], _wrap(cols, 14), fontsize="x-small")
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_yticks([i + 0.5 for i in range(len(rows))], _wrap(rows, 34))
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    _title(ax, title, 90)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    return fig


@_drawing
def panel_bars(frame: pd.DataFrame, category: str, value: str, panel: str, title: str, xlabels: dict | None = None,
               label: str | None = None, order=None, panel_order=None, references: dict | None = None,
               missing: str = "not printed"):
    """Small multiples: one panel of horizontal bars per ``panel`` value (a measure), every panel over the same
    ``category`` rows, so that a value the source does not print shows as ``missing`` instead of vanishing.

    ``xlabels`` maps a panel to its axis label (with the unit); ``label`` names a column whose text is
    written at the end of each bar (the value as printed, with its qualifier: '> 8 400'); ``references``
    maps a panel to ``(value, text)`` pairs drawn as dotted vertical lines (a benchmark the source prints).
    One row per (panel, category).
    """
    order = list(order) if order is not None else list(dict.fromkeys(frame[category]))
    panels = list(panel_order) if panel_order is not None else list(dict.fromkeys(frame[panel]))
    if frame.duplicated([panel, category]).any():
        raise ValueError(f"panel_bars needs one row per ({panel}, {category})")
    wrap = 26 if len(panels) > 1 else 44
    lines = max((len(textwrap.wrap(str(c), wrap)) or 1) for c in order)
    fig, axes = plt.subplots(1, len(panels), squeeze=False, sharey=True,
                             figsize=(min(3.4 * len(panels) + 2.4, 16) if len(panels) > 1 else 9,
                                      (max(0.42, 0.19 * lines + 0.12) if len(panels) > 1 else
                                       max(0.34, 0.15 * lines + 0.08)) * len(order) + 2.0))
    colour = sns.color_palette(PALETTE, 1)[0]
    for ax, p in zip(axes[0], panels):
        sub = frame[frame[panel] == p].set_index(category)
        vals = pd.to_numeric(sub[value], errors="coerce").reindex(order)
        ax.barh(range(len(order)), vals.fillna(0), color=colour, height=0.6)
        ax.grid(axis="y", visible=False)  # a line through each row would cut its 'not printed'
        top = float(vals.max()) if vals.notna().any() else 1.0
        for ref, _text in (references or {}).get(p, []):
            top = max(top, float(ref))
        for i, (cat, v) in enumerate(vals.items()):
            text = f" {missing}" if pd.isna(v) else f" {sub.loc[cat, label] if label else as_printed(v)}"
            ax.text(0 if pd.isna(v) else v, i, text, va="center", fontsize="x-small",
                    color="0.45" if pd.isna(v) else "0.1")
        for ref, text in (references or {}).get(p, []):
            ax.axvline(ref, color=BENCHMARK_COLOUR, ls=":", lw=1.2)
            ax.text(ref, len(order) - 0.45, f" {text}", fontsize="xx-small", color="0.35", rotation=90, ha="right",
                    va="bottom")
        ax.set_xlim(0, top * 1.6)
        _thousands(ax.xaxis)
        ax.set_title(textwrap.fill(str(p), 30), loc="left", fontsize="small")
        ax.set(xlabel=textwrap.fill(str((xlabels or {}).get(p, value)), 30 if len(panels) > 1 else 80),
               ylabel=category.replace("_", " ").capitalize())
        if ax is not axes[0][0]:
            ax.yaxis.label.set_visible(False)
    axes[0][0].set_yticks(range(len(order)), _wrap(order, wrap))
    axes[0][0].set_ylim(len(order) - 0.4, -0.6)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize="medium")
    return fig


@_drawing
def range_dots(frame: pd.DataFrame, label: str, low: str, high: str, title: str, xlabel: str, log: bool = False,
               group: str | None = None, ax=None):
    """One row per ``label``: a dot where the source prints one value, a bar from ``low`` to ``high``
    where it prints a range ('5 000-10 000'); ``group`` colours the rows (e.g. regions and towns)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(frame) + 1.7))
    fig = ax.figure
    groups = list(dict.fromkeys(frame[group])) if group else [None]
    colours = dict(zip(groups, sns.color_palette(PALETTE, len(groups))))
    for y, r in enumerate(frame.to_dict("records")):
        colour = colours[r[group] if group else None]
        if r[low] == r[high]:
            ax.plot([r[low]], [y], "o", color=colour, ms=7)
        else:
            ax.plot([r[low], r[high]], [y, y], color=colour, lw=6, solid_capstyle="butt", alpha=0.8)
    if group:
        for g in groups:
            ax.plot([], [], "o", color=colours[g], label=str(g))
    ax.set_yticks(range(len(frame)), _wrap(frame[label], 34))
    ax.set_ylim(len(frame) - 0.5, -0.5)
    _title(ax, title)
    ax.set(xlabel=xlabel, ylabel=label.replace("_", " ").capitalize())
    if log:
        _log_axis(ax, "x")
    if group:
        _legend_beside(ax)
    return fig


__all__ = [
    "FigureError", "compare_dots", "grouped_bars", "layout_problems", "location_bars", "network", "range_dots",
    "rank_dots", "readable", "save_figure", "series_lines", "set_theme", "share_dots", "source_caption", "timeline",
    "value_chain", "verdict_grid",
]

"""How a section shows its results: Markdown text, tables for reading, saved figures, citations.

Outside a notebook (a test, a script) the same calls print plain text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import plots



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

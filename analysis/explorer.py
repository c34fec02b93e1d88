"""The data explorer: every cited value, searchable, with the text of the lines that print it.

One row per cited value and verbatim term of ``data/`` (the fields marked ``cited`` or
``verbatim`` in ``datapackage.json``): dataset, key (with the names a reader knows), field,
value, document, table or section, lines, the source lines on which the value is printed
(with their line numbers), and the erratum when the row has one. :func:`explorer_frame`
builds the table; :func:`explorer_html` draws it as an interactive table with itables in
offline mode (its JavaScript is embedded, so the page works without a network), for the
HTML reports (:func:`write_explorer`) and the book's appendix.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from analysis import data as D
from analysis.data.documents import SHORT_NAMES
from analysis.data.sources import (cited_text, document_lines, parse_lines, seeds_available, term_on_lines,
                                   value_on_lines)
from analysis.errors import SourceError
from analysis.files import atomic_write_text
from analysis.sections.display import Labels

COLUMNS = ["dataset", "key", "field", "value", "document", "table or section", "lines", "printed on the cited lines",
           "erratum"]
WIDTHS = ["10%", "15%", "6%", "7%", "9%", "7%", "6%", "28%", "12%"]  # the source text gets the room
SHOWN_LINES = 3  # lines of source text per value: the ones that print it
MAX_TEXT = 600   # characters of source text when no single line prints the value (a number split over lines)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("", "<NA>", "nan")


def _lines_printing(doc: str, spec: str, value, verbatim: bool) -> str:
    """The cited lines that print ``value`` ('L2912: …'), or the cited text when none prints it alone."""
    try:
        lines = document_lines(doc)
        numbered = [(n, lines[n - 1]) for lo, hi in parse_lines(spec) for n in range(lo, min(hi, len(lines)) + 1)]
        hits = [(n, t) for n, t in numbered
                if (term_on_lines(str(value), t) if verbatim else value_on_lines(float(value), t))]
        if hits:
            more = f" … (and {len(hits) - SHOWN_LINES} more lines)" if len(hits) > SHOWN_LINES else ""
            return " | ".join(f"L{n}: {t.strip()}" for n, t in hits[:SHOWN_LINES]) + more
        text = cited_text(doc, spec)
        return text if len(text) <= MAX_TEXT else text[:MAX_TEXT].rsplit(" ", 1)[0] + " …"
    except (SourceError, ValueError):
        return "(source text not available)"


def _erratum(errata: pd.DataFrame, eid, labels: Labels) -> str:
    if _missing(eid):
        return ""
    hit = errata[errata["errata_id"] == str(eid)]
    if hit.empty:
        return str(eid)
    r = hit.iloc[0]
    used = {"a": "the first", "b": "the second", "both": "both"}.get(str(r["used"]), str(r["used"]))
    return (f"{eid}: {labels.text(r['topic'])}. One value «{labels.text(r['value_a'])}» (lines {r['lines_a']}), "
            f"the other «{labels.text(r['value_b'])}» (lines {r['lines_b']}); the analysis uses {used}: "
            f"{labels.text(r['reason'])}")


DESCRIPTIVE = ("description", "label", "label_en", "event", "claim", "name")  # say what a row is better than its id


def _key(row: dict, pk: list[str], labels: Labels) -> str:
    if len(pk) == 1 and pk[0].endswith("_id"):
        text = next((row[c] for c in DESCRIPTIVE if not _missing(row.get(c))), None)
        if text is not None:
            return str(text)
    return " · ".join(labels.text(row[k]) for k in pk if not _missing(row.get(k)))


def _cited_fields(name: str) -> list[tuple[str, bool, dict]]:
    """(field, verbatim, the condition under which it is cited) for every checked field of a dataset."""
    return [(f["name"], bool(f.get("verbatim")), f.get("cited_when") or {}) for f in D.fields(name)
            if f.get("cited") or f.get("verbatim")]


def explorer_frame(data: dict[str, pd.DataFrame] | None = None, with_text: bool | None = None) -> pd.DataFrame:
    """One row per cited value or verbatim term of every dataset (see the module docstring)."""
    data = data if data is not None else D.load_all()
    with_text = seeds_available() if with_text is None else with_text
    labels, errata = Labels(data), data.get("errata", pd.DataFrame(columns=["errata_id"]))
    rows = []
    for name, frame in data.items():
        if name == "errata" or "lines" not in frame.columns:
            continue  # the errata appendix lists both sides of each contradiction
        res = D.resource_descriptor(name)
        pk = [k for k in res["schema"].get("primaryKey", []) if k not in ("doc", "source", "lines")]
        for row in frame.to_dict("records"):
            for col, verbatim, when in _cited_fields(name):
                value = row.get(col)
                if _missing(value) or row.get("doc") not in SHORT_NAMES \
                        or any(str(row.get(k)) != str(v) for k, v in when.items()):
                    continue
                rows.append({
                    "dataset": res.get("title", name), "key": _key(row, pk, labels), "field": col.replace("_", " "),
                    "value": str(value) if verbatim else f"{float(value):g}",
                    "document": SHORT_NAMES[row["doc"]], "table or section": row["source"], "lines": row["lines"],
                    "printed on the cited lines": _lines_printing(row["doc"], row["lines"], value, verbatim)
                    if with_text else "",
                    "erratum": _erratum(errata, row.get("errata_id"), labels),
                })
    return pd.DataFrame(rows, columns=COLUMNS)


def explorer_html(frame: pd.DataFrame, table_id: str = "data-explorer") -> str:
    """The interactive table (itables, offline): a search box, a filter per column, 25 rows a page."""
    import itables
    from itables.javascript import generate_init_offline_itables_html

    table = itables.to_html_datatable(
        frame, table_id=table_id, connected=False, maxBytes=0, showIndex=False, pageLength=25,
        lengthMenu=[10, 25, 100, 500], column_filters="header", classes="display compact",
        autoWidth=False, style="table-layout:fixed;width:100%", display_logo_when_loading=False,
        columnDefs=[{"targets": i, "width": w} for i, w in enumerate(WIDTHS)])
    # what init_notebook_mode(connected=False) displays: the DataTables bundle itables ships, embedded
    # (itables.shiny.init_itables would also import a helper from the internet)
    return generate_init_offline_itables_html(itables.options.dt_bundle) + "\n" + table


def page_html(frame: pd.DataFrame) -> str:
    """The explorer as a standalone page."""
    intro = (f"{len(frame):,} cited values and verbatim terms of {frame['dataset'].nunique()} datasets. Type in the "
             "search box, or in a column's filter, to find any number: each row gives the document, the table or "
             "section, the cited lines and the source lines that print the value; a row whose value the sources "
             "contradict gives the erratum.")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Data explorer: where every number comes from</title>
<style>body{{font-family:sans-serif;margin:1.5rem;line-height:1.4}}td{{vertical-align:top;font-size:.85rem;overflow-wrap:anywhere}}
#data-explorer thead input{{width:100%;box-sizing:border-box}}</style>
</head><body>
<p><a href="index.html">All reports</a></p>
<h1>Data explorer: where every number comes from</h1>
<p>{html.escape(intro)}</p>
{explorer_html(frame)}
</body></html>
"""


def write_explorer(path: Path, data: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the standalone explorer page."""
    return atomic_write_text(Path(path), page_html(explorer_frame(data)))

"""Standalone HTML reports (no Quarto needed): one per region, one per cross-region notebook.

The executed notebooks of a region are joined in reading order and exported with
nbconvert's HTML exporter, inputs hidden and images embedded (the PNG outputs are
already base64 in the notebook), so each report is a single self-contained file.
An index page links them. Every file is written to a temporary name and renamed
into place.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import nbformat

from analysis import config
from analysis.data.regions import all_regions
from analysis.errors import MissingOutputs
from analysis.files import atomic_write_text
from analysis.pipeline.notebooks import CROSS_REGION, discover_notebooks


def _has_error(nb) -> bool:
    return any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def _joined(paths: list[Path], title: str):
    """One notebook made of several, each introduced by its title."""
    joined = nbformat.v4.new_notebook()
    joined.metadata = {"kernelspec": {"name": "tech-towns", "display_name": "Python (tech-towns)", "language": "python"},
                       "language_info": {"name": "python"}, "title": title}
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.source.startswith("# "):
                cell.source = "#" + cell.source  # the notebook's title becomes a section of the report
            cells.append(cell)
    joined.cells = cells
    for i, c in enumerate(joined.cells):
        c.id = f"cell-{i:04d}"
    return joined


def _export(nb, title: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def build_reports(outputs_dir: Path | None = None, html_dir: Path | None = None) -> list[dict]:
    """Write ``outputs/html/<region>.html``, ``outputs/html/<notebook>.html`` and ``index.html``.

    Returns one entry per report (title, file, notebooks, has_error). Raises
    :class:`MissingOutputs` when there are no executed notebooks at all.
    """
    outputs_dir = Path(outputs_dir) if outputs_dir is not None else config.outputs_dir()
    html_dir = Path(html_dir) if html_dir else outputs_dir / "html"
    names = {r.region_id: r.name for r in all_regions()}
    order = {name: i for i, name in enumerate(discover_notebooks())}  # a region's notebooks in reading order
    entries = []
    for rdir in sorted(p for p in outputs_dir.iterdir() if p.is_dir() and p.name in names) if outputs_dir.is_dir() else []:
        paths = sorted((p for p in rdir.glob("*.ipynb") if not p.name.startswith(".")),
                       key=lambda p: (order.get(p.stem, len(order)), p.stem))
        if not paths:
            continue
        nb = _joined(paths, names[rdir.name])
        atomic_write_text(html_dir / f"{rdir.name}.html", _export(nb, names[rdir.name]))
        entries.append({"title": names[rdir.name], "file": f"{rdir.name}.html", "kind": "region",
                        "notebooks": [p.stem for p in paths], "has_error": _has_error(nb)})
    cross = outputs_dir / CROSS_REGION
    for p in sorted(cross.glob("*.ipynb")) if cross.exists() else []:
        nb = nbformat.read(p, as_version=4)
        title = nb.metadata.get("analysis", {}).get("title", p.stem)
        atomic_write_text(html_dir / f"{p.stem}.html", _export(nb, title))
        entries.append({"title": title, "file": f"{p.stem}.html", "kind": "cross-region", "notebooks": [p.stem],
                        "has_error": _has_error(nb)})
    if not entries:
        raise MissingOutputs(f"no executed notebooks under {outputs_dir}: run `python -m analysis run` first")
    atomic_write_text(html_dir / "index.html", _index(entries))
    atomic_write_text(html_dir / "reports.json", json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    return entries


def _index(entries: list[dict]) -> str:
    def items(kind):
        return "\n".join(
            f'<li><a href="{html.escape(e["file"])}">{html.escape(e["title"])}</a>'
            f' <small>({", ".join(e["notebooks"])}){" — contains an error" if e["has_error"] else ""}</small></li>'
            for e in entries if e["kind"] == kind)

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Technology towns and regions: case-study reports</title>
<style>body{{font-family:sans-serif;max-width:48rem;margin:2rem auto;line-height:1.5}}small{{color:#555}}</style>
</head><body>
<h1>Technology towns and regions of Norway: case-study reports</h1>
<p>Each report is one region's executed notebooks (history, production system, innovation sources,
innovation barriers) or one cross-region notebook. Every figure carries its source line.</p>
<h2>Regions</h2><ul>
{items("region")}
</ul>
<h2>Across regions</h2><ul>
{items("cross-region")}
</ul>
</body></html>
"""

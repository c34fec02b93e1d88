"""Standalone HTML reports (no Quarto needed): one per region, one per cross-region notebook.

The executed notebooks of a region are joined in reading order and exported with
nbconvert's HTML exporter, inputs hidden and images embedded, so each report is a single
self-contained file. Each report opens with a table of contents and the key findings of
its chapters (the source's arguments tested against the printed numbers, the conclusions,
the printed numbers recomputed); every figure carries a numbered
caption; every heading has an anchor unique in its page. The index page gives the overview:
regions by chapters, each cell with its status and one key finding. The data explorer
(:mod:`analysis.explorer`) sits beside them. Every file is written to a temporary name and
renamed into place.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import nbformat
import pandas as pd

from analysis import config
from analysis.data.regions import all_regions
from analysis.errors import MissingOutputs
from analysis.files import atomic_write_text, writable_folder
from analysis.pipeline.notebooks import CROSS_REGION, discover_notebooks
from analysis.progress import Progress

STYLE = """
body{max-width:72rem;margin:0 auto;padding:0 1rem}
nav.toc{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0;background:#fafafa}
nav.toc ol{margin:.2rem 0;list-style:decimal}nav.toc ol ol{list-style:disc}nav.toc li{margin:.1rem 0}
section.key-findings{border-left:4px solid #2a6fb0;padding:.2rem 1rem;margin:1rem 0;background:#f5f9fd}
section.key-findings h3{margin:.8rem 0 .2rem}
figure.analysis-figure{margin:1rem 0}figure.analysis-figure img{max-width:100%;height:auto}
figure.analysis-figure figcaption{font-size:.9rem;color:#333;margin-top:.3rem}
details.long-table>summary,details.erratum>summary{cursor:pointer;color:#2a6fb0}
details.erratum div{font-size:.85rem;white-space:normal}
details.erratum[open]>div{position:absolute;right:2rem;width:30rem;z-index:10;background:#fff;border:1px solid #bbb;
padding:.5rem .8rem;box-shadow:0 2px 8px rgba(0,0,0,.2)}
details.erratum>summary{white-space:nowrap}.gt_table td.gt_right{white-space:nowrap}
"""


def _has_error(nb) -> bool:
    return any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def _deeper(markdown: str) -> str:
    """Every Markdown heading one level down: the report's title is the only level-1 heading."""
    return re.sub(r"(?m)^(#{1,5}) ", lambda m: "#" + m.group(1) + " ", markdown)


def _source(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _figure_output(output, number: int) -> dict:
    """A figure output as HTML: the image with its numbered caption under it."""
    caption = output.get("metadata", {}).get("analysis", {}).get("caption") or "Figure"
    png = _source(output["data"]["image/png"]).replace("\n", "")
    base64.b64decode(png[:64] + "=" * (-len(png[:64]) % 4))  # a corrupt image fails here, not in the browser
    body = (f'<figure class="analysis-figure" id="figure-{number}"><img src="data:image/png;base64,{png}" '
            f'alt="{html.escape(caption)}"><figcaption><b>Figure {number}.</b> {html.escape(caption)}</figcaption></figure>')
    return nbformat.v4.new_output("display_data", data={"text/html": body})


def _for_reading(cells: list, figures: list[int]) -> list:
    """Headings one level down, figures with captions, nothing else changed."""
    for cell in cells:
        if cell.cell_type == "markdown":
            cell.source = _deeper(cell.source)
            continue
        outputs = []
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if "image/png" in data:
                figures[0] += 1
                o = _figure_output(o, figures[0])
            elif "text/markdown" in data:
                data["text/markdown"] = _deeper(_source(data["text/markdown"]))
            outputs.append(o)
        cell.outputs = outputs
    return cells


def _joined(paths: list[Path], title: str):
    """One notebook made of several, under one title."""
    joined = nbformat.v4.new_notebook()
    joined.metadata = {"kernelspec": {"name": "tech-towns", "display_name": "Python (tech-towns)", "language": "python"},
                       "language_info": {"name": "python"}, "title": title}
    cells = []
    figures = [0]
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.source.startswith("# ") and cell.source[2:].strip() == title:
                continue  # a cross-region notebook's own title is the report's title
            cells.append(cell)
    joined.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), *_for_reading(cells, figures)]
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


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _finish(page: str, findings_html: str, links: str) -> str:
    """Unique anchors for every heading, a table of contents and the key findings under the title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    seen: set[str] = set()
    chapter, toc = "", []
    for h in soup.find_all(["h1", "h2", "h3"]):
        for a in h.find_all("a", class_="anchor-link"):
            a.decompose()
        text = h.get_text(" ", strip=True)
        if h.name == "h2":
            chapter = _slug(text)
        anchor = _slug(text) if h.name != "h3" else f"{chapter}--{_slug(text)}"
        base, k = anchor, 2
        while anchor in seen:
            anchor, k = f"{base}-{k}", k + 1
        seen.add(anchor)
        h["id"] = anchor
        if h.name != "h1":
            toc.append((h.name, anchor, text))
    for tag in soup.find_all(id=True):  # tables drawn twice under one name, figures, cells: every id once
        if tag.name not in ("h1", "h2", "h3"):
            base, k = tag["id"], 2
            while tag["id"] in seen:
                tag["id"], k = f"{base}-{k}", k + 1
            seen.add(tag["id"])
    head = soup.find("h1")
    style = soup.new_tag("style")
    style.string = STYLE
    soup.head.append(style)
    extra = BeautifulSoup(f"{links}{_toc(toc)}{findings_html}", "html.parser")
    if head is not None:
        head.insert_after(extra)
    return str(soup)


def _toc(items: list[tuple[str, str, str]]) -> str:
    if not items:
        return ""
    out, open_sub = ['<nav class="toc" id="contents"><b>Contents</b><ol>'], False
    for level, anchor, text in items:
        if level == "h3" and not open_sub:
            out.append("<ol>")
            open_sub = True
        elif level == "h2" and open_sub:
            out.append("</ol></li>")
            open_sub = False
        elif level == "h2" and len(out) > 1:
            out.append("</li>")
        out.append(f'<li><a href="#{anchor}">{html.escape(text)}</a>' + ("</li>" if level == "h3" else ""))
    out.append("</ol></li></ol></nav>" if open_sub else "</li></ol></nav>")
    return "".join(out)


def _links(has_explorer: bool) -> str:
    explorer = ' · <a href="explorer.html">Data explorer: where every number comes from</a>' if has_explorer else ""
    return f'<p class="report-links"><a href="index.html">All reports</a>{explorer}</p>'


def _notebooks_of(rdir: Path, order: dict[str, int]) -> list[Path]:
    return sorted((p for p in rdir.glob("*.ipynb") if not p.name.startswith(".")),
                  key=lambda p: (order.get(p.stem, len(order)), p.stem))


def _write_report(paths: list[Path], title: str, region: str, outputs_dir: Path, html_dir: Path, stem: str,
                  has_explorer: bool) -> dict:
    nb = _joined(paths, title)
    chapters = [chapter_summary(outputs_dir, region, p.stem, nbformat.read(p, as_version=4)) for p in paths]
    page = _finish(_export(nb, title), key_findings_html(chapters), _links(has_explorer))
    atomic_write_text(html_dir / f"{stem}.html", page)
    return {"title": title, "file": f"{stem}.html", "kind": "cross-region" if region == CROSS_REGION else "region",
            "region": region, "notebooks": [p.stem for p in paths], "has_error": _has_error(nb), "chapters": chapters}


def build_reports(outputs_dir: Path | None = None, html_dir: Path | None = None, explorer: bool = True,
                  progress: bool | str | None = None) -> list[dict]:
    """Write ``outputs/html/<region>.html``, ``outputs/html/<notebook>.html``, ``explorer.html`` and ``index.html``.

    Returns one entry per report (title, file, notebooks, has_error, chapter summaries). Raises
    :class:`MissingOutputs` when there are no executed notebooks at all. ``explorer=False`` leaves
    the explorer page out (it reads every dataset and its source lines). ``progress``: a page per
    step on stderr (:class:`analysis.progress.Progress`; None: nothing).
    """
    from analysis.explorer import write_explorer

    outputs_dir = Path(outputs_dir) if outputs_dir is not None else config.outputs_dir()
    html_dir = Path(html_dir) if html_dir else outputs_dir / "html"
    names = {r.region_id: r.name for r in all_regions()}
    order = {name: i for i, name in enumerate(discover_notebooks())}  # a region's notebooks in reading order
    jobs = []
    for rdir in sorted(p for p in outputs_dir.iterdir() if p.is_dir() and p.name in names) if outputs_dir.is_dir() else []:
        if paths := _notebooks_of(rdir, order):
            jobs.append((paths, names[rdir.name], rdir.name, rdir.name))
    cross = outputs_dir / CROSS_REGION
    for p in sorted(cross.glob("*.ipynb")) if cross.exists() else []:
        title = nbformat.read(p, as_version=4).metadata.get("analysis", {}).get("title", p.stem)
        jobs.append(([p], title, CROSS_REGION, p.stem))
    if not jobs:
        raise MissingOutputs(f"no executed notebooks under {outputs_dir}: run `python -m analysis run` first")
    # before the slow part: a read-only outputs/, or a link planted at outputs/html, fails in one line now
    writable_folder(html_dir, outputs_dir if html_dir.is_relative_to(outputs_dir) else None)
    with Progress(len(jobs) + 1 + bool(explorer), mode=progress, unit="page") as bar:
        has_explorer = explorer and write_explorer(html_dir / "explorer.html") is not None
        if explorer:
            bar.finished("explorer.html")
        before = _listed(html_dir)
        entries = []
        for job in jobs:
            entries.append(_write_report(*job[:3], outputs_dir, html_dir, job[3], has_explorer))
            bar.finished(f"{job[3]}.html")
        atomic_write_text(html_dir / "index.html", index_html(entries, has_explorer))
        bar.finished("index.html")
    atomic_write_text(html_dir / "reports.json", json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    for stale in before - {e["file"] for e in entries}:  # a report of an earlier run whose notebooks are gone
        (html_dir / stale).unlink(missing_ok=True)
    return entries


def _listed(html_dir: Path) -> set[str]:
    """The report files the previous ``reports.json`` lists (only those are ever removed)."""
    path = html_dir / "reports.json"
    try:
        return {e["file"] for e in json.loads(path.read_text(encoding="utf-8")) if "/" not in e["file"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


# ------------------------------------------------------------------------------ key findings

MATCHED = ("match", "match-approx", "match-within-rounding")
STATUS_WORDS = {"source-inconsistent": "contradicted inside the source (see the errata)",
                "unprinted-base": "need a base the source does not print", "not-testable": "not testable",
                "not-computable": "not computable from the printed numbers", "mismatch": "disagree"}
CLAIM_PREFIX = "Claim tested against the printed data: "


def _findings(outputs_dir: Path, region: str) -> list[dict]:
    path = outputs_dir / region / "findings.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _claims_table(outputs_dir: Path, region: str, notebook: str) -> pd.DataFrame:
    """The chapter's arguments with their verdicts, as the notebook saved them."""
    found = sorted((outputs_dir / region / "tables").glob(f"{notebook}--claims-*.csv"))
    return pd.concat([pd.read_csv(p) for p in found]) if found else pd.DataFrame(columns=["argument", "kind", "verdict"])


def _status(nb) -> str:
    if _has_error(nb):
        return "error"
    texts = [_source(o.get("data", {}).get("text/markdown", "")) for c in nb.cells for o in c.get("outputs", [])]
    return "no material" if any("hold no material on its" in t for t in texts) else "ok"


def _first_text(nb) -> str:
    """The chapter's first statement under a heading: what a chapter without tested arguments says first."""
    seen_heading = False
    for c in nb.cells:
        for o in c.get("outputs", []):
            text = _source(o.get("data", {}).get("text/markdown", "")).strip()
            if text.startswith("#"):
                seen_heading = True
            elif text and seen_heading:
                # the first line that says something: not a sub-heading, nor a bold label over a list ('**Strategy**')
                said = [ln for ln in text.splitlines() if ln.strip() and not re.fullmatch(r"\s*(#+ .*|\*\*[^*]+\*\*:?)\s*", ln)]
                if not said:
                    continue
                first = said[0].lstrip("-* ").strip()
                return re.sub(r"\s*\([^()]*lines? [^()]*\)\s*$", "", first).rstrip("*")
    return ""


def chapter_summary(outputs_dir: Path, region: str, notebook: str, nb) -> dict:
    """What one chapter found: its arguments tested, contradicted and concluded, its printed numbers recomputed."""
    records = [f for f in _findings(outputs_dir, region) if f.get("notebook") == notebook]
    claims = [f for f in records if f["id"].startswith("claim.")]
    published = pd.Series([f["status"] for f in records if f["id"].startswith("published.")], dtype=object)
    table = _claims_table(outputs_dir, region, notebook)
    conclusions = table.loc[table["kind"].astype(str) == "conclusion", "argument"].astype(str).tolist()
    arguments = table["argument"].astype(str).tolist()
    title = nb.metadata.get("analysis", {}).get("title") or notebook.replace("-", " ").capitalize()
    return {
        "notebook": notebook, "title": title, "status": _status(nb), "arguments": len(table),
        "tested": len(claims), "supported": sum(f["value"] == 1 for f in claims),
        "contradicted": [f["description"].removeprefix(CLAIM_PREFIX) for f in claims if f["value"] == 0],
        "conclusions": conclusions, "first_argument": arguments[0] if arguments else "", "first_text": _first_text(nb),
        "reproduced": {k: int(v) for k, v in published.value_counts().items()},
        "figures": sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])),
    }


def _reproduced_sentence(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return ""
    matched = sum(v for k, v in counts.items() if k in MATCHED)
    rest = ", ".join(f"{v} {STATUS_WORDS.get(k, k.replace('-', ' '))}" for k, v in sorted(counts.items())
                     if k not in MATCHED)
    return (f"{total} printed {'number' if total == 1 else 'numbers'} recomputed: {matched} "
            f"{'agrees' if matched == 1 else 'agree'}" + (f"; {rest}" if rest else "") + ".")


def _tested_sentence(ch: dict) -> str:
    n = ch["arguments"]
    if not n:
        return ""
    head = f"{n} {'argument' if n == 1 else 'arguments'} of the source"
    if not ch["tested"]:
        return head + ", none testable against printed numbers."
    return (f"{head}; {ch['tested']} tested against the printed numbers: "
            f"{ch['supported']} supported, {len(ch['contradicted'])} contradicted.")


def key_findings_html(chapters: list[dict]) -> str:
    """The report's opening: per chapter the arguments tested, what the data contradict, the conclusions."""
    parts = ['<section class="key-findings" id="key-findings"><h2 id="key-findings-heading">Key findings</h2>']
    for ch in chapters:
        parts.append(f"<h3>{html.escape(ch['title'])}</h3>")
        if ch["status"] != "ok":
            parts.append(f"<p>{'The notebook stopped with an error.' if ch['status'] == 'error' else 'The sources hold no material on this chapter.'}</p>")
            continue
        lines = [s for s in (_tested_sentence(ch), _reproduced_sentence(ch["reproduced"])) if s]
        parts.append("<p>" + " ".join(html.escape(s) for s in lines) + "</p>" if lines else "")
        items = [f"<li><b>Contradicted by the printed numbers:</b> {html.escape(t)}</li>" for t in ch["contradicted"]]
        items += [f"<li><b>Conclusion:</b> {html.escape(t)}</li>" for t in ch["conclusions"][:3]]
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
    return "".join(parts) + "</section>"


def key_finding(ch: dict) -> str:
    """One sentence for the overview: a contradiction if the data show one, else the chapter's conclusion."""
    if ch["contradicted"]:
        return "Contradicted: " + ch["contradicted"][0]
    if ch["conclusions"]:
        return ch["conclusions"][0]
    if ch.get("first_argument"):
        return "The source argues: " + ch["first_argument"]
    return _reproduced_sentence(ch["reproduced"]) or ch.get("first_text", "")


def _shorten(text: str, limit: int = 180) -> str:
    return text if len(text) <= limit else text[: text.rfind(" ", 0, limit)] + " …"


def _cell(entry: dict, ch: dict | None) -> str:
    if ch is None:
        return "<td></td>"
    anchor = f"{entry['file']}#{_slug(ch['title'])}"
    if ch["status"] != "ok":
        label = "error" if ch["status"] == "error" else "no material in the sources"
        return f'<td class="{ch["status"].replace(" ", "-")}"><a href="{html.escape(anchor)}">{label}</a></td>'
    if ch["tested"]:
        tested = f"{ch['supported']} of {ch['tested']} tested arguments hold"
    elif ch["arguments"]:
        tested = f"{ch['arguments']} {'argument' if ch['arguments'] == 1 else 'arguments'}, none testable"
    else:
        tested = "case material, no argument recorded"
    finding = key_finding(ch)
    return (f'<td><a href="{html.escape(anchor)}">{html.escape(tested)}</a>'
            f'<div class="finding" title="{html.escape(finding)}">{html.escape(_shorten(finding))}</div></td>')


def index_html(entries: list[dict], has_explorer: bool) -> str:
    """The overview: regions by chapters (status and one key finding each), then the cross-region reports."""
    regions = [e for e in entries if e["kind"] == "region"]
    chapters = list(dict.fromkeys(ch["notebook"] for e in regions for ch in e["chapters"]))
    titles = {ch["notebook"]: ch["title"] for e in regions for ch in e["chapters"]}
    head = "".join(f"<th>{html.escape(titles[c])}</th>" for c in chapters)
    rows = "".join(
        f'<tr><th><a href="{html.escape(e["file"])}">{html.escape(e["title"])}</a></th>'
        + "".join(_cell(e, next((ch for ch in e["chapters"] if ch["notebook"] == c), None)) for c in chapters) + "</tr>"
        for e in regions)
    cross = "".join(
        f'<li><a href="{html.escape(e["file"])}">{html.escape(e["title"])}</a>: '
        f'{html.escape(_shorten(key_finding(e["chapters"][0])))}</li>' for e in entries if e["kind"] == "cross-region")
    explorer = ('<p><a href="explorer.html">Data explorer</a>: every cited value with its document, table or section, '
                "lines and the text of the cited lines, searchable.</p>") if has_explorer else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Technology towns and regions: case-study reports</title>
<style>body{{font-family:sans-serif;max-width:90rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}
table.overview{{border-collapse:collapse;width:100%;font-size:.9rem}}
table.overview th,table.overview td{{border:1px solid #ddd;padding:.4rem;vertical-align:top;text-align:left}}
table.overview td.no-material{{color:#777;background:#fafafa}}table.overview td.error{{background:#fde8e8}}
div.finding{{color:#333;margin-top:.3rem}}</style>
</head><body>
<h1>Technology towns and regions of Norway: case-study reports</h1>
<p>Each region's report joins its executed notebooks; each cell below gives the chapter's status: how many of the
source's arguments that the printed numbers can test hold, and one key finding (a contradiction where the data show
one, else the chapter's conclusion). Every figure carries its source line.</p>
{explorer}
<h2 id="regions">Regions by chapter</h2>
<table class="overview"><thead><tr><th>Region</th>{head}</tr></thead><tbody>{rows}</tbody></table>
<h2 id="across-regions">Across regions</h2><ul>{cross}</ul>
</body></html>
"""

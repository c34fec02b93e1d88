"""Every notebook for every registered region, executed for real through the pipeline
(the session's one run, ``executed_outputs`` in conftest.py), then the HTML reports in a
headless browser and the book's chapter sources."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from analysis import book
from analysis.config import PROJ_ROOT
from analysis.data.regions import case_regions
from analysis.pipeline import cross_region_notebooks, region_notebooks

pytestmark = pytest.mark.notebooks
REGION_NOTEBOOKS = region_notebooks()
CROSS = cross_region_notebooks()


def _executed(executed_outputs: Path) -> list[Path]:
    paths = [executed_outputs / r.region_id / f"{nb}.ipynb" for r in case_regions() for nb in REGION_NOTEBOOKS]
    return paths + [executed_outputs / "cross-region" / f"{nb}.ipynb" for nb in CROSS]


def test_every_pair_ran_without_error_output(executed_outputs):
    for path in _executed(executed_outputs):
        assert path.exists(), f"{path} was not written"
        nb = nbformat.read(path, as_version=4)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{path}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
        stderr = [o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                  if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        assert not any("Traceback" in s for s in stderr), f"{path}: traceback on stderr"


def _outputs_text(nb) -> list[str]:
    out = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            data = o.get("data", {})
            if "text/markdown" in data:
                out.append(data["text/markdown"] if isinstance(data["text/markdown"], str) else "".join(data["text/markdown"]))
            elif "image/png" in data:
                out.append("<figure>")
            elif "text/html" in data:
                out.append("<table>")
    return out


def test_every_chapter_shows_material_or_says_once_that_there_is_none(executed_outputs):
    """Per region and chapter: content under headings, or one sentence that the sources hold none -- never both,
    never a heading with nothing under it."""
    for reg in case_regions():
        for nb_name in REGION_NOTEBOOKS:
            texts = _outputs_text(nbformat.read(executed_outputs / reg.region_id / f"{nb_name}.ipynb", as_version=4))
            headings = [i for i, s in enumerate(texts) if s.startswith("## ")]
            none_said = sum("hold no material on its" in s for s in texts)
            assert (len(headings) > 0) != (none_said == 1), f"{reg.region_id}/{nb_name}: {len(headings)} headings, " \
                                                             f"{none_said} 'no material' sentences"
            for i in headings:
                assert i + 1 < len(texts) and not texts[i + 1].startswith("## "), \
                    f"{reg.region_id}/{nb_name}: empty heading {texts[i]!r}"


def test_findings_and_reproduction(executed_outputs):
    """Every published value a notebook recomputes matches, or is explained by the errata."""
    statuses = Counter()
    bad = []
    for reg in [*case_regions()]:
        path = executed_outputs / reg.region_id / "findings.json"
        assert path.exists(), f"{path} missing"
        for item in json.loads(path.read_text()):
            statuses[item["status"]] += 1
            if item["status"] == "mismatch":
                bad.append(f"{reg.region_id}/{item['notebook']}: {item['id']} = {item['value']} vs "
                           f"{(item['published'] or {}).get('value')} ({item.get('citation')})")
    print("\nfindings by status:", dict(statuses))
    assert statuses["match"] > 100
    assert not bad, "\n".join(bad)


def test_every_figure_has_its_data_beside_it(executed_outputs):
    for reg in case_regions():
        for png in sorted((executed_outputs / reg.region_id / "figures").glob("*.png")):
            data = png.with_suffix(".csv")
            assert data.exists(), f"{png.name}: no data file beside the figure"
            assert len(data.read_text(encoding="utf-8").splitlines()) >= 2, f"{data.name} is empty"


def test_book_chapters_and_references(executed_outputs, tmp_path):
    labels = book.prepare(outputs_dir=executed_outputs, book_dir=tmp_path / "book")
    for rel in book.chapter_files():
        if rel.startswith("book/chapters/"):
            assert (tmp_path / rel).exists(), rel
    assert any(lab.startswith("fig-") for lab in labels) and any(lab.startswith("tbl-") for lab in labels)
    assert len(labels) == len(set(labels)), "duplicate cross-reference labels"
    texts = [p.read_text(encoding="utf-8") for p in [PROJ_ROOT / "index.qmd", *(PROJ_ROOT / "book").glob("*.qmd")]]
    for text in texts:
        for ref in re.findall(r"@((?:fig|tbl)-[a-z0-9-]+)", text):
            assert ref in labels, f"@{ref} has no label"


@pytest.fixture(scope="session")
def reports(executed_outputs) -> Path:
    from analysis.report import build_reports

    entries = build_reports(outputs_dir=executed_outputs)
    assert len(entries) == len(case_regions()) + len(CROSS)
    return executed_outputs / "html"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _internal_ids() -> re.Pattern:
    """What a reader must never see: ids of the data (regions with a hyphen, industries, arguments, printed
    values, events), size-class and group codes, snake_case names and dataset references."""
    from analysis import data as D

    ids = set()
    for name, col in (("regions", "region_id"), ("industries", "industry_id"), ("claims", "claim_id"),
                      ("published_values", "pv_id"), ("history_events", "event_id")):
        ids |= {i for i in D.load(name)[col].astype(str) if re.search(r"[-_0-9]", i) and re.search(r"[a-z]", i)}
    words = "|".join(sorted(map(re.escape, ids), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{words}|g[1-7]|lt10|gt100|e_ij\w*)(?![\w-])"
                      r"|\b[a-z]+_[a-z0-9_]+\b|\b[a-z_]+\[[^\]]+\]")


UNFORMATTED = re.compile(r"\d\.\d*(?:0{5,}|9{5,})\d?\b")  # a float as the computer holds it: 21.000000, 2.6999999
TEXT_JS = """() => { const b = document.body.cloneNode(true);
  b.querySelectorAll('script, style').forEach(e => e.remove()); return b.textContent; }"""


def _check_report_page(page, href: str, leaks: re.Pattern) -> None:
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => ({ok: e.complete && e.naturalWidth > 0, caption: "
               "(e.closest('figure') && e.closest('figure').querySelector('figcaption')) ? "
               "e.closest('figure').querySelector('figcaption').textContent.trim() : ''}))")
    assert all(i["ok"] for i in images), f"{href}: {sum(not i['ok'] for i in images)} images did not load"
    assert all(re.match(r"Figure \d+\. \S", i["caption"]) for i in images), f"{href}: a figure without its caption"
    body = page.inner_text("body")
    assert "Traceback" not in body, f"{href} shows a traceback"
    assert page.query_selector("[data-mime-type='application/vnd.jupyter.stderr']") is None
    assert page.query_selector("[data-mime-type='application/vnd.jupyter.error']") is None
    text = page.evaluate(TEXT_JS)  # folded tables too
    assert not UNFORMATTED.search(text), f"{href}: unformatted number {UNFORMATTED.search(text).group(0)!r}"
    leak = leaks.search(text)
    assert leak is None, f"{href}: internal id {leak.group(0)!r} in {text[max(0, leak.start() - 80):leak.end() + 40]!r}"
    ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)), f"{href}: duplicate anchors {[i for i, n in Counter(ids).items() if n > 1][:5]}"
    targets = page.eval_on_selector_all("nav.toc a", "els => els.map(e => e.getAttribute('href').slice(1))")
    assert targets, f"{href}: no table of contents"
    missing = page.evaluate("ts => ts.filter(t => !document.getElementById(t))", targets)
    assert not missing, f"{href}: contents links without a target: {missing[:5]}"
    assert page.query_selector("section.key-findings") is not None, f"{href}: no key findings"


def _check_explorer(page, explorer: Path) -> None:
    """The explorer loads offline, and its search and column filters narrow the rows."""
    assert "unpkg.com" not in explorer.read_text(encoding="utf-8"), "the explorer must work offline"
    page.goto(explorer.as_uri())
    page.wait_for_selector("table.dataTable tbody tr", timeout=60_000)

    def total() -> int:
        info = page.inner_text(".dt-info")
        return int(re.search(r"of ([\d,]+) entries", info).group(1).replace(",", ""))

    everything = total()
    assert everything > 1000
    page.fill(".dt-search input", "Simrad")
    page.wait_for_function(f"() => !document.querySelector('.dt-info').textContent.includes('of {everything:,} entries')")
    found = total()
    assert 0 < found < everything
    rows = page.eval_on_selector_all("table.dataTable tbody tr", "els => els.map(e => e.textContent)")
    assert rows and all("simrad" in r.lower() for r in rows)
    page.fill(".dt-search input", "")
    page.locator("table.dataTable thead input").first.press_sequentially("Population")  # the filters listen to keys
    page.wait_for_function(f"() => !document.querySelector('.dt-info').textContent.includes('of {everything:,} entries')")
    assert 0 < total() < everything


@pytest.mark.browser
def test_reports_in_a_headless_browser(reports, executed_outputs):
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    index = reports / "index.html"
    leaks = _internal_ids()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        page.goto(index.as_uri())
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        reports_linked = sorted({h.split("#")[0] for h in hrefs} - {"explorer.html"})
        assert len(reports_linked) == len(case_regions()) + len(CROSS)
        cells = page.eval_on_selector_all("table.overview tbody tr", "els => els.map(e => e.children.length)")
        assert len(cells) == len(case_regions()) and set(cells) == {1 + len(REGION_NOTEBOOKS)}
        shot_dir = PROJ_ROOT / "outputs"
        shot_dir.mkdir(exist_ok=True)
        page.screenshot(path=str(shot_dir / "report-index-screenshot.png"), full_page=True)
        for href in reports_linked:
            page.goto((reports / href).as_uri())
            page.wait_for_load_state("load")
            _check_report_page(page, href, leaks)
            if href == "horten.html":
                page.click("nav.toc a >> nth=3")
                assert page.evaluate("window.scrollY") > 0, "a contents link did not move the page"
                page.screenshot(path=str(shot_dir / "report-horten-screenshot.png"))
        for href in hrefs:  # the index's links into the reports land on a chapter
            if "#" in href:
                file, anchor = href.split("#", 1)
                page.goto(f"{(reports / file).as_uri()}#{anchor}")
                assert page.evaluate("id => !!document.getElementById(id)", anchor), href
                break
        _check_explorer(page, reports / "explorer.html")
        browser.close()


def test_every_saved_figure_is_shown_in_its_notebook(executed_outputs):
    for reg in case_regions():
        for nb_name in REGION_NOTEBOOKS:
            nb = nbformat.read(executed_outputs / reg.region_id / f"{nb_name}.ipynb", as_version=4)
            shown = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
            saved = len(list((executed_outputs / reg.region_id / "figures").glob(f"{nb_name}--*.png")))
            assert shown == saved, f"{reg.region_id}/{nb_name}: {saved} figures saved, {shown} shown"


@pytest.mark.parametrize("name", ["history", "comparison"])
def test_a_notebook_run_by_hand_with_its_defaults_leaves_the_pipeline_results_alone(name, tmp_path, monkeypatch):
    import papermill as pm

    monkeypatch.setenv("ANALYSIS_OUTPUTS", str(tmp_path / "outputs"))
    pipeline_result = tmp_path / "outputs" / ("horten" if name == "history" else "cross-region") / "keep.txt"
    pipeline_result.parent.mkdir(parents=True)
    pipeline_result.write_text("the pipeline's")
    pm.execute_notebook(str(PROJ_ROOT / "notebooks" / f"{name}.ipynb"), str(tmp_path / f"{name}.ipynb"),
                        cwd=str(PROJ_ROOT / "notebooks"), progress_bar=False)  # no parameters: the defaults
    where = tmp_path / "outputs" / "interactive" / ("horten" if name == "history" else "cross-region")
    assert any((where / "figures").glob(f"{name}--*.png"))
    assert sorted(p.name for p in pipeline_result.parent.iterdir()) == ["keep.txt"]


def _quarto_or_skip() -> None:
    version = book.quarto_version()
    if version is None or version[:2] < book.MIN_QUARTO:
        pytest.skip(f"Quarto >= {'.'.join(map(str, book.MIN_QUARTO))} is not on PATH "
                    f"({'none' if version is None else '.'.join(map(str, version))}): the book is not rendered here; "
                    "everything else is checked without it (install Quarto, e.g. `conda env create -f environment.yml`)")


def test_the_book_renders_for_readers(executed_outputs, tmp_path):
    """A small book (Horten, the comparison, every appendix) rendered by Quarto: no code, one numbered
    caption per figure and table, no sub-figures, no internal ids, the errata in id order, the explorer."""
    _quarto_or_skip()
    project = tmp_path / "project"
    (project / "book").mkdir(parents=True)
    shutil.copy(PROJ_ROOT / "index.qmd", project)
    for f in (PROJ_ROOT / "book").iterdir():
        if f.is_file():
            shutil.copy(f, project / "book")
    book.prepare(outputs_dir=executed_outputs, book_dir=project / "book")
    cfg = book.book_config()
    keep = [c for c in cfg["book"]["chapters"] if not isinstance(c, dict) or c["part"] in ("Horten", "Across regions")]
    cfg["book"]["chapters"] = keep
    cfg["project"]["render"] = ["index.qmd", "book/*.qmd", "book/chapters/horten/*.ipynb",
                                "book/chapters/cross-region/comparison.ipynb"]
    import yaml

    (project / "_quarto.yml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    proc = subprocess.run(["quarto", "render", str(project), "--to", "html"], cwd=project, capture_output=True,
                          text=True, timeout=1200, env={**os.environ, book.PREPARED_ENV: "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    from bs4 import BeautifulSoup

    leaks = _internal_ids()
    site = project / "_book"
    for page in sorted((site / "book" / "chapters").rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        main = soup.find("main")
        assert not main.select("div.cell pre, .cell-code, details.code-fold"), f"{page.name}: code is visible"
        for fig in main.select("div.quarto-float[id^=fig-]"):
            caps = fig.select("figcaption")
            assert len(caps) == 1 and re.match(r"Figure\s*\d+\.\d+", caps[0].get_text(" ", strip=True)), \
                f"{page.name} {fig.get('id')}: {len(caps)} captions"
            assert not re.search(r"^\(a\)", caps[0].get_text(strip=True))
        for tbl in main.select("div.quarto-float[id^=tbl-]"):
            assert re.match(r"Table\s*\d+\.\d+", tbl.select_one("figcaption").get_text(" ", strip=True)), tbl.get("id")
        for tag in main(["script", "style"]):
            tag.decompose()
        text = main.get_text(" ")
        leak = leaks.search(text)
        assert leak is None, f"{page.name}: internal id {leak.group(0)!r}"
        assert not UNFORMATTED.search(text), f"{page.name}: {UNFORMATTED.search(text).group(0)}"
    errata = BeautifulSoup((site / "book" / "errata.html").read_text(encoding="utf-8"), "html.parser")
    heads = [th.get_text(strip=True) for th in errata.select("main table thead th")]
    assert {"erratum", "used", "why"} <= set(heads), heads
    ids = [tr.select("td")[0].get_text(strip=True) for tr in errata.select("main table tbody tr")]
    assert ids == sorted(ids, key=lambda e: int(e[1:])) and len(ids) > 50
    explorer = (site / "book" / "explorer.html").read_text(encoding="utf-8")
    assert 'id="data-explorer"' in explorer and "unpkg.com" not in explorer, "the explorer must work offline"

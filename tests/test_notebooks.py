"""Every notebook for every registered region, executed for real through the pipeline
(the session's one run, ``executed_outputs`` in conftest.py), then the HTML reports in a
headless browser and the book's chapter sources."""

from __future__ import annotations

import json
import os
import re
import shutil
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


def test_sections_without_data_say_so(executed_outputs):
    """A region whose sources lack a section prints the sentence instead of failing or filling it."""
    texts = []
    for path in _executed(executed_outputs):
        nb = nbformat.read(path, as_version=4)
        for c in nb.cells:
            for o in c.get("outputs", []):
                texts.append(json.dumps(o.get("data", {})))
    said = sum("The sources have no" in t for t in texts)
    assert said > 0


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


def test_figures_have_both_formats_and_source(executed_outputs):
    figs = sorted((executed_outputs / "horten" / "figures").glob("*.png"))
    assert len(figs) >= 5
    for png in figs:
        svg = png.with_suffix(".svg")
        assert svg.exists()
        assert "Source: " in svg.read_text(encoding="utf-8") or "Source" in svg.read_text(encoding="utf-8")


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


@pytest.mark.browser
def test_reports_in_a_headless_browser(reports, executed_outputs):
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    index = reports / "index.html"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        page.goto(index.as_uri())
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert len(hrefs) == len(case_regions()) + len(CROSS)
        shot_dir = PROJ_ROOT / "outputs"
        shot_dir.mkdir(exist_ok=True)
        page.screenshot(path=str(shot_dir / "report-index-screenshot.png"), full_page=True)
        for href in hrefs:
            page.goto((reports / href).as_uri())
            page.wait_for_load_state("load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({ok: e.complete && e.naturalWidth > 0, src: e.src.slice(0, 40)}))")
            assert images, f"{href}: no images"
            broken = [i for i in images if not i["ok"]]
            assert not broken, f"{href}: {len(broken)} images did not load"
            body = page.inner_text("body")
            assert "Traceback" not in body, f"{href} shows a traceback"
            assert page.query_selector(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']") is None
            assert page.query_selector("[data-mime-type='application/vnd.jupyter.error']") is None
            if href == "horten.html":
                page.screenshot(path=str(shot_dir / "report-horten-screenshot.png"))
        browser.close()


def test_every_saved_figure_is_shown_in_its_notebook(executed_outputs):
    for reg in case_regions():
        for nb_name in REGION_NOTEBOOKS:
            nb = nbformat.read(executed_outputs / reg.region_id / f"{nb_name}.ipynb", as_version=4)
            shown = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
            saved = len(list((executed_outputs / reg.region_id / "figures").glob(f"{nb_name}--*.png")))
            assert shown == saved, f"{reg.region_id}/{nb_name}: {saved} figures saved, {shown} shown"

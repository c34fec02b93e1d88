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
            name = href.removesuffix(".html")
            own = executed_outputs / name / "figures"
            saved = list(own.glob("*.png")) if own.is_dir() else list(
                (executed_outputs / "cross-region" / "figures").glob(f"{name}--*.png"))
            # a region whose sources print nothing to draw (Sandefjord's 2012 process report) has no figure
            assert len(images) >= len(saved) and (images or not saved), f"{href}: {len(images)} images, {len(saved)} saved"
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

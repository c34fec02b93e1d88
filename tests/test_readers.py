"""What a reader sees, on small synthetic inputs made here: tables (names for ids, numbers
formatted, long tables folded, errata beside their values), figure captions, the HTML reports
(contents, anchors, key findings, the index), the book's chapters (no code, one caption per
figure), the generated appendices and the book's pre-render step. Real runs are checked in
tests/test_notebooks.py."""

from __future__ import annotations

import base64
import json
import shutil
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from analysis import book, report
from analysis.config import PROJ_ROOT
from analysis.sections.display import Labels, citation, erratum_html, long_table_html, table_html

# made-up ids and labels: the shape of the data's label columns, none of its values
DATA = {
    "regions": pd.DataFrame({"region_id": ["testtown", "rest-of-testland"], "name": ["Testtown", "Rest of Testland"]}),
    "industries": pd.DataFrame({"industry_id": ["g1", "tech-total", "making"],
                                "label_short": ["Widget making", "Technology, total", "All making"]}),
    "vocabulary": pd.DataFrame({"vocabulary": ["size-class", "location"], "term_id": ["lt10", "local"],
                                "label_en": ["fewer than 10 employees", "the municipality"]}),
    "claims": pd.DataFrame({"claim_id": ["testtown-widgets-grow"], "term_no": ["vokser raskt"]}),
    "errata": pd.DataFrame({"errata_id": ["E07"], "topic": ["Widget count: table vs text"], "value_a": ["12"],
                            "lines_a": ["10-11"], "value_b": ["13"], "lines_b": ["40"], "used": ["a"],
                            "reason": ["The table is the more precise print."]}),
}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()


def _text(html_text: str) -> str:
    soup = BeautifulSoup(html_text, "html.parser")
    for tag in soup(["style", "script"]):
        tag.decompose()
    return soup.get_text(" ")


# ------------------------------------------------------------------------------------- labels

def test_labels_replace_ids_with_the_names_in_the_data():
    labels = Labels(DATA)
    assert labels.text("Tab v.6 testtown g1") == "Tab v.6 Testtown widget making"
    assert labels.text("lt10") == "fewer than 10 employees"
    assert labels.text("no row employment[testtown,tech-total,2005]") == \
        "no row employment (Testtown, Technology, total, 2005)"
    assert labels.text("see testtown-widgets-grow") == "see the argument «vokser raskt»"
    assert labels.text("kept in cluster_criteria") == "kept in cluster criteria"
    assert labels.text("rest-of-testland") == "Rest of Testland"
    assert labels.text("an-unknown-slug") == "an unknown slug"
    assert labels.text("1997-2005") == "1997-2005"  # a period is not an id
    assert labels.text("Widget making") == "Widget making"  # an id that is an English word stays a word in a text
    assert labels.text("making") == "All making"


def test_a_table_shows_names_and_numbers_for_reading():
    frame = pd.DataFrame({"industry_id": ["g1", "tech-total"], "year": [2005, 2005], "employed": [7329.0, 1200.0],
                          "printed_share": [14.7, 5.0], "computed": [1 / 3, 2 / 3], "note": [None, "x"],
                          "in the source's words": ["g1 vokser", "g1"]})
    text = _text(table_html(frame, {"computed": 2}, "Widgets", Labels(DATA)))
    assert "Widget making" in text and "Technology, total" in text
    assert "7,329" in text and "7,329.0" not in text  # a count as an integer, thousands separated
    assert "2005" in text and "2,005" not in text     # a year without a separator
    assert "14.7" in text and re.search(r"\b5\b", text) and "5.00" not in text  # printed numbers as printed
    assert "0.33" in text and "0.333" not in text
    assert "industry id" in text and "industry_id" not in text and "printed share" in text
    assert "g1 vokser" in text  # the source's words stay as printed
    assert "nan" not in text and "None" not in text and not re.search(r"\.\d*0000", text)


def test_an_errata_id_unfolds_to_both_values_and_the_reason():
    out = erratum_html("E07", DATA["errata"])
    text = _text(out)
    assert "<details" in out and "E07" in text and "12" in text and "13" in text
    assert "lines 10-11" in text and "lines 40" in text and "the more precise print" in text
    table = table_html(pd.DataFrame({"printed": [12], "errata": ["E07"]}), errata=DATA["errata"])
    assert 'class="erratum"' in table


def test_a_long_table_shows_its_notable_rows_and_folds_the_rest():
    frame = pd.DataFrame({"argument": [f"argument {i}" for i in range(30)], "kind": ["phase"] * 30,
                          "verdict": ["supported"] * 28 + ["contradicted", "not testable"]})
    out = long_table_html(frame, labels=Labels(DATA))
    before, _, folded = out.partition("<details")
    assert "1 of 30 rows to note" in _text(before) and "argument 28" in _text(before)
    assert "argument 0" not in _text(before) and "argument 0" in _text(folded)
    assert "Arguments by kind and verdict" in _text(before)


def test_citation_names_each_locator_once():
    rows = pd.DataFrame({"doc": ["nibr-2005-11"] * 3, "source": ["§4.1; §4.3", "§4.1", "Tabell 4.2"]})
    assert citation(rows) == "Source: NIBR-rapport 2005:11, Tabell 4.2, §4.1, §4.3"


# ------------------------------------------------------------------------------------- reports

def _notebook(title: str, figures: int = 2) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["analysis"] = {"title": title}
    outs = [nbformat.v4.new_output("display_data", data={"text/markdown": "## What the source argues"})]
    outs += [nbformat.v4.new_output("display_data", data={"image/png": PNG},
                                    metadata={"analysis": {"caption": f"{title} figure {k}. Source: a test."}})
             for k in range(figures)]
    outs.append(nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>"},
                                       metadata={"analysis": {"table": "x--claims-x", "caption": ""}}))
    nb.cells = [nbformat.v4.new_code_cell("region = 'x'"), nbformat.v4.new_markdown_cell(f"# {title}\n\nIntro."),
                nbformat.v4.new_code_cell("show()", outputs=outs)]
    return nb


@pytest.fixture
def outputs(tmp_path) -> Path:
    out = tmp_path / "outputs"
    (out / "horten" / "tables").mkdir(parents=True)
    for name, title in (("history", "History"), ("production-system", "Production system")):
        nbformat.write(_notebook(title), out / "horten" / f"{name}.ipynb")
    pd.DataFrame({"argument": ["It grew.", "It ends well."], "kind": ["phase", "conclusion"],
                  "verdict": ["contradicted", "not testable"]}).to_csv(out / "horten" / "tables" / "history--claims-history.csv")
    findings = [{"id": "claim.a", "notebook": "history", "value": 0.0, "status": "no-published-value",
                 "description": "Claim tested against the printed data: It grew."},
                {"id": "published.b", "notebook": "history", "value": 3.0, "status": "match", "description": "b"}]
    (out / "horten" / "findings.json").write_text(json.dumps(findings))
    return out


def test_a_report_has_contents_unique_anchors_captions_and_key_findings(outputs):
    entries = report.build_reports(outputs_dir=outputs, explorer=False)
    soup = BeautifulSoup((outputs / "html" / "horten.html").read_text(encoding="utf-8"), "html.parser")
    ids = [t["id"] for t in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "duplicate anchors"
    links = [a["href"][1:] for a in soup.select("nav.toc a[href^='#']")]
    assert {"history", "production-system", "history--what-the-source-argues",
            "production-system--what-the-source-argues"} <= set(links)
    assert all(soup.find(id=link) for link in links)
    figures = soup.find_all("figure")
    assert len(figures) == 4 and all(f.find("figcaption").get_text().startswith(f"Figure {k + 1}.")
                                     for k, f in enumerate(figures))
    findings = " ".join(soup.select_one("section.key-findings").get_text(" ").split())
    assert "Contradicted by the printed numbers: It grew." in findings and "Conclusion: It ends well." in findings
    assert "1 printed number recomputed: 1 agrees." in findings
    assert entries[0]["chapters"][0]["contradicted"] == ["It grew."]


def test_a_report_whose_notebooks_are_gone_is_removed_and_nothing_else(outputs):
    report.build_reports(outputs_dir=outputs, explorer=False)
    html = outputs / "html"
    shutil.copytree(outputs / "horten", outputs / "kongsberg")
    report.build_reports(outputs_dir=outputs, explorer=False)
    (html / "notes.html").write_text("a reader's own file")
    shutil.rmtree(outputs / "kongsberg")
    report.build_reports(outputs_dir=outputs, explorer=False)
    assert sorted(p.name for p in html.glob("*.html")) == ["horten.html", "index.html", "notes.html"]


def test_the_index_gives_regions_by_chapters_with_a_key_finding(outputs):
    report.build_reports(outputs_dir=outputs, explorer=False)
    soup = BeautifulSoup((outputs / "html" / "index.html").read_text(encoding="utf-8"), "html.parser")
    table = soup.select_one("table.overview")
    assert [th.get_text() for th in table.select("thead th")] == ["Region", "History", "Production system"]
    cell = table.select("tbody td")[0]
    assert "0 of 1 tested arguments hold" in cell.get_text() and "Contradicted: It grew." in cell.get_text()
    assert cell.a["href"] == "horten.html#history"


# ------------------------------------------------------------------------------------- book

def test_a_chapter_has_no_code_and_one_numbered_caption_per_figure(tmp_path):
    nb, labels = book._chapter(_notebook("History"), "horten-history", tmp_path)
    assert all(c.cell_type == "markdown" for c in nb.cells)
    figures = [c.source for c in nb.cells if c.source.startswith("![")]
    assert len(figures) == 2 and all(re.fullmatch(r"!\[History figure \d\. Source: a test\.\]\(figures/"
                                                  r"fig-horten-history-\d\d\.png\)\{#fig-horten-history-\d\d\}", f)
                                     for f in figures)
    assert not any("fig-subcap" in c.source or "#|" in c.source for c in nb.cells)
    table = next(c.source for c in nb.cells if c.source.startswith(":::"))
    assert "{#tbl-horten-history-03}" in table and "each with its verdict" in table
    assert labels == ["fig-horten-history-01", "fig-horten-history-02", "tbl-horten-history-03"]
    assert len(list(tmp_path.glob("*.png"))) == 2  # figures shown without a file get one


def test_the_errata_appendix_is_in_id_order_with_every_column():
    text = book.errata_markdown()
    ids = re.findall(r"^\| \[(E\d+)\]", text, flags=re.M)
    assert ids and ids == sorted(ids, key=lambda e: int(e[1:]))
    header = next(line for line in text.splitlines() if line.startswith("| erratum"))
    assert "used" in header and "why" in header and "the other value" in header


def test_the_book_config_shows_no_code_and_prepares_its_chapters():
    cfg = book.book_config()
    assert cfg["execute"]["echo"] is False
    assert "code-fold" not in cfg["format"]["html"] and "code-fold" not in cfg["format"]["pdf"]
    assert (PROJ_ROOT / cfg["project"]["pre-render"]).exists()
    assert "book/explorer.qmd" in cfg["book"]["appendices"]


def test_plain_quarto_render_without_a_run_says_which_command_to_run(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != book.PREPARED_ENV}
    env["ANALYSIS_OUTPUTS"] = str(tmp_path / "empty")
    chapters = PROJ_ROOT / "book" / "chapters"
    before = sorted(chapters.rglob("*")) if chapters.exists() else None
    proc = subprocess.run([sys.executable, str(PROJ_ROOT / book.PRE_RENDER)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1
    assert "python3 project.py run" in proc.stderr and "missing" in proc.stderr
    assert (sorted(chapters.rglob("*")) if chapters.exists() else None) == before, "a refused prepare changed the book"


def test_a_list_under_a_line_of_text_stays_a_list_in_the_book():
    assert book._pandoc_lists("**Cluster**\n- one\n- two") == "**Cluster**\n\n- one\n- two"
    assert book._pandoc_lists("- one\n- two") == "- one\n- two"


def test_the_explorer_works_offline_and_lists_cited_values():
    from analysis import data as D
    from analysis.explorer import explorer_frame, explorer_html

    data = {name: D.load(name) for name in ("regions", "industries", "population", "errata")}
    frame = explorer_frame(data, with_text=False)
    population = D.load("population")
    assert frame["dataset"].nunique() == 1 and len(frame) >= population["population"].notna().sum()
    assert "Frøya" in set(frame["key"].str.split(" · ").str[0])  # keys with the names a reader knows
    assert frame["document"].str.len().gt(0).all() and frame["lines"].str.len().gt(0).all()
    page = explorer_html(frame.head(20))
    loads = re.findall(r"""(?:src=|<link[^>]*href=|from\s*)['"]?https?://[^'" >]+""", page)
    assert not loads and "unpkg.com" not in page, f"the explorer loads from the network: {loads[:3]}"
    assert 'id="data-explorer"' in page


def test_a_folded_list_stays_inside_its_fold():
    from analysis.sections.display import fold_html

    soup = BeautifulSoup(fold_html("Arguments (2)", "- one (*ord*; §4, line 3)\n- two & more"), "html.parser")
    details = soup.find("details")
    assert details.summary.get_text() == "Arguments (2)"
    assert [li.get_text() for li in details.select("ul > li")] == ["one (ord; §4, line 3)", "two & more"]
    assert details.find("em").get_text() == "ord"


def test_a_column_of_short_labels_beside_long_texts_keeps_its_words_whole():
    from analysis.sections.display import TABLE_CHARACTERS, _widths

    long = "a long argument of the report that runs over several lines of the table " * 3
    frame = pd.DataFrame({"aspect": ["production system", "policy needs"], **{t: [long, long] for t in "ABCD"}})
    widths = {c: float(w.rstrip("%")) for c, w in _widths(frame).items()}
    assert widths["aspect"] / 100 * TABLE_CHARACTERS >= len("production") + 2
    assert abs(sum(widths.values()) - 100) <= 2

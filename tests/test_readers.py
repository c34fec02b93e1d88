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


def test_a_table_without_a_caption_takes_its_heading_line_as_plain_text(tmp_path):
    nb = nbformat.v4.new_notebook()
    outs = [nbformat.v4.new_output("display_data", data={"text/markdown": "### Construction (*Bygg og anlegg*)\n\n"
                                                                           "The report's verdict: **not met**."}),
            nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>"},
                                   metadata={"analysis": {"table": "x--criteria", "caption": ""}})]
    nb.cells = [nbformat.v4.new_code_cell("show()", outputs=outs)]
    chapter, _ = book._chapter(nb, "x-production-system", tmp_path)
    table = next(c.source for c in chapter.cells if c.source.startswith(":::"))
    assert table.rstrip().endswith("Construction (Bygg og anlegg)\n\n:::") and "verdict" not in table


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


# ------------------------------------------------------------------------------------- numbers and printed values

from analysis.numerals import as_printed, number  # noqa: E402 - the section above is independent of it
from analysis.sections.display import by_period, describe_printed, join_citations, reading  # noqa: E402

SLUGGED_STATUS = re.compile(r"\b(?:not-computable|unprinted-base|source-inconsistent|not-testable)\b")
RAW_FLOAT = re.compile(r"\d\.\d{4,}")  # 'recomputed 5.40541': a float as the computer holds it
HYPHEN_MINUS = re.compile(r"(?<![\w.\-/'])-\d")  # '-64' where '−64' belongs


def test_numbers_read_with_a_true_minus_and_thousands_separators():
    assert number(-64) == "−64" and "-" not in number(-6.75, 1)
    assert number(1234.5, 1) == "1,234.5" and number(21286) == "21,286"
    assert number(643, sign=True) == "+643" and number(-643, sign=True) == "−643"
    assert number(-0.04, 1) == "0.0"  # nothing prints as a negative zero
    assert number(None) == number(float("nan")) == "–"
    assert as_printed(14.7) == "14.7" and as_printed(-2372.0) == "−2,372" and as_printed(0.5) == "0.5"
    assert reading("change 1997-2005 of -6.8 (67 established - 49 closed), 77 -> 64") == \
        "change 1997–2005 of −6.8 (67 established − 49 closed), 77 → 64"
    assert reading("size class 10-29, lines 2816-2836, g-3") == "size class 10-29, lines 2816-2836, g-3"  # no periods


def test_a_printed_value_is_described_by_its_table_area_and_industry_not_by_ids():
    row = {"description": "Tab v.6 'Nettotilgang' testtown g1", "area": "testtown", "industry_id": "g1",
           "measure": "difference", "period": "1998-2005", "source": "Tabell v.6"}
    assert describe_printed(row, Labels(DATA)) == ("Tabell v.6, Testtown, widget making: net change in firms, "
                                                   "1998–2005 (the source's column «Nettotilgang»)")
    row = {"description": "Tab 3.4 tech-total: absolute change in employment 1997-2005", "area": "testtown",
           "industry_id": "tech-total", "measure": "abs-change", "period": "1997-2005", "source": "Tabell 3.4"}
    assert describe_printed(row, Labels(DATA)) == "Tabell 3.4, Testtown, technology, total: absolute change in " \
                                                  "employment 1997–2005"
    # a text that names no period gets it, so rows of different years do not read the same
    row = {"description": "Exports as % of turnover", "area": "testtown", "industry_id": None, "measure": "share-pct",
           "period": "1991", "source": "Tabell 5.2"}
    assert describe_printed(row, Labels(DATA)) == "Exports as % of turnover, 1991"


def test_a_formula_in_an_erratum_reads_as_the_cells_it_reads():
    labels = Labels(DATA)
    value = ("-14 (recomputed from the printed cells: (employment[testtown,g1,2005] + employment[testtown,tech-total,"
             "2005]) - (employment[testtown,g1,1997] + employment[testtown,tech-total,1997]))")
    assert labels.text(value) == ("-14 (recomputed from the printed cells: employment (Testtown; Widget making, "
                                  "Technology, total; 1997, 2005))")
    errata = DATA["errata"].assign(value_b=[value])
    text = _text(erratum_html("E07", errata, labels))
    assert "[" not in text and "employment (Testtown; Widget making" in text and "«−14" in text


def test_a_long_table_of_years_becomes_one_row_per_series():
    frame = pd.DataFrame({"subject": ["A", "A", "B", "C", "C"], "measure": ["jobs"] * 5,
                          "year": ["1996", "2001", "2000", "2001", "2001"], "value": ["2", "20", "5", "1", "2"],
                          "source": ["§7.2, lines 1–2", "§7.2, line 9", "§7.3, line 4", "§7.4, line 5", "§7.4, line 6"]})
    wide, rest = by_period(frame, ["subject", "measure"], "year", "value", cite="source")
    assert wide.to_dict("records") == [{"subject": "A", "measure": "jobs", "1996": "2", "2001": "20",
                                        "source": "§7.2, lines 1–2, 9"}]
    assert list(rest["subject"]) == ["B", "C", "C"]  # one year only, or two values in one year: no series
    wide, rest = by_period(frame, ["subject", "measure"], "year", "value", max_periods=1)
    assert wide.empty and len(rest) == len(frame)
    assert join_citations(["§6.2, line 7012", "x"]) == "§6.2, line 7012; x"


def test_no_column_gets_a_negative_width_however_many_there_are():
    from analysis.sections.display import _widths

    frame = pd.DataFrame({f"profitability {k}": ["+", "(+)"] for k in range(12)} | {"source": ["Figur 8.1, " * 8] * 2})
    widths = [float(w.rstrip("%")) for w in _widths(frame).values()]
    assert widths and min(widths) > 0 and abs(sum(widths) - 100) <= len(widths)


def test_numbers_written_out_per_row_are_aligned_as_numbers():
    out = table_html(pd.DataFrame({"printed": ["2,372", "−6.8", ""], "what": ["a", "b", "c"]}))
    soup = BeautifulSoup(out, "html.parser")
    cells = [td for td in soup.find_all("td") if td.get_text(strip=True) in ("2,372", "−6.8")]
    assert len(cells) == 2 and all("gt_right" in td.get("class", []) for td in cells)


def _ids_of_the_data(data) -> re.Pattern:
    """Ids a reader must not see: regions and industries with a hyphen or digit, printed values' ids, codes."""
    ids = {i for name, col in (("regions", "region_id"), ("industries", "industry_id"), ("published_values", "pv_id"))
           for i in data[name][col].astype(str) if re.search(r"[-_0-9]", i) and re.search(r"[a-z]", i)}
    words = "|".join(sorted(map(re.escape, ids), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{words}|g[1-7]|lt10|gt100)(?![\w-])|\b[a-z]+_[a-z0-9_]+\b|\b[a-z_]+\[[^\]]+\]")


def test_every_printed_value_and_its_check_read_without_ids_raw_floats_or_hyphens():
    """On the cited data: what the reproduction tables show for each printed value."""
    from analysis import data as D
    from analysis.reproduce import reproduce_all

    data = D.load_all()
    labels, leaks = Labels(data), _ids_of_the_data(data)
    described = [describe_printed(r, labels) for r in data["published_values"].to_dict("records")]
    leaked = [(d, m.group(0)) for d in described if (m := leaks.search(d))]
    assert not leaked, f"{len(leaked)} descriptions show ids, e.g. {leaked[:3]}"
    assert not [d for d in described if HYPHEN_MINUS.search(d)]
    details = [r.detail for r in reproduce_all(data) if r.status != "not-computable"]
    assert details and not [d for d in details if RAW_FLOAT.search(d) or HYPHEN_MINUS.search(d)]
    assert not [d for d in details if re.search(r"\binf\b|\[", d)]

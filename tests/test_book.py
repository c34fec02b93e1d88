"""The book's sources, checked without Quarto: config, chapter list, references, citations."""

from __future__ import annotations

import re

import yaml

from analysis import book
from analysis.config import PROJ_ROOT
from analysis.data.regions import case_regions


def test_quarto_yml_is_generated_from_the_registry():
    assert book.QUARTO_YML.read_text(encoding="utf-8") == book.config_text(), \
        "_quarto.yml drifted from data/regions.csv: run `python -m analysis book --write-config`"


def test_quarto_yml_is_a_valid_book_project():
    cfg = yaml.safe_load(book.QUARTO_YML.read_text(encoding="utf-8"))
    assert cfg["project"]["type"] == "book"
    assert cfg["execute"]["enabled"] is False
    assert cfg["execute"]["echo"] is False and "code-fold" not in cfg["format"]["html"]  # no code, folded or not
    chapters = cfg["book"]["chapters"]
    assert chapters[0] == "index.qmd"
    parts = [c["part"] for c in chapters if isinstance(c, dict)]
    assert parts[0] == "National context" and parts[-1] == "Across regions"
    assert parts[1:-1] == [r.name for r in case_regions()]
    for item in chapters:
        if isinstance(item, dict):
            assert set(item) == {"part", "chapters"} and item["chapters"]
    assert (PROJ_ROOT / cfg["bibliography"]).exists()


def test_static_book_files_exist():
    for rel in book.chapter_files():
        if not rel.startswith("book/chapters/"):
            assert (PROJ_ROOT / rel).exists(), rel


def _qmd_texts() -> dict[str, str]:
    files = [PROJ_ROOT / "index.qmd", *sorted((PROJ_ROOT / "book").glob("*.qmd"))]
    return {str(p.relative_to(PROJ_ROOT)): p.read_text(encoding="utf-8") for p in files}


def test_every_citation_key_is_in_the_bibliography():
    bib = (PROJ_ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    for name, text in _qmd_texts().items():
        cited = set(re.findall(r"@([a-z][a-z0-9]+[0-9]{4}[a-z]*)", text))
        if name in ("index.qmd", "book/sources-and-methods.qmd"):
            assert cited, f"{name} cites nothing"
        assert cited <= keys, f"{name} cites unknown keys {cited - keys}"


def test_every_section_reference_has_its_label():
    texts = _qmd_texts()
    labels = set()
    for text in texts.values():
        labels |= set(re.findall(r"\{#(sec-[a-z0-9-]+)", text))
    labels |= {f"sec-data-{n.replace('_', '-')}" for n in __import__("analysis.data", fromlist=["x"]).dataset_names()}
    for name, text in texts.items():
        for ref in re.findall(r"@(sec-[a-z0-9-]+)", text):
            assert ref in labels, f"{name}: @{ref} has no label"


def test_new_region_as_the_readme_says_leaves_the_book_config_and_the_readme_current(tmp_path):
    """In a copy of the repository: `new-region …`, then this file's and the README's checks pass without
    `book --write-config` or `check-data --write-readme`."""
    import os
    import shutil
    import subprocess
    import sys

    from analysis import config

    copy = tmp_path / "repo"
    for rel in ("analysis", "data", "notebooks", "book", "tests"):
        shutil.copytree(PROJ_ROOT / rel, copy / rel, ignore=shutil.ignore_patterns(
            "__pycache__", ".validated", "templates", "external", "chapters"))
    for rel in ("_quarto.yml", "README.md", "index.qmd", "pyproject.toml"):
        shutil.copy2(PROJ_ROOT / rel, copy / rel)
    env = {**os.environ, "PYTHONPATH": str(copy), "ANALYSIS_SEEDS": str(config.seeds_dir())}
    env.pop("ANALYSIS_DATA", None)
    added = subprocess.run([sys.executable, "-m", "analysis", "new-region", "horten-today", "--name", "Horten today",
                            "--municipality", "3901"], cwd=copy, env=env, capture_output=True, text=True, timeout=300,
                           check=False)
    assert added.returncode == 0, added.stderr
    assert "added its chapters to the book" in added.stdout
    checks = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_book.py",
                             "tests/test_data.py::test_the_readme_data_summary_is_generated_from_the_data",
                             "-k", "not new_region_as_the_readme"],
                            cwd=copy, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert checks.returncode == 0, checks.stdout[-3000:]
    assert "Horten today" in (copy / "_quarto.yml").read_text(encoding="utf-8")

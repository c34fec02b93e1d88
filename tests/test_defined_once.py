"""Things defined in one place: the notebook list, the key packages, the slug rule."""

from __future__ import annotations

import ast

import pytest

from analysis import book, names, verify
from analysis.config import PROJ_ROOT
from analysis.data.regions import case_regions, get_region
from analysis.errors import InputError
from analysis.pipeline import KEY_PACKAGES, Project, cross_region_notebooks, discover_notebooks, plan, region_notebooks
from analysis.pipeline.cache import versions

SOURCES = sorted((PROJ_ROOT / "analysis").rglob("*.py")) + sorted((PROJ_ROOT / "tests").glob("*.py"))


def test_the_notebooks_and_their_order_come_from_their_metadata():
    found = discover_notebooks()
    assert region_notebooks() == ["history", "production-system", "innovation-sources", "innovation-barriers"]
    assert cross_region_notebooks() == ["comparison", "national-context", "short-cases"]
    assert [nb.order for nb in found.values()] == sorted(nb.order for nb in found.values())
    chapters = book.book_config()["book"]["chapters"]
    region_parts = [p for p in chapters if isinstance(p, dict) and p["part"] in {r.name for r in case_regions()}]
    for part in region_parts:
        assert [c.rsplit("/", 1)[1].removesuffix(".ipynb") for c in part["chapters"]] == region_notebooks()


def test_no_module_or_test_spells_out_the_list_of_notebooks():
    spelled, notebooks = [], set(region_notebooks())
    for path in SOURCES:
        if path.name == "test_defined_once.py":
            continue  # the expectation above
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                values = {n.value for n in node.elts if isinstance(n, ast.Constant)}
                if values >= notebooks:
                    spelled.append(f"{path.relative_to(PROJ_ROOT)}:{node.lineno}")
    assert spelled == [], "lists of the notebooks: use analysis.pipeline.region_notebooks()"


def test_one_list_of_packages_for_the_cache_key_and_the_recorded_environment():
    assert {"pandas", "numpy", "scipy", "statsmodels", "frictionless", "matplotlib", "seaborn"} <= set(KEY_PACKAGES)
    assert list(verify.environment()["packages"]) == list(KEY_PACKAGES)
    assert set(versions()) == {"python", *KEY_PACKAGES}
    assert "absent" not in versions().values(), "a key package is misspelt or not installed"


def test_one_slug_rule_for_regions_notebooks_and_new_regions(tmp_path):
    with pytest.raises(InputError) as expected:
        names.check_slug("../x")
    project = Project(notebooks_dir=PROJ_ROOT / "notebooks", outputs_dir=tmp_path, regions={"alpha": ()},
                      fingerprint=lambda ids: "fp", validate=list)
    with pytest.raises(InputError) as from_plan:
        plan(project, regions=["../x"])
    with pytest.raises(InputError) as from_registry:
        get_region("../x")
    assert str(from_plan.value) == str(from_registry.value) == str(expected.value)
    assert names.slugify("Tabell v.3") == "tabell-v-3" and names.slugify("§4.2") == "4-2"


def test_no_other_module_defines_a_slug_pattern():
    own = {PROJ_ROOT / "analysis" / "names.py"}
    for path in sorted((PROJ_ROOT / "analysis").rglob("*.py")):
        if path not in own:
            text = path.read_text(encoding="utf-8")
            assert "[a-z0-9-]" not in text and "A-Za-z0-9._-" not in text, path

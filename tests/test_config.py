"""Configuration is read when a function runs, never frozen when a module is imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analysis import config
from analysis.config import PROJ_ROOT

MODULES = sorted((PROJ_ROOT / "analysis").rglob("*.py"))


def test_folders_follow_the_environment_of_the_moment(monkeypatch, tmp_path):
    for function, variable in ((config.data_dir, "ANALYSIS_DATA"), (config.notebooks_dir, "ANALYSIS_NOTEBOOKS"),
                               (config.outputs_dir, "ANALYSIS_OUTPUTS"), (config.seeds_dir, "ANALYSIS_SEEDS")):
        monkeypatch.setenv(variable, str(tmp_path / variable))
        assert function() == tmp_path / variable
        monkeypatch.delenv(variable)
        assert function() != tmp_path / variable
        monkeypatch.setenv(variable, "")  # empty means unset, not the current directory
        assert function() != Path("")
    monkeypatch.setenv("ANALYSIS_DATA", str(tmp_path / "d"))
    assert config.datapackage() == tmp_path / "d" / "datapackage.json"
    assert config.external_dir() == tmp_path / "d" / "external"


def test_a_data_folder_set_after_import_is_the_one_loaded(monkeypatch, tmp_path):
    from analysis import data as D
    from analysis.data.regions import case_regions

    copy = tmp_path / "data"
    copy.mkdir()
    (copy / "regions.csv").write_text((config.data_dir() / "regions.csv").read_text(encoding="utf-8")
                                      .replace("Horten", "Horten (copy)"), encoding="utf-8")
    monkeypatch.setenv("ANALYSIS_DATA", str(copy))
    assert case_regions()[0].name == "Horten (copy)"
    with pytest.raises(D.DataError, match=str(copy / "datapackage.json")):  # the copy has no declaration
        D.validate_package()
    monkeypatch.delenv("ANALYSIS_DATA")
    assert case_regions()[0].name == "Horten"


def _environment_reads(node: ast.AST) -> list[ast.AST]:
    """os.environ[...], os.environ.get(...), os.getenv(...) and calls of analysis.config's folder functions."""
    found = []
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and n.attr in ("environ", "getenv") and getattr(n.value, "id", None) == "os":
            found.append(n)
        elif isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name.endswith("_dir") or name == "datapackage":
                found.append(n)
    return found


def test_no_module_level_value_comes_from_the_environment():
    bad = []
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                targets = stmt.decorator_list  # run at import; the body does not
            elif isinstance(stmt, ast.ClassDef):  # the class body runs at import, its methods do not
                targets = stmt.decorator_list + [s for s in stmt.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
            else:
                targets = [stmt]
            for t in targets:
                bad += [f"{path.relative_to(PROJ_ROOT)}:{n.lineno}" for n in _environment_reads(t)
                        if not _inside_default_factory(t, n)]
    assert not bad, "read at import time: " + ", ".join(bad)


def _inside_default_factory(tree: ast.AST, target: ast.AST) -> bool:
    """``field(default_factory=config.outputs_dir)`` is called per instance, not at import."""
    for n in ast.walk(tree):
        if isinstance(n, ast.keyword) and n.arg == "default_factory" and any(m is target for m in ast.walk(n.value)):
            return True
    return False


def test_no_default_argument_is_computed_at_import():
    """``def f(path=DATA_DIR / "x")`` freezes the folder when the module is imported; defaults are None instead."""
    bad = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for default in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
                    if any(isinstance(n, (ast.Call, ast.BinOp)) for n in ast.walk(default)):
                        bad.append(f"{path.relative_to(PROJ_ROOT)}:{default.lineno}")
    assert not bad, "defaults computed at import: " + ", ".join(bad)


def test_nothing_changes_the_umask():
    for path in MODULES:
        assert "os.umask(" not in path.read_text(encoding="utf-8"), path

"""new-region: a user-added region in a temporary copy of data/ (the real registry is never touched)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import config
from analysis import data as D
from analysis.config import PROJ_ROOT
from analysis.data.newregion import add_region
from analysis.data.regions import get_region
from analysis.errors import RegistryError
from analysis.pipeline import region_notebooks


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(config.data_dir(), dst, ignore=shutil.ignore_patterns(".validated", "templates", "external"))
    return dst


def _snapshot(data_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data_dir)): p.read_bytes() for p in sorted(data_dir.rglob("*"))
            if p.is_file() and p.name != ".validated"}


@pytest.mark.parametrize("region_id", ["Moss", "1moss", "m", "moss_town", "moss town", "-moss"])
def test_invalid_id_is_refused(data_dir, region_id):
    before = _snapshot(data_dir)
    with pytest.raises(RegistryError, match="not a plain slug"):
        add_region(region_id, "Moss", ["3901"], data_dir=data_dir)
    assert _snapshot(data_dir) == before


@pytest.mark.parametrize("numbers,expect", [
    (["701"], "malformed municipality number '701'"),
    (["39011"], "malformed municipality number '39011'"),
    (["39O1"], "malformed"),
    (["9999"], (r"unknown municipality 9999; the correspondence table .*municipality_numbers\.csv knows \d+ "
                "municipality numbers; add it there with its KLASS 131 citation")),
    (["3901", "3901"], "given twice"),
    (["0701", "3901"], "not valid in the same year"),
    ([], "at least one municipality number"),
])
def test_bad_municipality_numbers_are_refused(data_dir, numbers, expect):
    before = _snapshot(data_dir)
    with pytest.raises(RegistryError, match=expect):
        add_region("moss", "Moss", numbers, data_dir=data_dir)
    assert _snapshot(data_dir) == before


def test_duplicate_region_is_refused(data_dir):
    with pytest.raises(RegistryError, match="'horten' is already in regions.csv"):
        add_region("horten", "Horten again", ["3901"], data_dir=data_dir)
    add_region("horten-2024", "Horten (2024)", ["3901"], data_dir=data_dir)
    before = _snapshot(data_dir)
    with pytest.raises(RegistryError, match="already in"):
        add_region("horten-2024", "Horten (2024)", ["3901"], data_dir=data_dir)
    assert _snapshot(data_dir) == before


def test_added_region_is_schema_valid_with_templates(data_dir):
    added = add_region("horten-2024", "Horten (2024)", ["3901"], data_dir=data_dir, today="2030-01-01")
    assert D.validate_package(data_dir / "datapackage.json") == []
    reg = get_region("horten-2024", path=data_dir / "regions.csv")
    assert reg.case and not any(reg.sections.values()), "a new region has no data, so every has_* flag is false"
    with open(data_dir / "regions.csv", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["region_id"] == "horten-2024")
    assert (row["doc"], row["documents"], row["municipality_numbers"], row["municipality_vintage"]) == (
        "user-registry", "user-registry", "3901", "2024")
    # the citation: the lines of the correspondence table that define the numbers
    lines = (data_dir / "correspondence" / "municipality_numbers.csv").read_text(encoding="utf-8").splitlines()
    assert all(lines[int(n) - 1].startswith("3901,") for n in row["lines"].split(";"))
    # templates: header-only files with the schema's columns, for every region-keyed dataset, and a README
    desc = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    keyed = [r for r in desc["resources"] if any(fk["reference"]["resource"] == "regions"
                                                  for fk in r["schema"].get("foreignKeys", []))]
    assert {p.name for p in added.templates.glob("*.csv")} == {r["path"] for r in keyed}
    for res in keyed:
        with open(added.templates / res["path"], encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert rows == [[f["name"] for f in res["schema"]["fields"]]], res["path"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(added.templates.stat().st_mode) == 0o777 & ~umask, "an ordinary folder, not mkdtemp's 0700"
    readme = (added.templates / "README.md").read_text(encoding="utf-8")
    assert "fetch-ssb --region horten-2024" in readme and "has_history" in readme
    # no data row was added to any dataset
    assert all(not (data_dir / r["path"]).read_text(encoding="utf-8").count("horten-2024") for r in keyed)


def test_repository_data_checks_pass_with_a_user_region(data_dir, monkeypatch):
    """The repository's own data tests, run against the copy with a user-added region in it.

    In this process: the data folder is read when a function is called (ANALYSIS_DATA), not
    when analysis was imported.
    """
    import test_data

    add_region("nedre-glomma-2024", "Nedre Glomma (2024)", ["3107", "3105", "3110"], data_dir=data_dir)
    monkeypatch.setenv("ANALYSIS_DATA", str(data_dir))
    datasets = D.load_all()
    assert "nedre-glomma-2024" in set(datasets["regions"]["region_id"])
    test_data.test_package_validates()
    test_data.test_registry_flags_match_data(datasets)
    test_data.test_every_case_region_has_documents(datasets)
    if test_data.seeds_available() or os.environ.get("CI"):
        test_data.test_every_cited_value_is_on_its_lines(datasets)


def test_user_region_cites_lines_that_define_its_numbers(data_dir):
    from analysis.data.sources import check_frame

    add_region("halden-2024", "Halden (2024)", ["3101"], data_dir=data_dir)
    regions = D.load("regions", data_dir / "datapackage.json")
    user = regions[regions["region_id"] == "halden-2024"]  # the registry may hold other user regions
    checks = check_frame("regions", user, D.fields("regions", data_dir / "datapackage.json"))
    assert [(c.value, c.ok) for c in checks] == [("3101", True)]
    wrong = user.assign(lines="2")  # line 2 defines 0101, not 3101
    assert [c.ok for c in check_frame("regions", wrong, D.fields("regions", data_dir / "datapackage.json"))] == [False]


def test_registry_is_untouched_when_the_write_fails(data_dir, monkeypatch):
    before = _snapshot(data_dir)
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst).name == "regions.csv":
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(RegistryError, match="could not write .*regions.csv.*nothing was changed"):
        add_region("moss-2024", "Moss", ["3901"], data_dir=data_dir)
    assert _snapshot(data_dir) == before, "registry, templates or a temporary file was left behind"
    assert not (data_dir / "templates" / "moss-2024").exists()


def test_invalid_row_is_caught_by_the_schema_before_writing(data_dir):
    before = _snapshot(data_dir)
    with pytest.raises(RegistryError, match="would be invalid.*kind"):
        add_region("moss-2024", "Moss", ["3901"], data_dir=data_dir, kind="planet")
    assert _snapshot(data_dir) == before


def test_command_line_errors_are_one_line(data_dir, capsys):
    proc = subprocess.run([sys.executable, "-m", "analysis", "new-region", "horten", "--name", "Horten",
                           "--municipality", "3901", "--data-dir", str(data_dir)], cwd=PROJ_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: region 'horten' is already in regions.csv; choose another id"]
    from analysis.cli import main  # the same command in this process: no second interpreter start

    assert main(["new-region", "horten-2024", "--name", "Horten (2024)", "--municipality", "3901",
                 "--data-dir", str(data_dir)]) == 0
    assert "added horten-2024" in capsys.readouterr().out


def _texts(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    return json.dumps([o.get("data", o.get("text", "")) for c in nb.cells for o in c.get("outputs", [])],
                      ensure_ascii=False)


@pytest.mark.notebooks
def test_new_region_runs_through_every_notebook_and_report(data_dir, tmp_path):
    """The minutes-long path of a new user: add a region, (fetch register data), run, report."""
    sys.path.insert(0, str(Path(__file__).parent))
    import threading
    from http.server import ThreadingHTTPServer

    from test_ssb import Handler, fixture_value  # the local PxWebApi v2 server of test_ssb

    from analysis.data import ssb

    add_region("halden-2024", "Halden (2024)", ["3101"], data_dir=data_dir)
    add_region("hvaler-2024", "Hvaler (2024)", ["3110"], data_dir=data_dir)
    # register data for one of them, from the local fixture server

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Handler.mode, Handler.calls = "ok", []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        ssb.fetch_region("halden-2024", (2019, 2024), data_dir=data_dir,
                         url=f"http://127.0.0.1:{httpd.server_address[1]}/api/v2")
    finally:
        httpd.shutdown()
        httpd.server_close()
    outputs = tmp_path / "outputs"
    env = {**os.environ, "ANALYSIS_DATA": str(data_dir), "ANALYSIS_OUTPUTS": str(outputs)}
    run = subprocess.run([sys.executable, "-m", "analysis", "run", "--region", "halden-2024", "--region", "hvaler-2024",
                          "--jobs", "2"], cwd=PROJ_ROOT, env=env, capture_output=True, text=True, timeout=900,
                         check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for rid in ("halden-2024", "hvaler-2024"):
        for nb in region_notebooks():
            text = _texts(outputs / rid / f"{nb}.ipynb")
            has_register_data = rid == "halden-2024" and nb == "production-system"
            assert ("no material on its" in text) != has_register_data, \
                f"{rid}/{nb}: a chapter without data must say so once, one with data must not"
    assert "No Statistics Norway register data have been fetched for Hvaler (2024)" in _texts(
        outputs / "hvaler-2024" / "production-system.ipynb")
    halden = _texts(outputs / "halden-2024" / "production-system.ipynb")
    assert "SN2007 (NACE Rev. 2)" in halden and "ssb-employment" in "".join(
        p.name for p in (outputs / "halden-2024" / "figures").glob("*"))
    shown = pd.read_csv(next((outputs / "halden-2024" / "tables").glob("*ssb-employment-by-class*.csv")),
                        index_col="class")
    for year, number in (("2019", "0101"), ("2020", "3001"), ("2024", "3101")):  # continuous over two renumberings
        tech = sum(fixture_value("07984", {"Tid": year, "Region": number, "NACE2007": n}) for n in ("21", "26", "62"))
        assert shown.loc["technology industries", year] == tech
    report = subprocess.run([sys.executable, "-m", "analysis", "report"], cwd=PROJ_ROOT, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert report.returncode == 0, report.stdout + report.stderr
    html = (outputs / "html" / "halden-2024.html").read_text(encoding="utf-8")
    assert "Halden (2024)" in html and "Statistics Norway register data" in html


def test_correspondence_table_covers_the_registry_and_is_consistent():
    from analysis.data.correspondence import chain, load_table

    table = load_table()
    with open(config.data_dir() / "regions.csv", encoding="utf-8") as fh:
        used = {n for r in csv.DictReader(fh) for n in r["municipality_numbers"].split(";") if n}
    assert used <= set(table), f"registry numbers missing from the correspondence table: {used - set(table)}"
    for m in table.values():
        if m.successor:
            nxt = table[m.successor]
            assert m.valid_to is not None and nxt.valid_from == m.valid_to + 1, (m.number, nxt.number)
    # a renumbering continues a series, a merger breaks it, and later mergers do not leak in
    assert chain("0701", table) == {"0701": True, "3801": True, "3901": True}
    assert chain("0706", table) == {"0706": True, "0710": False, "3804": False, "3907": False}
    assert chain("3907", table)["0719"] is False and chain("3907", table)["3804"] is True

"""The command line: one place turns every AnalysisError into one line and exit status 2."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import cli, errors
from analysis.cli.registry import COMMANDS, command
from analysis.config import PROJ_ROOT


def test_every_command_is_registered_in_help_order():
    assert list(COMMANDS) == ["run", "list", "setup-kernel", "report", "book", "verify", "where", "check-data",
                              "new-region", "fetch-ssb"]


@pytest.mark.parametrize("argv, message", [
    (["where", "employment", "atlantis"], "no row of employment with {'area': 'atlantis'}"),
    (["where", "no-such-dataset"], "unknown dataset 'no-such-dataset'"),
    (["run", "--region", "../x"], "region id '../x' is not a plain slug"),
    (["new-region", "Moss", "--name", "Moss", "--municipality", "3901"], "'Moss' is not a plain slug"),
    (["fetch-ssb", "--region", "halden", "--from", "2024", "--to", "2019"], "--from 2024 is after --to 2019"),
])
def test_an_analysis_error_is_one_line_on_stderr_and_status_2(argv, message, capsys, tmp_path):
    argv = argv + (["--outputs-dir", str(tmp_path / "outputs")] if argv[0] == "run" else [])
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "outputs").exists()


def test_a_multi_line_message_is_printed_on_one_line(capsys):
    @command("fails-for-the-test", "raises a multi-line AnalysisError")
    def _fails(args):
        raise errors.DataError("data package is invalid (2 errors):\n  first\n  second")

    try:
        assert cli.main(["fails-for-the-test"]) == 2
    finally:
        COMMANDS.pop("fails-for-the-test")
    assert capsys.readouterr().err == "error: data package is invalid (2 errors): first second\n"


def test_anything_else_is_a_bug_and_keeps_its_traceback():
    @command("crashes-for-the-test", "raises a ZeroDivisionError")
    def _crashes(args):
        return 1 / 0

    try:
        with pytest.raises(ZeroDivisionError):
            cli.main(["crashes-for-the-test"])
    finally:
        COMMANDS.pop("crashes-for-the-test")


def test_handlers_do_not_catch_and_rethrow():
    """The one except clause a handler may have: book --if-available turns a missing Quarto into a note."""
    caught = []
    for path in sorted((PROJ_ROOT / "analysis" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and path.name != "__init__.py":
                caught.append((path.name, ast.unparse(node.type) if node.type else "everything"))
    assert caught == [("publish.py", "QuartoMissing")]


def test_the_methods_errors_are_analysis_errors_and_keep_their_builtin_bases():
    for cls, builtin in ((errors.UndefinedIndicator, ZeroDivisionError), (errors.MissingKey, KeyError),
                         (errors.NotComputable, ValueError), (errors.InsufficientData, ValueError),
                         (errors.FigureError, ValueError), (errors.InputError, ValueError),
                         (errors.MissingOutputs, FileNotFoundError)):
        assert issubclass(cls, errors.AnalysisError) and issubclass(cls, builtin), cls
    from analysis import indicators, plots, reproduce, survey

    assert indicators.UndefinedIndicator is errors.UndefinedIndicator and indicators.MissingKey is errors.MissingKey
    assert survey.InsufficientData is errors.InsufficientData and reproduce.NotComputable is errors.NotComputable
    assert plots.FigureError is errors.FigureError
    assert str(errors.MissingKey("'y' in 2005")) == "'y' in 2005"  # not quoted again, as KeyError would


def test_python_dash_m_and_the_installed_script_run_the_same_main(tmp_path):
    script = Path(sys.executable).parent / "tech-towns"
    for argv in ([sys.executable, "-m", "analysis"], [str(script)]):
        done = subprocess.run([*argv, "where", "employment", "atlantis"], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120, check=False)
        assert done.returncode == 2, (argv, done.stderr)
        assert done.stderr.startswith("error: no row of employment") and done.stderr.count("\n") == 1


def test_setup_kernel_is_idempotent():
    """A second setup-kernel finds the spec the first one installed and changes nothing."""
    from jupyter_client.kernelspec import KernelSpecManager

    first = subprocess.run([sys.executable, "-m", "analysis", "setup-kernel"], capture_output=True, text=True,
                           timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    spec = KernelSpecManager().get_kernel_spec("tech-towns")
    kernel_json = Path(spec.resource_dir) / "kernel.json"
    before = (kernel_json.read_bytes(), kernel_json.stat().st_mtime_ns)
    assert json.loads(before[0])["argv"][0] == sys.executable
    second = subprocess.run([sys.executable, "-m", "analysis", "setup-kernel"], capture_output=True, text=True,
                            timeout=120, check=False)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("kernel 'tech-towns' already installed")
    assert (kernel_json.read_bytes(), kernel_json.stat().st_mtime_ns) == before


@pytest.mark.parametrize("argv, says", [
    (["run", "--region", "norway"], ["'norway' is a reference area, not a case region (the region notebooks run "
                                     "for case regions); valid regions: horten, kongsberg, raufoss, halden"]),
    (["run", "--region", "gamvik"], ["'gamvik' is a short example", "short-cases notebook; valid regions: horten"]),
    (["run", "--notebook", "comparison", "-p", "colour=red"], ["unknown parameter 'colour'", "(comparison)",
                                                               "take only region or regions and output_dir"]),
    (["run", "-p", "output_dir=elsewhere"], ["'output_dir' is set by the pipeline", "ANALYSIS_OUTPUTS"]),
])
def test_run_says_what_it_refuses_and_what_it_would_take(argv, says, capsys, tmp_path):
    assert cli.main([*argv, "--outputs-dir", str(tmp_path / "outputs")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for text in says:
        assert text in err
    assert not (tmp_path / "outputs").exists()


def _help_texts() -> dict[str, str]:
    texts = {}
    for argv in (["--help"], *([name, "--help"] for name in COMMANDS)):
        done = subprocess.run([sys.executable, "-m", "analysis", *argv], capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, (argv, done.stderr)
        texts[" ".join(argv)] = done.stdout
    return texts


def test_help_texts_have_no_restructuredtext_markup():
    for argv, text in _help_texts().items():
        for markup in ("``", ":mod:", ":func:", ":class:", ":data:", "~analysis."):
            assert markup not in text, (argv, markup)


def test_version_is_the_installed_distributions():
    from importlib import metadata

    dist = metadata.packages_distributions()["analysis"][0]
    done = subprocess.run([sys.executable, "-m", "analysis", "--version"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0 and done.stdout == f"python -m analysis ({dist} {metadata.version(dist)})\n"


@pytest.mark.parametrize("argv", [["list"], ["where", "employment"], ["where", "employment", "horten", "g3", "2005"],
                                  ["--help"]])
def test_a_reader_that_goes_away_gets_no_traceback(argv):
    """`python -m analysis list | head -3`: the pipe closes before (or while) the command writes."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as in a terminal's pipe
    proc = subprocess.Popen([sys.executable, "-m", "analysis", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert err == "", err


def test_list_says_which_regions_get_which_notebooks(capsys):
    from analysis.data.regions import all_regions, case_regions, short_examples

    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    case, short = [r.region_id for r in case_regions()], [r.region_id for r in short_examples()]
    assert lines[1] == f"  {len(case)} case regions get the region notebooks (run --region R): {', '.join(case)}"
    assert lines[2].startswith(f"  {len(short)} short examples are shown together in the cross-region short-cases")
    assert lines[2].endswith(", ".join(short))
    assert lines[3].startswith(f"  {len(all_regions()) - len(case) - len(short)} reference areas")
    assert "get no notebooks of their own" in lines[3]
    rows = {line.split()[0]: line.split()[1] for line in lines[6:] if line.startswith("  ") and len(line.split()) > 2
            and line.split()[0] in {r.region_id for r in all_regions()}}
    assert rows["norway"] == "reference" and rows["gamvik"] == "short-example" and rows["horten"] == "case"


def test_check_data_without_the_source_documents_says_the_line_check_was_not_run(capsys, monkeypatch, tmp_path):
    from analysis.data.documents import DOCUMENTS

    monkeypatch.setenv("ANALYSIS_SEEDS", str(tmp_path / "no-seeds"))
    assert cli.main(["check-data"]) == 1
    err = capsys.readouterr().err.splitlines()[-1]  # after the progress lines, one line says what was not done
    assert err.startswith("the line check was not run: 5 of the 5 source documents are not in ")
    assert all(d.file in err for d in DOCUMENTS) and "README.md" in err

    readme = (PROJ_ROOT / "README.md").read_bytes()
    assert cli.main(["check-data", "--write-readme"]) == 2  # a summary saying "0 of 0" would replace the real one
    assert "--write-readme needs the line check" in capsys.readouterr().err
    assert (PROJ_ROOT / "README.md").read_bytes() == readme



def test_the_readme_names_each_documents_text_file():
    from analysis.data.documents import DOCUMENTS

    text = (PROJ_ROOT / "README.md").read_text(encoding="utf-8")
    sources = text[text.index("## Sources"):text.index("<!-- documents:end -->")]
    assert "../shared/seeds/" in sources and "ANALYSIS_SEEDS" in sources
    for d in DOCUMENTS:
        assert f"| `{d.doc_id}` | {d.title} | `{d.file}` |" in sources

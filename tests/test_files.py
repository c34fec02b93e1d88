"""The one atomic writer: a reader sees the old file or the new one, with ordinary permissions."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from analysis import files
from analysis.config import PROJ_ROOT


def _left(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_text_and_bytes_are_written_exactly(tmp_path):
    files.atomic_write_text(tmp_path / "sub" / "a.txt", "æ\nb\r\n")
    assert (tmp_path / "sub" / "a.txt").read_bytes() == "æ\nb\r\n".encode()  # no newline translation
    files.atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert _left(tmp_path) == [] and _left(tmp_path / "sub") == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "figure.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), files.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer died")
    assert target.read_bytes() == b"old" and _left(tmp_path) == []
    with files.atomic_path(target) as tmp:  # e.g. fig.savefig(tmp)
        assert tmp.parent == tmp_path and tmp.name.startswith(".figure.png.") and tmp.exists()
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and _left(tmp_path) == []


def test_several_files_are_staged_before_any_is_replaced(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_text("old a")
    real = os.replace
    calls = []

    def failing_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing_second)
    with pytest.raises(OSError):
        files.atomic_write_all({tmp_path / "b.csv": "new b", tmp_path / "c.csv": "new c"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"], "the renamed b.csv was removed again"
    monkeypatch.setattr(os, "replace", real)
    files.atomic_write_all({tmp_path / "a.csv": "new a", tmp_path / "b.csv": "new b"})
    assert (tmp_path / "a.csv").read_text() == "new a" and (tmp_path / "b.csv").read_text() == "new b"


def test_permissions_follow_the_umask_which_is_never_changed(tmp_path):
    """0666 less the umask, like open(); and importing or writing leaves the process's umask alone."""
    code = ("import os, sys; os.umask(0o027); import analysis.files as f, analysis.cli; "
            "f.atomic_write_text(sys.argv[1], 'x'); print(oct(os.umask(0o022)))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.txt")], cwd=PROJ_ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == "0o27"
    assert stat.S_IMODE((tmp_path / "x.txt").stat().st_mode) == 0o640

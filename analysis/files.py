"""Writing files so that a reader (or a killed run) never sees half of one.

Every writer of the project goes through here: the file is written under a temporary
name in the target folder (same file system, so the rename is atomic) and renamed into
place with ``os.replace``. A reader sees the previous file or the new one, never a
mixture; a killed writer leaves at most a hidden ``.<name>.<random>.tmp``.

Temporary files are created with mode 0666 and the kernel applies the umask, so they
get the same permissions as a plain ``open(path, "w")`` would give (``mkstemp`` gives
0600), without reading or changing the process's umask.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path


def temporary_beside(path: Path) -> Path:
    """Create an empty file with a fresh hidden name in ``path``'s folder and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    For writers that open the file themselves (``fig.savefig(tmp)``). On an exception
    the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = temporary_beside(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield a new, empty folder beside ``path``; rename it to ``path`` (which must not exist) when the block succeeds.

    A folder of files appears all at once or not at all. On an exception the staging
    folder and everything in it are removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        staging = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.mkdir(staging, 0o777)  # the umask applies, as for any new folder
            break
        except FileExistsError:
            continue
    try:
        yield staging
        os.rename(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return Path(path)


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically, as UTF-8 with the line endings it has.

    No newline translation: the same text gives the same bytes on every platform.
    """
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_all(files: Mapping[Path, str]) -> None:
    """Write several files together: all are staged first, then renamed one after another.

    If staging fails nothing is replaced; if a rename fails the files already renamed
    are removed again, so no file of a half-written set is left beside an old one.
    """
    staged: list[tuple[Path, Path]] = []
    done: list[Path] = []
    try:
        for path, text in files.items():
            tmp = temporary_beside(Path(path))
            staged.append((tmp, Path(path)))
            tmp.write_bytes(text.encode("utf-8"))
        for tmp, path in staged:
            os.replace(tmp, path)
            done.append(path)
    except BaseException:
        for path in done:
            path.unlink(missing_ok=True)
        raise
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

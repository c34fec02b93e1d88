"""Writing files so that a reader (or a killed run) never sees half of one.

Every writer of the project goes through here: the file is written under a temporary
name in the target folder (same file system, so the rename is atomic) and renamed into
place with ``os.replace``. A reader sees the previous file or the new one, never a
mixture; a killed writer leaves at most a hidden ``.<name>.<pid>-<random>.tmp``, which
:func:`remove_leftovers` removes once that process is gone.

Temporary files are created with mode 0666 and the kernel applies the umask, so they
get the same permissions as a plain ``open(path, "w")`` would give (``mkstemp`` gives
0600), without reading or changing the process's umask.

Symbolic links are never followed to write: ``os.replace`` replaces a link at the target
with the new file, :func:`open_regular` replaces a link with a file of its own, and
:func:`real_folder` refuses a link where the project writes a folder (the top folder, such
as ``outputs/`` itself, may be a link: that is where the user chose to keep it).

A failed write (a full disk, a read-only folder, no permission) raises
:class:`~analysis.errors.WriteError`, one line naming the file and the reason, with the
previous file left as it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from analysis.errors import WriteError

# Errors that mean "this cannot be written here" whoever raised them (a figure library's own write, say).
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EACCES, errno.EPERM})
_LEFTOVER = re.compile(r"^\..+\.(?:(\d+)-)?[0-9a-f]{12}\.tmp$")


def write_error(path: Path, exc: OSError) -> WriteError:
    """``exc`` as one line naming ``path``; the errno is kept."""
    if isinstance(exc, WriteError):
        return exc
    reason = exc.strerror or str(exc) or type(exc).__name__
    err = WriteError(f"cannot write {path}: {reason}")
    err.errno = exc.errno
    return err


@contextlib.contextmanager
def _writing(path: Path, only_write_errnos: bool = False) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if isinstance(exc, WriteError) or (only_write_errnos and exc.errno not in WRITE_ERRNOS):
            raise
        raise write_error(path, exc) from exc


def _temporary_name(path: Path) -> Path:
    # the writer's pid in the name: remove_leftovers can tell a killed writer's file from a live one's
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")


def temporary_beside(path: Path) -> Path:
    """Create an empty file with a fresh hidden name in ``path``'s folder and return its path."""
    path = Path(path)
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            tmp = _temporary_name(path)
            try:
                # O_EXCL: never opens an existing file or a link planted under this name
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            except FileExistsError:
                continue
            os.close(fd)
            return tmp


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    For writers that open the file themselves (``fig.savefig(tmp)``). On an exception
    the temporary file is removed and ``path`` is left as it was; a full disk or a
    read-only folder in the block is raised as :class:`WriteError`.
    """
    path = Path(path)
    tmp = temporary_beside(path)
    try:
        with _writing(path, only_write_errnos=True):
            yield tmp
        with _writing(path):
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
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            staging = _temporary_name(path)
            try:
                os.mkdir(staging, 0o777)  # the umask applies, as for any new folder
                break
            except FileExistsError:
                continue
    try:
        with _writing(path, only_write_errnos=True):
            yield staging
        with _writing(path):
            os.rename(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    path = Path(path)
    with atomic_path(path) as tmp, _writing(path), open(tmp, "wb") as fh:
        fh.write(data)
    return path


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
            with _writing(Path(path)):
                tmp.write_bytes(text.encode("utf-8"))
        for tmp, path in staged:
            with _writing(path):
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


# --------------------------------------------------------------------------- links, folders, leftovers


def open_regular(path: Path) -> int:
    """Open ``path`` for reading and writing, creating it, as a file descriptor; never through a link.

    A symbolic link at ``path`` is replaced by a new, empty file (files opened in place, such as
    a lock, are the project's own); anything else that is not a regular file is refused.
    """
    path = Path(path)
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    with _writing(path):
        for _ in range(3):
            try:
                fd = os.open(path, flags, 0o666)
            except OSError as exc:
                if exc.errno != errno.ELOOP:
                    raise
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)  # the link, never what it points to
                continue
            if stat.S_ISREG(os.fstat(fd).st_mode):
                return fd
            os.close(fd)
            break
    raise WriteError(f"cannot write {path}: it is not a regular file (remove it)")


def touch(path: Path) -> Path:
    """Create ``path`` if it is missing (a marker file), replacing a symbolic link rather than following it."""
    os.close(open_regular(path))
    return Path(path)


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def real_folder(path: Path, within: Path, create: bool = True) -> Path:
    """Make sure every folder from ``within`` down to ``path`` is a real folder, not a symbolic link.

    ``within`` itself may be a link (where the user keeps ``outputs/``). Missing folders are
    created (``create``) or left missing; a link among them raises :class:`WriteError`
    before anything is written through it.
    """
    path, within = Path(path), Path(within)
    rel = path.relative_to(within)
    current = within
    with _writing(path):
        if create:
            within.mkdir(parents=True, exist_ok=True)
        for part in rel.parts:
            current = current / part
            if _is_link(current):
                raise WriteError(f"{current} is a symbolic link: the project writes only into real folders under "
                                 f"{within} (remove the link; {within} itself may be one)")
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(current)
            elif not current.exists():
                break
            if current.exists() and not current.is_dir():
                raise WriteError(f"cannot write into {current}: it is a file, not a folder (remove it)")
    return path


def writable_folder(path: Path, within: Path | None = None) -> Path:
    """Check, before a long job, that ``path`` can be written: create it, then a file in it (removed again).

    Raises :class:`WriteError` (read-only, no permission, a full disk, a symbolic link below ``within``).
    """
    path = Path(path)
    if within is not None:
        real_folder(path, within)
    with _writing(path):
        path.mkdir(parents=True, exist_ok=True)
        os.unlink(temporary_beside(path / "write-check"))
    return path


def remove_tree(path: Path, within: Path | None = None) -> None:
    """Remove the folder ``path`` with everything in it, or the link at ``path`` (never what it points to).

    ``within``: nothing is removed when a folder between it and ``path`` is a link (that would
    remove files elsewhere).
    """
    path = Path(path)
    if within is not None and any(_is_link(p) for p in [path.parent, *path.parent.parents]
                                  if p.is_relative_to(within) and p != Path(within)):
        return
    if _is_link(path) or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` is running (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files and staging folders of killed writers anywhere under ``folder``.

    A leftover is named as this module names temporary files; it is removed when the pid in its
    name is no longer running (a name without a pid is from before pids were recorded). Links are
    not followed. Returns what was removed.
    """
    removed = []
    for root, dirs, names in os.walk(folder):
        for name in [*names, *dirs]:
            m = _LEFTOVER.match(name)
            if m and not (m.group(1) and process_alive(int(m.group(1)))):
                remove_tree(Path(root) / name)
                removed.append(Path(root) / name)
        dirs[:] = [d for d in dirs if not _LEFTOVER.match(d)]
    return removed


def prune_least_used(folder: Path, limit: int, pattern: str = "*") -> int:
    """Remove the files matching ``pattern`` in ``folder`` used longest ago (oldest modification time: a
    cache touches what it reuses) until they take at most ``limit`` bytes; the number removed."""
    files = []
    for path in Path(folder).glob(pattern):
        with contextlib.suppress(OSError):
            st = path.lstat()
            files.append((st.st_mtime, st.st_size, path))
    total, removed = sum(size for _, size, _ in files), 0
    for _, size, path in sorted(files):
        if total <= limit:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            total, removed = total - size, removed + 1
    return removed

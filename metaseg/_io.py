"""Atomic file replacement: a reader sees the old file or the new one, never a mix.

The new content goes to a temporary file in the target's folder, which is flushed and
fsynced, given the old file's permissions, moved over the target with ``os.replace``
(atomic on POSIX and Windows when both are on one file system), and the folder is
fsynced so the rename itself survives a power cut.

Every writer of metaseg (labels, ledgers, dead letters, run files, plots) goes through
here. A process killed mid-write leaves its temporary file behind; the next write of the
same target removes it once its writer is gone (:func:`remove_stale_temps`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_TEMP_MARK = ".metaseg-tmp-"
#: A temporary file whose writer cannot be checked (another host) is stale after this.
STALE_AFTER_S = 24 * 3600.0

log = logging.getLogger("metaseg")


def _temp_prefix(target: Path, pid: int) -> str:
    return f".{target.name}{_TEMP_MARK}{pid}-"


def _writer_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # exists under another user, or cannot be asked
        return True
    return True


def remove_stale_temps(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that killed writers of ``path`` left behind.

    A temporary file is named after its target and its writer's process id. It is stale
    when that process no longer runs, or, for a name without a readable id, when it is
    older than :data:`STALE_AFTER_S`. Files of other targets are never touched.

    Returns
    -------
    list of Path
        The files removed (each is also logged).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> leftover = folder / ".labels.csv.metaseg-tmp-999999999-abc"
    >>> _ = leftover.write_text("half a file")
    >>> [p.name for p in remove_stale_temps(folder / "labels.csv")]
    ['.labels.csv.metaseg-tmp-999999999-abc']
    """
    target = Path(path)
    removed = []
    head = f".{target.name}{_TEMP_MARK}"
    try:
        candidates = [p for p in target.parent.iterdir() if p.name.startswith(head)]
    except OSError:
        return []
    for candidate in candidates:
        pid_text = candidate.name[len(head) :].split("-", 1)[0]
        if pid_text.isdigit():
            stale = not _writer_alive(int(pid_text))
        else:
            try:
                stale = time.time() - candidate.stat().st_mtime > STALE_AFTER_S
            except OSError:
                continue
        if stale:
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed.append(candidate)
                log.info("removed %s, left by an interrupted write of %s", candidate, target)
    return removed


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; the rename is durable there already
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _target_mode(path: Path, private: bool) -> int:
    """Permissions for the new file: the old file's, else owner-only or the usual default."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        if private:
            return 0o600
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class StagedFile:
    """A temporary file beside its target, written by name (see :func:`staged_file`).

    Attributes
    ----------
    path : Path
        The temporary file; write it (it exists, empty) before the block ends.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.discarded = False

    def discard(self) -> None:
        """Leave the target as it is: the temporary file is removed when the block ends."""
        self.discarded = True


@contextlib.contextmanager
def staged_file(path: str | os.PathLike[str], *, private: bool = False) -> Iterator[StagedFile]:
    """A temporary file that replaces ``path`` atomically when the block ends.

    For writers that take a file name (pyarrow, DuckDB): they write ``staged.path``, and
    the block may read it back before deciding; :meth:`StagedFile.discard` keeps the
    target untouched (for example when it already holds the same content). If the block
    raises, the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or PathLike
        The file to create or replace. Its folder must exist.
    private : bool
        See :func:`atomic_write`.

    Yields
    ------
    StagedFile

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> with staged_file(target) as staged:
    ...     _ = staged.path.write_text("customer_id\\n1\\n")
    >>> with staged_file(target) as staged:
    ...     _ = staged.path.write_text("customer_id\\n2\\n")
    ...     staged.discard()
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('customer_id\\n1\\n', ['labels.csv'])
    """
    target = Path(path)
    folder = target.parent
    remove_stale_temps(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(target, os.getpid()), dir=folder)
    except OSError as exc:
        # the temporary file's name would only confuse: say which target failed and why
        raise type(exc)(
            exc.errno,
            f"cannot write {target}: {exc.strerror} in its folder {folder} (metaseg writes "
            "a temporary file there, then renames it). Make the folder writable or choose "
            "another target",
        ) from None
    os.close(fd)
    staged = StagedFile(Path(tmp_name))
    try:
        yield staged
        if staged.discarded:
            staged.path.unlink()
            return
        _fsync_file(staged.path)
        os.chmod(staged.path, _target_mode(target, private))
        os.replace(staged.path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            staged.path.unlink()
        raise
    _fsync_dir(folder)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "wb",
    *,
    encoding: str | None = None,
    newline: str | None = None,
    private: bool = False,
) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` atomically when the block ends.

    If the block raises, the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or PathLike
        The file to create or replace. Its folder must exist.
    mode : {"wb", "w"}
        Binary or text mode.
    encoding, newline : str, optional
        Passed to :func:`open` in text mode.
    private : bool
        Give a file that does not exist yet owner-only permissions (0600) instead of the
        usual default; an existing file keeps its permissions either way.

    Yields
    ------
    file object
        The open temporary file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> with atomic_write(target, "w", encoding="utf-8") as fh:
    ...     _ = fh.write("customer_id\\n1\\n")
    >>> target.read_text(encoding="utf-8")
    'customer_id\\n1\\n'
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    with (
        staged_file(path, private=private) as staged,
        open(staged.path, mode, encoding=encoding, newline=newline) as fh,
    ):
        yield fh


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, private: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "state.bin"
    >>> atomic_write_bytes(target, b"abc")
    >>> target.read_bytes()
    b'abc'
    """
    with atomic_write(path, "wb", private=private) as fh:
        fh.write(data)

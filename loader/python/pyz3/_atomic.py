"""pyz3/_atomic.py: replace a file atomically, so nobody sees it half written or rewritten in place.

Every file pyz3 writes goes through :func:`replace_file`: the new contents go to a temporary file
in the same directory, are flushed to disk, and the temporary file is renamed over the target.
A process that has the old file open, imported or mapped (a plugin library it loaded) keeps the
old inode and never sees a truncated or mixed file; rewriting a mapped library in place instead
makes that process crash (SIGBUS on the truncated pages, SIGSEGV on the new bytes). The rename
replaces a symbolic link at the target itself, so nothing is ever written through one.

Standalone on purpose (no import of the pyz3 package): the PEP 517 backend
loader/pep517/pyz3_build.py loads this file by path, where the extension is not built yet.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import BinaryIO


def _umask() -> int:
    """The process umask, read without changing it where Linux allows (os.umask sets it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_file(path: str, data: bytes | BinaryIO, mode: int | None = None) -> None:
    """Atomically make ``path`` a regular file holding ``data`` (bytes, or a binary file to copy).

    ``mode`` defaults to what ``open(path, "w")`` would create (0o666 less the umask). Raises
    :class:`OSError` with the target unchanged when anything fails; no temporary file is left.
    """
    directory = os.path.dirname(path) or "."
    # A short fixed prefix: the temporary name must fit NAME_MAX even when the target's does not leave room.
    fd, tmp = tempfile.mkstemp(prefix=".pyz3-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes | bytearray | memoryview):
                f.write(data)
            else:
                shutil.copyfileobj(data, f)
            f.flush()
            os.fchmod(f.fileno(), (0o666 & ~_umask()) if mode is None else mode)
            # On disk before the rename: after a crash the name holds the old or the new contents,
            # never an empty file.
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def copy_file(source: str, path: str) -> None:
    """Atomically replace ``path`` with a copy of ``source`` (contents and permission bits)."""
    with open(source, "rb") as f:
        replace_file(path, f, mode=os.stat(f.fileno()).st_mode & 0o7777)


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable; some file systems refuse fsync on a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

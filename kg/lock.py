"""One writer at a time on a seeds directory: an advisory ``fcntl.flock`` on ``SEEDS/.kg.lock``.

``kg add`` holds it from validation to the end of the rebuild, so a second
``kg add`` (or a ``kg build`` that takes it) on the same seeds waits for the
first and then validates against what the first wrote: neither loses the
other's entries.  The kernel releases the lock when its holder exits, however
it exits, so a killed ``kg add`` never leaves a stale lock behind.

The lock is re-entrant within a process (``kg add`` takes it, then calls the
build, which may take it again).  Waiting is bounded: after ``timeout``
seconds :class:`LockTimeout` says who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import KgError

LOCK_NAME = ".kg.lock"
DEFAULT_TIMEOUT = 120.0
POLL = 0.05

_held: dict[str, int] = {}           # real path of a lock file -> nesting depth, in this process
_guard = threading.Lock()


class LockTimeout(KgError):
    """Another process kept the seeds locked for longer than we were willing to wait."""

    exit_code = 2


def lock_path(seeds: Path) -> Path:
    return seeds / LOCK_NAME


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:  # pragma: no cover
        return ""
    return f" (process {text})" if text.isdigit() else ""


@contextlib.contextmanager
def seeds_lock(seeds: Path, timeout: float = DEFAULT_TIMEOUT,
               on_wait: Callable[[str], None] | None = None, readers_ok: bool = False) -> Iterator[Path | None]:
    """Hold the seeds' write lock for the duration of the ``with`` block.

    ``on_wait(message)`` is called once if the lock is taken by someone else
    (the CLI prints it on stderr); waiting longer than ``timeout`` seconds
    raises :class:`LockTimeout`.  With ``readers_ok`` (``kg build``, which only reads
    the seeds) seeds nobody may write to are built without the lock: no ``kg add``
    can change them meanwhile.
    """
    path = lock_path(seeds)
    key = os.path.realpath(path)
    with _guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _guard:
                _held[key] -= 1
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if readers_ok and not os.access(seeds, os.W_OK):
            yield None
            return
        raise KgError(f"{path}: cannot open the seeds' lock file: {exc.strerror} — "
                      "kg add needs write access to the seeds directory") from None
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    on_wait(f"waiting for another kg add or build on {seeds}{_holder(fd)} "
                            f"to finish (lock {path}; giving up after {timeout:g} s)")
                    told = True
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"{path}: the seeds are still locked by another kg add or build{_holder(fd)} "
                        f"after {timeout:g} s — wait for it to finish and run this again "
                        "(the lock is released as soon as that process exits)") from None
                time.sleep(POLL)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        with _guard:
            _held[key] = 1
        try:
            yield path
        finally:
            with _guard:
                del _held[key]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

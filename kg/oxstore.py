"""The built graph as an Oxigraph on-disk store: ``OUT/store``, switched atomically.

``OUT/store`` is a symbolic link to a generation directory ``OUT/.store-<digest>``.
A build (or ``kg add``) writes a new generation beside the current one and then
replaces the link with ``os.replace`` (atomic on POSIX), so a reader that opens
``OUT/store`` sees the old store or the new one, never a half-written one.  A
generation is never written to after the switch: Oxigraph documents reading a
store that another process writes as undefined behaviour.  The previous
generation is kept until the next switch, for readers that still have it open.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from .errors import UsageError

STORE = "store"
_PREFIX = ".store-"


def path(out: Path) -> Path:
    return out / STORE


def exists(out: Path) -> bool:
    return path(out).is_dir()


def open_read_only(out: Path) -> ox.Store:
    """The current generation of ``OUT/store``, read-only."""
    link = path(out)
    if not link.is_dir():
        raise UsageError(f"{link}: no built store here — run `kg build` first (or pass --data FILE)")
    return ox.Store.read_only(str(link.resolve()))


def current(out: Path) -> Path | None:
    link = path(out)
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def generation_name(key: str) -> str:
    """Generations are named after the SHA-256 of the N-Quads they hold."""
    return _PREFIX + key[:16]


def new_generation(out: Path, key: str) -> Path:
    """A fresh, empty directory name for the next generation (never an existing one)."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    while True:
        gen = out / f"{generation_name(key)}{'-' + str(n) if n else ''}"
        if not gen.exists():
            return gen
        n += 1


def write_generation(out: Path, nquads: Path | bytes, key: str) -> Path:
    """Bulk-load N-Quads into a new generation directory (not yet current)."""
    gen = new_generation(out, key)
    try:
        st = ox.Store(str(gen))
        if isinstance(nquads, Path):
            st.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        else:
            st.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
        st.flush()
        st.optimize()
        del st
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    return gen


def switch(out: Path, gen: Path) -> None:
    """Make ``gen`` the current store (atomically); drop generations older than the previous one."""
    previous = current(out)
    link = path(out)
    if link.exists() and not link.is_symlink():
        # a plain directory (never written by us): replace it with the link scheme
        shutil.rmtree(link)
    tmp = out / f".{STORE}.link.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(gen.name, tmp)
    os.replace(tmp, link)
    keep = {gen.name, previous.name if previous else None}
    for old in out.glob(_PREFIX + "*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)

"""All-or-nothing changes to the seeds and the build output: a redo journal.

``kg add`` changes two directories (the seeds and ``--out``) and ``kg build``
replaces a dozen files and the store link; no single ``rename`` covers that.
So every change is staged first and committed through a journal:

1. *Stage.*  New seed files are written into ``HOME/.kg-journal/`` (``HOME`` is
   the directory the transaction belongs to: the seeds for ``kg add``, ``--out``
   for ``kg build``); dumps go to temporary files in ``OUT/.kg-journal/`` and a new
   store generation beside the current one.  Nothing a reader sees has changed.
2. *Plan.*  The list of renames (staged file → its place), removals and the store
   link switch is written to ``HOME/.kg-journal/plan.json`` (written to a
   temporary name, flushed, renamed: it exists whole or not at all).  This is the
   commit point.
3. *Apply* the plan, then remove the journal directories.  A file the plan
   removes, and a store generation it supersedes, is renamed into
   ``DIR/.kg-trash/`` (instant) rather than deleted in place: freeing a
   multi-gigabyte dump took 1.5 s at 10,000 articles, time in which ``kg add``
   had already switched the store.  The trash is emptied after the commit
   (``kg add``: after its dumps are written) and by :func:`settle`.

Every step is idempotent (a rename whose source is gone was done already), so
an interrupted commit is finished by applying the plan again.  :func:`settle`
does that, under the seeds' lock, before anything reads or writes: a journal
with a plan is rolled forward (the change happens), one without a plan was cut
off while staging and is deleted (the change never happened).  Either way the
seeds and the dumps end together old or together new, and nothing staged is
left behind.  The kernel releases the lock of a killed process, so the next
``kg`` command on those seeds does this.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

JOURNAL = ".kg-journal"
TRASH = ".kg-trash"
PLAN = "plan.json"
# the temporary file of an atomic write made after the commit, outside the journal (kg.build.write_record
# writes OUT/.kg-build.json through kg.publish.replace_files): a process killed during it leaves one
_STRAY = re.compile(r"\.\.kg-build\.json\.[A-Za-z0-9_]+\.tmp")
_CRASH = "KG_TEST_CRASH_AT"   # test hook: SIGKILL this process at a named point (tests/test_journal.py)


def home(directory: Path) -> Path:
    return directory / JOURNAL


def crash_point(name: str) -> None:
    """Kill this process, for real, at a named point of a commit, when a test asks for it."""
    if os.environ.get(_CRASH) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass
class Transaction:
    """Staged changes and the plan that makes them real.  Use as a context manager:
    leaving the block without :meth:`commit` discards everything staged."""

    owner: Path                                  # the directory whose journal holds the plan
    steps: list[list] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)   # journal directories to remove after the commit
    committed: bool = False

    def __post_init__(self) -> None:
        self.staging(self.owner)

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, *exc) -> None:
        if not self.committed:
            self.discard()

    def staging(self, directory: Path) -> Path:
        """The journal directory of ``directory`` (created empty), for files staged there."""
        j = home(directory)
        if j not in self.dirs:
            if j.exists():
                shutil.rmtree(j)
            j.mkdir(parents=True)
            self.dirs.append(j)
        return j

    def stage_file(self, target: Path, data: bytes) -> None:
        """Stage ``data`` to replace (or create) ``target``; it keeps the target's mode, a new file gets 0644 less the umask."""
        target.parent.mkdir(parents=True, exist_ok=True)
        j = self.staging(self.owner)
        if os.stat(j).st_dev != os.stat(target.parent).st_dev:
            raise OSError(f"{target.parent} is on another file system than {j}: kg needs them on one to replace files atomically")
        # under its own name (the loader reads an article's key from its file name), one directory per file
        slot = j / f"{len(self.steps):05d}"
        slot.mkdir()
        tmp = slot / target.name
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o644 & ~_umask())
        self.replace(Path(tmp), target)

    def replace(self, staged: Path, target: Path) -> None:
        self.steps.append(["replace", str(staged), str(target)])

    def unlink(self, target: Path) -> None:
        self.steps.append(["unlink", str(target)])

    def link(self, link: Path, generation: str, keep: list[str], prefix: str) -> None:
        """Point the symbolic link ``link`` at ``generation``; then remove sibling ``prefix*``
        directories other than ``keep`` (old store generations)."""
        self.steps.append(["link", str(link), generation, sorted(keep), prefix])

    def commit(self, keep_trash: bool = False) -> None:
        """Make the staged changes real.  What they remove is emptied from the trash now, or with
        ``keep_trash`` when the caller calls :func:`empty_trash` (``kg add``, once its dumps are written)."""
        plan = {"version": 1, "steps": self.steps, "dirs": [str(d) for d in self.dirs]}
        j = home(self.owner)
        tmp = j / (PLAN + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(plan, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        crash_point("staged")
        os.replace(tmp, j / PLAN)
        _fsync_dir(j)
        crash_point("planned")
        apply(plan)
        self.committed = True
        if not keep_trash:
            empty_trash(*trash_homes(plan))

    def discard(self) -> None:
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        for step in self.steps:
            if step[0] == "link":  # a store generation staged for the switch that will not happen
                shutil.rmtree(Path(step[1]).parent / step[2], ignore_errors=True)


def apply(plan: dict) -> None:
    """Carry out a plan; safe to run again on a plan already (partly) carried out."""
    touched: set[Path] = set()
    for n, step in enumerate(plan["steps"], 1):
        kind = step[0]
        if kind == "replace":
            src, dst = Path(step[1]), Path(step[2])
            if os.path.lexists(src):
                os.replace(src, dst)
            touched.add(dst.parent)
        elif kind == "unlink":
            _discard(Path(step[1]))
            touched.add(Path(step[1]).parent)
        elif kind == "link":
            link, generation = Path(step[1]), step[2]
            if link.exists() and not link.is_symlink():
                shutil.rmtree(link)   # a plain directory (never written by us): replace it with the link scheme
            if not (link.is_symlink() and os.readlink(link) == generation):
                tmp = link.parent / f".{link.name}.link.tmp"
                tmp.unlink(missing_ok=True)
                os.symlink(generation, tmp)
                os.replace(tmp, link)
            touched.add(link.parent)
        else:  # pragma: no cover
            raise ValueError(f"unknown journal step {kind!r}")
        crash_point(f"step:{n}")
    for d in sorted(touched):
        _fsync_dir(d)
    for step in plan["steps"]:
        if step[0] == "link":
            link, keep, prefix = Path(step[1]), set(step[3]) | {step[2]}, step[4]
            for old in link.parent.glob(prefix + "*"):
                if old.name not in keep:
                    _discard(old)
    for d in plan["dirs"]:
        shutil.rmtree(d, ignore_errors=True)


def _discard(path: Path) -> None:
    """Take ``path`` (a file or a directory) away from its name at once: renamed into its directory's
    trash under a name of its own, its space freed by :func:`empty_trash`."""
    if not os.path.lexists(path):
        return
    trash = path.parent / TRASH
    trash.mkdir(exist_ok=True)
    if path.is_dir() and not path.is_symlink():   # a unique name, taken by the rename (a directory's: empty)
        slot = tempfile.mkdtemp(prefix=path.name + ".", dir=trash)
    else:
        fd, slot = tempfile.mkstemp(prefix=path.name + ".", dir=trash)
        os.close(fd)
    os.replace(path, slot)


def trash_homes(plan: dict) -> list[Path]:
    """The directories whose trash a plan's steps may fill."""
    return sorted({Path(step[1]).parent for step in plan["steps"] if step[0] in ("unlink", "link")})


def empty_trash(*directories: Path) -> None:
    """Free what commits took away in ``directories`` (nothing there is read again)."""
    for d in directories:
        shutil.rmtree(d / TRASH, ignore_errors=True)


def recover(directory: Path) -> str | None:
    """Finish or undo what an interrupted transaction left in ``directory``'s journal.

    Returns ``"finished"`` (a plan was found and carried out), ``"discarded"``
    (staging was cut off: the change never happened) or ``None`` (no journal).
    The caller holds the seeds' lock.
    """
    j = home(directory)
    if not j.is_dir():
        return None
    plan_path = j / PLAN
    if plan_path.is_file():
        apply(json.loads(plan_path.read_text(encoding="utf-8")))
        shutil.rmtree(j, ignore_errors=True)
        return "finished"
    shutil.rmtree(j, ignore_errors=True)
    return "discarded"


def pending(directory: Path) -> bool:
    return home(directory).is_dir()


def settle(*directories: Path) -> list[str]:
    """Recover the journals of ``directories`` in order (the seeds before ``--out``: a ``kg add``'s
    plan lives in the seeds and moves files staged in the output's journal), and remove the temporary
    file a killed write of the build record left."""
    done = []
    for d in directories:
        for stray in (d.iterdir() if d.is_dir() else ()):
            if _STRAY.fullmatch(stray.name) and stray.is_file():
                stray.unlink(missing_ok=True)   # never read: the record it was to replace is whole, or absent
        what = recover(d)
        empty_trash(d)   # a commit's leftovers, should its process have been killed before it emptied them
        if what:
            done.append(f"{d}: an interrupted kg add or build was {what} ({'rolled forward' if what == 'finished' else 'rolled back'})")
    return done

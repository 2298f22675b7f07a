"""The exception hierarchy.  Library code raises; only ``kg.cli`` prints and exits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pos:
    """A place in an input file: 1-based line and column, as editors show them."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}"
        return self.path


class KgError(Exception):
    """Base class of every error the project raises on purpose."""

    exit_code = 2


class InputError(KgError):
    """Bad input: names the place, what is wrong, and what would be right."""

    exit_code = 2

    def __init__(self, pos: Pos | str, problem: str, fix: str = "") -> None:
        self.pos = pos if isinstance(pos, Pos) else Pos(pos)
        self.problem = problem
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.pos}: {self.problem}"
        return f"{text} — {self.fix}" if self.fix else text


class InputErrors(KgError):
    """Several input errors found in one pass; reported together."""

    exit_code = 2

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def collect(errors: list[InputError], fn, *args):
    """Call ``fn(*args)``; input errors are appended to ``errors`` (and None returned),
    so that one pass reports every bad claim or file, not just the first."""
    try:
        return fn(*args)
    except InputError as exc:
        errors.append(exc)
    except InputErrors as exc:
        errors.extend(exc.errors)
    return None


class UsageError(KgError):
    """The command line asks for something impossible."""

    exit_code = 2


class InconsistencyError(KgError):
    """OWL RL reasoning found the data inconsistent."""

    exit_code = 1


class NotConforming(KgError):
    """The data does not conform to the shapes or checks."""

    exit_code = 1

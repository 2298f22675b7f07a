"""Strict YAML: a small node tree where every value keeps its file:line:col, and typed readers.

PyYAML's event stream is turned into :class:`YMap`, :class:`YSeq` and
:class:`YStr` nodes.  Everything stays a string (dates, numbers, booleans are
interpreted later, by us, so YAML 1.1 surprises such as ``no`` -> False or
``2017-07-07`` -> date cannot happen).  Anchors, aliases, explicit tags,
duplicate keys, non-string keys and multiple documents are errors.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml import events

from . import limits
from .errors import InputError, Pos
from .model import Basis, DateValue, Precision

DATE_RE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?\Z")


@dataclass(frozen=True)
class YStr:
    value: str
    pos: Pos
    plain: bool = True  # written without quotes (so `null`, `~` and `` mean nothing)


@dataclass(frozen=True)
class YSeq:
    items: list["Node"]
    pos: Pos


@dataclass(frozen=True)
class YMap:
    # key -> (key node, value node), in file order
    entries: dict[str, tuple[YStr, "Node"]] = field(default_factory=dict)
    pos: Pos = Pos("")

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def get(self, key: str) -> "Node | None":
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def key_pos(self, key: str) -> Pos:
        return self.entries[key][0].pos


Node = YStr | YSeq | YMap


def kind_name(node: Node) -> str:
    return {YStr: "a scalar", YSeq: "a list", YMap: "a mapping"}[type(node)]


def is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, YStr) and node.plain and node.value in ("", "~", "null", "Null", "NULL"))


def _pos(path: str, mark: yaml.Mark) -> Pos:
    return Pos(path, mark.line + 1, mark.column + 1)


def read_bytes(path: Path, display: str, limit: int) -> bytes:
    """A file's bytes, refusing directories and files over ``limit`` bytes before reading them."""
    try:
        if path.is_dir():
            raise InputError(Pos(display), "is a directory, not a file", "name a file")
        size = path.stat().st_size
        if size > limit:
            raise InputError(Pos(display), f"the file is {size:,} bytes, over the limit of {limits.size(limit)}",
                             "split it into smaller files (README, Limits and safety)")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(Pos(display), "file not found", "check the path") from None
    except OSError as exc:
        raise InputError(Pos(display), f"cannot read file: {exc.strerror}") from None


def read_text(path: Path, display: str | None = None, limit: int = limits.ARTICLE_BYTES) -> str:
    """Read a UTF-8 file, rejecting other encodings and NUL characters with a located error."""
    display = display or str(path)
    data = read_bytes(path, display, limit)
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(Pos(display, line, nul - (data.rfind(b"\n", 0, nul) + 1) + 1),
                         "a NUL character (U+0000)", "remove it: text files hold no control characters")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            Pos(display, line, col),
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8",
        ) from None


def parse(text: str, path: str) -> Node:
    """Parse one YAML document into a position-carrying node tree."""
    if text.startswith("\ufeff"):
        raise InputError(Pos(path, 1, 1), "the file starts with a byte-order mark (U+FEFF)",
                         "save it as UTF-8 without a BOM")
    try:
        # libyaml's parser when PyYAML has it (~20x faster); on any error the pure-Python
        # parser runs again, so messages and positions do not depend on which one is installed
        stream = list(yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError:
        stream = None
    try:
        if stream is None:
            stream = list(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        raise InputError(Pos(path, line, col), f"character U+{exc.character:04X} is not allowed in YAML",
                         "remove it (YAML allows no control characters)") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = _pos(path, mark) if mark else Pos(path)
        raise InputError(pos, f"YAML syntax error: {exc.problem or exc.context}", _syntax_hint(text, exc)) from None
    builder = _Builder(path)
    return builder.build(stream)


QUOTING_HINT = ("put the whole value in single quotes, e.g. 'Mr Griffin added: “…”' (double any ' inside); "
                "a plain value may not contain `: ` or start with a straight \"")
_VALUE_RE = re.compile(r"^\s*(?:-\s+)?(?:[\w-]+:\s+)?(.*)$")


def _syntax_hint(text: str, exc: yaml.MarkedYAMLError) -> str:
    """Most YAML syntax errors curators meet come from a quote copied into a plain value:
    `description: He said: “…”` (a second `: `) or `evidence: "Stop" he said` (a straight " first)."""
    lines = text.splitlines()
    for mark in (exc.problem_mark, exc.context_mark):
        if mark is None or mark.line >= len(lines):
            continue
        for line in (lines[mark.line], lines[mark.line - 1] if mark.line else ""):
            value = _VALUE_RE.match(line).group(1)
            if value.startswith('"') or (value[:1] not in ("'", "{", "[", "|", ">") and ": " in value):
                return QUOTING_HINT
    return "fix the YAML syntax"


def load(path: Path, display: str | None = None) -> Node:
    display = display or str(path)
    return parse(read_text(path, display, limits.YAML_BYTES), display)


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.events: list[events.Event] = []
        self.i = 0
        self.depth = 0

    def build(self, stream: list[events.Event]) -> Node:
        self.events = stream
        self.i = 0
        self._expect(events.StreamStartEvent)
        if isinstance(self._peek(), events.StreamEndEvent):
            raise InputError(Pos(self.path, 1, 1), "the file is empty", "write a YAML mapping")
        self._expect(events.DocumentStartEvent)
        root = self._node()
        self._expect(events.DocumentEndEvent)
        nxt = self._peek()
        if not isinstance(nxt, events.StreamEndEvent):
            raise InputError(_pos(self.path, nxt.start_mark), "a second YAML document", "keep one document per file (remove `---`)")
        return root

    def _peek(self) -> events.Event:
        return self.events[self.i]

    def _expect(self, cls: type) -> events.Event:
        ev = self.events[self.i]
        if not isinstance(ev, cls):  # pragma: no cover - PyYAML guarantees the grammar
            raise InputError(_pos(self.path, ev.start_mark), f"unexpected YAML {type(ev).__name__}")
        self.i += 1
        return ev

    def _check_plain(self, ev: events.NodeEvent) -> None:
        pos = _pos(self.path, ev.start_mark)
        if isinstance(ev, events.AliasEvent):
            raise InputError(pos, f"YAML alias *{ev.anchor} is not allowed", "write the value out in full")
        if ev.anchor is not None:
            raise InputError(pos, f"YAML anchor &{ev.anchor} is not allowed", "remove the anchor and write values out in full")
        tag = getattr(ev, "tag", None)
        if tag is not None:
            raise InputError(pos, f"YAML tag {tag} is not allowed", "remove the tag; values are plain strings, lists and mappings")

    def _node(self) -> Node:
        ev = self.events[self.i]
        self._check_plain(ev)
        self.i += 1
        pos = _pos(self.path, ev.start_mark)
        if isinstance(ev, events.ScalarEvent):
            if len(ev.value) > limits.YAML_SCALAR_CHARS:
                raise InputError(pos, f"a value of {len(ev.value):,} characters, over the limit of {limits.YAML_SCALAR_CHARS:,}",
                                 "keep values short; quote only the words you need (README, Limits and safety)")
            return YStr(ev.value, pos, plain=not ev.style)  # None (pure-Python parser) or "" (libyaml): plain
        self.depth += 1
        if self.depth > limits.YAML_DEPTH:
            raise InputError(pos, f"YAML nested more than {limits.YAML_DEPTH} levels deep",
                             "annotations need a few levels; flatten the structure")
        try:
            return self._collection(ev, pos)
        finally:
            self.depth -= 1

    def _collection(self, ev: events.Event, pos: Pos) -> Node:
        if isinstance(ev, events.SequenceStartEvent):
            items: list[Node] = []
            while not isinstance(self._peek(), events.SequenceEndEvent):
                items.append(self._node())
            self.i += 1
            return YSeq(items, pos)
        if isinstance(ev, events.MappingStartEvent):
            entries: dict[str, tuple[YStr, Node]] = {}
            while not isinstance(self._peek(), events.MappingEndEvent):
                key = self._node()
                if not isinstance(key, YStr):
                    raise InputError(key.pos, f"a mapping key must be a plain name, not {kind_name(key)}", "use a name such as `speaker:`")
                if key.value == "<<":
                    raise InputError(key.pos, "YAML merge keys (<<) are not allowed", "write the keys out in full")
                value = self._node()
                if key.value in entries:
                    first = entries[key.value][0].pos
                    raise InputError(
                        key.pos,
                        f"duplicate key `{key.value}` (first at line {first.line})",
                        "keep one of them",
                    )
                entries[key.value] = (key, value)
            self.i += 1
            return YMap(entries, pos)
        raise InputError(pos, f"unexpected YAML {type(ev).__name__}")  # pragma: no cover


# ---------------------------------------------------------------- typed readers

def closest(word: str, choices: list[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(word, choices, n=n, cutoff=0.5)


def suggest(word: str, choices: list[str], what: str) -> str:
    near = closest(word, choices)
    if near:
        return "did you mean " + " or ".join(f"`{c}`" for c in near) + "?"
    return f"use one of the {what}"


class Fields:
    """Reads one YAML mapping against the keys it may have."""

    def __init__(self, node: Node, what: str, allowed: list[str], required: list[str] = ()) -> None:
        if not isinstance(node, YMap):
            raise InputError(node.pos, f"{what} must be a mapping, not {kind_name(node)}", "write `key: value` lines")
        self.node = node
        for key, (knode, _) in node.entries.items():
            if key not in allowed:
                raise InputError(knode.pos, f"unknown key `{key}` in {what}",
                                 suggest(key, allowed, "keys: " + ", ".join(allowed)))
        for key in required:
            if is_null(node.get(key)):
                raise InputError(node.pos, f"{what} lacks required `{key}`", f"add `{key}:`")

    def get(self, key: str) -> Node | None:
        value = self.node.get(key)
        return None if is_null(value) else value

    def text(self, key: str) -> str | None:
        value = self.get(key)
        return None if value is None else as_text(value, key)


def as_text(node: Node, key: str) -> str:
    if isinstance(node, YMap) and len(node.entries) == 1:
        inner = next(iter(node.entries))
        raise InputError(node.pos, f"`{key}` was read as a mapping because its value contains `{inner}: `", QUOTING_HINT)
    if not isinstance(node, YStr):
        raise InputError(node.pos, f"`{key}` must be text, not {kind_name(node)}", "write a single string")
    if not node.value.strip():
        raise InputError(node.pos, f"`{key}` is empty", "write the value or remove the key")
    return node.value


def as_list(node: Node) -> list[Node]:
    return node.items if isinstance(node, YSeq) else [node]


def parse_date(node: Node, key: str) -> DateValue:
    """`2017-07-07` (stated) or `{value: 2017-07, inferred: why}` (curator inference)."""
    basis, note = Basis.STATED, None
    if isinstance(node, YMap):
        f = Fields(node, f"`{key}`", ["value", "inferred"], ["value"])
        note = f.text("inferred")
        basis = Basis.INFERRED if note else Basis.STATED
        node = f.get("value")
    text = as_text(node, key).strip()
    m = DATE_RE.match(text)
    if not m:
        raise InputError(node.pos, f"malformed date {text!r}",
                         "write YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2017-07-07")
    year, month, day = m.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise InputError(node.pos, f"impossible date {text!r} ({exc})", "check the day and month") from None
    precision = Precision.DAY if day else Precision.MONTH if month else Precision.YEAR
    return DateValue(text, precision, basis, note)


def parse_int(node: Node, key: str) -> int:
    text = as_text(node, key).strip()
    if re.fullmatch(r"-[0-9]+", text):
        raise InputError(node.pos, f"`{key}` is negative ({_short(text)})", "a count is a whole number, 0 or more")
    if not re.fullmatch(r"[0-9]+", text):  # ASCII digits only: `٣` is not 3
        raise InputError(node.pos, f"`{key}` is not a whole number ({_short(text)!r})",
                         "write digits 0-9 only, e.g. 100; keep the article's wording in `wording`")
    if len(text.lstrip("0")) > limits.DIGITS:
        raise InputError(node.pos, f"`{key}` has {len(text):,} digits, over the limit of {limits.DIGITS}",
                         "check the number (README, Limits and safety)")
    return int(text)


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"

"""Query vetting: what a SPARQL text may ask for, decided before any parser sees it.

Shared by ``kg query --file`` and ``kg serve``.  pyoxigraph exposes no algebra,
so this is a careful tokenizer: it skips strings (all four quotings, with
escapes), IRIs (``<…>`` as the SPARQL grammar's IRIREF, so ``?a < ?b`` stays
an operator) and ``#`` comments, and looks only at bare keywords.  A keyword
inside a string, an IRI, a comment, a variable (``?service``) or a prefixed name
(``ex:SERVICE``) is not a keyword.

Checks, in order:

* size (bytes of UTF-8), so that nothing huge is tokenized at all;
* nesting depth of ``{`` ``(`` ``[`` — pyoxigraph's recursive-descent parser
  overflows its native stack (SIGSEGV, the process dies) somewhere between 1,000
  and 3,000 levels; other engines cap near 128, and so do we;
* an update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY, WITH):
  refused, the graph is read-only;
* SERVICE (SILENT or not) anywhere: federation makes the engine open a
  connection to any address the query names; refused unless allowed.

The result says the query form (SELECT, ASK, CONSTRUCT, DESCRIBE) and whether
the query names its own dataset (FROM / FROM NAMED), which the caller needs to
decide the default graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import InputError, Pos

MAX_DEPTH = 128
MAX_BYTES = 64 * 1024

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})
FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
OPEN, CLOSE = "{([", "})]"

# IRIREF of the SPARQL 1.1 grammar: no spaces, no <>"{}|^`\ inside
_IRI = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_WORD = re.compile(r"[A-Za-z_:\u00c0-\U000effff][A-Za-z0-9_\-.:\u00b7\u00c0-\U000effff%\\]*")
_VAR = re.compile(r"[?$][A-Za-z0-9_\u00b7\u00c0-\U000effff]*")
_LANG = re.compile(r"@[A-Za-z0-9\-]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.+\-]*")


class QueryRefused(InputError):
    """The query asks for something this tool will not do (or cannot do safely)."""


class UpdateRefused(QueryRefused):
    pass


class ServiceRefused(QueryRefused):
    pass


class TooDeep(QueryRefused):
    pass


class TooLarge(QueryRefused):
    pass


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "iri", "punct"
    value: str
    offset: int


@dataclass
class Vetted:
    text: str
    form: str | None  # SELECT, ASK, CONSTRUCT, DESCRIBE (None: the parser will say what is wrong)
    depth: int
    dataset: list[tuple[str, str]] = field(default_factory=list)  # ("FROM" | "FROM NAMED", iri-or-pname)
    service: bool = False


def _pos(path: str, text: str, offset: int) -> Pos:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Pos(path, line, col)


def _string_end(text: str, i: int) -> int:
    """Offset just after the string literal starting at ``i`` (or len(text) if unterminated)."""
    quote = text[i]
    long = text.startswith(quote * 3, i)
    j = i + (3 if long else 1)
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if long:
            if text.startswith(quote * 3, j):
                return j + 3
        elif c == quote:
            return j + 1
        elif c in "\r\n":  # a short string cannot span lines: let the parser report it
            return j
        j += 1
    return n


def tokens(text: str):
    """Bare words, IRIs and brackets of a SPARQL text; strings, comments, variables, numbers skipped."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c in "\"'":
            i = _string_end(text, i)
        elif c == "<":
            m = _IRI.match(text, i)
            if m:
                yield Token("iri", m.group(), i)
                i = m.end()
            else:
                i += 1  # the operator < or <=
        elif c in "?$":
            m = _VAR.match(text, i)
            i = m.end() if m and m.end() > i + 1 else i + 1
        elif c in OPEN or c in CLOSE:
            yield Token("punct", c, i)
            i += 1
        elif c == "@":
            i = _LANG.match(text, i).end()  # a language tag (@en), or PREFIX/BASE in Turtle style
        elif c.isdigit():
            i = _NUMBER.match(text, i).end()
        elif c == "_" and text.startswith("_:", i):
            m = _WORD.match(text, i + 2)
            i = m.end() if m else i + 2
        else:
            m = _WORD.match(text, i)
            if m:
                word = m.group().rstrip(".")  # a trailing dot ends the triple, it is not part of the name
                yield Token("word", word, i)
                i += max(len(word), 1)
            else:
                i += 1


def vet(text: str, path: str = "query", *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES,
        allow_service: bool = False) -> Vetted:
    """Check a query text; raise :class:`QueryRefused` (an input error naming path:line:col) or return what it asks."""
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise TooLarge(Pos(path), f"the query is {size:,} bytes, over the limit of {max_bytes:,}",
                       "send a shorter query (bind long value lists with the canned queries' parameters)")
    depth = deepest = 0
    form: str | None = None
    first_keyword: Token | None = None
    dataset: list[tuple[str, str]] = []
    service: Token | None = None
    toks = list(tokens(text))
    expect_prologue_arg = 0
    for k, tok in enumerate(toks):
        if tok.kind == "punct":
            if tok.value in OPEN:
                depth += 1
                if depth > deepest:
                    deepest = depth
                    if depth > max_depth:
                        raise TooDeep(_pos(path, text, tok.offset),
                                      f"the query nests groups, lists or brackets {max_depth + 1} levels deep "
                                      f"(the limit is {max_depth})",
                                      "flatten it: nesting this deep is never needed and can crash the query parser")
            else:
                depth = max(depth - 1, 0)
            continue
        if tok.kind != "word":
            continue
        if expect_prologue_arg:
            expect_prologue_arg -= 1
            continue
        word = tok.value.upper()
        if first_keyword is None:
            if word == "PREFIX":
                expect_prologue_arg = 1  # the prefix name; its IRI is an "iri" token
                continue
            if word == "BASE":
                continue
            first_keyword = tok
            if word in UPDATE_KEYWORDS:
                raise UpdateRefused(_pos(path, text, tok.offset),
                                    f"{word} is a SPARQL update; the graph is read-only here",
                                    "send a query (SELECT, ASK, CONSTRUCT or DESCRIBE); change the seeds and run `kg build` to change the graph")
            if word in FORMS:
                form = word
        if word == "SERVICE" and service is None:
            service = tok
        if word == "FROM":
            nxt = toks[k + 1] if k + 1 < len(toks) else None
            named = nxt is not None and nxt.kind == "word" and nxt.value.upper() == "NAMED"
            target = toks[k + 2] if named and k + 2 < len(toks) else nxt
            dataset.append(("FROM NAMED" if named else "FROM", target.value if target else ""))
    if service is not None and not allow_service:
        raise ServiceRefused(_pos(path, text, service.offset),
                             "SERVICE asks the query engine to send a request to another endpoint; "
                             "queries here never open network connections",
                             "remove the SERVICE block (with `kg query --file`, pass --allow-service to federate on purpose)")
    return Vetted(text, form, deepest, dataset, service is not None)

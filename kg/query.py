"""Canned queries: ``queries/<slug>.rq`` with a grlc-style header, run on pyoxigraph.

Parameters are the query's ``?_name`` variables.  Values are bound as SEP-0007
substitution binds them, but on the text (``inline``): pyoxigraph's serialisation
of a term it parsed replaces the variable, never the user's text, so that
Oxigraph's planner sees the constant.  An entity parameter (``actor``, ``entity``, ``speaker``…)
accepts a registry id or any label or alias; ``claim`` takes ``ARTICLE/CLAIM-ID``.
"""

from __future__ import annotations

import csv
import difflib
import enum
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import iris, limits, source
from .errors import InputError, KgError, Pos, UsageError

QUERIES = Path(__file__).resolve().parent.parent / "queries"
PAGES, REFERENCE, NARROW = "pages", "reference", "narrow"   # subdirectories of QUERIES: key queries, plain texts,
                                                              # texts for selective values (kg.query.evaluate)
PARAM_RE = re.compile(r"[?$]_([A-Za-z][A-Za-z0-9_]*)")
ENTITY_PARAMS = {"actor", "entity", "speaker", "addressee", "place", "issue", "occasion"}
IDENTIFIER = "http://purl.org/dc/terms/identifier"
LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#altLabel")


class Format(enum.Enum):
    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"


@dataclass
class CannedQuery:
    slug: str
    path: Path
    text: str
    summary: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)
    expects: str = ""  # `#+ expects: union-default-graph`: what the query needs of the store
    keys: str = ""     # queries/pages/<slug>.rq: the key of each row, in the query's order (kg.query.evaluate)
    rows: str = ""     # the text a page's rows are taken from: queries/reference/<slug>.rq, or the query's
    order_here: bool = False   # `#+ order: here` in the key query: its keys are sorted by kg (ordered_keys)
    lead: str = ""     # queries/pages/<slug>.lead.rq: the values the keys are read for, a few at a time (lead_keys)
    narrow: str = ""   # queries/narrow/<slug>.rq: the query written to start from its parameters, for selective values
    count: str = ""    # queries/narrow/<slug>.count.rq: how many things those values select (one ?n)
    at_most: int = 0   # `#+ at-most: N` in the narrow text: it answers when the count is at most N


def parse_header(path: Path, text: str) -> dict:
    """The `#+` header as plain values (strings, lists, dicts)."""
    return {key: _plain(node) for key, node in _header(path, text).items()}


def _plain(node):
    if isinstance(node, source.YMap):
        return {k: _plain(v) for k, (_, v) in node.entries.items()}
    if isinstance(node, source.YSeq):
        return [_plain(v) for v in node.items]
    return node.value


def _header(path: Path, text: str) -> dict:
    """The `#+` header's nodes.  It is read as strict YAML (``kg.source``): every value stays
    a string, so `#+ summary: no` is the word "no", not false; line numbers are the file's."""
    lines, end = [], 0
    for line in text.splitlines():
        if line.startswith("#+"):
            lines.append(line[2:].removeprefix(" "))
            end = len(lines)
        elif line.strip() and not line.startswith("#"):
            break
        else:
            lines.append("")
    if not end:
        return {}
    if all(line.startswith("#+ ") for line in text.splitlines()[:end] if line.startswith("#+")):
        # columns as in the file: `#+ ` becomes three spaces of indentation
        lines = ["   " + line if line else "" for line in lines]
    root = source.parse("\n".join(lines[:end]) + "\n", str(path))
    if not isinstance(root, source.YMap):
        raise InputError(root.pos, "the `#+` header must be `#+ key: value` lines", "start with `#+ summary: …`")
    header = {key: node for key, (_, node) in root.entries.items()}
    for key in ("summary", "description"):
        if key in header and not isinstance(header[key], source.YStr):
            raise InputError(header[key].pos, f"`#+ {key}:` must be one line of text", f"write `#+ {key}: …`")
    return header


def _defaults(node) -> dict[str, str]:
    what = InputError(getattr(node, "pos", Pos("")), "`#+ defaults:` must be a list of `- name: value`",
                      "e.g. `#+ defaults:` then `#+   - actor: putin`")
    if node is None or source.is_null(node):
        return {}
    if not isinstance(node, source.YSeq):
        raise what
    out: dict[str, str] = {}
    for item in node.items:
        if not isinstance(item, source.YMap) or not all(isinstance(v, source.YStr) for _, v in item.entries.values()):
            raise InputError(item.pos, what.problem, what.fix)
        out.update({k: v.value for k, (_, v) in item.entries.items()})
    return out


def _tags(node) -> list[str]:
    if node is None or source.is_null(node):
        return []
    items = node.items if isinstance(node, source.YSeq) else [node]
    if not all(isinstance(t, source.YStr) for t in items):
        raise InputError(node.pos, "`#+ tags:` must be a list of words", "e.g. `#+ tags:` then `#+   - speech acts`")
    return [t.value for t in items]


def load_query(path: Path) -> CannedQuery:
    text = source.read_text(path, str(path), limits.QUERY_BYTES)
    header = _header(path, text)
    summary = header.get("summary")
    if summary is None or not summary.value.strip():
        raise InputError(Pos(str(path), 1, 1), "the query has no `#+ summary:`", "add a one-line summary")
    description = header.get("description")
    params = sorted(set(PARAM_RE.findall(_strip_comments(text))))
    keys, rows, order_here = _page_texts(path, text)
    lead = _lead_text(path, keys, params)
    narrow, count, at_most = _narrow_texts(path, params)
    return CannedQuery(path.stem, path, text, summary.value.strip(), description.value.strip() if description else "",
                       _tags(header.get("tags")), _defaults(header.get("defaults")), params,
                       header["expects"].value.strip() if isinstance(header.get("expects"), source.YStr) else "",
                       keys, rows, order_here, lead, narrow, count, at_most)


def _lead_text(path: Path, keys: str, params: list[str]) -> str:
    """A key query's lead query (``pages/<slug>.lead.rq``), checked to fit it (:func:`lead_keys`); empty
    without one."""
    lead_path = path.parent / PAGES / (path.stem + ".lead.rq")
    if not lead_path.is_file():
        return ""
    lead = source.read_text(lead_path, str(lead_path), limits.QUERY_BYTES)
    if not keys:
        raise InputError(Pos(str(lead_path), 1, 1), f"a lead query goes with a key query, {path.parent / PAGES / path.name}",
                         f"add the key query or remove {lead_path}")
    _only_params(lead, lead_path, path, params)
    problem = _lead_misfit(lead, keys)
    if problem:
        raise InputError(Pos(str(lead_path), 1, 1), f"the lead query does not fit its key query: {problem}",
                         "select one of the key's variables, ?v, and end the key query's first ORDER BY conditions "
                         "with it: `SELECT ?v WHERE { … } ORDER BY <the key query's first conditions> ?v`")
    return lead


def _narrow_texts(path: Path, params: list[str]) -> tuple[str, str, int]:
    """A parameterised query's text for selective values (``narrow/<slug>.rq`` beside it, whose header says
    ``#+ at-most: N``), and the count query that decides (``narrow/<slug>.count.rq``, selecting ``?n``);
    empty without a narrow text."""
    narrow_path = path.parent / NARROW / path.name
    if not narrow_path.is_file():
        return "", "", 0
    narrow = source.read_text(narrow_path, str(narrow_path), limits.QUERY_BYTES)
    at_most = _header(narrow_path, narrow).get("at-most")
    if not isinstance(at_most, source.YStr) or not re.fullmatch(r"[0-9]+", at_most.value.strip()):
        raise InputError(getattr(at_most, "pos", Pos(str(narrow_path), 1, 1)),
                         "a narrow text says up to which count it answers", "add `#+ at-most: N` (a number)")
    count_path = narrow_path.with_suffix(".count.rq")
    if not count_path.is_file():
        raise InputError(Pos(str(narrow_path), 1, 1), f"a narrow text needs its count query {count_path}",
                         f"add {count_path}: `SELECT (COUNT(*) AS ?n) WHERE {{ … }}` over what the parameters select")
    count = source.read_text(count_path, str(count_path), limits.QUERY_BYTES)
    if key_variables(count) or not re.search(r"\bAS\s+[?$]n\b", _strip_comments(count)):
        raise InputError(Pos(str(count_path), 1, 1), "a count query selects one number, ?n",
                         "write `SELECT (COUNT(*) AS ?n) WHERE { … }`")
    for text, where in ((narrow, narrow_path), (count, count_path)):
        _only_params(text, where, path, params)
    return narrow, count, int(at_most.value)


def _only_params(text: str, where: Path, path: Path, params: list[str]) -> None:
    """A text that goes with the query ``path`` names only its parameters, which are the ones bound."""
    extra = sorted(set(PARAM_RE.findall(_strip_comments(text))) - set(params))
    if extra:
        raise InputError(Pos(str(where), 1, 1), f"?_{extra[0]} is not a parameter of {path.name}",
                         f"use only its parameters ({', '.join('?_' + p for p in params) or 'none'})")


def _page_texts(path: Path, text: str) -> tuple[str, str, bool]:
    """A listing's key query (``pages/<slug>.rq`` beside it), the text its pages' rows come from (the
    reference text, ``reference/<slug>.rq``, or the query's own with ``#+ rows: query`` in the key query's
    header, for a listing whose plain text Oxigraph evaluates badly), and whether its keys are sorted here
    (``#+ order: here``; ``store``, the default, leaves the ORDER BY to Oxigraph); empty without a key query."""
    keys_path = path.parent / PAGES / path.name
    if not keys_path.is_file():
        return "", "", False
    keys = source.read_text(keys_path, str(keys_path), limits.QUERY_BYTES)
    if not key_variables(keys):
        raise InputError(Pos(str(keys_path), 1, 1), "a key query must SELECT plain variables (the row's key)",
                         "e.g. `SELECT ?claim WHERE { … } ORDER BY …` with the listing's ORDER BY")
    header = _header(keys_path, keys)
    order = header.get("order")
    if order is not None and (not isinstance(order, source.YStr) or order.value not in ("here", "store")):
        raise InputError(order.pos, "`#+ order:` says who sorts the keys",
                         "write `#+ order: store` (Oxigraph's ORDER BY, the default) or `#+ order: here`")
    order_here = order is not None and order.value == "here"
    rows_from = header.get("rows")
    if rows_from is not None and (not isinstance(rows_from, source.YStr) or rows_from.value not in ("query", "reference")):
        raise InputError(rows_from.pos, "`#+ rows:` says where a page's rows come from",
                         "write `#+ rows: reference` (queries/reference/, the default) or `#+ rows: query`")
    if rows_from is not None and rows_from.value == "query":
        return keys, text, order_here
    rows_path = path.parent / REFERENCE / path.name
    if not rows_path.is_file():
        raise InputError(Pos(str(keys_path), 1, 1), f"a key query needs the plain text of {path.name} in {rows_path}",
                         f"add {rows_path} (the query written one pattern per idea), write `#+ rows: query` "
                         f"or remove {keys_path}")
    return keys, source.read_text(rows_path, str(rows_path), limits.QUERY_BYTES), order_here


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def vet(cq: CannedQuery, allow_service: bool = False) -> None:
    """Vet each text a canned query runs (``kg.guard.vet``): its own, its narrow text and count query, its
    lead query, key query and the text its pages' rows come from, each named by its file."""
    from . import guard
    guard.vet(cq.text, str(cq.path), allow_service=allow_service)
    if cq.narrow:
        narrow = cq.path.parent / NARROW / cq.path.name
        guard.vet(cq.narrow, str(narrow), allow_service=allow_service)
        guard.vet(cq.count, str(narrow.with_suffix(".count.rq")), allow_service=allow_service)
    if cq.lead:
        guard.vet(cq.lead, str(cq.path.parent / PAGES / (cq.path.stem + ".lead.rq")), allow_service=allow_service)
    if cq.keys:
        guard.vet(cq.keys, str(cq.path.parent / PAGES / cq.path.name), allow_service=allow_service)
        if cq.rows != cq.text:
            guard.vet(cq.rows, str(cq.path.parent / REFERENCE / cq.path.name), allow_service=allow_service)

def catalogue(directory: Path = QUERIES) -> dict[str, CannedQuery]:
    return {p.stem: load_query(p) for p in sorted(directory.glob("*.rq"))}


# ---------------------------------------------------------------- data

def open_built(out: Path) -> ox.Store:
    """The graph ``kg build`` wrote into ``out``: its on-disk store, opened read-only."""
    return built(out)[0]


def built(out: Path) -> tuple[ox.Store, Path]:
    """The store ``kg build`` wrote into ``out``, opened read-only, and the generation directory it is
    (which holds its kept answers, :mod:`kg.answers`): ``OUT/store`` is resolved once, so the two agree
    even if a build switches the link meanwhile."""
    from . import oxstore
    gen = oxstore.current_generation(out)
    store = ox.Store.read_only(str(gen))
    iris.configure_from(store, out)  # the base the graph was built with, whatever the seeds say now
    return store, gen


def open_store(data: Path) -> ox.Store:
    """A dump file (N-Quads, TriG, …, or the same gzipped) loaded into memory."""
    if not data.exists():
        raise UsageError(f"{data}: no such file — pass a dump `kg build` wrote, e.g. --data build/kg.nq")
    if not data.is_file():
        raise UsageError(f"{data}: not a file — pass a dump, e.g. --data build/kg.nq (or --out DIR for a built store)")
    try:
        with data.open("rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
    except OSError as exc:
        raise UsageError(f"{data}: cannot read it ({exc.strerror}) — check its permissions") from None
    name = data.name.removesuffix(".gz")
    ext = name.rsplit(".", 1)[1] if "." in name else ""
    fmt = ox.RdfFormat.from_extension(ext) if ext else None
    if fmt is None:
        raise UsageError(f"{data}: unknown dump format {ext!r} — use .nq, .trig, .nt, .ttl (optionally .gz)")
    store = ox.Store()
    try:
        with (gzip.open(data, "rb") if gzipped else data.open("rb")) as fh:
            store.bulk_load(fh, format=fmt)
    except SyntaxError as exc:
        raise InputError(Pos(str(data), exc.lineno or 0, exc.offset or 0), f"not valid {fmt.name}: {_parser_message(exc.msg)}",
                         "rebuild the dump with `kg build` (is the file truncated?)") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(Pos(str(data)), f"the gzip stream is damaged or truncated ({exc})",
                         "re-download or rebuild it (`gzip -t` checks a file)") from None
    # a dump kg build wrote names its base; for another file, the base of the project's seeds
    found = iris.recorded_base(store) or iris.seeds_base()
    if found:
        iris.configure(found)
    return store


def _parser_message(msg: str) -> str:
    """Oxigraph's message without its own position (the error names ``path:line:col``)."""
    return re.sub(r"^Parser error at line \d+ between columns \d+ and \d+: ", "", msg)


def entity_index(store: ox.Store) -> tuple[dict[str, str], dict[str, str]]:
    """Entity ids -> IRI, and lower-cased labels and aliases -> IRI."""
    ids, names = {}, {}
    prefix = iris.base() + "entity/"
    # the registry mints its ids in the entities graph only; every claim has one too (tens of thousands on a
    # large store, seconds to read), so that graph is read first, and the whole store only when it is
    # missing (a dump of one graph, e.g. kg-inferred.ttl, loaded into the default graph)
    identifier = ox.NamedNode(IDENTIFIER)
    quads = list(store.quads_for_pattern(None, identifier, None, ox.NamedNode(str(iris.G.ENTITIES))))
    for q in quads or store.quads_for_pattern(None, identifier, None, None):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(prefix) and "/position/" not in q.subject.value:
            ids[q.object.value] = q.subject.value
    entities = set(ids.values())
    for label in LABELS:
        for q in store.quads_for_pattern(None, ox.NamedNode(label), None, None):
            if q.subject.value in entities:
                names.setdefault(q.object.value.lower(), q.subject.value)
    return ids, names


def resolve(store: ox.Store | None, name: str, value: str, index=None) -> ox.NamedNode | ox.Literal:
    """A parameter value as a term; entity names are looked up in ``index`` (ids, names)
    when given (e.g. from a remote endpoint), else in ``store``."""
    if name in ENTITY_PARAMS:
        ids, names = index if index is not None else entity_index(store)
        if value in ids:
            return ox.NamedNode(ids[value])
        if value.lower() in names:
            return ox.NamedNode(names[value.lower()])
        if value.startswith(iris.base() + "entity/") and value in ids.values():
            return ox.NamedNode(value)
        near = difflib.get_close_matches(value, list(ids), n=5, cutoff=0.5)
        near += [names[n].rsplit("/", 1)[1] for n in difflib.get_close_matches(value.lower(), list(names), n=5, cutoff=0.6)]
        near = list(dict.fromkeys(near))[:5]
        hint = ("did you mean " + ", ".join(f"`{n}`" for n in near) + "?") if near else "run `kg entities` for the ids"
        raise UsageError(f"--param {name}={value}: no entity with that id, label or alias — {hint}")
    if name == "claim":
        if value.startswith("https://"):
            try:
                return ox.NamedNode(value)
            except ValueError as exc:
                raise UsageError(f"--param claim={value!r}: not a valid IRI ({exc}) — write ARTICLE/CLAIM-ID, "
                                 "e.g. 000/griffin-letter-to-trump, or a claim IRI without spaces") from None
        art, _, cid = value.partition("/")
        if not cid:
            raise UsageError(f"--param claim={value}: write ARTICLE/CLAIM-ID, e.g. 000/griffin-letter-to-trump")
        return ox.NamedNode(str(iris.claim(art, cid)))
    return ox.Literal(value)


_FROM_RE = re.compile(r"\bFROM\s+(?:NAMED\s+)?(?:<([^>\s]*)>|([A-Za-z][\w.-]*)?:([\w.-]*))", re.I)
_PREFIX_DECL_RE = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I)


def check_from(store: ox.Store, query: str, path: str = "the query") -> None:
    """``FROM``/``FROM NAMED`` must name graphs of the store: an unknown one would be read silently
    as an empty graph (and no graph is ever fetched)."""
    from .turtle import mask
    text = mask(query)
    prefixes = {m.group(1) or "": m.group(2) for m in _PREFIX_DECL_RE.finditer(text)}
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    for m in _FROM_RE.finditer(text):
        iri = m.group(1) if m.group(1) is not None else prefixes.get(m.group(2) or "", "") + m.group(3)
        if iri not in graphs:
            line = text.count("\n", 0, m.start()) + 1
            near = difflib.get_close_matches(iri, sorted(graphs), n=1, cutoff=0.6)
            raise InputError(Pos(path, line, m.start() - text.rfind("\n", 0, m.start())),
                             f"{m.group(0)}: no graph of that name in the store",
                             f"did you mean <{near[0]}>?" if near else "the graphs are listed in void.ttl (void:subset)")


def run(store: ox.Store, query: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None = None):
    try:
        return store.query(inline(query, bindings or {}), use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise KgError(f"query does not parse: {exc}") from None


_CLAUSE_RE = re.compile(r"\b(SELECT|GROUP\s+BY|ORDER\s+BY)\b|\b(WHERE|HAVING|LIMIT|OFFSET|VALUES)\b|([{}])", re.I)


def inline(query: str, bindings: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with each bound parameter ``?_name`` written as its term (SEP-0007's substitution,
    done on the text): Oxigraph plans a query before it applies ``substitutions``, so with a substituted
    actor a query starts from, e.g., every claim with a factuality instead of the actor's few, and is
    slower by a factor of the corpus's size.  The term is pyoxigraph's own serialization of a term it
    parsed (an IRI it validated, a literal it escapes), never the user's text.  In ``SELECT``,
    ``GROUP BY`` and ``ORDER BY`` the parameter is dropped: its column is never shown, and a constant
    neither groups nor orders."""
    if not bindings:
        return query
    from .turtle import mask
    masked = mask(query)
    var_re = re.compile(r"[?$]_(" + "|".join(re.escape(n) for n in bindings) + r")(?![A-Za-z0-9_])")
    marks = sorted([(m.start(), 0, m) for m in _CLAUSE_RE.finditer(masked)]
                   + [(m.start(), 1, m) for m in var_re.finditer(masked)], key=lambda t: t[0])
    out, last, clause = [], 0, None
    for pos, is_var, m in marks:
        if not is_var:
            if m.group(1):
                clause = re.sub(r"\s+", " ", m.group(1).upper())
            elif m.group(2) or m.group(3) == "{" or (m.group(3) == "}" and clause != "SELECT"):
                clause = None
            continue
        out += [query[last:pos], "" if clause else str(bindings[m.group(1)])]
        last = m.end()
    out.append(query[last:])
    return "".join(out)


_TAIL_RE = re.compile(r"\b(LIMIT|OFFSET|VALUES)\b", re.I)


def page(query: str, limit: int | None, offset: int = 0) -> str:
    """The query with ``LIMIT limit OFFSET offset`` applied to its outermost solutions, so that the rows are
    the ones the full answer has at those places, in its order (a prefix when ``offset`` is 0).  A query
    whose outermost level already has a LIMIT, OFFSET or trailing VALUES is refused rather than changed."""
    if limit is None and not offset:
        return query
    if (limit is not None and limit < 0) or offset < 0:
        raise UsageError("--limit and --offset take a number of rows, 0 or more")
    from .turtle import mask
    masked = mask(query)
    depth, end, start = 0, 0, 0
    for i, ch in enumerate(masked):  # the end of the last outermost group that is not a trailing VALUES block
        if ch == "{":
            start, depth = (i if depth == 0 else start), depth + 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0 and not re.search(r"\bVALUES\b", masked[end:start], re.I):
                end = i + 1
    if _TAIL_RE.search(masked[end:]):
        raise UsageError("the query has its own LIMIT, OFFSET or VALUES after its WHERE clause — "
                         "remove them to page it with --limit/--offset")
    clause = (f"LIMIT {limit}" if limit is not None else "") + (f" OFFSET {offset}" if offset else "")
    return query.rstrip() + "\n" + clause.strip() + "\n"


# ---------------------------------------------------------------- a page of a listing, without the whole

PATHS: dict[str, int] = {"paged": 0, "whole": 0, "unsure": 0,   # how evaluate() answered (for tests, benchmarks)
                         "ordered here": 0, "kept": 0, "narrow": 0, "lead": 0}
PAGED_ROWS = 20_000   # a page this deep (offset + limit) is taken from the whole answer instead
PAGED_CHUNK = 500     # keys restricted at once: Oxigraph 0.5 slows down ten-fold per key above about 1,000


class Rows:
    """Solutions in the shape :func:`render` reads (``variables``, iteration)."""

    def __init__(self, variables, rows: list) -> None:
        self.variables = variables
        self.rows = rows

    def __iter__(self):
        return iter(self.rows)


def evaluate(store: ox.Store, cq: CannedQuery, bindings: dict, limit: int | None = None, offset: int = 0,
             generation: Path | None = None):
    """The canned query's answer, or its rows ``offset`` to ``offset + limit`` (as :func:`page` gives them).

    ``generation``: the store's generation directory, whose kept first pages (:mod:`kg.answers`, written
    by the build) answer any rows they hold without evaluating anything.

    A listing with a key query (``queries/pages/<slug>.rq``) answers a page without evaluating the whole
    listing: Oxigraph cannot stop a join of whole-store scans at the page, but the key query (the row's key
    in the listing's order, from a few cheap patterns) can, and the rows of those keys alone come from the
    query's plain text (``queries/reference/<slug>.rq``) with every group restricted to those keys, which
    Oxigraph answers by index lookups (``PAGED_CHUNK`` keys at a time).  The rows of the first
    ``offset + limit`` keys are taken and checked: exactly one row for each key, in the keys' order.  Then they are the listing's first rows, because the
    key query selects every row's key (its patterns are among the listing's required ones) in the listing's
    order (its ORDER BY, which ends with the key); otherwise (a key with no row or with two, e.g. a claim a
    curator gave two dates) the page is taken from the whole answer.  ``tests/test_queries_scale.py`` holds
    every page to the whole answer's rows at its places.

    A query with a narrow text (``queries/narrow/<slug>.rq``) is answered by it, whole and then paged, when its
    count query says the parameters' values select at most ``#+ at-most`` things (:func:`selective`).
    Oxigraph 0.5 plans a query from its text alone, with no statistics, so one text has one plan for every
    value: the texts above are written for values that select a large part of the store, and the narrow
    one starts from the parameter, which is far faster for a value that selects little and far slower for
    one that selects much.  ``tests/test_queries_scale.py`` holds it to the query's answer for every value."""
    if generation is not None:
        from . import answers
        kept = answers.lookup(generation, cq, bindings, limit, offset)
        if kept is not None:
            PATHS["kept"] += 1
            return kept
    if cq.narrow and all(p in bindings for p in cq.params) and selective(store, cq, bindings):
        PATHS["narrow"] += 1
        return run(store, page(cq.narrow, limit, offset), bindings)
    if cq.keys and limit is not None and limit >= 0 and offset >= 0 and 0 < offset + limit <= PAGED_ROWS:
        rows = _paged(store, cq, bindings, offset + limit)
        if rows is not None:
            PATHS["paged"] += 1
            return Rows(rows.variables, rows.rows[offset:])
        PATHS["unsure"] += 1
    PATHS["whole"] += 1
    return run(store, page(cq.text, limit, offset), bindings)


def selective(store: ox.Store, cq: CannedQuery, bindings: dict) -> bool:
    """Whether the narrow text answers for these values: its count query's ``?n`` is at most ``cq.at_most``."""
    for sol in run(store, cq.count, bindings):
        n = sol["n"]
        return isinstance(n, ox.Literal) and n.value.isdigit() and int(n.value) <= cq.at_most
    return False


def _paged(store: ox.Store, cq: CannedQuery, bindings: dict, n: int) -> Rows | None:
    names = key_variables(cq.keys)
    keys = None
    if cq.lead:
        keys = lead_keys(store, cq.lead, cq.keys, bindings, n)
        if keys is None:
            return None
        PATHS["lead"] += 1
    elif cq.order_here:
        keys = ordered_keys(store, cq.keys, bindings, n)
        if keys is not None:
            PATHS["ordered here"] += 1
    if keys is None:
        keys = [tuple(sol[v] for v in names) for sol in run(store, page(cq.keys, n), bindings)]
    if any(term is not None and not isinstance(term, (ox.NamedNode, ox.Literal)) for key in keys for term in key):
        return None   # a blank node (which VALUES cannot name): the whole answer
    text, hidden = project(inline(cq.rows, bindings), names)
    rows, variables = [], None
    for i in range(0, max(len(keys), 1), PAGED_CHUNK):
        chunk = keys[i:i + PAGED_CHUNK]
        results = run(store, restrict(text, names, chunk))
        variables = [v for v in results.variables if v.value not in hidden]
        wanted = set(chunk)   # a group restricted on some of the key's variables lets other keys' rows through
        rows += [sol for sol in results if tuple(sol[v] for v in names) in wanted]
    if [tuple(sol[v] for v in names) for sol in rows] != keys:
        return None
    return Rows(variables, rows)


def project(query: str, names: list[str]) -> tuple[str, set[str]]:
    """``query`` with those of ``names`` its outermost ``SELECT`` does not project added to it, and the names
    added (a key variable the rows are matched on but not shown, e.g. a report's ``?count``).  Adding a
    variable to a projection without ``DISTINCT``, ``REDUCED`` or aggregates keeps every solution, one for
    one; a query with them is refused (:class:`UsageError`) rather than changed."""
    from .turtle import mask
    m = re.search(r"\bSELECT\b(.*?)(\bWHERE\b|\{)", mask(query), re.I | re.S)
    if not m:
        raise UsageError("the rows of a page come from a SELECT query")
    shown = _projection(m.group(1))
    if shown is None:   # SELECT *
        return query, set()
    hidden = [n for n in names if n not in shown]
    if not hidden:
        return query, set()
    if re.search(r"\b(DISTINCT|REDUCED)\b|\(", m.group(1), re.I):
        raise UsageError(f"the rows' SELECT has DISTINCT, REDUCED or an expression: the key's ?{hidden[0]} "
                         "cannot be added to it; project it there")
    at = m.end(1)
    return query[:at] + " " + " ".join(f"?{n}" for n in hidden) + " " + query[at:], set(hidden)


_XSD = "http://www.w3.org/2001/XMLSchema#"
_SORT_TERM = re.compile(r"(ASC|DESC)?\s*\(\s*(STR)?\s*\(\s*[?$]([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*\)"
                        r"|(ASC|DESC)\s*\(\s*[?$]([A-Za-z_][A-Za-z0-9_]*)\s*\)|(STR)\s*\(\s*[?$]([A-Za-z_][A-Za-z0-9_]*)\s*\)"
                        r"|[?$]([A-Za-z_][A-Za-z0-9_]*)", re.I)


def _order_by(clause: str) -> list[tuple[str, bool, bool]] | None:
    """``ORDER BY`` conditions as (variable, descending, by its STR), or None for anything else."""
    out, pos = [], 0
    clause = clause.strip()
    while pos < len(clause):
        m = _SORT_TERM.match(clause, pos)
        if not m:
            return None
        g = m.groups()
        if g[2]:
            out.append((g[2], (g[0] or "").upper() == "DESC", bool(g[1])))
        elif g[4]:
            out.append((g[4], g[3].upper() == "DESC", False))
        elif g[6]:
            out.append((g[6], False, True))
        else:
            out.append((g[7], False, False))
        pos = m.end()
        while pos < len(clause) and clause[pos].isspace():
            pos += 1
    return out or None


class _Desc:
    """A sort key reversed (for one ``DESC`` condition among ascending ones)."""
    __slots__ = ("k",)

    def __init__(self, k) -> None:
        self.k = k

    def __lt__(self, other: "_Desc") -> bool:
        return other.k < self.k

    def __eq__(self, other) -> bool:
        return self.k == other.k


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


def _kind(term, by_str: bool) -> str | None:
    if term is None:
        return None
    if by_str:
        return "str" if isinstance(term, (ox.NamedNode, ox.Literal)) else "?"   # STR of a blank node: an error
    if isinstance(term, ox.NamedNode):
        return "iri"
    if not isinstance(term, ox.Literal):
        return "?"
    if term.language:
        return "@" + term.language
    dt = term.datatype.value
    if dt == _XSD + "string":
        return "str"
    if (dt == _XSD + "integer" and _INTEGER.fullmatch(term.value) and abs(int(term.value)) < 2 ** 63
            or dt == _XSD + "decimal" and _DECIMAL.fullmatch(term.value)):
        return "num"
    return "?"


def _sort_values(terms: list, by_str: bool) -> list | None:
    """Python values that order ``terms`` exactly as Oxigraph's ORDER BY does, or None where they might not:
    a column of IRIs, of plain strings, of strings in one language, or of integers and decimals, with unbound
    values first, is taken (codepoints; numbers by value, as spareval's ``cmp_terms``); another datatype,
    two languages, a blank node or a mix of kinds is left to the store."""
    kinds = {_kind(t, by_str) for t in terms}
    kinds.discard(None)
    if len(kinds) > 1 or "?" in kinds:
        return None
    if kinds == {"num"}:
        from decimal import Decimal
        return [(0,) if t is None else (1, Decimal(t.value)) for t in terms]
    return [(0,) if t is None else (1, t.value) for t in terms]


def _order(text: str) -> tuple[int, list[tuple[str, bool, bool]]] | None:
    """Where a query's outermost ``ORDER BY`` starts and its conditions, if kg can sort its solutions
    (:func:`_ranked`): conditions on variables only, no ``DISTINCT`` or ``REDUCED``, nothing after them."""
    from .turtle import mask
    masked = mask(text)
    at = masked.rfind("ORDER BY")
    head = re.search(r"\bSELECT\b(.*?)(\bWHERE\b|\{)", masked, re.I | re.S)
    if at < 0 or not head or re.search(r"\b(DISTINCT|REDUCED)\b", head.group(1), re.I) or "}" in masked[at:]:
        return None
    order = _order_by(masked[at + len("ORDER BY"):])
    return (at, order) if order else None


def _ranked(store: ox.Store, text: str, bindings: dict) -> list[tuple[tuple, tuple]] | None:
    """Every solution of ``text`` as (its ORDER BY values, its selected variables), sorted here as Oxigraph's
    ORDER BY would, or None where that is not sure (:func:`_sort_values`)."""
    found = _order(text)
    names = key_variables(text)
    if found is None or not names:
        return None
    at, order = found
    body, _ = project(text[:at], [v for v, _, _ in order])
    columns = [v for v, _, _ in order]
    solutions = [(tuple(sol[v] for v in columns), tuple(sol[v] for v in names)) for sol in run(store, body, bindings)]
    sort_columns = []
    for i, (_, desc, by_str) in enumerate(order):
        values = _sort_values([s[0][i] for s in solutions], by_str)
        if values is None:
            return None
        sort_columns.append([_Desc(v) for v in values] if desc else values)
    ranked = sorted(range(len(solutions)), key=lambda j: tuple(col[j] for col in sort_columns))
    return [solutions[j] for j in ranked]


def ordered_keys(store: ox.Store, keys_query: str, bindings: dict, n: int) -> list[tuple] | None:
    """The first ``n`` keys of a key query, ordered here rather than by Oxigraph, or None where that is not sure
    to give its order (then the store orders them).  Oxigraph 0.5 decodes both terms from RocksDB at every
    comparison of an ``ORDER BY`` (3.5 s of the 7 s that ``urged-but-did-not-raise``'s keys took at 10,000
    articles); the same solutions unordered, with the sort values projected, cost a fraction of that to read
    and a Python sort of plain strings, IRIs or numbers gives SPARQL's order (codepoints; unbound first;
    numbers by value).  The ORDER BY must end with the key (as every key query's does), so the order is total."""
    ranked = _ranked(store, keys_query, bindings)
    return None if ranked is None else [key for _, key in ranked[:n]]


LEAD_FIRST = 8   # lead values whose keys are read in the first round (twice as many in each next one)


def _lead_misfit(lead: str, keys: str) -> str:
    """What keeps ``lead`` from being ``keys``' lead query (:func:`lead_keys`), or "" if nothing does."""
    names, lead_names = key_variables(keys), key_variables(lead)
    lead_order, key_order = _order(lead), _order(keys)
    if len(lead_names) != 1 or lead_names[0] not in names:
        return "it must select one variable of the key"
    if lead_order is None or key_order is None:
        return "both must end with an ORDER BY of variables (no DISTINCT)"
    conditions = lead_order[1]
    if conditions[-1] != (lead_names[0], False, False) or key_order[1][:len(conditions) - 1] != conditions[:-1]:
        return f"its ORDER BY must be the key query's first conditions, then ?{lead_names[0]}"
    return ""


def lead_chunks(prefixes: list[tuple], first: int = LEAD_FIRST):
    """Ranges ``(i, j)`` of ``prefixes`` (sorted), ``first`` long, then twice as long each time, each made
    longer rather than end between two equal values."""
    i, size = 0, max(first, 1)
    while i < len(prefixes):
        j = min(i + size, len(prefixes))
        while j < len(prefixes) and prefixes[j] == prefixes[j - 1]:
            j += 1
        yield i, j
        i, size = j, size * 2


def lead_keys(store: ox.Store, lead: str, keys_query: str, bindings: dict, n: int) -> list[tuple] | None:
    """The first ``n`` keys of a key query, read a few lead values at a time: for a listing ordered first by
    something of one of its key's variables (``urged-but-did-not-raise``: the actor's label), its lead query
    lists that variable's values (the urged actors) in that order, and the key query is evaluated with the
    variable restricted (:func:`restrict`) to the first few values, then to the next ones, until ``n`` keys
    are found.  Every key of a later value sorts after them: the key query's ORDER BY starts with the lead
    query's conditions before the variable, and rounds never end between two values that tie on them.  So the
    keys found, each round sorted here, are the first ones, without listing every key (40,000 for the broadest
    issue at 10,000 articles).  None where kg cannot sort them, or a value comes twice in the lead query (an
    actor with two labels), which this cannot order."""
    leads = _ranked(store, lead, bindings)
    if leads is None:
        return None
    values = [key[0] for _, key in leads]
    if len(set(values)) != len(values) or any(v is None for v in values):
        return None
    var = key_variables(lead)[0]
    width = len(_order(lead)[1]) - 1
    prefixes = [sort[:width] for sort, _ in leads]
    found: list[tuple] = []
    for i, j in lead_chunks(prefixes):
        ranked = _ranked(store, restrict(keys_query, [var], [(v,) for v in values[i:j]]), bindings)
        if ranked is None:
            return None
        found += [key for _, key in ranked]
        if len(found) >= n:
            break
    return found[:n]


def key_variables(text: str) -> list[str]:
    """The plain variables a key query selects, in order (none if it selects ``*`` or an expression)."""
    from .turtle import mask
    m = re.search(r"\bSELECT\b(.*?)(\bWHERE\b|\{)", mask(text), re.I | re.S)
    if not m or re.search(r"[(*]", m.group(1)):
        return []
    return re.findall(r"[?$]([A-Za-z_][A-Za-z0-9_]*)", re.sub(r"\bDISTINCT\b|\bREDUCED\b", "", m.group(1), flags=re.I))


def _projection(clause: str) -> set[str] | None:
    """The variables a subquery's ``SELECT …`` clause (masked) projects; None for ``SELECT *``."""
    plain, depth, out = [], 0, set[str]()
    for ch in clause:
        depth += ch == "("
        depth -= ch == ")"
        plain.append(ch if depth == 0 and ch != ")" else " ")
    if re.search(r"\*", "".join(plain)):
        return None
    out.update(re.findall(r"[?$]([A-Za-z_][A-Za-z0-9_]*)", "".join(plain)))
    out.update(re.findall(r"\bAS\s+[?$]([A-Za-z_][A-Za-z0-9_]*)", clause, re.I))
    return out


def restrict(query: str, names: list[str], keys: list[tuple]) -> str:
    """``query`` with ``VALUES`` of the ``keys`` (tuples of terms for the variables ``names``) opening every
    group that names some of those variables in its own patterns, each group restricted to the variables it
    names (the keys projected on them).  A subquery that does not project a variable has its own variable of
    that name, which is left alone, as is a group that only binds it (``BIND(… AS ?kind)``); a ``VALUES``
    block's data is not a group, and an ``EXISTS`` group is not restricted (it is evaluated for each row,
    with the row's key bound).  On a listing whose rows each hold their key, and whose groups aggregate
    per key at most, the answer is the rows of those keys.  A key
    whose variable is unbound (a row without the listing's OPTIONAL part) gives that variable's groups no
    value: only an OPTIONAL binds it, and for that row the listing's OPTIONAL found nothing."""
    from .turtle import mask
    masked = mask(query)
    pairs, stack = [], []
    for i, ch in enumerate(masked):
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            pairs.append((stack.pop(), i))
    pairs.sort()
    inserts: list[tuple[int, str]] = []
    scopes: list[tuple[int, set | None]] = []   # (end, projection) of the subqueries around a position
    for start, end in pairs:
        scopes = [s for s in scopes if s[0] > start]
        own = list(masked[start + 1:end])
        for s, e in pairs:   # blank the nested groups: the group's own text remains
            if start < s and e < end:
                own[s - start - 1:e - start] = " " * (e - s + 1)
        own_text = "".join(own)
        head = re.match(r"\s*SELECT\b(.*?)\bWHERE\b", own_text, re.I | re.S)
        if head or re.match(r"\s*SELECT\b", own_text, re.I):
            scopes.append((end, _projection(head.group(1)) if head else set()))
            continue
        if re.search(r"\bVALUES\s*(\([^()]*\)|[?$][A-Za-z_][A-Za-z0-9_]*)\s*$", masked[:start], re.I):
            continue
        if re.search(r"\bEXISTS\s*$", masked[:start], re.I):
            continue   # evaluated for each row, its key already bound: a VALUES block would be read once a row
        named = re.sub(r"\bAS\s+[?$][A-Za-z_][A-Za-z0-9_]*", " ", own_text, flags=re.I)   # bound here, not named
        here = [n for n in names
                if all(p is None or n in p for _, p in scopes)
                and re.search(r"[?$]" + re.escape(n) + r"(?![A-Za-z0-9_])", named)]
        if here:
            idx = [names.index(n) for n in here]
            rows = dict.fromkeys(tuple(str(k[i]) for i in idx) for k in keys if all(k[i] is not None for i in idx))
            if len(here) == 1:
                block = f" VALUES ?{here[0]} {{ " + " ".join(r[0] for r in rows) + " } "
            else:
                block = (" VALUES (" + " ".join(f"?{n}" for n in here) + ") { "
                         + " ".join("(" + " ".join(r) + ")" for r in rows) + " } ")
            inserts.append((start + 1, block))
    out, last = [], 0
    for pos, block in sorted(inserts):
        out += [query[last:pos], block]
        last = pos
    out.append(query[last:])
    return "".join(out)


def bind_params(cq: CannedQuery, store: ox.Store | None, given: dict[str, str], index=None) -> dict[str, ox.NamedNode | ox.Literal]:
    unknown = sorted(set(given) - set(cq.params))
    if unknown:
        accepted = ", ".join(cq.params) or "none"
        raise UsageError(f"{cq.slug} has no parameter {', '.join(unknown)} (parameters: {accepted})")
    values = {**cq.defaults, **given}
    missing = [p for p in cq.params if p not in values]
    if missing:
        raise UsageError(f"{cq.slug} needs --param {missing[0]}=VALUE")
    if index is None and store is not None and ENTITY_PARAMS & set(cq.params):
        # registry ids are looked up one by one (an index read each); only a label, an alias or a miss
        # reads every entity's names (0.3 s at 10,000 articles)
        direct = {values[n]: _by_id(store, values[n]) for n in cq.params if n in ENTITY_PARAMS}
        index = entity_index(store) if None in direct.values() else (direct, {})
    return {name: resolve(store, name, values[name], index) for name in cq.params}


def _by_id(store: ox.Store, value: str) -> str | None:
    """The IRI of the one entity of the entities graph whose registry id is ``value`` (as
    :func:`entity_index` maps it), or None (no such id, several, or no entities graph)."""
    prefix = iris.base() + "entity/"
    found = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(IDENTIFIER), ox.Literal(value),
                                                              ox.NamedNode(str(iris.G.ENTITIES)))
             if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(prefix) and "/position/" not in q.subject.value}
    return found.pop() if len(found) == 1 else None


# ---------------------------------------------------------------- output

def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Triple):  # an RDF 1.2 triple term, written as in Turtle
        return f"<<( {_nt(term.subject)} {_nt(term.predicate)} {_nt(term.object)} )>>"
    return term.value


def _nt(term) -> str:
    return _cell(term) if isinstance(term, ox.Triple) else str(term)


def json_term(term) -> dict:
    """One RDF term as SPARQL 1.1 Query Results JSON (triple terms as SPARQL 1.2 proposes)."""
    if isinstance(term, ox.Triple):  # SPARQL 1.2 Query Results JSON
        return {"type": "triple", "value": {"subject": json_term(term.subject), "predicate": json_term(term.predicate),
                                            "object": json_term(term.object)}}
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


_ONE_LINE = re.compile(r"\s*[\n\r\t\f\v\x85\u2028\u2029]\s*|\s{2,}")


def render(results, fmt: Format) -> str:
    """Results as text.  Parameter variables (``?_name``) are bound, not answers: not shown."""
    if isinstance(results, ox.QueryBoolean):
        if fmt is Format.JSON:
            return json.dumps({"head": {}, "boolean": bool(results)}) + "\n"
        return ("true" if bool(results) else "false") + "\n"
    if isinstance(results, ox.QueryTriples):
        return results.serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    names = [v.value for v in results.variables if not v.value.startswith("_")]
    solutions = list(results)
    if fmt is Format.JSON:
        bindings = [{n: json_term(sol[n]) for n in names if sol[n] is not None} for sol in solutions]
        return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}, ensure_ascii=False, indent=1) + "\n"
    # a quote with a line break must not break a cell: whitespace runs show as one space
    # (the graph keeps the article's characters in oa:exact)
    rows = [[_ONE_LINE.sub(" ", _cell(sol[v])) for v in names] for sol in solutions]
    if fmt is Format.CSV:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(names)
        writer.writerows(rows)
        return buf.getvalue()
    if fmt is Format.TSV:
        clean = lambda s: s.replace("\t", " ").replace("\n", " ")  # noqa: E731
        return "\n".join("\t".join(clean(c) for c in r) for r in [names, *rows]) + "\n"
    return table(names, rows)


def table(names: list[str], rows: list[list[str]], width: int = 60) -> str:
    cut = lambda s: (s.replace("\n", " ")[: width - 1] + "…") if len(s) > width else s.replace("\n", " ")  # noqa: E731
    cells = [[cut(c) for c in r] for r in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    out = [line(names), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- standalone text

WHERE_RE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
UNION_NOTE = ("expects: the default graph is the union of the named graphs — Oxigraph: "
              "`oxigraph serve --union-default-graph`; Virtuoso, GraphDB: their default; Fuseki: "
              "`tdb2:unionDefaultGraph true`; any store: one `default-graph-uri` per named graph")


def standalone(cq: CannedQuery, bindings: dict[str, ox.NamedNode | ox.Literal], given: dict[str, str] | None = None) -> str:
    """The query with its parameters bound in ``VALUES`` blocks, runnable on any SPARQL 1.1
    store holding the dumps.  A block opens every ``WHERE {`` (the outer query's and each
    subquery's), so a parameter used only inside a subquery is bound there too."""
    names = [n for n in cq.params if n in bindings]
    lines = [f"# {cq.slug} (queries/{cq.slug}.rq), standalone: `kg query {cq.slug} --print`",
             "# " + UNION_NOTE]
    for n in names:
        shown = (given or {}).get(n, cq.defaults.get(n, ""))
        lines.append(f"# ?_{n} = {bindings[n]}" + (f"  ({n}={shown})" if shown else ""))
    text = cq.text
    if names:
        block = " VALUES (" + " ".join(f"?_{n}" for n in names) + ") { (" + " ".join(str(bindings[n]) for n in names) + ") }"
        out, last, placed = [], 0, 0
        for m in WHERE_RE.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if text[line_start:m.start()].lstrip().startswith("#"):
                continue
            out += [text[last:m.end()], block]
            last, placed = m.end(), placed + 1
        out.append(text[last:])
        text = "".join(out)
        if not placed:
            text = text.rstrip() + "\n" + block.strip() + "\n"
    return "\n".join(lines) + "\n" + text

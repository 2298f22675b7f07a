"""Load the seeds: strict YAML -> typed model, quotes resolved to offsets.

Every error names ``path:line:col``, what is wrong and what would be right.
Errors in different claims and files are collected and reported together.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import anchor, iris, limits, source
from .errors import InputError, InputErrors, Pos, collect
from .model import (
    ACTS, CLAIM_TYPES, ENUMS, REQUEST_FIELDS,
    Article, Claim, Count, Dataset, Entity, FieldSpec, Kind, Position, Quote, TurtleFile,
)
from .header import ARTICLES_DIR, DRAFT_FIX, HeaderReader, _short, article_number, file_sha256  # noqa: F401
from .registry import ID_RE, check_registry_refs, load_dataset_meta, read_registry
from .source import (
    Fields, Node, YMap, YSeq, YStr, as_list, as_text, is_null, kind_name, parse_date, parse_int, suggest,
)

KEY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*\Z")

ENTITIES_FILE = "entities.yaml"
DATASET_FILE = "dataset.yaml"
ANNOTATIONS_DIR = "annotations"
ADDITIONS_DIR = "additions"


# ---------------------------------------------------------------- annotations



class ArticleLoader(HeaderReader):
    def __init__(self, src: "Sources", entities: dict[str, Entity]) -> None:
        self.src = src
        self.root = src.root
        self.entities = entities
        self.names = sorted(entities)
        self.by_name: dict[str, str] = {}
        for ent in entities.values():
            for name in ent.names:
                self.by_name.setdefault(name.lower(), ent.id)

    def load(self, path: Path, display: str | None = None) -> Article:
        display = display or f"{self.root}/{ANNOTATIONS_DIR}/{path.name}"
        key = path.stem
        root = source.load(path, display)
        if not KEY_RE.match(key):
            raise InputError(Pos(display), f"annotation file name {path.name!r} is not a simple key",
                             "name it after the article number, e.g. 005.yaml")
        top = Fields(root, "an annotation file", ["article", "claims"], ["article", "claims"])
        errors: list[InputError] = []
        art = self._article_meta(key, display, top.get("article"), errors)
        claims_node = top.get("claims")
        if not isinstance(claims_node, YSeq):
            errors.append(InputError(claims_node.pos, "`claims` must be a list", "start each claim with `- id:`"))
        if art is None or errors and not isinstance(claims_node, YSeq):
            raise InputErrors(errors)
        seen: dict[str, Pos] = {}
        ctx = _ClaimContext(self, art)
        for cnode in claims_node.items:
            claim = collect(errors, ctx.claim, cnode)
            if claim is None:
                continue
            if claim.id in seen:
                errors.append(InputError(claim.pos, f"duplicate claim id `{claim.id}` (first at line {seen[claim.id].line})",
                                         "give every claim of a file its own id"))
                continue
            seen[claim.id] = claim.pos
            art.claims.append(claim)
        errors.extend(ctx.check_claim_refs(seen))
        if errors:
            raise InputErrors(errors)
        art.annotation_sha256 = file_sha256(path)
        return art

    def ref(self, node: Node, key: str, types: frozenset[str]) -> str:
        eid = as_text(node, key).strip()
        ent = self.entities.get(eid)
        if ent is None:
            by_name = self.by_name.get(eid.lower())
            if by_name and types and self.entities[by_name].type not in types:
                by_name = None
            fitting = [i for i in self.names if not types or self.entities[i].type in types]
            kinds = " or ".join(sorted(types)) if types else "entity"
            hint = f"did you mean `{by_name}`?" if by_name else suggest(
                eid, fitting, f"{kinds} ids in {self.root}/{ENTITIES_FILE} (`kg entities` lists them)")
            raise InputError(node.pos, f"unknown entity id `{eid}` in `{key}`", hint)
        if types and ent.type not in types:
            raise InputError(node.pos, f"`{key}` names `{eid}`, a {ent.type}",
                             "it must name a " + " or ".join(sorted(types)))
        return eid


class _ClaimContext:
    """Turns claim mappings of one article into :class:`Claim` objects."""

    def __init__(self, loader: ArticleLoader, art: Article) -> None:
        self.loader = loader
        self.art = art
        self.doc = anchor.Article(art.text)
        self.article_display = loader.src.articles[art.file][1]
        self.claim_refs: list[tuple[YStr, str]] = []

    def claim(self, node: Node) -> Claim:
        if not isinstance(node, YMap):
            raise InputError(node.pos, f"a claim must be a mapping, not {kind_name(node)}", "start it with `- id:`")
        tnode = node.get("type")
        if is_null(tnode):
            raise InputError(node.pos, "claim lacks required `type`", "add `type:` (" + ", ".join(CLAIM_TYPES) + ")")
        tname = as_text(tnode, "type")
        ctype = CLAIM_TYPES.get(tname)
        if ctype is None:
            raise InputError(tnode.pos, f"unknown claim type {tname!r}", suggest(tname, list(CLAIM_TYPES), "types: " + ", ".join(CLAIM_TYPES)))
        allowed = ["id", "type", "evidence", "draft"] + [s.key for s in ctype.fields]
        required = ["id", "evidence"] + [s.key for s in ctype.fields if s.required]
        f = Fields(node, f"a `{tname}` claim", allowed, required)
        cid = as_text(f.get("id"), "id").strip()
        if not ID_RE.match(cid):
            raise InputError(f.get("id").pos, f"claim id {cid!r} is not a lower-case slug", "use letters, digits and single hyphens")
        errors: list[InputError] = []
        quotes = as_list(f.get("evidence"))
        evidence = [q for q in (collect(errors, self.quote, n) for n in quotes) if q is not None]
        claim = Claim(cid, tname, ctype.cls, {}, ctype.fields, evidence, node.pos)
        # every field's error is reported, not only the first; words that must lie inside
        # the evidence are checked only when all of the evidence was found
        self.fill(claim, f, ctype.fields, errors, inner=len(evidence) == len(quotes))
        if f.get("draft") is not None:
            errors.append(InputError(node.key_pos("draft"), f"claim `{cid}` is a draft: {_short(f.text('draft'), 160)}", DRAFT_FIX))
        if errors:
            raise InputErrors(errors)
        return claim

    def fill(self, claim: Claim, f: Fields, specs: tuple[FieldSpec, ...],
             errors: list[InputError] | None = None, inner: bool = True) -> None:
        mine: list[InputError] = [] if errors is None else errors
        for spec in specs:
            value = f.get(spec.key)
            if value is None or (not inner and spec.kind in (Kind.QUOTES, Kind.COUNT)):
                continue
            v = collect(mine, self.value, spec, value, claim)
            if v is not None:
                claim.values[spec.key] = v
        if errors is None and mine:
            raise InputErrors(mine)

    def value(self, spec: FieldSpec, node: Node, claim: Claim) -> Any:
        k = spec.kind
        if k is Kind.TEXT:
            return as_text(node, spec.key).strip()
        if k is Kind.ENTITY:
            return self.loader.ref(node, spec.key, spec.types)
        if k is Kind.ENTITIES:
            items = as_list(node)
            errors: list[InputError] = []
            ids = [collect(errors, self.loader.ref, n, spec.key, spec.types) for n in items]
            if errors:
                raise InputErrors(errors)   # every unknown id of the list, not just the first
            if len(set(ids)) != len(ids):
                raise InputError(node.pos, f"`{spec.key}` names an entity twice", "list each entity once")
            if len(ids) < spec.min_items:
                raise InputError(node.pos, f"`{spec.key}` names {len(ids)} entit{'y' if len(ids) == 1 else 'ies'}",
                                 f"a {claim.type} needs at least {spec.min_items}")
            return ids
        if k is Kind.DATE:
            return parse_date(node, spec.key)
        if k in (Kind.ENUM, Kind.ENUMS):
            vocab = ENUMS[spec.enum]
            items = as_list(node) if k is Kind.ENUMS else [node]
            out = []
            for n in items:
                v = as_text(n, spec.key).strip()
                if v not in vocab:
                    raise InputError(n.pos, f"unknown {spec.key} {v!r}", suggest(v, list(vocab), "values: " + ", ".join(vocab)))
                out.append(v)
            return out if k is Kind.ENUMS else out[0]
        if k is Kind.QUOTES:
            return [self.inner_quote(n, spec.key, claim) for n in as_list(node)]
        if k is Kind.CLAIM:
            cid = as_text(node, spec.key).strip()
            self.claim_refs.append((node, cid))
            return cid
        if k is Kind.POSITION:
            holder = claim.values.get("holder")
            key = as_text(node, spec.key).strip()
            if holder is None:  # holder itself was bad; reported already
                return key
            positions = self.loader.entities[holder].positions
            if key not in positions:
                raise InputError(node.pos, f"`{holder}` has no position `{key}` in the registry",
                                 suggest(key, list(positions), f"positions of `{holder}`") if positions
                                 else f"add it under `positions:` of `{holder}` in {self.loader.root}/{ENTITIES_FILE}")
            return key
        if k is Kind.COUNT:
            return self.count(node, claim)
        if k is Kind.REQUESTS:
            if not isinstance(node, YSeq) or not node.items:
                raise InputError(node.pos, "`requests` must be a non-empty list of requested actions", "write `- act: raise-issue` …")
            errors: list[InputError] = []
            requests = [collect(errors, self.request, n, claim, i) for i, n in enumerate(node.items, 1)]
            if errors:
                raise InputErrors(errors)
            return requests
        raise AssertionError(k)  # pragma: no cover

    def request(self, node: Node, parent: Claim, n: int) -> Claim:
        f = Fields(node, "a requested action", [s.key for s in REQUEST_FIELDS], [s.key for s in REQUEST_FIELDS if s.required])
        sub = Claim(f"{parent.id}/request/{n}", "request", "", {}, REQUEST_FIELDS, parent.evidence, node.pos)
        self.fill(sub, f, REQUEST_FIELDS)
        sub.cls, sub.agent_prop = ACTS[sub.values["act"]]
        sub.type = "request:" + sub.values["act"]
        if "agent" not in sub.values and "addressee" in parent.values:
            sub.values["agent"] = parent.values["addressee"]
        return sub

    def count(self, node: Node, claim: Claim) -> Count:
        f = Fields(node, "`count`", ["wording", "comparator", "value", "counts"], ["wording", "comparator", "value"])
        wording = self.inner_quote(f.get("wording"), "wording", claim)
        comp = as_text(f.get("comparator"), "comparator").strip()
        if comp not in ENUMS["comparator"]:
            raise InputError(f.get("comparator").pos, f"unknown comparator {comp!r}",
                             suggest(comp, list(ENUMS["comparator"]), "comparators: " + ", ".join(ENUMS["comparator"])))
        value = parse_int(f.get("value"), "value")
        if value == 0 and comp in ("fewer-than", "nearly"):
            raise InputError(f.get("value").pos, f"`{comp} 0` is not a possible count", "check the value and comparator")
        return Count(comp, value, wording.exact, f.text("counts"))

    def quote(self, node: Node) -> Quote:
        """An evidence quote: `"exact words"` or `{exact, occurrence | prefix}`."""
        occurrence = prefix = None
        if isinstance(node, YMap):
            key = next(iter(node.entries), "")
            if len(node.entries) == 1 and key not in ("exact", "occurrence", "prefix"):
                raise InputError(node.pos, f"this quote was read as a mapping because it contains `{key}: `",
                                 "put the whole quote in quotes, e.g. '…' (double any ' inside)")
            f = Fields(node, "an evidence quote", ["exact", "occurrence", "prefix"], ["exact"])
            if f.get("occurrence") is not None:
                occurrence = parse_int(f.get("occurrence"), "occurrence")
            prefix = f.text("prefix")
            node = f.get("exact")
        return self._locate(node, "evidence", occurrence=occurrence, prefix=prefix)

    def inner_quote(self, node: Node, key: str, claim: Claim) -> Quote:
        """Words that must lie inside one of the claim's evidence quotes."""
        text = as_text(node, key)
        for ev in claim.evidence:
            if anchor.fold(text) in anchor.fold(ev.exact):
                return self._locate(node, key, within=anchor.Span(ev.start, ev.end), first=True)
        raise InputError(node.pos, f"`{key}` {_short(text)!r} is not inside the claim's evidence",
                         "quote the article's exact words, and make `evidence` cover them")

    def _locate(self, node: Node, key: str, occurrence: int | None = None, prefix: str | None = None,
                within: anchor.Span | None = None, first: bool = False) -> Quote:
        text = as_text(node, key)
        for words in (text, prefix or ""):
            if len(words) > limits.QUOTE_CHARS:
                raise InputError(node.pos, f"a quote of {len(words):,} characters, over the limit of {limits.QUOTE_CHARS:,}",
                                 "quote the sentence or passage that carries the claim, not whole paragraphs")
        try:
            if first:
                start = next(s for s in self.doc.occurrences(text) if within.start <= s <= within.end - len(text))
                span = anchor.Span(start, start + len(text))
            else:
                span = self.doc.locate(text, occurrence=occurrence, prefix=prefix, within=within)
        except anchor.QuoteNotFound as nf:
            if prefix is not None and self.doc.occurrences(text) and \
                    any(self.doc.folded[:st].endswith(anchor.fold(prefix) + " ") for st in self.doc.occurrences(text)):
                raise InputError(node.pos, f"the quote is not preceded by the `prefix` {prefix!r}, but by {prefix + ' '!r}: "
                                 "YAML dropped the trailing space of the plain value",
                                 f"quote the prefix with its space: prefix: '{prefix} '") from None
            line, col = self.doc.line_col(nf.nearest_start)
            raise InputError(
                node.pos,
                f"quote not found in {self.article_display}: {_short(text)!r}",
                f"the closest passage ({self.article_display}:{line}:{col}) is {_short(nf.nearest)!r}; "
                f"they differ at character {nf.differs_at + 1} — copy the article's exact words",
            ) from None
        except anchor.QuoteAmbiguous as amb:
            where = ", ".join("{}:{}".format(*self.doc.line_col(s)) for s in amb.starts)
            if occurrence is not None:
                raise InputError(node.pos, f"`occurrence: {occurrence}` is out of range: the quote occurs {len(amb.starts)} times (at {where})",
                                 f"use a number from 1 to {len(amb.starts)}") from None
            raise InputError(
                node.pos,
                f"quote found {len(amb.starts)} times in {self.article_display} (at lines:cols {where}): {_short(text)!r}",
                "quote more words, or write `{exact: …, occurrence: N}` or `{exact: …, prefix: …}`",
            ) from None
        exact = self.art.text[span.start:span.end]
        return Quote(exact, span.start, span.end, self.doc.prefix(span), self.doc.suffix(span), node.pos)

    def check_claim_refs(self, ids: dict[str, Pos]) -> list[InputError]:
        return [InputError(n.pos, f"no claim `{cid}` in this file", suggest(cid, list(ids), "claim ids of this file"))
                for n, cid in self.claim_refs if cid not in ids]


# ---------------------------------------------------------------- the seeds

@dataclass
class Sources:
    """Where the seed files are, and how messages name them.

    Built from a seeds directory; ``with_additions`` overlays a curator's
    files (annotation YAML, registry YAML, article text, Turtle) without
    copying or touching the seeds.
    """

    seeds: Path
    root: str
    annotations: dict[str, tuple[Path, str]] = field(default_factory=dict)   # key -> (path, display)
    articles: dict[str, tuple[Path, str]] = field(default_factory=dict)      # file name -> (path, display)
    entity_files: list[tuple[Path, str]] = field(default_factory=list)
    turtle: dict[str, tuple[Path, str]] = field(default_factory=dict)        # name -> (path, display)

    @classmethod
    def of(cls, seeds: Path, display_root: str | None = None) -> "Sources":
        root = display_root or str(seeds)
        if not seeds.is_dir():
            raise InputError(Pos(root), "seeds directory not found", "pass --seeds DIR pointing at a seeds/ folder")
        src = cls(seeds, root)
        for p in _seed_files(seeds, ANNOTATIONS_DIR, ".yaml", root):
            src.annotations[p.stem] = (p, f"{root}/{ANNOTATIONS_DIR}/{p.name}")
        for p in _seed_files(seeds, ARTICLES_DIR, ".txt", root):
            src.articles[p.name] = (p, f"{root}/{ARTICLES_DIR}/{p.name}")
        for name in (ENTITIES_FILE, DATASET_FILE):
            _check_inside(seeds / name, f"{root}/{name}", seeds.resolve())
        src.entity_files.append((seeds / ENTITIES_FILE, f"{root}/{ENTITIES_FILE}"))
        for p in _seed_files(seeds, ADDITIONS_DIR, ".ttl", root):
            src.turtle[p.stem] = (p, f"{root}/{ADDITIONS_DIR}/{p.name}")
        return src

    def copy(self) -> "Sources":
        return Sources(self.seeds, self.root, dict(self.annotations), dict(self.articles),
                       list(self.entity_files), dict(self.turtle))


def _seed_files(seeds: Path, sub: str, suffix: str, root: str) -> list[Path]:
    """The files of ``seeds/sub`` ending in ``suffix``, in any case (`005.YAML` is a YAML file, as
    ``kg add`` classifies it).  A directory so named, or a link leading out of the seeds, is an error."""
    inside = seeds.resolve()
    out = []
    try:   # the directory's entries tell links and files apart without a stat of each (20,000 at 10,000 articles)
        with os.scandir(seeds / sub) as it:
            entries = sorted(it, key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return out
    for e in entries:
        p = seeds / sub / e.name
        if p.suffix.lower() != suffix or e.name.startswith("."):
            continue
        display = f"{root}/{sub}/{e.name}"
        if e.is_symlink():
            _check_inside(p, display, inside)
        if not e.is_file():   # follows a link, as Path.is_file does
            raise InputError(Pos(display), f"is not a file (a {suffix} name is for {suffix} files)", "rename or remove it")
        out.append(p)
    return out


def _check_inside(p: Path, display: str, inside: Path) -> None:
    if p.is_symlink() and not p.resolve().is_relative_to(inside):
        raise InputError(Pos(display), f"a symbolic link to {p.resolve()}, outside the seeds",
                         "copy the file into the seeds instead of linking to it")


def load_registry(src: Sources) -> tuple[dict[str, Entity], list[InputError]]:
    """The entity registry: seeds/entities.yaml and any registry additions overlaid on it.
    Also returns the entries still marked ``draft:`` (errors reported with the claims' errors)."""
    entities: dict[str, Entity] = {}
    drafts: list[InputError] = []
    for path, display in src.entity_files:
        found, patched = read_registry(path, display, entities, drafts=drafts)
        for eid, ent in found.items():
            if eid in entities and eid not in patched:
                raise InputError(ent.pos, f"entity `{eid}` is already in the registry ({entities[eid].pos})",
                                 "choose another id; to add names or positions to it, give only "
                                 f"`{eid}: {{aliases: […]}}` or `{eid}: {{positions: {{…}}}}` (README \"The entity registry\")")
            entities[eid] = ent
    ref_errors = check_registry_refs(entities)
    if ref_errors:
        raise InputErrors(ref_errors)
    return entities, drafts


def registry_json(entities: dict[str, Entity], drafts: list[InputError]) -> dict:
    """What :func:`load_registry` returned, as JSON values (the build caches it: see registry_of_json)."""
    return {"entities": [dataclasses.asdict(e) for e in entities.values()],
            "drafts": [[dataclasses.asdict(d.pos), d.problem, d.fix] for d in drafts]}


def registry_of_json(data: dict) -> tuple[dict[str, Entity], list[InputError]] | None:
    """:func:`registry_json`'s inverse; None for anything it did not make."""
    try:
        entities = {}
        for d in data["entities"]:
            positions = {k: Position(**dict(p, pos=Pos(**p["pos"]))) for k, p in d["positions"].items()}
            entities[d["id"]] = Entity(**dict(d, pos=Pos(**d["pos"]), positions=positions))
        drafts = [InputError(Pos(**pos), problem, fix) for pos, problem, fix in data["drafts"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return entities, drafts


def corpus_errors(src: Sources, annotated: list[tuple[str, Pos | str]]) -> list[InputError]:
    """What no single annotation file shows: an article without an annotation file, and two
    files annotating one article.  ``annotated`` lists (article file, where its annotation
    file names it)."""
    errors = []
    for fname, (_, display) in sorted(src.articles.items()):
        if article_number(fname) not in src.annotations:
            errors.append(InputError(Pos(display), f"article {fname} has no annotation file",
                                     f"write {src.root}/{ANNOTATIONS_DIR}/{article_number(fname)}.yaml for it "
                                     "(`kg draft` starts one), or remove the article"))
    files = Counter(f for f, _ in annotated)
    return errors + [InputError(pos, f"{f} is annotated by more than one file", "keep one annotation file per article")
                     for f, pos in annotated if files[f] > 1]


def load_turtle(src: Sources) -> list[TurtleFile]:
    return [TurtleFile(name, display, file_sha256(path), source.read_text(path, display, limits.TURTLE_BYTES))
            for name, (path, display) in sorted(src.turtle.items())]


def load_seeds(seeds: Path | Sources, display_root: str | None = None) -> Dataset:
    """Load dataset.yaml, the registry, every annotation file and Turtle addition."""
    src = seeds if isinstance(seeds, Sources) else Sources.of(seeds, display_root)
    meta = load_dataset_meta(src.seeds / DATASET_FILE, f"{src.root}/{DATASET_FILE}")
    iris.configure(meta["base"])  # every IRI minted from these seeds is under their base
    entities, drafts = load_registry(src)
    loader = ArticleLoader(src, entities)
    articles, errors = [], list(drafts)
    for key, (path, display) in sorted(src.annotations.items()):
        art = collect(errors, loader.load, path, display)
        if art is not None:
            articles.append(art)
    errors.extend(corpus_errors(src, [(a.file, a.pos) for a in articles]))
    if errors:
        raise InputErrors(errors)
    return Dataset(meta["title"], meta["description"], meta["version"], meta["license"], meta["issued"],
                   meta["creator"], entities, articles, src.root, load_turtle(src))

"""The entity registry (seeds/entities.yaml) and the dataset description (seeds/dataset.yaml)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from . import iris, limits, source
from .errors import InputError, InputErrors, collect
from .model import ACTOR_TYPES, ENTITY_TYPES, Entity, Position, Precision
from .source import Fields, Node, YMap, YSeq, YStr, as_list, as_text, parse_date, parse_int, suggest

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")   # \Z: "eps-person\n" is not an id
QID_RE = re.compile(r"^Q[1-9][0-9]*\Z")

ENTITY_KEYS = ["type", "label", "aliases", "description", "wikidata", "located_in",
               "part_of", "members", "member_count", "broader", "positions", "draft"]


PATCH_KEYS = ["aliases", "positions", "draft"]


def is_patch(node: Node) -> bool:
    """A registry addition's entry with no `type` and `label`, only `aliases` and/or `positions`:
    it adds those to the existing entity of that id."""
    return isinstance(node, YMap) and bool(node.entries) and all(k in PATCH_KEYS for k in node.entries)


def load_entities(path: Path, display: str, check_refs: bool = True,
                  drafts: list[InputError] | None = None) -> dict[str, Entity]:
    """The registry's entries.  An entry still marked `draft:` (kg draft) is an error; with
    ``drafts`` given, those errors are put there and the entries kept, so that the
    annotations using them are checked in the same round."""
    entities, _ = read_registry(path, display, {}, check_refs, drafts)
    return entities


def read_registry(path: Path, display: str, base: dict[str, Entity], check_refs: bool = False,
                  drafts: list[InputError] | None = None) -> tuple[dict[str, Entity], set[str]]:
    """Entries of one registry file, and the ids among them that patch an entity of ``base``
    (returned as the patched entity, to replace the one in ``base``)."""
    root = source.load(path, display)
    if not isinstance(root, YMap):
        raise InputError(root.pos, "the registry must be a mapping of entity ids to entries",
                         "write `trump:` followed by its fields")
    entities: dict[str, Entity] = {}
    patched: set[str] = set()
    errors: list[InputError] = []
    for eid, (knode, node) in root.entries.items():
        if is_patch(node):
            ent = collect(errors, _patch, eid, knode, node, base, errors if drafts is None else drafts)
            patched.add(eid)
        else:
            ent = collect(errors, _entity, eid, knode, node, errors if drafts is None else drafts)
        if ent is not None:
            entities[eid] = ent
    if not errors and check_refs:
        errors.extend(check_registry_refs(entities))
    if errors:
        raise InputErrors(errors)
    return entities, patched


def _patch(eid: str, knode: YStr, node: YMap, base: dict[str, Entity], drafts: list[InputError]) -> Entity:
    old = base.get(eid)
    if old is None:
        raise InputError(knode.pos, f"`{eid}` has only `aliases`/`positions`, which adds them to an existing entity, "
                                    "but the registry has no entity of that id",
                         suggest(eid, list(base), "registry ids") + " (a new entity needs `type` and `label`)")
    given = {k: (YStr(k, knode.pos), YStr(v, knode.pos)) for k, v in (("type", old.type), ("label", old.label))}
    new = _entity(eid, knode, YMap({**given, **node.entries}, node.pos), drafts)
    ent = dataclasses.replace(old, aliases=list(old.aliases), positions=dict(old.positions))
    for alias, anode in zip(new.aliases, as_list(node.get("aliases")) if node.get("aliases") else []):
        if alias in ent.names:
            raise InputError(anode.pos, f"`{eid}` already has the name {alias!r}", "remove it from `aliases`")
        ent.aliases.append(alias)
    for key, pos in new.positions.items():
        if key in ent.positions:
            raise InputError(pos.pos, f"`{eid}` already has a position `{key}` ({ent.positions[key].role})",
                             "give the new position another key")
        ent.positions[key] = pos
    return ent


def _entity(eid: str, knode: YStr, node: Node, drafts: list[InputError]) -> Entity:
    if not ID_RE.match(eid):
        raise InputError(knode.pos, f"entity id {eid!r} is not a lower-case slug",
                         "use letters, digits and single hyphens, e.g. `chad-griffin`")
    f = Fields(node, f"entity `{eid}`", ENTITY_KEYS, ["type", "label"])
    etype = f.text("type")
    if etype not in ENTITY_TYPES:
        raise InputError(f.get("type").pos, f"unknown entity type {etype!r}",
                         suggest(etype, list(ENTITY_TYPES), "types: " + ", ".join(ENTITY_TYPES)))
    ent = Entity(eid, etype, f.text("label").strip(), knode.pos)
    names = lambda k: [as_text(n, k) for n in as_list(f.get(k))] if f.get(k) else []  # noqa: E731
    ent.aliases = names("aliases")
    ent.description = f.text("description")
    ent.wikidata = f.text("wikidata")
    if ent.wikidata and not QID_RE.match(ent.wikidata):
        raise InputError(f.get("wikidata").pos, f"malformed Wikidata id {ent.wikidata!r}", "write it as Q followed by digits, e.g. Q22686")
    ent.located_in, ent.part_of, ent.members, ent.broader = (
        names("located_in"), names("part_of"), names("members"), names("broader"))
    if f.get("member_count") is not None:
        if etype != "Group":
            raise InputError(f.get("member_count").pos, "`member_count` is only for type Group", "remove it or make the entity a Group")
        ent.member_count = parse_int(f.get("member_count"), "member_count")
    if f.get("positions") is not None:
        if etype not in ACTOR_TYPES:
            raise InputError(f.get("positions").pos, f"a {etype} holds no positions", "remove `positions`")
        pnode = f.get("positions")
        if not isinstance(pnode, YMap):
            raise InputError(pnode.pos, "`positions` must map position keys to {role, of}",
                             "e.g. `secretary-of-state: {role: Secretary of State, of: us-state-department}`")
        for key, (pk, pv) in pnode.entries.items():
            if not ID_RE.match(key):
                raise InputError(pk.pos, f"position key {key!r} is not a lower-case slug", "e.g. `secretary-of-state`")
            pf = Fields(pv, f"position `{key}`", ["role", "of"], ["role"])
            ent.positions[key] = Position(key, pf.text("role"), pf.text("of"), pk.pos)
    if f.get("draft") is not None:
        drafts.append(InputError(node.key_pos("draft"), f"entity `{eid}` is a draft candidate: {f.text('draft')}",
                         "check its type and label, then delete the `draft:` line (or the whole entry)"))
    return ent


def check_registry_refs(entities: dict[str, Entity]) -> list[InputError]:
    errors = []
    wanted = {"located_in": {"Place"}, "part_of": ACTOR_TYPES | {"Place"}, "members": ACTOR_TYPES, "broader": {"Issue"}}
    for ent in entities.values():
        refs = [(k, r) for k in wanted for r in getattr(ent, k)]
        refs += [("of", p.org) for p in ent.positions.values() if p.org]
        for key, ref in refs:
            types = wanted.get(key, ACTOR_TYPES)
            target = entities.get(ref)
            if target is None:
                errors.append(InputError(ent.pos, f"entity `{ent.id}`: `{key}` names unknown entity `{ref}`",
                                         suggest(ref, list(entities), "registry ids")))
            elif target.type not in types:
                errors.append(InputError(ent.pos, f"entity `{ent.id}`: `{key}` names `{ref}`, a {target.type}",
                                         "it must name a " + " or ".join(sorted(types))))
    return errors or chain_errors(entities)


def chain_errors(entities: dict[str, Entity]) -> list[InputError]:
    """``located_in``, ``part_of`` and ``broader`` chains longer than ``limits.CHAIN_LENGTH``: they
    become transitive properties, whose OWL RL closure grows with the square of a chain's length."""
    errors = []
    for key in ("located_in", "part_of", "broader"):
        lengths = limits.chain_lengths({e.id: getattr(e, key) for e in entities.values()})
        longest = max(lengths, key=lengths.get, default=None)
        if longest is not None and lengths[longest] - 1 > limits.CHAIN_LENGTH:
            errors.append(InputError(entities[longest].pos,
                                     f"entity `{longest}`: its `{key}` chain has {lengths[longest] - 1} links, over the limit of {limits.CHAIN_LENGTH}",
                                     "link each entity to its direct parent only (README, Limits and safety)"))
    return errors


# ---------------------------------------------------------------- dataset

def load_dataset_meta(path: Path, display: str) -> dict[str, str]:
    """The dataset description; ``base`` (the dataset's IRI, under which every data IRI is minted)
    and the optional ``sparql_endpoint`` are checked here, with the line of a bad value."""
    required = ["title", "description", "version", "license", "issued", "creator", "base"]
    f = Fields(source.load(path, display), "the dataset description", required + ["sparql_endpoint"], required)
    meta = {k: f.text(k) for k in required}
    issued = parse_date(f.get("issued"), "issued")
    if issued.precision is not Precision.DAY:
        raise InputError(f.get("issued").pos, "`issued` must be a full date", "write YYYY-MM-DD")
    meta["base"] = meta["base"].strip()
    problem = iris.check_base(meta["base"])
    if problem:
        raise InputError(f.get("base").pos, f"`base: {meta['base']}` is not a usable dataset base: {problem}",
                         "write an absolute http(s) IRI ending with `/`, without `?` or `#`, outside the ontology's "
                         f"namespace, e.g. `base: https://w3id.org/YOUR-PROJECT/{meta['base'].rstrip('/').rsplit('/', 1)[-1] or 'dataset'}/`")
    endpoint = f.text("sparql_endpoint")
    if endpoint is not None:
        endpoint = endpoint.strip()
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment or any(c in endpoint for c in ' <>"'):
            raise InputError(f.get("sparql_endpoint").pos, f"`sparql_endpoint: {endpoint}` is not an absolute http(s) URL",
                             "write the URL clients send SPARQL queries to, e.g. `sparql_endpoint: https://example.org/sparql`, "
                             "or remove the key")
        meta["sparql_endpoint"] = endpoint
    return meta


# ---------------------------------------------------------------- writing a registry addition into the registry

def merge_text(base: str, addition: str, base_display: str, addition_display: str, origin: str) -> str:
    """The registry text with ``addition`` applied: new entries appended as written (after a
    ``# added by `kg add` from ORIGIN`` line), patch entries merged into the existing entry
    (which is rewritten in block style; comments inside that entry are not kept)."""
    add_root = source.parse(addition, addition_display)
    if not isinstance(add_root, YMap):
        raise InputError(add_root.pos, "the registry must be a mapping of entity ids to entries", "write `id:` entries")
    add_lines = addition.splitlines(keepends=True)
    starts = [k.pos.line for k, _ in add_root.entries.values()] + [len(add_lines) + 1]
    kept = add_lines[:starts[0] - 1]
    patches = []
    for i, (eid, (_, node)) in enumerate(add_root.entries.items()):
        if is_patch(node):
            patches.append((eid, node))
        else:
            kept.extend(add_lines[starts[i] - 1:starts[i + 1] - 1])
    for eid, node in patches:
        base = _merge_entry(base, eid, node, base_display)
    if any(line.strip() and not line.lstrip().startswith("#") for line in kept):
        sep = "" if base.endswith("\n") else "\n"
        base += sep + f"\n# added by `kg add` from {origin}\n" + "".join(kept)
    return base


def _merge_entry(base: str, eid: str, patch: YMap, display: str) -> str:
    root = source.parse(base, display)
    lines = base.splitlines(keepends=True)
    keys = [k.pos.line for k, _ in root.entries.values()] + [len(lines) + 1]
    i = list(root.entries).index(eid)
    first, end = keys[i] - 1, keys[i + 1] - 1
    while end > first + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1                                    # comments and blank lines before the next entry stay
    entry = _plain(root.get(eid))
    extra = _plain(patch)
    if "aliases" in extra:
        old = entry.get("aliases", [])
        entry["aliases"] = (old if isinstance(old, list) else [old]) + \
            (extra["aliases"] if isinstance(extra["aliases"], list) else [extra["aliases"]])
    if "positions" in extra:
        entry["positions"] = {**entry.get("positions", {}), **extra["positions"]}
    text = yaml.safe_dump({eid: entry}, sort_keys=False, allow_unicode=True, default_flow_style=None, width=10**6)
    return "".join(lines[:first]) + text + "".join(lines[end:])


def _plain(node: Node):
    if isinstance(node, YStr):
        return node.value
    if isinstance(node, YSeq):
        return [_plain(n) for n in node.items]
    return {k: _plain(v) for k, (_, v) in node.entries.items()}

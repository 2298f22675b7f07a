"""The entity registry (seeds/entities.yaml) and the dataset description (seeds/dataset.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

from . import limits, source
from .errors import InputError, InputErrors, collect
from .model import ACTOR_TYPES, ENTITY_TYPES, Entity, Position, Precision
from .source import Fields, Node, YMap, YStr, as_list, as_text, parse_date, parse_int, suggest

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")   # \Z: "eps-person\n" is not an id
QID_RE = re.compile(r"^Q[1-9][0-9]*\Z")

ENTITY_KEYS = ["type", "label", "aliases", "description", "wikidata", "located_in",
               "part_of", "members", "member_count", "broader", "positions"]


def load_entities(path: Path, display: str, check_refs: bool = True) -> dict[str, Entity]:
    root = source.load(path, display)
    if not isinstance(root, YMap):
        raise InputError(root.pos, "the registry must be a mapping of entity ids to entries",
                         "write `trump:` followed by its fields")
    entities: dict[str, Entity] = {}
    errors: list[InputError] = []
    for eid, (knode, node) in root.entries.items():
        ent = collect(errors, _entity, eid, knode, node)
        if ent is not None:
            entities[eid] = ent
    if not errors and check_refs:
        errors.extend(check_registry_refs(entities))
    if errors:
        raise InputErrors(errors)
    return entities


def _entity(eid: str, knode: YStr, node: Node) -> Entity:
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
    keys = ["title", "description", "version", "license", "issued", "creator"]
    f = Fields(source.load(path, display), "the dataset description", keys, keys)
    meta = {k: f.text(k) for k in keys}
    issued = parse_date(f.get("issued"), "issued")
    if issued.precision is not Precision.DAY:
        raise InputError(f.get("issued").pos, "`issued` must be a full date", "write YYYY-MM-DD")
    return meta

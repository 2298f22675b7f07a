"""The typed domain model, and the table of claim types the annotation format offers.

No RDF here (followthemoney-style): ontology terms are named by their local
names as strings; ``kg.map`` resolves them against ``kg.vocab`` whose
``DefinedNamespace`` fails on a misspelt term.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from .errors import Pos


class Kind(enum.Enum):
    """Value kinds of annotation fields."""

    TEXT = "text"            # curator's own words (a string)
    ENTITY = "entity"        # one registry id
    ENTITIES = "entities"    # one id or a list of ids
    DATE = "date"            # ISO date (YYYY, YYYY-MM or YYYY-MM-DD), or {value, inferred}
    COUNT = "count"          # {wording, comparator, value, counts}
    ENUM = "enum"            # one value of a closed vocabulary
    ENUMS = "enums"          # one or more values of a closed vocabulary
    QUOTES = "quotes"        # exact words of the article, lying inside the claim's evidence
    CLAIM = "claim"          # id of another claim of the same article
    REQUESTS = "requests"    # nested requested actions (appeals)
    POSITION = "position"    # key of a position in the holder's registry entry


# Closed vocabularies: YAML value -> ontology individual (local name).
FACTUALITY = {
    "occurred": "Occurred",
    "not-occurred": "NotOccurred",
    "requested": "Requested",
    "planned": "Planned",
    "alleged": "Alleged",
    "denied": "Denied",
    "unknown": "Unknown",
}
MEDIUM = {
    "letter": "Letter",
    "statement": "WrittenStatement",
    "press-conference": "PressConference",
    "remarks": "Remarks",
    "interview": "Interview",
    "testimony": "Testimony",
    "petition": "Petition",
    "resolution": "Resolution",
    "news-report": "NewsReport",
    "hotline": "Hotline",
    "meeting": "InMeeting",
}
ABUSE = {
    "persecution": "Persecution",
    "abduction": "Abduction",
    "arrest": "Arrest",
    "detention": "Detention",
    "imprisonment": "Imprisonment",
    "camp": "PrisonCamp",
    "torture": "Torture",
    "beating": "Beating",
    "electric-shock": "ElectricShockTorture",
    "killing": "Killing",
    "extrajudicial-execution": "ExtrajudicialExecution",
    "outing": "Outing",
    "honour-killing-incitement": "HonourKillingIncitement",
    "harassment": "Harassment",
}
COMPARATOR = {
    "exactly": "Exactly",
    "at-least": "AtLeast",
    "more-than": "MoreThan",
    "up-to": "UpTo",
    "fewer-than": "FewerThan",
    "about": "About",
    "nearly": "Nearly",
}
ENUMS: dict[str, dict[str, str]] = {
    "factuality": FACTUALITY,
    "medium": MEDIUM,
    "abuse": ABUSE,
    "comparator": COMPARATOR,
}

ENTITY_TYPES = {
    # YAML type -> ontology class (local name)
    "Person": "Person",
    "Organisation": "Organisation",
    "GovernmentBody": "GovernmentBody",
    "NGO": "NonGovernmentalOrganisation",
    "Media": "MediaOrganisation",
    "Group": "Group",
    "Place": "Place",
    "Issue": "Issue",
    "Event": "Occasion",
}
ACTOR_TYPES = frozenset({"Person", "Organisation", "GovernmentBody", "NGO", "Media", "Group"})


@dataclass(frozen=True)
class FieldSpec:
    key: str                    # YAML key
    kind: Kind
    prop: str                   # ontology property (local name)
    required: bool = False
    enum: str = ""              # for ENUM / ENUMS: key of ENUMS
    types: frozenset[str] = frozenset()  # for ENTITY / ENTITIES: allowed registry types (empty: any)
    min_items: int = 0


def F(key: str, kind: Kind, prop: str, required: bool = False, enum: str = "",
      types: frozenset[str] | set[str] = frozenset(), min_items: int = 0) -> FieldSpec:
    return FieldSpec(key, kind, prop, required, enum, frozenset(types), min_items)


COMMON = (
    F("note", Kind.TEXT, "curatorNote"),
    F("inferred", Kind.TEXT, "inferenceNote"),
    F("according_to", Kind.ENTITIES, "accordingTo", types=ACTOR_TYPES),
    F("refers_to", Kind.ENTITY, "accountOf", types={"Event"}),
)
HAPPENING = (
    F("factuality", Kind.ENUM, "factuality", required=True, enum="factuality"),
    F("date", Kind.DATE, "date"),
    F("place", Kind.ENTITIES, "place", types={"Place"}),
    F("about", Kind.ENTITIES, "about", types={"Issue"}),
    F("description", Kind.TEXT, "description"),
)
SPEECH = HAPPENING + (
    F("speaker", Kind.ENTITIES, "speaker", types=ACTOR_TYPES),
    F("on_behalf_of", Kind.ENTITIES, "onBehalfOf", types=ACTOR_TYPES),
    F("addressee", Kind.ENTITIES, "addressee", types=ACTOR_TYPES),
    F("medium", Kind.ENUM, "medium", enum="medium"),
    F("quoted", Kind.QUOTES, "quotedWords"),
    F("meeting", Kind.CLAIM, "atMeeting"),
    F("occasion", Kind.ENTITY, "occasion", types={"Event"}),
)


@dataclass(frozen=True)
class ClaimType:
    name: str        # YAML `type`
    cls: str         # ontology class
    fields: tuple[FieldSpec, ...]
    summary: str

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)


def _ct(name: str, cls: str, fields: tuple[FieldSpec, ...], summary: str) -> ClaimType:
    return ClaimType(name, cls, COMMON + fields, summary)


CLAIM_TYPES: dict[str, ClaimType] = {ct.name: ct for ct in (
    _ct("position", "PositionHolding", (
        F("holder", Kind.ENTITY, "", required=True, types=ACTOR_TYPES),  # via hrr:position
        F("position", Kind.POSITION, "position", required=True),
    ), "an actor holds a position (as the article gives it)"),
    _ct("characterisation", "Characterisation", (
        F("subject", Kind.ENTITIES, "subject", required=True),
        F("description", Kind.TEXT, "description", required=True),
    ), "what the article says an entity is or is like"),
    _ct("meeting", "Meeting", HAPPENING + (
        F("participants", Kind.ENTITIES, "participant", required=True, types=ACTOR_TYPES, min_items=2),
        F("occasion", Kind.ENTITY, "occasion", types={"Event"}),
    ), "a meeting of two or more actors"),
    _ct("event", "Action", HAPPENING + (
        F("agent", Kind.ENTITIES, "agent", types=ACTOR_TYPES),
        F("addressee", Kind.ENTITIES, "addressee", types=ACTOR_TYPES),
    ), "something an actor did that no other type covers"),
    _ct("investigation", "Investigation", HAPPENING + (
        F("agent", Kind.ENTITIES, "agent", types=ACTOR_TYPES),
    ), "an investigation or inquiry"),
    _ct("appeal", "Appeal", SPEECH + (
        F("requests", Kind.REQUESTS, "requestedAction", required=True),
        F("count", Kind.COUNT, "count"),
    ), "a speaker urges, calls on or asks an addressee to do something"),
    _ct("raising", "RaisingOfIssue", SPEECH, "a speaker raises an issue with an addressee"),
    _ct("condemnation", "Condemnation", SPEECH, "a speaker condemns or criticises"),
    _ct("denial", "Denial", SPEECH + (
        F("denies", Kind.TEXT, "denies", required=True),
    ), "a speaker denies something"),
    _ct("commitment", "Commitment", SPEECH + (
        F("commits_to", Kind.TEXT, "commitsTo", required=True),
    ), "a speaker commits to doing something"),
    _ct("statement", "Statement", SPEECH, "any other speech act (remarks, concern, testimony)"),
    _ct("report", "Report", SPEECH + (
        F("count", Kind.COUNT, "count"),
    ), "a speaker reports something that is not a detention or killing"),
    _ct("abuse-report", "DetentionReport", HAPPENING + (
        F("reported_by", Kind.ENTITIES, "reportedBy", types=ACTOR_TYPES),
        F("perpetrator", Kind.ENTITIES, "perpetrator", types=ACTOR_TYPES),
        F("victims", Kind.TEXT, "victims", required=True),
        F("abuses", Kind.ENUMS, "abuse", required=True, enum="abuse"),
        F("since", Kind.DATE, "since"),
        F("count", Kind.COUNT, "count"),
        F("quoted", Kind.QUOTES, "quotedWords"),
    ), "a report of detentions, torture, killings or camps, with counts as reported"),
)}

# Requested actions (the `requests:` of an appeal): act -> (class, property of the agent)
ACTS: dict[str, tuple[str, str]] = {
    "raise-issue": ("RaisingOfIssue", "speaker"),
    "pressure": ("Pressure", "speaker"),
    "condemn": ("Condemnation", "speaker"),
    "speak-out": ("Statement", "speaker"),
    "investigate": ("Investigation", "agent"),
    "other": ("Action", "agent"),
}
REQUEST_FIELDS = (
    F("act", Kind.ENUM, "", required=True, enum="act"),
    F("agent", Kind.ENTITIES, "", types=ACTOR_TYPES),
    F("addressee", Kind.ENTITIES, "addressee", types=ACTOR_TYPES),
    F("meeting", Kind.CLAIM, "atMeeting"),
    F("occasion", Kind.ENTITY, "occasion", types={"Event"}),
    F("about", Kind.ENTITIES, "about", types={"Issue"}),
    F("description", Kind.TEXT, "description", required=True),
    F("quoted", Kind.QUOTES, "quotedWords"),
    F("note", Kind.TEXT, "curatorNote"),
    F("inferred", Kind.TEXT, "inferenceNote"),
)
ENUMS["act"] = {k: v[0] for k, v in ACTS.items()}


class Precision(enum.Enum):
    YEAR = "Year"
    MONTH = "Month"
    DAY = "Day"


class Basis(enum.Enum):
    STATED = "StatedInText"
    INFERRED = "CuratorInference"


@dataclass(frozen=True)
class DateValue:
    lexical: str
    precision: Precision
    basis: Basis = Basis.STATED
    note: str | None = None


@dataclass(frozen=True)
class Quote:
    exact: str        # the article's own characters
    start: int
    end: int
    prefix: str
    suffix: str
    pos: Pos          # where the annotation gives it


@dataclass(frozen=True)
class Count:
    comparator: str   # COMPARATOR key
    value: int
    wording: str      # the article's words, e.g. "more than 100"
    counts: str | None

    @property
    def bounds(self) -> tuple[int | None, int | None]:
        """Inclusive (min, max) the wording implies; None where it sets none."""
        v = self.value
        return {
            "exactly": (v, v),
            "at-least": (v, None),
            "more-than": (v + 1, None),
            "up-to": (None, v),
            "fewer-than": (None, v - 1),
            "nearly": (None, v - 1),
            "about": (None, None),
        }[self.comparator]


@dataclass
class Claim:
    id: str
    type: str                      # CLAIM_TYPES key, or "request:<act>" for requested actions
    cls: str                       # ontology class
    values: dict[str, Any]         # FieldSpec.key -> typed value
    specs: tuple[FieldSpec, ...]
    evidence: list[Quote]
    pos: Pos
    requests: list["Claim"] = field(default_factory=list)
    agent_prop: str = ""           # for requested actions: property naming the agent


@dataclass(frozen=True)
class Position:
    key: str
    role: str
    org: str | None
    pos: Pos


@dataclass
class Entity:
    id: str
    type: str
    label: str
    pos: Pos
    aliases: list[str] = field(default_factory=list)
    description: str | None = None
    wikidata: str | None = None
    located_in: list[str] = field(default_factory=list)
    part_of: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    member_count: int | None = None
    broader: list[str] = field(default_factory=list)
    positions: dict[str, Position] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [self.label, *self.aliases]


@dataclass(frozen=True)
class Publisher:
    entity: str
    basis: Basis
    note: str | None


@dataclass
class Article:
    key: str                  # "000": names the article's IRIs and graph
    file: str                 # article file name under seeds/articles/
    sha256: str
    text: str
    title: str
    title_note: str | None     # set when a curator supplied the title (the text has none)
    publisher: Publisher | None
    published: DateValue
    curator: str
    annotated_on: str
    annotation_path: str      # as given to the loader (for messages and provenance)
    claims: list[Claim]
    pos: Pos
    annotation_sha256: str = ""


@dataclass(frozen=True)
class TurtleFile:
    """A curator's Turtle addition (untrusted until ``kg.turtle`` has checked it)."""

    name: str
    display: str
    sha256: str
    text: str


@dataclass
class Dataset:
    title: str
    description: str
    version: str
    license: str
    issued: str
    creator: str
    entities: dict[str, Entity]
    articles: list[Article]
    seeds: str
    turtle: list[TurtleFile] = field(default_factory=list)

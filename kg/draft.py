"""``kg draft``: a first annotation of a new article, rule-based over the registry, for a curator to edit.

Nothing here is applied: the draft is an annotation file (and a registry
addition of entity candidates) whose every claim, candidate and the article
header carry a ``draft:`` line saying what to check.  Validation refuses a
``draft:`` line (kg.load, kg.registry), so a draft cannot enter the seeds
unreviewed; once a curator has removed the marks the files validate.

The rules: sentences carrying cue words become candidate claims with the
sentence as exact evidence (anchored like any quote); registry labels and
aliases give the participants; "more than 100" and the like give counts;
claims of other articles with the same type and participants suggest the
registered occasion (``refers_to``); capitalised names the registry lacks
become entity candidates of a guessed type.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import anchor, load, publish, source
from .errors import InputError, Pos
from .model import ACTOR_TYPES, Article, Entity

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
_M = "|".join(MONTHS)
DATES = [  # (regex, groups -> ISO)
    (re.compile(rf"\b(\d{{1,2}}) ({_M}),? (\d{{4}})\b"), lambda g: f"{g[2]}-{MONTHS.index(g[1]) + 1:02d}-{int(g[0]):02d}"),
    (re.compile(rf"\b({_M}) (\d{{1,2}}),? (\d{{4}})\b"), lambda g: f"{g[2]}-{MONTHS.index(g[0]) + 1:02d}-{int(g[1]):02d}"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), lambda g: "-".join(g)),
    (re.compile(rf"\b({_M}) (\d{{4}})\b"), lambda g: f"{g[1]}-{MONTHS.index(g[0]) + 1:02d}"),
]
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
COMPARATORS = {"more than": "more-than", "over": "more-than", "at least": "at-least", "up to": "up-to",
               "as many as": "up-to", "nearly": "nearly", "almost": "nearly", "about": "about", "around": "about",
               "approximately": "about", "some": "about", "fewer than": "fewer-than", "less than": "fewer-than",
               "exactly": "exactly"}
_NUM = r"\d{1,3}(?:,\d{3})+|\d+|" + "|".join(NUMBER_WORDS)
COUNT_RE = re.compile(rf"\b(?:({'|'.join(sorted(COMPARATORS, key=len, reverse=True))})\s+)?({_NUM})\b(?!-|\.\d|:\d)"
                      r"(?:\s+(thousand|million)\b)?", re.I)

# cue words -> claim type (the first group of a match is where the cue is)
CUES: list[tuple[str, re.Pattern]] = [
    ("denial", re.compile(r"\b(den(?:y|ies|ied|ying))\b", re.I)),
    ("raising-not", re.compile(r"\b((?:did not|didn[’']t|does not|doesn[’']t|failed to|not)\s+(?:bother to\s+)?raise|omitted)\b", re.I)),
    ("raising", re.compile(r"\b(raised)\b", re.I)),
    ("appeal", re.compile(r"\b(urg(?:e|es|ed|ing)|call(?:s|ed|ing)? on|wr(?:ote|ites|iting) to)\b", re.I)),
    ("condemnation", re.compile(r"\b(condemn(?:s|ed|ing)?)\b", re.I)),
    ("abuse-report", re.compile(r"\b(detain\w*|detention\w*|kill(?:ed|ing|ings)?|tortur\w*|arrest\w*|murder\w*)\b", re.I)),
    ("report", re.compile(r"\b(report(?:s|ed|ing)?|according to)\b", re.I)),
    ("statement", re.compile(r"\b(said|says|told|wrote|added|insisted|admitted|tweeted)\b", re.I)),
]
ABUSES = [("detention", r"detain|detention"), ("arrest", r"arrest"), ("killing", r"kill|murder|dead"),
          ("torture", r"tortur"), ("camp", r"camp|prisons?\b"), ("abduction", r"abduct|kidnap"),
          ("beating", r"beat(en|ing)"), ("imprisonment", r"imprison"), ("persecution", r"persecut")]
ACTS = [("raise-issue", r"\braise"), ("pressure", r"\bpress|pressure"), ("condemn", r"\bcondemn"),
        ("investigate", r"investigat"), ("speak-out", r"speak out|speak up")]
VICTIMS_RE = re.compile(r"\b((?:[A-Za-z]+ )?(?:gay|bisexual|LGBT\w*|homosexual)(?: and bisexual)? (?:men|people|persons)|men|people)\b")
PASSIVE_RE = re.compile(r"\b(?:been|was|were|is|are|being)\s+$")
SENTENCE_END = re.compile(r"[.!?][\"”’)]*(?=\s+[\"“‘(]?[A-Z0-9])")
ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sen|Rep|Gov)|\b[A-Z](?:\.[A-Z])*)$")
NAME_RE = re.compile(r"[A-Z][\w’'\-]*(?:\.[A-Z]\.?)?(?:(?:\s+(?:of|the|for|and|on)\s+|\s+)[A-Z][\w’'\-]*)*")
CONNECTORS = ("of", "the", "for", "and", "on")
NOT_NAMES = set("""I A An The In It Its He She We They This That These Those Mr Mrs Ms But And Or If As At On Of For
    To By With From After Before When While There Here His Her Their Our You Your My Yes No Not Reports Petition
    Chechen Chechens Russian Russians American Americans British European Europeans German French Muslim Muslims
    LGBT LGBTI LGBTQ Gay Lesbian US UK EU State Secretary President Minister Senator Monday Tuesday Wednesday Thursday
    Friday Saturday Sunday Image Photo Getty Read More Share""".split()) | set(MONTHS)
TYPE_WORDS = [("NGO", r"Campaign|Watch|Amnesty|Foundation|Network|Alliance|Coalition|Project|Trust|Society|Rights"),
              ("GovernmentBody", r"Ministry|Department|Government|Parliament|Congress|Senate|Council|Committee|"
                                 r"Office|Police|Court|Commission|Embassy|Duma|Administration"),
              ("Media", r"News|Times|Guardian|Post|Gazette|Radio|Telegraph|Journal|Herald|Press|BBC|CNN|Reuters|TV"),
              ("Place", r"Republic|City|Region|Province|Street|Square|Island|Mountains|-Yurt|grad$|sk$")]


@dataclass
class Mention:
    start: int
    end: int
    ids: list[str]          # entities whose label or alias these words are


@dataclass
class DraftClaim:
    id: str
    type: str
    start: int               # evidence: the sentence
    end: int
    fields: dict = field(default_factory=dict)
    why: str = ""

    @property
    def count(self) -> tuple[str, int] | None:
        c = self.fields.get("count")
        return (c["comparator"], int(c["value"])) if c else None


@dataclass
class Draft:
    number: str
    file: str                 # the article's proposed file name
    text: str
    claims: list[DraftClaim]
    candidates: dict[str, dict]
    mentions: list[Mention]
    header: dict

    @property
    def annotation_name(self) -> str:
        return f"{self.number}.yaml"

    @property
    def registry_name(self) -> str:
        return f"entities-{self.number}.yaml"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("’", "").replace("'", "")).strip("-") or "x"


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of each line (a line is a paragraph in the seed articles)."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        start, body = pos, line.rstrip()
        pos += len(line)
        cut = 0
        for m in SENTENCE_END.finditer(body):
            if ABBREV.search(body[cut:m.start()]):
                continue
            out.append((start + cut, start + m.end()))
            cut = m.end()
        out.append((start + cut, start + len(body)))
    return [(s + (len(text[s:e]) - len(text[s:e].lstrip())), e) for s, e in out if text[s:e].strip()]


def find_mentions(text: str, names: dict[str, list[str]]) -> list[Mention]:
    """Longest-first, non-overlapping, case-sensitive whole-word matches of the names."""
    if not names:
        return []
    pattern = re.compile(r"(?<![\w’'-])(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?![\w-])")
    folded = anchor.fold(text)
    return [Mention(m.start(), m.end(), names[m.group(1)]) for m in pattern.finditer(folded)]


def _names(entities: dict[str, Entity]) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for ent in entities.values():
        for n in ent.names:
            ids = names.setdefault(anchor.fold(n), [])
            if ent.id not in ids:
                ids.append(ent.id)
    return names


def candidates(text: str, spans: list[tuple[int, int]], mentions: list[Mention],
               entities: dict[str, Entity]) -> dict[str, dict]:
    """Capitalised names the registry lacks, with a guessed type."""
    taken = [(m.start, m.end) for m in mentions]
    known = {n.lower() for e in entities.values() for n in e.names}
    found: dict[str, dict] = {}
    for s, e in spans:
        for m in NAME_RE.finditer(text, s, e):
            words = re.sub(r"[’']s$", "", m.group(0)).split()
            while words and (words[0] in NOT_NAMES or words[0] in CONNECTORS):
                words.pop(0)
            while words and words[-1] in CONNECTORS:
                words.pop()
            if not words or all(w in NOT_NAMES or w in CONNECTORS for w in words):
                continue
            label = " ".join(words)
            start = m.start() + m.group(0).index(words[0])
            at_start = re.search(r"(^|[:;]\s)[\s\"“‘(]*$", text[s:start]) is not None
            if (len(words) == 1 and (at_start or len(label) < 3)) or label.lower() in known:
                continue
            if any(a < start + len(label) and start < b for a, b in taken):
                continue
            etype = next((t for t, rx in TYPE_WORDS if re.search(rx, label)), {1: "Place", 2: "Person", 3: "Person"}.get(len(words), "Organisation"))
            eid = slug(label)
            while eid in entities or (eid in found and found[eid]["label"] != label):
                eid += "-2"
            if eid not in found:
                line = text.count("\n", 0, start) + 1
                found[eid] = {"type": etype, "label": label,
                              "draft": f"named at line {line}, not in the registry; the type {etype} is a guess — "
                                       "check it, add a description (and wikidata), or delete this entry"}
    return found


def find_counts(sentence: str) -> list[tuple[str, str, int]]:
    """(wording, comparator, value) for the counts in a sentence; years and vague words are not counts."""
    out = []
    for m in COUNT_RE.finditer(sentence):
        comp, num, scale = m.group(1), m.group(2), m.group(3)
        value = NUMBER_WORDS[num.lower()] if num.lower() in NUMBER_WORDS else int(num.replace(",", ""))
        value *= {"thousand": 1000, "million": 10**6}.get((scale or "").lower(), 1)
        if comp is None and (num.lower() in ("one", "zero") or (num.isdigit() and len(num) == 4 and not scale)):
            continue                       # "one of", and years
        if re.match(r"\s*(%|per cent|percent)", sentence[m.end():]):
            continue
        out.append((m.group(0), COMPARATORS[comp.lower()] if comp else "exactly", value))
    return out


def stated_date(text: str) -> str | None:
    for rx, iso in DATES:
        m = rx.search(text)
        if m:
            return iso(m.groups())
    return None


class Drafter:
    def __init__(self, text: str, entities: dict[str, Entity], others: list[Article]) -> None:
        self.text = text
        self.entities = dict(entities)
        self.others = others
        self.spans = sentences(text)
        registry_mentions = find_mentions(text, _names(entities))
        self.candidates = candidates(text, self.spans, registry_mentions, entities)
        for eid, c in self.candidates.items():
            self.entities[eid] = Entity(eid, c["type"], c["label"], Pos(""))
        self.mentions = find_mentions(text, _names(self.entities))
        self.doc = anchor.Article(text)

    def of_type(self, s: int, e: int, types: set[str] | frozenset[str]) -> list[tuple[int, int, str]]:
        out = []
        for m in self.mentions:
            if s <= m.start and m.end <= e:
                eid = next((i for i in m.ids if self.entities[i].type in types), None)
                if eid:
                    out.append((m.start, m.end, eid))
        return out

    def claims(self) -> list[DraftClaim]:
        out: list[DraftClaim] = []
        seen: set[str] = set()
        for s, e in self.spans:
            sentence = self.text[s:e]
            if anchor.fold(sentence) in seen:    # a repeated headline or caption: one claim is enough
                continue
            seen.add(anchor.fold(sentence))
            kinds: dict[str, re.Match] = {}
            for kind, rx in CUES:
                m = rx.search(sentence)
                if m and not (kind == "raising" and "raising-not" in kinds):
                    kinds.setdefault(kind, m)
            if len(kinds) > 1:
                kinds.pop("report", None)      # an attribution is then `according_to` of the others
            if len(kinds) > 1:
                kinds.pop("statement", None)   # "said" only when no more specific cue
            for kind, m in kinds.items():
                out.append(self.claim(kind, s, e, m))
                counts = find_counts(sentence) if kind == "abuse-report" else []
                for wording, comp, value in counts[1:]:   # "more than 100 detained … three killed": one report each
                    more = self.claim(kind, s, e, m)
                    more.fields["count"] = {"wording": wording, "comparator": comp, "value": value}
                    out.append(more)
        ids = Counter()
        for c in out:
            base = c.id
            ids[base] += 1
            c.id = base if ids[base] == 1 else f"{base}-{ids[base]}"
        return out

    def claim(self, kind: str, s: int, e: int, m: re.Match) -> DraftClaim:
        sentence = self.text[s:e]
        cue_s, cue_e = s + m.start(1), s + m.end(1)
        actors = self.of_type(s, e, ACTOR_TYPES)
        before = [a for a in actors if a[1] <= cue_s]
        after = [a for a in actors if a[0] >= cue_e]
        ctype = "raising" if kind == "raising-not" else kind
        f: dict = {}
        passive = PASSIVE_RE.search(self.text[s:cue_s]) is not None
        speaker = addressee = None
        if passive:
            addressee = before[-1][2] if before else None
            by = re.search(r"\bby\b", self.text[cue_e:e])
            speaker = next((a[2] for a in after if by and a[0] >= cue_e + by.end()), None)
        else:
            speaker = before[-1][2] if before else (after[0][2] if ctype == "report" and after else None)
            addressee = next((a[2] for a in after if a[2] != speaker), None)
        speaker = speaker or ("unidentified" if "unidentified" in self.entities else None)
        if ctype == "abuse-report":
            reporters = [a[2] for a in before if re.search(r"report|say|said|told|according", self.text[a[1]:cue_s])]
            if reporters:
                f["reported_by"] = sorted(set(reporters))
        elif speaker:
            f["speaker"] = speaker
        if addressee and ctype in ("appeal", "raising"):
            f["addressee"] = addressee
        acc = re.search(r"\baccording to\b", sentence)
        if acc and ctype != "report":
            named = [a[2] for a in actors if a[0] >= s + acc.end()][:1]
            if named:
                f["according_to"] = named
        f["factuality"] = {"raising-not": "not-occurred", "abuse-report": "alleged"}.get(kind, "occurred")
        places = sorted({p[2] for p in self.of_type(s, e, {"Place"})})
        issues = sorted({p[2] for p in self.of_type(s, e, {"Issue"})})
        if places:
            f["place"] = places
        if issues:
            f["about"] = issues
        rest = self.text[cue_e:e].strip(" ,:;.“”\"").strip()
        if ctype == "denial":
            f["denies"] = rest or sentence
        if ctype == "appeal":
            act = next((a for a, rx in ACTS if re.search(rx, rest, re.I)), "other")
            request = {"act": act, "description": rest or sentence}
            with_ = re.search(r"\bwith\b", self.text[cue_e:e])
            target = next((a[2] for a in after if with_ and a[0] >= cue_e + with_.end()), None)
            if target and act == "raise-issue":
                request["addressee"] = [target]     # raise it *with* whom
            f["requests"] = [request]
        if ctype == "abuse-report":
            v = VICTIMS_RE.search(sentence)
            f["victims"] = v.group(1) if v else "people the sentence names"
            f["abuses"] = [a for a, rx in ABUSES if re.search(rx, sentence, re.I)] or ["detention"]
        if ctype in ("appeal", "report", "abuse-report"):
            counts = find_counts(sentence)
            if counts:
                wording, comp, value = counts[0]
                f["count"] = {"wording": wording, "comparator": comp, "value": value}
        why = f"cue “{m.group(1)}” → {ctype}" + (" (negated: not-occurred)" if kind == "raising-not" else "")
        occ = self.refers_to(ctype, f)
        if occ:
            f["refers_to"] = occ[0]
            why += f"; refers_to {occ[0]} suggested: {occ[1]}"
        who = f.get("speaker") or (f.get("reported_by") or [None])[0] or "x"
        why += "; check the type, participants, factuality and the evidence span, then delete this line"
        return DraftClaim(f"{who}-{ctype}", ctype, s, e, f, why)

    def refers_to(self, ctype: str, f: dict) -> tuple[str, str] | None:
        """An occasion other articles' claims of the same type give an account of, when they share
        this claim's speaker (agent, reporter) or its count."""
        doers = _participants(f, DOERS) - {"unidentified"}
        mine = _participants(f) - {"unidentified"}
        count = (f["count"]["comparator"], f["count"]["value"]) if "count" in f else None
        best: tuple[int, str, str] | None = None
        for art in self.others:
            for c in art.claims:
                occ = c.values.get("refers_to")
                if c.type != ctype or not occ or occ not in self.entities:
                    continue
                theirs = _participants(c.values)
                same_count = count is not None and c.values.get("count") is not None and \
                    (c.values["count"].comparator, c.values["count"].value) == count
                if not (doers & theirs or same_count):
                    continue
                score = len(mine & theirs) + 2 * same_count
                why = f"article {art.key} claim {c.id} has the same type and " + \
                    ("count" if same_count else ", ".join(sorted(mine & theirs)))
                if best is None or score > best[0]:
                    best = (score, occ, why)
        return best[1:] if best else None


DOERS = ("speaker", "agent", "reported_by", "on_behalf_of")
PARTICIPANTS = ("speaker", "addressee", "agent", "participants", "reported_by", "on_behalf_of", "holder")


def _participants(values: dict, keys: tuple[str, ...] = PARTICIPANTS) -> set[str]:
    out: set[str] = set()
    for key in keys:
        v = values.get(key)
        out |= set(v) if isinstance(v, list) else ({v} if v else set())
    return out


def draft_article(text: str, name: str, entities: dict[str, Entity], others: list[Article],
                  taken: set[str], today: str) -> Draft:
    """Draft an annotation of ``text`` (pure: nothing is read or written)."""
    given = load.article_number(name)
    number = given if re.fullmatch(r"\d{3}", given) and given not in taken else \
        f"{max([int(t) for t in taken if t.isdigit()] + [-1]) + 1:03d}"
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    file = name if load.article_number(name) == number else f"{number}_{sha[:16]}.txt"
    d = Drafter(text, entities, others)
    title = next((line.strip() for line in text.splitlines() if line.strip()), "")
    date = stated_date(text)
    header: dict = {"file": file, "sha256": sha, "title": title}
    lead = d.of_type(0, sum(len(x) for x in text.splitlines(keepends=True)[:3]), {"Media"})
    if lead:
        header["publisher"] = {"entity": lead[0][2], "inferred": f"The text names {d.entities[lead[0][2]].label} at its start."}
    if date:
        header["published"] = date
    else:
        years = Counter(re.findall(r"\b(?:19|20)\d{2}\b", text))
        guess = years.most_common(1)[0][0] if years else today[:4]
        why = f"{guess} is the year it mentions most" if years else f"it names no year; {guess} is this year"
        header["published"] = {"value": guess, "inferred": f"Not dated in the text; {why} — give the date you can defend, with its evidence."}
    header.update({"curator": "hrkg curators", "annotated_on": today,
                   "draft": "check the title, publisher and publication date against the article, then delete this line"})
    return Draft(number, file, text, d.claims(), d.candidates, d.mentions, header)


def render(d: Draft, entities: dict[str, Entity]) -> tuple[str, str | None]:
    """The annotation file and the registry addition (None without candidates), as YAML text."""
    doc = anchor.Article(d.text)
    claims = []
    for c in d.claims:
        exact = d.text[c.start:c.end]
        starts = doc.occurrences(exact)
        ev = {"exact": exact, "occurrence": starts.index(c.start) + 1} if len(starts) > 1 else exact
        claims.append({"id": c.id, "type": c.type, "draft": c.why, **c.fields, "evidence": ev})
    mentioned = sorted({i for m in d.mentions for i in m.ids if i in entities})
    head = (f"# Draft annotations of {d.file}, written by `kg draft`: edit before use.\n"
            "# Every `draft:` line marks something a rule guessed; `kg validate` refuses the file until all are gone.\n"
            f"# Registry entities the text names: {', '.join(mentioned) or '(none)'}\n")
    body = _dump({"article": d.header, "claims": claims}).replace("\n- id: ", "\n\n- id: ")
    registry = None
    if d.candidates:
        registry = (f"# Entity candidates for {d.file}, written by `kg draft`: names the registry lacks.\n"
                    "# Check each guessed type, delete what is not an entity, then delete the `draft:` lines.\n"
                    + _dump(d.candidates))
    return head + body, registry


def _dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6, default_flow_style=False)


def draft(seeds: Path, display_root: str, article: str, out: Path, today: str | None = None) -> tuple[Draft, list[Path]]:
    """Draft against the seeds and write the article copy, annotation and registry addition into ``out``."""
    path = Path(article)
    if not path.is_file():
        raise InputError(Pos(article), "no such file", "give the path of the article's text (.txt)")
    if path.suffix.lower() != ".txt":
        raise InputError(Pos(article), "an article is a .txt file", "save the article's text, byte for byte, as NNN_name.txt")
    text = source.read_text(path, article)
    if out.exists() and not out.is_dir():
        raise InputError(Pos(str(out)), "--out is not a directory", "give a directory for the draft (it is created if missing)")
    ds = load.load_seeds(seeds, display_root)
    src = load.Sources.of(seeds, display_root)
    for name, (p, shown) in src.articles.items():
        if p.read_bytes() == path.read_bytes():
            raise InputError(Pos(article), f"this article is already in the seeds as {shown}", f"edit {display_root}/annotations/{load.article_number(name)}.yaml instead")
    taken = {load.article_number(n) for n in src.articles} | set(src.annotations)
    d = draft_article(text, path.name, ds.entities, ds.articles, taken, today or dt.date.today().isoformat())
    annotation, registry = render(d, ds.entities)
    files = {out / d.file: path.read_bytes(), out / d.annotation_name: annotation.encode("utf-8")}
    if registry:
        files[out / d.registry_name] = registry.encode("utf-8")
    for target in files:
        if target.exists() and not (target.suffix == ".txt" and target.read_bytes() == files[target]):
            raise InputError(Pos(str(target)), "already exists", "a draft never overwrites a file: move it away, or give another --out")
    publish.replace_files(files)  # new files: 0644 less the umask
    return d, sorted(files)

"""A deterministic synthetic benchmark corpus in the shape of seeds/.

    .venv/bin/python bench/corpus.py 1000 --out /tmp/corpus-1000

writes DIR/dataset.yaml, DIR/entities.yaml (about 100 + N/4 fictional entities:
people with positions, government bodies, organisations, NGOs, media, groups,
places in located_in chains, issues with broader, registered occasions),
DIR/articles/NNNN_<16 hex of sha256>.txt (English-looking texts from templates,
with typographic quotes and no-break spaces) and DIR/annotations/NNNN.yaml
(~35 claims of every type an article, quotes anchored in the text).  Every
name is invented: no real person is made to say anything.  The same N gives
byte-identical files (seeded random.Random, no clock); `kg validate --seeds
DIR` conforms and `kg build --seeds DIR` builds.
"""

from __future__ import annotations

import argparse
import hashlib
import functools
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from kg import anchor  # noqa: E402

SEED = 20170401
ISSUED = "2026-11-22"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
NBSP = "\u00a0"
FIRST = ("Amina Arman Bela Dana Dmitri Elif Emil Farid Galina Goran Hana Ilya Ines Jana Karim Lejla Luka "
         "Marat Mira Nadia Nikola Oksana Omar Petra Rustam Sabina Sami Tamara Timur Vera Yusuf Zara Aleksei "
         "Bogdan Darya Edin Fatima Igor Kamila Leon Madina Nina Oleg Pavel Rada Selim Sofia Taras Ulla Viktor "
         "Yana Zoran Adam Boris Clara David Eva Filip Greta Hugo").split()
SYL = "ka vel mor dra sen tov lin bar zor mir gal dor ras kel ven tash bor lan sol vik nar dem ost rin hal".split()
SURNAME_END = ["ov", "ova", "ic", "enko", "ski", "yan", "ev", "idze", "in", "er"]


def lcfirst(text: str) -> str:
    return text[0].lower() + text[1:] if text.split()[0] in ("Summit", "Meeting", "Letter", "Reports", "Protest") else text


def tidy(text: str) -> str:
    return text.replace(",.", ".").replace(",,", ",").replace(", ,", ",")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("’", "")).strip("-")


# ---------------------------------------------------------------- the registry

class Registry:
    """Fictional entities, 100 + n // 4 of them, grouped by type for the article generator."""

    SHARES = [("Person", .32), ("GovernmentBody", .12), ("Place", .12), ("NGO", .08), ("Media", .07),
              ("Group", .08), ("Issue", .09), ("Event", .07), ("Organisation", .05)]

    def __init__(self, n: int) -> None:
        self.rng = random.Random(SEED)
        self.entries: dict[str, dict] = {}
        self.by_type: dict[str, list[str]] = {}
        self.used: set[str] = set()     # labels and aliases taken (kg's entity-minted-twice check)
        self.words: set[str] = set()    # invented words handed out
        total = 100 + n // 4
        quota = {t: int(total * s) for t, s in self.SHARES}
        quota["Person"] += total - sum(quota.values())
        self._places(quota["Place"])
        self._govs(quota["GovernmentBody"])
        for t, make in (("NGO", self._ngo), ("Media", self._media), ("Organisation", self._org)):
            while len(self.by_type.get(t, [])) < quota[t]:
                make()
        self._people(quota["Person"])
        self._groups(quota["Group"] - 1)
        self._issues(quota["Issue"])
        self._events(quota["Event"])
        assert len(self.entries) == total, (len(self.entries), total)

    def word(self, k: int = 2, end: str = "") -> str:
        """An invented word not handed out before (one syllable more after every 20 misses)."""
        for attempt in range(1_000_000):
            w = ("".join(self.rng.choice(SYL) for _ in range(k + attempt // 20)) + end).capitalize()
            if w not in self.words and w.lower() not in self.used:
                self.words.add(w)
                return w
        raise AssertionError("no word left")  # pragma: no cover

    def add(self, etype: str, label: str, **fields) -> str | None:
        eid = slug(label)
        if eid in self.entries or label.lower() in self.used:
            return None
        self.used.add(label.lower())
        for alias in fields.get("aliases", []):
            self.used.add(alias.lower())
        self.entries[eid] = {"type": etype, "label": label, **{k: v for k, v in fields.items() if v}}
        self.by_type.setdefault(etype, []).append(eid)
        return eid

    def label(self, eid: str) -> str:
        return self.entries[eid]["label"]

    def _places(self, k: int) -> None:
        countries = [self.add("Place", self.word(2, self.rng.choice(["ia", "a", "istan", "ova"])))
                     for _ in range(max(3, k // 10))]
        self.countries = countries
        self.regions: list[tuple[str, str]] = []    # (region, country)
        self.towns: list[tuple[str, str]] = []      # (town, region)
        while len(self.by_type["Place"]) < k:
            if len(self.regions) < max(3, k // 3):
                c = countries[len(self.regions) % len(countries)]
                self.regions.append((self.add("Place", self.word(2, "a") + " Region", located_in=[c]), c))
            else:
                r = self.rng.choice(self.regions)[0]
                self.towns.append((self.add("Place", self.word(self.rng.choice([2, 3]), self.rng.choice(["sk", "ovo", "grad", ""])),
                                            located_in=[r]), r))

    def _govs(self, k: int) -> None:
        self.gov_of: dict[str, str] = {}      # country or region -> its government / administration
        self.roles: dict[str, list[str]] = {}  # actor -> roles a person can hold in it
        national = [("Ministry of the Interior of {c}", ["Interior Minister of {c}", "deputy interior minister of {c}"]),
                    ("{c} Prosecutor General’s Office", ["Prosecutor General of {c}"]),
                    ("{c} Parliament", ["member of the {c} Parliament", "Speaker of the {c} Parliament"]),
                    ("{c} Ministry of Foreign Affairs", ["Foreign Minister of {c}", "foreign ministry spokesperson of {c}"]),
                    ("{c} Supreme Court", ["judge of the {c} Supreme Court"]),
                    ("{c} security service", ["director of the {c} security service"])]
        plan = [(c, "{c} government", ["President of {c}", "Prime Minister of {c}", "government spokesperson of {c}"], None)
                for c in self.countries]
        plan += [(r, "{c} regional administration", ["head of the {c} region", "spokesperson for the {c} regional administration"], c)
                 for r, c in self.regions]
        plan += [(c, name, roles, c) for name, roles in national for c in self.countries]
        plan += [(r, "{c} police", ["police chief of {c}"], r) for r, _ in self.regions]
        for where, name, roles, parent in plan:
            if len(self.by_type.get("GovernmentBody", [])) >= k:
                break
            wl = self.label(where).removesuffix(" Region")
            up = self.gov_of.get(parent) if parent else None
            eid = self.add("GovernmentBody", name.format(c=wl), aliases=[f"{wl} authorities"] if "{c} g" in name or "adm" in name else [],
                           part_of=[up] if up else [])
            if eid:
                self.gov_of.setdefault(where, eid)
                self.roles[eid] = [r.format(c=wl) for r in roles]

    def _ngo(self) -> None:
        w, c = self.word(), self.rng.choice(self.countries)
        form = self.rng.choice(["{w} Rights Watch", "{c} Human Rights Centre", "{w} Legal Aid", "{w} LGBT Network",
                                "Committee against Torture in {c}", "Rainbow {w}"])
        eid = self.add("NGO", form.format(w=w, c=self.label(c)))
        if eid:
            self.roles[eid] = [f"director of {self.label(eid)}", f"researcher at {self.label(eid)}", f"lawyer for {self.label(eid)}"]

    def _media(self) -> None:
        form = self.rng.choice(["The {t} Herald", "{w} Today", "Radio {w}", "{w} News", "The {w} Observer", "{w} Daily"])
        eid = self.add("Media", form.format(w=self.word(), t=self.label(self.rng.choice(self.towns or self.regions)[0])))
        if eid:
            self.roles[eid] = [f"correspondent for {self.label(eid)}", f"editor of {self.label(eid)}"]

    def _org(self) -> None:
        form = self.rng.choice(["{w} Party", "{c} Bar Association", "{w} Foundation", "{w} Union"])
        eid = self.add("Organisation", form.format(w=self.word(), c=self.label(self.rng.choice(self.countries))))
        if eid:
            self.roles[eid] = [f"chair of {self.label(eid)}", f"spokesperson for {self.label(eid)}"]

    def _people(self, k: int) -> None:
        surnames: set[str] = set()
        orgs = [e for e in self.roles]
        self.surname: dict[str, str] = {}
        while len(self.by_type.get("Person", [])) < k:
            last = self.word(self.rng.choice([2, 2, 3]), self.rng.choice(SURNAME_END))
            name = f"{self.rng.choice(FIRST)} {last}"
            roles = {}
            for org in self.rng.sample(orgs, self.rng.choice([1, 1, 2])):
                role = self.rng.choice(self.roles[org])
                roles[slug(role)] = {"role": role, "of": org}
            eid = self.add("Person", name, aliases=[last] if last not in surnames else [], positions=roles)
            if eid:
                surnames.add(last)
                self.surname[eid] = last

    def _groups(self, k: int) -> None:
        self.add("Group", "unidentified actors", description="The text does not say who; used so that every "
                 "speech act that occurred has a speaker.")
        self.entries["unidentified"] = self.entries.pop("unidentified-actors")
        self.by_type["Group"] = ["unidentified"]
        people = self.by_type["Person"]
        while len(self.by_type["Group"]) < k + 1:
            r = self.rng.choice(self.regions)[0]
            t = self.rng.choice(self.towns or self.regions)[0]
            form = self.rng.choice(["families of detainees in {r}", "activists in {t}", "residents of {t}",
                                    "lawyers for the detainees in {r}", "survivors of the detentions in {r}"])
            members = sorted(self.rng.sample(people, 2)) if form.startswith("lawyers") else []
            self.add("Group", form.format(r=self.label(r), t=self.label(t)), members=members,
                     member_count=str(self.rng.randint(3, 40)) if members else None)

    def _issues(self, k: int) -> None:
        root = self.add("Issue", "human rights")
        mids = [self.add("Issue", m, broader=[root]) for m in
                ["LGBT rights", "freedom of the press", "freedom of assembly", "torture and ill-treatment"]]
        leaves = ["detention of gay men in {r}", "harassment of journalists in {r}", "ban on protests in {r}",
                  "torture in police stations of {r}", "persecution of gay men in {r}", "arrests of reporters in {r}",
                  "dispersal of rallies in {r}", "disappearances of detainees in {r}"]
        self.leaves: list[str] = []
        while len(self.by_type["Issue"]) < k:
            i = self.rng.randrange(len(leaves))
            self.leaves.append(self.add("Issue", leaves[i].format(r=self.label(self.rng.choice(self.regions)[0])),
                                        broader=[mids[i % 4]]))

    def _events(self, k: int) -> None:
        people, ngos = self.by_type["Person"], self.by_type["NGO"]
        while len(self.by_type.get("Event", [])) < k:
            p1, p2 = self.rng.sample(people, 2)
            form = self.rng.choice(["Summit in {t}, {m} 2017", "Meeting of {p} and {q}, {m} 2017", "Letter of {n} to {q}",
                                    "Reports of detentions in {r}, {m} 2017", "Protest in {t}, {m} 2017"])
            self.add("Event", form.format(t=self.label(self.rng.choice(self.towns or self.regions)[0]), m=self.rng.choice(MONTHS),
                                          p=self.label(p1), q=self.label(p2), n=self.label(self.rng.choice(ngos)),
                                          r=self.label(self.rng.choice(self.regions)[0])))


# ---------------------------------------------------------------- YAML (plain where safe, else JSON-quoted)

PLAIN = re.compile(r"[a-z0-9][a-z0-9-]*|[A-Z][A-Za-z]*")


@functools.lru_cache(maxsize=65536)
def scalar(s: str) -> str:
    """Plain where YAML reads it back as the same string, else double-quoted (JSON escapes are YAML's)."""
    return s if PLAIN.fullmatch(s) and s.lower() not in ("null", "true", "false", "yes", "no", "on", "off") \
        else encode_basestring(s)


def emit(obj: dict, indent: int = 0) -> list[str]:
    pad, out = " " * indent, []
    for key, value in obj.items():
        if isinstance(value, dict):
            out += [f"{pad}{key}:", *emit(value, indent + 2)]
        elif isinstance(value, list) and all(isinstance(v, str) and PLAIN.fullmatch(v) for v in value):
            out.append(f"{pad}{key}: [{', '.join(value)}]")
        elif isinstance(value, list):
            out.append(f"{pad}{key}:")
            for v in value:
                lines = emit(v, indent + 4) if isinstance(v, dict) else [scalar(v)]
                out += [f"{pad}  - {lines[0].lstrip()}", *lines[1:]]
        else:
            out.append(f"{pad}{key}: {scalar(value)}")
    return out


# ---------------------------------------------------------------- articles

VERB = {"persecution": "persecuted", "abduction": "abducted", "arrest": "arrested", "detention": "detained",
        "imprisonment": "held in secret prisons", "camp": "held in a camp", "torture": "tortured", "beating": "beaten",
        "electric-shock": "tortured with electric shocks", "killing": "killed", "extrajudicial-execution": "executed without trial",
        "outing": "outed to their families", "honour-killing-incitement": "handed to relatives urged to kill them",
        "harassment": "harassed"}
VICTIMS = ["men suspected of being gay", "gay and bisexual men", "journalists", "peaceful protesters", "relatives of detainees",
           "human rights defenders", "members of a religious minority", "students"]
WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten", 12: "twelve"}
WORDING = {"exactly": ["{v}", "{w}"], "at-least": ["at least {v}"], "more-than": ["more than {v}", "over {v}"],
           "up-to": ["up to {v}", "as many as {v}"], "fewer-than": ["fewer than {v}"], "about": ["about {v}", "around {v}", "some {v}"],
           "nearly": ["nearly {v}", "almost {v}"]}
SAYINGS = ["the situation in {p} is deeply alarming", "no one has yet been held accountable for what happened in {p}",
           "the families of the victims in {p} are afraid to speak", "these abuses in {p} must stop now",
           "we have documented the cases in {p} one by one", "the world cannot look away from {p}",
           "the reports from {p} are consistent and credible", "people in {p} are living in fear"]
DENIALS = ["nothing of the kind has happened in {p}", "the reports from {p} are lies spread by foreign enemies",
           "there is no evidence of any detentions in {p}", "the police in {p} act within the law"]
DESCRIBE = {"abuse-report": "Abuses of {victims} reported in {place}.", "appeal": "{speaker} appealed to {addressee}.",
            "condemnation": "{speaker} condemned the {about}.", "denial": "{speaker} denied {denies}.",
            "commitment": "{speaker} committed to {commits_to}.", "statement": "{speaker} spoke about the {about}.",
            "report": "{speaker} reported departures from {place}.", "event": "The {agent} acted against {addressee} in {place}.",
            "investigation": "An investigation by the {agent} into the {about}.", "meeting": "{participants} met in {place}.",
            "raising": "Whether {speaker} raised the {about} with {addressee}."}
MEDIUM_AT = {"press-conference": "at a press conference", "statement": "in a written statement", "remarks": "in remarks to reporters",
             "testimony": "in testimony to a parliamentary hearing", "hotline": "on a telephone hotline", "meeting": "at a meeting"}
ADJ = ["small", "remote", "mountain", "industrial", "border", "riverside"]
CALLS = {"raise-issue": "raise the {i} with {p}", "pressure": "press {g} to end the {i}", "condemn": "publicly condemn the {i}",
         "speak-out": "speak out about the {i}", "investigate": "ensure an independent investigation into the {i}",
         "other": "grant protection to those who have fled {pl}"}


class Article:
    def __init__(self, reg: Registry, n: int) -> None:
        self.reg, self.key = reg, n
        self.rng = rng = random.Random(SEED * 7919 + n)
        self.paras: list[list[str]] = [[]]
        self.claims: list[dict] = []
        self.pending: list[tuple[str, str, str]] = []   # (person, position key, phrase) awaiting their sentence
        self.known: set[str] = set()
        self.comps: list[str] = []
        self.precisions: list[tuple[int, bool]] = []
        by = reg.by_type
        self.region, self.country = rng.choice(reg.regions)
        towns = [t for t, r in reg.towns if r == self.region] or [t for t, _ in reg.towns] or [self.region]
        self.places = rng.sample(towns, min(len(towns), rng.randint(1, 2))) + [self.region]
        self.govs = [g for g in (reg.gov_of.get(self.region), reg.gov_of.get(self.country)) if g]
        self.govs += rng.sample([g for g in by["GovernmentBody"] if g not in self.govs], rng.randint(1, 2))
        self.people = rng.sample(by["Person"], rng.randint(5, 8))
        self.ngos = rng.sample(by["NGO"], rng.randint(1, 2))
        self.media = rng.sample(by["Media"], 2)
        self.groups = rng.sample(by["Group"][1:], rng.randint(1, 2))
        self.orgs = rng.sample(by["Organisation"], 1)
        self.issues = rng.sample([i for i in reg.leaves if i], rng.randint(1, 3))
        self.events = rng.sample(by["Event"], rng.randint(2, 3))
        self.pub_date = (2017, rng.randint(2, 12), rng.randint(1, 28))

    # ------------------------------------------------------------ helpers
    def L(self, eid: str) -> str:
        return self.reg.label(eid)

    def name(self, pid: str) -> str:
        """A person's name; on first mention with their position (a position claim is queued)."""
        if pid in self.known:
            return self.reg.surname[pid] if "aliases" in self.reg.entries[pid] and self.rng.random() < .6 else self.L(pid)
        self.known.add(pid)
        key, pos = self.rng.choice(sorted(self.reg.entries[pid]["positions"].items()))
        phrase = f"{self.L(pid)}, {pos['role']}"
        self.pending.append((pid, key, phrase))
        return phrase + ","

    def actor(self) -> str:
        return self.rng.choice(self.people + self.ngos + self.groups + self.govs[:2])

    def ref(self, eid: str) -> str:
        etype = self.reg.entries[eid]["type"]
        if etype == "Person":
            return self.name(eid)
        return "the " + lcfirst(self.L(eid)) if etype in ("GovernmentBody", "Event") else self.L(eid)

    def say(self, sentence: str, new_para: bool | None = None) -> int:
        if new_para or (new_para is None and len(self.paras[-1]) >= self.rng.randint(1, 3)):
            self.paras.append([])
        self.paras[-1].append(tidy(sentence[0].upper() + sentence[1:]))
        h = (len(self.paras) - 1) * 1000 + len(self.paras[-1]) - 1
        for pid, key, phrase in self.pending:
            self.claim("position", pid, [(h, phrase)], holder=pid, position=key)
        self.pending = []
        return h

    def claim(self, ctype: str, hint: str, evidence: list, **fields) -> dict:
        c = {"id": f"{ctype}-{len(self.claims) + 1:02d}-{hint}"[:60].rstrip("-"), "type": ctype,
             **{k: v for k, v in fields.items() if v not in (None, [], "")}}
        if ctype in DESCRIBE and "description" not in c:
            first = {k: self.L(v[0] if isinstance(v, list) else v) for k, v in c.items()
                     if k in ("speaker", "addressee", "agent", "place", "about", "participants")}
            c["description"] = DESCRIBE[ctype].format(**first, **{k: c.get(k) for k in ("victims", "denies", "commits_to")})
        c["evidence"] = evidence
        self.claims.append(c)
        return c

    def follow(self, evidence: list, p: float, text: str) -> bool:
        """With probability p, a further sentence that is also evidence of the claim."""
        if self.rng.random() >= p:
            return False
        evidence.append((self.say(text, False), text))
        return True

    def count(self, noun: str):
        if not self.comps:
            self.comps = list(WORDING)
            self.rng.shuffle(self.comps)
        comp = self.comps.pop()
        v = self.rng.choice([w for w in WORDS]) if comp == "exactly" and self.rng.random() < .5 else self.rng.randint(2, 300)
        wording = self.rng.choice(WORDING[comp]).format(v=v, w=WORDS.get(v, v))
        return {"wording": wording, "comparator": comp, "value": str(v), "counts": f"{noun} as the article counts them"}, \
            wording + self.rng.choice([" ", NBSP]) + noun

    def date(self):
        """(YAML date value, text phrase): every precision, stated or inferred."""
        if not self.precisions:
            self.precisions = [(p, inf) for p in (3, 2, 1) for inf in (False, True)]
            self.rng.shuffle(self.precisions)
        prec, inferred = self.precisions.pop()
        y, m, d = self.pub_date
        m, d = self.rng.randint(1, m), self.rng.randint(1, d)
        value = [f"{y - 1}", f"{y}-{m:02d}", f"{y}-{m:02d}-{d:02d}"][prec - 1]
        if not inferred:
            return value, [f"in {y - 1}", f"in {MONTHS[m - 1]} {y}", f"on {d}{self.rng.choice([' ', NBSP])}{MONTHS[m - 1]} {y}"][prec - 1]
        phrase = ["last year", "earlier this year" if m < self.pub_date[1] else "this month", "on the day of the raid"][prec - 1]
        why = (f"The text says “{phrase}”; the curators date it from the article’s publication "
               f"({y}-{self.pub_date[1]:02d}-{self.pub_date[2]:02d}) and the other reports of the same events.")
        return {"value": value, "inferred": why}, phrase

    def issue(self) -> str:
        return self.rng.choice(self.issues)

    def event(self) -> str | None:
        return self.rng.choice(self.events) if self.rng.random() < .45 else None

    # ------------------------------------------------------------ one method per claim type
    def abuse_report(self) -> None:
        r = self.rng
        abuses = r.sample(sorted(VERB), r.randint(1, 3))
        verbs = ", ".join(VERB[a] for a in abuses[:-1]) + (" and " if len(abuses) > 1 else "") + VERB[abuses[-1]]
        place, victims, perp = r.choice(self.places), r.choice(VICTIMS), r.choice(self.govs)
        count, phrase = self.count(r.choice(["men", "people", "detainees", "activists"])) if r.random() < .7 else (None, victims)
        since, since_text = self.date() if r.random() < .4 else (None, "")
        since_text = "since " + since_text.removeprefix("on ").removeprefix("in ") if since_text else ""
        reporter = r.choice(self.ngos + self.groups + self.people)
        who = self.ref(reporter)
        fields = dict(victims=victims, abuses=abuses, place=[place], about=[self.issue()], factuality="alleged",
                      refers_to=self.event(), count=count, since=since)
        if r.random() < .5:
            s = f"{who} said that {phrase} had been {verbs} by the {self.L(perp)} in {self.L(place)}{' ' + since_text if since_text else ''}."
            ev = [(self.say(s), s)]
            self.follow(ev, .85, r.choice(["The accounts could not be independently verified.", f"{self.ref(reporter)} said the victims had been threatened."]))
            self.claim("abuse-report", slug(victims), ev, reported_by=[reporter], perpetrator=[perp], **fields)
        else:
            q = f"In {self.L(place)}, {phrase} were {verbs}{' ' + since_text if since_text else ''}"
            s = f"“{q},” {who} told {self.L(self.media[1])}."
            h = self.say(s)
            ev = [(h, s)] + ([(self.say(f"The {self.L(perp)} has not responded to the claims."), f"The {self.L(perp)} has not responded")]
                             if r.random() < .9 else [])
            self.claim("abuse-report", slug(victims), ev, according_to=[reporter], quoted=[q], **fields)

    def appeal(self) -> None:
        r = self.rng
        speaker, addressee, iss = r.choice(self.ngos + self.groups + self.people), r.choice(self.people + self.govs[:2]), self.issue()
        acts = r.sample(sorted(CALLS), r.randint(1, 3))
        target, gov = r.choice(self.people), r.choice(self.govs)
        texts = [CALLS[a].format(i=self.L(iss), p=self.L(target), g=self.L(gov), pl=self.L(self.places[0])) for a in acts]
        occasion = r.choice(self.events)
        medium = r.choice(["letter", "statement", "petition", "resolution", "remarks"])
        quote = "We urge you to " + " and to ".join(texts)
        count = phrase = None
        if medium == "letter" and r.random() < .6:
            count, phrase = self.count("signatories")
        if r.random() < .5:
            s = f"“{quote},” {self.ref(speaker)} wrote in a {medium if medium != 'remarks' else 'message'} to {self.ref(addressee)}" \
                + (f", signed by {phrase}." if phrase else ".")
            quoted = [quote]
        else:
            s = f"{self.ref(speaker)} called on {self.ref(addressee)} to {', and to '.join(texts)} before {self.ref(occasion)}" \
                + (f", in a letter signed by {phrase}." if phrase else ".")
            quoted = []
        ev, d = [(self.say(s), s)], self.date()
        date = d[0] if self.follow(ev, .9, f"The {'message' if medium == 'remarks' else medium} was made public {d[1]}.") else None
        reqs = []
        for a, t in zip(acts, texts):
            req = {"act": a, "description": t}
            if a == "raise-issue":
                req.update(addressee=[target], occasion=occasion)
            elif a == "pressure":
                req["addressee"] = [gov]
            elif a == "investigate":
                req["agent"] = [gov]
            if a != "other":
                req["about"] = [iss]
            if quoted and r.random() < .5:
                req["quoted"] = [t]
            if a == "raise-issue" and not quoted:
                req["inferred"] = "The call names the occasion; the curators identify it with the registered event."
            reqs.append(req)
        self.claim("appeal", slug(self.L(speaker))[:24], ev, speaker=[speaker], addressee=[addressee], medium=medium, date=date,
                   about=[iss], factuality="occurred", refers_to=self.event(), count=count, quoted=quoted, requests=reqs)

    def characterisation(self) -> None:
        r = self.rng
        choice = r.randrange(3)
        if choice == 0 and self.places[0] != self.region:
            t = self.places[0]
            s = f"{self.L(t)}, a {r.choice(ADJ)} town in {self.L(self.region)}, has seen many of the detentions."
            ev, desc, subj = s.split(", has")[0], f"{self.L(t)} is a town in {self.L(self.region)}.", [t]
        elif choice == 1:
            n = r.choice(self.ngos)
            s = f"{self.L(n)}, which has documented abuses in {self.L(self.country)} since {r.randint(2005, 2015)}, published the first accounts."
            ev, desc, subj = s.split(", published")[0], f"{self.L(n)} has long documented abuses in {self.L(self.country)}.", [n]
        else:
            p, m = r.choice(self.people), self.media[0]
            s = f"{self.L(m)} is an independent outlet that has reported on the {self.L(self.issue())} for years."
            ev, desc, subj = s[:-1], f"{self.L(m)} is an independent outlet.", [m] + ([p] if False else [])
        self.claim("characterisation", subj[0][:24], [(self.say(s), ev)], subject=subj, description=desc)

    def speech(self, ctype: str) -> None:
        r = self.rng
        speaker, place, iss = r.choice(self.people + self.govs[:1] + self.ngos), self.L(r.choice(self.places)), self.issue()
        extra: dict = {}
        if ctype == "denial":
            speaker = r.choice([p for p in self.people] + self.govs)
            q = r.choice(DENIALS).format(p=place)
            s = f"{self.ref(speaker)} denied the reports, saying that “{q}”."
            extra["denies"] = f"the reports of abuses in {place}"
        elif ctype == "commitment":
            what = r.choice(["review the cases of the detainees", "allow independent monitors into the region", "meet the families"])
            d, dt = self.date()
            q = f"we will {what}"
            s = f"“{q[0].upper() + q[1:]},” {self.ref(speaker)} promised {dt}."
            q, extra["commits_to"], extra["date"] = q[0].upper() + q[1:], what, d
        elif ctype == "condemnation":
            q = r.choice(["a disgrace", "an outrage", "a crime against humanity", "unacceptable in the 21st century"])
            s = f"{self.ref(speaker)} condemned the {self.L(iss)}, calling it “{q}”."
        else:
            q = r.choice(SAYINGS).format(p=place)
            s = f"“{q[0].upper() + q[1:]},” {self.ref(speaker)} told {self.L(self.media[1])}."
            q = q[0].upper() + q[1:]
            extra["medium"] = "interview"
            extra["addressee"] = [self.media[1]]
        ev = [(self.say(s), s)]
        if ctype != "statement":
            medium = r.choice(sorted(MEDIUM_AT))
            d, dt = self.date()
            if self.follow(ev, .9, f"{self.ref(speaker)} was speaking {MEDIUM_AT[medium]} in {place} {dt}."):
                extra["medium"] = medium
                extra.setdefault("date", d)
        else:
            self.follow(ev, .8, f"{self.ref(speaker)} gave the interview {self.date()[1]}.")
        fields = dict(speaker=[speaker], about=[iss], factuality="occurred", quoted=[q], refers_to=self.event(),
                      according_to=[self.media[1]] if ctype == "denial" and r.random() < .5 else None, **extra)
        if ctype == "statement" and r.random() < .25:
            p = r.choice(self.people)
            s2 = f"{self.ref(p)} has not commented publicly on the {self.L(iss)}."
            self.claim("statement", p[:24], [(self.say(s2), s2)], speaker=[p], factuality="not-occurred", about=[iss])
        self.claim(ctype, speaker[:24], ev, **fields)

    def report(self) -> None:
        r = self.rng
        m = r.choice(self.media)
        count, phrase = self.count(r.choice(["families", "people", "residents"]))
        s = f"{self.L(m)} reported that {phrase} had left {self.L(self.region)} in recent weeks."
        ev = [(self.say(s), s)]
        self.follow(ev, .9, f"{self.L(m)} cited residents and local officials.")
        self.claim("report", m[:24], ev, speaker=[m], medium="news-report", factuality="occurred",
                   place=[self.region], count=count)

    def event_claim(self) -> None:
        r = self.rng
        g, n, d = r.choice(self.govs), r.choice(self.ngos), self.date()
        kind = r.choice(["occurred", "denied", "planned", "requested"])
        act = f"the offices of {self.L(n)} in {self.L(self.places[0])}"
        s = {"occurred": f"Police officers of the {self.L(g)} searched {act} {d[1]}.",
             "denied": f"The {self.L(g)} denied that its officers had searched {act} {d[1]}.",
             "planned": f"The {self.L(g)} plans to close {act}, two officials said.",
             "requested": f"Lawyers asked the {self.L(g)} to return the files seized from {act}."}[kind]
        ev = [(self.say(s), s)]
        self.follow(ev, .8, f"{self.L(n)} called the {'plan' if kind == 'planned' else 'search'} unlawful.")
        self.claim("event", n[:24], ev, agent=[g], addressee=[n], factuality=kind, place=[self.places[0]],
                   date=d[0] if kind in ("occurred", "denied") else None)

    def investigation(self) -> None:
        r = self.rng
        g, iss_id = r.choice(self.govs), self.issue()
        iss = self.L(iss_id)
        kind = r.choice(["occurred", "unknown", "requested", "planned"])
        s = {"occurred": f"The {self.L(g)} opened an investigation into the {iss}.",
             "unknown": f"It is unclear whether the {self.L(g)} has opened any inquiry into the {iss}.",
             "requested": f"{self.L(r.choice(self.ngos))} asked the {self.L(g)} to investigate the {iss}.",
             "planned": f"The {self.L(g)} said it would investigate the {iss}."}[kind]
        ev = [(self.say(s), s)]
        self.follow(ev, .8, "No charges have been brought so far.")
        self.claim("investigation", g[:24], ev, agent=[g], factuality=kind, about=[iss_id])

    def meeting(self, raising: bool = False) -> None:
        r = self.rng
        p1, p2 = r.sample(self.people, 2)
        town, ev = r.choice(self.places), r.choice(self.events)
        planned, iss = not raising and r.random() < .3, self.issue()
        d, dt = self.date()
        if planned:
            s = f"{self.ref(p1)} is due to meet {self.ref(p2)} in {self.L(town)} ahead of {self.ref(ev)}."
        elif raising:
            s = f"{self.ref(p1)} raised the {self.L(iss)} with {self.ref(p2)} when they met in {self.L(town)} {dt}."
        else:
            s = f"{self.ref(p1)} met {self.ref(p2)} in {self.L(town)} {dt}."
        h = self.say(s)
        evid = [(h, s)]
        self.follow(evid, .8, "Officials from both sides confirmed the meeting." if not planned else "Neither side has confirmed the date.")
        m = self.claim("meeting", f"{p1[:12]}-{p2[:12]}", evid, participants=[p1, p2], factuality="planned" if planned else "occurred",
                       place=[town], date=None if planned else d, occasion=ev if planned or r.random() < .5 else None,
                       refers_to=self.event())
        if raising:
            self.claim("raising", p1[:24], [(h, s)], speaker=[p1], addressee=[p2], about=[iss], factuality="occurred",
                       meeting=m["id"], refers_to=r.choice(self.events))

    def raising(self) -> None:
        r = self.rng
        if r.random() < .6:
            return self.meeting(raising=True)
        p, g = r.choice(self.people), r.choice(self.govs)
        iss = self.issue()
        s = f"{self.ref(p)} did not raise the {self.L(iss)} with the {self.L(g)}, officials said."
        ev = [(self.say(s), s)]
        self.follow(ev, .8, f"{self.ref(p)} declined to comment.")
        self.claim("raising", p[:24], ev, speaker=[p], addressee=[g], factuality="not-occurred", about=[iss])

    # ------------------------------------------------------------ the whole article
    MIX = {"abuse_report": 32, "appeal": 19, "characterisation": 21, "commitment": 2, "condemnation": 7, "denial": 9,
           "event_claim": 8, "investigation": 4, "meeting": 7, "raising": 10, "report": 2, "statement": 21}

    def build(self) -> tuple[str, str]:
        r = self.rng
        names, weights = list(self.MIX), list(self.MIX.values())
        plan = names + r.choices(names, weights, k=r.randint(12, 18))
        r.shuffle(plan)
        for step in plan:
            if step in ("commitment", "condemnation", "denial", "statement"):
                self.speech(step)
            else:
                getattr(self, step)()
        title_line = f"{self.L(self.issues[0])[0].upper()}{self.L(self.issues[0])[1:]}: {self.L(self.people[0])} under pressure over {self.L(self.region)}"
        y, m, d = self.pub_date
        stated = r.random() < .5
        header = [title_line] if r.random() < .7 else []
        if stated:
            header.append(f"Published {d}{NBSP}{MONTHS[m - 1]} {y}")
        pub = r.choice(self.media[:1] * 3 + [None])
        footer = [f"© {y} {self.L(pub)}. All rights reserved."] if pub and r.random() < .5 else []
        head = "\n\n".join(header) + "\n\n" if header else ""
        body = "\n\n".join(" ".join(p) for p in self.paras if p)
        text = head + body + ("\n\n" + footer[0] if footer else "") + "\n"
        starts, off = {}, len(head)
        for i, p in enumerate(self.paras):
            if not p:
                continue
            for j, sent in enumerate(p):
                starts[i * 1000 + j] = off
                off += len(sent) + 1
            off += 1
        doc = Doc(text)
        for c in self.claims:
            c["evidence"] = [self.locate(doc, starts, h, ex) for h, ex in c["evidence"]]
        sha = hashlib.sha256(text.encode()).hexdigest()
        fname = f"{self.key}_{sha[:16]}.txt"
        meta = {"file": fname, "sha256": sha}
        meta["title"] = title_line if header and header[0] == title_line else {
            "value": title_line, "inferred": "The text has no headline; the curators' title summarises it."}
        if pub:
            meta["publisher"] = pub if footer else {"entity": pub, "inferred": f"The text does not name its publisher; "
                                                    f"it quotes {self.L(self.media[1])} as another outlet and was collected from {self.L(pub)}."}
        month = r.random() < .15
        pv = f"{y}-{m:02d}" if month else f"{y}-{m:02d}-{d:02d}"
        meta["published"] = pv if stated and not month else {"value": pv, "inferred": "Not dated in the text; the curators "
                                                             "date it from the events it reports as recent."}
        meta.update(curator="hrkg bench", annotated_on=ISSUED)
        lines = [f"# Synthetic benchmark article {self.key} (bench/corpus.py): every `evidence` is the article's exact words.",
                 *emit({"article": meta}), "", "claims:"]
        for c in self.claims:
            item = emit({"c": [c]}, 0)[1:]
            lines += item + [""]
        return fname, text, "\n".join(lines)

    def sentence(self, h: int) -> str:
        return self.paras[h // 1000][h % 1000]

    def locate(self, doc: "Doc", starts: dict[int, int], h: int, exact: str):
        sent = self.sentence(h)
        if sent.find(exact) < 0:
            exact = tidy(exact[0].upper() + exact[1:])
        assert exact in sent, (sent, exact)
        return self.quote(doc, starts[h] + sent.find(exact), exact)

    def quote(self, doc: "Doc", start: int, exact: str):
        """The quote as the annotation gives it: plain if unique, else with `prefix` or `occurrence`."""
        occ = doc.occurrences(start, len(exact))
        if len(occ) == 1:
            return exact
        lo = max(0, start - 16)
        prefix, fprefix = doc.text[lo:start], doc.folded[lo:start]
        if prefix.strip() and self.rng.random() < .5 and sum(doc.folded.endswith(fprefix, 0, s) for s in occ) == 1:
            return {"exact": exact, "prefix": prefix}
        return {"exact": exact, "occurrence": str(occ.index(start) + 1)}


class Doc:
    """kg.anchor.Article's matching: the same one-to-one fold (done per distinct character), the same occurrences."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = text.translate({ord(ch): anchor.fold(ch) for ch in set(text)})

    def occurrences(self, start: int, length: int) -> list[int]:
        """Where the text's [start, start + length) occurs, folded, as kg.anchor counts them."""
        needle, starts = self.folded[start:start + length], []
        i = self.folded.find(needle)
        while i != -1:
            starts.append(i)
            i = self.folded.find(needle, i + 1)
        return starts


# ---------------------------------------------------------------- the corpus

def registry_yaml(reg: Registry) -> str:
    lines = ["# Synthetic registry (bench/corpus.py): every name is invented.", ""]
    for eid, entry in reg.entries.items():
        lines += emit({eid: entry}) + [""]
    return "\n".join(lines)


DATASET = {"title": "hrkg synthetic benchmark corpus", "description": "Generated by bench/corpus.py from templates: fictional "
           "people, places and organisations; not reporting of real events.", "version": "0.1.0",
           "license": "https://creativecommons.org/licenses/by/4.0/", "issued": ISSUED, "creator": "hrkg bench"}


_REGISTRY: Registry | None = None


def _init(n: int) -> None:
    global _REGISTRY
    _REGISTRY = Registry(n)


def _write(job: tuple[int, int, int, str]) -> Counter:
    """Write articles lo..hi-1 (and their annotations) into ``tmp``; each depends only on the registry and its number."""
    n, lo, hi, tmp = job
    kinds: Counter = Counter()
    width = max(4, len(str(n - 1)))
    for i in range(lo, hi):
        art = Article(_REGISTRY, i)
        art.key = f"{i:0{width}d}"
        fname, text, ann = art.build()
        Path(tmp, "articles", fname).write_text(text, encoding="utf-8")
        Path(tmp, "annotations", f"{art.key}.yaml").write_text(ann, encoding="utf-8")
        kinds.update(c["type"] for c in art.claims)
    return kinds


def generate(n: int, out: Path, jobs: int = 1) -> Counter:
    """Write the corpus of ``n`` articles into ``out`` (a new directory), atomically; returns claim counts by type.

    ``jobs`` processes share the articles; the bytes do not depend on it.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _init(n)
        (tmp / "articles").mkdir()
        (tmp / "annotations").mkdir()
        (tmp / "dataset.yaml").write_text("\n".join(emit(DATASET)) + "\n", encoding="utf-8")
        (tmp / "entities.yaml").write_text(registry_yaml(_REGISTRY), encoding="utf-8")
        chunks = [(n, lo, min(n, lo + 200), str(tmp)) for lo in range(0, n, 200)]
        if jobs > 1 and len(chunks) > 1:
            with multiprocessing.get_context("fork").Pool(min(jobs, len(chunks)), _init, (n,)) as pool:
                kinds = sum(pool.imap_unordered(_write, chunks), Counter())
        else:
            kinds = sum(map(_write, chunks), Counter())
        if out.exists():
            out.rmdir()
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    kinds["entities"] = len(_REGISTRY.entries)
    return kinds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/corpus.py", description="Write a deterministic synthetic seeds directory.")
    p.add_argument("n", type=int, metavar="N", help="number of articles")
    p.add_argument("--out", required=True, help="directory to create (must not exist, or be empty)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: the number of cores); same bytes")
    args = p.parse_args(argv)
    if not 1 <= args.n <= 100_000:
        print(f"error: N = {args.n}: give a number of articles from 1 to 100000", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        kinds = generate(args.n, Path(args.out), max(1, args.jobs))
    except (FileExistsError, OSError) as exc:
        print(f"error: {exc}; choose a new --out directory or remove it", file=sys.stderr)
        return 2
    entities = kinds.pop("entities")
    print(f"wrote {args.out}/: {args.n} articles, {sum(kinds.values())} claims, {entities} entities "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The article writer of bench/corpus.py: English-looking sentences from templates, and the claims they carry.

One method per claim type says one or more sentences and records a claim whose evidence
points at them (a sentence handle and the exact words); kg's quote anchoring is done
afterwards, on the assembled text, by ``corpus_annotate``.
"""

from __future__ import annotations

import random

from corpus_registry import MONTHS, SEED, Registry, slug

NBSP = "\u00a0"


def lcfirst(text: str) -> str:
    return text[0].lower() + text[1:] if text.split()[0] in ("Summit", "Meeting", "Letter", "Reports", "Protest") else text


def tidy(text: str) -> str:
    return text.replace(",.", ".").replace(",,", ",").replace(", ,", ",")


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


class Writer:
    """The sentences and claims of article ``n`` (its own seeded random.Random)."""

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
        c = {"id": slug(f"{ctype}-{len(self.claims) + 1:02d}-{hint}"[:60]), "type": ctype,
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
            m = self.media[0]
            s = f"{self.L(m)} is an independent outlet that has reported on the {self.L(self.issue())} for years."
            ev, desc, subj = s[:-1], f"{self.L(m)} is an independent outlet.", [m]
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

    # ------------------------------------------------------------ the mix
    MIX = {"abuse_report": 32, "appeal": 19, "characterisation": 21, "commitment": 2, "condemnation": 7, "denial": 9,
           "event_claim": 8, "investigation": 4, "meeting": 7, "raising": 10, "report": 2, "statement": 21}

    def write(self) -> None:
        """Every claim type once, then more in the seeds' mix, in shuffled order."""
        r = self.rng
        names, weights = list(self.MIX), list(self.MIX.values())
        plan = names + r.choices(names, weights, k=r.randint(12, 18))
        r.shuffle(plan)
        for step in plan:
            if step in ("commitment", "condemnation", "denial", "statement"):
                self.speech(step)
            else:
                getattr(self, step)()

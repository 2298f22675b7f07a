"""The synthetic registry of bench/corpus.py: 100 + N/4 invented entities, deterministic.

People with one or two positions, government bodies (in `part_of` chains), organisations,
NGOs, media, groups (some with members), places in `located_in` chains (town -> region ->
country), issues with `broader` chains and registered occasions.  Labels and aliases are
unique (kg's entity-minted-twice check); every name is made up.
"""

from __future__ import annotations

import random
import re

SEED = 20170401
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
FIRST = ("Amina Arman Bela Dana Dmitri Elif Emil Farid Galina Goran Hana Ilya Ines Jana Karim Lejla Luka "
         "Marat Mira Nadia Nikola Oksana Omar Petra Rustam Sabina Sami Tamara Timur Vera Yusuf Zara Aleksei "
         "Bogdan Darya Edin Fatima Igor Kamila Leon Madina Nina Oleg Pavel Rada Selim Sofia Taras Ulla Viktor "
         "Yana Zoran Adam Boris Clara David Eva Filip Greta Hugo").split()
SYL = "ka vel mor dra sen tov lin bar zor mir gal dor ras kel ven tash bor lan sol vik nar dem ost rin hal".split()
SURNAME_END = ["ov", "ova", "ic", "enko", "ski", "yan", "ev", "idze", "in", "er"]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("’", "")).strip("-")



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

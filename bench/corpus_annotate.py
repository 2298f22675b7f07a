"""The annotator of bench/corpus.py: assemble an article's text, anchor its quotes, write its annotation YAML.

Quotes are anchored with kg's own fold (``kg.anchor.fold``) and counted as kg counts them: a
quote that occurs once is written plainly, a repeated one with `prefix` or `occurrence`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from json.encoder import encode_basestring  # type: ignore[attr-defined]

from kg import anchor

from corpus_registry import MONTHS
from corpus_text import NBSP, Writer, tidy

ISSUED = "2026-11-22"   # the pinned date of the dataset and of every annotation (never the clock)


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


class Article(Writer):
    """One article: its text, its file name and its annotation file."""

    def build(self) -> tuple[str, str, str]:
        """(article file name, its text, its annotation YAML)."""
        r = self.rng
        self.write()
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

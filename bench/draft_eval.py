"""Measure `kg draft` on the five seed articles (README "Drafting an annotation").

Each article is drafted as if it were new: against the registry without the
entities only that article references, with the other four articles as the
source of `refers_to` suggestions.  The draft is compared with the curated
annotation:

- evidence: curated claims with a drafted claim whose sentence overlaps one of
  the claim's evidence quotes (recall);
- counts: curated counts (comparator and value) that an overlapping drafted
  claim proposes;
- refers_to: curated `refers_to` links that an overlapping drafted claim proposes;
- precision: drafted claims whose sentence overlaps some curated claim's
  evidence (the rest have no curated counterpart); "same type" counts those
  whose overlapping curated claim has the drafted type.

Usage: .venv/bin/python bench/draft_eval.py [--seeds DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg import draft, load  # noqa: E402
from kg.model import Kind  # noqa: E402


def referenced(art) -> set[str]:
    out = {art.publisher.entity} if art.publisher else set()
    for c in art.claims:
        for sub in [c] + [r for r in c.values.get("requests", [])]:
            for spec in sub.specs:
                v = sub.values.get(spec.key)
                if spec.kind is Kind.ENTITY and v:
                    out.add(v)
                elif spec.kind is Kind.ENTITIES and v:
                    out.update(v)
    return out


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate(ds) -> list[dict]:
    rows = []
    refs = {a.key: referenced(a) for a in ds.articles}
    for art in ds.articles:
        others = [o for o in ds.articles if o.key != art.key]
        own = refs[art.key] - set().union(*(refs[o.key] for o in others))
        entities = {k: v for k, v in ds.entities.items() if k not in own}
        taken = {o.key for o in others}
        d = draft.draft_article(art.text, art.file, entities, others, taken, "2026-01-01")
        spans = {c.id: [(q.start, q.end) for q in c.evidence] for c in art.claims}
        matched = {c.id: [dc for dc in d.claims if any(overlaps((dc.start, dc.end), s) for s in spans[c.id])]
                   for c in art.claims}
        counts = [c for c in art.claims if c.values.get("count")]
        linked = [c for c in art.claims if c.values.get("refers_to")]
        hit_drafts = [dc for dc in d.claims if any(dc in m for m in matched.values())]
        same_type = [dc for dc in d.claims
                     if any(dc in matched[c.id] and c.type == dc.type for c in art.claims)]
        rows.append({
            "article": art.key,             "curated claims": len(art.claims), "evidence found": sum(1 for m in matched.values() if m),
            "counts": len(counts),
            "counts found": sum(1 for c in counts if any(dc.count == (c.values["count"].comparator, c.values["count"].value)
                                                          for dc in matched[c.id])),
            "refers_to": len(linked),
            "refers_to found": sum(1 for c in linked if any(dc.fields.get("refers_to") == c.values["refers_to"]
                                                             for dc in matched[c.id])),
            "suggested": sum(1 for dc in d.claims if dc.fields.get("refers_to")),
            "suggested right": sum(1 for dc in d.claims if dc.fields.get("refers_to") and any(
                dc in matched[c.id] and c.values.get("refers_to") == dc.fields["refers_to"] for c in art.claims)),
            "drafted claims": len(d.claims), "with counterpart": len(hit_drafts), "same type": len(same_type),
            "entity candidates": len(d.candidates),
            "own entities": len(own),
            "own re-found": sum(1 for e in own if any(c["label"] in ds.entities[e].names for c in d.candidates.values())),
        })
    return rows


def pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f}%)" if b else "0/0"


def table(rows: list[dict]) -> str:
    total = {k: sum(r[k] for r in rows) for k in rows[0] if k != "article"}
    total["article"] = "all"
    head = ("| article | curated claims | evidence recall | count recall | refers_to recall | refers_to suggestions right "
            "| drafted claims | precision (with a curated counterpart) | same type | entity candidates | removed entities re-found |")
    lines = [head, "|" + "---|" * 11]
    for r in rows + [total]:
        lines.append(f"| {r['article']} | {r['curated claims']} | {pct(r['evidence found'], r['curated claims'])} "
                     f"| {pct(r['counts found'], r['counts'])} | {pct(r['refers_to found'], r['refers_to'])} "
                     f"| {pct(r['suggested right'], r['suggested'])} "
                     f"| {r['drafted claims']} | {pct(r['with counterpart'], r['drafted claims'])} "
                     f"| {pct(r['same type'], r['drafted claims'])} | {r['entity candidates']} "
                     f"| {pct(r['own re-found'], r['own entities'])} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default=str(ROOT / "seeds"))
    args = p.parse_args()
    print(table(evaluate(load.load_seeds(Path(args.seeds), "seeds"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

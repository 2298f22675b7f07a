"""Size limits on untrusted input, in one place.

Each is far above real use (the seeds' largest article is 4 KB, their longest
quote 465 characters, their deepest YAML 6 levels, their longest ``located_in``
chain 4 places) and far below what breaks a library or takes minutes:
pyoxigraph and rdflib fail on a literal over 16 MiB, Python's ``int()`` on
more than 4,300 digits, the YAML node builder on ~990 levels of nesting, and
OWL RL's transitive closure grows with the square of a chain's length.
README "Limits and safety" lists them; a test checks that it lists them all.
"""

from __future__ import annotations

MiB = 1024 * 1024

ARTICLE_BYTES = 4 * MiB          # an article text (.txt)
YAML_BYTES = 4 * MiB             # an annotation or registry file, dataset.yaml (a 10,000-article registry: 0.4 MiB)
YAML_DEPTH = 64                  # nesting of YAML mappings and lists
YAML_SCALAR_CHARS = 1 * MiB      # one YAML value (a description, a quote)
QUOTE_CHARS = 5_000              # one evidence quote (`evidence`, `quoted`, `wording`, `prefix`)
DIGITS = 15                      # a count, `member_count` or `occurrence`
TURTLE_BYTES = 4 * MiB           # a curator Turtle file (~100,000 triples)
LITERAL_CHARS = 1 * MiB          # one literal in curator Turtle
COLLECTION_ITEMS = 10_000        # one RDF collection `( … )` in curator Turtle
CHAIN_LENGTH = 32                # links in a chain of located_in / part_of / broader (hrr:locatedIn, hrr:partOf, skos:broader)
QUERY_BYTES = 1 * MiB            # a query file (`kg query --file`)
NEAREST_SECONDS = 2.0            # the search for the passage nearest a quote not found
REPORTED_ERRORS = 50             # errors listed per file; the rest are counted

ALL = {
    "ARTICLE_BYTES": ARTICLE_BYTES, "YAML_BYTES": YAML_BYTES, "YAML_DEPTH": YAML_DEPTH,
    "YAML_SCALAR_CHARS": YAML_SCALAR_CHARS, "QUOTE_CHARS": QUOTE_CHARS, "DIGITS": DIGITS,
    "TURTLE_BYTES": TURTLE_BYTES, "LITERAL_CHARS": LITERAL_CHARS, "COLLECTION_ITEMS": COLLECTION_ITEMS,
    "CHAIN_LENGTH": CHAIN_LENGTH, "QUERY_BYTES": QUERY_BYTES, "NEAREST_SECONDS": NEAREST_SECONDS,
    "REPORTED_ERRORS": REPORTED_ERRORS,
}


def size(n: int) -> str:
    """A byte count as people read it: 16 MiB, 4 MiB, 900 bytes."""
    return f"{n // MiB} MiB" if n >= MiB and n % MiB == 0 else f"{n:,} bytes"


def chain_lengths(up: dict[str, list[str]]) -> dict[str, int]:
    """For a graph of ``node -> parents``, the length of the longest chain up from each node
    (1 for a node without parents); cycles are cut, so this always ends, in linear time."""
    length: dict[str, int] = {}
    for start in up:
        stack, entered = [start], set()
        while stack:  # iterative depth-first: a chain of any length cannot overflow the stack
            node = stack[-1]
            todo = [n for n in up.get(node, ()) if n not in length and n not in entered]
            entered.add(node)
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            length[node] = 1 + max((length.get(n, 0) for n in up.get(node, ())), default=0)
    return length

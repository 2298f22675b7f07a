"""Every IRI the project mints, from content keys only (never uuid, never the clock).

One base, declared here.  The ontology namespace is generic (reusable for other
stories); data IRIs live under the dataset's own path.  Slash-style throughout.
"""

from __future__ import annotations

from urllib.parse import quote

from rdflib import URIRef

BASE = "https://hrkg.example.org/"
ONTOLOGY = BASE + "ontology/"
ONTOLOGY_IRI = BASE + "ontology"
DATASET = BASE + "chechnya-2017/"


def _seg(key: str) -> str:
    return quote(key, safe="-_.~")


def dataset() -> URIRef:
    return URIRef(DATASET)


def entity(eid: str) -> URIRef:
    return URIRef(f"{DATASET}entity/{_seg(eid)}")


def position(eid: str, key: str) -> URIRef:
    return URIRef(f"{DATASET}entity/{_seg(eid)}/position/{_seg(key)}")


def article(key: str) -> URIRef:
    return URIRef(f"{DATASET}article/{_seg(key)}")


def claim(article_key: str, claim_id: str) -> URIRef:
    # claim ids of requested actions are "<parent>/request/<n>"; each part is a safe segment
    return URIRef(f"{DATASET}article/{_seg(article_key)}/claim/" + "/".join(_seg(p) for p in claim_id.split("/")))


def sub(node: URIRef, *parts: str | int) -> URIRef:
    """A node hanging off another (evidence, selectors, counts): ``<node>/<part>/…``."""
    return URIRef(str(node) + "".join(f"/{_seg(str(p))}" for p in parts))


def dump(filename: str) -> URIRef:
    return URIRef(f"{DATASET}dump/{_seg(filename)}")


def subset(graph_name: URIRef) -> URIRef:
    """The VoID subset of a named graph: ``…/subset/article-000`` for ``…/graph/article/000``."""
    return URIRef(f"{DATASET}subset/" + _seg(str(graph_name).rsplit("/graph/", 1)[1].replace("/", "-")))


def source_file(relpath: str) -> URIRef:
    return URIRef(f"{DATASET}source/" + "/".join(_seg(p) for p in relpath.split("/")))


def curator(name: str) -> URIRef:
    slug = "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())
    return URIRef(f"{DATASET}curator/{_seg(slug)}")


def build_activity(version: str) -> URIRef:
    return URIRef(f"{DATASET}build/{_seg(version)}")


class G:
    """Named graphs."""

    ONTOLOGY = URIRef(f"{DATASET}graph/ontology")
    ENTITIES = URIRef(f"{DATASET}graph/entities")
    PROVENANCE = URIRef(f"{DATASET}graph/provenance")
    INFERRED = URIRef(f"{DATASET}graph/inferred")

    @staticmethod
    def article(key: str) -> URIRef:
        return URIRef(f"{DATASET}graph/article/{_seg(key)}")

    @staticmethod
    def addition(name: str) -> URIRef:
        return URIRef(f"{DATASET}graph/addition/{_seg(name)}")

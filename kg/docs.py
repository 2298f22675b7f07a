"""Ontology documentation: ``kg docs`` writes HTML for ``ontology/hrr.ttl``.

* ``ontology.html`` — pyLODE's OntPub profile: the header (title, version IRI, dates,
  publisher, licence, namespace) and every class and property.
* ``concepts.html`` — the six SKOS concept schemes, each concept with its label,
  definition, broader concept and IRI anchor.  Rendered here, not by pyLODE: the pyLODE
  that runs on Python 3.11 (3.3.x) documents classes and properties only, in both its
  profiles, and so documents no concept.
* ``index.html`` — links to both.

Nothing is fetched at run time: pyLODE's background ontologies ship inside the package
(``tests/test_docs_ontology.py`` renders with every socket connection refused).  Files are
written to temporary names and moved into place, so a reader never sees half a page.
"""

from __future__ import annotations

import html
import logging
import os
import re
import tempfile
from pathlib import Path

import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

from . import iris
from .errors import KgError

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology" / "hrr.ttl"
PAGES = ("index.html", "ontology.html", "concepts.html")


class DocsError(KgError):
    """pyLODE could not render the ontology."""

    exit_code = 2


def _text(g: rdflib.Graph, s, p) -> str:
    values = sorted(str(o) for o in g.objects(s, p))
    return values[0] if values else ""


def _anchor(term) -> str:
    return str(term).rsplit("/", 1)[-1]


def without_concepts(g: rdflib.Graph) -> rdflib.Graph:
    """The ontology minus its concept schemes and concepts (``concepts.html`` has them): pyLODE
    would otherwise list the schemes in its schema.org header, in an order that varies by run."""
    out = rdflib.Graph()
    skip = set(g.subjects(RDF.type, SKOS.ConceptScheme)) | set(g.subjects(SKOS.inScheme, None))
    for t in g:
        if t[0] not in skip:
            out.add(t)
    return out


ENTITY_RE = re.compile(r'<div class="property entity" id="([^"]+)">.*?<th>IRI</th>\s*<td>\s*<code>([^<]+)</code>', re.S)


def fragments(page: str) -> dict[str, str]:
    """IRI -> the fragment id pyLODE gave its entry (from its label or IRI, first come first served)."""
    return {html.unescape(iri): fid for fid, iri in ENTITY_RE.findall(page)}


def render_ontology(g: rdflib.Graph) -> str:
    """Classes and properties through pyLODE (OntPub), quietly: it logs at INFO on the root logger."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        from pylode import OntPub
        return OntPub(ontology=g, sort_subjects=True).make_html()
    except Exception as exc:  # pyLODE raises its own and rdflib's errors alike
        raise DocsError(f"{ONTOLOGY}: pyLODE could not render the ontology: {exc}") from None
    finally:
        logging.disable(previous)


def render_concepts(g: rdflib.Graph, anchors: dict[str, str]) -> str:
    """Every concept scheme and its concepts, top concepts first, narrower ones under their broader."""
    esc = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(_text(g, rdflib.URIRef(iris.ONTOLOGY_IRI), DCTERMS.title))}: concept schemes</title>",
           "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
           "dt{font-weight:bold;margin-top:.8em}dd{margin-left:1.5em}code{color:#555}</style>",
           "</head><body>", '<p><a href="index.html">index</a> · <a href="ontology.html">classes and properties</a></p>',
           "<h1>Concept schemes</h1>", "<ul>"]
    schemes = sorted(g.subjects(RDF.type, SKOS.ConceptScheme))
    out += [f'<li><a href="#{esc(_anchor(s))}">{esc(_text(g, s, SKOS.prefLabel))}</a></li>' for s in schemes]
    out.append("</ul>")
    for scheme in schemes:
        out += [f'<section id="{esc(_anchor(scheme))}">',
                f"<h2>{esc(_text(g, scheme, SKOS.prefLabel))}</h2>",
                f"<p><code>{esc(str(scheme))}</code></p>",
                f"<p>{esc(_text(g, scheme, SKOS.definition))}</p>", "<dl>"]
        concepts = sorted(g.subjects(SKOS.inScheme, scheme),
                          key=lambda c: (_text(g, c, SKOS.broader) and _text(g, g.value(c, SKOS.broader), SKOS.prefLabel),
                                         _text(g, c, SKOS.prefLabel)))
        for c in concepts:
            broader = g.value(c, SKOS.broader)
            cls = g.value(c, RDF.type)
            out.append(f'<dt id="{esc(_anchor(c))}">{esc(_text(g, c, SKOS.prefLabel))} '
                       f"<code>hrr:{esc(_anchor(c))}</code></dt>")
            out.append(f"<dd>{esc(_text(g, c, SKOS.definition))}")
            if broader is not None:
                out.append(f' Narrower than <a href="#{esc(_anchor(broader))}">{esc(_text(g, broader, SKOS.prefLabel))}</a>.')
            if cls is not None and str(cls) in anchors:
                out.append(f' A value of class <a href="ontology.html#{esc(anchors[str(cls)])}">hrr:{esc(_anchor(cls))}</a>.')
            out.append("</dd>")
        out += ["</dl>", "</section>"]
    out += ["</body></html>", ""]
    return "\n".join(out)


def render_index(g: rdflib.Graph) -> str:
    esc = html.escape
    onto = rdflib.URIRef(iris.ONTOLOGY_IRI)
    rows = [("Ontology IRI", str(onto)), ("Version IRI", _text(g, onto, OWL.versionIRI)),
            ("Version", _text(g, onto, OWL.versionInfo)), ("Created", _text(g, onto, DCTERMS.created)),
            ("Modified", _text(g, onto, DCTERMS.modified)), ("Publisher", _text(g, onto, DCTERMS.publisher)),
            ("Licence", _text(g, onto, DCTERMS.license))]
    title = esc(_text(g, onto, DCTERMS.title))
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{title}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}th{text-align:left;padding-right:1em}</style>",
        "</head><body>", f"<h1>{title}</h1>", f"<p>{esc(_text(g, onto, DCTERMS.description))}</p>", "<table>",
        *(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows), "</table>",
        '<ul><li><a href="ontology.html">Classes and properties</a> (pyLODE)</li>',
        '<li><a href="concepts.html">Concept schemes</a></li></ul>', "</body></html>", ""])


def write(out: Path, ontology: Path = ONTOLOGY) -> list[Path]:
    """Write the three pages into ``out``; each file appears whole or not at all."""
    g = rdflib.Graph().parse(ontology, format="turtle")
    ontology_page = render_ontology(without_concepts(g))
    pages = {"index.html": render_index(g), "ontology.html": ontology_page,
             "concepts.html": render_concepts(g, fragments(ontology_page))}
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PAGES:
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(pages[name])
            os.chmod(tmp, 0o644)
            os.replace(tmp, out / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(out / name)
    return written

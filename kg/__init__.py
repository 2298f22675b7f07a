"""hrkg: an evidence-carrying knowledge graph of human-rights reporting.

Stages, in data-flow order (one module each): ``source`` (strict YAML) ->
``registry`` and ``load`` (typed model, quotes anchored by ``anchor``) -> ``map``
(RDF, one named graph per article; curator Turtle vetted by ``turtle``) ->
``provenance`` (PROV-O and Web Annotation, stamped in one place) -> ``validate``
(SHACL + SPARQL checks) -> ``infer`` (OWL 2 RL) -> ``publish`` (deterministic
dumps).  ``build`` orchestrates, ``query`` runs the catalogue, ``curate`` is the
curators' gate, ``cli`` is the only place that prints and picks exit codes.
"""

__version__ = "0.1.0"

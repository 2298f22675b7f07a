"""hrkg: an evidence-carrying knowledge graph of human-rights reporting.

Stages, in data-flow order (one module each): ``source`` (strict YAML) ->
``load`` (typed model, quotes anchored by ``anchor``) -> ``map`` (RDF, one
named graph per article) -> ``provenance`` (PROV-O and Web Annotation, stamped
in one place) -> ``publish`` (deterministic dumps).  ``build`` orchestrates,
``cli`` is the only place that prints and picks exit codes.
"""

__version__ = "0.1.0"

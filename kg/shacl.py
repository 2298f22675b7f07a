"""A native SHACL Core engine, equal to pyshacl on the subset of SHACL the project's shapes use.

pyshacl stays the reference semantics and the test oracle (``KG_SHACL=pyshacl``).  This engine
exists because validating each article's small graph with pyshacl cost more than half of a cold
``kg build``: pyshacl copies the data graph, builds its shape objects and walks rdflib's store for
every value node.  Here the shapes graph is compiled once per process into plain objects, the data
triples are indexed into dicts, and the constraints are evaluated over those.

Equality with pyshacl (``validate(..., inference="none", advanced=True, allow_warnings=True)``) is
the contract, down to its quirks, and is what ``tests/test_shacl_engine.py`` checks on the seeds, a
generated corpus, the shape fixtures and random mutations:

* the shapes pyshacl finds (typed ``sh:NodeShape``/``sh:PropertyShape``, subjects of targets,
  ``sh:property`` and ``sh:node``, values of shape-expecting parameters), their targets
  (``sh:targetClass`` follows ``rdfs:subClassOf`` in the *data* graph, implicit class targets),
  ``sh:severity``, ``sh:message``, ``sh:deactivated``;
* one result per failing value node (or focus node, for counts and ``sh:hasValue``), with the
  shape's message or pyshacl's default message text;
* ``sh:node`` failures carry the nested shape's results as details, which pyshacl's report graph
  types ``sh:ValidationResult`` too, so they are results here as well; the nested results of
  ``sh:and``/``sh:or``/``sh:not``/``sh:xone``/``sh:qualifiedValueShape`` are not;
* a shape whose severity is Info or Warning "conforms" when nested (``allow_warnings``);
* ``sh:datatype`` judges a literal with rdflib's own lexical-to-value conversion (its ``ill_typed``
  flag and ``value``), exactly as pyshacl does, on the very same rdflib terms.

What the engine does not implement (SPARQL constraints, rules, custom targets or components, value
ranges, ``sh:closed``, paths other than a predicate or ``sh:inversePath`` of one, recursive shapes,
...) makes :func:`compile_shapes` raise :class:`Unsupported`; data on which pyshacl would raise an
error (``sh:lessThan`` on a blank node) makes evaluation raise :class:`Fallback`.  Either way the
caller (``kg.validate.shacl``) validates with pyshacl instead, so a result is never the engine's guess.

Here: the data index, the shapes (found, compiled and checked), the evaluation and the entry points;
the constraint components, one class each, are in ``kg.shacl_components``.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from .shacl_components import _SUBCLASS, _TYPE, Fallback, Unsupported, _name, constraints

__all__ = ["Fallback", "Raw", "Shapes", "Unsupported", "compile_shapes", "validate"]

# what validate() is called with: allow_warnings=True lets Info and Warning shapes conform
_ALLOWED = frozenset({SH.Info, SH.Warning})


# sh: predicates the engine understands; any other one in the shapes graph makes it refuse
_PARAMETERS = {SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.hasValue, SH["in"],
               SH.pattern, SH.minLength, SH.maxLength, SH.lessThan, SH.lessThanOrEquals, SH.equals,
               SH.disjoint, SH.node, SH.property, SH["and"], SH["or"], SH["not"], SH.xone,
               SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount,
               SH.qualifiedValueShapesDisjoint}
_UNDERSTOOD = _PARAMETERS | {
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path, SH.inversePath,
    SH.flags, SH.severity, SH.message, SH.deactivated,
    # annotations: no effect on validation
    SH.name, SH.description, SH.order, SH.group, SH.defaultValue, SH.declare, SH.prefix, SH.namespace,
}
# rdf:type values in the sh: namespace the engine understands (any other means a feature it lacks)
_TYPES = {SH.NodeShape, SH.PropertyShape, SH.PrefixDeclaration}
_SHAPE_EXPECTING = (SH.property, SH.node, SH["not"], SH.qualifiedValueShape)
_LIST_EXPECTING = (SH["and"], SH["or"], SH.xone)
_MAX_DEPTH = 15  # pyshacl's max_validation_depth


class Raw(NamedTuple):
    """A validation result as pyshacl's report graph states it."""

    severity: URIRef
    message: str
    focus: object
    path: object
    value: object
    shape: object          # sh:sourceShape
    component: URIRef      # sh:sourceConstraintComponent


# ---------------------------------------------------------------- the data

class Data:
    """The data triples as dicts: ``spo[s][p]`` is an ordered set (dict) of objects, and for the
    predicates the shapes need it for, ``pos[p][o]`` the ordered set of subjects."""

    __slots__ = ("spo", "pos", "_sup", "_sub")

    def __init__(self, parts: Iterable[Iterable], inverse: Iterable = ()) -> None:
        spo: dict = {}
        pos: dict = {p: {} for p in inverse}
        for part in parts:
            for s, p, o in part:
                po = spo.get(s)
                if po is None:
                    spo[s] = {p: {o: None}}
                else:
                    objs = po.get(p)
                    if objs is None:
                        po[p] = {o: None}
                    else:
                        objs[o] = None
                by_o = pos.get(p)
                if by_o is not None:
                    subs = by_o.get(o)
                    if subs is None:
                        by_o[o] = {s: None}
                    else:
                        subs[s] = None
        self.spo, self.pos = spo, pos
        self._sup: dict = {}
        self._sub: dict = {}

    def objects(self, s, p):
        po = self.spo.get(s)
        if po is None:
            return ()
        return po.get(p, ())

    def subjects(self, p, o):
        return self.pos[p].get(o, ())

    def superclasses(self, c) -> set:
        """``c`` and everything it is an rdfs:subClassOf*, as rdflib's transitive_objects walks it."""
        out = self._sup.get(c)
        if out is None:
            out, todo = {c}, [c]
            while todo:
                for sup in self.objects(todo.pop(), _SUBCLASS):
                    if sup not in out:
                        out.add(sup)
                        todo.append(sup)
            self._sup[c] = out
        return out

    def subclasses(self, c) -> set:
        out = self._sub.get(c)
        if out is None:
            out, todo = {c}, [c]
            while todo:
                for sub in self.subjects(_SUBCLASS, todo.pop()):
                    if sub not in out:
                        out.add(sub)
                        todo.append(sub)
            self._sub[c] = out
        return out


# ---------------------------------------------------------------- the shapes

class Shape:
    __slots__ = ("node", "is_property", "path", "path_node", "inverse", "severity", "message", "deactivated",
                 "target_nodes", "target_classes", "subjects_of", "objects_of", "constraints", "graph")

    def __init__(self, graph: Graph, node, path=None) -> None:
        self.graph = graph
        self.node = node
        self.is_property = path is not None
        self.path, self.path_node, self.inverse = None, path, False
        if path is not None:
            if isinstance(path, URIRef):
                self.path = path
            else:
                inv = list(graph.objects(path, SH.inversePath))
                others = [p for p in graph.predicates(path) if p != SH.inversePath]
                if len(inv) != 1 or others or not isinstance(inv[0], URIRef):
                    raise Unsupported(f"the path of {_name(node)} (only a predicate or sh:inversePath of one)")
                self.path, self.inverse = inv[0], True
        deactivated = list(graph.objects(node, SH.deactivated))
        if len(deactivated) > 1 or (deactivated and not isinstance(deactivated[0], Literal)):
            raise Unsupported(f"sh:deactivated of {_name(node)}")
        self.deactivated = bool(deactivated[0].value) if deactivated else False
        severity = set(graph.objects(node, SH.severity))
        if len(severity) > 1:
            raise Unsupported(f"several severities on {_name(node)}")
        self.severity = next(iter(severity)) if severity else SH.Violation
        messages = set(graph.objects(node, SH.message))
        if len(messages) > 1:
            raise Unsupported(f"several sh:message on {_name(node)} (pyshacl reports one of them)")
        self.message = str(next(iter(messages))) if messages else None
        self.target_nodes = list(graph.objects(node, SH.targetNode))
        self.target_classes = set(graph.objects(node, SH.targetClass))
        self.subjects_of = list(graph.objects(node, SH.targetSubjectsOf))
        self.objects_of = list(graph.objects(node, SH.targetObjectsOf))
        self.constraints: list = []

    @property
    def has_targets(self) -> bool:
        return bool(self.target_nodes or self.target_classes or self.subjects_of or self.objects_of)


class Shapes:
    """A compiled shapes graph: the shapes with targets, in pyshacl's sense, ready to evaluate."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._check_vocabulary(graph)
        self.shapes = self._harvest(graph)
        for shape in self.shapes.values():
            shape.constraints = constraints(self, shape)
        implicit = {RDFS.Class, OWL.Class} | set(graph.subjects(RDFS.subClassOf, RDFS.Class))
        for shape in self.shapes.values():
            if set(graph.objects(shape.node, RDF.type)) & implicit:
                shape.target_classes.add(shape.node)
        self.top = [s for s in self.shapes.values() if s.has_targets]
        for shape in self.top:
            self._depth(shape, ())
        self.inverse = {RDF.type, RDFS.subClassOf}
        for shape in self.shapes.values():
            self.inverse.update(shape.subjects_of)
            self.inverse.update(shape.objects_of)
            if shape.inverse:
                self.inverse.add(shape.path)

    @staticmethod
    def _check_vocabulary(g: Graph) -> None:
        sh = str(SH)
        for p in set(g.predicates()):
            if str(p).startswith(sh) and p not in _UNDERSTOOD:
                raise Unsupported(f"{p.n3(g.namespace_manager)}")
        for t in set(g.objects(None, RDF.type)):
            if str(t).startswith(sh) and t not in _TYPES:
                raise Unsupported(f"shapes typed {t.n3(g.namespace_manager)}")
        for s, o in g.subject_objects(RDFS.subClassOf):
            if str(o).startswith(sh) or str(s).startswith(sh):
                raise Unsupported(f"a subclass of {o.n3(g.namespace_manager)}")

    @staticmethod
    def _harvest(g: Graph) -> dict:
        """The shapes, found the way pyshacl's ShapesGraph finds them."""
        node_shapes = set(g.subjects(RDF.type, SH.NodeShape))
        prop_shapes = set(g.subjects(RDF.type, SH.PropertyShape))
        paths = {}
        for s in node_shapes:
            if (s, SH.path, None) in g:
                raise Unsupported(f"the node shape {_name(s)} has a sh:path")
        for s in prop_shapes:
            vals = list(g.objects(s, SH.path))
            if s in node_shapes or len(vals) != 1:
                raise Unsupported(f"the property shape {_name(s)} needs exactly one sh:path")
            paths[s] = vals[0]
        subject_shapes = set()
        for p in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.property, SH.node):
            subject_shapes.update(s for s, _ in g.subject_objects(p))
        expected = set()
        for p in _SHAPE_EXPECTING:
            expected.update(o for _, o in g.subject_objects(p))
        for p in _LIST_EXPECTING:
            for lst in set(o for _, o in g.subject_objects(p)):
                items = set(g.items(lst))
                if not items:
                    raise Unsupported(f"an empty or malformed {p.n3(g.namespace_manager)} list")
                expected.update(items)
        for s in list(subject_shapes) + list(expected):
            if s in node_shapes or s in prop_shapes:
                continue
            vals = list(g.objects(s, SH.path))
            if len(vals) > 1:
                raise Unsupported(f"the shape {_name(s)} has several sh:path")
            if vals:
                prop_shapes.add(s)
                paths[s] = vals[0]
            else:
                node_shapes.add(s)
        shapes = {}
        for s in node_shapes:
            shapes[s] = Shape(g, s)
        for s in prop_shapes:
            shapes[s] = Shape(g, s, paths[s])
        return shapes

    def shape(self, node) -> Shape:
        return self.shapes[node]

    def _depth(self, shape: Shape, path: tuple) -> None:
        if shape.node in path:
            raise Unsupported(f"recursive shapes ({_name(shape.node)})")
        if len(path) >= _MAX_DEPTH - 1:
            raise Unsupported("shapes nested deeper than pyshacl's validation depth")
        for c in shape.constraints:
            for nested in c.nested:
                self._depth(nested, path + (shape.node,))


# ---------------------------------------------------------------- the evaluation

class Evaluator:
    def __init__(self, shapes: Shapes, data: Data, namespaces=None) -> None:
        self.shapes = shapes
        self.data = data
        self._namespaces = namespaces   # the data graph's namespace manager, for default messages
        self._dg = None

    def focus_nodes(self, shape: Shape) -> list:
        data = self.data
        found = dict.fromkeys(shape.target_nodes)
        for tc in shape.target_classes:
            for c in data.subclasses(tc):
                found.update(dict.fromkeys(data.subjects(_TYPE, c)))
        for p in shape.subjects_of:
            for subs in data.pos[p].values():
                found.update(subs)
        for p in shape.objects_of:
            found.update(dict.fromkeys(data.pos[p]))
        return list(found)

    def validate(self, shape: Shape, focus: list) -> tuple[bool, list]:
        """pyshacl's Shape.validate: (conforms, reports) of ``shape`` on the focus nodes."""
        if shape.deactivated or not focus:
            return True, []
        if shape.is_property:
            spo, path, empty = self.data.spo, shape.path, {}
            if shape.inverse:
                by_o = self.data.pos[path]
                fvn = [(f, by_o.get(f, empty)) for f in focus]
            else:
                fvn = [(f, spo.get(f, empty).get(path, empty)) for f in focus]
        else:
            fvn = [(f, (f,)) for f in focus]
        allow = shape.severity in _ALLOWED
        non_conformant = False
        reports: list = []
        for c in shape.constraints:
            ok, reps = c.evaluate(self, shape, fvn)
            if reps:
                if not ok and not allow and not non_conformant:
                    # pyshacl (allow_warnings) filters by the reports' own severities: a failing constraint
                    # whose reports are all Info or Warning does not make a Violation shape non-conformant
                    non_conformant = any(r.shape.severity not in _ALLOWED for r in reps)
                reports.extend(reps)
        return not non_conformant, reports

    def check(self, shape: Shape, node) -> tuple[bool, list]:
        """``shape`` validated on one node, as nested constraints call it."""
        return self.validate(shape, (node,))

    def run(self) -> list[Raw]:
        out: list[Raw] = []
        for shape in self.shapes.top:
            if shape.deactivated:
                continue
            focus = self.focus_nodes(shape)
            if focus:
                _, reps = self.validate(shape, focus)
                self._emit(reps, out)
        return out

    def _emit(self, reps, out: list) -> None:
        for r in reps:
            shape = r.shape
            message = shape.message if shape.message is not None else r.constraint.message(self, shape, r)
            out.append(Raw(shape.severity, message, r.focus, shape.path_node,
                           r.value, shape.node, r.component))
            if r.details:
                self._emit(r.details, out)

    # ------------------------------------------------------------ pyshacl's default messages

    def text(self, node) -> str:
        """pyshacl's stringify_node of a data node, with the namespaces of its copy of the data graph."""
        from pyshacl.rdfutil import stringify_node
        if isinstance(node, BNode):
            raise Fallback("a default message naming a blank node")
        if self._dg is None:
            dg = Graph(bind_namespaces="core")
            source = self._namespaces if self._namespaces is not None else Graph().namespace_manager
            for prefix, ns in source.namespaces():
                dg.namespace_manager.bind(prefix, ns, override=True, replace=True)
            self._dg = dg
        return stringify_node(self._dg, node)

    def stext(self, node) -> str:
        """stringify_node of a shapes-graph node."""
        from pyshacl.rdfutil import stringify_node
        return stringify_node(self.shapes.graph, node)


# ---------------------------------------------------------------- the entry points

_COMPILED: dict = {}


def compile_shapes(graph: Graph) -> Shapes:
    """The compiled shapes graph, cached for the graph object at its size (pyshacl adds two system
    triples to a shapes graph it is given; ``Unsupported`` is cached too, so a refusal is decided
    once).  The entry holds the graph, so its id cannot be reused by another graph meanwhile."""
    key = (id(graph), len(graph))
    entry = _COMPILED.get(key)
    hit = entry[1] if entry is not None and entry[0] is graph else None
    if hit is None:
        try:
            hit = Shapes(graph)
        except Unsupported as exc:
            hit = exc
        except Exception as exc:  # noqa: BLE001 - shapes it cannot read are pyshacl's to judge (or refuse)
            hit = Unsupported(f"shapes it cannot read ({type(exc).__name__}: {exc})")
        _COMPILED.clear()     # one shapes graph in use at a time (tests use a few in turn)
        _COMPILED[key] = (graph, hit)
    if isinstance(hit, Unsupported):
        raise hit
    return hit


def validate(shapes: Shapes, parts: Iterable[Iterable], namespaces=None) -> list[Raw]:
    """The results pyshacl would report for the union of ``parts`` (iterables of rdflib triples)."""
    data = Data(parts, shapes.inverse)
    try:
        return Evaluator(shapes, data, namespaces).run()
    except Fallback:
        raise
    except Exception as exc:  # noqa: BLE001 - never a guess: pyshacl validates instead (with a warning)
        raise Fallback(f"an internal error ({type(exc).__name__}: {exc})") from exc

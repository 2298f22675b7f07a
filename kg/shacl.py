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
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Iterable, NamedTuple

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

# what validate() is called with: allow_warnings=True lets Info and Warning shapes conform
_ALLOWED = frozenset({SH.Info, SH.Warning})
# plain terms for the hot loops (attribute access on rdflib's closed namespaces is slow)
_TYPE, _SUBCLASS, _STRING, _LANGSTRING = RDF.type, RDFS.subClassOf, XSD.string, RDF.langString


class Unsupported(Exception):
    """The shapes graph uses something this engine does not implement: validate with pyshacl."""


class Fallback(Exception):
    """The data meets a case on which pyshacl raises: validate with pyshacl to get its behaviour."""


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


class Rep(NamedTuple):
    """One validation result before it is worded: ``details`` are the nested results of sh:node."""

    shape: "Shape"
    constraint: "Constraint"
    component: URIRef
    focus: object
    value: object
    details: tuple = ()


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


def _name(node) -> str:
    return node.n3() if isinstance(node, URIRef) else f"a blank-node shape ({node})"


class Shapes:
    """A compiled shapes graph: the shapes with targets, in pyshacl's sense, ready to evaluate."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._check_vocabulary(graph)
        self.shapes = self._harvest(graph)
        for shape in self.shapes.values():
            shape.constraints = _constraints(self, shape)
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


# ---------------------------------------------------------------- the constraint components

class Constraint:
    component: URIRef = URIRef("urn:notimplemented")
    nested: tuple = ()

    def evaluate(self, ev: Evaluator, shape: Shape, fvn: list) -> tuple[bool, list]:
        raise NotImplementedError

    def message(self, ev: Evaluator, shape: Shape, rep: Rep) -> str:
        raise NotImplementedError

    def rep(self, shape, focus, value=None, component=None, details=()) -> Rep:
        return Rep(shape, self, component or self.component, focus, value, details)


def _one(sg: Graph, shape: Shape, p) -> object:
    vals = list(sg.objects(shape.node, p))
    if len(vals) != 1:
        raise Unsupported(f"{len(vals)} values of {p.n3(sg.namespace_manager)} on {_name(shape.node)}")
    return vals[0]


def _path_text(ev: Evaluator, shape: Shape) -> str:
    return ev.stext(shape.path_node)


class ClassC(Constraint):
    component = SH.ClassConstraintComponent

    def __init__(self, shapes, shape):
        self.classes = list(shapes.graph.objects(shape.node, SH["class"]))

    def evaluate(self, ev, shape, fvn):
        data, reports = ev.data, []
        for c in self.classes:
            for f, values in fvn:
                for v in values:
                    if isinstance(v, Literal) or not any(c in data.superclasses(t) for t in data.objects(v, _TYPE)):
                        reports.append(self.rep(shape, f, v))
        return not reports, reports

    def message(self, ev, shape, rep):
        if len(self.classes) < 2:
            return f"Value does not have class {ev.stext(self.classes[0])}"
        return "Value class is not in classes ({})".format(", ".join(ev.stext(c) for c in self.classes))


# pyshacl's DatatypeConstraintComponent._assert_actual_datatype: the Python type rdflib must have
# converted the lexical form to (any other datatype: no check)
_PYTHON_TYPES = {XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
                 XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}


class DatatypeC(Constraint):
    component = SH.DatatypeConstraintComponent

    def __init__(self, shapes, shape):
        self.rule = rule = _one(shapes.graph, shape, SH.datatype)
        self.python = _PYTHON_TYPES.get(rule)
        self.any_literal = rule == RDFS.Literal
        self.any_datatype = rule == RDFS.Datatype
        self.string, self.lang_string = rule == _STRING, rule == _LANGSTRING

    def actual(self, v) -> bool:
        return self.python is None or isinstance(v.value, self.python)

    def matches(self, v) -> bool:
        """pyshacl's DatatypeConstraintComponent.evaluate, for one value node."""
        if not isinstance(v, Literal):
            return False
        dt = v.datatype
        if dt == self.rule:
            return False if getattr(v, "ill_typed", None) is True else self.actual(v)
        if self.any_literal:
            return True
        if self.any_datatype and dt:
            return True
        if dt is None and v.language is None and self.string:
            return self.actual(v)
        if self.lang_string and v.language:
            return self.actual(v)
        return False

    def evaluate(self, ev, shape, fvn):
        reports = [self.rep(shape, f, v) for f, values in fvn for v in values if not self.matches(v)]
        return not reports, reports

    def message(self, ev, shape, rep):
        return f"Value is not Literal with datatype {ev.stext(self.rule)}"


class NodeKindC(Constraint):
    component = SH.NodeKindConstraintComponent
    _KINDS = {BNode: (SH.BlankNode, SH.BlankNodeOrLiteral, SH.BlankNodeOrIRI),
              Literal: (SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral),
              URIRef: (SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI)}

    def __init__(self, shapes, shape):
        self.rule = _one(shapes.graph, shape, SH.nodeKind)

    def evaluate(self, ev, shape, fvn):
        reports = []
        for f, values in fvn:
            for v in values:
                kind = BNode if isinstance(v, BNode) else Literal if isinstance(v, Literal) else URIRef
                if self.rule not in self._KINDS[kind]:
                    reports.append(self.rep(shape, f, v))
        return not reports, reports

    def message(self, ev, shape, rep):
        return f"Value is not of Node Kind {ev.stext(self.rule)}"


def _count(shapes, shape, p) -> int:
    lit = _one(shapes.graph, shape, p)
    if not shape.is_property or not (isinstance(lit, Literal) and lit.datatype == XSD.integer) or int(lit.value) < 0:
        raise Unsupported(f"{p.n3(shapes.graph.namespace_manager)} on {_name(shape.node)}")
    return int(lit.value)


class MinCountC(Constraint):
    component = SH.MinCountConstraintComponent

    def __init__(self, shapes, shape):
        self.n = _count(shapes, shape, SH.minCount)

    def evaluate(self, ev, shape, fvn):
        if self.n == 0:
            return True, []
        reports = [self.rep(shape, f) for f, values in fvn if len(values) < self.n]
        return not reports, reports

    def message(self, ev, shape, rep):
        return f"Less than {self.n} values on {ev.text(rep.focus)}->{_path_text(ev, shape)}"


class MaxCountC(Constraint):
    component = SH.MaxCountConstraintComponent

    def __init__(self, shapes, shape):
        self.n = _count(shapes, shape, SH.maxCount)

    def evaluate(self, ev, shape, fvn):
        reports = [self.rep(shape, f) for f, values in fvn if len(values) > self.n]
        return not reports, reports

    def message(self, ev, shape, rep):
        return f"More than {self.n} values on {ev.text(rep.focus)}->{_path_text(ev, shape)}"


class HasValueC(Constraint):
    component = SH.HasValueConstraintComponent

    def __init__(self, shapes, shape):
        self.values = list(set(shapes.graph.objects(shape.node, SH.hasValue)))

    def evaluate(self, ev, shape, fvn):
        reports = []
        for hv in self.values:
            reports.extend(self.rep(shape, f) for f, values in fvn if hv not in values)
        return not reports, reports

    def message(self, ev, shape, rep):
        the_set = [ev.stext(s) for s in self.values]
        if shape.is_property:
            return f"Node {ev.text(rep.focus)}->{_path_text(ev, shape)} does not contain a value in the set: {the_set}"
        return f"Node {ev.text(rep.focus)} value is not a in the set of values: {the_set}"


class InC(Constraint):
    component = SH.InConstraintComponent

    def __init__(self, shapes, shape):
        lst = _one(shapes.graph, shape, SH["in"])
        self.values = set(shapes.graph.items(lst))

    def evaluate(self, ev, shape, fvn):
        reports = [self.rep(shape, f, v) for f, values in fvn for v in values if v not in self.values]
        return not reports, reports

    def message(self, ev, shape, rep):
        return "Value {} not in list {}".format(ev.text(rep.value), [ev.stext(v) for v in self.values])


def _string(v) -> str:
    """pyshacl's StringBasedConstraintBase.value_node_to_string."""
    if isinstance(v, Literal) and v.value is not None and v.datatype in (None, _LANGSTRING, _STRING):
        return str(v.value)
    return str(v)


class PatternC(Constraint):
    component = SH.PatternConstraintComponent

    def __init__(self, shapes, shape):
        g = shapes.graph
        self.patterns = list(g.objects(shape.node, SH.pattern))
        if not self.patterns or not all(isinstance(p, Literal) for p in self.patterns):
            raise Unsupported(f"sh:pattern on {_name(shape.node)}")
        flags = set(g.objects(shape.node, SH.flags))
        if len(flags) > 1:
            raise Unsupported(f"several sh:flags on {_name(shape.node)}")
        re_flags = 0
        if flags:
            text = str(next(iter(flags)).value).lower()
            re_flags |= re.I if "i" in text else 0
            re_flags |= re.M if "m" in text else 0
        self.compiled = [re.compile(str(p.value) if p.value is not None and len(p.value) > 1 else str(p), re_flags)
                         for p in self.patterns]

    def evaluate(self, ev, shape, fvn):
        reports = []
        for rx in self.compiled:
            for f, values in fvn:
                for v in values:
                    if isinstance(v, BNode) or not rx.search(_string(v)):
                        reports.append(self.rep(shape, f, v))
        return not reports, reports

    def message(self, ev, shape, rep):
        if len(self.patterns) < 2:
            return f"Value does not match pattern '{self.patterns[0].value}'"
        return "Value does not match every pattern in ('{}')".format("', '".join(str(p.value) for p in self.patterns))


class _LengthC(Constraint):
    param = SH.minLength

    def __init__(self, shapes, shape):
        from pyshacl.consts import XSD_WHOLE_INTEGERS
        lit = _one(shapes.graph, shape, self.param)
        if (not isinstance(lit, Literal) or getattr(lit, "ill_typed", False) or lit.datatype is None
                or lit.datatype not in XSD_WHOLE_INTEGERS
                or lit.datatype in (XSD.negativeInteger, XSD.nonPositiveInteger) or lit.value < 0):
            raise Unsupported(f"{self.param.n3(shapes.graph.namespace_manager)} on {_name(shape.node)}")
        self.lit = lit
        self.n = lit.value

    def message(self, ev, shape, rep):
        return f"String length not {self.op} {ev.text(self.lit)}"


class MinLengthC(_LengthC):
    component = SH.MinLengthConstraintComponent
    param, op = SH.minLength, ">="

    def evaluate(self, ev, shape, fvn):
        if self.n == 0:
            return True, []
        reports = [self.rep(shape, f, v) for f, values in fvn for v in values
                   if isinstance(v, BNode) or len(_string(v)) < self.n]
        return not reports, reports


class MaxLengthC(_LengthC):
    component = SH.MaxLengthConstraintComponent
    param, op = SH.maxLength, "<="

    def evaluate(self, ev, shape, fvn):
        reports = [self.rep(shape, f, v) for f, values in fvn for v in values
                   if isinstance(v, BNode) or len(_string(v)) > self.n]
        return not reports, reports


class _PairC(Constraint):
    param = SH.equals
    symbol = "!="

    def __init__(self, shapes, shape):
        self.props = list(set(shapes.graph.objects(shape.node, self.param)))
        if any(not isinstance(p, URIRef) for p in self.props):
            raise Unsupported(f"{self.param.n3(shapes.graph.namespace_manager)} on {_name(shape.node)}")

    def evaluate(self, ev, shape, fvn):
        reports = []
        for prop in self.props:
            for f, values in fvn:
                reports.extend(self.rep(shape, f, v) for v in self.failing(set(values), set(ev.data.objects(f, prop))))
        return not reports, reports

    def message(self, ev, shape, rep):
        if len(self.props) < 2:
            rules = ev.stext(self.props[0])
        else:
            rules = ", ".join(ev.stext(p) for p in self.props)
        return f"Value of {ev.text(rep.focus)}->{rules} {self.symbol} {ev.text(rep.value)}"


class EqualsC(_PairC):
    component, param, symbol = SH.EqualsConstraintComponent, SH.equals, "!="

    def failing(self, values, compare):
        return list(values - compare) + list(compare - values)


class DisjointC(_PairC):
    component, param, symbol = SH.DisjointConstraintComponent, SH.disjoint, "=="

    def failing(self, values, compare):
        return list(values & compare)


def _comparable(node):
    """(is_string, value) as pyshacl's sh:lessThan compares them."""
    if isinstance(node, BNode):
        raise Fallback("sh:lessThan on a blank node")
    if isinstance(node, URIRef):
        return True, str(node)
    if isinstance(node, Literal) and isinstance(node.value, str):
        return True, node.value
    return False, node


class LessThanC(_PairC):
    component, param, symbol = SH.LessThanConstraintComponent, SH.lessThan, "<="

    def __init__(self, shapes, shape):
        super().__init__(shapes, shape)
        if not shape.is_property:
            raise Unsupported(f"{self.param.n3(shapes.graph.namespace_manager)} on a node shape")

    @staticmethod
    def holds(a, b) -> bool:
        return a < b

    def failing(self, values, compare):
        out = []
        for value in values:
            v_str, v = _comparable(value)
            for other in compare:
                c_str, c = _comparable(other)
                try:
                    if v_str != c_str or not self.holds(v, c):
                        out.append(value)
                except TypeError:
                    raise Fallback("an incomparable sh:lessThan pair") from None
        return out


class LessThanOrEqualsC(LessThanC):
    component, param, symbol = SH.LessThanOrEqualsConstraintComponent, SH.lessThanOrEquals, "<"

    @staticmethod
    def holds(a, b) -> bool:
        return a <= b


class PropertyC(Constraint):
    component = SH.PropertyConstraintComponent

    def __init__(self, shapes, shape):
        self.shapes = [shapes.shape(n) for n in shapes.graph.objects(shape.node, SH.property)]
        if not all(s.is_property for s in self.shapes):
            raise Unsupported(f"sh:property of {_name(shape.node)} is not a property shape")
        self.nested = tuple(self.shapes)

    def evaluate(self, ev, shape, fvn):
        ok, reports = True, []
        for ps in self.shapes:
            for f, values in fvn:
                for v in values:
                    c_ok, reps = ev.check(ps, v)
                    ok = ok and c_ok
                    reports.extend(reps)
        return ok, reports


class NodeC(Constraint):
    component = SH.NodeConstraintComponent

    def __init__(self, shapes, shape):
        self.nodes = list(shapes.graph.objects(shape.node, SH.node))
        self.shapes = [shapes.shape(n) for n in self.nodes]
        if any(s.is_property for s in self.shapes):
            raise Unsupported(f"sh:node of {_name(shape.node)} is a property shape")
        self.nested = tuple(self.shapes)

    def evaluate(self, ev, shape, fvn):
        reports = []
        for ns in self.shapes:
            for f, values in fvn:
                for v in values:
                    c_ok, reps = ev.check(ns, v)
                    if not c_ok or reps:
                        reports.append(self.rep(shape, f, v, details=tuple(reps)))
        return not reports, reports

    def message(self, ev, shape, rep):
        if len(self.nodes) < 2:
            m = f"Value does not conform to Shape {ev.stext(self.nodes[0])}."
        else:
            m = "Value must conform to every Shape in ('{}').".format("', '".join(ev.stext(c) for c in self.nodes))
        return m + " See details for more information."


class NotC(Constraint):
    component = SH.NotConstraintComponent

    def __init__(self, shapes, shape):
        self.nodes = list(shapes.graph.objects(shape.node, SH["not"]))
        self.shapes = [shapes.shape(n) for n in self.nodes]
        self.nested = tuple(self.shapes)

    def evaluate(self, ev, shape, fvn):
        reports = []
        for ns in self.shapes:
            for f, values in fvn:
                for v in values:
                    if ev.check(ns, v)[0]:
                        reports.append(self.rep(shape, f, v))
        return not reports, reports

    def message(self, ev, shape, rep):
        value = ev.text(rep.value)
        if len(self.nodes) == 1:
            return f"Node {value} must not conform to shape {ev.stext(self.nodes[0])}"
        return f"Node {value} must not conform to any shapes in {' , '.join(ev.stext(n) for n in self.nodes)}"


class _ListC(Constraint):
    param = SH["and"]
    word = "all shapes in"

    def __init__(self, shapes, shape):
        g = shapes.graph
        self.lists = list(g.objects(shape.node, self.param))
        # pyshacl takes each list as a set (duplicates collapse), in no particular order
        self.members = [[shapes.shape(n) for n in dict.fromkeys(g.items(lst))] for lst in self.lists]
        self.nested = tuple(s for m in self.members for s in m)

    def evaluate(self, ev, shape, fvn):
        reports = []
        for members in self.members:
            for f, values in fvn:
                for v in values:
                    if not self.passes([ev.check(s, v)[0] for s in members]):
                        reports.append(self.rep(shape, f, v))
        return not reports, reports

    def message(self, ev, shape, rep):
        g = shape.graph
        if len(self.lists) < 2:
            text = " , ".join(ev.stext(n) for n in g.items(self.lists[0]))
        else:
            text = " and ".join("({})".format(" , ".join(ev.stext(n) for n in g.items(lst))) for lst in self.lists)
        return f"Node {ev.text(rep.value)} must conform to {self.word} {text}"


class AndC(_ListC):
    component, param, word = SH.AndConstraintComponent, SH["and"], "all shapes in"

    @staticmethod
    def passes(results) -> bool:
        return all(results)


class OrC(_ListC):
    component, param, word = SH.OrConstraintComponent, SH["or"], "one or more shapes in"

    @staticmethod
    def passes(results) -> bool:
        return any(results)


class XoneC(_ListC):
    component, param, word = SH.XoneConstraintComponent, SH.xone, "exactly one shape in"

    def __init__(self, shapes, shape):
        super().__init__(shapes, shape)
        # pyshacl keeps sh:xone's list as a list: a shape listed twice counts twice
        g = shapes.graph
        self.members = [[shapes.shape(n) for n in g.items(lst)] for lst in self.lists]

    @staticmethod
    def passes(results) -> bool:
        return sum(results) == 1


class QualifiedC(Constraint):
    component = SH.QualifiedMinCountConstraintComponent   # or Max: each result names its own

    def __init__(self, shapes, shape):
        g = shapes.graph
        if not shape.is_property:
            raise Unsupported(f"sh:qualifiedValueShape on the node shape {_name(shape.node)}")
        self.nodes = list(set(g.objects(shape.node, SH.qualifiedValueShape)))
        if not self.nodes:
            raise Unsupported(f"sh:qualifiedMinCount/MaxCount without sh:qualifiedValueShape on {_name(shape.node)}")
        self.shapes = [shapes.shape(n) for n in self.nodes]
        self.nested = tuple(self.shapes)
        self.min = self._count(g, shape, SH.qualifiedMinCount)
        self.max = self._count(g, shape, SH.qualifiedMaxCount)
        if self.min is None and self.max is None:
            raise Unsupported(f"sh:qualifiedValueShape without a count on {_name(shape.node)}")
        for d in g.objects(shape.node, SH.qualifiedValueShapesDisjoint):
            if isinstance(d, Literal) and isinstance(d.value, bool) and d.value:
                raise Unsupported("sh:qualifiedValueShapesDisjoint true")

    @staticmethod
    def _count(g, shape, p):
        vals = set(g.objects(shape.node, p))
        if not vals:
            return None
        lit = next(iter(vals))
        if len(vals) > 1 or not isinstance(lit, Literal) or not isinstance(lit.value, int):
            raise Unsupported(f"{p.n3(g.namespace_manager)} on {_name(shape.node)}")
        return lit.value

    def evaluate(self, ev, shape, fvn):
        reports = []
        for qs in self.shapes:
            for f, values in fvn:
                n = sum(1 for v in values if ev.check(qs, v)[0])
                if self.max is not None and n > self.max:
                    reports.append(self.rep(shape, f, component=SH.QualifiedMaxCountConstraintComponent))
                if self.min is not None and n < self.min:
                    reports.append(self.rep(shape, f, component=SH.QualifiedMinCountConstraintComponent))
        return not reports, reports

    def message(self, ev, shape, rep):
        shapes = ",".join(ev.stext(s) for s in self.nodes)
        counts = (f" MinCount {self.min}" if self.min is not None else "") + \
                 (f" MaxCount {self.max}" if self.max is not None else "")
        if len(self.nodes) > 1:
            return f"Focus node does not conform to shapes{counts}: ({shapes})"
        return f"Focus node does not conform to shape{counts}: {shapes}"


# parameter -> component, as pyshacl maps them (several parameters can name one component)
_COMPONENTS = {
    SH["class"]: ClassC, SH.datatype: DatatypeC, SH.nodeKind: NodeKindC, SH.minCount: MinCountC,
    SH.maxCount: MaxCountC, SH.hasValue: HasValueC, SH["in"]: InC, SH.pattern: PatternC,
    SH.minLength: MinLengthC, SH.maxLength: MaxLengthC, SH.equals: EqualsC, SH.disjoint: DisjointC,
    SH.lessThan: LessThanC, SH.lessThanOrEquals: LessThanOrEqualsC, SH.property: PropertyC, SH.node: NodeC,
    SH["not"]: NotC, SH["and"]: AndC, SH["or"]: OrC, SH.xone: XoneC, SH.qualifiedValueShape: QualifiedC,
    SH.qualifiedMinCount: QualifiedC, SH.qualifiedMaxCount: QualifiedC, SH.qualifiedValueShapesDisjoint: QualifiedC,
}


def _constraints(shapes: Shapes, shape: Shape) -> list:
    out, done = [], set()
    for p in sorted(set(shapes.graph.predicates(shape.node)), key=str):
        cls = _COMPONENTS.get(p)
        if cls is None or cls in done:
            continue
        done.add(cls)
        out.append(cls(shapes, shape))
    return out


# ---------------------------------------------------------------- the entry points

_COMPILED: dict = {}


def compile_shapes(graph: Graph) -> Shapes:
    """The compiled shapes graph, cached by the graph's identity and size (shapes graphs are not
    mutated in use; ``Unsupported`` is cached too, so a refusal is decided once)."""
    key = (id(graph), len(graph))
    hit = _COMPILED.get(key)
    if hit is None:
        try:
            hit = Shapes(graph)
        except Unsupported as exc:
            hit = exc
        except Exception as exc:  # noqa: BLE001 - shapes it cannot read are pyshacl's to judge (or refuse)
            hit = Unsupported(f"shapes it cannot read ({type(exc).__name__}: {exc})")
        _COMPILED.clear()     # one shapes graph in use at a time (tests use a few in turn)
        _COMPILED[key] = hit
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

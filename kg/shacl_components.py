"""The SHACL Core constraint components of the native engine (``kg.shacl``), one class each.

Each mirrors the pyshacl component of the same name (``pyshacl/constraints/core/``): which value
nodes fail, which result each failure gives (the value node, or none for counts and
``sh:hasValue``) and pyshacl's default message for it, word for word.  A component built from
parameters pyshacl would refuse, or would treat in ways not copied here, raises
:class:`Unsupported`; data pyshacl raises on raises :class:`Fallback`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

if TYPE_CHECKING:  # pragma: no cover
    from .shacl import Evaluator, Shape, Shapes

# plain terms for the hot loops (attribute access on rdflib's closed namespaces is slow)
_TYPE, _SUBCLASS, _STRING, _LANGSTRING = RDF.type, RDFS.subClassOf, XSD.string, RDF.langString


def _name(node) -> str:
    return node.n3() if isinstance(node, URIRef) else f"a blank-node shape ({node})"


class Unsupported(Exception):
    """The shapes graph uses something this engine does not implement: validate with pyshacl."""


class Fallback(Exception):
    """The data meets a case on which pyshacl raises: validate with pyshacl to get its behaviour."""


class Rep(NamedTuple):
    """One validation result before it is worded: ``details`` are the nested results of sh:node."""

    shape: "Shape"
    constraint: "Constraint"
    component: URIRef
    focus: object
    value: object
    details: tuple = ()


class Constraint:
    component: URIRef = URIRef("urn:notimplemented")
    nested: tuple = ()

    def evaluate(self, ev: "Evaluator", shape: "Shape", fvn: list) -> tuple[bool, list]:
        raise NotImplementedError

    def message(self, ev: "Evaluator", shape: "Shape", rep: Rep) -> str:
        raise NotImplementedError

    def rep(self, shape, focus, value=None, component=None, details=()) -> Rep:
        return Rep(shape, self, component or self.component, focus, value, details)


def _one(sg: Graph, shape: "Shape", p) -> object:
    vals = list(sg.objects(shape.node, p))
    if len(vals) != 1:
        raise Unsupported(f"{len(vals)} values of {p.n3(sg.namespace_manager)} on {_name(shape.node)}")
    return vals[0]


def _path_text(ev: "Evaluator", shape: "Shape") -> str:
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


def constraints(shapes: "Shapes", shape: "Shape") -> list:
    out, done = [], set()
    for p in sorted(set(shapes.graph.predicates(shape.node)), key=str):
        cls = _COMPONENTS.get(p)
        if cls is None or cls in done:
            continue
        done.add(cls)
        out.append(cls(shapes, shape))
    return out

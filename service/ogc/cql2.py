"""CQL2 filters (OGC API - Features Part 3) as parameterised PostGIS SQL.

pygeofilter (geopython) parses the expression: cql2-json with its own parser, cql2-text with
its grammar and transformer run by a Lark parser of ours. pygeofilter 0.4's cql2-text grammar
breaks CQL2 in ways that would silently change results or refuse valid filters, so ours
replaces four of its rules (see :data:`_GRAMMAR_FIXES`): AND binds tighter than OR
(pygeofilter reads ``a OR b AND c`` as ``(a OR b) AND c``); NOT negates any condition,
``NOT (a AND b)`` included; a quote inside a string is written twice (``'O''Brien'``); line
breaks are white space. It also keeps positions, so a syntax error names where it is. We
then walk pygeofilter's AST and write SQL ourselves: every value a client sends becomes a
bind parameter (``:f_0``, ``:f_1``, ...), and a property name only ever reaches the SQL as
the expression its :class:`Queryable` gives — never as text the client wrote.

Anything not understood is refused with :class:`FilterError` (HTTP 400) before PostgreSQL
sees it: an unknown property, a literal of the wrong type for its property, an invalid
geometry literal, an operator that is not supported, an expression that is too large.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import lark
import numpy as np
import shapely
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.visitors import Transformer_NonRecursive, v_args
from shapely.geometry import box, shape

from gis.crs import transform as transform_geometry
from parks.errors import ParksError

_lark_level = lark.logger.level
from pygeofilter import ast, values  # noqa: E402
from pygeofilter.parsers.cql2_json.parser import walk_cql_json  # noqa: E402
from pygeofilter.parsers.cql2_text import parser as _pgf_text  # noqa: E402

# Importing pygeofilter's text parser turns Lark's logger to DEBUG; keep the service quiet.
lark.logger.setLevel(_lark_level)

#: The ``filter-lang`` values understood.
FILTER_LANGS = ("cql2-text", "cql2-json")
#: The types a queryable may have (JSON Schema names, plus the three CQL2 adds).
QUERYABLE_TYPES = frozenset(
    {"string", "number", "integer", "boolean", "date", "datetime", "geometry"}
)
#: A filter longer than this (UTF-8 bytes of the text, or of the JSON) is refused.
MAX_FILTER_BYTES = 100_000
#: At most this many operators, properties and values in one filter.
MAX_FILTER_NODES = 1_000
#: At most this many levels of nesting (parentheses in cql2-text, operations in cql2-json).
MAX_FILTER_DEPTH = 100

#: The CQL2 conformance classes this module implements (for ``/conformance``).
CONFORMANCE_CLASSES = tuple(
    f"http://www.opengis.net/spec/cql2/1.0/conf/{name}"
    for name in (
        "cql2-text",
        "cql2-json",
        "basic-cql2",
        "advanced-comparison-operators",
        "case-insensitive-comparison",
        "basic-spatial-functions",
        "basic-spatial-functions-plus",
        "spatial-functions",
    )
)


@dataclass(frozen=True)
class Queryable:
    """A property a filter may name: *name* as the client writes it, *sql* the SQL
    expression over the collection's source that it stands for (``v.land_use_code``,
    ``v.geom``), and its *type* (one of :data:`QUERYABLE_TYPES`)."""

    name: str
    sql: str
    type: str

    def __post_init__(self) -> None:
        if self.type not in QUERYABLE_TYPES:
            raise ValueError(f"queryable {self.name!r}: unknown type {self.type!r}")


class FilterError(ParksError):
    """A ``filter`` (or its ``filter-lang``) that cannot be used; the message says why and,
    for cql2-text, :attr:`position` is the 0-based character offset of the problem when it
    is known."""

    code = "invalid_filter"

    def __init__(
        self, message: str, *, position: int | None = None, parameter: str = "filter"
    ) -> None:
        super().__init__(message)
        self.position = position
        self.parameter = parameter

    def body(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "parameter": self.parameter,
            "message": self.message,
            "position": self.position,
        }


def compile_filter(
    expression: str | dict,
    *,
    lang: str = "cql2-text",
    queryables: Mapping[str, Queryable],
    filter_srid: int = 4326,
    storage_srid: int,
    swap_axes: bool = False,
) -> tuple[str, dict[str, Any]]:
    """Translate a CQL2 *expression* into an SQL boolean fragment and its bind parameters
    (named ``f_0``, ``f_1``, ...; use them with ``sqlalchemy.text``).

    *lang* is ``cql2-text`` (*expression* a string) or ``cql2-json`` (a dict or its JSON
    text). Properties are looked up in *queryables* (by name). Geometry literals are in
    *filter_srid* with x first (longitude/easting, as PostGIS reads them) unless
    *swap_axes* (the CRS's own axis order puts latitude/northing first, as EPSG:4326 named
    by URI does); the SQL transforms them to *storage_srid*.

    Raises :class:`FilterError` for anything it cannot translate.
    """
    kind = str(lang).strip().lower() if lang is not None else ""
    if kind not in FILTER_LANGS:
        shown = str(lang)[:40]
        raise FilterError(
            f'unknown filter-lang "{shown}": use "cql2-text" or "cql2-json"',
            parameter="filter-lang",
        )
    positions: dict[str, int] = {}
    if kind == "cql2-text":
        if not isinstance(expression, str):
            raise FilterError("a cql2-text filter must be text")
        _check_size(expression)
        tree, positions = _parse_text(expression)
    else:
        tree = _parse_json(expression)
    compiler = _Compiler(
        queryables=queryables,
        filter_srid=filter_srid,
        storage_srid=storage_srid,
        swap_axes=swap_axes,
        positions=positions,
    )
    sql = compiler.condition(tree, depth=0)
    return sql, compiler.params


# --- parsing -------------------------------------------------------------------------------


def _check_size(text: str) -> None:
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise FilterError("the filter is not valid UTF-8 text") from None
    if size > MAX_FILTER_BYTES:
        raise FilterError(
            f"the filter is {size:,} bytes long; at most {MAX_FILTER_BYTES:,} are accepted"
        )
    if "\x00" in text:
        raise FilterError("the filter contains a NUL character", position=text.index("\x00"))
    if not text.strip():
        raise FilterError("the filter is empty")


#: pygeofilter's cql2-text grammar text -> ours: (what it says, what CQL2 says).
_GRAMMAR_FIXES = (
    # AND before OR, and NOT over any condition (pygeofilter: one level, NOT predicate only).
    (
        """?condition: condition_1
          | condition "AND"i condition_1                                 -> and_
          | condition "OR"i condition_1                                   -> or_

?condition_1: predicate
            | "NOT"i predicate                                               -> not_
            | "NOT"i "(" predicate ")"                                       -> not_
            | "(" condition ")"
""",
        """?condition: condition_and
          | condition "OR"i condition_and                                -> or_

?condition_and: condition_not
              | condition_and "AND"i condition_not                       -> and_

?condition_not: predicate
              | "NOT"i condition_not                                     -> not_
              | "(" condition ")"
""",
    ),
    # A quote inside a string is doubled.
    ('SINGLE_QUOTED: "\'" /.*?/ "\'"', "SINGLE_QUOTED: /'(?:[^']|'')*'/"),
    # Line breaks are white space too.
    ("%ignore WS_INLINE", "%ignore WS_INLINE\n_LINE_BREAK: /[\\r\\n]+/\n%ignore _LINE_BREAK"),
)


@cache
def _text_parser() -> lark.Lark:
    """pygeofilter's cql2-text grammar with :data:`_GRAMMAR_FIXES`, positions kept."""
    grammar_path = Path(_pgf_text.__file__).with_name("grammar.lark")
    grammar = grammar_path.read_text(encoding="utf-8")
    for theirs, ours in _GRAMMAR_FIXES:
        if grammar.count(theirs) != 1:  # pragma: no cover - a pygeofilter upgrade changed it
            raise RuntimeError(f"pygeofilter's cql2-text grammar changed: {theirs[:40]!r}")
        grammar = grammar.replace(theirs, ours)
    return lark.Lark(
        grammar,
        parser="lalr",
        maybe_placeholders=False,
        propagate_positions=True,
        source_path=str(grammar_path),
        import_paths=[str(grammar_path.parent.parent)],
    )


@v_args(meta=False, inline=True)
class _Transformer(_pgf_text.CQLTransformer, Transformer_NonRecursive):
    """pygeofilter's transformer, without recursion (deep nesting can't exhaust the stack),
    with CQL2 string quoting, and without its debugging prints."""

    def SINGLE_QUOTED(self, token):
        return token[1:-1].replace("''", "'")

    def wkt__geometry_with_srid(self, srid, geometry):
        raise FilterError("an SRID=...; prefix is not CQL2: give the geometry's CRS as filter-crs")

    def wkt__multipoint_2(self, *coordinates):
        return {"type": "MultiPoint", "coordinates": coordinates}

    def envelope(self, *numbers):
        raise FilterError("ENVELOPE is not CQL2: write BBOX(minx, miny, maxx, maxy)")


def _parse_text(text: str) -> tuple[Any, dict[str, int]]:
    """The AST of a cql2-text *text*, and where each property name first occurs in it."""
    _check_nesting(text)
    try:
        tree = _text_parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    positions: dict[str, int] = {}
    for subtree in tree.iter_subtrees_topdown():
        if subtree.data == "attribute" and subtree.children:
            token = subtree.children[0]
            name = str(token)
            if token.type == "DOUBLE_QUOTED":
                name = name[1:-1]
            positions.setdefault(name, token.start_pos)
    try:
        return _Transformer().transform(tree), positions
    except VisitError as exc:
        position = getattr(exc.obj, "start_pos", None)
        if position is None and getattr(exc.obj, "meta", None) is not None:
            position = getattr(exc.obj.meta, "start_pos", None)
        original = exc.orig_exc
        if isinstance(original, FilterError):
            where = f" (at position {position})" if position is not None else ""
            raise FilterError(f"{original.message}{where}", position=position) from None
        where = f" at position {position}" if position is not None else ""
        raise FilterError(
            f"invalid cql2-text filter{where}: {original}", position=position
        ) from None


def _check_nesting(text: str) -> None:
    """Refuse parentheses nested deeper than :data:`MAX_FILTER_DEPTH` (outside strings)."""
    depth = 0
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
            if depth > MAX_FILTER_DEPTH:
                raise FilterError(
                    f"the filter nests parentheses more than {MAX_FILTER_DEPTH} deep "
                    f"at position {i}",
                    position=i,
                )
        elif ch == ")":
            depth -= 1


#: Readable names of the grammar's pattern terminals, for "expected ..." in messages.
_TERMINAL_NAMES = {
    "SINGLE_QUOTED": "a 'string'",
    "DOUBLE_QUOTED": 'a "quoted" property name',
    "INT": "a number",
    "FLOAT": "a number",
    "wkt__SIGNED_NUMBER": "a number",
    "wkt__INT": "a number",
    "BOOLEAN": "TRUE or FALSE",
    "DATE": "a date",
    "DATETIME": "a timestamp",
}
_TEMPORAL_PREFIX = "T_"
#: Words the grammar knows that filters here don't support (or that only repeat others).
_NOT_SUGGESTED = frozenset(
    {"INCLUDE", "EXCLUDE", "ENVELOPE", "INTERVAL", "RELATE", "+", "-", "*", "/"}
    | {"EQ", "NE", "LT", "LTE", "GT", "GTE"}
)
_STRING_START = re.compile(r"'(?:[^']|'')*'")


def _syntax_error(exc: UnexpectedInput, text: str) -> FilterError:
    """A Lark syntax error as a :class:`FilterError` naming the position."""
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        position = len(text.rstrip())
        what = "the filter ends too early"
    elif isinstance(exc, UnexpectedToken):
        position = exc.token.start_pos
        what = f"unexpected {_shorten(str(exc.token))!r}"
        if str(exc.token) == "'" and _STRING_START.match(text, position) is None:
            what = "a string that is never closed"
    elif isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream
        what = f"unexpected character {text[position]!r}"
    else:  # pragma: no cover - the LALR parser raises only the two above
        position = getattr(exc, "pos_in_stream", None)
        what = "syntax error"
    if position is None:  # pragma: no cover - Lark always knows where
        return FilterError(f"invalid cql2-text filter: {what}")
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    message = (
        f"invalid cql2-text filter: {what} at position {position} (line {line}, column {column})"
    )
    expected = _expected(exc)
    if expected:
        message += f"; expected {expected}"
    return FilterError(message, position=position)


def _expected(exc: UnexpectedInput) -> str:
    names = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    parser = _text_parser()
    shown: set[str] = set()
    for name in names:
        if name in _TERMINAL_NAMES:
            shown.add(_TERMINAL_NAMES[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str":
            word = pattern.value
            if word.upper().startswith(_TEMPORAL_PREFIX) or word.upper() in _NOT_SUGGESTED:
                continue
            shown.add(word.upper() if word.isalpha() else repr(word))
        elif name.startswith("__ANON") and "a-zA-Z" in pattern.value:
            shown.add("a property name")
    if len(shown) > 12 and "a 'string'" in shown:
        return "a property name or a value ('text', a number, TRUE, DATE('...'), a geometry)"
    if not shown or len(shown) > 12:
        return ""
    return ", ".join(sorted(shown))


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_json(expression: str | dict) -> Any:
    """The AST of a cql2-json *expression* (its JSON text or the parsed object)."""
    if isinstance(expression, str):
        _check_size(expression)
        try:
            root = json.loads(expression, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise FilterError(
                f"the cql2-json filter is not JSON: {exc.msg} at position {exc.pos}",
                position=exc.pos,
            ) from None
        except RecursionError:
            raise FilterError("the cql2-json filter is nested too deeply") from None
    elif isinstance(expression, dict):
        try:
            _check_size(json.dumps(expression, ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError, RecursionError):
            raise FilterError("the cql2-json filter is not a JSON object") from None
        root = expression
    else:
        raise FilterError("a cql2-json filter must be a JSON object")
    if isinstance(root, dict) and not root:
        raise FilterError("the filter is empty")
    prepared = _prepare_json(root)
    try:
        return walk_cql_json(prepared)
    except FilterError:
        raise
    except RecursionError:
        raise FilterError("the cql2-json filter is nested too deeply") from None
    except Exception as exc:  # pygeofilter raises several types for malformed input
        raise FilterError(f"invalid cql2-json filter: {_shorten(str(exc), 200)}") from None


def _refuse_constant(name: str) -> Any:
    raise FilterError(f"the cql2-json filter contains {name}, which is not a number")


#: GeoJSON geometry types (a JSON object of one of these is a geometry literal).
_GEOJSON_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)


def _prepare_json(root: Any) -> Any:
    """A copy of cql2-json *root* that pygeofilter reads as CQL2 1.0 means it: BETWEEN's
    three arguments (``[p, low, high]``; pygeofilter wants ``[p, [low, high]]``) and
    geometry literals of every GeoJSON type (it knows only those with ``coordinates``).
    Refuses nesting deeper than :data:`MAX_FILTER_DEPTH` operations."""
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:  # check the depth first, without recursion
        node, depth = stack.pop()
        if isinstance(node, dict):
            if "op" in node:
                depth += 1
                if depth > MAX_FILTER_DEPTH:
                    raise FilterError(
                        f"the filter nests operations more than {MAX_FILTER_DEPTH} deep"
                    )
            if node.get("type") in _GEOJSON_TYPES:
                continue
            stack.extend((child, depth) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth) for child in node)
        elif isinstance(node, str) and "\x00" in node:
            raise FilterError("the filter contains a NUL character")
        elif node is None:
            raise FilterError("null is not a value to compare with: write isNull")
    return _normalise(root)


def _normalise(node: Any) -> Any:
    if isinstance(node, list):
        return [_normalise(child) for child in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") in _GEOJSON_TYPES:
        return values.Geometry(node)
    if set(node) == {"date"}:
        return _iso(node["date"], date)
    if set(node) == {"timestamp"}:
        return _iso(node["timestamp"], datetime)
    copy = {key: _normalise(child) for key, child in node.items()}
    args = copy.get("args")
    if copy.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        copy["args"] = [args[0], [args[1], args[2]]]
    return copy


def _iso(text: Any, kind: type[date]) -> date:
    """A cql2-json ``{"date": ...}`` or ``{"timestamp": ...}``, read strictly as ISO 8601
    (pygeofilter reads timestamps with dateparser, which takes "yesterday" too)."""
    try:
        value = kind.fromisoformat(text)
    except (TypeError, ValueError):
        word = "DATE" if kind is date else "TIMESTAMP"
        raise FilterError(
            f"{word} {_shorten(str(text))!r} is not an ISO 8601 "
            + ("date (2025-12-31)" if kind is date else "instant (2025-12-31T16:00:00Z)")
        ) from None
    if kind is date and isinstance(value, datetime):  # pragma: no cover - fromisoformat
        raise FilterError(f"DATE {_shorten(str(text))!r} has a time")
    return value


# --- SQL -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operand:
    """One side of a comparison: SQL text, its type, and the property it reads (None for a
    literal)."""

    sql: str
    type: str
    name: str | None


_COMPARISONS: dict[type, str] = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
_SPATIAL: dict[type, str] = {
    ast.GeometryIntersects: "ST_Intersects",
    ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryContains: "ST_Contains",
    ast.GeometryWithin: "ST_Within",
    ast.GeometryTouches: "ST_Touches",
    ast.GeometryCrosses: "ST_Crosses",
    ast.GeometryOverlaps: "ST_Overlaps",
    ast.GeometryEquals: "ST_Equals",
}
#: Types whose values compare with each other (number and integer do).
_FAMILY = {"integer": "number"}
_ORDERED = frozenset({"string", "number", "integer", "date", "datetime"})
_LITERALS = (str, int, float, bool, date, datetime, values.Geometry, values.Envelope)
_SIMPLE_SQL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


class _Compiler:
    """Walks pygeofilter's AST once, writing SQL and collecting bind parameters."""

    def __init__(
        self,
        *,
        queryables: Mapping[str, Queryable],
        filter_srid: int,
        storage_srid: int,
        swap_axes: bool,
        positions: Mapping[str, int],
    ) -> None:
        self.queryables = queryables
        self.filter_srid = int(filter_srid)
        self.storage_srid = int(storage_srid)
        self.swap_axes = swap_axes
        self.positions = positions
        self.params: dict[str, Any] = {}
        self.nodes = 0
        self._storage_param: str | None = None

    # -- plumbing

    def bind(self, value: Any) -> str:
        name = f"f_{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def count(self, n: int = 1) -> None:
        self.nodes += n
        if self.nodes > MAX_FILTER_NODES:
            raise FilterError(
                f"the filter has more than {MAX_FILTER_NODES:,} operators, properties and "
                "values; split it or use fewer values"
            )

    def error(self, message: str, *, name: str | None = None) -> FilterError:
        position = self.positions.get(name) if name is not None else None
        if position is not None:
            message = f"{message} (at position {position})"
        return FilterError(message, position=position)

    # -- conditions

    def condition(self, node: Any, *, depth: int) -> str:
        if depth > MAX_FILTER_DEPTH:
            raise FilterError(f"the filter nests more than {MAX_FILTER_DEPTH} levels deep")
        self.count()
        if isinstance(node, ast.And | ast.Or):
            kind = type(node)
            parts = [self.condition(part, depth=depth + 1) for part in _flatten(node, kind)]
            self.count(len(parts) - 2)  # the flattened chain had len - 1 operators
            joiner = " AND " if kind is ast.And else " OR "
            return "(" + joiner.join(f"({part})" for part in parts) + ")"
        if isinstance(node, ast.Not):
            return f"NOT ({self.condition(node.sub_node, depth=depth + 1)})"
        if type(node) in _COMPARISONS:
            return self.comparison(node)
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.In):
            return self.in_(node)
        if isinstance(node, ast.Between):
            return self.between(node)
        if isinstance(node, ast.IsNull):
            operand = self.expression(node.lhs)
            if operand is None:
                raise FilterError("IS NULL needs a property, not a literal")
            return f"{operand.sql} IS {'NOT ' if node.not_ else ''}NULL"
        if type(node) in _SPATIAL:
            return self.spatial(_SPATIAL[type(node)], node.lhs, node.rhs)
        if isinstance(node, ast.BBox):
            if node.crs is not None:
                raise FilterError("BBOX with a CRS is not supported: use filter-crs")
            envelope = values.Envelope(node.minx, node.miny, node.maxx, node.maxy)
            return self.spatial("ST_Intersects", node.lhs, envelope)
        if isinstance(node, ast.Include):
            return f"CAST({self.bind(not node.not_)} AS boolean)"
        if isinstance(node, bool):
            return f"CAST({self.bind(node)} AS boolean)"
        if isinstance(node, ast.Attribute):
            operand = self.expression(node)
            if operand.type != "boolean":
                raise self.error(
                    f'property "{operand.name}" is not a boolean: compare it with a value',
                    name=operand.name,
                )
            return operand.sql
        raise FilterError(f"filters do not support {_describe_node(node)}")

    def comparison(self, node: ast.Comparison) -> str:
        op = _COMPARISONS[type(node)]
        left, right = self.pair(node.lhs, node.rhs, op)
        if op not in ("=", "<>") and left.type not in _ORDERED:
            named = left.name or right.name
            raise self.error(
                f'property "{named}" is a {left.type}: only = and <> compare it', name=named
            )
        return f"{left.sql} {op} {right.sql}"

    def pair(self, lhs: Any, rhs: Any, op: str) -> tuple[_Operand, _Operand]:
        """Both sides of a comparison, literals bound and checked against the property."""
        left, right = self.expression(lhs), self.expression(rhs)
        if left is None and right is None:
            raise FilterError(f"{op} needs a property on one side; both sides are literals")
        if left is None:
            left = self.literal(lhs, against=right)
        elif right is None:
            right = self.literal(rhs, against=left)
        elif _FAMILY.get(left.type, left.type) != _FAMILY.get(right.type, right.type):
            raise self.error(
                f'properties "{left.name}" ({left.type}) and "{right.name}" ({right.type}) '
                "cannot be compared",
                name=left.name,
            )
        if left.type == "geometry":
            raise self.error(
                f'property "{left.name}" is a geometry: use S_INTERSECTS, S_WITHIN, '
                "S_CONTAINS or S_DISJOINT",
                name=left.name,
            )
        return left, right

    def like(self, node: ast.Like) -> str:
        pattern = node.pattern
        if isinstance(pattern, dict):  # pygeofilter's cql2-json leaves it unparsed
            pattern = walk_cql_json(pattern)
        left, right = self.pair(node.lhs, pattern, "LIKE")
        if left.type != "string" or right.type != "string":
            named = left.name or right.name
            raise self.error(
                f'LIKE needs a string; property "{named}" is a {left.type}', name=named
            )
        op = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
        return f"{left.sql} {op} {right.sql}"

    def in_(self, node: ast.In) -> str:
        operand = self.expression(node.lhs)
        if operand is None:
            raise FilterError("IN needs a property on its left")
        items = list(node.sub_nodes)
        if not items:
            raise self.error("IN needs at least one value", name=operand.name)
        bound = [self.literal(item, against=operand).sql for item in items]
        return f"{operand.sql} {'NOT ' if node.not_ else ''}IN ({', '.join(bound)})"

    def between(self, node: ast.Between) -> str:
        operand = self.expression(node.lhs)
        if operand is None:
            raise FilterError("BETWEEN needs a property on its left")
        if operand.type not in _ORDERED:
            raise self.error(
                f'property "{operand.name}" is a {operand.type}: BETWEEN needs a number, '
                "string, date or timestamp",
                name=operand.name,
            )
        low = self.literal(node.low, against=operand).sql
        high = self.literal(node.high, against=operand).sql
        return f"{operand.sql} {'NOT ' if node.not_ else ''}BETWEEN {low} AND {high}"

    def spatial(self, function: str, lhs: Any, rhs: Any) -> str:
        left, right = self.geometry(lhs), self.geometry(rhs)
        if left.name is None and right.name is None:
            raise FilterError(f"{_cql2_name(function)} needs a geometry property on one side")
        return f"{function}({left.sql}, {right.sql})"

    # -- operands

    def expression(self, node: Any) -> _Operand | None:
        """A property (or CASEI of one) as an operand; None when *node* is a literal."""
        if isinstance(node, ast.Attribute):
            self.count()
            name = node.name
            if not isinstance(name, str) or name not in self.queryables:
                raise self.unknown_property(name)
            queryable = self.queryables[name]
            sql = queryable.sql
            if not set(sql) <= _SIMPLE_SQL:
                sql = f"({sql})"
            return _Operand(sql, queryable.type, queryable.name)
        if isinstance(node, ast.Function):
            self.count()
            if node.name != "lower" or len(node.arguments) != 1:
                raise FilterError(
                    f"function {_shorten(str(node.name))}() is not supported; CASEI is"
                )
            inner = self.expression(node.arguments[0])
            if inner is None:
                value = node.arguments[0]
                if not isinstance(value, str):
                    raise FilterError(f"CASEI needs a string, not {_describe_value(value)}")
                self.count()
                return _Operand(f"lower(CAST({self.bind(value)} AS text))", "string", None)
            if inner.type != "string":
                raise self.error(
                    f'CASEI needs a string; property "{inner.name}" is a {inner.type}',
                    name=inner.name,
                )
            return _Operand(f"lower({inner.sql})", "string", inner.name)
        if isinstance(node, _LITERALS) or node is None:
            return None
        raise FilterError(f"filters do not support {_describe_node(node)}")

    def unknown_property(self, name: Any) -> FilterError:
        shown = _shorten(str(name), 80)
        known = ", ".join(sorted(self.queryables)) or "none"
        position = self.positions.get(name) if isinstance(name, str) else None
        where = f" at position {position}" if position is not None else ""
        return FilterError(
            f'unknown property "{shown}"{where}; the queryables are: {known}', position=position
        )

    def literal(self, value: Any, *, against: _Operand) -> _Operand:
        """*value* bound as a parameter, after checking it suits *against*'s type."""
        self.count()
        kind = against.type
        named = against.name
        if isinstance(value, ast.Function):  # CASEI('literal')
            operand = self.expression(value)
            if operand is None or kind != "string":
                raise self.error(
                    f'property "{named}" is a {kind}; CASEI compares strings', name=named
                )
            return operand
        wrong = self.error(
            f'property "{named}" is a {kind}; it cannot be compared with '
            f"{_describe_value(value)}" + _hint(kind),
            name=named,
        )
        if kind == "string":
            if not isinstance(value, str):
                raise wrong
        elif kind in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise wrong
            if not math.isfinite(value):
                raise self.error(f'property "{named}": {value} is not a number', name=named)
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise wrong
        elif kind == "date":
            if not isinstance(value, date) or isinstance(value, datetime):
                raise wrong
        elif kind == "datetime":
            if not isinstance(value, datetime):
                raise wrong
            value = _utc(value)
        else:
            raise wrong
        return _Operand(self.bind(value), kind, None)

    def geometry(self, node: Any) -> _Operand:
        """A geometry property, or a literal bound as WKT and transformed to storage."""
        if isinstance(node, ast.Attribute):
            operand = self.expression(node)
            if operand.type != "geometry":
                raise self.error(
                    f'property "{operand.name}" is a {operand.type}, not a geometry',
                    name=operand.name,
                )
            return operand
        self.count()
        if isinstance(node, values.Envelope):  # cql2-json {"bbox": [...]}: bbox order
            geom = self.bbox([node.x1, node.x2, node.y1, node.y2])
        elif isinstance(node, ast.Function) and node.name.lower() == "bbox":  # cql2-text
            geom = self.bbox(node.arguments)
        elif isinstance(node, values.Geometry):
            geom = self.shape(node.geometry)
        else:
            raise FilterError(f"a spatial operator needs a geometry, not {_describe_value(node)}")
        return _Operand(self.geometry_sql(geom), "geometry", None)

    def bbox(self, numbers: list[Any]) -> shapely.Geometry:
        if len(numbers) != 4 or not all(
            isinstance(n, int | float) and not isinstance(n, bool) for n in numbers
        ):
            raise FilterError("BBOX needs four numbers: minx, miny, maxx, maxy")
        minx, miny, maxx, maxy = (float(n) for n in numbers)
        if not (minx < maxx and miny < maxy):
            raise FilterError("BBOX needs minx < maxx and miny < maxy")
        return self.checked(box(minx, miny, maxx, maxy))

    def shape(self, geojson: Any) -> shapely.Geometry:
        if isinstance(geojson, dict) and "crs" in geojson:
            raise FilterError("a geometry literal may not carry its own CRS: use filter-crs")
        try:
            geom = shape(geojson)
        except Exception as exc:  # shapely raises several types for malformed geometry
            raise FilterError(f"invalid geometry literal: {_shorten(str(exc), 200)}") from None
        return self.checked(geom)

    def checked(self, geom: shapely.Geometry) -> shapely.Geometry:
        """*geom* in x/y order and 2D, refused when empty, invalid or not transformable."""
        if geom.is_empty:
            raise FilterError("the geometry literal is empty")
        geom = shapely.force_2d(geom)
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            raise FilterError("the geometry literal has coordinates that are not numbers")
        if self.swap_axes:
            geom = shapely.transform(geom, _swap_xy)
        if not shapely.is_valid(geom):
            reason = shapely.is_valid_reason(geom)
            raise FilterError(f"the geometry literal is not valid: {reason}")
        try:
            moved = transform_geometry(geom, self.filter_srid, self.storage_srid)
            ok = bool(np.isfinite(shapely.get_coordinates(moved)).all())
        except Exception:  # pyproj: unknown CRS or a failed transformation
            ok = False
        if not ok:
            raise FilterError(
                f"the geometry literal cannot be transformed from EPSG:{self.filter_srid} "
                f"to EPSG:{self.storage_srid}: are its coordinates in filter-crs"
                + (" (x/longitude first)?" if not self.swap_axes else " (its axis order)?"),
                parameter="filter",
            )
        return geom

    def geometry_sql(self, geom: shapely.Geometry) -> str:
        wkt = self.bind(shapely.to_wkt(geom, rounding_precision=-1))
        srid = self.bind(self.filter_srid)
        if self._storage_param is None:
            self._storage_param = self.bind(self.storage_srid)
        return f"ST_Transform(ST_GeomFromText({wkt}, {srid}), {self._storage_param})"


def _swap_xy(coords: np.ndarray) -> np.ndarray:
    return coords[:, ::-1]


def _flatten(node: Any, kind: type) -> list[Any]:
    """The operands of a chain of one combination (``a AND b AND c``), left to right,
    without recursion (pygeofilter nests a long chain as deep as it is long)."""
    out: list[Any] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is kind:
            stack.append(current.rhs)
            stack.append(current.lhs)
        else:
            out.append(current)
    return out


def _utc(value: datetime) -> datetime:
    """A CQL2 timestamp is UTC; one written without a zone is read as UTC too."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_HINTS = {
    "string": " (write strings in single quotes: '0601')",
    "date": " (write dates as DATE('2025-12-31'))",
    "datetime": " (write instants as TIMESTAMP('2025-12-31T16:00:00Z'))",
    "boolean": " (write TRUE or FALSE)",
    "number": " (write numbers without quotes)",
    "integer": " (write numbers without quotes)",
}


def _hint(kind: str) -> str:
    return _HINTS.get(kind, "")


def _describe_value(value: Any) -> str:
    if value is None:
        return "NULL (write IS NULL)"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return f"the string '{_shorten(value)}'"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, datetime):
        return f"TIMESTAMP('{value.isoformat()}')"
    if isinstance(value, date):
        return f"DATE('{value.isoformat()}')"
    if isinstance(value, values.Geometry | values.Envelope):
        return "a geometry"
    if isinstance(value, ast.Attribute):
        return f'property "{_shorten(str(value.name))}"'
    return _describe_node(value)


_UNSUPPORTED: list[tuple[type | tuple[type, ...], str]] = [
    (ast.TemporalPredicate, "temporal operators (T_BEFORE, T_AFTER, ...)"),
    (ast.ArrayPredicate, "array operators (A_CONTAINS, ...)"),
    (ast.Arithmetic, "arithmetic (+ - * /)"),
    (ast.Relate, "RELATE"),
    (ast.SpatialDistancePredicate, "distance operators (DWITHIN, BEYOND)"),
    (values.Interval, "INTERVAL(...)"),
    ((list, tuple), "an array"),
]


def _describe_node(node: Any) -> str:
    for kinds, words in _UNSUPPORTED:
        if isinstance(node, kinds):
            return words
    if isinstance(node, ast.Function):
        return f"function {_shorten(str(node.name))}()"
    if isinstance(node, _LITERALS):
        return f"a bare value ({_describe_value(node)})"
    return type(node).__name__


def _cql2_name(function: str) -> str:
    return "S_" + function.removeprefix("ST_").upper()


__all__ = [
    "CONFORMANCE_CLASSES",
    "FILTER_LANGS",
    "MAX_FILTER_BYTES",
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_NODES",
    "QUERYABLE_TYPES",
    "FilterError",
    "Queryable",
    "compile_filter",
]

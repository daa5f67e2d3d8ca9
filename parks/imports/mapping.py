"""Which column of a file holds which target field of a parcel.

Common names map without being told: every name :data:`parks.fields.PARCEL_FIELDS` gives a
field (English, short English, Chinese, short Chinese, the aliases surveyors use), matched
case-insensitively with surrounding spaces ignored. A DXF's ``label`` (the text drawn
inside a parcel) is its parcel code, and so is a KML placemark's ``Name`` when no other
column is. ``--map SOURCE=TARGET`` options and a TOML mapping file (``[fields]``) say what
the names don't, and win over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from parks.errors import ParksError
from parks.fields import PARCEL_FIELDS, REQUIRED_TARGETS, TARGET_FIELDS
from parks.imports.checks import missing_field_problem
from parks.imports.problems import ImportProblem

#: Targets a ``--map`` or mapping-file entry may name to leave a column out on purpose.
IGNORE_TARGETS = frozenset({"", "-"})
#: Names that mean the parcel code only in the formats that write them: the text a DXF
#: reader takes from inside the polygon (``label``, after every other name) and a KML
#: placemark's name (only when no other column maps).
_LABEL_NAMES = ("label",)
_FALLBACK_NAMES = {"parcel_code": ("name",)}
#: When no column is the land-use code, its name (地类名称 工业用地) is translated instead.
_NAME_STANDS_IN = {"land_use_code": "land_use_name"}
#: Top-level tables a mapping file may have.
_MAPPING_TABLES = frozenset({"fields", "values"})


class MappingError(ParksError):
    """A ``--map`` option, mapping file or class map that cannot be applied: an unknown
    target, a column the file does not have, bad syntax. The message names the option and
    the bad value, and lists what is valid. A usage error (exit 2; 422 on the API)."""

    code = "invalid_mapping"


@dataclass
class FieldMapping:
    """The columns of one file mapped to the import's targets: *targets* target → source
    column, *unmapped* the columns mapped to nothing (in file order), *problems* a
    ``missing_field`` problem for each required target no column maps to."""

    targets: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    def source(self, target: str) -> str | None:
        """The column mapped to *target*, or None."""
        return self.targets.get(target)


def normal_name(name: str) -> str:
    """A column name as names are compared: surrounding spaces dropped, case folded."""
    return str(name).strip().casefold()


def _name_ranks() -> dict[str, dict[str, int]]:
    """name → {target: rank}: lower ranks win when two columns name one target — the
    target's own name and the English name first, then the short English, the Chinese, the
    short Chinese, then the aliases in their order, then a DXF's label."""
    ranks: dict[str, dict[str, int]] = {}

    def add(name: str, target: str, rank: int) -> None:
        by_target = ranks.setdefault(normal_name(name), {})
        by_target[target] = min(rank, by_target.get(target, rank))

    for f in PARCEL_FIELDS:
        target = f.target if f.target is not None else f.key
        add(target, target, 0)
        add(f.name_en, target, 0)
        add(f.short_en, target, 1)
        add(f.name_zh, target, 2)
        add(f.short_zh, target, 3)
        for n, alias in enumerate(f.aliases):
            add(alias, target, 4 + n)
    for name in _LABEL_NAMES:
        add(name, "parcel_code", 1000)
    return ranks


_RANKS = _name_ranks()


def resolve_mapping(
    columns: list[str],
    *,
    overrides: dict[str, str] | None = None,
    mapping_file: dict[str, Any] | None = None,
) -> FieldMapping:
    """Map the file's *columns* to the import's targets (:data:`parks.fields.TARGET_FIELDS`).

    The mapping file's ``[fields]`` (source column = target) and then *overrides* (source
    column → target, from ``--map``; they win over the file) are applied first; the
    columns they don't name map by their names. When two columns name one target, the
    target's own or English name wins over the Chinese, the Chinese over the aliases (in
    their listed order); the loser is left unmapped. A target of ``""`` or ``"-"`` leaves
    a column out. Raises :class:`MappingError` for an entry naming a column the file lacks,
    a target that doesn't exist, or two columns for one target.
    """
    from_file: dict[str, str] = {}  # source column → target
    if mapping_file:
        unknown_tables = sorted(set(mapping_file) - _MAPPING_TABLES)
        if unknown_tables:
            raise MappingError(
                f"mapping file: unknown table [{unknown_tables[0]}]; a mapping file has "
                f"[fields] (source column = target) and [values.<target>] tables"
            )
        fields_table = mapping_file.get("fields") or {}
        if not isinstance(fields_table, Mapping):
            raise MappingError("mapping file: [fields] must be a table of column = target")
        from_file = _explicit(
            columns, fields_table, option="mapping file [fields]", syntax="{} = {}"
        )
    from_option = _explicit(columns, overrides or {}, option="--map", syntax="{}={}")
    # --map wins over the mapping file, for the columns it names and for their targets.
    explicit = {
        s: t
        for s, t in from_file.items()
        if s not in from_option and (t in IGNORE_TARGETS or t not in from_option.values())
    }
    explicit.update(from_option)
    targets = {t: s for s, t in explicit.items() if t not in IGNORE_TARGETS}

    # Automatic: the best-ranked column for each target not given explicitly.
    candidates: dict[str, list[tuple[int, int, str]]] = {}
    for position, column in enumerate(columns):
        if column in explicit:
            continue
        for target, rank in _RANKS.get(normal_name(column), {}).items():
            candidates.setdefault(target, []).append((rank, position, column))
    used = set(explicit)
    for target in (*TARGET_FIELDS, *_NAME_STANDS_IN.values()):
        if target in targets or target not in candidates:
            continue
        for _rank, _position, column in sorted(candidates[target]):
            if column not in used:
                targets[target] = column
                used.add(column)
                break

    for target, stand_in in _NAME_STANDS_IN.items():
        if target not in targets and stand_in in targets:
            targets[target] = targets[stand_in]
        targets.pop(stand_in, None)
    for target, names in _FALLBACK_NAMES.items():
        if target in targets:
            continue
        for column in columns:
            if column not in used and normal_name(column) in names:
                targets[target] = column
                used.add(column)
                break

    mapped_sources = set(targets.values())
    ordered = {t: targets[t] for t in TARGET_FIELDS if t in targets}
    return FieldMapping(
        targets=ordered,
        unmapped=[c for c in columns if c not in mapped_sources],
        problems=[
            missing_field_problem(target, columns=list(columns))
            for target in TARGET_FIELDS
            if target in REQUIRED_TARGETS and target not in ordered
        ],
    )


def _explicit(
    columns: list[str], entries: Mapping[str, Any], *, option: str, syntax: str
) -> dict[str, str]:
    """*entries* (source → target) checked against the file's *columns* and the targets:
    source columns matched exactly, else by :func:`normal_name`."""
    by_normal: dict[str, str] = {}
    for column in columns:
        by_normal.setdefault(normal_name(column), column)
    resolved: dict[str, str] = {}
    for source, target in entries.items():
        if not isinstance(target, str):
            raise MappingError(
                f"{option}: {syntax.format(source, target)!s}: the target must be a text, "
                f"one of {', '.join(TARGET_FIELDS)}"
            )
        target = target.strip()
        if target not in TARGET_FIELDS and target not in IGNORE_TARGETS:
            raise MappingError(
                f"{option}: {syntax.format(source, target)}: unknown target {target!r}; "
                f"valid targets: {', '.join(TARGET_FIELDS)} (or '-' to leave the column out)"
            )
        column = source if source in columns else by_normal.get(normal_name(source))
        if column is None:
            raise MappingError(
                f"{option}: {syntax.format(source, target)}: the file has no column "
                f"{source!r}; its columns: {', '.join(columns) or '(none)'}"
            )
        if target not in IGNORE_TARGETS and target in resolved.values():
            other = next(s for s, t in resolved.items() if t == target)
            raise MappingError(
                f"{option}: columns {other!r} and {column!r} are both mapped to {target}; "
                "map one column to each target"
            )
        resolved[column] = target
    return resolved


def parse_map_option(values: list[str]) -> dict[str, str]:
    """``--map SOURCE=TARGET`` strings as {source: target}. The last ``=`` separates them,
    so a column name may hold one; spaces around either side are dropped. Raises
    :class:`MappingError` for an entry without ``=`` or without a source, or a source given
    twice."""
    parsed: dict[str, str] = {}
    for value in values:
        source, sep, target = str(value).rpartition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source:
            raise MappingError(
                f"--map {value!r}: expected SOURCE=TARGET (a column of the file, then one of "
                f"{', '.join(TARGET_FIELDS)}), e.g. --map 宗地编号=parcel_code"
            )
        if source in parsed:
            raise MappingError(f"--map {value!r}: column {source!r} is mapped twice")
        parsed[source] = target
    return parsed

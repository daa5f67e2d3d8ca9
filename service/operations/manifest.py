"""The manifest of a backup (``manifest.json`` beside the dump): what the dump is (file,
size, SHA-256, the tables whose rows it leaves out) and what the database held in the
snapshot it was dumped from (:func:`service.operations.facts.database_facts`), with a
SHA-256 of the manifest itself; and the comparison of those facts with a restored
database's, naming every difference.

The manifest's own checksum is the SHA-256 of its canonical JSON (keys sorted, no
whitespace, UTF-8) without the ``manifest_sha256`` key: an edited manifest is refused, as
a dump whose bytes no longer hash to the manifest's ``dump.sha256`` is.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.operations.errors import BackupDamaged, BackupDirectoryError
from service.operations.facts import DAY_DEPENDENT_FIGURES

FORMAT = 1
KIND = "parks-backup"
MANIFEST_NAME = "manifest.json"
DUMP_NAME = "parks.dump"
#: Areas of the restored database agree with the manifest's within this (m²): the same
#: rows summed in another order, and figures rounded for display to 0.01 m².
AREA_AGREEMENT_M2 = 0.02


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """The SHA-256 of *manifest*'s canonical JSON without its ``manifest_sha256``."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sealed(manifest: dict[str, Any]) -> dict[str, Any]:
    """*manifest* with its ``manifest_sha256`` (re)computed."""
    return {**manifest, "manifest_sha256": manifest_checksum(manifest)}


def sha256_of(path: Path, *, chunk_bytes: int = 1 << 20) -> str:
    """The SHA-256 (hex) of the file at *path*, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(directory: Path, manifest: dict[str, Any]) -> Path:
    """Write *manifest* (sealed) as ``manifest.json`` in *directory*: first under a
    temporary name, then renamed, so a directory with a manifest holds a whole backup."""
    path = directory / MANIFEST_NAME
    partial = directory / (MANIFEST_NAME + ".partial")
    partial.write_text(
        json.dumps(sealed(manifest), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    partial.replace(path)
    return path


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of the backup in *directory*, its own checksum checked; raises
    :class:`BackupDirectoryError` (no such backup) or :class:`BackupDamaged`."""
    if not directory.is_dir():
        raise BackupDirectoryError(f"{directory} is not a directory holding a backup")
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise BackupDirectoryError(
            f"{directory} has no {MANIFEST_NAME}: not a backup made by parks backup, or an "
            "unfinished one"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupDamaged(f"{path} cannot be read as JSON ({exc}): refused") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise BackupDamaged(f"{path} is not the manifest of a parks backup: refused")
    if manifest.get("format") != FORMAT:
        raise BackupDamaged(
            f"{path} is of manifest format {manifest.get('format')!r}; this program reads "
            f"format {FORMAT}"
        )
    found = manifest_checksum(manifest)
    if manifest.get("manifest_sha256") != found:
        raise BackupDamaged(
            f"{path} was altered: its content hashes to {found}, not to the "
            f"manifest_sha256 it carries ({manifest.get('manifest_sha256')}): refused"
        )
    return manifest


def checked_dump(directory: Path, manifest: dict[str, Any]) -> Path:
    """The dump file of the backup, after checking its size and SHA-256 against the
    manifest; raises :class:`BackupDamaged` naming what differs."""
    name = manifest["dump"]["file"]
    if Path(name).name != name:
        raise BackupDamaged(f"the manifest names the dump {name!r}, not a file beside it")
    path = directory / name
    if not path.is_file():
        raise BackupDamaged(f"the dump {path} is missing: refused")
    size = path.stat().st_size
    if size != manifest["dump"]["bytes"]:
        raise BackupDamaged(
            f"the dump {path} has {size} bytes, the manifest says {manifest['dump']['bytes']}: "
            "it is truncated or was altered; refused, nothing restored"
        )
    found = sha256_of(path)
    if found != manifest["dump"]["sha256"]:
        raise BackupDamaged(
            f"the dump {path} is damaged: its SHA-256 is {found}, the manifest says "
            f"{manifest['dump']['sha256']}; refused, nothing restored"
        )
    return path


# --- comparison -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One way the restored database differs from what the backup's manifest says."""

    what: str
    expected: Any
    found: Any
    detail: str | None = None

    @property
    def message(self) -> str:
        if self.detail:
            return f"{self.what}: {self.detail}"
        return (
            f"{self.what}: the backup says {self.expected!r}, the restored database has "
            f"{self.found!r}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "expected": self.expected,
            "found": self.found,
            "detail": self.detail,
            "message": self.message,
        }


@dataclass
class Comparison:
    """The differences that fail a restore, and notes that don't (what a migration or a
    newer extension legitimately changed)."""

    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def differ(self, what: str, expected: Any, found: Any, detail: str | None = None) -> None:
        self.differences.append(Difference(what, expected, found, detail))


def compare(
    expected: dict[str, Any],
    found: dict[str, Any],
    *,
    data_not_dumped: list[str],
    migrated: bool,
) -> Comparison:
    """Compare the facts of a manifest (*expected*) with those of the restored database
    (*found*, read after any migration). Ledger head and row counts must be equal, areas
    agree within :data:`AREA_AGREEMENT_M2`; grants must be equal unless the schema was
    migrated (migrations grant their new tables), when their differences are notes. The
    tables in *data_not_dumped* and the day-dependent key figures are not compared."""
    result = Comparison()
    _compare_ledger(expected["ledger"], found["ledger"], result)
    _compare_figures("totals", expected["totals"], found["totals"], result, skip=("as_of",))
    _compare_figures(
        "key_figures",
        expected["key_figures"],
        found["key_figures"],
        result,
        skip=DAY_DEPENDENT_FIGURES,
    )
    for table, rows in expected["counts"].items():
        if table in data_not_dumped:
            continue
        if found["counts"].get(table) != rows:
            result.differ(f"counts.{table}", rows, found["counts"].get(table))
    _compare_grants(expected["grants"], found["grants"], result, migrated=migrated)
    for name, version in expected["extensions"].items():
        there = found["extensions"].get(name)
        if there is None:
            result.differ(f"extensions.{name}", version, None)
        elif there != version:
            result.notes.append(f"extension {name} is at version {there} (the backup's: {version})")
    return result


def _compare_ledger(expected: dict[str, Any], found: dict[str, Any], result: Comparison) -> None:
    if expected["rows"] != found["rows"]:
        result.differ("ledger.rows", expected["rows"], found["rows"])
    head, there = expected["head"], found["head"]
    if head is None or there is None:
        if head != there:
            result.differ("ledger.head", head, there)
        return
    for key in sorted(set(head) | set(there)):
        if head.get(key) != there.get(key):
            result.differ(f"ledger.head.{key}", head.get(key), there.get(key))


def _compare_figures(
    what: str, expected: Any, found: Any, result: Comparison, *, skip: tuple[str, ...] = ()
) -> None:
    """Walk two nested figure documents alike: numbers equal (areas, keys ending in m2,
    within the agreement; derived mu and ha not compared), everything else equal."""
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in sorted(set(expected) | set(found)):
            if key in skip or key.endswith(("_mu", "_ha")):
                continue
            if key not in found or key not in expected:
                result.differ(f"{what}.{key}", expected.get(key), found.get(key))
                continue
            _compare_figures(f"{what}.{key}", expected[key], found[key], result, skip=skip)
        return
    if _is_number(expected) and _is_number(found):
        area = "_m2" in what or ".area_by_class." in what
        tolerance = AREA_AGREEMENT_M2 if area else 0.0
        if not math.isclose(float(expected), float(found), rel_tol=0.0, abs_tol=tolerance):
            result.differ(what, expected, found)
        return
    if expected != found:
        result.differ(what, expected, found)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare_grants(
    expected: dict[str, list[str]],
    found: dict[str, list[str]],
    result: Comparison,
    *,
    migrated: bool,
) -> None:
    for obj in sorted(set(expected) | set(found)):
        missing = sorted(set(expected.get(obj, [])) - set(found.get(obj, [])))
        extra = sorted(set(found.get(obj, [])) - set(expected.get(obj, [])))
        if not missing and not extra:
            continue
        change = "; ".join([f"lacks {m}" for m in missing] + [f"has more: {e}" for e in extra])
        if migrated:
            result.notes.append(f"grants of {obj} changed by the migration: {change}")
        else:
            result.differ(f"grants.{obj}", expected.get(obj), found.get(obj), change)

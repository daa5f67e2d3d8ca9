"""Reconciliation: the ledger checked against the parcels' history, independently.

Nothing here trusts the ledger's own numbers. It

* re-derives every change set's effect on manufacturing land from the parcel versions
  and the land-use classes' flag history alone (+ the versions a change set made, − those
  it ended, ± the standing parcels of a class whose flag it flipped; each moment judged by
  the flags in force then) and walks the ledger in order, comparing each row's deltas and
  running totals, city and per park; and checks that flag history is whole (no gap, each
  flag dated by its change set, the flag in force now the class table's);
* recomputes the current total from the standing parcels;
* checks that the ledger's city total never decreased (beyond the tolerance,
  ``parks.units.AREA_TOLERANCE_M2``) and that its high-water marks are the running
  maximum, and that the database's rule judges with that same tolerance (its policy row);
* recomputes the SHA-256 chain in Python from the canonical text (an implementation
  separate from the database's) and checks the sequence has no gaps;
* checks each parcel version's stored content fingerprint and that its validity period
  matches the change sets that made and ended it;
* re-derives each change set's effect on the totals per (park, class, status) from the
  versions and compares it with the record "as of" totals are answered from (the effects
  and their snapshots), and the totals re-derived as of a sample of ledger rows (and the
  last) with the answers ``totals_as_of`` gives.

Each discrepancy names the ledger row, change set or parcel version, expected vs found.
"""

from __future__ import annotations

import hashlib
import struct
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from parks.units import AREA_TOLERANCE_M2
from service.audit.queries import totals_as_of
from service.db.sqlfiles import sql

GENESIS_HASH = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _float_hex(x: float) -> str:
    return struct.pack(">d", float(x)).hex()


def _parks_text(parks: dict[str, Any] | None) -> str:
    return ",".join(f"{k}:{_float_hex(float(v))}" for k, v in sorted((parks or {}).items()))


def _micros(at: datetime) -> int:
    delta = at - _EPOCH
    return delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds


def ledger_row_hash(row: dict[str, Any], prev_hash: str) -> str:
    """The SHA-256 a ledger row should carry, by its ``row_format`` (1 when absent): fields
    joined by U+001F — seq, time in microseconds since the epoch, actor, change set, kind,
    document number, the IEEE-754 bytes (hex) of the city delta and total, ``park:hex``
    lists of the per-park deltas and totals; format 2 then the city high-water mark (hex)
    and the ``park:hex`` list of the per-park high-water marks; last the previous row's
    hash (service/db/sql/rule.sql, ``ledger_hash`` and ``ledger_hash_v2``)."""
    parts = [
        str(row["seq"]),
        str(_micros(row["at"])),
        row["actor"] or "",
        "" if row["change_set_id"] is None else str(row["change_set_id"]),
        row["kind"] or "",
        row["document_no"] or "",
        _float_hex(row["delta_city_m2"]),
        _float_hex(row["total_city_m2"]),
        _parks_text(row["delta_parks"]),
        _parks_text(row["total_parks"]),
    ]
    if row.get("row_format", 1) == 2:
        parts += [_float_hex(row["high_water_city_m2"]), _parks_text(row["high_water_parks"])]
    parts.append(prev_hash)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass
class Verification:
    """The outcome of a reconciliation."""

    ledger_total_m2: float = 0.0
    recomputed_total_m2: float = 0.0
    monotonic: bool = True
    chain_ok: bool = True
    rows_checked: int = 0
    versions_checked: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, check: str, message: str, **where: Any) -> None:
        self.problems.append({"check": check, **where, "message": message})

    def body(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "ledger_total_m2": round(self.ledger_total_m2, 4),
            "recomputed_total_m2": round(self.recomputed_total_m2, 4),
            "monotonic": self.monotonic,
            "chain_ok": self.chain_ok,
            "rows_checked": self.rows_checked,
            "versions_checked": self.versions_checked,
            "problems": self.problems,
        }


def verify(conn: Connection, *, tolerance_m2: float = AREA_TOLERANCE_M2) -> Verification:
    """Reconcile the ledger with the parcels' history; see the module docstring."""
    result = Verification()
    rows = [
        dict(r)
        for r in conn.execute(
            text(
                "SELECT seq, at, actor, change_set_id, kind, document_no, delta_city_m2, "
                "total_city_m2, high_water_city_m2, delta_parks, total_parks, "
                "high_water_parks, prev_hash, hash, row_format FROM ledger ORDER BY seq"
            )
        ).mappings()
    ]
    result.rows_checked = len(rows)
    _check_chain(rows, result)
    _check_policy(conn, result, tolerance_m2)
    _check_monotonic(rows, result, tolerance_m2)
    _check_against_history(conn, rows, result, tolerance_m2)
    _check_versions(conn, result)
    _check_totals(conn, rows, result, tolerance_m2)
    return result


def _check_chain(rows: list[dict], result: Verification) -> None:
    prev_hash = GENESIS_HASH
    for expected_seq, row in enumerate(rows, start=1):
        where = {"ledger_seq": row["seq"]}
        if row["seq"] != expected_seq:
            result.chain_ok = False
            result.problem(
                "sequence",
                f"ledger row {row['seq']} follows row {expected_seq - 1}: rows are missing",
                expected=expected_seq,
                found=row["seq"],
                **where,
            )
        if row["prev_hash"] != prev_hash:
            result.chain_ok = False
            result.problem(
                "hash_chain",
                f"ledger row {row['seq']} does not point at the previous row's hash",
                expected=prev_hash,
                found=row["prev_hash"],
                **where,
            )
        recomputed = ledger_row_hash(row, row["prev_hash"])
        if recomputed != row["hash"]:
            result.chain_ok = False
            result.problem(
                "hash",
                f"ledger row {row['seq']} was altered: its content no longer matches its hash",
                expected=recomputed,
                found=row["hash"],
                **where,
            )
        prev_hash = row["hash"]


def _check_policy(conn: Connection, result: Verification, tolerance_m2: float) -> None:
    """The commit trigger judges by the policy row's tolerance; a looser one there would let
    losses through that this reconciliation calls losses."""
    found = conn.execute(text("SELECT tolerance_m2 FROM rule_policy")).scalar()
    if found is not None and found != tolerance_m2:
        result.problem(
            "policy",
            f"the database's rule judges with a tolerance of {found} m², the application "
            f"with {tolerance_m2} m²",
            expected=tolerance_m2,
            found=found,
        )


def _check_monotonic(rows: list[dict], result: Verification, tolerance_m2: float) -> None:
    high = 0.0
    park_high: dict[str, float] = defaultdict(float)
    for row in rows:
        for park, total in (row["total_parks"] or {}).items():
            park_high[park] = max(park_high[park], float(total))
            recorded = float((row["high_water_parks"] or {}).get(park, 0.0))
            if abs(recorded - park_high[park]) > tolerance_m2:
                result.problem(
                    "park_high_water",
                    f"ledger row {row['seq']}: park {park}'s recorded high-water mark is not "
                    "the running maximum of its totals",
                    ledger_seq=row["seq"],
                    park=park,
                    expected=round(park_high[park], 4),
                    found=round(recorded, 4),
                )
        total = row["total_city_m2"]
        if total < high - tolerance_m2:
            result.monotonic = False
            result.problem(
                "monotonic",
                f"ledger row {row['seq']}: the city total fell {high - total:,.2f} m² below "
                "its high-water mark",
                ledger_seq=row["seq"],
                expected=round(high, 4),
                found=round(total, 4),
            )
        high = max(high, total)
        if abs(row["high_water_city_m2"] - high) > tolerance_m2:
            result.problem(
                "high_water",
                f"ledger row {row['seq']}: recorded high-water mark is not the running maximum",
                ledger_seq=row["seq"],
                expected=round(high, 4),
                found=round(row["high_water_city_m2"], 4),
            )


def _check_class_flags(conn: Connection, result: Verification) -> None:
    """The flag history the re-derivation judges the past by must be whole and end in the
    flags the class table holds now (a flag changed behind the triggers' back shows here)."""
    what = {
        "current": "its flag in force now in the flag history is not the class table's",
        "start": "its flag history does not begin at -infinity",
        "gap": "its flag history has a gap or a flag that does not follow the previous one",
        "dated": "a flag in its history is not dated by the change set that set it",
    }
    for row in conn.execute(text(sql("service.sql", "audit_class_flag_problems.sql"))).mappings():
        result.problem(
            "class_flag",
            f"land-use class {row['code']}: {what[row['problem']]}",
            land_use_code=row["code"],
            expected=row["expected"],
            found=row["found"],
        )


def _check_against_history(
    conn: Connection, rows: list[dict], result: Verification, tolerance_m2: float
) -> None:
    _check_class_flags(conn, result)
    deltas: dict[int, dict[str, float]] = defaultdict(dict)
    for change_set_id, park, delta in conn.execute(
        text(sql("service.sql", "audit_recomputed_deltas.sql"))
    ):
        deltas[change_set_id][park] = delta
    running_city = 0.0
    running_parks: dict[str, float] = defaultdict(float)
    ledgered = set()
    for row in rows:
        cs = row["change_set_id"]
        ledgered.add(cs)
        expected = deltas.get(cs, {})
        expected_city = sum(expected.values())
        where = {"ledger_seq": row["seq"], "change_set_id": cs}
        if abs(expected_city - row["delta_city_m2"]) > tolerance_m2:
            result.problem(
                "ledger_delta",
                f"ledger row {row['seq']} records a city change of {row['delta_city_m2']:,.4f} "
                f"m² but the parcel history of change set {cs} shows {expected_city:,.4f} m²",
                expected=round(expected_city, 4),
                found=round(row["delta_city_m2"], 4),
                **where,
            )
        running_city += expected_city
        if abs(running_city - row["total_city_m2"]) > tolerance_m2:
            result.problem(
                "ledger_total",
                f"ledger row {row['seq']} records a city total of {row['total_city_m2']:,.4f} m²"
                f" but the parcel history gives {running_city:,.4f} m² at that point",
                expected=round(running_city, 4),
                found=round(row["total_city_m2"], 4),
                **where,
            )
        for park in set(expected) | set(row["delta_parks"] or {}):
            running_parks[park] += expected.get(park, 0.0)
            found = float((row["delta_parks"] or {}).get(park, 0.0))
            if abs(expected.get(park, 0.0) - found) > tolerance_m2:
                result.problem(
                    "ledger_park_delta",
                    f"ledger row {row['seq']} records {found:,.4f} m² for park {park} but the "
                    f"parcel history shows {expected.get(park, 0.0):,.4f} m²",
                    park=park,
                    expected=round(expected.get(park, 0.0), 4),
                    found=round(found, 4),
                    **where,
                )
        for park, total in (row["total_parks"] or {}).items():
            if abs(running_parks[park] - float(total)) > tolerance_m2:
                result.problem(
                    "ledger_park_total",
                    f"ledger row {row['seq']} records a total of {float(total):,.4f} m² for "
                    f"park {park} but the parcel history gives {running_parks[park]:,.4f} m²",
                    park=park,
                    expected=round(running_parks[park], 4),
                    found=round(float(total), 4),
                    **where,
                )
    # Every committed change set has its ledger row, whether or not it moved land (a
    # refused one left no change set behind: its transaction was rolled back).
    for (cs,) in conn.execute(text("SELECT id FROM change_set ORDER BY id")):
        if cs not in ledgered:
            moved = sum(deltas.get(cs, {}).values())
            result.problem(
                "unledgered_change_set",
                f"change set {cs} was committed (moving {moved:,.4f} m² of manufacturing "
                "land) but has no ledger row",
                change_set_id=cs,
                expected=round(moved, 4),
                found=None,
            )
    last_seq = conn.execute(text("SELECT last_seq FROM ledger_head")).scalar()
    if rows and last_seq is not None and last_seq != rows[-1]["seq"]:
        result.problem(
            "sequence",
            f"the ledger handed out sequence numbers up to {last_seq} but its last row is "
            f"{rows[-1]['seq']}: rows at the end are missing",
            ledger_seq=rows[-1]["seq"],
            expected=last_seq,
            found=rows[-1]["seq"],
        )
    current = conn.execute(
        text(
            "SELECT coalesce(sum(v.area_m2), 0) FROM parcel_version v "
            "JOIN land_use_class c ON c.code = v.land_use_code "
            "WHERE v.valid_to IS NULL AND c.is_manufacturing"
        )
    ).scalar_one()
    result.recomputed_total_m2 = float(current)
    result.ledger_total_m2 = rows[-1]["total_city_m2"] if rows else 0.0
    if abs(result.recomputed_total_m2 - result.ledger_total_m2) > tolerance_m2:
        result.problem(
            "current_total",
            f"the ledger's total is {result.ledger_total_m2:,.4f} m² but the standing parcels "
            f"hold {result.recomputed_total_m2:,.4f} m² of manufacturing land",
            ledger_seq=rows[-1]["seq"] if rows else None,
            expected=round(result.recomputed_total_m2, 4),
            found=round(result.ledger_total_m2, 4),
        )


def _check_versions(conn: Connection, result: Verification) -> None:
    result.versions_checked = conn.execute(text("SELECT count(*) FROM parcel_version")).scalar()
    for row in conn.execute(text(sql("service.sql", "audit_version_problems.sql"))).mappings():
        where = {"parcel_code": row["parcel_code"], "version_id": row["version_id"]}
        if row["problem"] == "fingerprint":
            result.problem(
                "version_content",
                f"parcel {row['parcel_code']} version {row['version_id']} was altered after it "
                "was written: its content no longer matches its fingerprint",
                expected=None,
                found=None,
                **where,
            )
        elif row["problem"] == "valid_from":
            result.problem(
                "version_period",
                f"parcel {row['parcel_code']} version {row['version_id']} is valid from "
                f"{row['valid_from']:%Y-%m-%d %H:%M:%S.%f}, not from its change set's time",
                expected=row["made_at"].isoformat(),
                found=row["valid_from"].isoformat(),
                **where,
            )
        else:
            result.problem(
                "version_period",
                f"parcel {row['parcel_code']} version {row['version_id']} ends at "
                f"{row['valid_to']}, not when the change set that ended it was recorded",
                expected=row["ended_at"].isoformat() if row["ended_at"] else None,
                found=row["valid_to"].isoformat(),
                **where,
            )


#: Ledger rows whose moments the totals are re-derived at: all when there are this many
#: or fewer, else this many spread over the ledger (the last one always among them).
TOTALS_SAMPLE = 32
#: The most differences named per kind (a rewritten table would otherwise name every row).
TOTALS_PROBLEMS = 1000


def _check_totals(
    conn: Connection, rows: list[dict], result: Verification, tolerance_m2: float
) -> None:
    sample = rows
    if len(rows) > TOTALS_SAMPLE:
        step = (len(rows) - 1) / (TOTALS_SAMPLE - 1)
        sample = [rows[round(i * step)] for i in range(TOTALS_SAMPLE)]
    moments = sorted({row["at"] for row in sample})
    expected: dict = defaultdict(dict)
    checked = conn.execute(
        text(sql("service.sql", "audit_totals_check.sql")),
        {"moments": moments, "tolerance": tolerance_m2, "limit": TOTALS_PROBLEMS},
    ).mappings()
    for r in checked:
        group = (r["park"], r["land_use_code"], r["status"])
        what = f"{r['park']}/{r['land_use_code']}/{r['status']}"
        want = {"parcels": r["expected_parcels"], "area_m2": round(r["expected_area_m2"], 4)}
        if r["kind"] == "expected":
            expected[r["at"]][group] = want
            continue
        found = {"parcels": r["found_parcels"], "area_m2": round(r["found_area_m2"], 4)}
        where = {
            "change_set_id": r["change_set_id"],
            "park": r["park"],
            "land_use_code": r["land_use_code"],
            "status": r["status"],
        }
        if r["kind"] == "effect":
            if r["expected_at"] is not None and r["found_at"] not in (None, r["expected_at"]):
                want["at"], found["at"] = r["expected_at"].isoformat(), r["found_at"].isoformat()
            result.problem(
                "totals_effect",
                f"the recorded effect of change set {r['change_set_id']} on {what} is "
                f"{found['parcels']} parcels, {found['area_m2']:,.4f} m² but its parcel "
                f"versions show {want['parcels']} parcels, {want['area_m2']:,.4f} m²"
                + (" (and another date)" if "at" in want else ""),
                expected=want,
                found=found,
                **where,
            )
        else:
            result.problem(
                "totals_snapshot",
                f"the totals snapshot cut at {r['at'].isoformat()} (change set "
                f"{r['change_set_id']}) holds {found['parcels']} parcels, "
                f"{found['area_m2']:,.4f} m² of {what} but the parcel versions give "
                f"{want['parcels']} parcels, {want['area_m2']:,.4f} m²",
                expected=want,
                found=found,
                at=r["at"].isoformat(),
                **where,
            )
    asked = set()
    for row in sample:
        if row["at"] in asked:  # rows may share a moment
            continue
        asked.add(row["at"])
        answer = totals_as_of(conn, as_of=row["at"], group_by=["park", "land_use", "status"])
        got = {
            (a["park"], a["land_use_code"], a["status"]): {
                "parcels": a["parcels"],
                "area_m2": a["area_m2"],
            }
            for a in answer["rows"]
        }
        want_all = expected.get(row["at"], {})
        for group in sorted(set(got) | set(want_all)):
            want = want_all.get(group, {"parcels": 0, "area_m2": 0.0})
            found = got.get(group, {"parcels": 0, "area_m2": 0.0})
            if want["parcels"] == found["parcels"] and (
                abs(want["area_m2"] - found["area_m2"]) <= tolerance_m2
            ):
                continue
            result.problem(
                "totals_as_of",
                f"as of ledger row {row['seq']} ({row['at'].isoformat()}) the totals give "
                f"{found['parcels']} parcels, {found['area_m2']:,.4f} m² of "
                f"{'/'.join(group)} but the parcel versions give {want['parcels']} "
                f"parcels, {want['area_m2']:,.4f} m²",
                ledger_seq=row["seq"],
                park=group[0],
                land_use_code=group[1],
                status=group[2],
                expected=want,
                found=found,
            )

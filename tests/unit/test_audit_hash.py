"""No database: the ledger's hash as the verification recomputes it.

The canonical text is documented in service/db/sql/rule.sql: fields joined by U+001F —
seq, time in integer microseconds since the epoch, actor, change set id, kind, document
number, the IEEE-754 bytes (hex) of the city delta and total, ``park:hex`` lists (sorted by
code) of the per-park deltas and totals, the previous row's hash. Here it is written out
by hand and through the tests' own implementation, and compared with the service's.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta, timezone

from support_changes import GENESIS_HASH, ledger_hash

from service.audit.verify import GENESIS_HASH as SERVICE_GENESIS
from service.audit.verify import Verification, ledger_row_hash


def _row(**changes):
    row = {
        "seq": 2,
        "at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        "actor": "editor-1",
        "change_set_id": 17,
        "kind": "rezone",
        "document_no": "宝政土批〔2026〕12号",
        "delta_city_m2": 1.5,
        "total_city_m2": 1234.25,
        "delta_parks": {"jiangtan": 1.5, "caijiapo": 0.0},
        "total_parks": {"jiangtan": 1000.0, "caijiapo": 234.25},
        "prev_hash": "ab" * 32,
    }
    row.update(changes)
    return row


def test_the_hash_is_the_sha256_of_the_documented_canonical_text():
    row = _row()
    micros = (row["at"] - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    text = "\x1f".join(
        [
            "2",
            str(micros),
            "editor-1",
            "17",
            "rezone",
            "宝政土批〔2026〕12号",
            "3ff8000000000000",  # 1.5
            "4093490000000000",  # 1234.25
            "caijiapo:0000000000000000,jiangtan:3ff8000000000000",
            "caijiapo:406d480000000000,jiangtan:408f400000000000",
            "ab" * 32,
        ]
    )
    assert ledger_row_hash(row, row["prev_hash"]) == hashlib.sha256(text.encode()).hexdigest()


def test_the_service_and_the_tests_compute_the_same_hash_for_many_rows():
    rng = random.Random(4)
    for seq in range(1, 200):
        zone = timezone(timedelta(minutes=rng.choice([0, 480, -300, 345])))
        row = _row(
            seq=seq,
            at=datetime(2026, 1, 1, tzinfo=UTC).astimezone(zone)
            + timedelta(microseconds=rng.randrange(10**13)),
            actor=rng.choice(["editor-1", "parks load (root)", "审计员", ""]),
            change_set_id=rng.choice([seq, None]),
            kind=rng.choice(["register", "split", "direct_sql", None]),
            document_no=rng.choice([None, "", "宝政土批〔2026〕7号"]),
            delta_city_m2=rng.uniform(-1e6, 1e6),
            total_city_m2=rng.uniform(0, 1e8),
            delta_parks={p: rng.uniform(-1e5, 1e5) for p in rng.sample(["gaoxin", "b", "a_2"], 2)},
            total_parks={p: rng.uniform(0, 1e7) for p in ["gaoxin", "jiangtan", "caijiapo"]},
            prev_hash=hashlib.sha256(str(seq).encode()).hexdigest(),
        )
        assert ledger_row_hash(row, row["prev_hash"]) == ledger_hash(row), row


def test_every_field_of_the_canonical_text_changes_the_hash():
    base = _row()
    reference = ledger_row_hash(base, base["prev_hash"])
    altered = {
        "seq": 3,
        "at": base["at"] + timedelta(microseconds=1),
        "actor": "editor-2",
        "change_set_id": 18,
        "kind": "split",
        "document_no": "宝政土批〔2026〕13号",
        "delta_city_m2": 1.5000000000000002,
        "total_city_m2": 1234.26,
        "delta_parks": {"jiangtan": 1.5, "caijiapo": -0.0},
        "total_parks": {"jiangtan": 1000.0, "caijiapo": 234.25, "gaoxin": 0.0},
    }
    for name, value in altered.items():
        row = _row(**{name: value})
        assert ledger_row_hash(row, row["prev_hash"]) != reference, name
    assert ledger_row_hash(base, "cd" * 32) != reference


def test_a_format_2_row_hashes_the_high_water_marks_before_the_previous_hash():
    row = _row(
        row_format=2,
        high_water_city_m2=1234.25,
        high_water_parks={"jiangtan": 1000.0, "caijiapo": 234.25},
    )
    micros = (row["at"] - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    text = "\x1f".join(
        [
            "2",
            str(micros),
            "editor-1",
            "17",
            "rezone",
            "宝政土批〔2026〕12号",
            "3ff8000000000000",  # 1.5
            "4093490000000000",  # 1234.25
            "caijiapo:0000000000000000,jiangtan:3ff8000000000000",
            "caijiapo:406d480000000000,jiangtan:408f400000000000",
            "4093490000000000",  # the city's high-water mark, 1234.25
            "caijiapo:406d480000000000,jiangtan:408f400000000000",
            "ab" * 32,
        ]
    )
    assert ledger_row_hash(row, row["prev_hash"]) == hashlib.sha256(text.encode()).hexdigest()
    assert ledger_hash(row) == ledger_row_hash(row, row["prev_hash"])
    for name, value in [
        ("high_water_city_m2", 1234.26),
        ("high_water_parks", {"jiangtan": 1000.0, "caijiapo": 234.26}),
        ("row_format", 1),
    ]:
        changed = {**row, name: value}
        assert ledger_row_hash(changed, row["prev_hash"]) != ledger_row_hash(row, row["prev_hash"])


def test_the_chain_starts_from_sixty_four_zeros():
    assert SERVICE_GENESIS == GENESIS_HASH == "0" * 64


def test_a_verification_is_ok_only_without_problems_and_says_so_in_its_body():
    result = Verification(ledger_total_m2=10.0, recomputed_total_m2=10.0)
    body = result.body()
    assert {
        "ok",
        "ledger_total_m2",
        "recomputed_total_m2",
        "monotonic",
        "chain_ok",
        "problems",
    } <= set(body)
    assert body["ok"] is True and body["problems"] == []
    result.problem("hash", "ledger row 2 was altered", ledger_seq=2, expected="x", found="y")
    body = result.body()
    assert body["ok"] is False
    assert body["problems"] == [
        {
            "check": "hash",
            "ledger_seq": 2,
            "expected": "x",
            "found": "y",
            "message": "ledger row 2 was altered",
        }
    ]

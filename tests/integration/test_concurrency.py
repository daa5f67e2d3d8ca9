"""The rule under concurrent writers: after any mix of concurrent change sets — through the
service and by raw SQL, gains, losses, compensated pairs, status changes, splits — the
ledger agrees with the parcels, never decreased, and its hash chain holds."""

from __future__ import annotations

import random
import threading
import time
import traceback
from collections import Counter

import psycopg
import pytest
import shapely
from sqlalchemy import create_engine, text
from support_changes import (
    engine_for,
    geojson,
    hash_chain_problems,
    ledger_rows,
    manufacturing_totals,
    split_in_two,
)

from parks.errors import ConcurrentChange, InvalidChangeSet, ManufacturingLandWouldDecrease
from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set

pytestmark = pytest.mark.integration

THREADS = 8
SECONDS = 6.0
#: What a raw SQL transaction may meet: the rule's refusal, or a concurrent writer
#: (deadlock, serialization, exclusion or unique violation).
RAW_EXPECTED = {"MF001", "40P01", "40001", "23P01", "23505"}
STATUSES = ["reserve", "ready", "supplied", "under_construction", "operating", "idle"]


class Worker:
    """One writer with its own engine and its own raw connection."""

    def __init__(self, url: str, seed: int, deadline: float, results: Counter, failures: list):
        self.url = url
        self.rng = random.Random(seed)
        self.seed = seed
        self.deadline = deadline
        self.results = results
        self.failures = failures
        self.serial = 0

    # --- picking parcels (may be stale by the time we write: that is the point) ----------

    def pick(self, conn, where: str, params=None) -> tuple[str, float] | None:
        row = conn.execute(
            text(
                "SELECT parcel_code, area_m2 FROM parcel_version "
                f"WHERE valid_to IS NULL AND ({where}) ORDER BY random() LIMIT 1"
            ),
            params or {},
        ).first()
        return (row[0], row[1]) if row else None

    def apply(self, engine, kind: str, *ops) -> None:
        request = ChangeSetRequest.model_validate(
            {"kind": kind, "reason": f"worker {self.seed}", "operations": list(ops)}
        )
        apply_change_set(engine, request, actor=f"worker-{self.seed}", storage_srid=4545)

    # --- the actions ---------------------------------------------------------------------

    def service_gain(self, engine, conn):
        code, _ = self.pick(conn, "land_use_code <> '0601'")
        self.apply(engine, "rezone", {"op": "rezone", "parcel_code": code, "land_use_code": "0601"})

    def service_loss(self, engine, conn):
        code, _ = self.pick(conn, "land_use_code = '0601'")
        self.apply(engine, "rezone", {"op": "rezone", "parcel_code": code, "land_use_code": "0701"})

    def service_pair(self, engine, conn):
        loser, area = self.pick(conn, "land_use_code = '0601' AND area_m2 < 15000")
        found = self.pick(conn, "land_use_code <> '0601' AND area_m2 > :a", {"a": area})
        if found is None:
            return
        self.apply(
            engine,
            "rezone",
            {"op": "rezone", "parcel_code": loser, "land_use_code": "0701"},
            {"op": "rezone", "parcel_code": found[0], "land_use_code": "0601"},
        )

    def service_status(self, engine, conn):
        code, _ = self.pick(conn, "true")
        status = self.rng.choice(STATUSES)
        self.apply(
            engine, "set_status", {"op": "set_status", "parcel_code": code, "status": status}
        )

    def service_split(self, engine, conn):
        row = conn.execute(
            text(
                "SELECT parcel_code, ST_AsBinary(geom) FROM parcel_version "
                "WHERE valid_to IS NULL ORDER BY random() LIMIT 1"
            )
        ).one()
        west, east = split_in_two(shapely.from_wkb(row[1]), at=self.rng.uniform(0.3, 0.7))
        self.serial += 1
        stem = f"W{self.seed}-{self.serial}"
        self.apply(
            engine,
            "split",
            {
                "op": "split",
                "parcel_code": row[0],
                "crs": "EPSG:4545",
                "parts": [
                    {"parcel_code": f"{stem}A", "geometry": geojson(west)},
                    {"parcel_code": f"{stem}B", "geometry": geojson(east)},
                ],
            },
        )

    def service_retire(self, engine, conn):
        code, _ = self.pick(conn, "land_use_code = '0601'")
        self.apply(engine, "retire", {"op": "retire", "parcel_code": code})

    def _raw(self, raw, *changes):
        for code, cls in changes:
            raw.execute(
                "UPDATE parcel_version SET land_use_code = %s "
                "WHERE parcel_code = %s AND valid_to IS NULL",
                (cls, code),
            )
        raw.commit()

    def raw_gain(self, raw, conn):
        code, _ = self.pick(conn, "land_use_code <> '0601'")
        self._raw(raw, (code, "0601"))

    def raw_loss(self, raw, conn):
        code, _ = self.pick(conn, "land_use_code = '0601'")
        self._raw(raw, (code, "0701"))

    def raw_pair(self, raw, conn):
        loser, area = self.pick(conn, "land_use_code = '0601' AND area_m2 < 15000")
        found = self.pick(conn, "land_use_code <> '0601' AND area_m2 > :a", {"a": area})
        if found is None:
            return
        self._raw(raw, (loser, "0701"), (found[0], "0601"))

    def raw_status(self, raw, conn):
        code, _ = self.pick(conn, "true")
        raw.execute(
            "UPDATE parcel_version SET status = %s WHERE parcel_code = %s AND valid_to IS NULL",
            (self.rng.choice(STATUSES), code),
        )
        raw.commit()

    SERVICE = ("service_gain", "service_loss", "service_pair", "service_status",
               "service_split", "service_retire")  # fmt: skip
    RAW = ("raw_gain", "raw_loss", "raw_pair", "raw_status")

    def run(self) -> None:
        engine = create_engine(self.url, pool_size=1, max_overflow=0)
        reader = create_engine(self.url, pool_size=1, max_overflow=0)
        raw = psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://"))
        try:
            while time.monotonic() < self.deadline:
                name = self.rng.choice(self.SERVICE + self.RAW)
                try:
                    with reader.connect() as conn:
                        if name in self.SERVICE:
                            getattr(self, name)(engine, conn)
                        else:
                            getattr(self, name)(raw, conn)
                    self.results[f"{name}:accepted"] += 1
                except ManufacturingLandWouldDecrease:
                    self.results[f"{name}:refused"] += 1
                except (InvalidChangeSet, ConcurrentChange) as exc:
                    self.results[f"{name}:{type(exc).__name__}"] += 1
                    if "deadlock" in str(exc):
                        self.results["deadlock reported as invalid"] += 1
                except psycopg.Error as exc:
                    raw.rollback()
                    if exc.sqlstate in RAW_EXPECTED:
                        self.results[f"{name}:{exc.sqlstate}"] += 1
                    else:
                        self.failures.append(f"{name}: {exc.sqlstate} {exc}")
                except Exception:  # anything else is a bug the test reports
                    self.failures.append(f"{name}: {traceback.format_exc()}")
        finally:
            raw.close()
            engine.dispose()
            reader.dispose()


def test_concurrent_writers_keep_the_ledger_equal_to_the_parcels_and_never_decreasing(
    fresh_db_url,
):
    results: Counter = Counter()
    failures: list[str] = []
    deadline = time.monotonic() + SECONDS
    workers = [Worker(fresh_db_url, seed, deadline, results, failures) for seed in range(THREADS)]
    threads = [threading.Thread(target=w.run, name=f"writer-{w.seed}") for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert failures == [], "\n".join(failures[:5])

    # The mix really ran: gains and compensations went through, losses were refused, by
    # both routes.
    accepted = sum(v for k, v in results.items() if k.endswith(":accepted"))
    assert accepted >= 20, results
    assert results["service_loss:refused"] + results["service_retire:refused"] > 0, results
    assert results["raw_loss:MF001"] > 0, results
    assert results["service_pair:accepted"] + results["raw_pair:accepted"] > 0, results
    assert results["service_split:accepted"] > 0, results

    with engine_for(fresh_db_url) as engine, engine.connect() as conn:
        rows = ledger_rows(conn)
        city, parks = manufacturing_totals(conn)
        scratch = conn.execute(
            text("SELECT (SELECT count(*) FROM rule_pending), (SELECT count(*) FROM rule_txn)")
        ).one()
        change_sets = conn.execute(text("SELECT count(*) FROM change_set")).scalar()
        unledgered = conn.execute(
            text(
                "SELECT count(*) FROM change_set c "
                "WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.change_set_id = c.id)"
            )
        ).scalar()

    last = rows[-1]
    assert last["total_city_m2"] == pytest.approx(city, abs=0.01)
    for park, total in parks.items():
        assert float(last["total_parks"][park]) == pytest.approx(total, abs=0.01), park
    assert sum(r["delta_city_m2"] for r in rows) == pytest.approx(city, abs=0.01)

    high = 0.0
    for row in rows:
        assert row["total_city_m2"] >= high - 0.01, f"ledger row {row['seq']} decreased"
        high = max(high, row["total_city_m2"])
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert hash_chain_problems(rows) == []
    assert tuple(scratch) == (0, 0)
    # One ledger row per committed change set, and none without one.
    assert unledgered == 0
    assert change_sets == len(rows)


def test_a_raw_sql_writer_and_a_change_set_on_one_parcel_commit_in_ledger_order(
    fresh_db_url,
):
    """A raw SQL writer edits a parcel (its first write takes the city's ledger lock, as a
    change set does) while a change set for the same parcel starts: the change set waits
    for the lock instead of deadlocking, then applies on top of the committed edit. Were
    the two ever caught in a deadlock, the change set's caller must hear "concurrent
    change, try again" (409), never "your change set is invalid" (422)."""
    with engine_for(fresh_db_url) as engine, engine.connect() as conn:
        (code,) = conn.execute(
            text(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                "AND land_use_code = '0701' ORDER BY parcel_code LIMIT 1"
            )
        ).one()
    raw = psycopg.connect(fresh_db_url.replace("postgresql+psycopg://", "postgresql://"))
    raw.execute(
        "UPDATE parcel_version SET status = 'idle' WHERE parcel_code = %s AND valid_to IS NULL",
        (code,),
    )
    outcome: dict = {}

    def change_set_writer():
        request = ChangeSetRequest.model_validate(
            {
                "kind": "rezone",
                "reason": "deadlock",
                "operations": [{"op": "rezone", "parcel_code": code, "land_use_code": "0601"}],
            }
        )
        engine = create_engine(fresh_db_url, pool_size=1, max_overflow=0)
        try:
            outcome["applied"] = apply_change_set(
                engine, request, actor="writer", storage_srid=4545
            )
        except Exception as exc:  # judged below
            outcome["error"] = exc
        finally:
            engine.dispose()

    writer = threading.Thread(target=change_set_writer)
    writer.start()
    time.sleep(0.4)  # the change set now holds the ledger lock and waits for the parcel
    try:
        raw.commit()
        outcome["raw"] = "committed"
    except psycopg.Error as exc:
        outcome["raw"] = exc.sqlstate
    finally:
        raw.close()
    writer.join(timeout=30)
    assert not writer.is_alive()
    error = outcome.get("error")
    if error is not None:
        assert isinstance(error, ConcurrentChange), f"{type(error).__name__}: {error}"
        return
    assert outcome["raw"] == "committed", outcome
    with engine_for(fresh_db_url) as engine, engine.connect() as conn:
        ledger = conn.execute(
            text("SELECT kind, change_set_id FROM ledger ORDER BY seq DESC LIMIT 2")
        ).all()
        status, land_use = conn.execute(
            text(
                "SELECT status, land_use_code FROM parcel_version "
                "WHERE parcel_code = :c AND valid_to IS NULL"
            ),
            {"c": code},
        ).one()
    # The raw edit committed first (it held the lock), then the change set on top of it.
    assert [k for k, _ in ledger] == ["rezone", "direct_sql"]
    assert ledger[0][1] == outcome["applied"].id
    assert (status, land_use) == ("idle", "0601")


def _history_disagreements(conn) -> list[tuple]:
    """Ledger moments at which the city total recomputed from the parcels' history (the
    versions valid then) differs from the ledger's total by more than 0.01 m². Several
    rows may share a moment; the last of them is what stood at it."""
    return conn.execute(
        text(
            "WITH moment AS (SELECT DISTINCT ON (at) seq, at, total_city_m2 FROM ledger "
            "                ORDER BY at, seq DESC) "
            "SELECT m.seq, m.total_city_m2, "
            "       (SELECT coalesce(sum(v.area_m2), 0) FROM parcel_version v "
            "          JOIN land_use_class c ON c.code = v.land_use_code "
            "         WHERE c.is_manufacturing AND v.valid_from <= m.at "
            "           AND (v.valid_to IS NULL OR v.valid_to > m.at)) AS history_m2 "
            "  FROM moment m ORDER BY m.seq"
        )
    ).all()


def test_history_as_of_each_ledger_moment_agrees_with_the_ledger_when_writers_interleave(
    fresh_db_url,
):
    """A raw SQL transaction gains industrial land while two change sets are submitted:
    whatever order they commit in, the auditor asking "what stood at each ledger row's
    moment?" must get the ledger's answer from the parcels' history. (A raw writer takes
    the city's ledger lock at its first write, so the change sets wait for it.)"""
    with engine_for(fresh_db_url) as engine, engine.connect() as conn:
        gainer, other = conn.execute(
            text(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                "AND land_use_code = '0701' ORDER BY parcel_code LIMIT 2"
            )
        ).scalars()
    errors: list[BaseException] = []

    def meanwhile() -> None:
        try:
            with engine_for(fresh_db_url) as engine:
                for status in ("idle", "operating"):
                    request = ChangeSetRequest.model_validate(
                        {
                            "kind": "set_status",
                            "reason": "meanwhile",
                            "operations": [
                                {"op": "set_status", "parcel_code": other, "status": status}
                            ],
                        }
                    )
                    apply_change_set(engine, request, actor="meanwhile", storage_srid=4545)
        except BaseException as exc:  # reported below
            errors.append(exc)

    raw = psycopg.connect(fresh_db_url.replace("postgresql+psycopg://", "postgresql://"))
    writer = threading.Thread(target=meanwhile)
    try:
        raw.execute(
            "UPDATE parcel_version SET land_use_code = '0601' "
            "WHERE parcel_code = %s AND valid_to IS NULL",
            (gainer,),
        )
        writer.start()
        time.sleep(0.3)  # the change sets are submitted while the raw transaction is open
        raw.commit()
    finally:
        raw.close()
    writer.join(timeout=60)
    assert not writer.is_alive(), "the change sets never committed"
    assert errors == []
    with engine_for(fresh_db_url) as engine, engine.connect() as conn:
        rows = _history_disagreements(conn)
    assert len(rows) >= 3
    wrong = [
        (seq, ledger, history) for seq, ledger, history in rows if abs(ledger - history) > 0.01
    ]
    assert wrong == [], "ledger rows whose moment the parcels' history tells otherwise"

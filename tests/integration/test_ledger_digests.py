"""Signed ledger digests kept outside the database catch what plain verification cannot: a
rewrite of history with the hash chain, the fingerprints and the totals recomputed — by
the tables' owner with the triggers off, as a superuser could — passes ``verify`` but not
``verify --digests``, which names the first ledger row rewritten.

Each test commits on its own copy of the sample (ledger row 1: the load): digest D1, the
three change sets of ``support_audit.make_history`` (rows 2-4: a gain, a compensated
rezone, a status change), D2, one more status change (row 5), D3.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import shapely
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from support_audit import History, make_history, pick, psycopg_url, query
from support_changes import change_set
from support_reads import run_parks
from support_roles import owner_url

from service.audit import digest_document as doc
from service.audit.digest_keys import generate_key_pair, load_private_key, load_public_key
from service.audit.digest_verify import verify_digests
from service.audit.digests import TakenDigest, take_digest
from service.audit.errors import DigestDirectoryError
from service.audit.verify import ledger_row_hash, verify
from service.db.engine import make_engine

pytestmark = pytest.mark.integration


@dataclass
class Signed:
    url: str
    directory: Path
    public_path: Path
    history: History
    digests: list[TakenDigest]
    key: object


def _apply(url: str, body: dict) -> int:
    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set

    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        return apply_change_set(
            engine, ChangeSetRequest.model_validate(body), actor="digest-test", storage_srid=4545
        ).ledger_seq
    finally:
        engine.dispose()


def _digest(url: str, key, directory: Path) -> TakenDigest:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        return take_digest(engine, private_key=key, directory=directory)
    finally:
        engine.dispose()


def sign_with_commits_between(url: str, tmp_path: Path) -> Signed:
    """D1, ledger rows 2-4, D2, row 5, D3 (see the module docstring)."""
    pair = generate_key_pair(tmp_path / "keys")
    key = load_private_key(pair.private_path)
    directory = tmp_path / "digests"
    taken = [_digest(url, key, directory)]
    history = make_history(url)
    taken.append(_digest(url, key, directory))
    others = (history.gained, history.lost, history.compensation, history.status_changed)
    other, _ = pick(url, f"status = 'reserve' AND parcel_code NOT IN {others!r}")
    body = change_set(
        "set_status",
        {"op": "set_status", "parcel_code": other, "status": "ready"},
        document_no="审计测试〔2026〕4号",
    )
    assert _apply(url, body) == 5
    taken.append(_digest(url, key, directory))
    return Signed(url, directory, pair.public_path, history, taken, key)


def _verify_digests(url: str, signed: Signed):
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return verify_digests(
                conn, directory=signed.directory, public_key=load_public_key(signed.public_path)
            )
    finally:
        engine.dispose()


def _plain_verify(url: str) -> dict:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return verify(conn).body()
    finally:
        engine.dispose()


def test_digests_between_commits_verify_and_an_altered_or_foreign_digest_file_is_named(
    fresh_db_url, tmp_path
):
    signed = sign_with_commits_between(fresh_db_url, tmp_path)
    d1, d2, d3 = (t.document for t in signed.digests)
    hashes = dict(query(fresh_db_url, "SELECT seq, hash FROM ledger"))
    assert [d["rows"] for d in (d1, d2, d3)] == [
        [[1, hashes[1]]],
        [[seq, hashes[seq]] for seq in (2, 3, 4)],
        [[5, hashes[5]]],
    ]
    assert d2["previous"]["file"] == signed.digests[0].path.name
    (versions,) = query(fresh_db_url, "SELECT count(*) FROM parcel_version")[0]
    assert d3["history"]["versions"] == versions
    # the listing in the database is what was written to the files
    listed = query(
        fresh_db_url, "SELECT seq, hash, key_id, document, signature FROM ledger_digest ORDER BY id"
    )
    for (seq, hash_, key_id, document, signature), taken in zip(
        listed, signed.digests, strict=True
    ):
        on_file = json.loads(taken.path.read_text(encoding="utf-8"))
        assert (seq, hash_, key_id) == (
            taken.document["head"]["seq"],
            taken.document["head"]["hash"],
            taken.document["key_id"],
        )
        assert document == on_file["document"] and signature == on_file["signature"]

    checked = _verify_digests(fresh_db_url, signed)
    assert checked.problems == [] and checked.ok
    assert (checked.digests_valid, checked.rows_checked, checked.versions_checked) == (
        3,
        5,
        versions,
    )
    assert checked.first_difference is None and checked.unsigned_rows == 0

    # A file altered, one signed by another key and a missing one are each named.
    d2_path, d3_path = signed.digests[1].path, signed.digests[2].path
    altered = json.loads(d2_path.read_text(encoding="utf-8"))
    altered["document"]["head"]["total_city_m2"] += 1.0
    d2_path.write_text(json.dumps(altered), encoding="utf-8")
    pair = generate_key_pair(tmp_path / "other-keys")
    foreign = _digest(fresh_db_url, load_private_key(pair.private_path), tmp_path / "foreign")
    foreign_name = foreign.path.name.replace("-00000005-", "-00000009-")  # sorts last
    shutil.copy(foreign.path, signed.directory / foreign_name)
    checked = _verify_digests(fresh_db_url, signed)
    named = {(p["check"], p.get("file")) for p in checked.problems}
    assert ("digest_signature", d2_path.name) in named
    assert ("digest_key", foreign_name) in named
    # D3 follows D2, which failed its check: the succession is broken there
    assert ("digest_chain", d3_path.name) in named
    assert not checked.ok


def _shrunk(url: str, code: str):
    """The parcel's standing version (id, WKB) and the same version 1 m smaller all round
    (EPSG:4545), made here with shapely."""
    version_id, wkb = query(
        url,
        "SELECT version_id, ST_AsBinary(geom) FROM parcel_version "
        "WHERE parcel_code = %s AND valid_to IS NULL",
        (code,),
    )[0]
    geom = shapely.from_wkb(bytes(wkb))
    smaller = geom.buffer(-1.0)
    assert not smaller.is_empty and smaller.is_valid, code
    if smaller.geom_type == "Polygon":
        smaller = shapely.MultiPolygon([smaller])
    return version_id, geom, smaller


def rewrite_history(url: str, *, version_id: int, smaller) -> int:
    """As the owner, every user trigger off, in one transaction: the version's geometry
    replaced and its fingerprint recomputed; the ledger's deltas, totals and high-water
    marks from the row of its change set on made to agree, and every hash from there on
    recomputed; the totals effects and snapshots rebuilt. Returns the first ledger row
    rewritten."""
    tables = ("parcel_version", "ledger")
    with psycopg.connect(psycopg_url(owner_url(url))) as conn:
        for table in tables:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        area_before, park, change_set_id = conn.execute(
            "SELECT area_m2, park, change_set_id FROM parcel_version WHERE version_id = %s",
            (version_id,),
        ).fetchone()
        conn.execute(
            "UPDATE parcel_version SET geom = ST_GeomFromWKB(%s, 4545) WHERE version_id = %s",
            (shapely.to_wkb(smaller), version_id),
        )
        conn.execute(
            "UPDATE parcel_version v SET content_sha256 = parcel_version_fingerprint(v) "
            "WHERE version_id = %s",
            (version_id,),
        )
        (area_after,) = conn.execute(
            "SELECT area_m2 FROM parcel_version WHERE version_id = %s", (version_id,)
        ).fetchone()
        change = area_after - area_before
        cursor = conn.cursor(row_factory=dict_row)
        rows = cursor.execute("SELECT * FROM ledger ORDER BY seq").fetchall()
        (first,) = [r["seq"] for r in rows if r["change_set_id"] == change_set_id]
        high, park_high, prev_hash = 0.0, {}, doc.GENESIS_HISTORY
        for row in rows:
            if row["seq"] == first:
                row["delta_city_m2"] += change
                row["delta_parks"][park] = float(row["delta_parks"][park]) + change
            if row["seq"] >= first:
                row["total_city_m2"] += change
                row["total_parks"][park] = float(row["total_parks"][park]) + change
            high = max(high, row["total_city_m2"])
            for name, total in row["total_parks"].items():
                park_high[name] = max(park_high.get(name, 0.0), float(total))
            if row["seq"] >= first:
                row["high_water_city_m2"] = high
                row["high_water_parks"] = {k: park_high[k] for k in row["total_parks"]}
                row["prev_hash"] = prev_hash
                row["hash"] = ledger_row_hash(row, prev_hash)
                conn.execute(
                    "UPDATE ledger SET delta_city_m2 = %s, total_city_m2 = %s, "
                    "high_water_city_m2 = %s, delta_parks = %s, total_parks = %s, "
                    "high_water_parks = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                    (
                        row["delta_city_m2"],
                        row["total_city_m2"],
                        row["high_water_city_m2"],
                        Jsonb(row["delta_parks"]),
                        Jsonb(row["total_parks"]),
                        Jsonb(row["high_water_parks"]),
                        row["prev_hash"],
                        row["hash"],
                        row["seq"],
                    ),
                )
            prev_hash = row["hash"]
        conn.execute("SELECT totals_rebuild()")
        for table in tables:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        conn.commit()
    return first


def test_a_superuser_rewrite_with_a_recomputed_chain_passes_verify_but_not_the_digests(
    fresh_db_url, tmp_path
):
    signed = sign_with_commits_between(fresh_db_url, tmp_path)
    # The parcel rezoned to industry in ledger row 2 loses a 1 m rim (a hidden loss).
    version_id, before, smaller = _shrunk(fresh_db_url, signed.history.gained)
    assert shapely.area(before) - shapely.area(smaller) > 10.0
    signed_hashes = dict(query(fresh_db_url, "SELECT seq, hash FROM ledger"))
    first = rewrite_history(fresh_db_url, version_id=version_id, smaller=smaller)
    assert first == signed.history.seq_gain == 2
    rewritten = dict(query(fresh_db_url, "SELECT seq, hash FROM ledger"))
    assert [s for s in sorted(rewritten) if rewritten[s] != signed_hashes[s]] == [2, 3, 4, 5]
    (area,) = query(
        fresh_db_url, "SELECT area_m2 FROM parcel_version WHERE version_id = %s", (version_id,)
    )[0]
    assert abs(area - shapely.area(smaller)) <= 0.01

    plain = _plain_verify(fresh_db_url)
    assert plain["problems"] == [] and plain["ok"] and plain["chain_ok"]

    checked = _verify_digests(fresh_db_url, signed)
    assert not checked.ok
    d2 = signed.digests[1].path.name
    assert checked.first_difference == {
        "ledger_seq": 2,
        "file": d2,
        "digest_hash": signed_hashes[2],
        "database_hash": rewritten[2],
    }
    assert checked.rows_differing == 4  # rows 2-5: the chain was recomputed from row 2
    (history,) = [p for p in checked.problems if p["check"] == "history"]
    assert (history["file"], history["from_seq"], history["to_seq"]) == (d2, 2, 4)

    # the command: exit 1, the first difference in its JSON and its words
    args = ["audit", "verify", "--digests", str(signed.directory)]
    args += ["--public-key", str(signed.public_path)]
    result = run_parks(*args, "--json", url=fresh_db_url)
    assert result.returncode == 1, result.stderr
    body = json.loads(result.stdout)
    assert body["problems"] == [] and body["ok"] is False
    assert body["digests"]["first_difference"]["ledger_seq"] == 2
    result = run_parks(*args, url=fresh_db_url)
    assert result.returncode == 1
    assert f"first difference: ledger row 2: {d2} signed {signed_hashes[2]}" in result.stderr
    assert rewritten[2] in result.stderr

    # and no digest is taken over the rewritten ledger
    with pytest.raises(DigestDirectoryError, match="ledger row 5"):
        _digest(fresh_db_url, signed.key, signed.directory)


def test_the_digest_listing_is_append_only(fresh_db_url, tmp_path):
    pair = generate_key_pair(tmp_path / "keys")
    _digest(fresh_db_url, load_private_key(pair.private_path), tmp_path / "digests")
    statements = [
        "UPDATE ledger_digest SET hash = 'x'",
        "DELETE FROM ledger_digest",
        "TRUNCATE ledger_digest",
    ]
    for statement in statements:
        with psycopg.connect(psycopg_url(owner_url(fresh_db_url))) as conn:
            with pytest.raises(psycopg.Error) as refused:
                conn.execute(statement)
            assert refused.value.sqlstate == "MF002", statement
    # (read as the service's role, which lists them)
    assert query(fresh_db_url, "SELECT count(*) FROM ledger_digest") == [(1,)]

"""Signed ledger digests: taking one (the ledger's head, the rows since the last digest and
a summary of the parcel versions, signed with a key kept outside the database and written
to a directory outside it), and the database's listing of those taken.

The ledger's hash chain is public and unkeyed: whoever can rewrite the database can
rewrite history and recompute the chain and the fingerprints. A digest signed with a
private key the database never sees, kept where the database cannot reach, pins what the
ledger said at that moment; ``parks audit verify --digests`` (service.audit.digest_verify)
compares the database with every digest. The document and file are described in
:mod:`service.audit.digest_document`.

The table ``ledger_digest`` lists the digests taken, so the service can show them; it is
append-only and trusted by nobody without the public key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, Engine, text

from service.audit import digest_document as doc
from service.audit.digest_keys import key_id
from service.audit.errors import DigestDirectoryError, NothingToSign
from service.db.sqlfiles import sql

#: Versions fetched at a time while a segment is hashed.
STREAM_ROWS = 20_000


@dataclass(frozen=True)
class TakenDigest:
    """A digest just taken: its file, its document and its id in ``ledger_digest``."""

    path: Path
    document: dict[str, Any]
    id: int


def take_digest(engine: Engine, *, private_key: Ed25519PrivateKey, directory: Path) -> TakenDigest:
    """Sign the ledger's head and write the digest into *directory* (made if missing),
    continuing the directory's last digest; list it in ``ledger_digest``.

    Everything is read in one REPEATABLE READ snapshot (``taken_at`` is its moment). The
    row is inserted, the file written (never over another), then the row committed: a
    file is never listed without being written. Refuses (:class:`DigestDirectoryError`)
    when the directory's last digest is not one this key signed of this database, or the
    ledger row it signed no longer carries the hash it signed (``parks audit verify
    --digests`` says more); :class:`NothingToSign` when the ledger is empty."""
    directory.mkdir(parents=True, exist_ok=True)
    previous = last_digest(directory, private_key.public_key())
    options = {"isolation_level": "REPEATABLE READ"}
    with engine.connect().execution_options(**options) as conn, conn.begin() as transaction:
        taken_at, document = _document(conn, private_key=private_key, previous=previous)
        envelope = doc.sign(document, private_key)
        digest_id = conn.execute(
            text(sql("service.sql", "digest_record.sql")),
            {
                "taken_at": taken_at,
                "seq": document["head"]["seq"],
                "hash": document["head"]["hash"],
                "key_id": document["key_id"],
                "document": json.dumps(document, ensure_ascii=False),
                "signature": envelope["signature"],
            },
        ).scalar_one()
        path = doc.write_envelope(directory, envelope)
        transaction.commit()
    return TakenDigest(path, document, digest_id)


def _document(
    conn: Connection, *, private_key: Ed25519PrivateKey, previous: doc.DigestFile | None
) -> tuple[datetime, dict[str, Any]]:
    """The moment of *conn*'s snapshot and the document to sign (see digest_document)."""
    taken_at, database, head_seq, max_version_id = conn.execute(
        text(
            "SELECT now(), current_database(), (SELECT max(seq) FROM ledger), "
            "(SELECT max(version_id) FROM parcel_version)"
        )
    ).one()
    if head_seq is None:
        raise NothingToSign("the ledger has no row yet: there is nothing to sign")
    after_seq = _check_previous(conn, previous, database=database, head_seq=head_seq)
    (head,) = ledger_heads(conn, [head_seq])
    listed = conn.execute(
        text(sql("service.sql", "digest_rows.sql")), {"after_seq": after_seq, "head_seq": head_seq}
    ).all()
    rows = [[seq, hash_] for seq, hash_, _ in listed]
    segment = segment_of(conn, change_set_ids=[cs for _, _, cs in listed])
    before = previous.document if previous else None
    before_history = before["history"] if before else {"versions": 0, "sha256": None}
    return taken_at, {
        "format": doc.FORMAT,
        "kind": doc.KIND,
        "database": database,
        "taken_at": doc.iso_utc(taken_at),
        "key_id": key_id(private_key.public_key()),
        "head": head,
        "rows": rows,
        "previous": None
        if previous is None
        else {
            "file": previous.name,
            "seq": before["head"]["seq"],
            "taken_at": before["taken_at"],
            "history_sha256": before_history["sha256"],
        },
        "history": {
            "segment_versions": segment.versions,
            "segment_sha256": segment.sha256(),
            "versions": before_history["versions"] + segment.versions,
            "sha256": doc.chain(before_history["sha256"] or doc.GENESIS_HISTORY, segment.sha256()),
            "max_version_id": max_version_id or 0,
        },
    }


def last_digest(directory: Path, public_key: Ed25519PublicKey) -> doc.DigestFile | None:
    """The digest of *directory* a new one continues (the last by head seq and time), its
    signature checked with *public_key*; None when there is none."""
    paths = doc.digest_paths(directory)
    if not paths:
        return None
    found = doc.read_digest_file(paths[-1])
    if found.problem:
        raise DigestDirectoryError(f"the last digest in {directory}, {found.name}, {found.problem}")
    kid = key_id(public_key)
    if found.document["key_id"] != kid:
        raise DigestDirectoryError(
            f"the last digest in {directory}, {found.name}, was signed by key "
            f"{found.document['key_id']}, not by this key ({kid}): take the digests of a new "
            "key in a new directory"
        )
    if not doc.signature_valid(found.envelope, public_key):
        raise DigestDirectoryError(
            f"the last digest in {directory}, {found.name}, does not carry this key's "
            "signature: it was altered (run parks audit verify --digests)"
        )
    return found


def _check_previous(
    conn: Connection, previous: doc.DigestFile | None, *, database: str, head_seq: int
) -> int:
    """The seq the new digest's rows start after; refuses to continue a digest of another
    database or one whose head the ledger no longer holds as signed."""
    if previous is None:
        return 0
    before = previous.document
    if before["database"] != database:
        raise DigestDirectoryError(
            f"the last digest in the directory, {previous.name}, is of database "
            f"{before['database']}, not {database}: keep each database's digests apart"
        )
    seq, signed = before["head"]["seq"], before["head"]["hash"]
    found = conn.execute(text("SELECT hash FROM ledger WHERE seq = :s"), {"s": seq}).scalar()
    if found != signed or head_seq < seq:
        now = "is missing" if found is None else f"carries {found}"
        raise DigestDirectoryError(
            f"ledger row {seq}, signed by {previous.name} with hash {signed}, {now}: the "
            "ledger was rewritten since; no digest is taken over it (run parks audit verify "
            "--digests)"
        )
    return seq


def ledger_heads(conn: Connection, seqs: list[int]) -> list[dict[str, Any]]:
    """The figures a digest signs of each ledger row in *seqs* (those that exist), by seq."""
    return [
        {
            "seq": r["seq"],
            "hash": r["hash"],
            "row_format": r["row_format"],
            "at": doc.iso_utc(r["at"]),
            "total_city_m2": r["total_city_m2"],
            "high_water_city_m2": r["high_water_city_m2"],
            "total_parks": {k: float(v) for k, v in sorted((r["total_parks"] or {}).items())},
            "high_water_parks": {
                k: float(v) for k, v in sorted((r["high_water_parks"] or {}).items())
            },
        }
        for r in conn.execute(
            text(sql("service.sql", "digest_ledger_heads.sql")), {"seqs": seqs}
        ).mappings()
    ]


def segment_of(conn: Connection, *, change_set_ids: list[int]) -> doc.Segment:
    """The segment of the versions made by the change sets *change_set_ids* (those of
    the ledger rows a digest lists), hashed."""
    segment = doc.Segment()
    result = conn.execute(
        text(sql("service.sql", "digest_segment_versions.sql")),
        {"change_set_ids": change_set_ids},
        execution_options={"yield_per": STREAM_ROWS},
    )
    for version_id, content_sha256 in result:
        segment.add(version_id, content_sha256)
    return segment


# --- the listing ---------------------------------------------------------------------------


def list_digests(
    conn: Connection,
    *,
    limit: int = 100,
    after: int | None = None,
    to_at: datetime | None = None,
) -> dict[str, Any]:
    """The digests taken, newest first: *limit* of them after the id *after* (the
    ``next_after`` of the previous page), only those taken by *to_at* when given; each
    with ``matches_ledger`` (the ledger row of its seq still carries its hash) and the
    hash that row carries now (None: the row is gone). ``total`` counts them all."""
    total = conn.execute(text("SELECT count(*) FROM ledger_digest")).scalar_one()
    rows = [
        {
            "id": r["id"],
            "taken_at": r["taken_at"].isoformat(),
            "seq": r["seq"],
            "hash": r["hash"],
            "key_id": r["key_id"],
            "rows_signed": r["rows_signed"],
            "matches_ledger": r["matches_ledger"],
            "ledger_hash": r["ledger_hash"],
        }
        for r in conn.execute(
            text(sql("service.sql", "digest_list.sql")),
            {"after": after, "limit": limit + 1, "to_at": to_at},
        ).mappings()
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return {"rows": rows, "total": total, "next_after": rows[-1]["id"] if more else None}

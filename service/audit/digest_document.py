"""A signed ledger digest as bytes and as a file: its canonical form, its signature, its
file name, and the hash that summarises the parcel versions. No database here.

**The file** ``digest-<seq:08d>-<UTC time>.json`` holds one JSON object
``{"document": {...}, "signature": "<base64>"}``; the signature is Ed25519 over the
document's *canonical bytes*: the document as JSON with sorted keys, separators ``,`` and
``:``, no ASCII escaping, encoded as UTF-8 (:func:`canonical_bytes`). Floats are written
as Python writes them (the shortest text that reads back as the same IEEE-754 double), so
a document read back and written again gives the same bytes.

**The document** (format 1)::

    format, kind        1, "parks-ledger-digest"
    database            the database's name
    taken_at            when the digest was taken (ISO 8601, UTC, microseconds)
    key_id              the signing key (service.audit.digest_keys.key_id)
    head                the last ledger row then: seq, hash, row_format (1 where the ledger
                        has no such column), at, total_city_m2, high_water_city_m2,
                        total_parks, high_water_parks
    rows                [[seq, hash], ...] of every ledger row after the previous digest's
                        head up to this head (all rows for the first digest), so the digests
                        of one directory together list every row once
    previous            {file, seq, taken_at, history_sha256} of the digest it follows, or
                        null for the first
    history             the parcel versions made by the change sets of those rows:
                        segment_versions and segment_sha256 (see below), versions (all made
                        up to the head), sha256 (the chain, below) and max_version_id (the
                        highest version id the digest saw)

**The history summary.** A version belongs to the digest whose rows hold the ledger row of
the change set that made it (its ``change_set_id``) — not to a range of version ids, which
a transaction still in flight when the digest was taken could have drawn from. The
*segment* hash is the SHA-256 of the lines ``<version_id>:<content_sha256>\\n`` (UTF-8) of
those versions in ascending version id (``content_sha256``: the fingerprint the database stamps
on every version, service/db/sql/fingerprint.sql; it leaves out ``valid_to`` and
``ended_by_change_set_id``, so it never changes once written). The *chain* is
``sha256(previous chain hex + segment hex)`` (ASCII), starting from 64 zeros: verifying
1,000 digests walks the versions once, each into its own segment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from service.audit.errors import DigestDirectoryError

FORMAT = 1
KIND = "parks-ledger-digest"
#: The chain's value before the first digest.
GENESIS_HISTORY = "0" * 64
FILE_GLOB = "digest-*.json"
FILE_NAME = re.compile(r"^digest-\d{8,}-\d{8}T\d{6}\.\d{6}Z\.json$")
#: The keys of a document of this format (a signed document without them is not ours).
DOCUMENT_KEYS = frozenset(
    {"format", "kind", "database", "taken_at", "key_id", "head", "rows", "previous", "history"}
)
HEAD_KEYS = frozenset(
    {
        "seq",
        "hash",
        "row_format",
        "at",
        "total_city_m2",
        "high_water_city_m2",
        "total_parks",
        "high_water_parks",
    }
)
HISTORY_KEYS = frozenset(
    {"segment_versions", "segment_sha256", "versions", "sha256", "max_version_id"}
)


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """The bytes the signature covers: JSON, sorted keys, separators ``,``/``:``, UTF-8."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sign(document: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The file's object: *document* and the base64 Ed25519 signature of its canonical
    bytes."""
    signature = private_key.sign(canonical_bytes(document))
    return {"document": document, "signature": base64.b64encode(signature).decode("ascii")}


def signature_valid(envelope: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Whether the envelope's signature is *public_key*'s over its document's canonical
    bytes."""
    try:
        signature = base64.b64decode(envelope["signature"], validate=True)
        public_key.verify(signature, canonical_bytes(envelope["document"]))
    except (InvalidSignature, binascii.Error, ValueError, TypeError, KeyError):
        return False
    return True


def iso_utc(moment: datetime) -> str:
    """*moment* as ISO 8601 in UTC with microseconds (``2026-12-06T08:15:30.123456+00:00``)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def file_name(seq: int, taken_at: datetime) -> str:
    """``digest-<seq:08d>-<UTC time, basic format with microseconds>.json``."""
    return f"digest-{seq:08d}-{taken_at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}.json"


def write_envelope(directory: Path, envelope: dict[str, Any]) -> Path:
    """Write *envelope* into *directory* under its :func:`file_name`; never overwrites."""
    document = envelope["document"]
    taken_at = datetime.fromisoformat(document["taken_at"])
    path = directory / file_name(document["head"]["seq"], taken_at)
    data = (json.dumps(envelope, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise DigestDirectoryError(f"{path} exists: a digest is never overwritten") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return path


@dataclass
class DigestFile:
    """One file of a directory of digests: its envelope when it reads as one, else why not."""

    path: Path
    envelope: dict[str, Any] | None = None
    problem: str | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def document(self) -> dict[str, Any]:
        assert self.envelope is not None
        return self.envelope["document"]


def digest_paths(directory: Path) -> list[Path]:
    """The digest files of *directory* (named as :func:`file_name` names them), by head
    seq, then time."""
    found = [p for p in directory.glob(FILE_GLOB) if FILE_NAME.match(p.name)]
    return sorted(found, key=lambda p: (int(p.name.split("-")[1]), p.name))


def read_digest_file(path: Path) -> DigestFile:
    """*path* read as a digest file (its signature not yet checked): the envelope, or the
    reason it is not one."""
    try:
        envelope = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        return DigestFile(path, problem=f"cannot be read: {exc.strerror}")
    except (UnicodeDecodeError, ValueError) as exc:
        return DigestFile(path, problem=f"is not JSON: {exc}")
    problem = envelope_problem(envelope)
    if problem:
        return DigestFile(path, problem=problem)
    return DigestFile(path, envelope=envelope)


def envelope_problem(envelope: Any) -> str | None:
    """Why *envelope* is not a digest of this format (None: it is one)."""
    if not isinstance(envelope, dict) or set(envelope) != {"document", "signature"}:
        return "is not a digest: not an object of a document and a signature"
    document = envelope["document"]
    if not isinstance(envelope["signature"], str) or not isinstance(document, dict):
        return "is not a digest: not an object of a document and a signature"
    if document.get("kind") != KIND or document.get("format") != FORMAT:
        return f"is not a digest of format {FORMAT} ({KIND})"
    if set(document) != DOCUMENT_KEYS:
        return "is not a digest: its document does not hold the fields of its format"
    head, history, rows = document["head"], document["history"], document["rows"]
    if not isinstance(head, dict) or set(head) != HEAD_KEYS:
        return "is not a digest: its head does not hold the fields of its format"
    if not isinstance(history, dict) or set(history) != HISTORY_KEYS:
        return "is not a digest: its history does not hold the fields of its format"
    if not isinstance(rows, list) or not all(
        isinstance(r, list) and len(r) == 2 and isinstance(r[0], int) and isinstance(r[1], str)
        for r in rows
    ):
        return "is not a digest: its rows are not [seq, hash] pairs"
    previous = document["previous"]
    named = {"file", "seq", "taken_at", "history_sha256"}
    if previous is not None and not (isinstance(previous, dict) and named <= set(previous)):
        return "is not a digest: its previous digest is not named"
    return None


# --- the history summary ---------------------------------------------------------------------


def version_line(version_id: int, content_sha256: str | None) -> bytes:
    """One parcel version's line of a segment: ``<version_id>:<content_sha256>\\n``."""
    return f"{version_id}:{content_sha256 or ''}\n".encode()


def chain(previous_sha256: str, segment_sha256: str) -> str:
    """The history chain after a segment: SHA-256 of the two hex strings, ASCII."""
    return hashlib.sha256((previous_sha256 + segment_sha256).encode("ascii")).hexdigest()


class Segment:
    """The versions of one digest's segment, hashed as they come (in ascending id)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.versions = 0
        self.max_version_id = 0

    def add(self, version_id: int, content_sha256: str | None) -> None:
        self._hash.update(version_line(version_id, content_sha256))
        self.versions += 1
        self.max_version_id = max(self.max_version_id, version_id)

    def sha256(self) -> str:
        return self._hash.hexdigest()

"""The database checked against a directory of signed ledger digests.

Plain verification (service.audit.verify) proves the ledger, the parcel versions and the
totals agree with each other; whoever can rewrite all of them consistently passes it. The
digests, signed with a key the database never held, say what the ledger and the history
were when each was taken. Here:

* every digest file's signature checks with the public key given (a file that is not a
  digest, a bad signature, a digest by another key: a failure naming the file), and the
  digests follow one another (each names the one before it: a missing file is named);
* every ``[seq, hash]`` a digest lists matches the database's ledger row (a missing row:
  the ledger was truncated); the FIRST row that differs is reported with both hashes;
* each digest's head figures (time, city and per-park totals and high-water marks, row
  format) match the ledger row of its seq;
* the parcel versions, walked once in ascending id, each into the segment of the digest
  that lists the ledger row of the change set that made it, hash to what each digest
  signed (see service.audit.digest_document).

Rows committed after the last digest are not covered (``unsigned_rows`` counts them):
take digests often.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, text

from service.audit import digest_document as doc
from service.audit.digest_keys import key_id
from service.audit.digests import STREAM_ROWS, ledger_heads

#: The most ledger rows named as differing (a rewritten row changes every later hash).
ROW_PROBLEMS = 1000
#: The head figures compared besides the hash.
HEAD_FIGURES = (
    "at",
    "row_format",
    "total_city_m2",
    "high_water_city_m2",
    "total_parks",
    "high_water_parks",
)


@dataclass
class DigestVerification:
    """The outcome of checking the database against a directory of digests."""

    directory: str
    key_id: str
    digests_found: int = 0
    digests_valid: int = 0
    rows_checked: int = 0
    rows_differing: int = 0
    versions_checked: int = 0
    unsigned_rows: int = 0
    last_digest: dict[str, Any] | None = None
    first_difference: dict[str, Any] | None = None
    databases: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, check: str, message: str, **where: Any) -> None:
        self.problems.append({"check": check, **where, "message": message})

    def body(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "directory": self.directory,
            "key_id": self.key_id,
            "digests_found": self.digests_found,
            "digests_valid": self.digests_valid,
            "rows_checked": self.rows_checked,
            "rows_differing": self.rows_differing,
            "versions_checked": self.versions_checked,
            "unsigned_rows": self.unsigned_rows,
            "last_digest": self.last_digest,
            "first_difference": self.first_difference,
            "databases": self.databases,
            "problems": self.problems,
        }


def verify_digests(
    conn: Connection, *, directory: Path, public_key: Ed25519PublicKey
) -> DigestVerification:
    """Check the database against every digest in *directory*; see the module docstring."""
    result = DigestVerification(str(directory), key_id(public_key))
    digests = _signed_digests(directory, public_key, result)
    if not digests:
        return result
    _check_succession(digests, result)
    ledger = {
        seq: (hash_, change_set_id)
        for seq, hash_, change_set_id in conn.execute(
            text("SELECT seq, hash, change_set_id FROM ledger ORDER BY seq")
        )
    }
    listed = _check_rows(digests, ledger, result)
    _check_heads(conn, digests, listed, result)
    _check_history(conn, digests, ledger, result)
    last = digests[-1]
    result.unsigned_rows = sum(1 for seq in ledger if seq > last.document["head"]["seq"])
    result.last_digest = {
        "file": last.name,
        "seq": last.document["head"]["seq"],
        "hash": last.document["head"]["hash"],
        "taken_at": last.document["taken_at"],
    }
    result.databases = sorted({d.document["database"] for d in digests})
    return result


def _signed_digests(
    directory: Path, public_key: Ed25519PublicKey, result: DigestVerification
) -> list[doc.DigestFile]:
    """The digests of *directory* signed by *public_key*, by head seq and time; every other
    file named ``digest-*.json`` is a problem."""
    if not directory.is_dir():
        result.problem("digest_file", f"{directory} is not a directory of digests", file=None)
        return []
    paths = doc.digest_paths(directory)
    result.digests_found = len(paths)
    if not paths:
        result.problem("digest_file", f"{directory} holds no digest", file=None)
        return []
    kid = result.key_id
    signed = []
    for path in paths:
        found = doc.read_digest_file(path)
        if found.problem:
            result.problem("digest_file", f"{found.name} {found.problem}", file=found.name)
            continue
        claimed = found.document["key_id"]
        if claimed != kid:
            result.problem(
                "digest_key",
                f"{found.name} was signed by key {claimed}, not by the public key given ({kid})",
                file=found.name,
                expected=kid,
                found=claimed,
            )
            continue
        if not doc.signature_valid(found.envelope, public_key):
            result.problem(
                "digest_signature",
                f"{found.name}: its signature does not check with key {kid}: the digest was "
                "altered or forged",
                file=found.name,
            )
            continue
        problem = _inner_problem(found.document)
        if problem:
            result.problem("digest_file", f"{found.name} {problem}", file=found.name)
            continue
        signed.append(found)
    signed.sort(key=lambda d: (d.document["head"]["seq"], d.document["taken_at"]))
    result.digests_valid = len(signed)
    return signed


def _inner_problem(document: dict[str, Any]) -> str | None:
    """Why a signed document does not hold together (None: it does)."""
    after = document["previous"]["seq"] if document["previous"] else 0
    head = document["head"]
    seqs = [seq for seq, _ in document["rows"]]
    if seqs != list(range(after + 1, head["seq"] + 1)):
        return f"does not list exactly the ledger rows {after + 1}..{head['seq']}"
    if document["rows"] and document["rows"][-1][1] != head["hash"]:
        return "lists its head row with another hash than its head's"
    return None


def _check_succession(digests: list[doc.DigestFile], result: DigestVerification) -> None:
    """Each digest names the one before it: a digest missing from the directory (or one
    that failed its check) leaves rows and history unsigned, and is named."""
    before: doc.DigestFile | None = None
    for digest in digests:
        previous = digest.document["previous"]
        if previous is None and before is not None:
            result.problem(
                "digest_chain",
                f"{digest.name} starts a new series of digests after {before.name}: it "
                "follows no digest",
                file=digest.name,
            )
        elif previous is not None and (
            before is None
            or (previous["seq"], previous["taken_at"], previous["history_sha256"])
            != (
                before.document["head"]["seq"],
                before.document["taken_at"],
                before.document["history"]["sha256"],
            )
        ):
            result.problem(
                "digest_chain",
                f"{digest.name} follows the digest of ledger row {previous['seq']} taken "
                f"{previous['taken_at']} ({previous['file']}), which is not in the directory "
                "or failed its check",
                file=digest.name,
                expected=previous["file"],
                found=before.name if before else None,
            )
        before = digest


def _check_rows(
    digests: list[doc.DigestFile],
    ledger: dict[int, tuple[str, int]],
    result: DigestVerification,
) -> set[int]:
    """Every listed [seq, hash] against the ledger; returns the seqs listed."""
    listed: set[int] = set()
    differing: list[dict[str, Any]] = []
    for digest in digests:
        for seq, signed in digest.document["rows"]:
            listed.add(seq)
            result.rows_checked += 1
            found = ledger.get(seq)
            if found is None or found[0] != signed:
                differing.append(
                    {
                        "ledger_seq": seq,
                        "file": digest.name,
                        "digest_hash": signed,
                        "database_hash": None if found is None else found[0],
                    }
                )
    differing.sort(key=lambda d: (d["ledger_seq"], d["file"]))
    result.rows_differing = len(differing)
    if differing:
        result.first_difference = differing[0]
    for d in differing[:ROW_PROBLEMS]:
        if d["database_hash"] is None:
            result.problem(
                "ledger_row_missing",
                f"ledger row {d['ledger_seq']}, signed in {d['file']}, is missing: the ledger "
                "was truncated or rows deleted",
                ledger_seq=d["ledger_seq"],
                file=d["file"],
                expected=d["digest_hash"],
                found=None,
            )
        else:
            result.problem(
                "ledger_row",
                f"ledger row {d['ledger_seq']} carries hash {d['database_hash']} but "
                f"{d['file']} signed {d['digest_hash']}: the row (or one before it) was "
                "rewritten",
                ledger_seq=d["ledger_seq"],
                file=d["file"],
                expected=d["digest_hash"],
                found=d["database_hash"],
            )
    if len(differing) > ROW_PROBLEMS:
        result.problem(
            "ledger_row",
            f"and {len(differing) - ROW_PROBLEMS} more ledger rows differ from their digests",
            ledger_seq=differing[ROW_PROBLEMS]["ledger_seq"],
            expected=None,
            found=None,
        )
    return listed


def _check_heads(
    conn: Connection,
    digests: list[doc.DigestFile],
    listed: set[int],
    result: DigestVerification,
) -> None:
    """Each digest's head figures against the ledger row of its seq (its hash too when no
    digest lists that row)."""
    seqs = sorted({d.document["head"]["seq"] for d in digests})
    found = {h["seq"]: h for h in ledger_heads(conn, seqs)}
    for digest in digests:
        head = digest.document["head"]
        now = found.get(head["seq"])
        if now is None:
            if head["seq"] not in listed:
                result.problem(
                    "ledger_row_missing",
                    f"ledger row {head['seq']}, the head {digest.name} signed, is missing",
                    ledger_seq=head["seq"],
                    file=digest.name,
                    expected=head["hash"],
                    found=None,
                )
            continue
        figures = HEAD_FIGURES if head["seq"] in listed else ("hash", *HEAD_FIGURES)
        for name in figures:
            if now[name] != head[name]:
                result.problem(
                    "ledger_head",
                    f"ledger row {head['seq']}'s {name} is {now[name]!r} but {digest.name} "
                    f"signed {head[name]!r}",
                    ledger_seq=head["seq"],
                    file=digest.name,
                    field=name,
                    expected=head[name],
                    found=now[name],
                )


def _check_history(
    conn: Connection,
    digests: list[doc.DigestFile],
    ledger: dict[int, tuple[str, int]],
    result: DigestVerification,
) -> None:
    """One pass over the parcel versions in ascending id, each hashed into the segment of
    every digest that lists the ledger row of the change set that made it."""
    owners: dict[int, list[int]] = defaultdict(list)  # change set id -> digest indexes
    for index, digest in enumerate(digests):
        document = digest.document
        after = document["previous"]["seq"] if document["previous"] else 0
        for seq in range(after + 1, document["head"]["seq"] + 1):
            if seq in ledger:
                owners[ledger[seq][1]].append(index)
    segments = [doc.Segment() for _ in digests]
    late: dict[int, int] = {}  # digest index -> first version id above its max_version_id
    limits = [d.document["history"]["max_version_id"] for d in digests]
    versions = conn.execute(
        text("SELECT version_id, change_set_id, content_sha256 FROM parcel_version ORDER BY 1"),
        execution_options={"yield_per": STREAM_ROWS},
    )
    for version_id, change_set_id, content_sha256 in versions:
        result.versions_checked += 1
        for index in owners.get(change_set_id, ()):
            segments[index].add(version_id, content_sha256)
            if version_id > limits[index] and index not in late:
                late[index] = version_id
    for index, digest in enumerate(digests):
        document, segment = digest.document, segments[index]
        history = document["history"]
        if (segment.versions, segment.sha256()) == (
            history["segment_versions"],
            history["segment_sha256"],
        ):
            continue
        after = document["previous"]["seq"] if document["previous"] else 0
        extra = (
            f"; version {late[index]} was written after the digest was taken"
            if index in late
            else ""
        )
        result.problem(
            "history",
            f"the parcel versions made by the change sets of ledger rows {after + 1}.."
            f"{document['head']['seq']} no longer hash to what {digest.name} signed "
            f"({history['segment_versions']} versions then, {segment.versions} now){extra}: "
            "a version was altered, added or removed",
            file=digest.name,
            from_seq=after + 1,
            to_seq=document["head"]["seq"],
            expected={"versions": history["segment_versions"], "sha256": history["segment_sha256"]},
            found={"versions": segment.versions, "sha256": segment.sha256()},
        )

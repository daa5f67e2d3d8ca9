"""A signed ledger digest as bytes, without a database: its canonical bytes are fixed by
the document alone, its signature checks with the key that made it (a key made here) and
with no other, any change to the document breaks it, a digest file is never overwritten,
and the history summary is the chain of the segments' SHA-256s."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.audit import digest_document as doc
from service.audit.digest_keys import generate_key_pair, load_private_key, load_public_key
from service.audit.errors import DigestDirectoryError, DigestKeyError


def _document() -> dict:
    """A document as ``parks audit digest`` writes one (figures made up)."""
    return {
        "format": 1,
        "kind": "parks-ledger-digest",
        "database": "parks",
        "taken_at": "2026-12-06T08:15:30.123456+00:00",
        "key_id": "0123456789abcdef",
        "head": {
            "seq": 42,
            "hash": "ab" * 32,
            "row_format": 2,
            "at": "2026-12-06T08:15:29.000001+00:00",
            "total_city_m2": 1234567.891,
            "high_water_city_m2": 1234567.891,
            "total_parks": {"jiangtan": 0.1, "gaoxin": 1234567.791},
            "high_water_parks": {"jiangtan": 0.1, "gaoxin": 1234567.791},
        },
        "rows": [[41, "cd" * 32], [42, "ab" * 32]],
        "previous": {
            "file": "digest-00000040-20261205T081530.000000Z.json",
            "seq": 40,
            "taken_at": "2026-12-05T08:15:30.000000+00:00",
            "history_sha256": "ef" * 32,
        },
        "history": {
            "segment_versions": 2,
            "segment_sha256": "01" * 32,
            "versions": 1002,
            "sha256": "23" * 32,
            "max_version_id": 1002,
        },
    }


def test_canonical_bytes_are_sorted_compact_utf8_json():
    document = {"b": {"y": "园区", "x": 0.1}, "a": [2, 1], "c": None, "d": 1e16}
    assert doc.canonical_bytes(document) == (
        '{"a":[2,1],"b":{"x":0.1,"y":"园区"},"c":null,"d":1e+16}'.encode()
    )
    # the order keys were given in does not matter
    assert doc.canonical_bytes(dict(reversed(list(document.items())))) == doc.canonical_bytes(
        document
    )


def test_a_signature_checks_with_its_own_key_and_no_other_and_breaks_when_the_document_changes():
    key = Ed25519PrivateKey.generate()
    envelope = doc.sign(_document(), key)
    # checked here with the cryptography package directly, over bytes spelled out
    expected = json.dumps(_document(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key.public_key().verify(base64.b64decode(envelope["signature"]), expected.encode("utf-8"))
    assert doc.signature_valid(envelope, key.public_key())
    assert not doc.signature_valid(envelope, Ed25519PrivateKey.generate().public_key())

    changes = [
        ("head", "total_city_m2", 1234567.89),  # a total lowered by a millimetre's worth
        ("head", "hash", "ac" * 32),
        ("history", "sha256", "24" * 32),
    ]
    for part, name, value in changes:
        tampered = copy.deepcopy(envelope)
        tampered["document"][part][name] = value
        assert not doc.signature_valid(tampered, key.public_key()), (part, name)
    tampered = copy.deepcopy(envelope)
    tampered["document"]["rows"][0][1] = "ce" * 32
    assert not doc.signature_valid(tampered, key.public_key())
    tampered = copy.deepcopy(envelope)
    tampered["signature"] = "not base64!"
    assert not doc.signature_valid(tampered, key.public_key())


def test_a_digest_file_reads_back_to_the_bytes_signed_and_is_never_overwritten(tmp_path):
    key = Ed25519PrivateKey.generate()
    envelope = doc.sign(_document(), key)
    path = doc.write_envelope(tmp_path, envelope)
    assert path.name == "digest-00000042-20261206T081530.123456Z.json"
    found = doc.read_digest_file(path)
    assert found.problem is None
    assert doc.canonical_bytes(found.document) == doc.canonical_bytes(_document())
    assert doc.signature_valid(found.envelope, key.public_key())
    assert doc.digest_paths(tmp_path) == [path]
    before = path.read_bytes()
    with pytest.raises(DigestDirectoryError, match="never overwritten"):
        doc.write_envelope(tmp_path, doc.sign(_document(), Ed25519PrivateKey.generate()))
    assert path.read_bytes() == before

    path.write_text('{"document": {"kind": "something else"}, "signature": ""}')
    assert "format 1" in doc.read_digest_file(path).problem


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(tmp_path):
    pair = generate_key_pair(tmp_path / "keys")
    assert stat.S_IMODE(pair.private_path.stat().st_mode) == 0o600
    private = load_private_key(pair.private_path)
    public = load_public_key(pair.public_path)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert pair.key_id == hashlib.sha256(raw).hexdigest()[:16]
    assert (
        private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        == raw
    )
    before = pair.private_path.read_bytes()
    with pytest.raises(DigestKeyError, match="never overwritten"):
        generate_key_pair(tmp_path / "keys")
    assert pair.private_path.read_bytes() == before
    with pytest.raises(DigestKeyError, match="not an Ed25519 private key|not a PEM key"):
        load_private_key(pair.public_path)


def test_the_history_summary_chains_the_sha256_of_each_segments_version_lines():
    first, second = doc.Segment(), doc.Segment()
    first.add(1, "aa" * 32)
    first.add(2, "bb" * 32)
    second.add(7, "cc" * 32)
    seg1 = hashlib.sha256(f"1:{'aa' * 32}\n2:{'bb' * 32}\n".encode()).hexdigest()
    seg2 = hashlib.sha256(f"7:{'cc' * 32}\n".encode()).hexdigest()
    assert (first.sha256(), first.versions, second.sha256()) == (seg1, 2, seg2)
    chain1 = hashlib.sha256(("0" * 64 + seg1).encode()).hexdigest()
    chain2 = hashlib.sha256((chain1 + seg2).encode()).hexdigest()
    assert doc.chain(doc.chain(doc.GENESIS_HISTORY, first.sha256()), second.sha256()) == chain2
    # an empty segment (no commit between two digests) still moves the chain
    assert (
        doc.chain(chain2, doc.Segment().sha256())
        == hashlib.sha256((chain2 + hashlib.sha256(b"").hexdigest()).encode()).hexdigest()
    )

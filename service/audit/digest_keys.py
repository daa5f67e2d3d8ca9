"""The Ed25519 key pair that signs ledger digests, kept as PEM files outside the database.

* the private key: PKCS#8, unencrypted, file mode 0600 — on the machine that takes the
  digests (``PARKS_DIGEST_KEY``), nowhere else;
* the public key: SubjectPublicKeyInfo — handed to whoever verifies (an auditor);
* the key id: the first 16 hex digits of the SHA-256 of the 32 raw bytes of the public
  key, written into every digest so a digest names the key that signed it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from service.audit.errors import DigestKeyError

PRIVATE_KEY_NAME = "ledger-digest.key"
PUBLIC_KEY_NAME = "ledger-digest.pub"


@dataclass(frozen=True)
class KeyPair:
    """Where keygen wrote a key pair, and its key id."""

    private_path: Path
    public_path: Path
    key_id: str


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw (32-byte) public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo)."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def generate_key_pair(directory: Path) -> KeyPair:
    """Write a new key pair into *directory* (made if missing): the private key with mode
    0600, the public key beside it. Refuses (:class:`DigestKeyError`) when either file is
    there already: a key that signed digests must never be replaced by accident."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_KEY_NAME, directory / PUBLIC_KEY_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise DigestKeyError(f"{path} exists: a key pair is never overwritten")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(private_path, private, mode=0o600)
    _write_new(public_path, public_pem(key.public_key()), mode=0o644)
    return KeyPair(private_path, public_path, key_id(key.public_key()))


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    # O_EXCL: two keygens racing cannot both write; the mode is set at creation, so the
    # private key is never readable by others, not even for a moment.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise DigestKeyError(f"{path} exists: a key pair is never overwritten") from None
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), mode)  # whatever the umask
        handle.write(data)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file *path*."""
    key = _load(path, private=True)
    if not isinstance(key, Ed25519PrivateKey):
        raise DigestKeyError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file *path* (a private key file gives its public
    half)."""
    key = _load(path, private=False)
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise DigestKeyError(f"{path} is not an Ed25519 public key")
    return key


def private_key_is_exposed(path: Path) -> bool:
    """Whether the group or others may read the private key file *path*."""
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def _load(path: Path, *, private: bool):
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DigestKeyError(f"cannot read the key file {path}: {exc.strerror}") from None
    try:
        if private or b"PRIVATE KEY" in data:
            return serialization.load_pem_private_key(data, password=None)
        return serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise DigestKeyError(f"{path} is not a PEM key this command can read: {exc}") from None

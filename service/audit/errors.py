"""Why a signed ledger digest cannot be made or read: one base class, a subclass per
condition. The command line prints the message and exits 1; nothing here knows HTTP."""

from __future__ import annotations

from parks.errors import ParksError


class DigestError(ParksError):
    """A signed ledger digest (or its key, or its directory) cannot be used as asked."""

    code = "digest_error"


class DigestKeyError(DigestError):
    """A key file is missing, unreadable, not an Ed25519 key, or would be overwritten."""

    code = "digest_key"


class DigestDirectoryError(DigestError):
    """The directory of digests does not continue from this database with this key: its
    last digest is unreadable, by another key, of another database, or of a ledger that
    no longer holds what it signed."""

    code = "digest_directory"


class NothingToSign(DigestError):
    """The ledger has no row yet."""

    code = "nothing_to_sign"

"""Passwords: argon2id hashes (``argon2-cffi``), the length rule, and a verify that costs
the same whether or not there is a hash to verify against.

Cost: ``time_cost=3``, ``memory_cost=65536`` KiB (64 MiB), ``parallelism=4`` — RFC 9106's
second recommended ("low-memory") profile, argon2-cffi's own default. One verify takes
about 125 ms on the 2-core machine this was written on (about 230 ms with both cores busy
with other work), so a sign-in stays well under 500 ms. A stored hash made with other
parameters verifies as before and is replaced at the next successful sign-in
(:func:`needs_rehash`).

At most :data:`CONCURRENT_HASHES` hashes are made or verified at once in a process (the
others wait their turn): many sign-ins at once cost time, not 64 MiB each.

Nothing here logs, and nothing returns a password; a hash leaves this module only to be
stored.
"""

from __future__ import annotations

import threading
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from parks.errors import InvalidParameter

TIME_COST = 3
MEMORY_COST_KIB = 65536
PARALLELISM = 4

#: Shortest and longest password accepted when one is set.
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024

_HASHER = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=Type.ID
)
CONCURRENT_HASHES = 2
_TURNS = threading.BoundedSemaphore(CONCURRENT_HASHES)


def check_password_rules(password: str) -> None:
    """Refuse a password that may not be set: empty, shorter than 10 characters, longer
    than 1024, or holding a NUL character."""
    if not password:
        raise InvalidParameter("password", "the password is empty")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidParameter(
            "password", f"a password needs at least {MIN_PASSWORD_CHARS} characters"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidParameter(
            "password", f"a password may have at most {MAX_PASSWORD_CHARS} characters"
        )
    if "\x00" in password:
        raise InvalidParameter("password", "a password may not hold a NUL character")


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string, ``$argon2id$v=19$m=65536,t=3,p=4$...``) of a password
    that passes :func:`check_password_rules`."""
    check_password_rules(password)
    with _TURNS:
        return _HASHER.hash(password)


def rehash_password(password: str) -> str:
    """A new hash, with today's parameters, of a password that has just verified (the
    length rule is not applied again: the user is not choosing it now)."""
    with _TURNS:
        return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when *password* matches *password_hash*; False for a wrong password or a hash
    that is not one (never raises for either)."""
    try:
        with _TURNS:
            return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when *password_hash* was made with other parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


#: A hash of no one's password, made with today's parameters (made again, once, should
#: they change): what an unknown name's password is verified against.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$x+1qSkn2z6BePXQbBZ3OPg"
    "$6ew0jTuMnvnvIV0midZxWn7Z+C+bMZ65W3w6DNZVbkc"
)


@cache
def _dummy_hash() -> str:
    if not needs_rehash(_DUMMY_HASH):
        return _DUMMY_HASH
    return rehash_password("not anybody's password: it only spends a verify's time")


def verify_nothing(password: str) -> bool:
    """Spend the time of a verify when there is no user (or a disabled one), so an unknown
    name answers as slowly as a wrong password. Always False."""
    verify_password(_dummy_hash(), password)
    return False

"""Passwords as argon2id hashes, and the lockout's growing delay (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from parks.errors import InvalidParameter
from service.auth.passwords import (
    hash_password,
    needs_rehash,
    verify_nothing,
    verify_password,
)
from service.auth.sign_in import locked_until, lockout_delay
from service.pages.sign_in import safe_next

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def test_a_password_is_kept_as_an_argon2id_hash_with_the_stated_cost():
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse battery!")
    assert not verify_password("not a hash", "correct horse battery")
    assert not verify_nothing("correct horse battery")


@pytest.mark.parametrize(
    ("password", "says"),
    [("", "empty"), ("123456789", "at least 10"), ("x" * 1025, "at most 1024"),
     ("ten chars\x00!", "NUL")],
    ids=["empty", "nine", "too-long", "nul"],
)  # fmt: skip
def test_a_password_that_breaks_the_rules_is_refused(password, says):
    with pytest.raises(InvalidParameter, match=says):
        hash_password(password)


def test_a_hash_made_with_other_parameters_needs_a_rehash():
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse b")
    assert verify_password(old, "correct horse b")
    assert needs_rehash(old)
    assert not needs_rehash(hash_password("correct horse b"))


def _minutes(*offsets: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in offsets]


def test_five_failures_within_the_window_lock_for_a_minute_after_the_last():
    assert locked_until(_minutes(0, 1, 2, 3), max_failures=5, window=WINDOW) is None
    until = locked_until(_minutes(0, 1, 2, 3, 4), max_failures=5, window=WINDOW)
    assert until == T0 + timedelta(minutes=5)


def test_five_failures_spread_wider_than_the_window_lock_nothing():
    assert locked_until(_minutes(0, 10, 20, 30, 40), max_failures=5, window=WINDOW) is None


def test_each_further_failure_doubles_the_lockout_up_to_an_hour():
    failures = _minutes(0, 0, 0, 0, 0)  # locked until minute 1
    expected = [2, 4, 8, 16, 32, 60, 60]
    at = T0 + timedelta(minutes=1)
    for minutes in expected:
        failures.append(at)  # a failure as soon as the lockout ends
        until = locked_until(failures, max_failures=5, window=WINDOW)
        assert until == at + timedelta(minutes=minutes)
        at = until
    assert lockout_delay(40) == timedelta(hours=1)


def test_a_quiet_window_after_a_lockout_starts_the_count_afresh():
    failures = _minutes(0, 0, 0, 0, 0)  # locked until minute 1
    failures += _minutes(1 + 15 + 1)  # one more, 16 minutes after the lockout ended
    assert locked_until(failures, max_failures=5, window=WINDOW) is None


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/map/caijiapo?focus=CJP-0001", "/map/caijiapo?focus=CJP-0001"),
        ("/audit", "/audit"),
        ("", "/map"),
        ("https://elsewhere.example/x", "/map"),
        ("//elsewhere.example", "/map"),
        ("/\\elsewhere.example", "/map"),
        ("/\t/elsewhere.example", "/map"),
        ("javascript:alert(1)", "/map"),
        ("map", "/map"),
    ],
)
def test_a_sign_in_leads_only_to_a_path_of_this_site(asked, goes_to):
    assert safe_next(asked) == goes_to

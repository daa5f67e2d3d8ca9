"""`parks user add | passwd | disable | list`: officials made from the command line, their
passwords kept only as argon2id hashes that nothing prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support_people import query

from service.auth.passwords import verify_password

pytestmark = pytest.mark.e2e

PARKS_BIN = Path(sys.executable).with_name("parks")
FIRST, SECOND = "first-password-123", "second-password-456"


def _parks(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [str(PARKS_BIN), "user", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _hash(url: str, name: str) -> str:
    return query(url, "SELECT password_hash FROM app_user WHERE name = :n", n=name)[0][0]


def test_a_user_is_made_listed_given_a_new_password_and_disabled(sample_db_url):
    url = sample_db_url
    made = _parks(
        url, "add", "zhou", "--role", "approver", "--park", "gaoxin", "--park", "fengxiang",
        "--password-stdin", stdin=FIRST + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    stored = _hash(url, "zhou")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(stored, FIRST)
    row = query(url, "SELECT role, parks FROM app_user WHERE name = 'zhou'")[0]
    assert (row.role, row.parks) == ("approver", ["fengxiang", "gaoxin"])

    changed = _parks(url, "passwd", "zhou", "--password-stdin", stdin=SECOND + "\n")
    assert changed.returncode == 0, changed.stderr
    assert verify_password(_hash(url, "zhou"), SECOND)
    assert not verify_password(_hash(url, "zhou"), FIRST)

    # An open session of the user, to be ended by the disabling.
    query(
        url,
        "INSERT INTO user_session (id_sha256, user_name, csrf_token) VALUES ('x', 'zhou', 'c')",
    )
    disabled = _parks(url, "disable", "zhou")
    assert disabled.returncode == 0, disabled.stderr
    assert "1 open session(s) ended" in disabled.stdout
    assert query(url, "SELECT ended_at IS NOT NULL FROM user_session WHERE id_sha256 = 'x'") == [
        (True,)
    ]

    listed = _parks(url, "list")
    assert listed.returncode == 0, listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if ln.startswith("zhou\t"))
    name, role, parks, created, disabled_at = line.split("\t")
    assert (name, role, parks) == ("zhou", "approver", "fengxiang,gaoxin")
    assert created[:2] == "20" and disabled_at != "-"
    for output in (made, changed, disabled, listed):
        text = output.stdout + output.stderr
        assert "$argon2" not in text and FIRST not in text and SECOND not in text


def test_a_user_that_cannot_be_made_is_refused_with_the_reason_and_exit_1(sample_db_url):
    # (Every reason is proven in tests/integration/test_users.py; this is the exit code.)
    result = _parks(
        sample_db_url, "add", "nobody-made", "--role", "editor", "--park", "atlantis",
        "--password-stdin", stdin=FIRST,
    )  # fmt: skip
    assert result.returncode == 1
    assert "unknown park 'atlantis'" in result.stderr
    assert query(sample_db_url, "SELECT 1 FROM app_user WHERE name = 'nobody-made'") == []

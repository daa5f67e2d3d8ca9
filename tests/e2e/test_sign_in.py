"""Signing in through /login: the session cookie, one answer for every wrong name or
password, where a sign-in may lead, the lockout, and the way pages send a visitor to it."""

from __future__ import annotations

import logging
import time

import pytest
from support_people import HTML, PASSWORD, add_user, people_client, post_login, query

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def url(sample_db_url):
    """The sample with its users (each test uses its own names and client address, so the
    lockout counts of one never reach another)."""
    add_user(sample_db_url, "wang", "editor", parks=("gaoxin",))
    add_user(sample_db_url, "li-auditor", "auditor")
    add_user(sample_db_url, "locked-out", "viewer")
    add_user(sample_db_url, "zhao", "viewer")
    return sample_db_url


def _cookie_attributes(response) -> tuple[str, set[str]]:
    header = response.headers["set-cookie"]
    first, *attributes = (part.strip() for part in header.split(";"))
    return first, {a.lower() for a in attributes}


def test_the_sign_in_page_asks_for_name_and_password_and_keeps_next(url):
    with people_client(url) as client:
        page = client.get("/login", params={"next": "/map/caijiapo?focus=CJP-0001"})
    assert page.status_code == 200
    for words in ("用户名", "密码", "登录", 'name="password"', 'type="password"'):
        assert words in page.text
    assert 'name="next" value="/map/caijiapo?focus=CJP-0001"' in page.text


def test_signing_in_sets_an_http_only_same_site_session_cookie_and_goes_to_next(url):
    with people_client(url, address="10.0.1.1") as client:
        response = post_login(client, "wang", next_path="/map/gaoxin")
        assert response.status_code == 303
        assert response.headers["location"] == "/map/gaoxin"
        first, attributes = _cookie_attributes(response)
        name, _, value = first.partition("=")
        assert name == "parks_session" and len(value) == 43
        assert {"httponly", "samesite=lax", "path=/"} <= attributes
        assert "secure" not in attributes  # plain http: a Secure cookie would never return
        session = client.get("/api/session").json()
    assert session["user"] == "wang" and session["via"] == "session"
    # Only the SHA-256 of the cookie's id is stored, with the address it came from.
    import hashlib

    rows = query(
        url,
        "SELECT id_sha256, address FROM user_session WHERE user_name = 'wang' "
        "ORDER BY created_at DESC LIMIT 1",
    )
    assert rows[0].id_sha256 == hashlib.sha256(value.encode()).hexdigest()
    assert rows[0].address == "10.0.1.1"


def test_a_sign_in_posted_from_another_sites_page_is_refused_and_signs_nobody_in(url):
    with people_client(url, address="10.0.1.3") as client:
        elsewhere = client.post(
            "/login",
            data={"name": "zhao", "password": PASSWORD, "next": ""},
            headers={"Origin": "https://elsewhere.example"},
        )
        assert elsewhere.status_code == 403
        assert elsewhere.json()["error"] == "csrf" and "Origin" in elsewhere.json()["message"]
        assert "parks_session" not in elsewhere.cookies
        assert client.get("/api/session").status_code == 401
        # The same form from this site's own page signs in.
        here = client.post(
            "/login",
            data={"name": "zhao", "password": PASSWORD, "next": ""},
            headers={"Origin": "http://testserver"},
        )
        assert here.status_code == 303
    assert (
        query(url, "SELECT count(*) AS n FROM sign_in_attempt WHERE address = '10.0.1.3'")[0].n == 1
    )


def test_over_https_the_session_cookie_is_secure(url):
    with people_client(url, address="10.0.1.2", https=True) as client:
        response = post_login(client, "zhao")
        assert response.status_code == 303
        _, attributes = _cookie_attributes(response)
        assert {"secure", "httponly", "samesite=lax"} <= attributes
        assert client.get("/api/session").json()["user"] == "zhao"


def test_an_unknown_name_and_a_wrong_password_get_the_same_answer_in_the_same_time(url):
    with people_client(url, address="10.0.2.1") as client:
        post_login(client, "nobody-at-all", "warm-up-password")  # first requests pay imports
        timings = {}
        answers = {}
        for case, name in (("unknown", "nobody-here"), ("wrong password", "wang")):
            started = time.perf_counter()
            answers[case] = post_login(client, name, "not-the-password", next_path="/map")
            timings[case] = time.perf_counter() - started
    unknown, wrong = answers["unknown"], answers["wrong password"]
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.text == wrong.text
    assert "用户名或密码错误 / wrong name or password" in wrong.text
    assert "set-cookie" not in wrong.headers
    # Both verify an argon2id hash (a dummy one for the unknown name): neither is a quick
    # "no such user" (loose bounds: other tests share the machine's two cores).
    assert timings["unknown"] > 0.4 * timings["wrong password"], timings


@pytest.mark.parametrize(
    "next_path", ["https://elsewhere.example", "//elsewhere.example", "/\\elsewhere.example"]
)
def test_a_next_that_leaves_the_site_lands_on_the_map(url, next_path):
    with people_client(url, address="10.0.3.1") as client:
        response = post_login(client, "zhao", next_path=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == "/map"


def test_five_failures_lock_the_name_out_whatever_the_password(url, caplog):
    caplog.set_level(logging.INFO, logger="parks.sign_in")
    with people_client(url, address="10.0.4.1") as client:
        for _ in range(5):
            assert post_login(client, "locked-out", "a-wrong-password").status_code == 401
        refused = post_login(client, "locked-out", PASSWORD)  # the right one, too late
        # A name nobody has is locked out alike: the answer tells no names apart.
        for _ in range(6):
            unknown = post_login(client, "nobody-locked", "a-wrong-password")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "set-cookie" not in refused.headers
    assert "too many failed sign-ins" in refused.text
    assert unknown.status_code == 429
    assert unknown.text == refused.text

    rows = query(
        url,
        "SELECT outcome, address FROM sign_in_attempt WHERE user_name = 'locked-out' ORDER BY id",
    )
    assert [r.outcome for r in rows] == ["failure"] * 5 + ["locked"]
    assert {r.address for r in rows} == {"10.0.4.1"}
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "parks.sign_in" and "'locked-out'" in r.getMessage()
    ]
    assert len(lines) == 6
    assert all("at=" in line and "address='10.0.4.1'" in line for line in lines)
    assert [line.rsplit("outcome=", 1)[1] for line in lines] == ["failure"] * 5 + ["locked"]
    assert not any(
        PASSWORD in r.getMessage() or "a-wrong-password" in r.getMessage() for r in caplog.records
    )


def test_too_many_failures_from_one_address_lock_the_address_out(url):
    with people_client(url, address="10.0.5.1", sign_in_address_max_failures=3) as client:
        for name in ("guess-1", "guess-2", "guess-3"):
            assert post_login(client, name, "a-wrong-password").status_code == 401
        refused = post_login(client, "zhao", PASSWORD)
    assert refused.status_code == 429
    assert "retry-after" in refused.headers
    # Another address is not held back by this one.
    with people_client(url, address="10.0.5.2", sign_in_address_max_failures=3) as client:
        assert post_login(client, "zhao", PASSWORD).status_code == 303


def test_with_reads_needing_sign_in_a_page_sends_the_browser_to_login_and_the_api_answers_401(
    url,
):
    with people_client(url, address="10.0.6.1", reads_need_token=True) as client:
        page = client.get("/map", headers=HTML)
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Fmap"
        focused = client.get("/map/gaoxin?focus=GX-0001", headers=HTML)
        assert focused.headers["location"] == "/login?next=%2Fmap%2Fgaoxin%3Ffocus%3DGX-0001"
        api = client.get("/api/parcels", params={"limit": 1})
        assert api.status_code == 401
        assert api.json()["error"] == "unauthorized"

        assert post_login(client, "li-auditor", next_path="/audit").headers["location"] == (
            "/audit"
        )
        assert client.get("/map", headers=HTML).status_code == 200
        audit = client.get("/audit", headers=HTML)
        assert audit.status_code == 200, audit.text[:300]
        assert client.get("/api/parcels", params={"limit": 1}).status_code == 200


def test_a_hash_made_with_older_parameters_is_remade_at_the_next_sign_in(url):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    add_user(url, "old-hash", "viewer")
    query(url, "UPDATE app_user SET password_hash = :h WHERE name = 'old-hash'", h=old)
    with people_client(url, address="10.0.7.1") as client:
        assert post_login(client, "old-hash").status_code == 303
    (stored,) = query(url, "SELECT password_hash FROM app_user WHERE name = 'old-hash'")[0]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and stored != old

"""Users in PostGIS: what may not be made (role, park, name, password), and what a listing
shows (never the hash)."""

from __future__ import annotations

import pytest
from support_people import add_user, small_engine

from parks.errors import InvalidParameter, NotFound
from service.auth.users import create_user, disable_user, list_users, set_password

pytestmark = pytest.mark.integration

GOOD = "a-long-enough-password"


@pytest.mark.parametrize(
    ("name", "role", "parks", "password", "parameter", "says"),
    [
        ("u1", "mayor", (), GOOD, "role", "unknown role 'mayor'"),
        ("u2", "editor", ("gaoxin", "atlantis"), GOOD, "park", "unknown park 'atlantis'"),
        ("u3", "editor", (), "", "password", "the password is empty"),
        ("u4", "editor", (), "nine-char", "password", "at least 10 characters"),
        ("with space", "editor", (), GOOD, "name", "no space"),
        ("", "editor", (), GOOD, "name", "1–64 characters"),
    ],
    ids=["role", "park", "empty-password", "short-password", "space-in-name", "no-name"],
)
def test_a_user_that_breaks_a_rule_is_refused_naming_it(
    sample_db_url, name, role, parks, password, parameter, says
):
    with (
        small_engine(sample_db_url) as engine,
        engine.begin() as conn,
        pytest.raises(InvalidParameter) as refused,
    ):
        create_user(conn, name=name, role=role, parks=parks, password=password)
    assert refused.value.parameter == parameter
    assert says in refused.value.message


def test_a_name_is_taken_once_and_unknown_users_are_not_found(sample_db_url):
    add_user(sample_db_url, "once", "viewer")
    with small_engine(sample_db_url) as engine, engine.begin() as conn:
        with pytest.raises(InvalidParameter, match="exists"):
            create_user(conn, name="once", role="viewer", parks=(), password=GOOD)
        with pytest.raises(NotFound):
            set_password(conn, name="nobody", password=GOOD)
        with pytest.raises(NotFound):
            disable_user(conn, name="nobody")


def test_the_listing_shows_role_parks_and_times_but_never_the_hash(sample_db_url):
    add_user(sample_db_url, "listed", "planner", parks=("jiangtan", "gaoxin", "jiangtan"))
    with small_engine(sample_db_url) as engine, engine.connect() as conn:
        users = {u["name"]: u for u in list_users(conn)}
    listed = users["listed"]
    assert set(listed) == {
        "name", "role", "parks", "created_at", "password_changed_at", "disabled_at",
    }  # fmt: skip
    assert listed["parks"] == ["gaoxin", "jiangtan"]
    assert listed["disabled_at"] is None

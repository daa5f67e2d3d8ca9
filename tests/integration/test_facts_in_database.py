"""Facts the database states too, each with one home:

* the area tolerance is ``parks.units.AREA_TOLERANCE_M2``: the migrations seed the policy
  row with it, the service (at start) and the loader write it there, and the
  reconciliation says when the row holds another;
* the 亩: the database's ``m2_to_mu`` is ``parks.units.m2_to_mu`` to the bit;
* when a lease is in force: ``lease_in_force_on`` and the view ``lease_in_force`` say what
  the queries said before (start to end, both included; open-ended without an end; today
  is the session's ``current_date``), and the planner inlines them.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from support_reads import SAMPLE, connect, database_url
from support_roles import owner_url

from parks.units import AREA_TOLERANCE_M2, m2_to_mu
from service.audit.verify import verify
from service.changes.session import sync_policy
from service.db.engine import make_engine
from service.db.migrate import upgrade
from service.imports.loader import load_dataset

pytestmark = pytest.mark.integration

#: What the queries wrote before the view, written out here to compare with.
IN_FORCE = "(start_date <= {day} AND (end_date IS NULL OR end_date >= {day}))"


@pytest.fixture(scope="module")
def migrated_url(databases) -> str:
    """A database migrated from empty, nothing loaded: the migrations' own values."""
    url = database_url(databases.create(template=databases.postgis_template))
    upgrade(owner_url(url))
    return url


def _policy(url: str) -> tuple[bool, float]:
    with connect(url) as conn:
        return tuple(
            conn.execute(text("SELECT per_park_floor, tolerance_m2 FROM rule_policy")).one()
        )


def _set_policy(url: str, *, per_park_floor: bool, tolerance_m2: float) -> None:
    # Behind the service's back, as the owner: the policy row out of step with the app.
    with connect(owner_url(url)) as conn:
        conn.execute(
            text("UPDATE rule_policy SET per_park_floor = :f, tolerance_m2 = :t"),
            {"f": per_park_floor, "t": tolerance_m2},
        )
        conn.commit()


# --- the tolerance -----------------------------------------------------------------------------


def test_the_migrated_policy_row_and_its_default_hold_the_applications_tolerance(migrated_url):
    assert _policy(migrated_url) == (False, AREA_TOLERANCE_M2)
    with connect(migrated_url) as conn:
        default = conn.execute(
            text(
                "SELECT column_default FROM information_schema.columns "
                "WHERE table_name = 'rule_policy' AND column_name = 'tolerance_m2'"
            )
        ).scalar_one()
    assert float(default) == AREA_TOLERANCE_M2


def test_syncing_the_policy_writes_the_tolerance_and_keeps_the_floor_unless_given(fresh_db_url):
    _set_policy(fresh_db_url, per_park_floor=True, tolerance_m2=5.0)
    with connect(fresh_db_url) as conn:
        assert sync_policy(conn) is True
        assert sync_policy(conn) is False  # nothing to write the second time
        conn.commit()
    assert _policy(fresh_db_url) == (True, AREA_TOLERANCE_M2)
    with connect(fresh_db_url) as conn:
        assert sync_policy(conn, per_park_floor=False) is True
        conn.commit()
    assert _policy(fresh_db_url) == (False, AREA_TOLERANCE_M2)


def test_the_service_starting_writes_the_tolerance_into_the_policy_row(fresh_db_url, make_client):
    _set_policy(fresh_db_url, per_park_floor=False, tolerance_m2=5.0)
    make_client(fresh_db_url)
    assert _policy(fresh_db_url) == (False, AREA_TOLERANCE_M2)


def test_a_load_is_judged_with_the_applications_tolerance(fresh_db_url):
    _set_policy(fresh_db_url, per_park_floor=False, tolerance_m2=5.0)
    engine = make_engine(fresh_db_url)
    try:
        load_dataset(engine, SAMPLE, storage_srid=4545, actor="test")  # all present: no change
    finally:
        engine.dispose()
    assert _policy(fresh_db_url) == (False, AREA_TOLERANCE_M2)


def test_verification_names_a_policy_row_that_judges_with_another_tolerance(fresh_db_url):
    with connect(fresh_db_url) as conn:
        assert verify(conn).ok
    _set_policy(fresh_db_url, per_park_floor=False, tolerance_m2=5.0)
    with connect(fresh_db_url) as conn:
        result = verify(conn)
    assert [(p["check"], p["expected"], p["found"]) for p in result.problems] == [
        ("policy", AREA_TOLERANCE_M2, 5.0)
    ]


# --- the 亩 ---------------------------------------------------------------------------------


AREAS_M2 = [0.0, 0.01, 1.0, 666.6666666666666, 666.6666666666667, 1234.5678, 5_779_779.38, 1e9]


def test_m2_to_mu_in_the_database_is_parks_units_m2_to_mu_to_the_bit(sample_db_url):
    with connect(sample_db_url) as conn:
        fixed = conn.execute(
            text("SELECT a, m2_to_mu(a) FROM unnest(CAST(:areas AS float8[])) AS a"),
            {"areas": AREAS_M2},
        ).all()
        parcels = conn.execute(text("SELECT area_m2, m2_to_mu(area_m2) FROM parcel_version")).all()
    assert len(parcels) > 100
    assert [mu for _, mu in fixed + parcels] == [m2_to_mu(a) for a, _ in fixed + parcels]
    with connect(sample_db_url) as conn:
        assert conn.execute(text("SELECT m2_to_mu(NULL)")).scalar() is None


# --- leases in force ------------------------------------------------------------------------


def test_a_lease_is_in_force_from_its_start_to_its_end_both_included(sample_db_url):
    with connect(sample_db_url) as conn:
        differ = conn.execute(
            text(
                "SELECT l.lease_id, d.day FROM lease l "
                "CROSS JOIN LATERAL (VALUES (l.start_date - 1), (l.start_date), "
                "(coalesce(l.end_date, l.start_date + 9999)), (l.end_date + 1), "
                "(current_date)) AS d(day) "
                "WHERE lease_in_force_on(l.start_date, l.end_date, d.day) "
                f"IS DISTINCT FROM {IN_FORCE.format(day='d.day')}"
            )
        ).all()
        checked = conn.execute(text("SELECT count(*) FROM lease")).scalar_one()
    assert checked > 0
    assert differ == []


@pytest.mark.parametrize(
    ("starts", "ends", "day", "in_force"),
    [
        (date(2025, 1, 1), date(2025, 12, 31), date(2024, 12, 31), False),
        (date(2025, 1, 1), date(2025, 12, 31), date(2025, 1, 1), True),
        (date(2025, 1, 1), date(2025, 12, 31), date(2025, 12, 31), True),
        (date(2025, 1, 1), date(2026, 1, 1) - timedelta(days=1), date(2026, 1, 1), False),
        (date(2025, 1, 1), None, date(2099, 1, 1), True),
        (date(2025, 1, 1), None, date(2024, 12, 31), False),
    ],
)
def test_lease_in_force_on_a_day(sample_db_url, starts, ends, day, in_force):
    with connect(sample_db_url) as conn:
        got = conn.execute(
            text("SELECT lease_in_force_on(CAST(:s AS date), CAST(:e AS date), CAST(:d AS date))"),
            {"s": starts, "e": ends, "d": day},
        ).scalar_one()
    assert got is in_force


def test_the_view_holds_the_leases_in_force_today_as_the_queries_had_them(sample_db_url):
    with connect(sample_db_url) as conn:
        view = conn.execute(text("SELECT * FROM lease_in_force ORDER BY lease_id")).all()
        before = conn.execute(
            text(
                "SELECT lease_id, building_code, tenant, floor, leased_m2, start_date, end_date "
                f"FROM lease WHERE {IN_FORCE.format(day='current_date')} ORDER BY lease_id"
            )
        ).all()
    assert view == before
    assert view


def test_today_is_the_sessions_date_as_before(sample_db_url):
    # 25 hours apart: Kiritimati's date is always a day or two after Pago Pago's.
    with connect(sample_db_url) as conn:
        conn.execute(text("SET TIME ZONE 'Pacific/Kiritimati'"))
        ahead = conn.execute(text("SELECT current_date")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO lease (lease_id, building_code, tenant, floor, leased_m2, "
                "start_date) SELECT 'L-TOMORROW', building_code, 'x', 1, 1, :d "
                "FROM factory_building ORDER BY building_code LIMIT 1"
            ),
            {"d": ahead},
        )
        count = "SELECT count(*) FROM lease_in_force WHERE lease_id = 'L-TOMORROW'"
        assert conn.execute(text(count)).scalar_one() == 1
        conn.execute(text("SET TIME ZONE 'Pacific/Pago_Pago'"))
        assert conn.execute(text(count)).scalar_one() == 0
        conn.rollback()


def test_the_planner_inlines_the_functions_and_the_view(sample_db_url):
    with connect(sample_db_url) as conn:
        plans = [
            "\n".join(conn.execute(text(f"EXPLAIN (VERBOSE) {query}")).scalars())
            for query in (
                "SELECT building_code, sum(leased_m2) FROM lease_in_force GROUP BY 1",
                "SELECT m2_to_mu(area_m2) FROM parcel_version",
                "SELECT * FROM lease l WHERE lease_in_force_on(l.start_date, l.end_date, "
                "coalesce(CAST(NULL AS date), current_date))",
            )
        ]
    for plan in plans:
        assert "lease_in_force_on" not in plan and "m2_to_mu" not in plan, plan
    assert "CURRENT_DATE" in plans[0]
    assert "666.666" in plans[1]

"""The read-only door into PostGIS: connected as ``parks_reader`` (the role ``make db``
makes), a desktop GIS reads the views of the schema ``gis`` — and nothing else.

The views' figures are held to the base tables, queried as their owner with the rules
spelled out here (ST_Area of the stored geometry, a lease in force from its start date to
its end date, 1 亩 = 10000/15 m²), not through the views or the functions they use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from alembic import command
from psycopg import errors
from sqlalchemy.engine import make_url
from support_reads import M2_PER_MU, database_url
from support_roles import owner_url

from service.db.migrate import alembic_config, current_revision, upgrade

pytestmark = pytest.mark.integration

READER = "parks_reader"
GRANTS_SQL = (
    Path(__file__).resolve().parents[2] / "service" / "db" / "sql" / "gis_reader_grants.sql"
)
#: Every view of the schema gis, and the type of its geometry column (None: no geometry).
VIEWS = {
    "parcels": "MULTIPOLYGON",
    "parcel_versions": "MULTIPOLYGON",
    "buildings": "MULTIPOLYGON",
    "leases_in_force": None,
    "projects": "MULTIPOLYGON",
    "parks": "MULTIPOLYGON",
    "context_layers": None,
    "context_points": "MULTIPOINT",
    "context_lines": "MULTILINESTRING",
    "context_polygons": "MULTIPOLYGON",
    "ledger": None,
}
#: Tables the reader must never read, whatever else changes.
SECRET_TABLES = ["parcel_version", "ledger", "api_token", "refusal", "change_set", "lease"]
#: What a refused write can raise: no privilege, a read-only transaction, a view that
#: can't be written through.
WRITE_REFUSED = (
    errors.InsufficientPrivilege,
    errors.ReadOnlySqlTransaction,
    errors.ObjectNotInPrerequisiteState,
    errors.FeatureNotSupported,
)


def _libpq(url: str, *, user: str | None = None) -> str:
    u = make_url(url)
    if user is not None:
        u = u.set(username=user, password=None)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _connect(url: str, *, user: str | None = None) -> Iterator[psycopg.Connection]:
    """As *user*, or as the database's owner (who plants data and grants here)."""
    with psycopg.connect(_libpq(url, user=user or "parks_owner"), autocommit=True) as conn:
        yield conn


def _as_reader(url: str):
    return _connect(url, user=READER)


def _rows(conn: psycopg.Connection, query: str, params=None) -> list[tuple]:
    return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module", autouse=True)
def reader_role() -> None:
    """The role is cluster-wide: `make db` makes it, before the migrations grant it."""
    with _connect(database_url("postgres")) as conn:
        found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER,)).fetchone()
    if not found:
        pytest.fail(f"role {READER} is missing: run `make db` (scripts/ensure-db.sh makes it)")


# --- the role ----------------------------------------------------------------------------


def test_the_reader_can_log_in_and_has_no_other_power(sample_db_url):
    with _connect(sample_db_url) as conn:
        row = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit, "
            "rolreplication, rolbypassrls, coalesce(rolconfig, '{}') "
            "FROM pg_roles WHERE rolname = %s",
            (READER,),
        ).fetchone()
        members = _rows(
            conn,
            "SELECT roleid::regrole::text FROM pg_auth_members WHERE member = %s::regrole",
            (READER,),
        )
    assert row[:7] == (True, False, False, False, False, False, False)
    assert "default_transaction_read_only=on" in row[7]
    assert members == []
    with _as_reader(sample_db_url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (READER,)
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)


# --- what it reads -----------------------------------------------------------------------


def test_the_schema_gis_holds_exactly_the_views_and_no_table(sample_db_url):
    with _connect(sample_db_url) as conn:
        kinds = dict(
            _rows(
                conn,
                "SELECT relname, relkind FROM pg_class "
                "WHERE relnamespace = 'gis'::regnamespace AND relkind <> 'i'",
            )
        )
    assert kinds == {name: "v" for name in VIEWS}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_the_reader_reads_every_view_of_gis(sample_db_url, view):
    with _as_reader(sample_db_url) as conn:
        rows = _rows(conn, f"SELECT * FROM gis.{view}")
    assert rows, f"gis.{view} is empty on the sample"


def test_geometry_columns_lists_each_view_with_its_type_and_srid_4545(sample_db_url):
    with _as_reader(sample_db_url) as conn:
        listed = {
            (schema, table): (column, gtype, srid, dims)
            for schema, table, column, gtype, srid, dims in _rows(
                conn,
                "SELECT f_table_schema, f_table_name, f_geometry_column, type, srid, "
                "coord_dimension FROM geometry_columns",
            )
        }
        srs = _rows(conn, "SELECT auth_name, auth_srid FROM spatial_ref_sys WHERE srid = 4545")
    # geometry_columns shows only what the reader may select: no base table of public.
    assert listed == {
        ("gis", view): ("geom", gtype, 4545, 2) for view, gtype in VIEWS.items() if gtype
    }
    assert srs == [("EPSG", 4545)]


def test_the_current_parcels_are_the_base_tables_current_versions(sample_db_url):
    owner_sql = """
        SELECT v.park, count(*), sum(ST_Area(v.geom)),
               coalesce(sum(ST_Area(v.geom)) FILTER (WHERE c.is_manufacturing), 0)
          FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code
         WHERE v.valid_to IS NULL GROUP BY v.park"""
    reader_sql = """
        SELECT park, count(*), sum(ST_Area(geom)),
               coalesce(sum(area_m2) FILTER (WHERE is_manufacturing), 0)
          FROM gis.parcels GROUP BY park"""
    with _connect(sample_db_url) as conn:
        expected = {r[0]: r[1:] for r in _rows(conn, owner_sql)}
        codes = {
            r[0]
            for r in _rows(conn, "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL")
        }
    with _as_reader(sample_db_url) as conn:
        got = {r[0]: r[1:] for r in _rows(conn, reader_sql)}
        seen = _rows(conn, "SELECT parcel_code FROM gis.parcels")
        units = _rows(conn, "SELECT area_m2, area_mu, area_ha, ST_Area(geom) FROM gis.parcels")
    assert set(got) == set(expected)
    for park, (count, area, manufacturing) in expected.items():
        assert got[park][0] == count
        assert got[park][1] == pytest.approx(area, abs=1e-6)
        assert got[park][2] == pytest.approx(manufacturing, abs=1e-6)
    assert len(seen) == len(codes) == len({c for (c,) in seen})
    assert {c for (c,) in seen} == codes
    for area_m2, area_mu, area_ha, st_area in units:
        assert area_m2 == pytest.approx(st_area, abs=1e-6)
        assert area_mu == pytest.approx(area_m2 / M2_PER_MU, rel=1e-12)
        assert area_ha == pytest.approx(area_m2 / 10000, rel=1e-12)


def test_the_parcel_versions_are_every_version_with_its_period_and_change_sets(sample_db_url):
    columns = "version_id, parcel_code, valid_from, valid_to, change_set_id, ended_by_change_set_id"
    with _connect(sample_db_url) as conn:
        expected = set(_rows(conn, f"SELECT {columns} FROM parcel_version"))
    with _as_reader(sample_db_url) as conn:
        got = set(_rows(conn, f"SELECT {columns} FROM gis.parcel_versions"))
        current = _rows(
            conn,
            "SELECT count(*) FILTER (WHERE is_current), count(*) FILTER (WHERE valid_to IS NULL) "
            "FROM gis.parcel_versions",
        )
        parcels = conn.execute("SELECT count(*) FROM gis.parcels").fetchone()[0]
    assert got == expected
    assert current == [(parcels, parcels)]


IN_FORCE = "start_date <= current_date AND (end_date IS NULL OR end_date >= current_date)"


def test_buildings_show_floor_area_leased_in_force_today_and_vacant(sample_db_url):
    owner_sql = f"""
        SELECT b.building_code, b.floor_area_m2,
               coalesce((SELECT sum(l.leased_m2) FROM lease l
                          WHERE l.building_code = b.building_code AND {IN_FORCE}), 0)
          FROM factory_building b"""
    with _connect(sample_db_url) as conn:
        expected = {code: (floor, leased) for code, floor, leased in _rows(conn, owner_sql)}
    with _as_reader(sample_db_url) as conn:
        got = {
            r[0]: r[1:]
            for r in _rows(
                conn, "SELECT building_code, floor_area_m2, leased_m2, vacant_m2 FROM gis.buildings"
            )
        }
    assert set(got) == set(expected)
    for code, (floor, leased) in expected.items():
        assert got[code][0] == floor
        assert got[code][1] == pytest.approx(leased, abs=1e-6)
        assert got[code][2] == pytest.approx(floor - leased, abs=1e-6)


def test_leases_in_force_are_the_leases_between_their_start_and_end_today(sample_db_url):
    with _connect(sample_db_url) as conn:
        expected = set(
            _rows(conn, f"SELECT lease_id, building_code, leased_m2 FROM lease WHERE {IN_FORCE}")
        )
    with _as_reader(sample_db_url) as conn:
        got = set(_rows(conn, "SELECT lease_id, building_code, leased_m2 FROM gis.leases_in_force"))
    assert got == expected and got


def test_a_projects_site_is_the_union_of_its_current_parcels(sample_db_url):
    owner_sql = """
        SELECT p.project_code,
               (SELECT array_agg(pp.parcel_code ORDER BY pp.parcel_code)
                  FROM project_parcel pp WHERE pp.project_code = p.project_code),
               (SELECT ST_Area(ST_Union(v.geom)) FROM project_parcel pp
                  JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
                 WHERE pp.project_code = p.project_code)
          FROM project p"""
    with _connect(sample_db_url) as conn:
        expected = {r[0]: r[1:] for r in _rows(conn, owner_sql)}
    with _as_reader(sample_db_url) as conn:
        got = {
            r[0]: r[1:]
            for r in _rows(
                conn, "SELECT project_code, parcel_codes, ST_Area(geom) FROM gis.projects"
            )
        }
    assert set(got) == set(expected)
    for code, (parcel_codes, area) in expected.items():
        assert got[code][0] == (parcel_codes or [])
        if area is None:
            assert got[code][1] is None
        else:
            assert got[code][1] == pytest.approx(area, abs=1e-6)


def test_parks_show_their_boundary_current_parcels_and_manufacturing_land(sample_db_url):
    owner_sql = """
        SELECT p.code, ST_AsBinary(p.boundary), count(v.version_id),
               coalesce(sum(ST_Area(v.geom)) FILTER (WHERE c.is_manufacturing), 0)
          FROM park p
          LEFT JOIN parcel_version v ON v.park = p.code AND v.valid_to IS NULL
          LEFT JOIN land_use_class c ON c.code = v.land_use_code
         GROUP BY p.code"""
    with _connect(sample_db_url) as conn:
        expected = {r[0]: r[1:] for r in _rows(conn, owner_sql)}
    with _as_reader(sample_db_url) as conn:
        got = {
            r[0]: r[1:]
            for r in _rows(
                conn,
                "SELECT code, ST_AsBinary(geom), parcels, manufacturing_m2, manufacturing_mu "
                "FROM gis.parks",
            )
        }
    assert set(got) == set(expected)
    for code, (boundary, parcels, manufacturing) in expected.items():
        assert got[code][0] == boundary
        assert got[code][1] == parcels
        assert got[code][2] == pytest.approx(manufacturing, abs=1e-6)
        assert got[code][3] == pytest.approx(manufacturing / M2_PER_MU, rel=1e-12)


def test_the_context_views_hold_every_context_feature_of_every_layer(sample_db_url):
    with _connect(sample_db_url) as conn:
        expected = set(_rows(conn, "SELECT id, layer FROM context_feature"))
        layers = set(_rows(conn, "SELECT name, title_zh, title_en FROM context_layer"))
    with _as_reader(sample_db_url) as conn:
        got = [
            row
            for view in ("context_points", "context_lines", "context_polygons")
            for row in _rows(conn, f"SELECT id, layer FROM gis.{view}")
        ]
        listed = _rows(conn, "SELECT name, title_zh, title_en, features FROM gis.context_layers")
    # The sample has no geometry collection, so every feature is in exactly one view.
    assert sorted(got) == sorted(expected)
    assert {r[:3] for r in listed} == layers
    assert sum(r[3] for r in listed) == len(expected)


def test_the_ledger_is_every_ledger_row_with_its_change_sets_reason(sample_db_url):
    owner_sql = """
        SELECT g.seq, g.change_set_id, g.total_city_m2, g.hash, s.reason
          FROM ledger g JOIN change_set s ON s.id = g.change_set_id"""
    with _connect(sample_db_url) as conn:
        expected = _rows(conn, owner_sql + " ORDER BY g.seq")
    with _as_reader(sample_db_url) as conn:
        got = _rows(
            conn,
            "SELECT seq, change_set_id, total_city_m2, hash, reason FROM gis.ledger ORDER BY seq",
        )
    assert got == expected and got


def test_the_views_have_the_apis_property_names(sample_db_url, make_client):
    client = make_client(sample_db_url)
    with _as_reader(sample_db_url) as conn:
        columns = {
            view: {
                r[0]
                for r in _rows(
                    conn,
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'gis' AND table_name = %s",
                    (view,),
                )
            }
            for view in VIEWS
        }
    features = {
        "parcels": client.get("/api/parcels", params={"limit": 1}).json()["features"],
        "buildings": client.get("/api/buildings").json()["features"],
        "projects": client.get("/api/projects").json()["features"],
    }
    for view, found in features.items():
        assert set(found[0]["properties"]) <= columns[view], view
    assert set(client.get("/api/parks").json()[0]) <= columns["parks"]


# --- and nothing else --------------------------------------------------------------------


@pytest.mark.parametrize("table", SECRET_TABLES)
def test_the_reader_may_not_select_a_base_table(sample_db_url, table):
    with _as_reader(sample_db_url) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(f"SELECT * FROM public.{table} LIMIT 1")


def test_the_reader_has_no_privilege_on_anything_of_public_but_postgis_own(sample_db_url):
    with _as_reader(sample_db_url) as conn:
        granted = _rows(
            conn,
            """
            SELECT c.relname, p.privilege
              FROM pg_class c
              CROSS JOIN unnest(CASE WHEN c.relkind = 'S'
                                     THEN ARRAY['USAGE', 'SELECT', 'UPDATE']
                                     ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE',
                                                'TRUNCATE', 'REFERENCES', 'TRIGGER'] END)
                   AS p(privilege)
             WHERE c.relnamespace = 'public'::regnamespace
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
               AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, p.privilege)
                        ELSE has_table_privilege(c.oid, p.privilege) END
            """,
        )
        relations = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind IN ('r', 'v', 'S')"
        ).fetchone()[0]
    # PostGIS grants PUBLIC these three, and QGIS reads them.
    assert set(granted) == {
        ("spatial_ref_sys", "SELECT"),
        ("geometry_columns", "SELECT"),
        ("geography_columns", "SELECT"),
    }
    assert relations > 30  # the check above looked at the real schema


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO gis.parcels (parcel_code, park) VALUES ('X-1', 'gaoxin')",
        "UPDATE gis.parcels SET holder = 'me'",
        "DELETE FROM gis.parcel_versions",
        "UPDATE gis.leases_in_force SET tenant = 'me'",
        "DELETE FROM gis.ledger",
        "INSERT INTO gis.context_layers (name) VALUES ('x')",
    ],
)
@pytest.mark.parametrize("read_write", [False, True], ids=["as_logged_in", "read_write_asked"])
def test_a_write_through_a_view_fails(sample_db_url, statement, read_write):
    with _as_reader(sample_db_url) as conn:
        if read_write:
            conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(WRITE_REFUSED):
            conn.execute(statement)


def test_the_reader_holds_no_write_privilege_on_any_view(sample_db_url):
    with _as_reader(sample_db_url) as conn:
        granted = _rows(
            conn,
            """
            SELECT c.relname, p.privilege
              FROM pg_class c
              CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                                      'REFERENCES', 'TRIGGER']) AS p(privilege)
             WHERE c.relnamespace = 'gis'::regnamespace
               AND has_table_privilege(c.oid, p.privilege)
            """,
        )
    assert granted == []


@pytest.mark.parametrize("schema", ["gis", "public"])
def test_the_reader_may_not_create_a_table(sample_db_url, schema):
    with _as_reader(sample_db_url) as conn:
        with pytest.raises(errors.ReadOnlySqlTransaction):
            conn.execute(f"CREATE TABLE {schema}.mine (a int)")
        # Asking for a read-write transaction doesn't help: no CREATE on the schema.
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f"CREATE TABLE {schema}.mine (a int)")
        assert conn.execute("SELECT has_schema_privilege(%s, 'CREATE')", (schema,)).fetchone() == (
            False,
        )


def test_a_function_of_the_readers_own_sees_no_lease_the_view_leaves_out(fresh_db_url):
    # Leases not in force are nowhere in gis: gis.leases_in_force is a security barrier, so
    # a cheap function of the reader's (in pg_temp) in the WHERE runs only on the rows the
    # view shows. Without the barrier, the same query sees the others too.
    with _connect(fresh_db_url) as conn:
        conn.execute(
            "INSERT INTO lease (lease_id, building_code, tenant, floor, leased_m2, start_date, "
            "end_date) SELECT 'OLD-1', building_code, 'hidden tenant', 1, 10, "
            "current_date - 400, current_date - 30 FROM factory_building "
            "ORDER BY building_code LIMIT 1"
        )

    def seen_tenants() -> set[str]:
        notices: list[str] = []
        with _as_reader(fresh_db_url) as conn:
            conn.add_notice_handler(lambda d: notices.append(d.message_primary))
            conn.execute("SET default_transaction_read_only = off")
            conn.execute(
                "CREATE FUNCTION pg_temp.peek(text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 "
                "AS $$ BEGIN RAISE NOTICE '%', $1; RETURN true; END $$"
            )
            conn.execute("SELECT * FROM gis.leases_in_force WHERE pg_temp.peek(tenant)").fetchall()
        return set(notices)

    seen = seen_tenants()
    assert seen and "hidden tenant" not in seen
    with _connect(fresh_db_url) as conn:
        conn.execute("ALTER VIEW gis.leases_in_force RESET (security_barrier)")
    assert "hidden tenant" in seen_tenants()


# --- the grants: re-runnable, and they take away what they don't list -----------------------

ACL_SNAPSHOT = """
SELECT 'rel ' || c.oid::regclass::text, coalesce(c.relacl::text, '')
  FROM pg_class c WHERE c.relnamespace IN ('gis'::regnamespace, 'public'::regnamespace)
UNION ALL
SELECT 'fn ' || p.oid::regprocedure::text, coalesce(p.proacl::text, '')
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'ns ' || nspname, coalesce(nspacl::text, '') FROM pg_namespace
 WHERE nspname IN ('gis', 'public')
UNION ALL
SELECT 'default ' || defaclrole::regrole::text || ' ' || defaclnamespace::text || ' '
       || defaclobjtype::text, defaclacl::text FROM pg_default_acl
UNION ALL
SELECT 'db', coalesce(datacl::text, '') FROM pg_database WHERE datname = current_database()
ORDER BY 1
"""


def _run_grants(url: str) -> None:
    with _connect(url) as conn:
        conn.execute(GRANTS_SQL.read_text(encoding="utf-8"))


def test_running_the_grants_again_changes_nothing(fresh_db_url):
    # A database copied from a template has no ACL of its own (PostgreSQL doesn't copy it):
    # the first run here grants CONNECT again; all else the migration already granted.
    def snapshot() -> list[tuple[str, str]]:
        # An ACL's entries in a stable order: a revoke and re-grant moves an entry to the
        # end of the list without changing what it grants.
        with _connect(fresh_db_url) as conn:
            return [
                (name, ",".join(sorted(acl.strip("{}").split(","))))
                for name, acl in _rows(conn, ACL_SNAPSHOT)
            ]

    before = snapshot()
    _run_grants(fresh_db_url)
    once = snapshot()
    _run_grants(fresh_db_url)
    twice = snapshot()
    assert twice == once
    assert [r for r in once if r[0] != "db"] == [r for r in before if r[0] != "db"]
    assert f"{READER}=c/" in dict(once)["db"]


def test_running_the_grants_takes_back_what_they_do_not_give(fresh_db_url):
    with _connect(fresh_db_url) as conn:
        conn.execute(f"GRANT SELECT, INSERT ON parcel_version, api_token TO {READER}")
        conn.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {READER}"
        )
        conn.execute("CREATE TABLE gis.stray (a int)")
        conn.execute(f"GRANT SELECT ON gis.stray TO {READER}")
        conn.execute("CREATE VIEW gis.later AS SELECT 1 AS one")
    with _as_reader(fresh_db_url) as conn:
        conn.execute("SELECT count(*) FROM api_token").fetchone()  # the stray grant works
    _run_grants(fresh_db_url)
    with _connect(fresh_db_url) as conn:
        conn.execute("CREATE TABLE public.made_later (a int)")
        defaults = _rows(conn, "SELECT defaclacl::text FROM pg_default_acl")
    assert all(READER not in acl for (acl,) in defaults)
    with _as_reader(fresh_db_url) as conn:
        for table in ("public.parcel_version", "public.api_token", "gis.stray", "made_later"):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM {table}")
        assert conn.execute("SELECT one FROM gis.later").fetchone() == (1,)


# --- the migration ------------------------------------------------------------------------


def _reader_traces(conn: psycopg.Connection) -> list[tuple]:
    """What of this database refers to the reader: its privileges here, and on it."""
    return _rows(
        conn,
        "SELECT classid::regclass::text, objid FROM pg_shdepend "
        "WHERE refobjid = %s::regrole "
        "AND (dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "  OR (classid = 'pg_database'::regclass "
        "      AND objid = (SELECT oid FROM pg_database WHERE datname = current_database())))",
        (READER,),
    )


def test_the_migration_goes_down_leaving_no_trace_of_the_reader_and_up_again(empty_db_url):
    upgrade(owner_url(empty_db_url))
    with _connect(empty_db_url) as conn:
        assert _reader_traces(conn)
    command.downgrade(alembic_config(owner_url(empty_db_url)), "0009")
    assert current_revision(owner_url(empty_db_url)) == "0009"
    with _connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('gis')").fetchone() == (None,)
        assert _reader_traces(conn) == []
    upgrade(owner_url(empty_db_url))
    with _as_reader(empty_db_url) as conn:
        assert conn.execute("SELECT count(*) FROM gis.parcels").fetchone() == (0,)
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM public.parcel_version")

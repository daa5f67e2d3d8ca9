"""The migrations build the models' schema from an empty PostGIS database, reach the head
revision, are idempotent, agree with the models, and index every geometry column."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import Geometry, alembic_helpers
from sqlalchemy import text
from support_reads import connect, database_url, row_counts
from support_roles import owner_url

from parks.landuse import read_classes
from service.db.migrate import alembic_config, current_revision, upgrade
from service.db.models import Base

pytestmark = pytest.mark.integration

#: Tables PostGIS and Alembic bring along; everything else must come from the models.
NOT_OURS = {"spatial_ref_sys", "alembic_version"}

SCHEMA_SNAPSHOT = """
SELECT 'column' AS kind, table_name || '.' || column_name || ' ' || data_type
       || ' ' || is_nullable || ' ' || coalesce(column_default, '')
       || ' ' || coalesce(generation_expression, '') AS what
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', tgrelid::regclass::text || ' ' || tgname
  FROM pg_trigger WHERE NOT tgisinternal
UNION ALL
SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND NOT EXISTS (
       SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""


def _tables(url: str) -> set[str]:
    with connect(url) as conn:
        return set(
            conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            .scalars()
            .all()
        )


def _snapshot(url: str) -> list[tuple[str, str]]:
    with connect(url) as conn:
        return [tuple(r) for r in conn.execute(text(SCHEMA_SNAPSHOT)).all()]


def _differences(url: str) -> list:
    with connect(url) as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                # geoalchemy2's filter: leaves out PostGIS's own tables and the spatial
                # indexes it names itself, which the models declare as spatial_index=True.
                "include_object": alembic_helpers.include_object,
                "compare_type": True,
                "compare_server_default": True,
            },
        )
        return compare_metadata(context, Base.metadata)


@pytest.fixture(scope="module")
def migrated_url(databases) -> str:
    """A database migrated from empty, shared by the tests that only look at it."""
    url = database_url(databases.create(template=databases.postgis_template))
    upgrade(owner_url(url))
    return url


def test_upgrading_an_empty_database_creates_every_table_and_column_of_the_models(empty_db_url):
    assert current_revision(owner_url(empty_db_url)) is None
    assert _tables(empty_db_url) - NOT_OURS == set()
    upgrade(owner_url(empty_db_url))
    assert _tables(empty_db_url) - NOT_OURS == set(Base.metadata.tables)
    with connect(empty_db_url) as conn:
        columns = conn.execute(
            text(
                "SELECT c.table_name, c.column_name FROM information_schema.columns c "
                "JOIN information_schema.tables t USING (table_schema, table_name) "
                "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
            )
        ).all()
    in_database = {(t, c) for t, c in columns if t not in NOT_OURS}
    in_models = {(t.name, c.name) for t in Base.metadata.tables.values() for c in t.columns}
    assert in_database == in_models


def test_upgrading_reaches_the_single_head_revision(migrated_url):
    heads = ScriptDirectory.from_config(alembic_config(owner_url(migrated_url))).get_heads()
    assert len(heads) == 1, f"the migrations branch: {heads}"
    assert current_revision(owner_url(migrated_url)) == heads[0]


def test_a_second_upgrade_changes_neither_schema_nor_data(migrated_url):
    schema_before, rows_before = _snapshot(migrated_url), row_counts(migrated_url)
    assert {kind for kind, _ in schema_before} == {
        "column",
        "index",
        "constraint",
        "trigger",
        "function",
    }
    revision_before = current_revision(owner_url(migrated_url))
    upgrade(owner_url(migrated_url))
    assert current_revision(owner_url(migrated_url)) == revision_before
    assert _snapshot(migrated_url) == schema_before
    assert row_counts(migrated_url) == rows_before


def test_the_migrations_seed_the_class_table_the_policy_row_and_the_ledger_head(migrated_url):
    with connect(migrated_url) as conn:
        stored = {
            r.code: (r.level, r.parent_code, r.name_zh, r.is_manufacturing)
            for r in conn.execute(
                text(
                    "SELECT code, level, parent_code, name_zh, is_manufacturing FROM land_use_class"
                )
            )
        }
        policy = conn.execute(text("SELECT per_park_floor, tolerance_m2 FROM rule_policy")).all()
        head = conn.execute(text("SELECT last_seq FROM ledger_head")).scalars().all()
    expected = {
        c.code: (c.level, c.code[:2] if c.level == 2 else None, c.name_zh, c.is_manufacturing)
        for c in read_classes()
    }
    assert stored == expected
    assert [code for code, row in stored.items() if row[3]] == ["0601"]
    assert policy == [(False, 0.01)]
    assert head == [0]


def test_the_models_and_the_migrations_agree(migrated_url):
    # Computed area_m2 columns and the exclusion constraint compare clean on this
    # Alembic: no filtering is needed, and none is applied.
    assert _differences(migrated_url) == []


def test_the_model_comparison_notices_a_schema_that_drifted(empty_db_url):
    # Proves the comparison above can fail: a missing index and an extra column show up.
    upgrade(owner_url(empty_db_url))
    with connect(owner_url(empty_db_url)) as conn:
        conn.execute(text("DROP INDEX parcel_current_park"))
        conn.execute(text("ALTER TABLE park ADD COLUMN nickname text"))
        conn.commit()
    differences = _differences(empty_db_url)
    assert any(d[0] == "add_index" and d[1].name == "parcel_current_park" for d in differences)
    assert any(
        d[0] == "remove_column" and d[2] == "park" and d[3].name == "nickname" for d in differences
    )


GIST_INDEXED = """
SELECT DISTINCT c.relname AS table_name, a.attname AS column_name
  FROM pg_index i
  JOIN pg_class ix ON ix.oid = i.indexrelid
  JOIN pg_am am ON am.oid = ix.relam AND am.amname = 'gist'
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
 WHERE i.indpred IS NULL  -- a partial index alone would not serve every query
"""


def test_every_geometry_column_has_a_full_gist_index(migrated_url):
    with connect(migrated_url) as conn:
        geometry_columns = {
            (r.f_table_name, r.f_geometry_column)
            for r in conn.execute(
                text(
                    "SELECT f_table_name, f_geometry_column FROM geometry_columns "
                    "WHERE f_table_schema = 'public'"
                )
            )
        }
        indexed = {tuple(r) for r in conn.execute(text(GIST_INDEXED))}
    in_models = {
        (t.name, c.name)
        for t in Base.metadata.tables.values()
        for c in t.columns
        if isinstance(c.type, Geometry)
    }
    assert geometry_columns == in_models
    assert in_models == {
        ("park", "boundary"),
        ("parcel_version", "geom"),
        ("factory_building", "footprint"),
        ("context_feature", "geom"),
        ("import_feature", "geom"),
    }
    assert geometry_columns - indexed == set()


def test_geometry_is_stored_in_epsg4545_as_the_declared_types(migrated_url):
    with connect(migrated_url) as conn:
        rows = {
            (r.f_table_name, r.f_geometry_column): (r.srid, r.type)
            for r in conn.execute(
                text(
                    "SELECT f_table_name, f_geometry_column, srid, type FROM geometry_columns "
                    "WHERE f_table_schema = 'public'"
                )
            )
        }
    assert rows == {
        ("park", "boundary"): (4545, "MULTIPOLYGON"),
        ("parcel_version", "geom"): (4545, "MULTIPOLYGON"),
        ("factory_building", "footprint"): (4545, "MULTIPOLYGON"),
        ("context_feature", "geom"): (4545, "GEOMETRY"),
        ("import_feature", "geom"): (4545, "MULTIPOLYGON"),
    }


def test_the_imports_migration_goes_down_and_up_again_dropping_its_tables(empty_db_url):
    upgrade(owner_url(empty_db_url))
    with connect(empty_db_url) as conn:
        conn.execute(
            text(
                "INSERT INTO import_run (actor, file_name, ledger_seq) "
                "VALUES ('editor', 'survey.shp', 0)"
            )
        )
        conn.commit()
    command.downgrade(alembic_config(owner_url(empty_db_url)), "0008")
    assert current_revision(owner_url(empty_db_url)) == "0008"
    assert {"import_run", "import_feature"} & _tables(empty_db_url) == set()
    upgrade(owner_url(empty_db_url))
    assert {"import_run", "import_feature"} <= _tables(empty_db_url)
    assert _differences(empty_db_url) == []


# --- the roles: a database written before them is upgraded without losing a row ------------


def test_a_database_written_before_the_roles_keeps_every_row_and_verifies(fresh_db_url):
    """Back at the revision before the roles, the history written by the one role that
    owned everything (here the owner writes by SQL, as it did) survives the upgrade to the
    head row for row; the ledger still verifies, read by the auditor; and the service's
    role then writes as it should."""
    from support_changes import change_set, find_parcels, rezone_op
    from support_roles import role_url

    from parks.operations import ChangeSetRequest
    from service.audit.verify import verify
    from service.changes.apply import apply_change_set
    from service.db.engine import make_engine

    owner = owner_url(fresh_db_url)
    command.downgrade(alembic_config(owner), "0011")
    with connect(owner) as conn:
        code = conn.execute(
            text(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                "AND land_use_code = '0701' ORDER BY parcel_code LIMIT 1"
            )
        ).scalar_one()
        conn.execute(
            text(
                "UPDATE parcel_version SET status = 'idle' WHERE parcel_code = :c "
                "AND valid_to IS NULL"
            ),
            {"c": code},
        )
        conn.commit()
    before = row_counts(owner)
    with connect(owner) as conn:
        head = conn.execute(text("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")).one()

    upgrade(owner)
    assert (
        current_revision(owner)
        == ScriptDirectory.from_config(alembic_config(owner)).get_current_head()
    )
    after = row_counts(owner)
    assert {t: n for t, n in after.items() if t in before} == before
    with connect(role_url(fresh_db_url, "parks_auditor")) as conn:
        assert tuple(
            conn.execute(text("SELECT seq, hash FROM ledger WHERE seq = :s"), {"s": head.seq}).one()
        ) == tuple(head)
        assert verify(conn).body()["problems"] == []

    engine = make_engine(fresh_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            (other,) = find_parcels(
                conn, "v.land_use_code = '0701' AND v.parcel_code <> :c", {"c": code}, limit=1
            )
        request = ChangeSetRequest.model_validate(
            change_set("rezone", rezone_op(other, "0702"), reason="after the upgrade")
        )
        result = apply_change_set(engine, request, actor="upgrade-test", storage_srid=4545)
    finally:
        engine.dispose()
    assert result.ledger_seq == head.seq + 1

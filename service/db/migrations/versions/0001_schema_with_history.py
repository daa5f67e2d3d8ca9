"""Schema with history: parks, land-use classes, parcel versions, change sets, buildings,
leases, projects, the rule's and ledger's tables, tokens, refusals, context layers, targets.

Geometry columns use the storage SRID from the settings (EPSG:4545 by default).

Revision ID: 0001
Revises:
Create Date: 2026-11-27 23:14:40.981506
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from service.settings import get_settings

SRID = get_settings().storage_srid

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "api_token",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("token_sha256", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('viewer', 'planner', 'editor', 'auditor', 'admin')", name="token_role"
        ),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_table(
        "change_set",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document_no", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column(
            "committed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column(
            "txid", sa.BigInteger(), server_default=sa.text("txid_current()"), nullable=False
        ),
        sa.Column(
            "operations",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "effects",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("txid"),
    )
    op.create_table(
        "context_layer",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "land_use_class",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("standard", sa.Text(), server_default="GB/T 21010-2017", nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column(
            "is_manufacturing", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["land_use_class.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("id", name="ledger_head_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_table(
        "park",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column(
            "boundary",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=SRID,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "area_m2", sa.Double(), sa.Computed("ST_Area(boundary)", persisted=True), nullable=False
        ),
        sa.CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name="park_code_format"),
        sa.CheckConstraint("ST_IsValid(boundary)", name="park_boundary_valid"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_geospatial_index(
        "idx_park_boundary",
        "park",
        ["boundary"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "refusal",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("document_no", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("shortfall_m2", sa.Double(), nullable=True),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "operations",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("refusal_at", "refusal", ["at"], unique=False)
    op.create_table(
        "rule_pending",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("park", sa.Text(), nullable=False),
        sa.Column("parcel_code", sa.Text(), nullable=False),
        sa.Column("delta_m2", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("rule_pending_txid", "rule_pending", ["txid"], unique=False)
    op.create_table(
        "rule_policy",
        sa.Column("id", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("per_park_floor", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("tolerance_m2", sa.Double(), server_default=sa.text("0.01"), nullable=False),
        sa.CheckConstraint("id", name="rule_policy_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "rule_txn",
        sa.Column("txid", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("txid"),
    )
    op.create_geospatial_table(
        "context_feature",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("park", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column(
            "properties",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                srid=SRID,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["layer"], ["context_layer.name"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["park"],
            ["park.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("context_feature_layer", "context_feature", ["layer", "park"], unique=False)
    op.create_geospatial_index(
        "idx_context_feature_geom",
        "context_feature",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "factory_building",
        sa.Column("building_code", sa.Text(), nullable=False),
        sa.Column("park", sa.Text(), nullable=False),
        sa.Column("parcel_code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("storeys", sa.SmallInteger(), nullable=False),
        sa.Column("floor_area_m2", sa.Double(), nullable=False),
        sa.Column(
            "footprint",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=SRID,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "footprint_m2",
            sa.Double(),
            sa.Computed("ST_Area(footprint)", persisted=True),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(footprint)", name="building_footprint_valid"),
        sa.CheckConstraint("floor_area_m2 > 0", name="building_floor_area_positive"),
        sa.CheckConstraint("storeys BETWEEN 1 AND 100", name="building_storeys"),
        sa.ForeignKeyConstraint(
            ["park"],
            ["park.code"],
        ),
        sa.PrimaryKeyConstraint("building_code"),
    )
    op.create_index("factory_building_park", "factory_building", ["park"], unique=False)
    op.create_geospatial_index(
        "idx_factory_building_footprint",
        "factory_building",
        ["footprint"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "ledger",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("change_set_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("document_no", sa.Text(), nullable=True),
        sa.Column("delta_city_m2", sa.Double(), nullable=False),
        sa.Column("total_city_m2", sa.Double(), nullable=False),
        sa.Column("high_water_city_m2", sa.Double(), nullable=False),
        sa.Column("delta_parks", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total_parks", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("high_water_parks", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_set_id"],
            ["change_set.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("change_set_id"),
    )
    op.create_index("ledger_at", "ledger", ["at"], unique=False)
    op.create_table(
        "parcel_lineage",
        sa.Column("parent_code", sa.Text(), nullable=False),
        sa.Column("child_code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("change_set_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('split', 'merge')", name="lineage_kind"),
        sa.ForeignKeyConstraint(
            ["change_set_id"],
            ["change_set.id"],
        ),
        sa.PrimaryKeyConstraint("parent_code", "child_code"),
    )
    op.create_index("parcel_lineage_child", "parcel_lineage", ["child_code"], unique=False)
    op.create_geospatial_table(
        "parcel_version",
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("parcel_code", sa.Text(), nullable=False),
        sa.Column("park", sa.Text(), nullable=False),
        sa.Column("land_use_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("holder", sa.Text(), nullable=True),
        sa.Column("supply_mode", sa.Text(), nullable=True),
        sa.Column("supplied_on", sa.Date(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=SRID,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "area_m2", sa.Double(), sa.Computed("ST_Area(geom)", persisted=True), nullable=False
        ),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("change_set_id", sa.BigInteger(), nullable=False),
        sa.Column("ended_by_change_set_id", sa.BigInteger(), nullable=True),
        postgresql.ExcludeConstraint(
            (sa.text("parcel_code"), "="),
            (sa.text("tstzrange(valid_from, valid_to)"), "&&"),
            using="gist",
            name="parcel_periods_do_not_overlap",
        ),
        sa.CheckConstraint(
            "status IN ('reserve', 'ready', 'supplied', 'under_construction', 'operating', 'idle')",
            name="parcel_status_known",
        ),
        sa.CheckConstraint(
            "supply_mode IS NULL OR supply_mode IN ('grant', 'allocate', 'lease')",
            name="parcel_supply_mode",
        ),
        sa.CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="parcel_geom_valid"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="parcel_period_order"),
        sa.ForeignKeyConstraint(
            ["change_set_id"],
            ["change_set.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_change_set_id"],
            ["change_set.id"],
        ),
        sa.ForeignKeyConstraint(
            ["land_use_code"],
            ["land_use_class.code"],
        ),
        sa.ForeignKeyConstraint(
            ["park"],
            ["park.code"],
        ),
        sa.PrimaryKeyConstraint("version_id"),
    )
    op.create_geospatial_index(
        "parcel_current_geom",
        "parcel_version",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text("valid_to IS NULL"),
        postgresql_ops={},
    )
    op.create_index(
        "parcel_current_park",
        "parcel_version",
        ["park", "land_use_code"],
        unique=False,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index(
        "parcel_one_current_version",
        "parcel_version",
        ["parcel_code"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index("parcel_version_change_set", "parcel_version", ["change_set_id"], unique=False)
    op.create_geospatial_index(
        "parcel_version_geom",
        "parcel_version",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "project",
        sa.Column("project_code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("park", sa.Text(), nullable=False),
        sa.Column("investor", sa.Text(), nullable=True),
        sa.Column("industry_chain", sa.Text(), nullable=True),
        sa.Column("investment_yi", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "milestones",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'signed', 'under_construction', 'operating', 'suspended')",
            name="project_status_known",
        ),
        sa.CheckConstraint(
            "investment_yi IS NULL OR investment_yi >= 0", name="project_investment"
        ),
        sa.ForeignKeyConstraint(
            ["park"],
            ["park.code"],
        ),
        sa.PrimaryKeyConstraint("project_code"),
    )
    op.create_index("project_park", "project", ["park"], unique=False)
    op.create_table(
        "target",
        sa.Column("park", sa.Text(), nullable=False),
        sa.Column("min_reserve_mu", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("min_vacant_floor_m2", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "min_reserve_mu >= 0 AND min_vacant_floor_m2 >= 0", name="target_positive"
        ),
        sa.ForeignKeyConstraint(
            ["park"],
            ["park.code"],
        ),
        sa.PrimaryKeyConstraint("park"),
    )
    op.create_table(
        "lease",
        sa.Column("lease_id", sa.Text(), nullable=False),
        sa.Column("building_code", sa.Text(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("floor", sa.SmallInteger(), nullable=False),
        sa.Column("leased_m2", sa.Double(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="lease_period_order"),
        sa.CheckConstraint("floor >= 1", name="lease_floor_positive"),
        sa.CheckConstraint("leased_m2 > 0", name="lease_area_positive"),
        sa.ForeignKeyConstraint(
            ["building_code"],
            ["factory_building.building_code"],
        ),
        sa.PrimaryKeyConstraint("lease_id"),
    )
    op.create_index("lease_building", "lease", ["building_code", "floor"], unique=False)
    op.create_table(
        "project_parcel",
        sa.Column("project_code", sa.Text(), nullable=False),
        sa.Column("parcel_code", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["project_code"], ["project.project_code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_code", "parcel_code"),
    )
    op.create_index("project_parcel_parcel", "project_parcel", ["parcel_code"], unique=False)


def downgrade() -> None:
    op.drop_index("project_parcel_parcel", table_name="project_parcel")
    op.drop_table("project_parcel")
    op.drop_index("lease_building", table_name="lease")
    op.drop_table("lease")
    op.drop_table("target")
    op.drop_index("project_park", table_name="project")
    op.drop_table("project")
    op.drop_geospatial_index(
        "parcel_version_geom",
        table_name="parcel_version",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_index("parcel_version_change_set", table_name="parcel_version")
    op.drop_index(
        "parcel_one_current_version",
        table_name="parcel_version",
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_index(
        "parcel_current_park",
        table_name="parcel_version",
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_geospatial_index(
        "parcel_current_geom",
        table_name="parcel_version",
        postgresql_using="gist",
        postgresql_where=sa.text("valid_to IS NULL"),
        column_name="geom",
    )
    op.drop_geospatial_table("parcel_version")
    op.drop_index("parcel_lineage_child", table_name="parcel_lineage")
    op.drop_table("parcel_lineage")
    op.drop_index("ledger_at", table_name="ledger")
    op.drop_table("ledger")
    op.drop_geospatial_index(
        "idx_factory_building_footprint",
        table_name="factory_building",
        postgresql_using="gist",
        column_name="footprint",
    )
    op.drop_index("factory_building_park", table_name="factory_building")
    op.drop_geospatial_table("factory_building")
    op.drop_geospatial_index(
        "idx_context_feature_geom",
        table_name="context_feature",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_index("context_feature_layer", table_name="context_feature")
    op.drop_geospatial_table("context_feature")
    op.drop_table("rule_txn")
    op.drop_table("rule_policy")
    op.drop_index("rule_pending_txid", table_name="rule_pending")
    op.drop_table("rule_pending")
    op.drop_index("refusal_at", table_name="refusal")
    op.drop_table("refusal")
    op.drop_geospatial_index(
        "idx_park_boundary", table_name="park", postgresql_using="gist", column_name="boundary"
    )
    op.drop_geospatial_table("park")
    op.drop_table("ledger_head")
    op.drop_table("land_use_class")
    op.drop_table("context_layer")
    op.drop_table("change_set")
    op.drop_table("api_token")

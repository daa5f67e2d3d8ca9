"""Imports: a surveyor's file brought in as one change set, after a stored dry run.

* ``import_run``: one import — who made its dry run and when, the file's name, the options
  it was run with, its outcome as JSON (how the file was read, the problems, the skipped
  rows, the diff, the rule's effect: enough to rebuild ``service.imports.outcome``), the
  ledger head it was judged against (``ledger_seq``: an apply is refused as stale once the
  ledger moved on), its status (``dry_run``, ``applied``, ``refused``) and, once applied,
  its change set and when.
* ``import_feature``: the features of the file as the dry run mapped and translated them
  (geometry in the storage CRS), with the dry run's verdict (``new``, ``changed``,
  ``unchanged``), the kinds a changed one changes by and whether it is left out
  (``--skip-invalid``). The apply writes the parcel versions from these rows, set-based.
  Deleted with their import.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from service.settings import get_settings

SRID = get_settings().storage_srid

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_run",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column(
            "options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), server_default="dry_run", nullable=False),
        sa.Column("change_set_id", sa.BigInteger(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('dry_run', 'applied', 'refused')", name="import_run_status"),
        sa.CheckConstraint(
            "change_set_id IS NULL OR status = 'applied'", name="import_run_applied"
        ),
        sa.ForeignKeyConstraint(["change_set_id"], ["change_set.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("import_run_created_at", "import_run", ["created_at"])
    op.create_geospatial_table(
        "import_feature",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("parcel_code", sa.Text(), nullable=True),
        sa.Column("park", sa.Text(), nullable=True),
        sa.Column("land_use_code", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("holder", sa.Text(), nullable=True),
        sa.Column("supply_mode", sa.Text(), nullable=True),
        sa.Column("supplied_on", sa.Date(), nullable=True),
        sa.Column("declared_area_m2", sa.Double(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=SRID,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("verdict", sa.Text(), nullable=True),
        sa.Column(
            "kinds",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("skipped", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint(
            "verdict IS NULL OR verdict IN ('new', 'changed', 'unchanged')",
            name="import_feature_verdict",
        ),
        sa.ForeignKeyConstraint(["import_id"], ["import_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("import_id", "row_no"),
    )
    op.create_geospatial_index(
        "idx_import_feature_geom",
        "import_feature",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("import_feature_code", "import_feature", ["import_id", "parcel_code"])


def downgrade() -> None:
    op.drop_index("import_feature_code", table_name="import_feature")
    op.drop_geospatial_index(
        "idx_import_feature_geom",
        table_name="import_feature",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("import_feature")
    op.drop_index("import_run_created_at", table_name="import_run")
    op.drop_table("import_run")

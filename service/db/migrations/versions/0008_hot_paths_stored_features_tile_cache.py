"""The hot paths: each current parcel's GeoJSON feature stored once, and made vector tiles
kept for every worker.

* ``parcel_feature``: for each *current* parcel version, the text of its GeoJSON feature
  as ``GET /api/parcels`` gives it (EPSG:4326, 7 decimals), in two parts — ``head`` (type,
  id, geometry, the properties up to ``land_use_code``) and ``tail`` (``status`` to
  ``area_ha``). A version never changes, so the text is made once, by statement triggers
  on ``parcel_version`` (a version inserted standing; a standing version amended in its
  own transaction; a closed or dropped version's row removed). The page query puts the
  parts together with what may change or depends on the session: the class's names and
  manufacturing flag (``land_use_class`` may be edited), ``valid_from`` (written in the
  session's time zone) and ``change_set_id``. A version without a row (triggers disabled)
  is still served: the page query makes its feature as before.
* ``tile_cache`` (UNLOGGED: a cache, not data — not WAL-logged, emptied after a crash):
  made Mapbox Vector Tiles, gzipped, keyed by layer, tile, park filter, storage SRID and
  the version of the data they were made from: the ledger's sequence (every transaction
  that changes a parcel appends a ledger row), ``map_data_epoch`` (below) and, for the
  buildings (leases in force *today*), the date. Shared by every worker and process that
  serves the database; old versions are pruned by the service.
* ``map_data_epoch``: one counter, raised by statement triggers on the other tables tiles
  are made from (parks, land-use classes, buildings, leases, projects and their parcels,
  context layers and features), none of which writes a ledger row.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables tiles are made from that change without a ledger row.
MAP_DATA_TABLES = (
    "park",
    "land_use_class",
    "factory_building",
    "lease",
    "project",
    "project_parcel",
    "context_layer",
    "context_feature",
)

# Written out here, not read from a file, so that this migration never changes.
UPGRADE = (
    """
CREATE TABLE parcel_feature (
    version_id bigint PRIMARY KEY,
    head text NOT NULL,
    tail text NOT NULL
)
""",
    # The parts, spelled as json_build_object spells them (service/sql/parcels_features.sql
    # makes the same text for a version without a row).
    """
CREATE FUNCTION parcel_feature_head(v parcel_version) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '{"type" : "Feature", "id" : ' || to_json(v.parcel_code)
        || ', "geometry" : ' || ST_AsGeoJSON(ST_Transform(v.geom, 4326), 7)
        || ', "properties" : {"parcel_code" : ' || to_json(v.parcel_code)
        || ', "park" : ' || to_json(v.park)
        || ', "land_use_code" : ' || to_json(v.land_use_code)
$$
""",
    """
CREATE FUNCTION parcel_feature_tail(v parcel_version) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ', "status" : ' || to_json(v.status)
        || ', "holder" : ' || coalesce(to_json(v.holder)::text, 'null')
        || ', "supply_mode" : ' || coalesce(to_json(v.supply_mode)::text, 'null')
        || ', "supplied_on" : ' || coalesce(to_json(v.supplied_on)::text, 'null')
        || ', "area_m2" : ' || round(v.area_m2::numeric, 2)
        || ', "area_mu" : ' || round(m2_to_mu(v.area_m2)::numeric, 4)
        || ', "area_ha" : ' || round((v.area_m2 / 10000)::numeric, 4)
$$
""",
    """
CREATE FUNCTION parcel_feature_store() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        -- Closed (or dropped) versions leave the table; amended standing ones are redone.
        DELETE FROM parcel_feature f USING old_rows o WHERE f.version_id = o.version_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO parcel_feature (version_id, head, tail)
        SELECT n.version_id, parcel_feature_head(n), parcel_feature_tail(n)
          FROM new_rows n
         WHERE n.valid_to IS NULL
        ON CONFLICT (version_id) DO UPDATE SET head = EXCLUDED.head, tail = EXCLUDED.tail;
    END IF;
    RETURN NULL;
END $$
""",
    "CREATE TRIGGER parcel_feature_insert AFTER INSERT ON parcel_version "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION parcel_feature_store()",
    "CREATE TRIGGER parcel_feature_update AFTER UPDATE ON parcel_version "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION parcel_feature_store()",
    "CREATE TRIGGER parcel_feature_delete AFTER DELETE ON parcel_version "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION parcel_feature_store()",
    """
INSERT INTO parcel_feature (version_id, head, tail)
SELECT v.version_id, parcel_feature_head(v), parcel_feature_tail(v)
  FROM parcel_version v
 WHERE v.valid_to IS NULL
""",
    """
CREATE TABLE map_data_epoch (
    id boolean PRIMARY KEY DEFAULT true CONSTRAINT map_data_epoch_single_row CHECK (id),
    epoch bigint NOT NULL
)
""",
    "INSERT INTO map_data_epoch (id, epoch) VALUES (true, 0)",
    """
CREATE FUNCTION map_data_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Once per transaction: a load writes these tables statement by statement, and each
    -- update of the one row would leave a version behind for the next one to step over.
    IF current_setting('parks.map_data_changed_in', true)
       IS DISTINCT FROM txid_current()::text THEN
        UPDATE map_data_epoch SET epoch = epoch + 1 WHERE id;
        PERFORM set_config('parks.map_data_changed_in', txid_current()::text, true);
    END IF;
    RETURN NULL;
END $$
""",
    *(
        f"CREATE TRIGGER {table}_map_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION map_data_changed()"
        for table in MAP_DATA_TABLES
    ),
    """
CREATE UNLOGGED TABLE tile_cache (
    layer text NOT NULL,
    z smallint NOT NULL,
    x integer NOT NULL,
    y integer NOT NULL,
    park text NOT NULL,
    srid integer NOT NULL,
    version text NOT NULL,
    ledger_seq bigint NOT NULL,
    epoch bigint NOT NULL,
    day date,
    body_gzip bytea NOT NULL,
    size_bytes integer NOT NULL,
    sha1 text NOT NULL,
    made_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (layer, z, x, y, park, srid, version)
)
""",
    # Already compressed: stored out of line as it is, not compressed again.
    "ALTER TABLE tile_cache ALTER COLUMN body_gzip SET STORAGE EXTERNAL",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE tile_cache")
    for table in reversed(MAP_DATA_TABLES):
        op.execute(f"DROP TRIGGER {table}_map_data_changed ON {table}")
    op.execute("DROP FUNCTION map_data_changed()")
    op.execute("DROP TABLE map_data_epoch")
    for name in ("parcel_feature_delete", "parcel_feature_update", "parcel_feature_insert"):
        op.execute(f"DROP TRIGGER {name} ON parcel_version")
    op.execute("DROP FUNCTION parcel_feature_store()")
    op.execute("DROP FUNCTION parcel_feature_tail(parcel_version)")
    op.execute("DROP FUNCTION parcel_feature_head(parcel_version)")
    op.execute("DROP TABLE parcel_feature")

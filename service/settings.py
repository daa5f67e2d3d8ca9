"""Configuration from the environment (prefix ``PARKS_``; the database from ``DATABASE_URL``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+psycopg://parks_app@127.0.0.1:5432/parks"


class Settings(BaseSettings):
    """Every knob the CLI, the service and the migrations share."""

    model_config = SettingsConfigDict(env_prefix="PARKS_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "PARKS_DATABASE_URL"),
        description="SQLAlchemy URL of the PostGIS database, as the service's role "
        "(parks_app: the DML each table needs, owns nothing).",
    )
    owner_database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("PARKS_OWNER_DATABASE_URL"),
        description="SQLAlchemy URL the migrations run with, as the schema's owner "
        "(parks_owner); default: DATABASE_URL with parks_owner as its user.",
    )
    read_database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of a streaming replica (as parks_app) for the reads that "
        "tolerate a short lag: map pages, tiles, search, OGC API, exports. Writes, the rule "
        "and a writer's reads of its own change stay on DATABASE_URL. Unset: one database.",
    )
    read_max_lag_s: float = Field(
        30.0,
        gt=0,
        description="A replica further behind the primary than this serves no reads (they "
        "go to the primary until it catches up).",
    )
    storage_srid: int = Field(
        4545, description="EPSG code of the planar CRS geometry is stored in."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    per_park_floor: bool = Field(
        False, description="Apply the never-decrease rule to each park's own total as well."
    )
    reads_need_token: bool = Field(
        False,
        description="Reads need a viewer (or better) token or a signed-in session; pages "
        "then send an anonymous visitor to /login.",
    )
    editors_apply_directly: bool = Field(
        False,
        description="Editors may apply change sets (and imports) directly; otherwise they "
        "propose, an approver approves, and only admins (and admin tokens) apply directly.",
    )
    session_idle_minutes: float = Field(
        30, gt=0, description="A signed-in session ends after this long without a request."
    )
    session_lifetime_hours: float = Field(
        12, gt=0, description="A signed-in session ends this long after sign-in, used or not."
    )
    sign_in_max_failures: int = Field(
        5, ge=1, description="Failed sign-ins for one name within the window before a lockout."
    )
    sign_in_window_minutes: float = Field(
        15, gt=0, description="The window the failed sign-ins are counted in."
    )
    sign_in_address_max_failures: int = Field(
        20,
        ge=1,
        description="Failed sign-ins from one address within the window before it "
        "is refused too (whatever names it tries).",
    )
    timezone: str = Field(
        "Asia/Shanghai", description="Zone of dates and times given without one (as_of=2025-12-31)."
    )
    basemap: Literal["none", "osm", "tianditu", "custom"] = "none"
    tile_url: str | None = Field(None, description="XYZ template for the tianditu/custom basemap.")
    tianditu_key: str | None = Field(None, description="天地图 key (basemap tianditu).")
    tianditu_layer: Literal["vec", "img"] = Field(
        "vec", description="天地图 layer: vec (vector) or img (imagery)."
    )
    map_vector_tile_threshold: int = Field(
        5000, description="Above this many features a map layer is served as vector tiles."
    )
    tile_cache_max_mb: float = Field(
        256,
        ge=0,
        description="Made vector tiles are kept, gzipped, in the database's unlogged table "
        "tile_cache, shared by every worker, until the data they show change; at most about "
        "this many MB of them (the older half is dropped above it). 0: no cache, every tile "
        "is made when it is asked for.",
    )

    # --- limits that keep one careless or hostile client from hurting everyone ----------
    db_pool_size: int = Field(10, ge=1, le=200, description="Database connections per worker.")
    db_pool_overflow: int = Field(
        5, ge=0, le=200, description="Extra connections a worker may open under load."
    )
    max_concurrent_requests: int | None = Field(
        None,
        ge=1,
        description="Requests a worker serves at once; default db_pool_size + db_pool_overflow "
        "(each request holds at most one connection, so none waits for the pool).",
    )
    queue_wait_s: float = Field(
        2.0,
        ge=0,
        le=60,
        description="How long a request waits for a free slot before a 503 with Retry-After.",
    )
    max_json_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest JSON request body (413 above it)."
    )
    max_upload_bytes: int = Field(
        200 * 1024 * 1024,
        ge=1024,
        description="Largest upload (multipart/form-data or a file body; 413 above it).",
    )
    header_timeout_s: float = Field(
        10.0, gt=0, description="Seconds a client has to send a request's headers."
    )
    body_timeout_s: float = Field(
        15.0, gt=0, description="Seconds a client may pause while sending a request body (408)."
    )
    max_parcel_vertices: int = Field(
        20_000, ge=4, description="Vertices one parcel's geometry may have."
    )
    max_change_set_vertices: int = Field(
        200_000, ge=4, description="Vertices all the geometries of one change set may have."
    )
    max_text_chars: int = Field(
        500,
        ge=1,
        description="Length of a name-like text (holder, tenant, name, document number) in "
        "every operation.",
    )
    max_reason_chars: int = Field(2000, ge=1, description="Length of a change set's reason.")
    min_parcel_area_m2: float = Field(
        1.0, ge=0, description="Smallest parcel area accepted (m², in the storage CRS)."
    )
    digest_key: Path | None = Field(
        None,
        description="The Ed25519 private key (PEM, mode 0600) `parks audit digest` signs the "
        "ledger's head with when no --key is given; made by `parks audit keygen`. Keep it "
        "off the database server.",
    )
    # --- running it: time limits, logs, metrics, backups ------------------------------
    request_time_limit_s: float = Field(
        60.0,
        gt=0,
        description="Longest a read may work in the database (its statements are cancelled "
        "after it: 503 request_timeout).",
    )
    long_request_time_limit_s: float = Field(
        600.0,
        gt=0,
        description="Longest an import, export or report may work in the database.",
    )
    log_format: Literal["json", "text"] = Field(
        "json", description="Log lines as JSON (one object a line) or as plain text."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="The least severe log level written."
    )
    metrics_need_token: bool = Field(
        False,
        description="/metrics needs an auditor or admin token (otherwise it is open, for a "
        "Prometheus on the same host or network).",
    )
    backup_dir: Path | None = Field(
        None,
        description="Where `parks backup` writes when no --out is given (one directory per "
        "backup, named by its time).",
    )
    refusal_body_cap_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Bytes of a refused change set's body kept in the refusal log (the SHA-256 "
        "of the whole body is kept beside them).",
    )

    @model_validator(mode="after")
    def _basemap_complete(self) -> Settings:
        # Caught when the service starts, not when an official opens the map.
        if self.basemap == "custom" and not self.tile_url:
            raise ValueError("PARKS_BASEMAP=custom needs PARKS_TILE_URL (an XYZ template)")
        if (
            self.tile_url
            and self.basemap in ("custom", "tianditu")
            and not all(part in self.tile_url for part in ("{z}", "{x}", "{y}"))
        ):
            raise ValueError("PARKS_TILE_URL must be an XYZ template with {z}, {x} and {y}")
        if self.basemap == "tianditu" and not (self.tianditu_key or self.tile_url):
            raise ValueError("PARKS_BASEMAP=tianditu needs PARKS_TIANDITU_KEY (or PARKS_TILE_URL)")
        return self

    @property
    def migration_url(self) -> str:
        """The URL the migrations run with: the owner's."""
        from service.db.roles import OWNER_ROLE, as_role

        return self.owner_database_url or as_role(self.database_url, OWNER_ROLE)

    @field_validator("database_url", "owner_database_url", "read_database_url")
    @classmethod
    def _psycopg3(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # A bare postgresql:// URL would make SQLAlchemy look for psycopg2; we ship psycopg 3.
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.removeprefix("postgres://")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()

"""The database schema as SQLAlchemy 2 / GeoAlchemy2 models.

Geometry columns are stored in the planar storage CRS (``PARKS_STORAGE_SRID``, EPSG:4545 by
default); ``area_m2`` columns are computed by PostGIS from the geometry and never written
by clients. The migrations create exactly these tables (plus the rule's triggers, which
live in ``service/db/sql``, and the view ``lease_in_force`` with the functions
``lease_in_force_on`` and ``m2_to_mu``, migration 0006).
"""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parks.units import AREA_TOLERANCE_M2
from parks.vocabulary import FeatureVerdict, ImportStatus, ParcelStatus, ProjectStatus, SupplyMode
from service.settings import get_settings

SRID = get_settings().storage_srid


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


#: The roles of tokens and users (parks.vocabulary.Role), as SQL.
_ROLES = "'viewer', 'planner', 'editor', 'approver', 'auditor', 'admin'"


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Park(Base):
    """An industrial park: its code is the key every other table uses."""

    __tablename__ = "park"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    boundary = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False
    )
    area_m2: Mapped[float] = mapped_column(Double, Computed("ST_Area(boundary)", persisted=True))

    __table_args__ = (
        CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name="park_code_format"),
        CheckConstraint("ST_IsValid(boundary)", name="park_boundary_valid"),
    )


class LandUseClass(Base):
    """A land-use class of a classification standard; the flag decides what counts as
    manufacturing land."""

    __tablename__ = "land_use_class"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    standard: Mapped[str] = mapped_column(Text, server_default="GB/T 21010-2017")
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("land_use_class.code"))
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    is_manufacturing: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class LandUseClassFlag(Base):
    """A land-use class's manufacturing flag over time: in force from ``valid_from`` until
    ``valid_to`` (NULL: now), set by change set ``change_set_id`` (NULL: the flag the class
    had when the history began, in force since '-infinity'). Written by the database when
    a flag changes (``service/db/sql/admin.sql``, migration 0015); append-only but for
    closing the standing row. The past is judged by it ("as of" totals, ``verify``)."""

    __tablename__ = "land_use_class_flag"

    code: Mapped[str] = mapped_column(ForeignKey("land_use_class.code"), primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    is_manufacturing: Mapped[bool] = mapped_column(Boolean)
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    change_set_id: Mapped[int | None] = mapped_column(ForeignKey("change_set.id"))

    __table_args__ = (
        CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="class_flag_period_order"
        ),
        ExcludeConstraint(
            (text("code"), "="),
            (text("tstzrange(valid_from, valid_to)"), "&&"),
            name="class_flag_periods_do_not_overlap",
            using="gist",
        ),
        Index(
            "class_flag_one_standing",
            "code",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
    )


class ChangeSet(Base):
    """One atomic, recorded land transaction. At most one per database transaction."""

    __tablename__ = "change_set"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    document_no: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    committed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    txid: Mapped[int] = mapped_column(BigInteger, server_default=func.txid_current(), unique=True)
    operations: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    effects: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    #: Set when the change set applied an approved proposal: the actor is the approver,
    #: committed_at the approval's moment; these name the proposer and when they proposed.
    proposal_id: Mapped[int | None] = mapped_column(BigInteger)
    proposed_by: Mapped[str | None] = mapped_column(Text)
    proposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ParcelVersion(Base):
    """One state of a parcel, valid from ``valid_from`` until ``valid_to`` (NULL: current)."""

    __tablename__ = "parcel_version"

    version_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    parcel_code: Mapped[str] = mapped_column(Text)
    park: Mapped[str] = mapped_column(ForeignKey("park.code"))
    land_use_code: Mapped[str] = mapped_column(ForeignKey("land_use_class.code"))
    status: Mapped[str] = mapped_column(Text)
    holder: Mapped[str | None] = mapped_column(Text)
    supply_mode: Mapped[str | None] = mapped_column(Text)
    supplied_on: Mapped[date | None] = mapped_column(Date)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False)
    area_m2: Mapped[float] = mapped_column(Double, Computed("ST_Area(geom)", persisted=True))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_set.id"))
    ended_by_change_set_id: Mapped[int | None] = mapped_column(ForeignKey("change_set.id"))
    content_sha256: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("status", ParcelStatus), name="parcel_status_known"),
        CheckConstraint(
            "supply_mode IS NULL OR " + _in("supply_mode", SupplyMode), name="parcel_supply_mode"
        ),
        CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="parcel_geom_valid"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="parcel_period_order"),
        # Closed versions only; the standing one is checked on insert (sql/periods.sql).
        ExcludeConstraint(
            (text("parcel_code"), "="),
            (text("tstzrange(valid_from, valid_to)"), "&&"),
            name="parcel_periods_do_not_overlap",
            using="gist",
            where=text("valid_to IS NOT NULL"),
        ),
        Index("parcel_version_code", "parcel_code", "valid_from"),
        Index(
            "parcel_one_current_version",
            "parcel_code",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("parcel_version_geom", "geom", postgresql_using="gist"),
        Index(
            "parcel_current_geom",
            "geom",
            postgresql_using="gist",
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index(
            "parcel_current_park",
            "park",
            "land_use_code",
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("parcel_version_change_set", "change_set_id"),
        Index(
            "parcel_version_ended_by",
            "ended_by_change_set_id",
            postgresql_where=text("ended_by_change_set_id IS NOT NULL"),
        ),
        Index(
            "parcel_version_period",
            text("tstzrange(valid_from, valid_to)"),
            postgresql_using="gist",
        ),
    )


class ParcelLineage(Base):
    """Which parcel became which: a split's parent and parts, a merge's inputs and result."""

    __tablename__ = "parcel_lineage"

    parent_code: Mapped[str] = mapped_column(Text, primary_key=True)
    child_code: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_set.id"))

    __table_args__ = (
        CheckConstraint("kind IN ('split', 'merge')", name="lineage_kind"),
        Index("parcel_lineage_child", "child_code"),
    )


class FactoryBuilding(Base):
    """A standard factory building (标准化厂房) whose floors are leased to tenants."""

    __tablename__ = "factory_building"

    building_code: Mapped[str] = mapped_column(Text, primary_key=True)
    park: Mapped[str] = mapped_column(ForeignKey("park.code"))
    parcel_code: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    storeys: Mapped[int] = mapped_column(SmallInteger)
    floor_area_m2: Mapped[float] = mapped_column(Double)
    footprint = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False
    )
    footprint_m2: Mapped[float] = mapped_column(
        Double, Computed("ST_Area(footprint)", persisted=True)
    )

    __table_args__ = (
        CheckConstraint("storeys BETWEEN 1 AND 100", name="building_storeys"),
        CheckConstraint("floor_area_m2 > 0", name="building_floor_area_positive"),
        CheckConstraint("ST_IsValid(footprint)", name="building_footprint_valid"),
        Index("factory_building_park", "park"),
    )


class Lease(Base):
    """Floor area of one storey of a building let to a tenant."""

    __tablename__ = "lease"

    lease_id: Mapped[str] = mapped_column(Text, primary_key=True)
    building_code: Mapped[str] = mapped_column(ForeignKey("factory_building.building_code"))
    tenant: Mapped[str] = mapped_column(Text)
    floor: Mapped[int] = mapped_column(SmallInteger)
    leased_m2: Mapped[float] = mapped_column(Double)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("leased_m2 > 0", name="lease_area_positive"),
        CheckConstraint("floor >= 1", name="lease_floor_positive"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="lease_period_order"),
        Index("lease_building", "building_code", "floor"),
    )


class Project(Base):
    """A key investment project (重点项目) and its milestones."""

    __tablename__ = "project"

    project_code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    park: Mapped[str] = mapped_column(ForeignKey("park.code"))
    investor: Mapped[str | None] = mapped_column(Text)
    industry_chain: Mapped[str | None] = mapped_column(Text)
    investment_yi: Mapped[float | None] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(Text)
    milestones: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))

    __table_args__ = (
        CheckConstraint(_in("status", ProjectStatus), name="project_status_known"),
        CheckConstraint("investment_yi IS NULL OR investment_yi >= 0", name="project_investment"),
        Index("project_park", "park"),
    )


class ProjectParcel(Base):
    """A parcel a project uses."""

    __tablename__ = "project_parcel"

    project_code: Mapped[str] = mapped_column(
        ForeignKey("project.project_code", ondelete="CASCADE"), primary_key=True
    )
    parcel_code: Mapped[str] = mapped_column(Text, primary_key=True)

    __table_args__ = (Index("project_parcel_parcel", "parcel_code"),)


# --- the rule and the ledger ---------------------------------------------------------


class RulePolicy(Base):
    """The rule's settings the database itself reads (one row). The service writes them
    when it starts (``service.changes.session.sync_policy``): the tolerance is
    ``parks.units.AREA_TOLERANCE_M2``. Changed only through ``admin_set_rule_policy``,
    each change a change set (migration 0015)."""

    __tablename__ = "rule_policy"

    id: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    per_park_floor: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    tolerance_m2: Mapped[float] = mapped_column(
        Double, server_default=text(repr(AREA_TOLERANCE_M2))
    )

    __table_args__ = (CheckConstraint("id", name="rule_policy_single_row"),)


class LedgerHead(Base):
    """The lock committers of one city take in turn, and the ledger's sequence."""

    __tablename__ = "ledger_head"

    id: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (CheckConstraint("id", name="ledger_head_single_row"),)


class RulePending(Base):
    """This transaction's change in manufacturing area, per parcel; emptied at commit."""

    __tablename__ = "rule_pending"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    park: Mapped[str] = mapped_column(Text)
    parcel_code: Mapped[str] = mapped_column(Text)
    delta_m2: Mapped[float] = mapped_column(Double)

    __table_args__ = (Index("rule_pending_txid", "txid"),)


class RuleTxn(Base):
    """Marks a transaction the rule must judge at commit (its row fires the check)."""

    __tablename__ = "rule_txn"

    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class Ledger(Base):
    """Append-only: one row per committed change set, hash-chained."""

    __tablename__ = "ledger"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_set.id"), unique=True)
    kind: Mapped[str] = mapped_column(Text)
    document_no: Mapped[str | None] = mapped_column(Text)
    delta_city_m2: Mapped[float] = mapped_column(Double)
    total_city_m2: Mapped[float] = mapped_column(Double)
    high_water_city_m2: Mapped[float] = mapped_column(Double)
    delta_parks: Mapped[dict] = mapped_column(JSONB)
    total_parks: Mapped[dict] = mapped_column(JSONB)
    high_water_parks: Mapped[dict] = mapped_column(JSONB)
    prev_hash: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text)
    #: Which canonical text ``hash`` covers (service/db/sql/rule.sql): 1 without the
    #: high-water marks (rows written before migration 0013), 2 with them.
    row_format: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))

    __table_args__ = (
        Index("ledger_at", "at"),
        CheckConstraint("row_format IN (1, 2)", name="ledger_row_format_known"),
    )


class TotalsEffect(Base):
    """One committed change set's effect on the land of one (park, land-use class, status):
    the parcels and area it made minus those it ended, dated by the change set. Written by
    the database at commit (``service/db/sql/effects.sql``); "as of" totals add them up."""

    __tablename__ = "totals_effect"

    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_set.id"), primary_key=True)
    park: Mapped[str] = mapped_column(Text, primary_key=True)
    land_use_code: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(Text, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    parcels_delta: Mapped[int] = mapped_column(BigInteger)
    area_delta_m2: Mapped[float] = mapped_column(Numeric)

    __table_args__ = (Index("totals_effect_at", "at", "change_set_id"),)


class TotalsSnapshot(Base):
    """The totals of every (park, land-use class, status) as of a cut: the effects dated at
    or before it, added up (taken every few thousand effect rows, at a commit)."""

    __tablename__ = "totals_snapshot"

    cut_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    park: Mapped[str] = mapped_column(Text, primary_key=True)
    land_use_code: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(Text, primary_key=True)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_set.id"))
    parcels: Mapped[int] = mapped_column(BigInteger)
    area_m2: Mapped[float] = mapped_column(Numeric)


class TotalsPending(Base):
    """This transaction's change to the effects; recorded and emptied at commit."""

    __tablename__ = "totals_pending"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    change_set_id: Mapped[int] = mapped_column(BigInteger)
    park: Mapped[str] = mapped_column(Text)
    land_use_code: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    parcels_delta: Mapped[int] = mapped_column(BigInteger)
    area_delta_m2: Mapped[float] = mapped_column(Numeric)

    __table_args__ = (Index("totals_pending_txid", "txid"),)


class TotalsTxn(Base):
    """Marks a transaction whose change to the effects is recorded at commit."""

    __tablename__ = "totals_txn"

    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class LedgerDigest(Base):
    """A signed digest of the ledger's head taken by ``parks audit digest``: the document
    and its Ed25519 signature, as written to the digest's file outside the database
    (``service.audit.digests``). Only a listing, append-only (migration 0014): the file
    and the public key are what verification trusts."""

    __tablename__ = "ledger_digest"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(Text)
    document: Mapped[dict] = mapped_column(JSONB)
    signature: Mapped[str] = mapped_column(Text)


class ApiToken(Base):
    """A bearer token: only its SHA-256 is kept."""

    __tablename__ = "api_token"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    role: Mapped[str] = mapped_column(Text)
    token_sha256: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint(f"role IN ({_ROLES})", name="token_role"),)


class AppUser(Base):
    """A named official who signs in (migration 0016). Only an argon2id hash of the
    password is kept; *parks* limits an editor or approver (empty: every park)."""

    __tablename__ = "app_user"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    role: Mapped[str] = mapped_column(Text)
    parks: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    password_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "length(name) BETWEEN 1 AND 64 AND name !~ '[[:space:][:cntrl:]]'",
            name="app_user_name_check",
        ),
        CheckConstraint(f"role IN ({_ROLES})", name="app_user_role_check"),
    )


class UserSession(Base):
    """A signed-in browser: the SHA-256 of its cookie's random id, its CSRF token, and
    when it was made, last used and ended."""

    __tablename__ = "user_session"

    id_sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    user_name: Mapped[str] = mapped_column(Text, ForeignKey("app_user.name"))
    csrf_token: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("user_session_user", "user_name", postgresql_where=text("ended_at IS NULL")),
    )


class SignInAttempt(Base):
    """One sign-in attempt: the name tried, the address, the outcome (never a password)."""

    __tablename__ = "sign_in_attempt"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    user_name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(
            "outcome IN ('success', 'failure', 'locked')", name="sign_in_attempt_outcome_check"
        ),
        Index("sign_in_attempt_user_at", "user_name", "at"),
        Index("sign_in_attempt_address_at", "address", "at"),
    )


class Proposal(Base):
    """A change set proposed by one official, stored with its dry run and applied only when
    another approves it. *basis*: each touched parcel's version id when proposed."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(Text, server_default=text("'open'"))
    kind: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    document_no: Mapped[str | None] = mapped_column(Text)
    request: Mapped[dict] = mapped_column(JSONB)
    parks: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    basis: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    dry_run: Mapped[dict] = mapped_column(JSONB)
    proposed_by: Mapped[str] = mapped_column(Text)
    proposed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    change_set_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("change_set.id"))

    __table_args__ = (
        CheckConstraint("status IN ('open', 'approved', 'rejected')", name="proposal_status_check"),
        CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="proposal_check"),
        CheckConstraint(
            "status <> 'approved' OR change_set_id IS NOT NULL", name="proposal_check1"
        ),
        CheckConstraint(
            "decided_by IS NULL OR decided_by <> proposed_by OR status = 'rejected'",
            name="proposal_check2",
        ),
        Index("proposal_status", "status", text("proposed_at DESC")),
    )


class Refusal(Base):
    """A change set the rule (or validation) refused: who, when, what, and why. Its land
    data was never stored. Its body is kept capped (``service.changes.refusals``): the
    first ``refusal_body_cap_bytes`` as text, the whole's length and SHA-256."""

    __tablename__ = "refusal"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    document_no: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(Text)
    shortfall_m2: Mapped[float | None] = mapped_column(Double)
    detail: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    body: Mapped[str] = mapped_column(Text)
    body_bytes: Mapped[int] = mapped_column(BigInteger)
    body_sha256: Mapped[str] = mapped_column(Text)
    body_truncated: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("refusal_at", "at"),)


# --- context layers (roads, rivers, ...) -----------------------------------------------


class ContextLayer(Base):
    """A named layer of context features (roads, rail, river, ...): data, not code."""

    __tablename__ = "context_layer"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)


class ContextFeature(Base):
    """One feature of a context layer."""

    __tablename__ = "context_feature"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    layer: Mapped[str] = mapped_column(ForeignKey("context_layer.name", ondelete="CASCADE"))
    park: Mapped[str | None] = mapped_column(ForeignKey("park.code"))
    name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    geom = mapped_column(Geometry("GEOMETRY", srid=SRID, spatial_index=True), nullable=False)

    __table_args__ = (Index("context_feature_layer", "layer", "park"),)


class Target(Base):
    """What a park must keep: reserve land ready to supply and vacant factory floor.
    Changed only through ``admin_set_target`` / ``admin_add_target``, each change a change
    set (migration 0015)."""

    __tablename__ = "target"

    park: Mapped[str] = mapped_column(ForeignKey("park.code"), primary_key=True)
    min_reserve_mu: Mapped[float] = mapped_column(Double, server_default=text("0"))
    min_vacant_floor_m2: Mapped[float] = mapped_column(Double, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("min_reserve_mu >= 0 AND min_vacant_floor_m2 >= 0", name="target_positive"),
    )


# --- the hot paths' stores (migration 0008) --------------------------------------------------


class ParcelFeature(Base):
    """The GeoJSON feature text of each current parcel version (EPSG:4326, 7 decimals), in
    two parts, made once by statement triggers on ``parcel_version`` (migration 0008);
    ``service/sql/parcels_features.sql`` puts a page together from it."""

    __tablename__ = "parcel_feature"

    version_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    head: Mapped[str] = mapped_column(Text)
    tail: Mapped[str] = mapped_column(Text)


class MapDataEpoch(Base):
    """Raised by every statement that changes a table vector tiles are made from, other
    than ``parcel_version`` (whose changes the ledger counts): part of a kept tile's key."""

    __tablename__ = "map_data_epoch"

    id: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    epoch: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("id", name="map_data_epoch_single_row"),)


class TileCache(Base):
    """Made vector tiles, gzipped, keyed by the version of the data they were made from
    (``version``: ledger sequence, map data epoch and, for buildings, the day). A cache:
    UNLOGGED, pruned by the service (``service.maps.tiles``)."""

    __tablename__ = "tile_cache"

    layer: Mapped[str] = mapped_column(Text, primary_key=True)
    z: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    x: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    y: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    park: Mapped[str] = mapped_column(Text, primary_key=True)
    srid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[str] = mapped_column(Text, primary_key=True)
    ledger_seq: Mapped[int] = mapped_column(BigInteger)
    epoch: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date | None] = mapped_column(Date)
    body_gzip: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha1: Mapped[str] = mapped_column(Text)
    made_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )

    __table_args__ = {"prefixes": ["UNLOGGED"]}


# --- imports (migration 0009) ---------------------------------------------------------------


class ImportRun(Base):
    """One import of a surveyor's file: its stored dry run (``outcome``: how the file was
    read, the problems, the diff and the rule's effect), the ledger head it was judged
    against, and — once applied — its change set. ``service.imports`` writes and reads it."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    options: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    outcome: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    ledger_seq: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text, server_default=ImportStatus.DRY_RUN.value)
    change_set_id: Mapped[int | None] = mapped_column(ForeignKey("change_set.id"))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("status", ImportStatus), name="import_run_status"),
        CheckConstraint(
            f"change_set_id IS NULL OR status = '{ImportStatus.APPLIED.value}'",
            name="import_run_applied",
        ),
        Index("import_run_created_at", "created_at"),
    )


class ImportFeature(Base):
    """One feature of an imported file as its dry run mapped and translated it (geometry in
    the storage CRS; None: the file does not say), with the dry run's verdict, the kinds a
    changed parcel changes by, and whether ``--skip-invalid`` left it out."""

    __tablename__ = "import_feature"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("import_run.id", ondelete="CASCADE"), primary_key=True
    )
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    parcel_code: Mapped[str | None] = mapped_column(Text)
    park: Mapped[str | None] = mapped_column(Text)
    land_use_code: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    holder: Mapped[str | None] = mapped_column(Text)
    supply_mode: Mapped[str | None] = mapped_column(Text)
    supplied_on: Mapped[date | None] = mapped_column(Date)
    declared_area_m2: Mapped[float | None] = mapped_column(Double)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=True)
    verdict: Mapped[str | None] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    skipped: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        CheckConstraint(
            "verdict IS NULL OR " + _in("verdict", FeatureVerdict),
            name="import_feature_verdict",
        ),
        Index("import_feature_code", "import_id", "parcel_code"),
    )


# --- backups (migration 0018) ---------------------------------------------------------------


class BackupRecord(Base):
    """One backup taken by ``parks backup`` (``service.operations.backup``): the moment of
    its snapshot, the directory it was written to, its dump's SHA-256 and size, and the
    ledger head and schema version it holds. Written by the schema's owner (who takes the
    backups) once the dump is complete, so a backup's own row is never in its dump; read
    by the service (the age of the last backup) and the auditor."""

    __tablename__ = "backup_record"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    location: Mapped[str] = mapped_column(Text)
    dump_sha256: Mapped[str] = mapped_column(Text)
    dump_bytes: Mapped[int] = mapped_column(BigInteger)
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger)
    ledger_hash: Mapped[str | None] = mapped_column(Text)
    schema_version: Mapped[str] = mapped_column(Text)
    taken_by: Mapped[str] = mapped_column(Text, server_default=text("session_user"))

    __table_args__ = (
        CheckConstraint("dump_sha256 ~ '^[0-9a-f]{64}$'", name="backup_record_sha256"),
        Index("backup_record_taken_at", "taken_at"),
    )


# --- land supervision (migration 0019, service/db/sql/supervision.sql) ------------------------


class _Versioned:
    """The history columns of a supervision record: a row is a version, standing from its
    change set's time until a later change set ends it (supervision_history_guard)."""

    version_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_set.id"))
    ended_by_change_set_id: Mapped[int | None] = mapped_column(ForeignKey("change_set.id"))


def _history_args(table: str, *key: str, extra: tuple = ()) -> tuple:
    return (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=f"{table}_period_order"),
        Index(f"{table}_standing", *key, unique=True, postgresql_where=text("valid_to IS NULL")),
        Index(f"{table}_change_set", "change_set_id"),
        *extra,
    )


class Enterprise(_Versioned, Base):
    """An enterprise (企业) that holds land or leases factory floor, by its code
    (统一社会信用代码); ``name`` is how parcels' holder and leases' tenant name it."""

    __tablename__ = "enterprise"

    enterprise_code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    industry: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _history_args(
        "enterprise",
        "enterprise_code",
        extra=(
            CheckConstraint("enterprise_code ~ '^[0-9A-Z-]{1,40}$'", name="enterprise_code_text"),
            Index("enterprise_standing_name", "name", postgresql_where=text("valid_to IS NULL")),
        ),
    )


class SupplyContract(_Versioned, Base):
    """A supply contract (出让合同 / 划拨决定书) of one parcel and what it commits the land
    user to; ``investment_intensity_wan_per_mu`` is computed (万元 per 亩 of the land)."""

    __tablename__ = "supply_contract"

    contract_no: Mapped[str] = mapped_column(Text)
    parcel_code: Mapped[str] = mapped_column(Text)
    park: Mapped[str] = mapped_column(ForeignKey("park.code"))
    holder: Mapped[str] = mapped_column(Text)
    enterprise_code: Mapped[str | None] = mapped_column(Text)
    batch_no: Mapped[str | None] = mapped_column(Text)
    signed_on: Mapped[date] = mapped_column(Date)
    supply_mode: Mapped[str] = mapped_column(Text)
    price_wan: Mapped[float] = mapped_column(Numeric(14, 2))
    land_area_m2: Mapped[float] = mapped_column(Double)
    agreed_start_on: Mapped[date] = mapped_column(Date)
    agreed_completion_on: Mapped[date] = mapped_column(Date)
    committed_investment_wan: Mapped[float] = mapped_column(Numeric(14, 2))
    plot_ratio_min: Mapped[float | None] = mapped_column(Numeric(6, 3))
    plot_ratio_max: Mapped[float | None] = mapped_column(Numeric(6, 3))
    building_coverage_min: Mapped[float | None] = mapped_column(Numeric(5, 4))
    office_share_max: Mapped[float] = mapped_column(Numeric(5, 4), server_default=text("0.07"))
    committed_tax_wan_per_mu_year: Mapped[float | None] = mapped_column(Numeric(12, 3))
    document_no: Mapped[str | None] = mapped_column(Text)
    investment_intensity_wan_per_mu: Mapped[float] = mapped_column(
        Double,
        Computed(
            "committed_investment_wan::double precision / (land_area_m2 * 15 / 10000)",
            persisted=True,
        ),
    )

    __table_args__ = _history_args(
        "supply_contract",
        "contract_no",
        extra=(
            CheckConstraint(_in("supply_mode", SupplyMode), name="supply_contract_mode"),
            CheckConstraint("land_area_m2 > 0", name="supply_contract_area"),
            CheckConstraint(
                "price_wan >= 0 AND committed_investment_wan >= 0", name="supply_contract_amounts"
            ),
            CheckConstraint(
                "agreed_start_on >= signed_on AND agreed_completion_on >= agreed_start_on",
                name="supply_contract_dates",
            ),
            CheckConstraint(
                "(plot_ratio_min IS NULL OR plot_ratio_min > 0) AND (plot_ratio_max IS NULL "
                "OR plot_ratio_min IS NULL OR plot_ratio_max >= plot_ratio_min)",
                name="supply_contract_plot_ratio",
            ),
            CheckConstraint(
                "(building_coverage_min IS NULL OR building_coverage_min BETWEEN 0 AND 1) "
                "AND office_share_max BETWEEN 0 AND 1",
                name="supply_contract_shares",
            ),
            Index(
                "supply_contract_standing_parcel",
                "parcel_code",
                postgresql_where=text("valid_to IS NULL"),
            ),
            Index(
                "supply_contract_standing_park", "park", postgresql_where=text("valid_to IS NULL")
            ),
            # the idle-land list's hot path (migration 0020)
            Index(
                "supply_contract_standing_start",
                "contract_no",
                postgresql_include=["agreed_start_on", "park"],
                postgresql_where=text("valid_to IS NULL"),
            ),
        ),
    )


class SiteProgress(_Versioned, Base):
    """What happened on a contract's land: its start (实际动工), progress reports,
    suspensions and resumptions, and completion acceptance (竣工验收) with the measured
    plot ratio, building coverage and office share; amounts are to date."""

    __tablename__ = "site_progress"

    contract_no: Mapped[str] = mapped_column(Text)
    reported_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(Text)
    developed_area_m2: Mapped[float | None] = mapped_column(Double)
    investment_wan: Mapped[float | None] = mapped_column(Numeric(14, 2))
    plot_ratio: Mapped[float | None] = mapped_column(Numeric(6, 3))
    building_coverage: Mapped[float | None] = mapped_column(Numeric(5, 4))
    office_share: Mapped[float | None] = mapped_column(Numeric(5, 4))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _history_args(
        "site_progress",
        "contract_no",
        "reported_on",
        "kind",
        extra=(
            CheckConstraint(
                "kind IN ('start', 'report', 'suspension', 'resumption', 'completion')",
                name="site_progress_kind",
            ),
            CheckConstraint(
                "(developed_area_m2 IS NULL OR developed_area_m2 >= 0) AND (investment_wan IS "
                "NULL OR investment_wan >= 0) AND (plot_ratio IS NULL OR plot_ratio >= 0) AND "
                "(building_coverage IS NULL OR building_coverage BETWEEN 0 AND 1) AND "
                "(office_share IS NULL OR office_share BETWEEN 0 AND 1)",
                name="site_progress_amounts",
            ),
            # the idle-land list's hot path (migration 0020)
            Index(
                "site_progress_standing_settled",
                "contract_no",
                "reported_on",
                postgresql_where=text("valid_to IS NULL AND kind IN ('start', 'completion')"),
            ),
            Index(
                "site_progress_standing_suspension",
                "reported_on",
                "contract_no",
                postgresql_where=text("valid_to IS NULL AND kind = 'suspension'"),
            ),
            Index(
                "site_progress_standing_amounts",
                "contract_no",
                "reported_on",
                postgresql_include=["kind", "developed_area_m2", "investment_wan"],
                postgresql_where=text("valid_to IS NULL"),
            ),
        ),
    )


class IdleDelay(_Versioned, Base):
    """A delay caused by the government (政府原因), recorded with its document: the idle
    land clock does not run between ``delay_from`` and ``delay_to`` (open: still running)."""

    __tablename__ = "idle_delay"

    contract_no: Mapped[str] = mapped_column(Text)
    delay_from: Mapped[date] = mapped_column(Date)
    delay_to: Mapped[date | None] = mapped_column(Date)
    cause: Mapped[str] = mapped_column(Text)
    document_no: Mapped[str] = mapped_column(Text)

    __table_args__ = _history_args(
        "idle_delay",
        "contract_no",
        "delay_from",
        extra=(
            CheckConstraint("delay_to IS NULL OR delay_to >= delay_from", name="idle_delay_dates"),
        ),
    )


class ApprovalBatch(_Versioned, Base):
    """An approval batch of construction land (建设用地批次: 农用地转用 / 土地征收)."""

    __tablename__ = "approval_batch"

    batch_no: Mapped[str] = mapped_column(Text)
    park: Mapped[str] = mapped_column(ForeignKey("park.code"))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    approved_on: Mapped[date] = mapped_column(Date)
    approved_area_m2: Mapped[float] = mapped_column(Double)
    document_no: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _history_args(
        "approval_batch",
        "batch_no",
        extra=(
            CheckConstraint(
                "kind IN ('conversion', 'expropriation', 'conversion_expropriation')",
                name="approval_batch_kind",
            ),
            CheckConstraint("approved_area_m2 > 0", name="approval_batch_area"),
        ),
    )


class ApprovalBatchParcel(_Versioned, Base):
    """A parcel holding (part of) an approval batch's land, and how much (m²)."""

    __tablename__ = "approval_batch_parcel"

    batch_no: Mapped[str] = mapped_column(Text)
    parcel_code: Mapped[str] = mapped_column(Text)
    area_m2: Mapped[float] = mapped_column(Double)

    __table_args__ = _history_args(
        "approval_batch_parcel",
        "batch_no",
        "parcel_code",
        extra=(
            CheckConstraint("area_m2 > 0", name="approval_batch_parcel_area"),
            Index(
                "approval_batch_parcel_standing_parcel",
                "parcel_code",
                postgresql_where=text("valid_to IS NULL"),
            ),
        ),
    )


class EnterpriseFigures(_Versioned, Base):
    """An enterprise's figures for one year (亩均效益 data), amounts in 万元."""

    __tablename__ = "enterprise_figures"

    enterprise_code: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(SmallInteger)
    tax_wan: Mapped[float] = mapped_column(Numeric(14, 2))
    revenue_wan: Mapped[float] = mapped_column(Numeric(14, 2))
    added_value_wan: Mapped[float | None] = mapped_column(Numeric(14, 2))
    energy_tce: Mapped[float | None] = mapped_column(Numeric(14, 3))
    rd_wan: Mapped[float | None] = mapped_column(Numeric(14, 2))
    employees: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = _history_args(
        "enterprise_figures",
        "year",
        "enterprise_code",
        extra=(
            CheckConstraint("year BETWEEN 1990 AND 2200", name="enterprise_figures_year"),
            CheckConstraint(
                "revenue_wan >= 0 AND (energy_tce IS NULL OR energy_tce >= 0) AND (rd_wan IS "
                "NULL OR rd_wan >= 0) AND (employees IS NULL OR employees >= 0)",
                name="enterprise_figures_amounts",
            ),
        ),
    )


class SupervisionSetting(_Versioned, Base):
    """A setting supervision judges by (idle-land thresholds, evaluation weights, groups
    and grade shares), overriding the default of ``parks.supervision.settings``."""

    __tablename__ = "supervision_setting"

    name: Mapped[str] = mapped_column(Text)
    value: Mapped[dict] = mapped_column(JSONB)

    __table_args__ = _history_args("supervision_setting", "name")


class IdleClockBasis(Base):
    """What a supply contract's idle-land clocks are worked out from, as its standing
    progress reports stand; kept by the database at every write of ``site_progress``
    (migration 0021, service/db/sql/idle_clock_basis.sql), read by the idle list."""

    __tablename__ = "idle_clock_basis"

    contract_no: Mapped[str] = mapped_column(Text, primary_key=True)
    last_event_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    settled_on: Mapped[date | None] = mapped_column(Date)
    completed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    developed_m2: Mapped[float | None] = mapped_column(Double)
    invested_wan: Mapped[float | None] = mapped_column(Numeric(14, 2))
    stall_started_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        Index(
            "idle_clock_basis_unsettled",
            "contract_no",
            postgresql_where=text("settled_on IS NULL"),
        ),
        Index(
            "idle_clock_basis_stalled",
            "stall_started_on",
            postgresql_where=text("stall_started_on IS NOT NULL"),
        ),
        Index("idle_clock_basis_last_event", "last_event_on"),
    )


# --- key projects under the review rhythm (service/db/sql/project_rhythm.sql) ----------------

#: The milestones a key project's plan names, in the order a project reaches them.
_MILESTONES_SQL = (
    "'signing', 'land_supply', 'construction_start', 'structure_complete', "
    "'equipment_installed', 'production_start', 'full_production'"
)


class ProjectOfficial(_Versioned, Base):
    """An official who takes charge of key projects (包抓领导)."""

    __tablename__ = "project_official"

    official_code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _history_args(
        "project_official",
        "official_code",
        extra=(
            CheckConstraint(
                "official_code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'",
                name="project_official_code_text",
            ),
        ),
    )


class ProjectAssignment(_Versioned, Base):
    """An official assigned to a key project (lead 牵头包抓, or member 配合)."""

    __tablename__ = "project_assignment"

    project_code: Mapped[str] = mapped_column(ForeignKey("project.project_code"))
    official_code: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text, server_default=text("'lead'"))
    assigned_on: Mapped[date] = mapped_column(Date)

    __table_args__ = _history_args(
        "project_assignment",
        "project_code",
        "official_code",
        extra=(
            CheckConstraint("role IN ('lead', 'member')", name="project_assignment_role"),
            Index(
                "project_assignment_standing_official",
                "official_code",
                postgresql_where=text("valid_to IS NULL"),
            ),
        ),
    )


class ProjectPlanInvestment(_Versioned, Base):
    """Investment a project's annual plan puts in one month (万元)."""

    __tablename__ = "project_plan_investment"

    project_code: Mapped[str] = mapped_column(ForeignKey("project.project_code"))
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    planned_wan: Mapped[float] = mapped_column(Numeric(14, 2))

    __table_args__ = _history_args(
        "project_plan_investment",
        "project_code",
        "year",
        "month",
        extra=(
            CheckConstraint(
                "year BETWEEN 1990 AND 2200 AND month BETWEEN 1 AND 12",
                name="project_plan_investment_period",
            ),
            CheckConstraint("planned_wan >= 0", name="project_plan_investment_amount"),
            Index(
                "project_plan_investment_standing_year",
                "year",
                "month",
                postgresql_where=text("valid_to IS NULL"),
            ),
        ),
    )


class ProjectPlanMilestone(_Versioned, Base):
    """A milestone a project's annual plan sets a date for (in the plan's year)."""

    __tablename__ = "project_plan_milestone"

    project_code: Mapped[str] = mapped_column(ForeignKey("project.project_code"))
    year: Mapped[int] = mapped_column(SmallInteger)
    milestone: Mapped[str] = mapped_column(Text)
    planned_on: Mapped[date] = mapped_column(Date)

    __table_args__ = _history_args(
        "project_plan_milestone",
        "project_code",
        "year",
        "milestone",
        extra=(
            CheckConstraint(
                f"milestone IN ({_MILESTONES_SQL})", name="project_plan_milestone_known"
            ),
            CheckConstraint(
                "year BETWEEN 1990 AND 2200 AND extract(year FROM planned_on) = year",
                name="project_plan_milestone_in_year",
            ),
            Index(
                "project_plan_milestone_standing_year",
                "year",
                "planned_on",
                postgresql_where=text("valid_to IS NULL"),
            ),
        ),
    )


class ProjectPlanProgress(_Versioned, Base):
    """The image-progress (形象进度) target of a project at a quarter's end."""

    __tablename__ = "project_plan_progress"

    project_code: Mapped[str] = mapped_column(ForeignKey("project.project_code"))
    year: Mapped[int] = mapped_column(SmallInteger)
    quarter: Mapped[int] = mapped_column(SmallInteger)
    target_pct: Mapped[float] = mapped_column(Numeric(5, 2))
    target_text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = _history_args(
        "project_plan_progress",
        "project_code",
        "year",
        "quarter",
        extra=(
            CheckConstraint(
                "year BETWEEN 1990 AND 2200 AND quarter BETWEEN 1 AND 4",
                name="project_plan_progress_period",
            ),
            CheckConstraint("target_pct BETWEEN 0 AND 100", name="project_plan_progress_pct"),
        ),
    )


class ProjectReport(_Versioned, Base):
    """A project's monthly report: investment completed (month, cumulative, 万元), image
    progress, employment and output once operating."""

    __tablename__ = "project_report"

    project_code: Mapped[str] = mapped_column(ForeignKey("project.project_code"))
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    investment_wan: Mapped[float] = mapped_column(Numeric(14, 2))
    cumulative_investment_wan: Mapped[float] = mapped_column(Numeric(14, 2))
    image_progress_text: Mapped[str | None] = mapped_column(Text)
    image_progress_pct: Mapped[float | None] = mapped_column(Numeric(5, 2))
    employment: Mapped[int | None] = mapped_column(Integer)
    output_wan: Mapped[float | None] = mapped_column(Numeric(14, 2))
    reported_on: Mapped[date] = mapped_column(Date)

    __table_args__ = _history_args(
        "project_report",
        "project_code",
        "year",
        "month",
        extra=(
            CheckConstraint(
                "year BETWEEN 1990 AND 2200 AND month BETWEEN 1 AND 12",
                name="project_report_period",
            ),
            Index(
                "project_report_standing_year",
                "year",
                "month",
                postgresql_where=text("valid_to IS NULL"),
            ),
        ),
    )


class ProjectMilestoneReached(_Versioned, Base):
    """The day a project reached a milestone."""

    __tablename__ = "project_milestone_reached"

    project_code: Mapped[str] = mapped_column(ForeignKey("project.project_code"))
    milestone: Mapped[str] = mapped_column(Text)
    reached_on: Mapped[date] = mapped_column(Date)

    __table_args__ = _history_args(
        "project_milestone_reached",
        "project_code",
        "milestone",
        extra=(
            CheckConstraint(
                f"milestone IN ({_MILESTONES_SQL})", name="project_milestone_reached_known"
            ),
        ),
    )


class ProjectVisit(_Versioned, Base):
    """A site visit (观摩) to a project, with its score (0..100) where it was scored."""

    __tablename__ = "project_visit"

    project_code: Mapped[str] = mapped_column(ForeignKey("project.project_code"))
    visited_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(Text, server_default=text("'weekly'"))
    visitors: Mapped[str] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Numeric(5, 2))

    __table_args__ = _history_args(
        "project_visit",
        "project_code",
        "visited_on",
        extra=(
            CheckConstraint("kind IN ('weekly', 'inspection')", name="project_visit_kind"),
            CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="project_visit_score"),
            Index(
                "project_visit_standing_day",
                "visited_on",
                postgresql_where=text("valid_to IS NULL"),
            ),
        ),
    )


class ProjectProblem(_Versioned, Base):
    """A problem raised on a project (问题清单), who owns it, when it is due, where it
    stands; each change is a new version."""

    __tablename__ = "project_problem"

    problem_no: Mapped[str] = mapped_column(Text)
    project_code: Mapped[str] = mapped_column(ForeignKey("project.project_code"))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    raised_on: Mapped[date] = mapped_column(Date)
    department: Mapped[str] = mapped_column(Text)
    official_code: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, server_default=text("'open'"))
    resolution: Mapped[str | None] = mapped_column(Text)
    solved_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = _history_args(
        "project_problem",
        "problem_no",
        extra=(
            CheckConstraint(
                "category IN ('land', 'planning_approval', 'financing', 'power_water', "
                "'labour', 'other')",
                name="project_problem_category",
            ),
            CheckConstraint(
                "status IN ('open', 'in_progress', 'solved')", name="project_problem_status"
            ),
            CheckConstraint(
                "due_on >= raised_on AND (solved_on IS NULL OR solved_on >= raised_on)",
                name="project_problem_dates",
            ),
            CheckConstraint(
                "(status = 'solved') = (solved_on IS NOT NULL) AND (status <> 'solved' OR "
                "resolution IS NOT NULL)",
                name="project_problem_solved",
            ),
            Index(
                "project_problem_standing_project",
                "project_code",
                postgresql_where=text("valid_to IS NULL"),
            ),
            Index("project_problem_history", "problem_no", "valid_from"),
        ),
    )


class ProjectSetting(_Versioned, Base):
    """A setting the rhythm's outputs judge by (parks/projects/settings.py names them)."""

    __tablename__ = "project_setting"

    name: Mapped[str] = mapped_column(Text)
    value: Mapped[dict] = mapped_column(JSONB)

    __table_args__ = _history_args("project_setting", "name")

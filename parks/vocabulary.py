"""The product's words, as closed sets where the domain fixes them, and their names.

Parks and land-use classes are *data* (tables loaded from files); only the sets that the
rules themselves depend on live here. This is their one home: the database's CHECK
constraints (tests/integration/test_vocabulary_in_database.py), the map's legend and
popups (``maps.style``; the page script's supply modes are checked against it) and the
API all take them from here.
"""

from __future__ import annotations

from enum import StrEnum


class ParcelStatus(StrEnum):
    """Where a parcel stands in the land-supply cycle."""

    RESERVE = "reserve"  # 储备: held by the land bank
    READY = "ready"  # 待供应: serviced, can be supplied now
    SUPPLIED = "supplied"  # 已供应: granted, allocated or leased to a holder
    UNDER_CONSTRUCTION = "under_construction"  # 在建
    OPERATING = "operating"  # 投产
    IDLE = "idle"  # 闲置


STATUS_NAMES_ZH: dict[str, str] = {
    ParcelStatus.RESERVE: "储备",
    ParcelStatus.READY: "待供应",
    ParcelStatus.SUPPLIED: "已供应",
    ParcelStatus.UNDER_CONSTRUCTION: "在建",
    ParcelStatus.OPERATING: "投产",
    ParcelStatus.IDLE: "闲置",
}
STATUS_NAMES_EN: dict[str, str] = {
    ParcelStatus.RESERVE: "Reserve",
    ParcelStatus.READY: "Ready for supply",
    ParcelStatus.SUPPLIED: "Supplied",
    ParcelStatus.UNDER_CONSTRUCTION: "Under construction",
    ParcelStatus.OPERATING: "Operating",
    ParcelStatus.IDLE: "Idle",
}

#: Statuses whose land the city can still hand to a new project.
AVAILABLE_STATUSES: frozenset[str] = frozenset({ParcelStatus.RESERVE, ParcelStatus.READY})


class SupplyMode(StrEnum):
    """How land is supplied to a holder."""

    GRANT = "grant"  # 出让
    ALLOCATE = "allocate"  # 划拨
    LEASE = "lease"  # 租赁


SUPPLY_MODE_NAMES_ZH: dict[str, str] = {
    SupplyMode.GRANT: "出让",
    SupplyMode.ALLOCATE: "划拨",
    SupplyMode.LEASE: "租赁",
}
SUPPLY_MODE_NAMES_EN: dict[str, str] = {
    SupplyMode.GRANT: "Grant",
    SupplyMode.ALLOCATE: "Allocation",
    SupplyMode.LEASE: "Lease",
}


class ProjectStatus(StrEnum):
    """The stage a key project (重点项目) is at."""

    PLANNED = "planned"  # 谋划
    SIGNED = "signed"  # 签约
    UNDER_CONSTRUCTION = "under_construction"  # 在建
    OPERATING = "operating"  # 投产
    SUSPENDED = "suspended"  # 停缓建


PROJECT_STATUS_NAMES_ZH: dict[str, str] = {
    ProjectStatus.PLANNED: "谋划",
    ProjectStatus.SIGNED: "签约",
    ProjectStatus.UNDER_CONSTRUCTION: "在建",
    ProjectStatus.OPERATING: "投产",
    ProjectStatus.SUSPENDED: "停缓建",
}
PROJECT_STATUS_NAMES_EN: dict[str, str] = {
    ProjectStatus.PLANNED: "Planned",
    ProjectStatus.SIGNED: "Signed",
    ProjectStatus.UNDER_CONSTRUCTION: "Under construction",
    ProjectStatus.OPERATING: "Operating",
    ProjectStatus.SUSPENDED: "Suspended",
}


class ChangeKind(StrEnum):
    """Kinds of land change set (and of the operations inside one)."""

    REGISTER = "register"
    REZONE = "rezone"
    RESHAPE = "reshape"
    SPLIT = "split"
    MERGE = "merge"
    SUPPLY = "supply"
    SET_STATUS = "set_status"
    RETIRE = "retire"
    IMPORT = "import"  # a surveyor's file brought in: any of the above, by feature
    # A setting changed by an admin function in the database (no parcel changes):
    CLASS_FLAG = "class_flag"  # a land-use class counted as manufacturing land or not
    RULE_POLICY = "rule_policy"  # the rule's per-park floor or tolerance
    TARGET = "target"  # a park's minimum reserve land or vacant factory floor
    # Land supervision's records (no parcel changes; service/db/versioned_records.py):
    SUPERVISION = "supervision"  # supply contracts, progress, delays, approval batches
    FIGURES = "figures"  # enterprises' yearly figures (亩均效益 data) brought in
    SUPERVISION_SETTING = "supervision_setting"  # a threshold, weight or grade share
    # Key projects' records (no parcel changes; service/projects/writes.py):
    PROJECTS = "projects"  # plans, monthly reports, visits, problems, officials
    PROJECT_SETTING = "project_setting"  # a ranking criterion's weight, a threshold


#: The kinds only the database's admin functions record (``service/db/sql/admin.sql``):
#: a change set submitted with operations on parcels may not be of these kinds.
SETTING_KINDS: frozenset[str] = frozenset(
    {ChangeKind.CLASS_FLAG, ChangeKind.RULE_POLICY, ChangeKind.TARGET}
)

#: The kinds of change set that record land supervision's and key projects' records
#: (contracts, progress, figures, plans, reports, problems, settings), never operations on
#: parcels.
RECORD_KINDS: frozenset[str] = frozenset(
    {
        ChangeKind.SUPERVISION,
        ChangeKind.FIGURES,
        ChangeKind.SUPERVISION_SETTING,
        ChangeKind.PROJECTS,
        ChangeKind.PROJECT_SETTING,
    }
)


class ImportStatus(StrEnum):
    """Where an import of a surveyor's file stands."""

    DRY_RUN = "dry_run"  # 试运行: checked, diffed and judged; nothing of it applied
    APPLIED = "applied"  # 已入库: applied as one change set (or found to change nothing)
    REFUSED = "refused"  # 被规则拒绝: the rule refused the apply


IMPORT_STATUS_NAMES_ZH: dict[str, str] = {
    ImportStatus.DRY_RUN: "试运行",
    ImportStatus.APPLIED: "已入库",
    ImportStatus.REFUSED: "被规则拒绝",
}


class FeatureVerdict(StrEnum):
    """What a dry run found a feature of an imported file to be, against the parcels."""

    NEW = "new"  # its code does not stand: it is registered
    CHANGED = "changed"  # it changes a standing parcel
    UNCHANGED = "unchanged"  # it says what the standing parcel says


class Role(StrEnum):
    """Who may do what (ordered from least to most)."""

    VIEWER = "viewer"
    PLANNER = "planner"
    EDITOR = "editor"
    APPROVER = "approver"
    AUDITOR = "auditor"
    ADMIN = "admin"


class ProposalStatus(StrEnum):
    """Where a proposed change set stands (a withdrawal is a rejection no one decided)."""

    OPEN = "open"  # 待审核
    APPROVED = "approved"  # 已批准: applied as a change set
    REJECTED = "rejected"  # 已驳回


class SignInOutcome(StrEnum):
    """What came of one sign-in attempt."""

    SUCCESS = "success"
    FAILURE = "failure"  # a wrong name or password (the same to the caller)
    LOCKED = "locked"  # refused without a look: too many failures for the name or address


WRITE_ROLES: frozenset[str] = frozenset({Role.EDITOR, Role.ADMIN})
#: Who may propose a change (stored with its dry run, applied only once approved).
PROPOSE_ROLES: frozenset[str] = frozenset({Role.EDITOR, Role.APPROVER, Role.ADMIN})
#: Who may approve or reject another person's proposal (审核).
APPROVE_ROLES: frozenset[str] = frozenset({Role.APPROVER, Role.ADMIN})
AUDIT_ROLES: frozenset[str] = frozenset({Role.AUDITOR, Role.ADMIN})

"""The database's CHECK constraints allow exactly the vocabulary's words (``parks.vocabulary``):
a status, supply mode or role added in Python but not in a migration (or the other way
round) fails here. Read from ``pg_constraint`` of a database migrated from empty."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest
from sqlalchemy import text
from support_reads import connect, database_url
from support_roles import owner_url

from parks.projects.vocabulary import (
    AssignmentRole,
    Milestone,
    ProblemCategory,
    ProblemStatus,
    VisitKind,
)
from parks.supervision.records import BatchKind, ProgressKind
from parks.vocabulary import (
    ChangeKind,
    FeatureVerdict,
    ImportStatus,
    ParcelStatus,
    ProjectStatus,
    ProposalStatus,
    Role,
    SignInOutcome,
    SupplyMode,
)
from service.db.migrate import upgrade

pytestmark = pytest.mark.integration

#: (table, constraint) -> the words it must allow.
CHECKS: dict[tuple[str, str], set[str]] = {
    ("parcel_version", "parcel_status_known"): {s.value for s in ParcelStatus},
    ("parcel_version", "parcel_supply_mode"): {m.value for m in SupplyMode},
    ("project", "project_status_known"): {s.value for s in ProjectStatus},
    ("api_token", "token_role"): {r.value for r in Role},
    ("app_user", "app_user_role_check"): {r.value for r in Role},
    ("proposal", "proposal_status_check"): {s.value for s in ProposalStatus},
    ("sign_in_attempt", "sign_in_attempt_outcome_check"): {o.value for o in SignInOutcome},
    ("parcel_lineage", "lineage_kind"): {ChangeKind.SPLIT.value, ChangeKind.MERGE.value},
    ("import_run", "import_run_status"): {s.value for s in ImportStatus},
    ("import_feature", "import_feature_verdict"): {v.value for v in FeatureVerdict},
    ("supply_contract", "supply_contract_mode"): {m.value for m in SupplyMode},
    ("site_progress", "site_progress_kind"): {k.value for k in ProgressKind},
    ("approval_batch", "approval_batch_kind"): {k.value for k in BatchKind},
    ("project_assignment", "project_assignment_role"): {r.value for r in AssignmentRole},
    ("project_plan_milestone", "project_plan_milestone_known"): {m.value for m in Milestone},
    ("project_milestone_reached", "project_milestone_reached_known"): {m.value for m in Milestone},
    ("project_visit", "project_visit_kind"): {k.value for k in VisitKind},
    ("project_problem", "project_problem_category"): {c.value for c in ProblemCategory},
    ("project_problem", "project_problem_status"): {s.value for s in ProblemStatus},
}


@pytest.fixture(scope="module")
def migrated_url(databases) -> str:
    url = database_url(databases.create(template=databases.postgis_template))
    upgrade(owner_url(url))
    return url


def allowed_words(definition: str) -> set[str]:
    """The text literals of a CHECK constraint as ``pg_get_constraintdef`` prints it:
    ``CHECK ((status = ANY (ARRAY['reserve'::text, ...])))``."""
    return {word.replace("''", "'") for word in re.findall(r"'((?:[^']|'')*)'::text", definition)}


def _definitions(url: str) -> dict[tuple[str, str], str]:
    with connect(url) as conn:
        rows = conn.execute(
            text(
                "SELECT conrelid::regclass::text AS tbl, conname, "
                "pg_get_constraintdef(oid) AS definition FROM pg_constraint "
                "WHERE contype = 'c' AND connamespace = 'public'::regnamespace"
            )
        ).all()
    return {(r.tbl, r.conname): r.definition for r in rows}


@pytest.mark.parametrize(("table", "constraint"), sorted(CHECKS), ids=lambda v: str(v))
def test_the_check_constraint_allows_exactly_the_vocabularys_words(migrated_url, table, constraint):
    definitions = _definitions(migrated_url)
    assert (table, constraint) in definitions, f"no CHECK {constraint} on {table}"
    assert allowed_words(definitions[(table, constraint)]) == CHECKS[(table, constraint)]


def test_every_check_constraint_that_lists_words_is_held_to_the_vocabulary(migrated_url):
    # A list of words is printed `column = ANY (ARRAY['a'::text, ...])` (written `IN (...)`);
    # a list of numbers (the ledger's row formats) is not a vocabulary.
    listing = {
        key
        for key, d in _definitions(migrated_url).items()
        if "= ANY (ARRAY[" in d and "::text" in d
    }
    assert listing == set(CHECKS)


def test_a_word_added_to_python_only_would_be_noticed():
    definition = "CHECK ((status = ANY (ARRAY['reserve'::text, 'ready'::text])))"

    class Grown(StrEnum):
        RESERVE = "reserve"
        READY = "ready"
        DISPUTED = "disputed"

    assert allowed_words(definition) == {"reserve", "ready"}
    assert allowed_words(definition) != {g.value for g in Grown}


def test_the_database_refuses_a_project_status_the_vocabulary_does_not_know(sample_db_url):
    copy = (
        "INSERT INTO project SELECT (jsonb_populate_record(NULL::project, to_jsonb(p) "
        "|| jsonb_build_object('project_code', 'P-NEW', 'status', CAST(:status AS text)))).* "
        "FROM project p ORDER BY project_code LIMIT 1"
    )
    with connect(sample_db_url) as conn:
        conn.execute(text(copy), {"status": ProjectStatus.SUSPENDED.value})
        conn.rollback()
        with pytest.raises(Exception, match="project_status_known"):
            conn.execute(text(copy), {"status": "disputed"})
        conn.rollback()

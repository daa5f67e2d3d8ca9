"""Park scope: an official limited to some parks (a signed-in user's ``parks``) may change
only their land. Applying, dry-running and (through them) proposing refuse a change set
with an operation on a parcel of another park — or registering one into it — whole, with
:class:`ParkOutOfScope` naming the park; nothing is stored, not even a refusal row (it is
not a refused change set but a change the official may not make). No limit: every park."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from support_changes import (
    change_set,
    every_table_fingerprint,
    find_parcels,
    free_box,
    register_op,
    rezone_op,
    to_crs,
)

from parks.errors import ParkOutOfScope
from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set
from service.changes.dry_run import dry_run

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine(sample_db_url):
    engine = create_engine(sample_db_url, pool_size=2, max_overflow=0)
    yield engine
    engine.dispose()


def _request(*operations) -> ChangeSetRequest:
    return ChangeSetRequest.model_validate(change_set("rezone", *operations))


def _code(engine, park: str, land_use: str) -> str:
    with engine.connect() as conn:
        (code,) = find_parcels(
            conn, "v.park = :p AND v.land_use_code = :c", {"p": park, "c": land_use}, limit=1
        )
    return code


def _state(engine) -> dict:
    with engine.connect() as conn:
        return every_table_fingerprint(conn, except_=())


def test_a_change_to_another_parks_parcel_is_refused_naming_that_park(engine):
    ours = _code(engine, "gaoxin", "0701")
    theirs = _code(engine, "jiangtan", "0701")
    request = _request(rezone_op(ours, "0601"), rezone_op(theirs, "0601"))
    before = _state(engine)
    with pytest.raises(ParkOutOfScope) as refused:
        apply_change_set(engine, request, actor="gx-editor", storage_srid=4545, parks=["gaoxin"])
    assert refused.value.park == "jiangtan"
    assert refused.value.body()["park"] == "jiangtan"
    assert "park jiangtan" in refused.value.body()["message"]
    with pytest.raises(ParkOutOfScope) as previewed:
        dry_run(engine, request, actor="gx-editor", storage_srid=4545, parks=("gaoxin",))
    assert previewed.value.park == "jiangtan"
    assert _state(engine) == before  # no change set, no ledger row, no refusal row


def test_registering_into_another_park_is_refused(engine):
    with engine.connect() as conn:
        square = to_crs(free_box(conn, "caijiapo", size_m=20), 4545, 4326)
    request = ChangeSetRequest.model_validate(
        change_set("register", register_op("CJP-SCOPE-1", "caijiapo", square))
    )
    with pytest.raises(ParkOutOfScope) as refused:
        dry_run(engine, request, actor="gx-editor", storage_srid=4545, parks=("gaoxin",))
    assert refused.value.park == "caijiapo"


def test_changes_within_the_officials_parks_or_without_a_limit_go_through(engine):
    ours = _code(engine, "gaoxin", "0701")
    request = _request(rezone_op(ours, "0601"))
    limited = dry_run(engine, request, actor="gx", storage_srid=4545, parks=("gaoxin", "x"))
    unlimited = dry_run(engine, request, actor="anyone", storage_srid=4545)
    assert limited.verdict == unlimited.verdict == "would_commit"

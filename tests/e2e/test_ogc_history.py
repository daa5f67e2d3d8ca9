"""The OGC ``datetime`` answered from the parcels' history: after a real change set
committed through the API, an instant before it returns the parcels as they stood then, an
interval the versions valid in it (QGIS's open ends included), a date alone the end of
that day in the city's time zone; ``parcel_versions`` filters validity periods; and paging
by cursor neither repeats nor skips a parcel while land changes underneath.

Expected answers are our own SQL over parcel_version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import support_ogc as so
import support_reads as sr
from sqlalchemy import text
from support_changes import change_set, free_box, register_op, rezone_op

pytestmark = pytest.mark.e2e

ITEMS = "/ogc/collections/parcels/items"
VERSIONS = "/ogc/collections/parcel_versions/items"
CITY = ZoneInfo("Asia/Shanghai")
#: QGIS 3.22 writes an open interval's ends so.
QGIS_START, QGIS_END = "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def history(databases, loaded_template):
    """A copy of the sample where one commercial parcel was rezoned to industry by a change
    set committed through the API (a gain: the rule accepts it)."""
    from fastapi.testclient import TestClient
    from support_changes import url_for

    from service.api.app import create_app
    from service.auth.tokens import create_token
    from service.db.engine import make_engine
    from service.settings import Settings

    url = url_for(databases.create(template=loaded_template))
    engine = make_engine(url, pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        token = create_token(conn, name="ogc-history-editor", role="editor")
        code = conn.execute(
            text(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                "AND land_use_code = '0505' ORDER BY parcel_code LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    with TestClient(create_app(Settings(database_url=url))) as client:
        response = client.post(
            "/api/change-sets",
            json=change_set("rezone", rezone_op(code, "0601"), reason="OGC datetime test"),
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 201, response.text
    with sr.connect(url) as conn:
        old, new = conn.execute(
            text(
                "SELECT version_id, valid_from, valid_to, change_set_id, ended_by_change_set_id "
                "FROM parcel_version WHERE parcel_code = :c ORDER BY valid_from"
            ),
            {"c": code},
        ).all()
    return {"url": url, "code": code, "old": old, "new": new, "change_set": response.json()["id"]}


@pytest.fixture
def client(history, make_client):
    return make_client(history["url"])


def _as_of(history, moment: datetime) -> dict[str, tuple[int, str]]:
    """Our own account: each parcel's version standing at *moment* (code -> version, class)."""
    with sr.connect(history["url"]) as conn:
        rows = conn.execute(
            text(
                "SELECT parcel_code, version_id, land_use_code FROM parcel_version "
                "WHERE valid_from <= :t AND (valid_to IS NULL OR valid_to > :t)"
            ),
            {"t": moment},
        )
        return {code: (vid, use) for code, vid, use in rows}


def _versions_meeting(history, start, end) -> set[int]:
    with sr.connect(history["url"]) as conn:
        return set(
            conn.execute(
                text(
                    "SELECT version_id FROM parcel_version "
                    "WHERE (CAST(:e AS timestamptz) IS NULL OR valid_from <= :e) "
                    "AND (CAST(:s AS timestamptz) IS NULL OR valid_to IS NULL OR valid_to > :s)"
                ),
                {"s": start, "e": end},
            ).scalars()
        )


def test_an_instant_before_the_change_set_gives_the_parcels_as_they_stood(client, history):
    changed_at = history["new"].valid_from
    before = changed_at - timedelta(microseconds=1)
    expected = _as_of(history, before)
    features, pages = so.every_page(client, ITEMS, datetime=_z(before), limit=500)
    got = {
        f["id"]: (f["properties"]["version_id"], f["properties"]["land_use_code"]) for f in features
    }
    assert got == expected
    assert got[history["code"]] == (history["old"].version_id, "0505")
    assert pages[0]["numberMatched"] == len(expected)
    old = next(f for f in features if f["id"] == history["code"])["properties"]
    assert old["valid_to"] is not None
    assert old["ended_by_change_set_id"] == history["change_set"]


def test_an_instant_after_it_and_no_datetime_give_the_parcels_as_they_stand(client, history):
    code = history["code"]
    for params in ({}, {"datetime": _z(datetime.now(UTC))}):
        body = client.get(ITEMS, params={**params, "limit": 10000}).json()
        standing = {f["id"]: f["properties"]["land_use_code"] for f in body["features"]}
        assert standing[code] == "0601"
        assert len(standing) == len(_as_of(history, datetime.now(UTC)))


def test_a_date_alone_is_the_end_of_that_day_in_the_city(client, history):
    changed_day = history["new"].valid_from.astimezone(CITY).date()
    loaded_day = history["old"].valid_from.astimezone(CITY).date()
    body = client.get(ITEMS, params={"datetime": changed_day.isoformat(), "limit": 10000}).json()
    standing = {f["id"]: f["properties"]["land_use_code"] for f in body["features"]}
    assert standing[history["code"]] == "0601"
    before_load = client.get(
        ITEMS, params={"datetime": (loaded_day - timedelta(days=1)).isoformat()}
    ).json()
    assert before_load["features"] == [] and before_load["numberMatched"] == 0


def test_qgis_open_ended_interval_gives_every_version_each_named_code_at_version(client, history):
    features, _ = so.every_page(client, ITEMS, datetime=f"{QGIS_START}/{QGIS_END}", limit=400)
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids))
    assert {f["properties"]["version_id"] for f in features} == _versions_meeting(
        history, None, None
    )
    code = history["code"]
    assert {f"{code}@{history['old'].version_id}", f"{code}@{history['new'].version_id}"} <= set(
        ids
    )


@pytest.mark.parametrize("open_end", ["..", "", QGIS_END])
def test_an_interval_from_before_the_change_to_an_open_end_meets_both_versions(
    client, history, open_end
):
    start = history["new"].valid_from - timedelta(seconds=1)
    features, _ = so.every_page(client, ITEMS, datetime=f"{_z(start)}/{open_end}", limit=1000)
    assert {f["properties"]["version_id"] for f in features} == _versions_meeting(
        history, start, None
    )
    mine = [f for f in features if f["properties"]["parcel_code"] == history["code"]]
    assert len(mine) == 2


def test_an_interval_ending_before_the_change_meets_only_the_old_version(client, history):
    end = history["new"].valid_from - timedelta(microseconds=1)
    for start in ("..", QGIS_START):
        features, _ = so.every_page(client, ITEMS, datetime=f"{start}/{_z(end)}", limit=1000)
        assert {f["properties"]["version_id"] for f in features} == _versions_meeting(
            history, None, end
        )
        mine = [f for f in features if f["properties"]["parcel_code"] == history["code"]]
        assert [f["properties"]["version_id"] for f in mine] == [history["old"].version_id]


def test_an_item_named_code_at_version_is_that_version(client, history):
    code, old = history["code"], history["old"]
    response = client.get(f"{ITEMS}/{code}@{old.version_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == f"{code}@{old.version_id}"
    assert body["properties"]["land_use_code"] == "0505"
    current = client.get(f"{ITEMS}/{code}").json()
    assert current["properties"]["version_id"] == history["new"].version_id
    assert client.get(f"{ITEMS}/{code}@{history['new'].version_id + 999999}").status_code == 404


def test_parcel_versions_without_datetime_are_every_version_with_its_period(client, history):
    features, pages = so.every_page(client, VERSIONS, limit=1000)
    assert {f["id"] for f in features} == _versions_meeting(history, None, None)
    assert pages[0]["numberMatched"] == len(features)
    old = next(f for f in features if f["id"] == history["old"].version_id)["properties"]
    assert old["parcel_code"] == history["code"]
    assert datetime.fromisoformat(old["valid_to"]) == history["old"].valid_to
    assert old["ended_by_change_set_id"] == history["change_set"]
    assert old["change_set_id"] == history["old"].change_set_id


def test_parcel_versions_datetime_filters_validity_periods(client, history):
    changed_at = history["new"].valid_from
    before = changed_at - timedelta(microseconds=1)
    instant = client.get(VERSIONS, params={"datetime": _z(before), "limit": 10000}).json()
    assert {f["id"] for f in instant["features"]} == {
        v for v, _ in _as_of(history, before).values()
    }
    after = changed_at + timedelta(microseconds=1)
    window = client.get(
        VERSIONS, params={"datetime": f"{_z(before)}/{_z(after)}", "limit": 10000}
    ).json()
    ids = {f["id"] for f in window["features"]}
    assert {history["old"].version_id, history["new"].version_id} <= ids
    assert ids == _versions_meeting(history, before, after)


def test_paging_by_cursor_neither_repeats_nor_skips_while_land_changes(
    fresh_db_url, make_client, make_token
):
    """A parcel registered between two pages, with a code that sorts before the cursor,
    shifts an offset-paged read; the cursor's pages still hold every parcel once."""
    client = make_client(fresh_db_url)
    headers = make_token(fresh_db_url, "editor")
    with sr.connect(fresh_db_url) as conn:
        before = sorted(so.current_codes(conn))
        square = free_box(conn, "caijiapo", size_m=20)
    first = client.get(ITEMS, params={"limit": 300}).json()
    by_offset = client.get(ITEMS, params={"limit": 300, "offset": 300}).json()
    response = client.post(
        "/api/change-sets",
        json=change_set("register", register_op("AAA-0001", "caijiapo", so.to_lonlat(square))),
        headers=headers,
    )
    assert response.status_code == 201, response.text
    ids = [f["id"] for f in first["features"]]
    following = so.link(first, "next")
    while following is not None:
        page = client.get(so.path_of(following["href"])).json()
        ids += [f["id"] for f in page["features"]]
        following = so.link(page, "next")
    assert ids == before
    assert "AAA-0001" not in ids  # registered before the cursor: after this read began
    # The same step by offset now starts one parcel earlier: it would repeat one.
    shifted = client.get(ITEMS, params={"limit": 300, "offset": 300}).json()
    assert shifted["features"][1]["id"] == by_offset["features"][0]["id"]

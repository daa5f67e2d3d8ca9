"""No database: how the audit reads moments and groupings.

A date-only moment is the END of that day in the city's zone (Asia/Shanghai) for as_of
and `to`, its start for `from`; a time without a zone is in the city's zone; a malformed
value is an error naming the parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from parks.errors import InvalidParameter
from service.audit.queries import parse_group_by, parse_moment

SHANGHAI = ZoneInfo("Asia/Shanghai")
CST = timezone(timedelta(hours=8))


def _same_instant(a: datetime, b: datetime) -> bool:
    return a.astimezone(UTC) == b.astimezone(UTC)


def test_a_date_as_of_means_the_last_microsecond_of_that_day_in_the_city_zone():
    moment = parse_moment("2025-12-31", parameter="as_of", zone="Asia/Shanghai", end_of_day=True)
    assert _same_instant(moment, datetime(2025, 12, 31, 15, 59, 59, 999999, tzinfo=UTC))
    assert moment.utcoffset() == timedelta(hours=8)


def test_a_date_from_means_the_first_moment_of_that_day_in_the_city_zone():
    moment = parse_moment("2025-12-31", parameter="from", zone="Asia/Shanghai")
    assert _same_instant(moment, datetime(2025, 12, 30, 16, 0, tzinfo=UTC))


def test_a_time_without_a_zone_is_in_the_city_zone():
    moment = parse_moment("2025-12-31T10:00:00", parameter="as_of", zone="Asia/Shanghai")
    assert _same_instant(moment, datetime(2025, 12, 31, 2, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-31T10:00:00Z", datetime(2025, 12, 31, 10, 0, tzinfo=UTC)),
        ("2025-12-31T10:00:00+08:00", datetime(2025, 12, 31, 10, 0, tzinfo=CST)),
        ("2025-12-31T10:00:00.123456+00:00", datetime(2025, 12, 31, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2025-12-31 10:00:00-05:00", datetime(2025, 12, 31, 15, 0, tzinfo=UTC)),
        ("  2025-12-31T10:00:00Z  ", datetime(2025, 12, 31, 10, 0, tzinfo=UTC)),
    ],
)
def test_a_time_with_a_zone_keeps_its_instant(text, expected):
    moment = parse_moment(text, parameter="as_of", zone="Asia/Shanghai", end_of_day=True)
    assert _same_instant(moment, expected)


def test_no_value_means_none_so_the_caller_uses_now():
    assert parse_moment(None, parameter="as_of") is None
    assert parse_moment("", parameter="as_of") is None


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2025-13-01",
        "2025-02-30",
        "2025-12-31T25:00",
        "31/12/2025",
        "2025-12-31T10:00+25:00",
    ],
)
@pytest.mark.parametrize("parameter", ["as_of", "from", "to"])
def test_a_malformed_moment_is_an_error_naming_the_parameter(text, parameter):
    with pytest.raises(InvalidParameter) as info:
        parse_moment(text, parameter=parameter, zone="Asia/Shanghai")
    assert info.value.parameter == parameter
    assert info.value.body()["parameter"] == parameter
    assert text in info.value.message


def test_an_iso_basic_date_is_also_a_whole_day():
    """ISO 8601 basic format (20251231) names the same day as 2025-12-31: as an as_of it
    must mean the end of that day too, not its first moment."""
    extended = parse_moment("2025-12-31", parameter="as_of", zone="Asia/Shanghai", end_of_day=True)
    basic = parse_moment("20251231", parameter="as_of", zone="Asia/Shanghai", end_of_day=True)
    assert _same_instant(basic, extended)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ["park"]),
        ("park", ["park"]),
        ("land_use", ["land_use"]),
        ("status", ["status"]),
        ("park,land_use", ["park", "land_use"]),
        (" park , status ", ["park", "status"]),
    ],
)
def test_group_by_takes_park_land_use_status_or_a_comma_list(value, expected):
    assert parse_group_by(value) == expected


@pytest.mark.parametrize("value", ["parcel", "park,park", "park;land_use", ",", "PARK"])
def test_an_unknown_or_repeated_group_by_is_an_error_naming_the_parameter(value):
    with pytest.raises(InvalidParameter) as info:
        parse_group_by(value)
    assert info.value.parameter == "group_by"

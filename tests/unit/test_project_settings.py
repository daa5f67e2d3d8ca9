"""The rhythm's settings are data an admin changes: a value in force is the override, else
the default; a wrong name or value is refused naming it."""

from __future__ import annotations

import pytest

from parks.projects.settings import DEFAULTS, SettingError, check_setting, in_force


def test_the_ranking_criteria_default_to_the_city_weights():
    assert DEFAULTS["ranking.criteria"] == {
        "investment": 40,
        "milestones": 30,
        "problems": 20,
        "visits": 10,
    }


def test_an_override_replaces_the_default_and_unknown_names_are_ignored():
    values = in_force({"progress.behind_share": 0.1, "gone.setting": 3})
    assert values["progress.behind_share"] == 0.1
    assert "gone.setting" not in values
    assert values["visit_list.size"] == DEFAULTS["visit_list.size"]


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("ranking.criteria", {"investment": 40, "beauty": 5}, "beauty"),
        ("ranking.criteria", {"investment": -1}, "ranking.criteria.investment"),
        ("ranking.criteria", {"investment": 0, "visits": 0}, "must not all be 0"),
        ("ranking.criteria", [40, 30], "must map criteria"),
        ("progress.behind_share", 1.5, "progress.behind_share"),
        ("progress.behind_share", True, "progress.behind_share"),
        ("visit_list.size", 0, "visit_list.size"),
        ("visit_list.not_visited_days", 2.5, "visit_list.not_visited_days"),
        ("no.such", 1, "no such setting"),
    ],
)
def test_a_wrong_setting_is_refused_naming_it(name, value, named):
    with pytest.raises(SettingError, match=named.replace(".", r"\.")):
        check_setting(name, value)


def test_valid_values_are_accepted_as_given():
    assert check_setting("ranking.criteria", {"investment": 50, "visits": 50}) == {
        "investment": 50,
        "visits": 50,
    }
    assert check_setting("progress.behind_share", 0.25) == 0.25
    assert check_setting("visit_list.size", 8) == 8

"""No database: facts the code states in more than one language have one home, and the
copies the other languages need are held to it.

* the 亩 (1 亩 = 10000/15 m², ``parks.units``): the SQL queries convert with the database
  function ``m2_to_mu`` (its equality with Python is an integration test) and spell no
  factor themselves; the page script and the map's measure tool carry copies, held here;
* statuses and supply modes (``parks.vocabulary``): the map's legend and popups take them
  from there, and the page script's table of supply modes is held to it.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from maps.style import (
    PARCEL_STATUS_COLOURS,
    PARCEL_STATUSES,
    PROJECT_STATUS_LOOKS,
    PROJECT_STATUSES,
)
from parks.units import M2_PER_HA, M2_PER_MU
from parks.vocabulary import (
    PROJECT_STATUS_NAMES_EN,
    PROJECT_STATUS_NAMES_ZH,
    STATUS_NAMES_EN,
    STATUS_NAMES_ZH,
    SUPPLY_MODE_NAMES_EN,
    SUPPLY_MODE_NAMES_ZH,
    ParcelStatus,
    ProjectStatus,
    SupplyMode,
)

ROOT = Path(__file__).resolve().parents[2]
PLM_JS = ROOT / "web" / "static" / "map" / "plm.js"
QUERIES = sorted((ROOT / "service" / "sql").glob("*.sql"))
SCHEMA_SQL = sorted((ROOT / "service" / "db" / "sql").glob("*.sql"))

#: Ways of writing the 亩 factor: m² * 15 / 10000, m² / (10000 / 15), m² / 666.67, m² * 0.0015.
MU_FACTOR = re.compile(
    r"\*\s*15(\.0*)?\s*/\s*10000|10000(\.0*)?\s*/\s*15\b|666\.6|/\s*666\b|0\.0015\b"
)


def _js_var(name: str) -> str:
    found = re.search(rf"\bvar {name} = (.+?);\n", PLM_JS.read_text(encoding="utf-8"))
    assert found, f"plm.js has no `var {name}`"
    return found.group(1)


def test_the_page_script_converts_square_metres_with_the_units_of_parks_units():
    numerator, denominator = (int(n) for n in _js_var("M2_PER_MU").split("/"))
    assert Fraction(numerator, denominator) == Fraction(10000, 15)
    assert numerator / denominator == M2_PER_MU
    assert float(_js_var("M2_PER_HA")) == M2_PER_HA


def test_the_page_script_names_exactly_the_vocabularys_supply_modes():
    table = json.loads(re.sub(r"(\w+):", r'"\1":', _js_var("SUPPLY_MODES")))
    assert table == {
        mode.value: [SUPPLY_MODE_NAMES_ZH[mode], SUPPLY_MODE_NAMES_EN[mode]] for mode in SupplyMode
    }


def test_the_map_measure_tool_shows_mu_by_the_units_factor():
    builder = (ROOT / "maps" / "builder.py").read_text(encoding="utf-8")
    (factor,) = re.findall(r'"mu": \{"factor": ([0-9.]+)', builder)
    assert Fraction(factor) == Fraction(15, 10000)
    assert float(factor) == pytest.approx(1 / M2_PER_MU, rel=1e-15)


def test_the_legend_shows_every_parcel_status_of_the_vocabulary_in_its_order_and_names():
    assert list(PARCEL_STATUSES) == [s.value for s in ParcelStatus]
    for status, (zh, en, _colour) in PARCEL_STATUSES.items():
        assert (zh, en) == (STATUS_NAMES_ZH[status], STATUS_NAMES_EN[status])


def test_every_parcel_status_has_a_colour_of_its_own():
    assert set(PARCEL_STATUS_COLOURS) == set(ParcelStatus)
    colours = [colour for _, _, colour in PARCEL_STATUSES.values()]
    assert len(set(colours)) == len(colours)


def test_the_legend_shows_every_project_status_of_the_vocabulary_in_its_order_and_names():
    assert list(PROJECT_STATUSES) == [s.value for s in ProjectStatus]
    assert set(PROJECT_STATUS_LOOKS) == set(ProjectStatus)
    for status, (zh, en, _colour, _dashed) in PROJECT_STATUSES.items():
        assert (zh, en) == (PROJECT_STATUS_NAMES_ZH[status], PROJECT_STATUS_NAMES_EN[status])


def test_every_name_table_of_the_vocabulary_names_exactly_its_members():
    for members, tables in (
        (ParcelStatus, (STATUS_NAMES_ZH, STATUS_NAMES_EN)),
        (ProjectStatus, (PROJECT_STATUS_NAMES_ZH, PROJECT_STATUS_NAMES_EN)),
        (SupplyMode, (SUPPLY_MODE_NAMES_ZH, SUPPLY_MODE_NAMES_EN)),
    ):
        for table in tables:
            assert list(table) == list(members)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_no_query_spells_the_mu_factor_but_converts_with_m2_to_mu(path):
    text = path.read_text(encoding="utf-8")
    assert MU_FACTOR.findall(text) == [], f"{path.name}: use m2_to_mu(area_m2)"


def test_the_factor_pattern_finds_every_way_of_writing_it():
    for written in ("a * 15 / 10000", "a*15.0/10000", "a / (10000 / 15)", "a / 666.67", "a*0.0015"):
        assert MU_FACTOR.search(written), written
    assert not MU_FACTOR.search("round((v.area_m2 / 10000)::numeric, 4)")  # hectares


def test_the_schema_sql_that_still_spells_the_mu_factor_spells_it_exactly():
    # rule.sql writes the refusal's shortfall in 亩 itself (its triggers predate m2_to_mu).
    for path in SCHEMA_SQL:
        for found in re.finditer(MU_FACTOR, path.read_text(encoding="utf-8")):
            assert re.fullmatch(r"\*\s*15\s*/\s*10000", found.group(0)), (path.name, found)

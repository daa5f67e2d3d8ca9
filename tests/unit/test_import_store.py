"""An import's outcome survives its trip through ``import_run.outcome`` (JSON) whole, so
the API's bodies and the reports rebuilt from it say what the dry run said; uploaded file
names never become paths; an import's options are checked before the file is read."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from support_import_outcomes import outcome as sample_outcome

from gis.errors import SourceError
from parks.errors import InvalidParameter
from parks.imports.diff import ChangedParcel
from service.imports.options import ImportOptions
from service.imports.store import outcome_from_row, outcome_json
from service.imports.uploads import safe_name, save_parts


def _row(outcome, stored):
    return {
        "id": outcome.id,
        "created_at": outcome.created_at,
        "actor": outcome.actor,
        "options": outcome.options,
        "outcome": json.loads(json.dumps(stored, allow_nan=False)),
        "status": outcome.status,
        "change_set_id": outcome.change_set_id,
    }


def test_an_outcome_stored_as_json_comes_back_equal():
    outcome = sample_outcome()
    outcome.diff.changed.append(
        ChangedParcel(
            row=9,
            parcel_code="CJP-0009",
            kinds=("supply",),
            before={"holder": None, "supplied_on": None},
            after={"holder": "宝鸡", "supplied_on": date(2025, 3, 1)},
        )
    )
    back = outcome_from_row(_row(outcome, outcome_json(outcome)))
    assert back == outcome
    assert back.summary_body() == outcome.summary_body()


def test_nan_and_numpy_numbers_are_stored_as_json_values():
    import numpy as np

    outcome = sample_outcome()
    outcome.rule.delta_m2 = np.float64(12.5)
    outcome.rule.parks_before_m2["caijiapo"] = float("nan")
    stored = outcome_json(outcome)
    text = json.dumps(stored, allow_nan=False)
    assert '"delta_m2": 12.5' in text
    assert stored["rule"]["parks_before_m2"]["caijiapo"] is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("宗地.shp", "宗地.shp"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\测绘\\宗地.dbf", "宗地.dbf"),
        ("/abs/path/x.prj", "x.prj"),
        ("..", "upload-0"),
        ("", "upload-0"),
        (None, "upload-0"),
    ],
)
def test_an_uploaded_file_name_is_cut_to_its_base_name(name, expected):
    assert safe_name(name, default="upload-0") == expected


def test_uploaded_parts_land_inside_their_folder_and_an_archive_comes_alone(tmp_path):
    folder = tmp_path / "up"
    one = save_parts([("../../evil.gpkg", io.BytesIO(b"x"))], folder)
    assert one == folder / "evil.gpkg" and one.read_bytes() == b"x"
    assert not (tmp_path / "evil.gpkg").exists()
    parts = [(f"a{s}", io.BytesIO(b"x")) for s in (".shp", ".shx", ".dbf")]
    assert save_parts(parts, tmp_path / "shp") == tmp_path / "shp"
    with pytest.raises(SourceError, match="only file"):
        save_parts([("a.zip", io.BytesIO(b"x")), ("b.dbf", io.BytesIO(b"x"))], tmp_path / "z")
    with pytest.raises(SourceError, match="twice|named"):
        save_parts([("a.shp", io.BytesIO(b"x")), ("a.shp", io.BytesIO(b"y"))], tmp_path / "d")
    with pytest.raises(SourceError, match="no file"):
        save_parts([], tmp_path / "none")


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        (ImportOptions(park="gaoxin", park_field="园区"), "park"),
        (ImportOptions(status="sold"), "status"),
        (ImportOptions(crs="EPSG:0"), "crs"),
        (ImportOptions(encoding="klingon"), "encoding"),
        (ImportOptions(reason="x" * 2001), "reason"),
        (ImportOptions(mapping_file=Path("/nonexistent.toml")), "mapping"),
    ],
)
def test_wrong_options_are_refused_naming_the_option(options, parameter):
    with pytest.raises(InvalidParameter) as refused:
        options.checked()
    assert refused.value.parameter == parameter


def test_the_options_are_stored_by_file_name_not_temporary_path(tmp_path):
    mapping = tmp_path / "x" / "m.toml"
    options = ImportOptions(
        mapping_file=mapping, names={"mapping": "字段对照.toml"}, maps=("A=park",)
    )
    assert options.as_json()["mapping"] == "字段对照.toml"
    assert options.as_json()["map"] == ["A=park"]
    assert ImportOptions().default_status == "reserve"

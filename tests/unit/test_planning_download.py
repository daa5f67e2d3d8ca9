"""Search results as CSV: one row per result (availability) or per floor (vacancy), with a
byte-order mark for Excel, distance columns per near/away layer and a point inside each
site in EPSG:4326."""

from __future__ import annotations

import csv
import io

import shapely
from shapely.geometry import box, mapping

from service.planning.download import availability_csv, vacancy_csv

SITE = box(107.26, 34.36, 107.27, 34.37)


def _rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_availability_csv_has_a_row_per_result_with_each_distance_and_a_point_inside():
    collection = {
        "criteria": {
            "near": [{"layer": "roads", "kind": "main", "metres": 500}],
            "away": [{"layer": "river", "kind": None, "metres": 200}],
        },
        "features": [
            {
                "geometry": mapping(SITE),
                "properties": {
                    "rank": 1,
                    "score": 0.96,
                    "area_fit": 0.97,
                    "closeness": 0.95,
                    "kind": "group",
                    "members": ["JT-0204", "JT-0207"],
                    "park": "jiangtan",
                    "land_use_codes": ["0601"],
                    "statuses": ["ready", "reserve"],
                    "area_m2": 41635.0,
                    "area_mu": 62.4525,
                    "distances_m": {"roads/main": 20.0, "river": 751.94},
                },
            },
            {
                "geometry": mapping(SITE),
                "properties": {
                    "rank": 2,
                    "score": 0.9,
                    "area_fit": 0.9,
                    "closeness": 0.9,
                    "kind": "parcel",
                    "parcel_code": "JT-0053",
                    "park": "jiangtan",
                    "land_use_code": "0601",
                    "status": "ready",
                    "area_m2": 41769.0,
                    "area_mu": 62.6535,
                    "distances_m": {"roads/main": 20.0, "river": None},
                },
            },
        ],
    }
    rows = _rows(availability_csv(collection))
    assert [r["rank"] for r in rows] == ["1", "2"]
    assert rows[0]["parcel_code"] == "JT-0204+JT-0207" and rows[0]["members"] == "JT-0204 JT-0207"
    assert rows[0]["distance_roads_main_m"] == "20.0" and rows[0]["distance_river_m"] == "751.94"
    assert rows[1]["parcel_code"] == "JT-0053" and rows[1]["members"] == ""
    assert rows[1]["statuses"] == "ready" and rows[1]["distance_river_m"] == ""
    point = shapely.Point(float(rows[0]["lon"]), float(rows[0]["lat"]))
    assert SITE.buffer(1e-9).contains(point)


def test_vacancy_csv_has_a_row_per_floor_naming_its_tenants():
    collection = {
        "features": [
            {
                "geometry": mapping(SITE),
                "properties": {
                    "building_code": "JT-B025",
                    "name": "姜谭标准化厂房25号楼",
                    "park": "jiangtan",
                    "parcel_code": "JT-0211",
                    "storeys": 6,
                    "floors": [
                        {
                            "floor": 2,
                            "floor_area_m2": 2592.0,
                            "leased_m2": 0.0,
                            "vacant_m2": 2592.0,
                            "leases": [],
                        },
                        {
                            "floor": 3,
                            "floor_area_m2": 2592.0,
                            "leased_m2": 500.0,
                            "vacant_m2": 2092.0,
                            "leases": [{"lease_id": "JT-L1", "tenant": "宝鸡芯感电子有限公司"}],
                        },
                    ],
                },
            }
        ]
    }
    rows = _rows(vacancy_csv(collection))
    assert [(r["building_code"], r["floor"], r["vacant_m2"]) for r in rows] == [
        ("JT-B025", "2", "2592.0"),
        ("JT-B025", "3", "2092.0"),
    ]
    assert rows[1]["tenants"] == "宝鸡芯感电子有限公司" and rows[1]["leases"] == "1"

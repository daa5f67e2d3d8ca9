"""Land-use classes as data.

The class table of GB/T 21010-2017 (土地利用现状分类) ships with the package as a CSV whose
``is_manufacturing`` column says which classes count as manufacturing land (only 0601
工业用地). Nothing else in the code names a class: the flag decides.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

STANDARD_GBT21010_2017 = "GB/T 21010-2017"


@dataclass(frozen=True, slots=True)
class LandUseClass:
    """One class of a land-use classification standard."""

    code: str
    level: int
    name_zh: str
    name_en: str
    is_manufacturing: bool
    standard: str = STANDARD_GBT21010_2017

    @property
    def parent_code(self) -> str | None:
        """The first-level class a second-level class belongs to (its first two digits)."""
        return self.code[:2] if self.level > 1 else None


def read_classes(path: Path | None = None) -> list[LandUseClass]:
    """Read a class table (columns code, level, name_zh, name_en, is_manufacturing); the
    packaged GB/T 21010-2017 table when *path* is None. Parents come before children."""
    if path is None:
        text = resources.files("parks").joinpath("reference/gbt21010-2017-classes.csv")
        content = text.read_text(encoding="utf-8")
    else:
        content = Path(path).read_text(encoding="utf-8")
    rows = csv.DictReader(content.splitlines())
    classes = [
        LandUseClass(
            code=row["code"].strip(),
            level=int(row["level"]),
            name_zh=row["name_zh"].strip(),
            name_en=row["name_en"].strip(),
            is_manufacturing=row["is_manufacturing"].strip().lower() in {"true", "1", "yes"},
        )
        for row in rows
    ]
    return sorted(classes, key=lambda c: (c.level, c.code))

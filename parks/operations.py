"""The operations a change set is made of, as validated data.

A change set is one atomic land transaction: every operation in it is applied, in order,
in one database transaction, or none is. Field names are the API's contract.

Text carries no NUL character (PostgreSQL can't store one): it is refused here, naming the
field. How long a text may be, and how many vertices a geometry may have, are settings
(``parks.limits``), checked before anything is applied.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from parks.errors import Problem
from parks.input_values import NUL, ParcelCode, Text, refuse_nul_in_json
from parks.supervision.records import ContractTerms
from parks.vocabulary import RECORD_KINDS, SETTING_KINDS, ChangeKind, ParcelStatus, SupplyMode

LandUseCode = Annotated[str, Field(min_length=2, max_length=8, pattern=r"^[0-9]{2,4}$")]
GeoJSONGeometry = Annotated[
    dict[str, Any],
    AfterValidator(refuse_nul_in_json),
    Field(description="GeoJSON Polygon or MultiPolygon in `crs`"),
]
CrsName = Annotated[Text, Field(description="EPSG:4326 (default), EPSG:4490 or EPSG:4545")]


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Register(_Op):
    """A new parcel."""

    op: Literal["register"]
    parcel_code: ParcelCode
    park: Text = Field(min_length=1)
    land_use_code: LandUseCode
    status: ParcelStatus
    geometry: GeoJSONGeometry
    crs: CrsName = "EPSG:4326"
    holder: Text | None = None


class Rezone(_Op):
    """Change a parcel's land-use class."""

    op: Literal["rezone"]
    parcel_code: ParcelCode
    land_use_code: LandUseCode


class Reshape(_Op):
    """Redraw a parcel's boundary."""

    op: Literal["reshape"]
    parcel_code: ParcelCode
    geometry: GeoJSONGeometry
    crs: CrsName = "EPSG:4326"


class SplitPart(BaseModel):
    """One part of a split: a new parcel, with the parent's class unless it says otherwise."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    parcel_code: ParcelCode
    geometry: GeoJSONGeometry
    land_use_code: LandUseCode | None = None


class Split(_Op):
    """Divide a parcel into parts that cover it exactly; the parent is retired."""

    op: Literal["split"]
    parcel_code: ParcelCode
    parts: list[SplitPart] = Field(min_length=2, max_length=100)
    crs: CrsName = "EPSG:4326"

    @field_validator("parts")
    @classmethod
    def _distinct_codes(cls, parts: list[SplitPart]) -> list[SplitPart]:
        codes = [p.parcel_code for p in parts]
        if len(set(codes)) != len(codes):
            raise ValueError("parts must have distinct parcel codes")
        return parts


class Merge(_Op):
    """Join touching parcels of one park into a new parcel; the inputs are retired."""

    op: Literal["merge"]
    parcel_codes: list[ParcelCode] = Field(min_length=2, max_length=50)
    parcel_code: ParcelCode
    land_use_code: LandUseCode | None = None

    @model_validator(mode="after")
    def _distinct(self) -> Merge:
        if len(set(self.parcel_codes)) != len(self.parcel_codes):
            raise ValueError("parcel_codes must be distinct")
        return self


class Supply(_Op):
    """Supply a parcel to a holder by grant (出让), allocation (划拨) or lease (租赁).

    ``contract``, when given, is the supply contract (出让合同 / 划拨决定书) of this supply,
    stored in the same change set: its parcel, park and holder are the operation's, its
    mode the operation's ``mode``, its ``signed_on`` by default the day of the supply and
    its ``land_area_m2`` by default the parcel's area. A contract that can't be stored
    makes the operation invalid."""

    op: Literal["supply"]
    parcel_code: ParcelCode
    holder: Text = Field(min_length=1)
    mode: SupplyMode
    project: Text | None = Field(None, description="code of the key project the land is for")
    contract: ContractTerms | None = Field(
        None, description="the supply contract, stored with the supply"
    )


class SetStatus(_Op):
    """Change a parcel's status (moves no manufacturing land)."""

    op: Literal["set_status"]
    parcel_code: ParcelCode
    status: ParcelStatus


class Retire(_Op):
    """End a parcel: it no longer stands (its history remains)."""

    op: Literal["retire"]
    parcel_code: ParcelCode


Operation = Annotated[
    Register | Rezone | Reshape | Split | Merge | Supply | SetStatus | Retire,
    Field(discriminator="op"),
]


class ChangeSetRequest(BaseModel):
    """A change set as submitted: what, why, on whose authority, and the operations."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: ChangeKind
    reason: Text = Field(min_length=1)
    document_no: Text | None = Field(None, description="批文号")
    operations: list[Operation] = Field(min_length=1, max_length=1000)

    @field_validator("kind")
    @classmethod
    def _a_kind_of_land_change(cls, kind: ChangeKind) -> ChangeKind:
        # A setting's change set comes from the database's admin functions only: one of
        # parcel operations labelled so would misname its ledger row.
        if kind in SETTING_KINDS:
            raise PydanticCustomError(
                "setting_kind",
                "{kind}: change sets of this kind record a setting changed by an admin "
                "function, not operations on parcels",
                {"kind": kind.value},
            )
        if kind in RECORD_KINDS:
            raise PydanticCustomError(
                "record_kind",
                "{kind}: change sets of this kind record land supervision's records "
                "(/api/supervision), not operations on parcels",
                {"kind": kind.value},
            )
        return kind


def problems_from_errors(errors: list[dict[str, Any]]) -> list[Problem]:
    """Pydantic validation errors of a change-set body as per-operation problems; *loc* is
    relative to the body (``("operations", 2, "geometry")``). A NUL character an input
    put in a message (a bad tag, an unknown key) is written ``\\u0000``."""
    problems = []
    for error in errors:
        loc = tuple(error["loc"])
        index = loc[1] if len(loc) > 1 and loc[0] == "operations" else None
        inner = loc[2:] if index is not None else loc
        # Drop pydantic's discriminator tags (the op name) from the path.
        where = ".".join(str(p) for p in inner if p not in _OP_NAMES) or "operation"
        message = f"{where}: {error['msg']}".replace(NUL, "\\u0000")
        problems.append(Problem(index if isinstance(index, int) else None, message))
    return problems


_OP_NAMES = frozenset(
    {"register", "rezone", "reshape", "split", "merge", "supply", "set_status", "retire"}
)

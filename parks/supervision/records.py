"""Land supervision's records as validated data: a supply contract (出让合同 / 划拨决定书),
progress on the ground (实际动工, reports, 停工, 复工, 竣工验收), a government-caused delay
(政府原因), an approval batch (建设用地批次) and a change of a supervision setting — the
bodies the API takes, and the checks that need no database.

Units: areas in m² (planar, EPSG:4545), money in 万元, shares and coverages as fractions
0..1, plot ratios (容积率) as plain numbers, dates ISO ``YYYY-MM-DD``. Numbers must be JSON
numbers (``"3"`` and ``true`` are refused) within what the database columns hold; texts
carry no NUL character. A check that fails raises :class:`parks.errors.InvalidRecord`
naming the field.

Every write body carries ``reason`` (required) and ``document_no`` (optional): both are
recorded on the change set that stores the record; a record with a ``document_no`` of its
own (a contract, a delay, a batch) keeps the same number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
)
from pydantic_core import PydanticCustomError

from parks.errors import InvalidRecord
from parks.input_values import ParcelCode, refuse_nul, refuse_nul_in_json
from parks.units import AREA_TOLERANCE_M2
from parks.vocabulary import SupplyMode

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ProgressKind(StrEnum):
    """What a progress report on a contract's land says happened."""

    START = "start"  # 实际动工: reported_on is the actual start date
    REPORT = "report"  # 进度报告: developed area and investment to date
    SUSPENSION = "suspension"  # 停工: work stopped on reported_on
    RESUMPTION = "resumption"  # 复工
    COMPLETION = "completion"  # 竣工验收, with the measured figures


PROGRESS_KIND_NAMES_ZH: dict[str, str] = {
    ProgressKind.START: "实际动工",
    ProgressKind.REPORT: "进度报告",
    ProgressKind.SUSPENSION: "停工",
    ProgressKind.RESUMPTION: "复工",
    ProgressKind.COMPLETION: "竣工验收",
}

#: What a completion acceptance must measure.
COMPLETION_FIGURES: tuple[str, ...] = (
    "plot_ratio",
    "building_coverage",
    "office_share",
    "investment_wan",
)

#: Events that happen only once on a contract's land.
ONCE_KINDS: frozenset[str] = frozenset({ProgressKind.START, ProgressKind.COMPLETION})
#: Events that need the work to have started (a start on or before them).
AFTER_START_KINDS: frozenset[str] = frozenset(
    {ProgressKind.SUSPENSION, ProgressKind.RESUMPTION, ProgressKind.COMPLETION}
)


class BatchKind(StrEnum):
    """What an approval batch approved."""

    CONVERSION = "conversion"  # 农用地转用
    EXPROPRIATION = "expropriation"  # 土地征收
    CONVERSION_EXPROPRIATION = "conversion_expropriation"  # 转用并征收


BATCH_KIND_NAMES_ZH: dict[str, str] = {
    BatchKind.CONVERSION: "农用地转用",
    BatchKind.EXPROPRIATION: "土地征收",
    BatchKind.CONVERSION_EXPROPRIATION: "农用地转用和土地征收",
}

# --- field types -------------------------------------------------------------------------


def _iso_date(value: Any) -> Any:
    """A date given as ``YYYY-MM-DD`` text (or a ``date``), nothing else: not a number
    of seconds, not a time."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise PydanticCustomError("iso_date", "must be a date written YYYY-MM-DD")
    return value


def _text(min_length: int, max_length: int, description: str) -> Any:
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length, description=description),
        AfterValidator(refuse_nul),
    ]


IsoDate = Annotated[date, BeforeValidator(_iso_date), Field(description="YYYY-MM-DD")]
ContractNo = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^/\\\x00-\x1f]+$",
        description="contract number (出让合同 / 划拨决定书 编号); no '/'",
    ),
    AfterValidator(refuse_nul),
]
BatchNo = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^/\\\x00-\x1f]+$",
        description="approval batch number (批次号); no '/'",
    ),
    AfterValidator(refuse_nul),
]
EnterpriseCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[0-9A-Z-]{1,40}$",
        description="统一社会信用代码 (or the park's own code)",
    ),
]
Name = _text(1, 500, "a name as documents write it")
DocumentNo = _text(1, 500, "document number (批文号 / 文号)")
Reason = _text(1, 2000, "why this is recorded")
LongText = _text(1, 2000, "free text")


def _number(description: str, *, ge: float | None = None, gt: float | None = None, le: float):
    return Annotated[
        float,
        Field(strict=True, ge=ge, gt=gt, le=le, allow_inf_nan=False, description=description),
    ]


#: 万元 amounts (numeric(14, 2) columns).
Money = _number("万元, ≥ 0", ge=0, le=999_999_999_999)
#: Areas in m² (planar, EPSG:4545).
AreaM2 = _number("m² (planar, EPSG:4545), > 0", gt=0, le=1e10)
#: Shares, fractions of 1 (numeric(5, 4) columns).
Share = _number("fraction 0..1", ge=0, le=1)
#: Plot ratios (numeric(6, 3) columns): a committed bound is at least 0.001.
PlotRatioBound = _number("plot ratio (容积率), 0.001..999", ge=0.001, le=999)
PlotRatio = _number("measured plot ratio (容积率), 0..999", ge=0, le=999)
#: A contract's land, m² (at least the smallest parcel).
ContractAreaM2 = _number("m² (planar, EPSG:4545), ≥ 1", ge=1, le=1e10)
#: Land developed to date, m².
DevelopedM2 = _number("land developed to date, m²", ge=0, le=1e10)
#: Committed 亩均税收 (numeric(12, 3)).
TaxPerMu = _number("万元 per 亩 per year, ≥ 0", ge=0, le=999_999_999)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Write(_Record):
    """What every write says besides its record: why (recorded on the change set), and
    on which document's authority."""

    reason: Reason
    document_no: DocumentNo | None = None


# --- supply contracts --------------------------------------------------------------------


class ContractTerms(_Record):
    """A supply contract's terms as a ``supply`` operation carries them: the parcel,
    holder and park come from the operation; ``supply_mode`` defaults to the operation's
    mode (and must equal it when given), ``signed_on`` to the day of the supply and
    ``land_area_m2`` to the parcel's area."""

    contract_no: ContractNo
    enterprise_code: EnterpriseCode | None = None
    batch_no: BatchNo | None = Field(None, description="the approval batch the land came from")
    signed_on: IsoDate | None = None
    supply_mode: SupplyMode | None = None
    price_wan: Money
    land_area_m2: ContractAreaM2 | None = None
    agreed_start_on: IsoDate = Field(description="约定动工日期, not before signed_on")
    agreed_completion_on: IsoDate = Field(description="约定竣工日期, not before agreed_start_on")
    committed_investment_wan: Money
    plot_ratio_min: PlotRatioBound | None = None
    plot_ratio_max: PlotRatioBound | None = None
    building_coverage_min: Share | None = None
    office_share_max: Share = 0.07
    committed_tax_wan_per_mu_year: TaxPerMu | None = None
    document_no: DocumentNo | None = None


class ContractRecord(_Write, ContractTerms):
    """``POST /api/supervision/contracts``: a contract of a standing parcel (its park is
    the parcel's; ``holder`` defaults to the parcel's holder, ``land_area_m2`` to its
    area). Re-posting a ``contract_no`` corrects the contract: the standing version is
    ended and kept in its history. ``document_no`` is the contract's and the change
    set's."""

    parcel_code: ParcelCode
    holder: Name | None = Field(None, description="the land user as the contract names it")
    signed_on: IsoDate
    supply_mode: SupplyMode


#: The columns of a stored contract, in the order written.
CONTRACT_COLUMNS: tuple[str, ...] = (
    "contract_no",
    "parcel_code",
    "park",
    "holder",
    "enterprise_code",
    "batch_no",
    "signed_on",
    "supply_mode",
    "price_wan",
    "land_area_m2",
    "agreed_start_on",
    "agreed_completion_on",
    "committed_investment_wan",
    "plot_ratio_min",
    "plot_ratio_max",
    "building_coverage_min",
    "office_share_max",
    "committed_tax_wan_per_mu_year",
    "document_no",
)


def contract_row(
    terms: ContractTerms,
    *,
    parcel_code: str,
    park: str,
    holder: str,
    supply_mode: str,
    signed_on: date,
    land_area_m2: float,
) -> dict[str, Any]:
    """The contract row *terms* make for *parcel_code* of *park* held by *holder*; the
    keyword values fill what *terms* leaves out (``supply_mode``: a mode *terms* gives
    must equal it). Checked by :func:`check_contract`."""
    given = terms.model_dump()
    mode = given.get("supply_mode")
    if mode is not None and str(mode) != supply_mode:
        raise InvalidRecord(
            "supply_mode", f"the contract says {mode}, the supply says {supply_mode}"
        )
    row = {
        **{c: given.get(c) for c in CONTRACT_COLUMNS},
        "parcel_code": parcel_code,
        "park": park,
        "holder": holder,
        "supply_mode": supply_mode,
        "signed_on": given.get("signed_on") or signed_on,
        "land_area_m2": given.get("land_area_m2") or land_area_m2,
    }
    check_contract(row)
    return row


def check_contract(row: Mapping[str, Any]) -> None:
    """A contract's dates and bounds agree (:class:`InvalidRecord` naming the field
    otherwise): agreed start not before signing, agreed completion not before the start,
    plot_ratio_min not above plot_ratio_max, a land area of at least 1 m²."""
    if row["agreed_start_on"] < row["signed_on"]:
        raise InvalidRecord(
            "agreed_start_on",
            f"{row['agreed_start_on']} is before the contract was signed ({row['signed_on']})",
        )
    if row["agreed_completion_on"] < row["agreed_start_on"]:
        raise InvalidRecord(
            "agreed_completion_on",
            f"{row['agreed_completion_on']} is before the agreed start ({row['agreed_start_on']})",
        )
    low, high = row.get("plot_ratio_min"), row.get("plot_ratio_max")
    if low is not None and high is not None and low > high:
        raise InvalidRecord(
            "plot_ratio_max", f"{high:g} is below plot_ratio_min {low:g} (容积率 min–max)"
        )
    if not row["land_area_m2"] or row["land_area_m2"] < 1:
        raise InvalidRecord("land_area_m2", "a contract's land is at least 1 m²")


# --- progress on the ground ----------------------------------------------------------------


class ProgressRecord(_Write):
    """``POST /api/supervision/contracts/{contract_no}/progress``: what happened on the
    contract's land on ``reported_on``. ``developed_area_m2`` and ``investment_wan`` are
    cumulative, to date. A completion (竣工验收) gives the measured ``plot_ratio``,
    ``building_coverage``, ``office_share`` and ``investment_wan``. Re-posting the same
    ``reported_on`` and ``kind`` corrects that report; ``corrects_reported_on`` moves a
    report of the same kind that was given the wrong date (it is ended, kept in its
    history)."""

    reported_on: IsoDate = Field(description="the day it happened, not after today")
    kind: ProgressKind
    developed_area_m2: DevelopedM2 | None = None
    investment_wan: Money | None = Field(None, description="investment made to date, 万元")
    plot_ratio: PlotRatio | None = None
    building_coverage: Share | None = None
    office_share: Share | None = None
    note: LongText | None = None
    corrects_reported_on: IsoDate | None = Field(
        None, description="the date of a report of the same kind this one replaces"
    )


#: The columns of a stored progress report, in the order written.
PROGRESS_COLUMNS: tuple[str, ...] = (
    "contract_no",
    "reported_on",
    "kind",
    "developed_area_m2",
    "investment_wan",
    "plot_ratio",
    "building_coverage",
    "office_share",
    "note",
)


def check_progress(
    record: ProgressRecord,
    *,
    contract: Mapping[str, Any],
    standing: Sequence[Mapping[str, Any]],
    today: date,
) -> None:
    """*record* may be reported on *contract* (its ``contract_no``, ``signed_on`` and
    ``land_area_m2``) whose standing reports are *standing* (each ``reported_on`` and
    ``kind``; the one *record* corrects left out by the caller) on *today*:

    * reported on or after the signing and not after today;
    * a completion measures every figure of :data:`COMPLETION_FIGURES`;
    * one start and one completion per contract (another date is a second one);
    * a suspension, resumption or completion comes on or after the start;
    * the developed area is no larger than the contract's land.
    """
    if record.reported_on < contract["signed_on"]:
        raise InvalidRecord(
            "reported_on",
            f"{record.reported_on} is before contract {contract['contract_no']} was signed "
            f"({contract['signed_on']})",
        )
    if record.reported_on > today:
        raise InvalidRecord(
            "reported_on", f"{record.reported_on} is after today ({today}): report what happened"
        )
    if record.kind == ProgressKind.COMPLETION:
        for name in COMPLETION_FIGURES:
            if getattr(record, name) is None:
                raise InvalidRecord(
                    name,
                    "a completion acceptance (竣工验收) gives the measured "
                    + ", ".join(COMPLETION_FIGURES),
                )
    kind = record.kind.value
    if kind in ONCE_KINDS:
        for event in standing:
            if event["kind"] == kind and event["reported_on"] != record.reported_on:
                raise InvalidRecord(
                    "kind",
                    f"contract {contract['contract_no']} has a {kind} on "
                    f"{event['reported_on']} already; a contract has one (correct its date "
                    "with corrects_reported_on)",
                )
    if kind in AFTER_START_KINDS:
        started = [
            e["reported_on"]
            for e in standing
            if e["kind"] == ProgressKind.START and e["reported_on"] <= record.reported_on
        ]
        if not started:
            raise InvalidRecord(
                "kind",
                f"a {kind} needs the work to have started: contract {contract['contract_no']} "
                f"has no start (实际动工) on or before {record.reported_on}",
            )
    area = contract["land_area_m2"]
    if record.developed_area_m2 is not None and record.developed_area_m2 > area + (
        AREA_TOLERANCE_M2
    ):
        raise InvalidRecord(
            "developed_area_m2",
            f"{record.developed_area_m2:,.2f} m² is more than the contract's land ({area:,.2f} m²)",
        )


# --- government-caused delays -------------------------------------------------------------


class DelayRecord(_Write):
    """``POST /api/supervision/contracts/{contract_no}/delays``: a delay caused by the
    government (政府原因) from ``delay_from`` to ``delay_to`` (left out: still running), with
    its cause and the document recording it (``document_no``, required: it is the
    delay's and the change set's). The idle-land clock does not run on those days.
    Re-posting the same ``delay_from`` corrects the delay."""

    delay_from: IsoDate
    delay_to: IsoDate | None = Field(None, description="last day; left out: still running")
    cause: LongText
    document_no: DocumentNo


#: The columns of a stored delay, in the order written.
DELAY_COLUMNS: tuple[str, ...] = ("contract_no", "delay_from", "delay_to", "cause", "document_no")


def check_delay(record: DelayRecord, *, contract: Mapping[str, Any]) -> None:
    """*record*'s dates agree with each other and with *contract* (a delay starts on or
    after the signing; it ends on or after it starts)."""
    if record.delay_from < contract["signed_on"]:
        raise InvalidRecord(
            "delay_from",
            f"{record.delay_from} is before contract {contract['contract_no']} was signed "
            f"({contract['signed_on']})",
        )
    if record.delay_to is not None and record.delay_to < record.delay_from:
        raise InvalidRecord("delay_to", f"{record.delay_to} is before delay_from")


# --- approval batches ------------------------------------------------------------------------


class BatchParcel(_Record):
    """A parcel holding (part of) a batch's land; ``area_m2`` defaults to the parcel's
    standing area."""

    parcel_code: ParcelCode
    area_m2: AreaM2 | None = None


class BatchRecord(_Write):
    """``POST /api/supervision/batches``: an approval batch of construction land
    (建设用地批次) of one park and the parcels its land went to. The parcels must stand in
    the batch's park, and their areas together may exceed the approved area by no more
    than 0.01 m². Re-posting a ``batch_no`` corrects the batch: parcels no longer listed
    leave it (kept in its history)."""

    batch_no: BatchNo
    park: Annotated[str, Field(min_length=1, max_length=64, description="park code")]
    name: Name
    kind: BatchKind
    approved_on: IsoDate = Field(description="approval date, not after today")
    approved_area_m2: AreaM2
    parcels: list[BatchParcel] = Field(default_factory=list, max_length=10_000)

    @field_validator("parcels")
    @classmethod
    def _distinct(cls, parcels: list[BatchParcel]) -> list[BatchParcel]:
        codes = [p.parcel_code for p in parcels]
        if len(set(codes)) != len(codes):
            raise PydanticCustomError("distinct", "each parcel is listed once")
        return parcels


BATCH_COLUMNS: tuple[str, ...] = (
    "batch_no",
    "park",
    "name",
    "kind",
    "approved_on",
    "approved_area_m2",
    "document_no",
)


def check_batch(
    record: BatchRecord,
    *,
    parcels: Mapping[str, Mapping[str, Any]],
    today: date,
) -> list[dict[str, Any]]:
    """The batch's parcel rows (``batch_no``, ``parcel_code``, ``area_m2``), when
    *record* is a batch that may be stored: approved not after *today*, each parcel
    standing (*parcels*: code -> its standing ``park`` and ``area_m2``) in the batch's
    park with no more of the batch's land than its own area, and together no more than
    the approved area (to 0.01 m²)."""
    if record.approved_on > today:
        raise InvalidRecord("approved_on", f"{record.approved_on} is after today ({today})")
    rows = []
    for n, item in enumerate(record.parcels):
        field = f"parcels[{n}].parcel_code"
        parcel = parcels.get(item.parcel_code)
        if parcel is None:
            raise InvalidRecord(field, f"unknown parcel {item.parcel_code} (none stands)")
        if parcel["park"] != record.park:
            raise InvalidRecord(
                field,
                f"parcel {item.parcel_code} is in park {parcel['park']}, not the batch's "
                f"park {record.park}",
            )
        area = item.area_m2 if item.area_m2 is not None else float(parcel["area_m2"])
        if area > float(parcel["area_m2"]) + AREA_TOLERANCE_M2:
            raise InvalidRecord(
                f"parcels[{n}].area_m2",
                f"{area:,.2f} m² is more than parcel {item.parcel_code}'s area "
                f"({float(parcel['area_m2']):,.2f} m²)",
            )
        rows.append({"batch_no": record.batch_no, "parcel_code": item.parcel_code, "area_m2": area})
    total = sum(r["area_m2"] for r in rows)
    if total > record.approved_area_m2 + AREA_TOLERANCE_M2:
        raise InvalidRecord(
            "parcels",
            f"the parcels hold {total:,.2f} m² of the batch's land, more than the approved "
            f"{record.approved_area_m2:,.2f} m²",
        )
    return rows


# --- settings -------------------------------------------------------------------------------


class SettingChange(_Write):
    """``PUT /api/supervision/settings/{name}``: the setting's new value (checked by
    ``parks.supervision.settings.check_setting``), why, and on which document's
    authority."""

    value: Annotated[JsonValue, AfterValidator(refuse_nul_in_json)]

"""The idle-land rule (闲置土地处置办法, 国土资源部令第53号) for one supply contract, as plain
functions: the reference the database's list (service/supervision/sql/idle_land.sql) must
agree with. No database.

A contract's land runs on at most one clock on a day ``as_of``:

* ``no_start`` (未动工): no ``start`` report on or before *as_of*; the clock starts on the
  agreed start date (约定动工日期) and runs from there (not before it: a contract whose
  agreed start is after *as_of* has no clock yet).
* ``stalled`` (中止开发建设): started, short of the development test — the latest developed
  area to date under ``idle.developed_share_min`` (⅓) of the land, or the latest
  investment to date under ``idle.investment_share_min`` (25 %) of the committed
  investment (an amount never reported counts as 0; a contract committing no investment
  is never short of it) — and the latest of its start / report / suspension / resumption
  events on or before *as_of* is a suspension. The clock starts on the suspension that
  stopped the work: the first of the trailing run of suspensions (a later suspension
  report with nothing in between only confirms it). Events of one day are taken in the
  order start, report, suspension, resumption: a suspension and a resumption on one day
  leave the site working.
* Completed land (a ``completion`` on or before *as_of*) runs no clock.

Days are calendar days. ``days_on_clock`` = (as_of − the clock's start) − the days of
government-caused delays (政府原因) inside that span; a delay runs from ``delay_from`` to
``delay_to`` both included (an open one, up to *as_of*), and overlapping delays count
once. The stage (with ``threshold`` = ``idle.no_start_days`` or ``idle.stopped_days``):

* ``warning`` (预警): threshold − ``idle.warning_days`` ≤ days < threshold;
* ``idle_1y`` (闲置满一年): threshold ≤ days < ``idle.recovery_days``; the idle-land fee
  (土地闲置费) ``fee_wan`` = ``idle.fee_share_of_price`` × price, 万元 to 2 places;
* ``idle_2y`` (闲置满两年): days ≥ threshold and ≥ ``idle.recovery_days``: recovery without
  compensation (无偿收回), flagged ``for_decision`` — a decision for the government, never
  taken automatically; the fee is shown too.

``warning_on``, ``idle_on`` and ``recovery_on`` are the dates the clock reaches each stage,
as far as known: the clock's start + the stage's days + the days of the recorded delays
that fall before that date (an open delay counted up to *as_of*, as if it ended then);
past dates are exact. A date past 9999-12-31 is None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: The clocks, and the stages in the order a clock reaches them.
CLOCKS: tuple[str, ...] = ("no_start", "stalled")
STAGES: tuple[str, ...] = ("warning", "idle_1y", "idle_2y")
#: The progress kinds, in the order the events of one day are taken.
KIND_ORDER: dict[str, int] = {
    "start": 0,
    "report": 1,
    "suspension": 2,
    "resumption": 3,
    "completion": 4,
}

_LAST_ORDINAL = date.max.toordinal()
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Contract:
    """What the rule needs of a supply contract: its land (m², EPSG:4545), price and
    committed fixed-asset investment (万元), and the agreed start date."""

    contract_no: str
    land_area_m2: float
    price_wan: Decimal | float
    agreed_start_on: date
    committed_investment_wan: Decimal | float


@dataclass(frozen=True, slots=True)
class Progress:
    """One event on the ground (``kind`` one of :data:`KIND_ORDER`); the developed area
    (m²) and investment (万元) are to date, None when the report gives none."""

    reported_on: date
    kind: str
    developed_area_m2: float | None = None
    investment_wan: Decimal | float | None = None


@dataclass(frozen=True, slots=True)
class Delay:
    """A government-caused delay from ``delay_from`` to ``delay_to`` (both days included;
    None: still running)."""

    delay_from: date
    delay_to: date | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The ``idle.*`` settings in force (days are calendar days, shares fractions of 1)."""

    no_start_days: int = 365
    stopped_days: int = 365
    warning_days: int = 90
    recovery_days: int = 730
    developed_share_min: float = 1 / 3
    investment_share_min: float = 0.25
    fee_share_of_price: float = 0.20

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Thresholds:
        """The thresholds of a settings mapping (``settings_in_force``: ``idle.<name>``)."""
        return cls(
            no_start_days=int(settings["idle.no_start_days"]),
            stopped_days=int(settings["idle.stopped_days"]),
            warning_days=int(settings["idle.warning_days"]),
            recovery_days=int(settings["idle.recovery_days"]),
            developed_share_min=float(settings["idle.developed_share_min"]),
            investment_share_min=float(settings["idle.investment_share_min"]),
            fee_share_of_price=float(settings["idle.fee_share_of_price"]),
        )

    def fee_share(self) -> Decimal:
        """The fee's share of the price as the decimal it is written as (``0.2``)."""
        return Decimal(repr(self.fee_share_of_price))


@dataclass(frozen=True, slots=True)
class IdleClock:
    """A contract's clock on a day: which, since when, days on it (delays taken out), the
    stage reached (None: running, not yet in warning) and the stage dates; ``fee_wan`` in
    万元 once idle; ``for_decision`` at ``idle_2y``. ``developed_share`` and
    ``investment_share`` are the latest to date (None: never reported / nothing
    committed)."""

    contract_no: str
    clock: str
    stage: str | None
    clock_started_on: date
    days_on_clock: int
    delay_days: int
    warning_on: date | None
    idle_on: date | None
    recovery_on: date | None
    fee_wan: float | None
    for_decision: bool
    actual_start_on: date | None
    developed_share: float | None
    investment_share: float | None


def stage_of(days_on_clock: int, *, threshold: int, thresholds: Thresholds) -> str | None:
    """The stage of a clock *days_on_clock* days in (None: not yet in warning)."""
    if days_on_clock >= threshold:
        return "idle_2y" if days_on_clock >= thresholds.recovery_days else "idle_1y"
    if days_on_clock >= threshold - thresholds.warning_days:
        return "warning"
    return None


def fee_wan(price_wan: Decimal | float, thresholds: Thresholds) -> float:
    """The idle-land fee: the fee share × the price, 万元 rounded to 2 places (half up)."""
    amount = Decimal(str(price_wan)) * thresholds.fee_share()
    return float(amount.quantize(_CENT, rounding=ROUND_HALF_UP))


def delay_spans(delays: Iterable[Delay], *, since: date, as_of: date) -> list[tuple[int, int]]:
    """The days the clock stands still from *since* on, as merged half-open spans of day
    ordinals ``[first, after)``, in order; an open delay runs up to *as_of* (excluded)."""
    start = since.toordinal()
    spans = []
    for d in delays:
        after = as_of.toordinal() if d.delay_to is None else d.delay_to.toordinal() + 1
        first = max(d.delay_from.toordinal(), start)
        if after > first:
            spans.append((first, after))
    merged: list[tuple[int, int]] = []
    for first, after in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], after))
        else:
            merged.append((first, after))
    return merged


def clock_date(since: date, days: int, spans: Sequence[tuple[int, int]]) -> date | None:
    """The day a clock started on *since* has *days* days on it, skipping *spans* (from
    :func:`delay_spans`); None past 9999-12-31."""
    target = since.toordinal() + days
    for first, after in spans:
        if first < target:  # the clock had not reached *days* when this delay began
            target += after - first
    return date.fromordinal(target) if target <= _LAST_ORDINAL else None


def _latest(events: Sequence[Progress], attribute: str) -> Any:
    for event in reversed(events):
        value = getattr(event, attribute)
        if value is not None:
            return value
    return None


def idle_clock(
    contract: Contract,
    events: Iterable[Progress],
    delays: Iterable[Delay],
    *,
    as_of: date,
    settings: Mapping[str, Any] | Thresholds,
) -> IdleClock | None:
    """The clock *contract*'s land runs on at *as_of* (see the module's doc), or None when
    it runs none: completed, working, or not yet at its agreed start date. *events* and
    *delays* are the contract's standing records (any order; events after *as_of* are
    ignored); *settings* the ``idle.*`` settings in force (or :class:`Thresholds`)."""
    t = settings if isinstance(settings, Thresholds) else Thresholds.from_settings(settings)
    past = sorted(
        (e for e in events if e.reported_on <= as_of),
        key=lambda e: (e.reported_on, KIND_ORDER[e.kind]),
    )
    if any(e.kind == "completion" for e in past):
        return None
    starts = [e.reported_on for e in past if e.kind == "start"]
    actual_start_on = min(starts) if starts else None
    developed_m2 = _latest(past, "developed_area_m2")
    invested_wan = _latest(past, "investment_wan")
    developed_share = None if developed_m2 is None else developed_m2 / contract.land_area_m2
    committed = float(contract.committed_investment_wan)
    investment_share = (
        None if invested_wan is None or committed <= 0 else float(invested_wan) / committed
    )

    if actual_start_on is None:
        clock, since, threshold = "no_start", contract.agreed_start_on, t.no_start_days
        if since > as_of:
            return None
    else:
        short = (developed_share or 0.0) < t.developed_share_min or (
            committed > 0 and (investment_share or 0.0) < t.investment_share_min
        )
        stopped_on = None
        for event in reversed(past):  # the trailing run of suspensions
            if event.kind == "suspension":
                stopped_on = event.reported_on
            else:
                break
        if not short or stopped_on is None:
            return None
        clock, since, threshold = "stalled", stopped_on, t.stopped_days

    spans = delay_spans(delays, since=since, as_of=as_of)
    end = as_of.toordinal()
    delay_days = sum(max(0, min(after, end) - first) for first, after in spans)
    days = (as_of - since).days - delay_days
    stage = stage_of(days, threshold=threshold, thresholds=t)
    return IdleClock(
        contract_no=contract.contract_no,
        clock=clock,
        stage=stage,
        clock_started_on=since,
        days_on_clock=days,
        delay_days=delay_days,
        warning_on=clock_date(since, max(threshold - t.warning_days, 0), spans),
        idle_on=clock_date(since, threshold, spans),
        recovery_on=clock_date(since, max(t.recovery_days, threshold), spans),
        fee_wan=fee_wan(contract.price_wan, t) if stage in ("idle_1y", "idle_2y") else None,
        for_decision=stage == "idle_2y",
        actual_start_on=actual_start_on,
        developed_share=developed_share,
        investment_share=investment_share,
    )

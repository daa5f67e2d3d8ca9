"""The synthetic sample's land-supervision records, derived from its parcels and leases.

ILLUSTRATIVE: every contract, date, amount, progress report, approval batch, enterprise
code and yearly figure here is invented (plausible for Chinese practice, not anyone's).

:func:`generate_supervision` makes, from a :class:`~service.sample.generator.Sample`, the
tables (plain DataFrames, one row per record, columns named as the database's) that
``parks load`` writes into the supervision tables:

* ``enterprises`` — every distinct parcel holder and lease tenant, with an 18-character
  统一社会信用代码 (GB 32100-2015, check characters computed) as ``enterprise_code``;
* ``supply_contracts`` — one 出让合同 / 划拨决定书 / 租赁合同 per parcel that is supplied,
  under construction, operating or idle (signed on its ``supplied_on``): price 20–60 万元/亩,
  agreed start 3–6 months after signing, agreed completion 2–3 years after that, committed
  investment 250–500 万元/亩, plot ratio 1.0–1.2 to 2.5–3.0, building coverage ≥ 0.40,
  office and living share ≤ 0.07, and for about half a committed 亩均税收 of 10–30 万元/亩/年.
  Contract numbers are ASCII: ``GX-CR-2021-015`` = park prefix, mode (CR 出让, HB 划拨,
  ZL 租赁), year signed, number in that park, mode and year;
* ``site_progress`` — what happened on the ground (start, reports about every six months,
  suspensions, resumptions, completion acceptance with the measured plot ratio, building
  coverage, office share and investment; areas and investment cumulative to date), by
  parcel status: operating land was completed (a few below the contract's plot ratio);
  land under construction started and reports (some stopped once, a few stopped now);
  supplied land partly started, the rest not (some of it a year or two past its agreed
  start: 未动工 idle cases); idle land started, developed little and stopped long ago
  (中止开发建设) — each park's first three idle parcels stopped about 2+ years, 1–2 years
  and 9–12 months before :data:`SAMPLE_AS_OF`, so the idle list has every stage;
* ``idle_delays`` — up to two government-caused delays (政府原因) per park;
* ``approval_batches`` and ``approval_batch_parcels`` — 4–8 建设用地批次 per park (more
  in proportion for a bigger sample) approved 2016–2025, each covering whole parcels (the
  approved area is their sum, sometimes a little more); some hold reserve or ready land
  still unsupplied, the oldest such batches more than two years after approval;
* ``enterprise_figures`` — for each of *years*, every company (code starting ``91``)
  holding industrial or storage land or leasing standard-factory floor (not the park's
  development company, whose land is that floor): tax, revenue, added value (万元),
  energy (tce), R&D (万元), employees — spread widely, with low-output enterprises and a
  few without R&D.

Areas are planar m² in EPSG:4545 (the sample's parcels are transformed there when they are
in another CRS), money 万元, dates ISO ``YYYY-MM-DD`` strings on or before
:data:`SAMPLE_AS_OF`. Everything is vectorised over parcels (numpy/pandas): a
100,000-parcel sample takes seconds. Each park draws from its own random stream
``(seed, park index, 7)`` and the enterprises from ``(seed, 7, 0)``, apart from the
streams the rest of the sample uses, so adding these records changes no other layer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import shapely

from gis.crs import transform
from parks.units import M2_PER_MU
from parks.vocabulary import ParcelStatus
from service.sample.generator import (
    DEFAULT_SEED,
    HOLDING_STATUSES,
    INDUSTRIAL,
    PARK_SPECS,
    SAMPLE_AS_OF,
    STORAGE_SRID,
    SUPERVISION_LAYER_NAMES,
    Sample,
)

#: The layers :func:`generate_supervision` makes, in GeoPackage order, and the database
#: table each one is loaded into.
SUPERVISION_LAYERS: dict[str, str] = dict(
    zip(
        SUPERVISION_LAYER_NAMES,
        (
            "enterprise",
            "supply_contract",
            "site_progress",
            "idle_delay",
            "approval_batch",
            "approval_batch_parcel",
            "enterprise_figures",
        ),
        strict=True,
    )
)

DEFAULT_YEARS: tuple[int, ...] = (2023, 2024, 2025)

#: Contract-number letters by supply mode: 出让 (grant), 划拨 (allocate), 租赁 (lease).
MODE_LETTERS: dict[str, str] = {"grant": "CR", "allocate": "HB", "lease": "ZL"}

#: 行政区划代码 in an enterprise's 统一社会信用代码, by the park it first appears in.
DIVISION_CODES: dict[str, str] = {
    "gaoxin": "610301",  # 宝鸡市 (registered at the city)
    "jiangtan": "610302",  # 渭滨区
    "caijiapo": "610323",  # 岐山县
    "fengxiang": "610305",  # 凤翔区
}
DEFAULT_DIVISION_CODE = "610300"

#: Industry of a holder of land that is not industrial, by GB/T 21010 class.
LAND_USE_INDUSTRIES: dict[str, str] = {
    "0501": "商业服务",
    "0505": "商务金融",
    "0604": "仓储物流",
    "0701": "房地产开发",
    "0804": "科学研究和技术服务",
    "0809": "电力、热力、燃气及水生产和供应",
    "0810": "公共管理",
}
PLATFORM_INDUSTRY = "园区开发运营"
#: The land classes whose holders report yearly figures (工矿仓储用地).
EVALUATED_LAND_USES = (INDUSTRIAL, "0604")

BATCH_KINDS = ("conversion", "expropriation", "conversion_expropriation")
SUSPENSION_NOTES = ("资金链紧张，停工", "市场需求变化，暂缓建设", "设计变更，停工待批")
DELAY_CAUSES = (
    "征地拆迁补偿未完成，未能按约定交付土地（政府原因）",
    "规划调整（市政道路红线变更），暂停建设（政府原因）",
)

#: Idle stages the first idle parcels of each park are stopped for, and the days since the
#: stop they are drawn from (the idle rule's defaults: 365 days, warning 90 before, 730).
STALL_STAGES: dict[str, tuple[int, int]] = {
    "idle_2y": (740, 1500),
    "idle_1y": (370, 720),
    "warning": (280, 360),
}

# 统一社会信用代码 (GB 32100-2015): its alphabet and the weights of its check character;
# the organisation code inside it (GB 11714) has its own check character.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])

_EPOCH = np.datetime64("1970-01-01", "D")
AS_OF_DAY = int((np.datetime64(SAMPLE_AS_OF, "D") - _EPOCH).astype(np.int64))


def _day(d: date | str) -> int:
    return int((np.datetime64(d, "D") - _EPOCH).astype(np.int64))


def _iso(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 as ISO date strings (object array)."""
    return (np.asarray(days, dtype=np.int64).astype("datetime64[D]")).astype(str).astype(object)


def _index_in_group(sizes: np.ndarray) -> np.ndarray:
    starts = np.cumsum(sizes) - sizes
    return np.arange(int(np.sum(sizes))) - np.repeat(starts, sizes)


@dataclass(frozen=True)
class _Park:
    """What one park contributes: its code, names and parcels (with EPSG:4545 areas)."""

    code: str
    prefix: str
    short_zh: str
    name_zh: str
    parcels: pd.DataFrame  # parcel_code, status, holder, supply_mode, supplied_on, area_m2


def generate_supervision(
    sample: Sample,
    *,
    seed: int = DEFAULT_SEED,
    years: Sequence[int] = DEFAULT_YEARS,
) -> dict[str, pd.DataFrame]:
    """The supervision layers of *sample* (see the module's docstring), keyed as
    :data:`SUPERVISION_LAYERS`. Deterministic: the same sample, seed and years give the
    same frames. Works for any sample :func:`~service.sample.generator.generate` makes,
    100,000 parcels included (vectorised)."""
    parcels = sample.parcels
    geom = parcels.geometry.to_numpy()
    if sample.srid != STORAGE_SRID:
        geom = transform(geom, sample.srid, STORAGE_SRID)
    area_m2 = np.round(shapely.area(geom), 2)
    frame = pd.DataFrame(
        {
            "parcel_code": parcels["parcel_code"].to_numpy(),
            "park": parcels["park"].to_numpy(),
            "land_use_code": parcels["land_use_code"].to_numpy(),
            "status": parcels["status"].astype(object).to_numpy(),
            "holder": parcels["holder"].to_numpy(),
            "supply_mode": parcels["supply_mode"].to_numpy(),
            "supplied_on": parcels["supplied_on"].to_numpy(),
            "area_m2": area_m2,
        }
    )
    specs = {s.code: s for s in PARK_SPECS}
    contracts, progress, delays, batches, batch_parcels = [], [], [], [], []
    for index, park in enumerate(sample.parks.itertuples(index=False)):
        spec = specs.get(park.code)
        mine = frame[frame["park"] == park.code].reset_index(drop=True)
        info = _Park(
            code=park.code,
            prefix=spec.prefix if spec else str(park.code)[:3].upper(),
            short_zh=spec.short_zh if spec else str(park.name_zh)[:2],
            name_zh=str(park.name_zh),
            parcels=mine,
        )
        rng = np.random.default_rng([seed, index, 7])
        c, p, d, b, bp = _park_records(info, rng=rng)
        contracts.append(c)
        progress.append(p)
        delays.append(d)
        batches.append(b)
        batch_parcels.append(bp)
    contracts_frame = pd.concat(contracts, ignore_index=True)
    enterprises, figures = _enterprises(
        frame, sample, rng=np.random.default_rng([seed, 7, 0]), years=tuple(years)
    )
    codes = dict(zip(enterprises["name"], enterprises["enterprise_code"], strict=True))
    contracts_frame.insert(
        4, "enterprise_code", contracts_frame["holder"].map(codes).astype(object).to_numpy()
    )
    return {
        "enterprises": enterprises,
        "supply_contracts": contracts_frame,
        "site_progress": pd.concat(progress, ignore_index=True),
        "idle_delays": pd.concat(delays, ignore_index=True),
        "approval_batches": pd.concat(batches, ignore_index=True),
        "approval_batch_parcels": pd.concat(batch_parcels, ignore_index=True),
        "enterprise_figures": figures,
    }


# --------------------------------------------------------------------------------------
# One park: contracts, progress, delays, batches
# --------------------------------------------------------------------------------------


def _park_records(park: _Park, *, rng: np.random.Generator) -> tuple[pd.DataFrame, ...]:
    """(contracts, progress, delays, batches, batch parcels) of one park."""
    parcels = park.parcels
    held = parcels["status"].isin([str(s) for s in HOLDING_STATUSES]).to_numpy() & (
        parcels["holder"].notna().to_numpy()
    )
    c = parcels[held].reset_index(drop=True)
    n = len(c)
    status = c["status"].to_numpy().astype(str)
    area_m2 = c["area_m2"].to_numpy()
    area_mu = area_m2 * 15 / 10000

    # --- the contracts' terms
    supplied = pd.to_datetime(c["supplied_on"], format="%Y-%m-%d", errors="coerce")
    signed = np.where(
        supplied.isna().to_numpy(),
        AS_OF_DAY - rng.integers(60, 2000, n),
        (supplied.to_numpy().astype("datetime64[D]") - _EPOCH).astype(np.int64),
    ).astype(np.int64)
    signed = np.minimum(signed, AS_OF_DAY)
    mode = c["supply_mode"].where(c["supply_mode"].isin(list(MODE_LETTERS)), "grant")
    mode = mode.to_numpy().astype(str)
    price_wan = np.round(rng.uniform(20, 60, n) * area_mu, 2)
    agreed_start = signed + rng.integers(90, 184, n)
    agreed_completion = agreed_start + rng.integers(730, 1096, n)
    committed_investment = np.round(rng.uniform(250, 500, n) * area_mu, 2)
    plot_ratio_min = rng.choice([1.0, 1.1, 1.2], n)
    plot_ratio_max = rng.choice([2.5, 2.8, 3.0], n)
    committed_tax = np.where(rng.random(n) < 0.5, rng.integers(10, 31, n).astype(float), np.nan)
    year = signed.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    order = np.lexsort((np.arange(n), signed))
    keyed = pd.DataFrame({"year": year[order], "mode": mode[order]})
    seq = np.empty(n, dtype=np.int64)
    seq[order] = keyed.groupby(["year", "mode"]).cumcount().to_numpy() + 1
    doc_seq = np.empty(n, dtype=np.int64)
    doc_seq[order] = keyed.groupby("year").cumcount().to_numpy() + 1
    width = max(3, len(str(int(seq.max())))) if n else 3
    contract_no = np.array(
        [
            f"{park.prefix}-{MODE_LETTERS[m]}-{y}-{s:0{width}d}"
            for m, y, s in zip(mode, year, seq, strict=True)
        ],
        dtype=object,
    )
    document_no = np.array(
        [f"宝{park.short_zh}供地〔{y}〕{s}号" for y, s in zip(year, doc_seq, strict=True)],
        dtype=object,
    )

    events, delays = _progress(
        park,
        rng=rng,
        status=status,
        area_m2=area_m2,
        signed=signed,
        agreed_start=agreed_start,
        agreed_completion=agreed_completion,
        committed=committed_investment,
        plot_ratio_min=plot_ratio_min,
    )
    batches, members, batch_of = _batches(park, rng=rng, contracted=held, signed_all=signed)
    contracts = pd.DataFrame(
        {
            "contract_no": contract_no,
            "parcel_code": c["parcel_code"].to_numpy(),
            "park": park.code,
            "holder": c["holder"].to_numpy(),
            "batch_no": batch_of,
            "signed_on": _iso(signed),
            "supply_mode": mode.astype(object),
            "price_wan": price_wan,
            "land_area_m2": area_m2,
            "agreed_start_on": _iso(agreed_start),
            "agreed_completion_on": _iso(agreed_completion),
            "committed_investment_wan": committed_investment,
            "plot_ratio_min": plot_ratio_min,
            "plot_ratio_max": plot_ratio_max,
            "building_coverage_min": 0.40,
            "office_share_max": 0.07,
            "committed_tax_wan_per_mu_year": committed_tax,
            "document_no": document_no,
        }
    )
    owner = events.pop("contract").to_numpy()
    events.insert(0, "contract_no", contract_no[owner])
    events = events.sort_values(["contract_no", "reported_on", "kind"], ignore_index=True)
    delays.insert(0, "contract_no", contract_no[delays.pop("contract").to_numpy()])
    return contracts, events, delays, batches, members


def _progress(
    park: _Park,
    *,
    rng: np.random.Generator,
    status: np.ndarray,
    area_m2: np.ndarray,
    signed: np.ndarray,
    agreed_start: np.ndarray,
    agreed_completion: np.ndarray,
    committed: np.ndarray,
    plot_ratio_min: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events on the ground of one park's contracts (by index), and its delays."""
    n = len(status)
    operating = status == ParcelStatus.OPERATING.value
    building = status == ParcelStatus.UNDER_CONSTRUCTION.value
    supplied = status == ParcelStatus.SUPPLIED.value
    idle = status == ParcelStatus.IDLE.value
    # Draws for every contract, whether used or not, so each is one fixed stream.
    start_lag = rng.integers(-20, 201, n)
    duration = rng.integers(420, 1001, n)
    pace = np.where(rng.random(n) < 0.15, rng.uniform(0.2, 0.5, n), rng.uniform(0.8, 1.2, n))
    started_if_due = rng.random(n) < 0.55
    once_stopped = rng.random(n) < 0.12
    stop_at = rng.uniform(0.3, 0.6, n)
    stop_days = rng.integers(30, 201, n)
    stopped_now = rng.random(n) < 0.08
    stopped_ago = rng.integers(20, 331, n)
    stall_share_dev = rng.uniform(0.05, 0.30, n)
    stall_share_inv = rng.uniform(0.05, 0.22, n)
    stage_draw = rng.choice(np.array(list(STALL_STAGES)), n, p=[0.4, 0.4, 0.2])
    stage_days = {s: rng.integers(lo, hi + 1, n) for s, (lo, hi) in STALL_STAGES.items()}
    note_draw = rng.integers(0, len(SUSPENSION_NOTES), n)
    completed_ratio = np.where(
        rng.random(n) < 0.1,
        plot_ratio_min * rng.uniform(0.6, 0.95, n),
        plot_ratio_min + rng.uniform(0.05, 1.2, n),
    )
    coverage = np.where(
        rng.random(n) < 0.08, rng.uniform(0.28, 0.39, n), rng.uniform(0.42, 0.65, n)
    )
    office = np.where(rng.random(n) < 0.08, rng.uniform(0.075, 0.12, n), rng.uniform(0.02, 0.07, n))
    invested = committed * np.where(
        rng.random(n) < 0.15, rng.uniform(0.6, 0.95, n), rng.uniform(0.95, 1.35, n)
    )

    # --- start, end of work (completion, or now) and the stop, per contract
    started = (
        operating | building | idle | (supplied & started_if_due & (agreed_start <= AS_OF_DAY))
    )
    start = agreed_start + np.where(supplied | idle, np.abs(start_lag) // 2, start_lag)
    latest_start = np.where(
        operating | idle, AS_OF_DAY - 400, np.where(building, AS_OF_DAY - 30, AS_OF_DAY - 5)
    )
    start = np.clip(start, signed + 1, np.maximum(latest_start, signed + 1))
    start = np.minimum(start, AS_OF_DAY)
    completion = np.minimum(start + duration, AS_OF_DAY - 15)
    completion = np.maximum(completion, start + 1)

    # idle land: stopped for a stage's days, the park's first three in each stage
    rank = np.cumsum(idle) - 1
    stage = np.where(
        idle & (rank < len(STALL_STAGES)),
        np.array(list(STALL_STAGES))[np.clip(rank, 0, len(STALL_STAGES) - 1)],
        stage_draw,
    )
    ago = np.select([stage == s for s in STALL_STAGES], list(stage_days.values()))
    stall = np.clip(AS_OF_DAY - ago, start + 90, AS_OF_DAY - 1)
    # under construction: some stopped now (clock running), some stopped once and resumed
    stopped_now &= building & (AS_OF_DAY - stopped_ago > start + 40)
    now_stop = AS_OF_DAY - stopped_ago
    work_end = np.select(
        [operating, idle, stopped_now], [completion, stall, now_stop], default=AS_OF_DAY
    )
    pause_from = start + (stop_at * (work_end - start)).astype(np.int64)
    pause_to = pause_from + stop_days
    once_stopped &= (operating | building) & (pause_to < work_end - 20) & (pause_from > start + 20)

    # --- how far each event is along, and the cumulative figures it reports
    expected = np.where(operating, completion - start, np.maximum(agreed_completion - start, 365))
    final_dev = np.where(idle, stall_share_dev, 1.0) * area_m2
    final_inv = np.where(
        idle, stall_share_inv * committed, np.where(operating, invested, committed)
    )

    def figures(owner: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        span = np.where(idle[owner], stall[owner] - start[owner], expected[owner])
        t = np.clip((day - start[owner]) / np.maximum(span, 1), 0.0, 1.0)
        t = np.where(operating[owner] | idle[owner], t, np.minimum(0.95, pace[owner] * t))
        developed = np.round(final_dev[owner] * t, 2)
        investment = np.round(final_inv[owner] * (0.05 + 0.95 * t), 2)
        return developed, investment

    kinds, owners, days = [], [], []

    def add(kind: str, mask: np.ndarray, day: np.ndarray) -> None:
        owners.append(np.flatnonzero(mask))
        days.append(day[mask])
        kinds.append(np.full(int(mask.sum()), kind, dtype=object))

    add("start", started, start)
    add("completion", operating, completion)
    add("suspension", idle, stall)
    add("suspension", stopped_now, now_stop)
    add("suspension", once_stopped, pause_from)
    add("resumption", once_stopped, pause_to)
    # reports about every six months while work goes on (ends 10 days before a stop and
    # 30 before completion), none while stopped
    report_end = np.where(operating, completion - 30, work_end - 10)
    owner, day = _periodic(start, np.where(started, report_end, start), rng=rng)
    paused = once_stopped[owner] & (day >= pause_from[owner] - 10) & (day <= pause_to[owner] + 10)
    owners.append(owner[~paused])
    days.append(day[~paused])
    kinds.append(np.full(int((~paused).sum()), "report", dtype=object))

    owner = np.concatenate(owners)
    day = np.concatenate(days)
    kind = np.concatenate(kinds)
    developed, investment = figures(owner, day)
    start_row = kind == "start"
    developed[start_row] = 0.0
    is_completion = kind == "completion"
    developed[is_completion] = area_m2[owner[is_completion]]
    investment[is_completion] = np.round(invested[owner[is_completion]], 2)
    # a note where it says more than the kind does: why work stopped
    note = np.where(
        kind == "suspension", np.array(SUSPENSION_NOTES, dtype=object)[note_draw[owner]], None
    )

    def at_completion(values: np.ndarray, decimals: int) -> np.ndarray:
        return np.where(is_completion, np.round(values[owner], decimals), np.nan)

    events = pd.DataFrame(
        {
            "contract": owner,
            "reported_on": _iso(day),
            "kind": kind,
            "developed_area_m2": developed,
            "investment_wan": investment,
            "plot_ratio": at_completion(completed_ratio, 3),
            "building_coverage": at_completion(coverage, 4),
            "office_share": at_completion(office, 4),
            "note": note,
        }
    )
    return events, _delays(
        park,
        rng=rng,
        not_started=(supplied & ~started & (agreed_start <= AS_OF_DAY - 200)),
        agreed_start=agreed_start,
        stalled=idle & (rank >= len(STALL_STAGES)),
        stall=stall,
    )


def _periodic(
    start: np.ndarray,
    end: np.ndarray,
    *,
    rng: np.random.Generator,
    every: int = 182,
    jitter: int = 14,
) -> tuple[np.ndarray, np.ndarray]:
    """Days about every *every* days after each *start*, strictly before its *end*:
    (owner index, day) pairs."""
    count = np.maximum(0, (end - start - jitter - 1) // every)
    owner = np.repeat(np.arange(len(start)), count)
    k = _index_in_group(count)
    day = start[owner] + every * (k + 1) + rng.integers(-jitter, jitter + 1, len(owner))
    return owner, day


def _delays(
    park: _Park,
    *,
    rng: np.random.Generator,
    not_started: np.ndarray,
    agreed_start: np.ndarray,
    stalled: np.ndarray,
    stall: np.ndarray,
) -> pd.DataFrame:
    """A government-caused delay on one late unstarted contract (ended) and one stopped
    site that is not one of the park's first three idle parcels (still running or ended)."""
    rows = []
    candidates = np.flatnonzero(not_started)
    if len(candidates):
        i = int(rng.choice(candidates))
        frm = int(agreed_start[i] + rng.integers(10, 61))
        to = min(frm + int(rng.integers(90, 241)), AS_OF_DAY - 1)
        if to >= frm:
            rows.append((i, frm, to, DELAY_CAUSES[0]))
    candidates = np.flatnonzero(stalled & (stall < AS_OF_DAY - 150))
    if len(candidates):
        i = int(rng.choice(candidates))
        frm = int(stall[i] + rng.integers(30, 121))
        to = frm + int(rng.integers(120, 301))
        rows.append(
            (i, frm, None if rng.random() < 0.5 or to >= AS_OF_DAY else to, DELAY_CAUSES[1])
        )
    return pd.DataFrame(
        {
            "contract": np.array([r[0] for r in rows], dtype=np.int64),
            "delay_from": _iso(np.array([r[1] for r in rows], dtype=np.int64)),
            "delay_to": np.array(
                [None if r[2] is None else _iso(np.array([r[2]]))[0] for r in rows], dtype=object
            ),
            "cause": np.array([r[3] for r in rows], dtype=object),
            "document_no": np.array(
                [
                    f"宝{park.short_zh}管函〔{_iso(np.array([r[1]]))[0][:4]}〕{k + 11}号"
                    for k, r in enumerate(rows)
                ],
                dtype=object,
            ),
        }
    )


def _batches(
    park: _Park, *, rng: np.random.Generator, contracted: np.ndarray, signed_all: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The park's approval batches, their parcels, and each contract's batch (or None).

    *contracted* marks the park's parcels that have a contract; *signed_all* are those
    contracts' signing days (in parcel order)."""
    parcels = park.parcels
    n_parcels = len(parcels)
    n = int(rng.integers(4, 9)) * max(1, round(n_parcels / 300))
    approved = np.sort(rng.integers(_day("2016-01-01"), _day("2025-12-31") + 1, n))
    approved[-1] = max(approved[-1], _day("2025-03-01"))  # one recent (not yet at risk)
    approved[0] = min(approved[0], _day("2018-06-30"))  # one old
    approved = np.sort(approved)
    unsupplied_land = rng.random(n) < 0.45
    unsupplied_land[0] = unsupplied_land[-1] = True
    if n >= 3 and unsupplied_land.all():
        unsupplied_land[n // 2] = False
    kind = rng.choice(np.array(BATCH_KINDS, dtype=object), n, p=[0.3, 0.15, 0.55])
    extra = np.where(unsupplied_land & (rng.random(n) < 0.5), rng.uniform(0.01, 0.06, n), 0.0)
    document_no = rng.integers(20, 400, n)

    # contracted land: most from a batch approved at least 60 days before signing
    nc = len(signed_all)
    in_batch = rng.random(nc) < 0.75
    eligible = np.searchsorted(approved, signed_all - 60, side="right")
    back = rng.integers(0, 3, nc) % np.maximum(np.minimum(eligible, 3), 1)
    contract_batch = np.where(in_batch & (eligible > 0), eligible - 1 - back, -1)
    batch = np.full(n_parcels, -1, dtype=np.int64)
    batch[np.flatnonzero(contracted)] = contract_batch
    # unsupplied (reserve, ready) land: some of it in the batches marked to hold some
    waiting = np.flatnonzero(
        parcels["status"].isin([str(ParcelStatus.RESERVE), str(ParcelStatus.READY)]).to_numpy()
    )
    chosen = waiting[rng.random(len(waiting)) < 0.3]
    holders = np.flatnonzero(unsupplied_land)
    assigned = holders[rng.integers(0, len(holders), len(chosen))]
    first = min(len(chosen), len(holders))
    assigned[:first] = holders[:first]
    batch[chosen] = assigned
    # every batch covers at least one parcel: an empty one takes a spare unsupplied parcel
    spare = list(waiting[batch[waiting] < 0])
    counts = np.bincount(batch[batch >= 0], minlength=n)
    keep = np.ones(n, dtype=bool)
    for b in np.flatnonzero(counts == 0):
        if spare:
            batch[spare.pop(0)] = b
        else:
            keep[b] = False
    renumber = np.full(n, -1, dtype=np.int64)
    renumber[keep] = np.arange(int(keep.sum()))
    batch = np.where(batch >= 0, renumber[np.maximum(batch, 0)], -1)
    approved, kind, extra, document_no = (a[keep] for a in (approved, kind, extra, document_no))

    year = approved.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    seq = pd.Series(year).groupby(year).cumcount().to_numpy() + 1
    batch_no = np.array(
        [f"{park.prefix}-PC-{y}-{s:02d}" for y, s in zip(year, seq, strict=True)], dtype=object
    )
    member = np.flatnonzero(batch >= 0)
    member_area = parcels["area_m2"].to_numpy()[member]
    total = np.bincount(batch[member], weights=member_area, minlength=len(approved))
    batches = pd.DataFrame(
        {
            "batch_no": batch_no,
            "park": park.code,
            "name": [
                f"{park.name_zh}{y}年度第{s}批次城镇建设用地"
                for y, s in zip(year, seq, strict=True)
            ],
            "kind": kind,
            "approved_on": _iso(approved),
            "approved_area_m2": np.round(total * (1 + extra), 2),
            "document_no": [
                f"陕政土批〔{y}〕{d}号" for y, d in zip(year, document_no, strict=True)
            ],
        }
    )
    order = np.lexsort((member, batch[member]))
    members = pd.DataFrame(
        {
            "batch_no": batch_no[batch[member][order]],
            "parcel_code": parcels["parcel_code"].to_numpy()[member][order],
            "area_m2": member_area[order],
        }
    )
    contract_batch_no = np.full(nc, None, dtype=object)
    in_one = batch[np.flatnonzero(contracted)]
    contract_batch_no[in_one >= 0] = batch_no[in_one[in_one >= 0]]
    return batches, members, contract_batch_no


# --------------------------------------------------------------------------------------
# Enterprises and their yearly figures
# --------------------------------------------------------------------------------------


def _enterprises(
    parcels: pd.DataFrame, sample: Sample, *, rng: np.random.Generator, years: tuple[int, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every distinct holder and tenant (in order of first appearance, park by park:
    holders, then tenants), and the yearly figures of the companies among them."""
    parks = [str(p) for p in sample.parks["code"]]
    park_rank = {p: i for i, p in enumerate(parks)}
    specs = {s.code: s for s in PARK_SPECS}
    held = parcels[parcels["holder"].notna()]
    leases = sample.leases.merge(
        sample.buildings[["building_code", "park"]], on="building_code", how="left"
    )
    appearances = pd.concat(
        [
            pd.DataFrame(
                {
                    "name": held["holder"].to_numpy(),
                    "park": held["park"].to_numpy(),
                    "land_use_code": held["land_use_code"].to_numpy(),
                    "source": 0,
                    "position": np.arange(len(held)),
                }
            ),
            pd.DataFrame(
                {
                    "name": leases["tenant"].to_numpy(),
                    "park": leases["park"].to_numpy(),
                    "land_use_code": INDUSTRIAL,
                    "source": 1,
                    "position": np.arange(len(leases)),
                }
            ),
        ],
        ignore_index=True,
    )
    appearances["park_rank"] = appearances["park"].map(park_rank).fillna(len(parks))
    appearances = appearances.sort_values(["park_rank", "source", "position"], kind="stable")
    first = appearances.drop_duplicates("name").reset_index(drop=True)
    names = first["name"].to_numpy().astype(str)
    n = len(names)

    investors = {
        str(p.investor): str(p.industry_chain)
        for p in sample.projects.itertuples(index=False)
        if isinstance(p.investor, str) and isinstance(p.industry_chain, str)
    }
    industry = np.empty(n, dtype=object)
    draw = rng.random(n)
    for i, (name, park, use) in enumerate(
        zip(names, first["park"], first["land_use_code"], strict=True)
    ):
        spec = specs.get(park)
        if name in investors:
            industry[i] = investors[name]
        elif name.endswith("园区开发建设有限公司"):
            industry[i] = PLATFORM_INDUSTRY
        elif use == INDUSTRIAL:
            pool = spec.industries if spec else ("制造业",)
            industry[i] = pool[int(draw[i] * len(pool))]
        else:
            industry[i] = LAND_USE_INDUSTRIES.get(use, "其他")

    kind = np.where(
        pd.Series(names).str.endswith("管理委员会").to_numpy(),
        "11",  # 机构编制: 机关
        np.where(
            pd.Series(names).str.contains("研究院|服务中心").to_numpy(),
            "12",  # 机构编制: 事业单位
            "91",  # 市场监管: 企业
        ),
    )
    division = first["park"].map(DIVISION_CODES).fillna(DEFAULT_DIVISION_CODE).to_numpy()
    codes = _credit_codes(names, kind, division)
    enterprises = pd.DataFrame({"enterprise_code": codes, "name": names, "industry": industry})
    figures = _figures(enterprises, parcels, sample, rng=rng, years=years)
    return enterprises, figures


def _hash8(text: str) -> int:
    """Eight decimal digits from *text* (BLAKE2b: the same on every machine and run)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()) % 10**8


def _credit_codes(names: np.ndarray, kind: np.ndarray, division: np.ndarray) -> np.ndarray:
    """18-character 统一社会信用代码: *kind* (2) + *division* (6) + an organisation code of
    8 digits from the name's hash and its GB 11714 check character + the GB 32100 check
    character. Distinct for distinct names (a clash is hashed again)."""
    n = len(names)
    body = np.array([_hash8(name) for name in names], dtype=np.int64)
    salt = 0
    while n and pd.Series(body).duplicated().any():
        salt += 1
        clash = np.flatnonzero(pd.Series(body).duplicated().to_numpy())
        body[clash] = [_hash8(f"{names[i]}#{salt}") for i in clash]
    digits = (body[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    org_check = 11 - (digits @ _ORG_WEIGHTS) % 11
    org_char = np.where(org_check == 10, "X", np.where(org_check == 11, "0", org_check.astype(str)))
    first17 = [
        f"{k}{d}{''.join(map(str, ds))}{c}"
        for k, d, ds, c in zip(kind, division, digits, org_char, strict=True)
    ]
    values = np.array([[_USCC_ALPHABET.index(ch) for ch in s] for s in first17], dtype=np.int64)
    values = values.reshape(n, 17)
    check = (31 - (values @ _USCC_WEIGHTS) % 31) % 31
    return np.array(
        [s + _USCC_ALPHABET[int(c)] for s, c in zip(first17, check, strict=True)], dtype=object
    )


def _figures(
    enterprises: pd.DataFrame,
    parcels: pd.DataFrame,
    sample: Sample,
    *,
    rng: np.random.Generator,
    years: tuple[int, ...],
) -> pd.DataFrame:
    """Yearly figures of the companies (code ``91…``) holding industrial or storage land
    (工矿仓储用地, 0601 / 0604: the land 亩均效益 is judged on) or leasing standard-factory
    floor — not the park's development company, whose land is that floor (its tenants
    report the floor's output).

    Their scale is that land plus the land share of the floor they lease (floor ÷ 1.5);
    亩均税收 is log-normal around 12 万元/亩 with about one in seven enterprises at a
    tenth to a third of that; revenue 12–35 × tax; added value 18–35 % of revenue; energy
    0.02–0.35 tce per 万元 of revenue; R&D 0.5–6 % of revenue (none for about one in
    twelve); employees from added value at 12–45 万元 a head; each year grows about 4 %
    (±10 %) on the last."""
    n = len(enterprises)
    productive = parcels["holder"].notna() & parcels["land_use_code"].isin(EVALUATED_LAND_USES)
    land_mu = parcels[productive].groupby("holder")["area_m2"].sum() * 15 / 10000
    floor_m2 = sample.leases.groupby("tenant")["leased_m2"].sum()
    names = enterprises["name"]
    held = names.map(land_mu).fillna(0.0).to_numpy()
    leased = names.map(floor_m2).fillna(0.0).to_numpy()
    basis_mu = np.maximum(held + leased / M2_PER_MU / 1.5, 0.5)

    tax_per_mu = rng.lognormal(np.log(12.0), 0.75, n)
    low = rng.random(n) < 0.15
    tax_per_mu = np.where(low, tax_per_mu * rng.uniform(0.1, 0.33, n), tax_per_mu)
    revenue_per_tax = rng.uniform(12, 35, n)
    added_share = rng.uniform(0.18, 0.35, n)
    energy_per_revenue = rng.uniform(0.02, 0.35, n)
    rd_share = np.where(rng.random(n) < 0.08, 0.0, rng.uniform(0.005, 0.06, n))
    added_per_head = rng.uniform(12, 45, n)
    growth = np.clip(rng.normal(1.04, 0.1, (len(years), n)), 0.7, 1.4)
    level = np.cumprod(growth, axis=0) / growth[0]
    noise = rng.normal(1.0, 0.03, (4, len(years), n))

    company = (
        enterprises["enterprise_code"].str.startswith("91").to_numpy()
        & (enterprises["industry"] != PLATFORM_INDUSTRY).to_numpy()
        & ((held > 0) | (leased > 0))
    )
    rows = []
    for y, year in enumerate(years):
        tax = basis_mu * tax_per_mu * level[y]
        revenue = tax * revenue_per_tax * noise[0, y]
        added = revenue * added_share * noise[1, y]
        frame = pd.DataFrame(
            {
                "enterprise_code": enterprises["enterprise_code"].to_numpy(),
                "year": int(year),
                "tax_wan": np.round(tax, 2),
                "revenue_wan": np.round(revenue, 2),
                "added_value_wan": np.round(added, 2),
                "energy_tce": np.round(revenue * energy_per_revenue * noise[2, y], 3),
                "rd_wan": np.round(revenue * rd_share * noise[3, y], 2),
                "employees": np.maximum(3, np.round(added / added_per_head)).astype(np.int64),
            }
        )
        rows.append(frame[company])
    if not rows:
        return pd.DataFrame(
            columns=[
                "enterprise_code",
                "year",
                "tax_wan",
                "revenue_wan",
                "added_value_wan",
                "energy_tce",
                "rd_wan",
                "employees",
            ]
        )
    return pd.concat(rows, ignore_index=True)

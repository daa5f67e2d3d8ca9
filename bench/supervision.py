"""Land supervision at city scale: ~100,000 parcels, 30,000 enterprises × 3 years of figures.

The generated ~100,000-parcel city (``service.sample.generator.generate``) has its parcels'
holders and its leases' tenants spread over 30,000 distinct enterprises (the sample's own
name pools hold about 130), and its supervision records made from that
(``service.sample.supervision.generate_supervision``: a contract per held parcel with its
progress, the approval batches, three years of figures). It is loaded by ``parks load``'s
loader into a fresh migrated database, then, each timed in-process as the service's role
on a warm connection (the median of several runs; the first run is reported too):

1. the idle list (``idle_land``: every contract's clock, as of the sample's date) —
   target ≤ 200 ms; and the same over HTTP (``GET /api/supervision/idle``, JSON encoding
   included) for one park and for the city;
2. a year's 亩均效益 evaluation (``evaluate``, 30,000 enterprises) — target ≤ 5 s;
3. the monthly supervision report (``monthly_report``) — target ≤ 10 s; and its workbook;
4. for information: the supervision records' share of the load, and a 30,000-row figures
   file brought in (``parks figures import``'s function).

Part ``supervision`` of ``bench/run.py``; alone: ``.venv/bin/python bench/supervision.py``
(about 5 minutes) or ``--parcels 20000 --enterprises 6000 --no-write`` for a quick check.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

BENCH = Path(__file__).resolve().parent
for _path in (str(BENCH.parent), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import numpy as np  # noqa: E402
from common import OUT_DIR, Section, Server, http_client, log, timed  # noqa: E402

KEY = "supervision"
TITLE = "Land supervision: idle list, evaluation and monthly report at {parcels} parcels"
ENTERPRISES = 30_000
YEARS = (2023, 2024, 2025)
#: Of the enterprises, this share are tenants of factory floor only (the rest hold land).
TENANT_SHARE = 0.1
IDLE_TARGET_MS = 200.0
EVALUATION_TARGET_S = 5.0
REPORT_TARGET_S = 10.0
RUNS = 5
AS_OF = date(2026, 10, 31)
MONTH = "2026-10"
EVALUATION_YEAR = YEARS[-1]
SEED = 20261207


def spread_enterprises(data, *, enterprises: int, seed: int = SEED):
    """*data* with the holders of its industrial and storage parcels (not the parks'
    development companies) and its leases' tenants renamed over *enterprises* distinct
    names: every name holds at least one parcel (or one lease), the rest drawn at random."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    parcels = data.parcels.copy()
    holder = parcels["holder"].astype(object)
    graded = (
        holder.notna().to_numpy()
        & parcels["land_use_code"].isin(["0601", "0604"]).to_numpy()
        & ~holder.fillna("").str.contains("园区开发建设").to_numpy()
    )
    n_tenants = int(enterprises * TENANT_SHARE)
    n_holders = min(enterprises - n_tenants, int(graded.sum()))
    rows = np.flatnonzero(graded)
    ids = np.concatenate([np.arange(n_holders), rng.integers(0, n_holders, len(rows) - n_holders)])
    rng.shuffle(ids)
    names = np.array([f"宝鸡市{i:05d}制造有限公司" for i in range(n_holders)], dtype=object)
    new_holder = holder.to_numpy().copy()
    new_holder[rows] = names[ids]
    parcels["holder"] = new_holder
    leases = data.leases.copy()
    tenant_ids = np.concatenate(
        [np.arange(n_tenants), rng.integers(0, n_tenants, max(0, len(leases) - n_tenants))]
    )[: len(leases)]
    rng.shuffle(tenant_ids)
    leases["tenant"] = pd.Series(
        [f"宝鸡市租户{i:05d}科技有限公司" for i in tenant_ids], index=leases.index, dtype=object
    )
    return replace(data, parcels=parcels, leases=leases)


def build(dbs, *, parcels: int, enterprises: int) -> tuple[str, dict[str, str]]:
    """Generate, spread, write and load the city; (database, facts about it)."""
    from common import load_timed

    from service.sample import generator as sample
    from service.sample.supervision import generate_supervision

    facts: dict[str, str] = {}
    log(f"generating {parcels:,} parcels and {enterprises:,} enterprises")
    with timed() as t:
        data = sample.generate(total_parcels=parcels)
        data = spread_enterprises(data, enterprises=enterprises)
        data = replace(data, **generate_supervision(data, seed=SEED, years=YEARS))
    facts["generated in"] = f"{t[0]:.1f} s"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"supervision_{parcels}.gpkg"
    sample.write(data, path)
    name = dbs.create_migrated("supervision")
    log(f"loading {path.name}")
    outcome = load_timed(name, path, timeout_s=900)
    if not outcome.ok:
        raise RuntimeError(f"the supervision city did not load: {outcome.error}")
    facts["parcels"] = f"{len(data.parcels):,}"
    facts["enterprises (with figures)"] = (
        f"{len(data.enterprises):,} ({data.enterprise_figures['enterprise_code'].nunique():,})"
    )
    facts["supply contracts"] = f"{len(data.supply_contracts):,}"
    facts["progress reports"] = f"{len(data.site_progress):,}"
    facts["approval batches (their parcels)"] = (
        f"{len(data.approval_batches):,} ({len(data.approval_batch_parcels):,})"
    )
    facts["yearly figures"] = f"{len(data.enterprise_figures):,} ({', '.join(map(str, YEARS))})"
    facts["loaded in (parcels and records, one transaction)"] = f"{outcome.seconds:.1f} s"
    return name, facts


def _repeat(function, runs: int = RUNS) -> tuple[float, float, object]:
    """(first run s, median of the rest s, last result)."""
    times, result = [], None
    for _ in range(runs + 1):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:]), result


def measure(database: str, facts: dict[str, str]) -> Section:
    """Time the three targets (and the figures import) on *database*."""
    from common import service_db_url

    from service.db.engine import make_engine
    from service.supervision.evaluation import evaluate
    from service.supervision.figures import import_figures
    from service.supervision.idle import idle_land
    from service.supervision.report import monthly_report
    from service.supervision.report_xlsx import write_xlsx

    section = Section(KEY, TITLE.format(parcels=facts["parcels"]))
    engine = make_engine(service_db_url(database), pool_size=2)  # as the service's role
    with engine.connect() as conn:
        first, median, idle = _repeat(lambda: idle_land(conn, as_of=AS_OF))
        section.add(
            "idle list, city (in-process)",
            f"{median * 1000:.0f} ms",
            f"≤ {IDLE_TARGET_MS:.0f} ms",
            median * 1000 <= IDLE_TARGET_MS,
            note=f"{len(idle):,} contracts on a clock; first run {first * 1000:.0f} ms",
        )
        first, median, evaluation = _repeat(lambda: evaluate(conn, year=EVALUATION_YEAR), runs=3)
        section.add(
            f"evaluation of {EVALUATION_YEAR} (in-process)",
            f"{median:.2f} s",
            f"≤ {EVALUATION_TARGET_S:.0f} s",
            median <= EVALUATION_TARGET_S,
            note=f"{len(evaluation['enterprises']):,} enterprises graded; first run {first:.2f} s",
        )
        first, median, report = _repeat(lambda: monthly_report(conn, month=MONTH), runs=3)
        section.add(
            f"monthly report {MONTH} (in-process)",
            f"{median:.2f} s",
            f"≤ {REPORT_TARGET_S:.0f} s",
            median <= REPORT_TARGET_S,
            note=f"first run {first:.2f} s",
        )
    work = Path(tempfile.mkdtemp(prefix="supervision-", dir=OUT_DIR))
    with timed() as t:
        write_xlsx(report, work / "report.xlsx")
    section.add("its workbook written (.xlsx)", f"{t[0]:.2f} s")
    figures_csv = _figures_file(engine, work / "figures.csv")
    with timed() as t:
        summary = import_figures(
            engine,
            figures_csv.read_bytes(),
            file_name=figures_csv.name,
            year=2026,
            actor="bench",
        )
    section.add(
        "a figures file of one row per enterprise brought in",
        f"{t[0]:.2f} s",
        note=f"{summary['rows']:,} rows",
    )
    engine.dispose()

    with Server(database, label="supervision") as server, http_client(server.base_url) as client:
        for label, query in (("jiangtan", "?park=jiangtan"), ("city", "")):
            url = (
                f"/api/supervision/idle{query}&as_of={AS_OF}"
                if query
                else (f"/api/supervision/idle?as_of={AS_OF}")
            )

            def get(url=url):
                response = client.get(url)
                response.raise_for_status()
                return response

            first, median, response = _repeat(get, runs=10)
            section.add(
                f"GET /api/supervision/idle ({label}) over HTTP",
                f"{median * 1000:.0f} ms",
                f"≤ {IDLE_TARGET_MS:.0f} ms",
                median * 1000 <= IDLE_TARGET_MS,
                note=f"{len(response.content) / 1e6:.1f} MB; first {first * 1000:.0f} ms",
            )
    section.details += ["| the city | |", "|---|---|"]
    section.details += [f"| {k} | {v} |" for k, v in facts.items()]
    section.details.append("")
    return section


def _figures_file(engine, path: Path) -> Path:
    """A CSV of every graded enterprise's 2026 figures (its 2025 figures grown 5 %)."""
    import csv

    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT e.enterprise_code, e.name, f.tax_wan, f.revenue_wan, f.added_value_wan, "
                "f.energy_tce, f.rd_wan, f.employees FROM enterprise_figures f "
                "JOIN enterprise e ON e.enterprise_code = f.enterprise_code "
                "AND e.valid_to IS NULL WHERE f.valid_to IS NULL AND f.year = :y"
            ),
            {"y": EVALUATION_YEAR},
        ).all()
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "enterprise_code",
                "name",
                "tax_wan",
                "revenue_wan",
                "added_value_wan",
                "energy_tce",
                "rd_wan",
                "employees",
            ]
        )
        for r in rows:
            grown = [None if v is None else round(float(v) * 1.05, 2) for v in r[2:7]]
            writer.writerow([r[0], r[1], *grown, r[7]])
    return path


def run(ws) -> Section:
    """bench/run.py's entry."""
    name, facts = build(ws.dbs, parcels=ws.big_parcels, enterprises=ENTERPRISES)
    return measure(name, facts)


def main(argv: list[str] | None = None) -> int:
    import common

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, default=ENTERPRISES)
    parser.add_argument("--no-write", action="store_true", help="print, don't touch RESULTS.md")
    args = parser.parse_args(argv)
    started = time.time()
    load_before = common.load_average()
    dbs = common.Databases()
    try:
        name, facts = build(dbs, parcels=args.parcels, enterprises=args.enterprises)
        result = measure(name, facts)
        machine = common.machine(name)
    finally:
        dbs.drop_all()
    common.publish_standalone(
        result,
        key=KEY,
        machine=machine,
        started=started,
        load_before=load_before,
        write=not args.no_write,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``make bench``: run the benchmarks, write their sections of bench/RESULTS.md, print a
summary.

    .venv/bin/python bench/run.py                 # every registered part
    .venv/bin/python bench/run.py --only loading  # one part (repeatable)

A part is a module ``bench/<name>.py`` with ``run(ws)``: given the shared
:class:`common.Workspace` (the run's databases: the sample and ~100,000 generated parcels,
each made on first use) it returns a :class:`common.Section`, which is written between
``<!-- KEY -->`` and ``<!-- /KEY -->`` in RESULTS.md — or it writes its own section and
returns its Markdown. Register a new part in ``PARTS``. Every database the run makes is
dropped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import common  # noqa: E402

#: name -> module in bench/, in the order they run.
PARTS: dict[str, str] = {
    "loading": "loading_and_reads",
    "rule": "rule_and_change_sets",
    "audit": "audit_as_of",
    "availability": "availability",
    "maps": "maps_and_tiles",
    "saturation": "saturation",
    "tipg": "against_tipg",
    "ogc": "ogc_features",
    "import_export": "import_and_export",
    "placement": "placement_check",
    "trust": "commit_latency_against_revision",
    "digests": "ledger_digests",
    "people": "people_workflow",
    "backup": "backup_restore",
    "scale": "scale_figures",
    "soak": "soak",
    "supervision": "supervision",
    "projects": "projects",
}


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks; write bench/RESULTS.md.")
    parser.add_argument(
        "--only", action="append", choices=sorted(PARTS), help="run only this part (repeatable)"
    )
    parser.add_argument(
        "--parcels", type=int, default=100_000, help="size of the generated data set"
    )
    parser.add_argument(
        "--load-timeout",
        type=float,
        default=90.0,
        help="statement timeout (s) of the timed loads; a load that runs past it is "
        "reported as not finished",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="replay the 100k load step by step (part loading) even when it meets its target",
    )
    parser.add_argument(
        "--seconds", type=float, help="length of part soak, its warm-up included (default 600)"
    )
    parser.add_argument("--warmup-seconds", type=float, help="warm-up of part soak (default 60)")
    args = parser.parse_args(argv)
    chosen = [name for name in PARTS if not args.only or name in args.only]
    signal.signal(signal.SIGTERM, _terminate)

    started = time.time()
    dbs = common.Databases()
    ws = common.Workspace(dbs, big_parcels=args.parcels, load_timeout_s=args.load_timeout)
    ws.profile_loads = args.profile
    ws.soak_seconds, ws.soak_warmup_s = args.seconds, args.warmup_seconds
    summaries: list[str] = []
    failed = False
    try:
        for name in chosen:
            module = importlib.import_module(PARTS[name])
            common.log(f"=== {name}")
            load_before = common.load_average()
            others = common.other_activity()
            t0 = time.time()
            try:
                result = module.run(ws)
            except Exception as exc:  # report it, go on with the next part
                import traceback

                traceback.print_exc()
                summaries.append(f"{name}: FAILED — {exc!r}")
                failed = True
                continue
            if isinstance(result, common.Section):
                result.started = t0
                result.load_before = load_before
                result.details += [
                    f"Other active sessions on the PostgreSQL server when this part started: "
                    f"{others}; at its end: {common.other_activity()}.",
                    "",
                ]
                machine = common.machine(ws.sample or ws.big)
                body = result.markdown(machine, common.load_average(), time.time() - t0)
                common.write_section(result.key, body)
                summaries += result.summary()
            else:
                summaries.append(f"{name}: done (its section is in {common.RESULTS.name})")
    except KeyboardInterrupt:
        common.log("interrupted")
        failed = True
    finally:
        common.log("dropping the run's databases")
        dbs.drop_all()

    print()
    print(f"Benchmarks ({time.time() - started:.0f} s; figures in {common.RESULTS}):")
    for line in summaries:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

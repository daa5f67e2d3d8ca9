"""Commit latency against an earlier revision of this code, in one run: the trust work's
cost (least-privilege roles, placement checked at commit, the guards of the past, ledger
row format 2, class flag history) measured against the commit before it.

The earlier revision is checked out as a git worktree (bench/out/revision-<rev>) and runs
as it did then: its own migrations and loader make its databases (one role, the owner, as
it was), its own uvicorn serves them. This code's databases are made and served as today
(the service as ``parks_app``). Both load the same data (the sample, and ~100,000
generated parcels), each version with its own loader. Each side gets a change-set workload
built from its own database with the same seed (``rule_and_change_sets.Workload``:
``set_status`` changes and compensated rezoning pairs), and the requests alternate between
the two servers, which goes first alternating, so the shared machine's drift falls on both
alike. Measured as loaded and again after ``ANALYZE`` of both.

    .venv/bin/python bench/run.py --only trust
    .venv/bin/python bench/commit_latency_against_revision.py --revision ea8ff9f --write
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
for _path in (str(BENCH.parent), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from common import (  # noqa: E402
    OUT_DIR,
    ROOT,
    Databases,
    Section,
    Server,
    Workspace,
    http_client,
    load_average,
    log,
    machine,
    ms,
    owner_db_url,
    percentile,
    publish_standalone,
)
from rule_and_change_sets import (  # noqa: E402
    PHASES,
    SEED,
    Tally,
    Workload,
    _analyze,
    _parcels,
    _post,
    _token,
)

KEY = "trust"
TITLE = "The trust work's cost: commit latency against the code before it, side by side"

#: The last commit before the trust work (roles, placement at commit, digests).
BEFORE_REVISION = "ea8ff9f"
WARMUP, PER_PHASE = 20, 300
TARGET = 0.10  # within 10 % of before

#: Run in the earlier revision's worktree: its own Workspace makes and loads the databases.
_BUILD = """
import json, sys
sys.path[:0] = [".", "bench"]
from bench.common import Databases, Workspace
ws = Workspace(Databases(), load_timeout_s=900)
print(json.dumps({"small": ws.sample_db(), "big": ws.big_db()}))
"""

_TOKEN = """
import sys
sys.path[:0] = ["."]
from sqlalchemy import create_engine
from service.auth.tokens import create_token
engine = create_engine(sys.argv[1])
name = sys.argv[2] if len(sys.argv) > 2 else "bench-admin"
with engine.begin() as conn:
    print(create_token(conn, name=name, role="admin"))
"""


def worktree(revision: str) -> Path:
    """A detached worktree of *revision* under bench/out/ (made once, then reused)."""
    path = OUT_DIR / f"revision-{revision}"
    if not (path / ".git").exists():
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "worktree", "add", "--force", "--detach", str(path), revision],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return path


def _in_revision(path: Path, code: str, *args: str) -> str:
    """*code* run by this Python in the worktree *path*; its last line of output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARKS_")}
    # The earlier code ran as one role that owned everything: the owner here.
    env["DATABASE_URL"] = owner_db_url("parks")
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the revision's code failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


class RevisionServer(Server):
    """The earlier revision's uvicorn, in its worktree, connected as the owner."""

    def __init__(self, path: Path, database: str, **kwargs) -> None:
        super().__init__(database, **kwargs)
        self.cwd = path

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env["DATABASE_URL"] = owner_db_url(self.database)
        return env


def _sequence(database: str, kinds: list[str]) -> list[dict]:
    parcels, manufacturing = _parcels(database)
    work = Workload(parcels, manufacturing, random.Random(SEED + 20))
    return [work.next(k)[1] for k in kinds]


def _kinds(n: int) -> list[str]:
    kinds = ["set_status", "pair"] * (n // 2)
    random.Random(SEED + 21).shuffle(kinds)
    return kinds


#: The servers of one side: at the sample's size and at ~100,000 parcels.
DATABASES = ("small", "big")


def _databases(ws: Workspace, path: Path, revision: str) -> dict[tuple[str, str], str]:
    """(side, database) -> name: each side's sample and ~100,000 parcels loaded by its own
    code (this side's as copies, so that the run's shared databases stay as loaded)."""
    log(f"loading the sample and ~100,000 parcels with the code of {revision}")
    built = json.loads(_in_revision(path, _BUILD))
    ws.dbs.made += [built["small"], built["big"]]  # dropped with the run's own
    return {
        ("before", "small"): built["small"],
        ("before", "big"): built["big"],
        ("after", "small"): ws.dbs.create("trust_small", template=ws.sample_db()),
        ("after", "big"): ws.dbs.create("trust_big", template=ws.big_db()),
    }


def measure(ws: Workspace, section: Section, revision: str) -> None:
    path = worktree(revision)
    names = _databases(ws, path, revision)
    per_server = WARMUP + len(PHASES) * PER_PHASE
    kinds = _kinds(per_server + 1)
    plans = {}
    for side, db in names:
        if side == "before":
            token = _in_revision(path, _TOKEN, owner_db_url(names[(side, db)]))
            headers = {"Authorization": f"Bearer {token}"}
        else:
            headers = _token(names[(side, db)])
        plans[(side, db)] = (headers, _sequence(names[(side, db)], kinds))
    section.details += [
        f"The code before the trust work is commit `{revision}`, run from a worktree "
        "(bench/out/): its migrations and its loader made its databases, as one role that "
        "owns everything (as that code did), and its uvicorn served them. This code's copies "
        "are served as today (the service as `parks_app`). Four servers, 1 worker each: "
        "before and after, at the sample's size and at ~100,000 parcels. The same mix of "
        "change sets (`set_status` and compensated rezoning pairs, one seed, each side's workload "
        "drawn from its own database) is posted to the before and after servers of a "
        "database alternately, which goes first alternating; "
        f"{WARMUP} warm-up change sets, then {PER_PHASE} per phase. The latency is the HTTP "
        "round trip of `POST /api/change-sets` (its COMMIT, where the rule and the placement "
        "check run, included).",
        "",
        "| database | phase | n (before / after) | before p50 | after p50 | change | "
        "before p99 | after p99 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    tallies = {key: Tally() for key in plans}
    servers = {
        (side, db): (
            RevisionServer(path, name, label=f"trust_{side}_{db}")
            if side == "before"
            else Server(name, label=f"trust_{side}_{db}")
        )
        for (side, db), name in names.items()
    }
    for server in servers.values():
        server.start()
    clients = {key: http_client(server.base_url) for key, server in servers.items()}
    labels = {"small": "the sample", "big": "~100,000 parcels"}
    try:
        i = 0
        for phase, (phase_name, _what) in enumerate(PHASES):
            if phase_name == "after ANALYZE":
                for name in names.values():
                    _analyze(name)
            times = {key: [] for key in plans}
            count = WARMUP + PER_PHASE if phase == 0 else PER_PHASE
            for j in range(count):
                for db in DATABASES:
                    order = ("before", "after") if i % 2 == 0 else ("after", "before")
                    for side in order:
                        headers, sequence = plans[(side, db)]
                        elapsed = _post(
                            clients[(side, db)], headers, sequence[i], tallies[(side, db)]
                        )
                        if phase > 0 or j >= WARMUP:
                            times[(side, db)].append(elapsed)
                i += 1
            for db in DATABASES:
                a, b = times[("before", db)], times[("after", db)]
                p50a, p50b = percentile(a, 50), percentile(b, 50)
                change = (p50b - p50a) / p50a
                section.details.append(
                    f"| {labels[db]} | {phase_name} | {len(a)} / {len(b)} | {ms(p50a)} | "
                    f"{ms(p50b)} | {change:+.0%} | {ms(percentile(a, 99))} | "
                    f"{ms(percentile(b, 99))} |"
                )
                section.add(
                    f"commit latency {phase_name}, {labels[db]}: p50 before → after",
                    f"{ms(p50a)} → {ms(p50b)} ({change:+.0%})",
                    f"within {TARGET:.0%} of before",
                    change <= TARGET,
                    note=f"n = {len(a)} / {len(b)}",
                )
    finally:
        for client in clients.values():
            client.close()
        for server in servers.values():
            server.stop()
    section.details += [
        "",
        "Outcomes: "
        + "; ".join(f"{side} {db}: {tallies[(side, db)].describe()}" for side, db in plans)
        + ".",
        "",
    ]
    examples = [e for t in tallies.values() for e in t.examples]
    section.details += [f"- `{e}`" for e in examples[:6]]


def run(ws: Workspace, revision: str = BEFORE_REVISION) -> Section:
    section = Section(KEY, TITLE)
    try:
        measure(ws, section, revision)
    except Exception as exc:  # a part that fails still reports what it could
        log(f"the comparison failed: {exc!r}")
        section.details.append(f"The comparison failed: `{exc!r}`")
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revision", default=BEFORE_REVISION, help="the code to compare with")
    parser.add_argument("--write", action="store_true", help="write the section into RESULTS.md")
    args = parser.parse_args(argv)
    started, load_before = time.time(), load_average()
    dbs = Databases()
    try:
        ws = Workspace(dbs)
        result = run(ws, args.revision)
        publish_standalone(
            result,
            key=KEY,
            machine=machine(ws.big),
            started=started,
            load_before=load_before,
            write=args.write,
        )
    finally:
        dbs.drop_all()
    return 0 if all(f.passed is not False for f in result.figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())

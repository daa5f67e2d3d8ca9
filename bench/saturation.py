"""The service saturated: 200 concurrent clients sending the mixed reads of the suite's load
test (tests/support_load.py) for 30 s at one worker on the sample, driven by wrk (C, so the
client doesn't eat the CPU the server needs), while /health is asked every half second.

Every request must be answered — 200, or 503 with Retry-After once it has waited
``PARKS_QUEUE_WAIT_S`` for a turn — /health must answer throughout, and the service must be
itself right afterwards.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support_load import MIXED_READS, HealthProbe  # noqa: E402  the suite's mix and probe

CLIENTS = 200
SECONDS = 30

LUA = r"""
local paths = {%(paths)s}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  statuses = {}
  no_retry_after = 0
  n = math.random(#paths)
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 503 and headers["retry-after"] == nil and headers["Retry-After"] == nil then
    no_retry_after = no_retry_after + 1
  end
end
function done(summary, latency, requests)
  local total, missing = {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
    missing = missing + t:get("no_retry_after")
  end
  io.write("STATUS")
  for k, v in pairs(total) do io.write(" " .. k .. "=" .. v) end
  io.write("\n")
  io.write(string.format("NORETRY %%d\n", missing))
  io.write(string.format("LATENCY_US %%d %%d %%d\n", latency:percentile(50),
    latency:percentile(99), latency.max))
  local e = summary.errors
  io.write(string.format("ERRORS %%d %%d %%d %%d\n", e.connect, e.read, e.write, e.timeout))
end
"""


def _parse(output: str) -> dict:
    statuses = dict(
        (int(k), int(v))
        for k, v in re.findall(r"(\d+)=(\d+)", output.split("STATUS", 1)[1].split("\n")[0])
    )
    p50, p99, most = (
        int(x) / 1e6 for x in re.search(r"LATENCY_US (\d+) (\d+) (\d+)", output).groups()
    )
    errors = [int(x) for x in re.search(r"ERRORS (\d+) (\d+) (\d+) (\d+)", output).groups()]
    no_retry = int(re.search(r"NORETRY (\d+)", output).group(1))
    return {
        "statuses": statuses,
        "p50": p50,
        "p99": p99,
        "max": most,
        "errors": errors,
        "no_retry": no_retry,
    }


def run(ws: common.Workspace) -> common.Section:
    section = common.Section("saturation", "The service saturated: 200 concurrent clients")
    database = ws.sample_db()
    wrk = common.wrk()
    paths = ", ".join(f'"{p}"' for p in MIXED_READS)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"paths": paths})
    with common.Server(database, workers=1, label="saturation") as server:
        with common.http_client(server.base_url) as client:  # warm the caches once
            for path in MIXED_READS:
                client.get(path)
        probe = HealthProbe(server.base_url)
        probe.start()
        run = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{CLIENTS}",
                f"-d{SECONDS}s",
                "--timeout",
                "60s",
                "-s",
                script.name,
                server.base_url,
            ],
            capture_output=True,
            text=True,
            timeout=SECONDS + 120,
        )
        probe.stop.set()
        probe.join(timeout=15)
        with common.http_client(server.base_url) as client:
            after = []
            for _ in range(20):
                with common.timed() as t:
                    status = client.get("/api/parks").status_code
                after.append((status, t[0]))
    Path(script.name).unlink(missing_ok=True)
    if run.returncode != 0:
        raise RuntimeError(f"wrk failed: {run.stderr or run.stdout}")
    found = _parse(run.stdout)
    statuses = found["statuses"]
    answered = sum(statuses.values())
    others = {k: v for k, v in statuses.items() if k not in (200, 503)}
    errors = sum(found["errors"])
    section.add(
        f"requests answered in {SECONDS} s at {CLIENTS} concurrent clients (1 worker)",
        f"{answered:,}: {statuses.get(200, 0):,} × 200, {statuses.get(503, 0):,} × 503"
        + (f", others {others}" if others else ""),
        "every one 200 or 503",
        passed=not others and errors == 0,
        note=f"{answered / SECONDS:.0f} requests/s; connection errors {found['errors']}",
    )
    section.add(
        "503s without Retry-After", str(found["no_retry"]), "0", passed=found["no_retry"] == 0
    )
    section.add(
        "latency p50 / p99 / max (every answer, 503s included)",
        f"{found['p50']:.2f} s / {found['p99']:.2f} s / {found['max']:.2f} s",
        note="a request waits at most PARKS_QUEUE_WAIT_S = 2 s for its turn",
    )
    health_ok = [s for s, _ in probe.answers if s == 200]
    health_slowest = max((t for _, t in probe.answers), default=float("nan"))
    section.add(
        "/health during the load",
        f"{len(health_ok)} of {len(probe.answers)} answered 200; "
        f"slowest {common.ms(health_slowest)}",
        "every one 200",
        passed=bool(probe.answers) and len(health_ok) == len(probe.answers),
    )
    after_ok = all(s == 200 for s, _ in after)
    section.add(
        "right afterwards: 20 sequential GET /api/parks, p50",
        f"{common.ms(common.percentile([t for _, t in after], 50))}, all 200: {after_ok}",
        "all 200",
        passed=after_ok,
    )
    section.details += [
        "The load is wrk (2 threads, keep-alive connections) with the request list of "
        "`tests/support_load.py`; the server is `parks serve`'s (uvicorn with the header "
        "deadline), one worker, default settings (15 request slots, 2 s queue wait). The "
        "machine's 2 cores are shared by the server, PostgreSQL and wrk.",
        "",
    ]
    return section

"""The availability search with ``near`` and ``away`` over ~100,000 parcels,
without and with ``combine`` (groups of touching parcels), through the real HTTP API.

Each timed request draws its criteria at random (park, minimum area, distances), so the
figures are not those of one repeated query; the service's per-version distance cache
(service/planning/index.py) is warmed first and the cold first request reported apart.
"""

from __future__ import annotations

import random
import time

from common import Deadline, Section, Server, http_client, log, ms, percentile

KEY = "availability"
TITLE = "Availability search at 100,000 parcels"

PARKS = ("gaoxin", "jiangtan", "caijiapo", "fengxiang")
REQUESTS, SECONDS_PER_CASE = 100, 90.0
TARGET_PLAIN_S, TARGET_COMBINE_S = 0.050, 0.300
SEED = 5


def _criteria(rng: random.Random, *, combine: bool, city: bool) -> dict[str, str]:
    params = {
        "min_area_mu": str(rng.choice((20, 30, 40, 60, 80))),
        "near": f"roads/main:{rng.choice((300, 500, 800))}",
        "away": f"river:{rng.choice((100, 200, 300))}",
        "status": "reserve,ready",
        "limit": "50",
    }
    if not city:
        params["park"] = rng.choice(PARKS)
    if combine:
        params["combine"] = "true"
    return params


def _case(client, rng, *, combine: bool, city: bool) -> tuple[list[float], int]:
    times, returned = [], 0
    deadline = Deadline(SECONDS_PER_CASE)
    for _ in range(REQUESTS):
        if deadline.expired():
            break
        params = _criteria(rng, combine=combine, city=city)
        start = time.perf_counter()
        response = client.get("/api/availability", params=params)
        times.append(time.perf_counter() - start)
        response.raise_for_status()
        returned += response.json()["numberReturned"]
    return times, returned


def run(ws) -> Section:
    section = Section(KEY, TITLE)
    database = ws.big_db()
    parcels = ws.parcel_count(database)
    rng = random.Random(SEED)
    with Server(database, label="availability") as server, http_client(server.base_url) as client:
        start = time.perf_counter()
        client.get("/api/availability", params=_criteria(rng, combine=True, city=True))
        cold_s = time.perf_counter() - start
        for _ in range(5):  # warm: each park's candidates and distances
            for city in (False, True):
                client.get("/api/availability", params=_criteria(rng, combine=True, city=city))
        section.add(
            "first search after the service starts (loads its parcel index)",
            ms(cold_s),
            note=f"{parcels:,} parcels",
        )
        for combine, target in ((False, TARGET_PLAIN_S), (True, TARGET_COMBINE_S)):
            for city in (False, True):
                times, returned = _case(client, rng, combine=combine, city=city)
                label = (
                    f"`near`+`away`{' + `combine`' if combine else ''}, "
                    f"{'the whole city' if city else 'one park'}: p50 (p99) of {len(times)}"
                )
                p50 = percentile(times, 50)
                section.add(
                    label,
                    f"{ms(p50)} ({ms(percentile(times, 99))}); {returned / len(times):.0f} "
                    "features a response",
                    target=f"p50 <= {TARGET_PLAIN_S * 1000 if not combine else 300:.0f} ms",
                    passed=p50 <= target,
                )
                log(f"  {label}: p50 {ms(p50)}")
    section.details += [
        "Criteria drawn at random per request: park (or the whole city), minimum area 20–80 "
        "亩, `near=roads/main:300–800`, `away=river:100–300`, status reserve/ready, 50 "
        "results. One uvicorn worker; sequential requests over HTTP on 127.0.0.1.",
        "",
    ]
    return section

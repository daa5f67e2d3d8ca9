"""A bounded load generator for the service on this machine (loopback only).

``python tests/support_load.py BASE --clients 200 --seconds 15 [--token T]`` runs
*clients* concurrent clients, each sending the next request of a mixed list as soon as
its last one is answered, until *seconds* have passed, and prints one JSON summary:
requests by status and path, connection errors, 503s without ``Retry-After``, and the
latency percentiles. It runs in its own process so that the process probing the service
meanwhile is not starved by it. The number of requests and the time are both bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import httpx

#: What an office full of map users and a few planners and auditors ask, in one list.
MIXED_READS = (
    "/api/parks",
    "/api/parcels?park=caijiapo&limit=100",
    "/api/parcels?bbox=107.55,34.29,107.62,34.34&limit=200",
    "/api/stats",
    "/map/caijiapo",
    "/tiles/parcels/14/13088/6527.pbf",
    "/api/availability?park=jiangtan&min_area_mu=20",
    "/api/audit/ledger?limit=20",
    "/api/buildings?park=gaoxin",
    "/api/projects",
    "/map/search?q=CJP",
    "/api/buildings/vacancy?park=caijiapo",
)

MAX_REQUESTS = 200_000  # a hard bound whatever the speed

#: A kept-alive connection the server closed (its 5 s keep-alive ran out) just as a request
#: went out on it: the client's loop, busy with 200 clients, may take seconds to reuse a
#: connection the server finished with, so the client's own 2 s expiry cannot rule it out.
STALE_CONNECTION_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError)


def _is_loopback(base: str) -> bool:
    host = urlsplit(base).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


async def run(base: str, *, clients: int, seconds: float, token: str | None) -> dict:
    """Load *base* with *clients* concurrent clients for *seconds*; the summary."""
    if not _is_loopback(base):
        raise SystemExit(f"refusing to load {base}: only loopback addresses are loaded")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    statuses: Counter[str] = Counter()
    by_path: dict[str, Counter[str]] = {}
    errors: Counter[str] = Counter()
    no_retry_after = 0
    retried = 0
    latencies: list[float] = []
    sent = 0
    # Keep-alive shorter than the server's 5 s, so few requests race a closing connection.
    limits = httpx.Limits(max_connections=clients, keepalive_expiry=2.0)
    end = time.monotonic() + seconds
    async with httpx.AsyncClient(
        base_url=base, timeout=60, headers=headers, limits=limits
    ) as client:

        async def one_client(n: int) -> None:
            nonlocal no_retry_after, sent, retried
            order = random.Random(n)
            while time.monotonic() < end and sent < MAX_REQUESTS:
                sent += 1
                path = order.choice(MIXED_READS)
                started = time.monotonic()
                try:
                    response = await client.get(path)
                except STALE_CONNECTION_ERRORS:
                    # What a browser does (RFC 9112 §9.3.1): a GET whose kept-alive connection
                    # was closed by the server as the request went out is sent once more, on a
                    # new connection. Counted, so a server that drops connections still shows.
                    retried += 1
                    try:
                        response = await client.get(path)
                    except httpx.HTTPError as exc:
                        errors[type(exc).__name__] += 1
                        continue
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                latencies.append(time.monotonic() - started)
                status = str(response.status_code)
                statuses[status] += 1
                by_path.setdefault(path, Counter())[status] += 1
                if response.status_code == 503 and not response.headers.get("retry-after"):
                    no_retry_after += 1

        await asyncio.gather(*(one_client(n) for n in range(clients)))
    latencies.sort()

    def pct(q: float) -> float | None:
        return (
            round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 4)
            if latencies
            else None
        )

    return {
        "clients": clients,
        "seconds": seconds,
        "answered": sum(statuses.values()),
        "statuses": dict(statuses),
        "by_path": {p: dict(c) for p, c in by_path.items()},
        "errors": dict(errors),
        "retried": retried,
        "503_without_retry_after": no_retry_after,
        "p50_s": pct(0.50),
        "p99_s": pct(0.99),
        "max_s": round(latencies[-1], 4) if latencies else None,
    }


class HealthProbe(threading.Thread):
    """Asks ``/health`` every half second (at most 1,000 times) until ``stop`` is set;
    records each answer's status (or the error's name) and latency in seconds."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        if not _is_loopback(base):
            raise ValueError(f"only loopback addresses are probed, not {base}")
        self.base = base
        self.answers: list[tuple[int | str, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10, trust_env=False) as client:
            while not self.stop.is_set() and len(self.answers) < 1000:
                started = time.monotonic()
                try:
                    status: int | str = client.get("/health").status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                self.answers.append((status, time.monotonic() - started))
                self.stop.wait(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--token")
    args = parser.parse_args()
    summary = asyncio.run(
        run(args.base, clients=args.clients, seconds=min(args.seconds, 120.0), token=args.token)
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

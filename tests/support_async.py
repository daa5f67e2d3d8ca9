"""Running a coroutine to completion from a synchronous test, whatever loop is running.

The browser tests keep Playwright's event loop running in the main thread for the whole
session, so ``asyncio.run`` there fails ("cannot be called from a running event loop");
a coroutine run in a thread of its own has that thread's loop to itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run *coroutine* on a new event loop in a new thread; its result (or its exception)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = asyncio.run(coroutine)
        except BaseException as exc:  # handed back to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]

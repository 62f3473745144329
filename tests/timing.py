"""Timing for the linearity checks (imported by tests; the tests folder is on ``sys.path``)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeat: int = 2) -> float:
    """The best of ``repeat`` wall-clock timings of ``fn()``, with the garbage collector off.

    A linearity check compares the cost of a call on a short and a long input. With the collector
    on, the long input also pays for more collections, and a full collection costs in proportion
    to everything the process holds, which after thousands of earlier tests in one pytest run is a
    lot: 8x the words through a pathological table cost 8.0x the time in a fresh process and 12.4x
    with three million objects held (CI once measured 24.7x); with the collector off, 9.0x and 12.0x.
    """
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        return best
    finally:
        if was_enabled:
            gc.enable()

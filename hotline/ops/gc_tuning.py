"""The cyclic garbage collector of a long-running server process, tuned once its app has started.

Measured on a connect storm of 1,000 board sockets (100 at a time, two web processes; docs/benchmarks.md): with
CPython's defaults each web process ran four full collections while its sockets were being opened, each walking
every object the open sockets hold; the longest stopped its event loop for 235 and 274 ms, and every socket of that
burst waited. So, as is usual for web servers: collect once, freeze what startup made (modules, the
catalog, the pools: never garbage while the process lives, never walked again), and collect the young generation
after 50,000 allocations instead of 700, so a burst of requests rarely reaches a full collection.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 50_000


def settle_after_startup() -> None:
    """Call once, when the process has started: what exists now lives as long as the process."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)

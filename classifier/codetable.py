"""Exact lookup of many 64-bit codes at once: an open-addressing hash table in numpy.

``np.searchsorted`` over a few hundred thousand sorted codes takes about twenty dependent,
cache-missing steps per query; the feature vocabularies and the jieba dictionary are looked up
several times per character of every ticket. Here a code's top bits (after a multiplicative mix)
pick a slot in a table at most half full; collisions go to the next free slot (linear probing).
A lookup gathers one slot per query and repeats only for the few queries that met another code.
The code 0 marks an empty slot, so a key 0 is kept aside. The table is derived data: it is
rebuilt from the keys and values rather than pickled.
"""

from __future__ import annotations

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)


class CodeTable:
    def __init__(self, keys: np.ndarray, values: np.ndarray, missing: float | int):
        """``keys``: unique 64-bit codes (any 64-bit integer dtype); ``values``: one per key."""
        keys = np.ascontiguousarray(keys).view(np.uint64)
        if len(np.unique(keys)) != len(keys):
            raise ValueError("CodeTable keys must be unique")
        self.missing = missing
        bits = max(2, (2 * len(keys)).bit_length())
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._keys = np.zeros(1 << bits, dtype=np.uint64)
        self._values = np.full(1 << bits, missing, dtype=values.dtype)
        zero = np.flatnonzero(keys == 0)
        self._zero_value = values[zero[0]] if zero.size else missing
        remaining = np.flatnonzero(keys != 0)
        slots = self._home(keys)
        while remaining.size:
            # the first code aiming at each free slot takes it; the others try the next slot
            target = slots[remaining]
            free = self._keys[target] == 0
            taken, first = np.unique(target[free], return_index=True)
            winners = remaining[free][first]
            self._keys[taken] = keys[winners]
            self._values[taken] = values[winners]
            placed = np.zeros(len(keys), dtype=bool)
            placed[winners] = True
            remaining = remaining[~placed[remaining]]
            slots[remaining] = (slots[remaining] + 1) & self._mask

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _MIX) >> self._shift).astype(np.int64)

    def get(self, queries: np.ndarray) -> np.ndarray:
        """The value of each query code, ``missing`` where it is not a key."""
        queries = np.ascontiguousarray(queries).view(np.uint64)
        result = np.full(len(queries), self.missing, dtype=self._values.dtype)
        slots = self._home(queries)
        found = self._keys[slots]
        hit = found == queries
        result[hit] = self._values[slots[hit]]
        pending = np.flatnonzero(~hit & (found != 0))
        slots = (slots[pending] + 1) & self._mask
        while pending.size:
            found = self._keys[slots]
            hit = found == queries[pending]
            result[pending[hit]] = self._values[slots[hit]]
            more = ~hit & (found != 0)
            pending, slots = pending[more], (slots[more] + 1) & self._mask
        zero = queries == 0
        if zero.any():
            result[zero] = self._zero_value
        return result

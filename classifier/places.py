"""Place resolution: which district / street / community a caller means, from address and text.

Callers say places many ways: the full name (青山街道), an alias or the name without its
suffix (青山, 柳岸), an estate or road that belongs to a community (柳岸花园), with or without
the district. The index matches the longest known name at each position; a name that fits
several units is disambiguated only by other names in the same call (a district, a street),
and otherwise reported as ambiguous with its candidates — never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from classifier.text import normalize

UNIT_LEVELS = ("district", "street", "community", "grid")
LEVEL_LABELS = {"district": "区", "street": "街道", "community": "社区", "grid": "网格", "road": "道路", "estate": "小区"}
SUFFIXES = {
    "district": ("区", "县"),
    "street": ("街道办事处", "街道", "镇", "乡"),
    "community": ("社区居委会", "居委会", "社区", "村"),
    "grid": ("网格",),
}
# How sure a single match is, by how the caller named the place.
KIND_CONFIDENCE = {"name": 0.95, "place": 0.9, "alias": 0.85, "short": 0.75}
MIN_NAME_LENGTH = 2


@dataclass(frozen=True)
class PlaceRecord:
    """A unit of the org tree (district, street, community, grid) or a road / estate, whose
    `parent_id` is the unit it belongs to."""

    id: int
    name: str
    level: str
    parent_id: int | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    unit_id: int
    name: str
    level: str
    chain: dict[str, int]


@dataclass(frozen=True)
class PlaceMatch:
    chain: dict[str, int]
    matched: tuple[str, ...]
    confidence: float
    ambiguous: bool
    candidates: tuple[Candidate, ...]
    reasons: tuple[str, ...]

    def unit_at(self, level: str) -> int | None:
        return self.chain.get(level)

    @property
    def unit_id(self) -> int | None:
        """The most specific unit resolved."""
        for level in reversed(UNIT_LEVELS):
            if level in self.chain:
                return self.chain[level]
        return None

    def candidates_json(self) -> list[dict[str, Any]]:
        return [{"unit_id": c.unit_id, "name": c.name, "level": c.level, "chain": c.chain} for c in self.candidates]


NOTHING = PlaceMatch({}, (), 0.0, False, (), ("未识别到地点",))


def short_form(name: str, level: str) -> str | None:
    for suffix in SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_NAME_LENGTH:
            return name[: -len(suffix)]
    return None


class PlaceIndex:
    def __init__(self, records: Iterable[PlaceRecord]):
        records = list(records)
        self._units = {r.id: r for r in records if r.level in UNIT_LEVELS}
        self._names: dict[str, list[tuple[PlaceRecord, str]]] = defaultdict(list)
        for record in records:
            kind = "name" if record.level in UNIT_LEVELS else "place"
            self._add(record.name, record, kind)
            for alias in record.aliases:
                self._add(alias, record, "alias")
            short = short_form(record.name, record.level)
            if short:
                self._add(short, record, "short")
        self._longest = max((len(n) for n in self._names), default=0)

    def _add(self, name: str, record: PlaceRecord, kind: str) -> None:
        name = normalize(name)
        if len(name) >= MIN_NAME_LENGTH and (record, kind) not in self._names[name]:
            self._names[name].append((record, kind))

    def names(self) -> list[str]:
        """Every name the index knows, for the segmenter's user dictionary."""
        return sorted(self._names)

    def chain(self, unit_id: int) -> dict[str, int]:
        chain: dict[str, int] = {}
        current: PlaceRecord | None = self._units.get(unit_id)
        while current is not None:
            chain[current.level] = current.id
            current = self._units.get(current.parent_id) if current.parent_id is not None else None
        return chain

    def _scan(self, text: str) -> list[tuple[str, list[tuple[int, str]]]]:
        """(matched text, [(unit id, kind)]) for the longest known name at each position."""
        text = normalize(text)
        hits, i = [], 0
        while i < len(text):
            for length in range(min(self._longest, len(text) - i), MIN_NAME_LENGTH - 1, -1):
                entries = self._names.get(text[i : i + length])
                if entries:
                    units = []
                    for record, kind in entries:
                        unit_id = record.id if record.level in UNIT_LEVELS else record.parent_id
                        if unit_id is not None and unit_id in self._units:
                            units.append((unit_id, kind))
                    if units:
                        hits.append((text[i : i + length], units))
                    i += length
                    break
            else:
                i += 1
        return hits

    def resolve(self, address: str, text: str = "") -> PlaceMatch:
        hits = self._scan(address) + self._scan(text)
        if not hits:
            return NOTHING
        matched = tuple(dict.fromkeys(h[0] for h in hits))
        # every unit named, with the best way it was named
        named: dict[int, str] = {}
        for _, units in hits:
            for unit_id, kind in units:
                if unit_id not in named or KIND_CONFIDENCE[kind] > KIND_CONFIDENCE[named[unit_id]]:
                    named[unit_id] = kind
        chains = {unit_id: self.chain(unit_id) for unit_id in named}

        def support(unit_id: int) -> int:
            """How many named units lie on this unit's chain: other names that agree with it."""
            return sum(1 for other in named if other in chains[unit_id].values())

        def depth(unit_id: int) -> int:
            return UNIT_LEVELS.index(self._units[unit_id].level)

        deepest = max(depth(u) for u in named)
        at_deepest = [u for u in named if depth(u) == deepest]
        best_support = max(support(u) for u in at_deepest)
        best = [u for u in at_deepest if support(u) == best_support]
        reasons = [f"识别到：{'、'.join(matched)}"]

        if len(best) > 1:
            candidates = tuple(
                Candidate(u, self._units[u].name, self._units[u].level, chains[u]) for u in sorted(best)
            )
            common = _common_chain([chains[u] for u in best])
            names = "、".join(self._path_name(u) for u in sorted(best))
            reasons.append(f"「{self._units[best[0]].name}」对应多个地点（{names}），无法确定，需人工确认")
            return PlaceMatch(common, matched, 0.3, True, candidates, tuple(reasons))

        chosen = best[0]
        chain = chains[chosen]
        confidence = KIND_CONFIDENCE[named[chosen]] + (0.05 if best_support >= 2 else 0.0)
        conflicts = [u for u in named if u not in chain.values() and depth(u) < deepest]
        for other in conflicts:
            reasons.append(
                f"「{self._units[chosen].name}」不在「{self._units[other].name}」辖区内，地点有矛盾，需人工确认"
            )
        if conflicts:
            confidence = min(confidence, 0.4)
        reasons.append(f"定位到：{self._path_name(chosen)}（置信度 {min(confidence, 1.0):.2f}）")
        return PlaceMatch(chain, matched, min(confidence, 1.0), False, (), tuple(reasons))

    def _path_name(self, unit_id: int) -> str:
        chain = self.chain(unit_id)
        return "".join(self._units[chain[level]].name for level in UNIT_LEVELS if level in chain)


def _common_chain(chains: list[dict[str, int]]) -> dict[str, int]:
    common: dict[str, int] = {}
    for level in UNIT_LEVELS:
        values = {c.get(level) for c in chains}
        if len(values) != 1 or None in values:
            break
        common[level] = values.pop()  # type: ignore[assignment]
    return common

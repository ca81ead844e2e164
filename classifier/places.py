"""Place resolution: which district / street / community (/ grid) a caller means, from address and text.

Callers name places in many ways: the full name (青山街道), an alias, the name without its
suffix (青山, 柳岸), an estate or a road that belongs to a community or street (柳岸花园,
东风路), with or without the district. The index finds the longest known name at each
position. A name that fits several units is settled only by other names in the same call
(a district, a street); otherwise it is reported as ambiguous with its candidates, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from classifier.text import normalize

UNIT_LEVELS = ("district", "street", "community", "grid")
LANDMARK_LEVELS = ("road", "estate")
LEVEL_LABELS = {
    "district": "区",
    "street": "街道",
    "community": "社区",
    "grid": "网格",
    "road": "道路",
    "estate": "小区",
}
# Suffixes callers drop: 青山街道 -> 青山, 柳岸社区 -> 柳岸, 青山湖小区 -> 青山湖.
SUFFIXES = {
    "district": ("新区", "区", "县", "市"),
    "street": ("街道办事处", "街道办", "街道", "镇", "乡"),
    "community": ("社区居委会", "居委会", "社区", "村委会", "村"),
    "grid": ("网格",),
    "estate": ("小区",),
}
MIN_NAME_LENGTH = 2
# How sure one mention is, by how the caller named the place.
NAMING_CONFIDENCE = {"name": 0.9, "alias": 0.85, "estate": 0.85, "short": 0.75, "road": 0.7}
SUPPORT_BONUS = 0.05  # per other mentioned unit on the same chain (a district above the street, ...)
ADDRESS_BONUS = 0.05  # found in the address field, not only somewhere in the narrative
CONFLICT_CAP = 0.4
AMBIGUOUS_CONFIDENCE = 0.3
MAX_CONFIDENCE = 0.99
MULTIPLE_PLACES_FACTOR = 0.85  # the call names other places too: the first one is less surely the one
NAMING_LABELS = {"name": "全称", "alias": "别名", "short": "简称", "estate": "小区名", "road": "道路名"}


@dataclass(frozen=True)
class PlaceRecord:
    """A unit of the org tree (level district/street/community/grid) or a landmark (road/estate)
    whose ``parent_id`` is the unit it belongs to (a community, or a street)."""

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
    path: str


@dataclass(frozen=True)
class PlaceMatch:
    """What the resolver is sure of. ``chain`` maps level -> unit id from the district down to the
    most specific unit; when ``ambiguous`` it stops above the level that could not be settled and
    ``candidates`` lists the units the name could mean."""

    chain: dict[str, int]
    matched: tuple[str, ...]
    confidence: float
    ambiguous: bool
    candidates: tuple[Candidate, ...]
    reasons: tuple[str, ...]
    path: str = ""
    # every place the call names unambiguously (the most specific unit of each chain), for the
    # complexity rules: ids and full names (东湖区青山街道柳岸社区)
    units: tuple[int, ...] = ()
    named_places: tuple[str, ...] = ()
    landmarks: tuple[str, ...] = ()

    @property
    def unit_id(self) -> int | None:
        """The most specific unit resolved."""
        for level in reversed(UNIT_LEVELS):
            if level in self.chain:
                return self.chain[level]
        return None

    @property
    def level(self) -> str | None:
        for level in reversed(UNIT_LEVELS):
            if level in self.chain:
                return level
        return None

    def unit_at(self, level: str) -> int | None:
        return self.chain.get(level)

    def candidates_json(self) -> list[dict[str, Any]]:
        return [
            {"unit_id": c.unit_id, "name": c.name, "level": c.level, "chain": c.chain, "path": c.path}
            for c in self.candidates
        ]


NOTHING = PlaceMatch({}, (), 0.0, False, (), ("未识别到地点",))


@dataclass(frozen=True)
class _Mention:
    text: str
    in_address: bool
    # unit id -> how it was named (a landmark counts for the unit it belongs to)
    units: dict[int, str]
    landmark: bool


def short_form(name: str, level: str) -> str | None:
    """The name without its level suffix, if enough is left to be a name."""
    for suffix in SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_NAME_LENGTH:
            return name[: -len(suffix)]
    return None


class PlaceIndex:
    """Built once per org-tree version; ``resolve`` is a pure function of the index and the text."""

    def __init__(self, records: Iterable[PlaceRecord]):
        records = list(records)
        self._units = {r.id: r for r in records if r.level in UNIT_LEVELS}
        self._names: dict[str, list[tuple[PlaceRecord, str]]] = defaultdict(list)
        for record in records:
            if record.level in UNIT_LEVELS:
                self._add(record.name, record, "name")
            else:
                self._add(record.name, record, "road" if record.level == "road" else "estate")
            for alias in record.aliases:
                self._add(alias, record, "alias")
            short = short_form(record.name, record.level)
            if short:
                self._add(short, record, "short")
        # name lengths by first two characters, longest first: the scan tries only lengths that exist
        lengths: dict[str, set[int]] = defaultdict(set)
        for name in self._names:
            lengths[name[:MIN_NAME_LENGTH]].add(len(name))
        self._lengths = {prefix: sorted(found, reverse=True) for prefix, found in lengths.items()}

    def _add(self, name: str, record: PlaceRecord, kind: str) -> None:
        name = normalize(name)
        if len(name) >= MIN_NAME_LENGTH and (record, kind) not in self._names[name]:
            self._names[name].append((record, kind))

    def names(self) -> list[str]:
        """Every name the index knows (full, aliases, short forms), for the segmenter's user dictionary."""
        return sorted(self._names)

    def chain(self, unit_id: int) -> dict[str, int]:
        """level -> unit id, from the unit up to its district (a parent must sit at a higher level,
        so a cycle or a misfiled parent in the data ends the walk instead of looping)."""
        chain: dict[str, int] = {}
        current = self._units.get(unit_id)
        while current is not None:
            chain[current.level] = current.id
            parent = self._units.get(current.parent_id) if current.parent_id is not None else None
            if parent is None or UNIT_LEVELS.index(parent.level) >= UNIT_LEVELS.index(current.level):
                break
            current = parent
        return chain

    def path_name(self, unit_id: int) -> str:
        """Names from the district down, e.g. 东湖区青山街道柳岸社区."""
        chain = self.chain(unit_id)
        return "".join(self._units[chain[level]].name for level in UNIT_LEVELS if level in chain)

    def scan(self, text: str, in_address: bool = False) -> list[_Mention]:
        """The longest known name at each position, left to right, without overlaps."""
        text = normalize(text)
        mentions, i = [], 0
        while i <= len(text) - MIN_NAME_LENGTH:
            lengths = self._lengths.get(text[i : i + MIN_NAME_LENGTH])
            if lengths is None:
                i += 1
                continue
            for length in lengths:
                entries = self._names.get(text[i : i + length]) if i + length <= len(text) else None
                if entries:
                    mention = self._mention(text[i : i + length], entries, in_address)
                    if mention is not None:
                        mentions.append(mention)
                    i += length
                    break
            else:
                i += 1
        return mentions

    def _mention(self, text: str, entries: list[tuple[PlaceRecord, str]], in_address: bool) -> _Mention | None:
        units: dict[int, str] = {}
        landmark = False
        for record, kind in entries:
            unit_id = record.id if record.level in UNIT_LEVELS else record.parent_id
            if unit_id is None or unit_id not in self._units:
                continue
            landmark = landmark or record.level in LANDMARK_LEVELS
            if unit_id not in units or NAMING_CONFIDENCE[kind] > NAMING_CONFIDENCE[units[unit_id]]:
                units[unit_id] = kind
        return _Mention(text, in_address, units, landmark) if units else None

    def resolve(self, address: str, text: str = "") -> PlaceMatch:
        """The most specific unit the address and the text agree on; see the module docstring."""
        mentions = self.scan(address, in_address=True) + self.scan(text)
        if not mentions:
            return NOTHING
        return _Resolution(self, mentions).result()

    # used by _Resolution
    def unit(self, unit_id: int) -> PlaceRecord:
        return self._units[unit_id]

    def depth(self, unit_id: int) -> int:
        return UNIT_LEVELS.index(self._units[unit_id].level)


class _Resolution:
    """One call's mentions settled against each other."""

    def __init__(self, index: PlaceIndex, mentions: list[_Mention]):
        self.index = index
        self.mentions = mentions
        self.chains: dict[int, dict[str, int]] = {}
        self.sure: dict[int, _Mention] = {}
        self.open: list[_Mention] = []
        self.reasons: list[str] = []
        for mention in mentions:
            for unit_id in mention.units:
                self.chains.setdefault(unit_id, index.chain(unit_id))

    def related(self, a: int, b: int) -> bool:
        """One unit lies on the other's chain."""
        return a in self.chains[b].values() or b in self.chains[a].values()

    def settle(self) -> None:
        """Unambiguous mentions are sure; an ambiguous one is settled when exactly one of its
        candidates agrees with the sure units. Repeat until nothing changes."""
        pending = []
        for mention in self.mentions:
            if len(mention.units) == 1:
                self.sure.setdefault(next(iter(mention.units)), mention)
            else:
                pending.append(mention)
        changed = True
        while changed and pending:
            changed = False
            for mention in list(pending):
                agreeing = [u for u in mention.units if any(self.related(u, s) for s in self.sure if s != u)]
                if len(agreeing) == 1:
                    self.sure.setdefault(agreeing[0], mention)
                    pending.remove(mention)
                    names = "、".join(
                        self.index.unit(s).name for s in self.sure if s != agreeing[0] and self.related(agreeing[0], s)
                    )
                    self.reasons.append(
                        f"「{mention.text}」有多处同名，结合「{names}」确定为{self.index.path_name(agreeing[0])}"
                    )
                    changed = True
        self.open = pending

    def support(self, unit_id: int) -> int:
        return sum(1 for other in self.sure if other != unit_id and other in self.chains[unit_id].values())

    def result(self) -> PlaceMatch:
        index = self.index
        self.settle()
        matched = tuple(dict.fromkeys(m.text for m in self.mentions))
        self.reasons.insert(0, f"识别到：{'、'.join(matched)}")
        landmarks = tuple(dict.fromkeys(m.text for m in self.mentions if m.landmark))
        # the places named: sure units with no other sure unit below them
        leaves = tuple(u for u in self.sure if not any(o != u and u in self.chains[o].values() for o in self.sure))
        chosen = None
        if leaves:
            # the address field outranks the narrative, then the deeper, the better supported, the earlier
            chosen = max(
                leaves,
                key=lambda u: (self.in_address(u), index.depth(u), self.support(u), -self.mentions.index(self.sure[u])),
            )

        ambiguous = [
            m for m in self.open if chosen is None or max(index.depth(u) for u in m.units) > index.depth(chosen)
        ]
        if ambiguous:
            return self.ambiguous_result(ambiguous[0], chosen, matched, leaves, landmarks)
        assert chosen is not None
        for mention in self.open:
            self.reasons.append(f"「{mention.text}」有多处同名，未用于定位")

        chain = self.chains[chosen]
        # the surest way the caller named it (柳岸社区 in the address outranks 柳岸 in the text)
        mention = max((m for m in self.mentions if chosen in m.units), key=lambda m: NAMING_CONFIDENCE[m.units[chosen]])
        confidence = NAMING_CONFIDENCE[mention.units[chosen]] + SUPPORT_BONUS * min(self.support(chosen), 2)
        if self.in_address(chosen):
            confidence += ADDRESS_BONUS
        for other in leaves:
            if other == chosen:
                continue
            bare_above = index.depth(other) < index.depth(chosen) and self.support(other) == 0
            bare_chosen = index.depth(chosen) < index.depth(other) and self.support(chosen) == 0
            if bare_above or bare_chosen:
                self.reasons.append(
                    f"「{index.unit(chosen).name}」与「{index.unit(other).name}」不属同一辖区，地点有矛盾，需人工确认"
                )
                confidence = min(confidence, CONFLICT_CAP)
            else:
                self.reasons.append(f"另提到{index.path_name(other)}")
                confidence *= MULTIPLE_PLACES_FACTOR
        confidence = round(min(confidence, MAX_CONFIDENCE), 2)
        path = index.path_name(chosen)
        how = NAMING_LABELS[mention.units[chosen]]
        self.reasons.append(f"定位到：{path}（依据{how}「{mention.text}」，置信度 {confidence:.2f}）")
        return PlaceMatch(
            chain, matched, confidence, False, (), tuple(self.reasons), path, leaves, self.paths(leaves), landmarks
        )

    def paths(self, units: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(self.index.path_name(u) for u in units)

    def in_address(self, unit_id: int) -> bool:
        return any(m.in_address for m in self.mentions if unit_id in m.units)

    def ambiguous_result(
        self,
        mention: _Mention,
        chosen: int | None,
        matched: tuple[str, ...],
        leaves: tuple[int, ...],
        landmarks: tuple[str, ...],
    ) -> PlaceMatch:
        index = self.index
        units = sorted(mention.units)
        fitting = [u for u in units if chosen is not None and self.related(u, chosen)]
        if chosen is None:
            chain = _common_chain([self.chains[u] for u in units])
        elif fitting:
            # several readings below what is sure (a district, a street): keep those, and what they share
            units = fitting
            chain = _common_chain([self.chains[u] for u in units])
        else:
            # no reading fits what is sure: keep the sure part and say so
            chain = self.chains[chosen]
            self.reasons.append(f"「{mention.text}」的各个同名地点都不在「{index.unit(chosen).name}」辖区内")
        candidates = tuple(
            Candidate(u, index.unit(u).name, index.unit(u).level, self.chains[u], index.path_name(u)) for u in units
        )
        paths = "、".join(c.path for c in candidates)
        self.reasons.append(f"「{mention.text}」对应多个地点（{paths}），无法确定，需人工确认")
        path = "".join(index.unit(chain[level]).name for level in UNIT_LEVELS if level in chain)
        return PlaceMatch(
            chain,
            matched,
            AMBIGUOUS_CONFIDENCE,
            True,
            candidates,
            tuple(self.reasons),
            path,
            leaves,
            self.paths(leaves),
            landmarks,
        )


def _common_chain(chains: list[dict[str, int]]) -> dict[str, int]:
    common: dict[str, int] = {}
    for level in UNIT_LEVELS:
        values = {c.get(level) for c in chains}
        if len(values) != 1 or None in values:
            break
        value = values.pop()
        assert value is not None
        common[level] = value
    return common

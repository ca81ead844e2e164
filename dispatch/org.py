"""The organisation tree of the five-level chain: city → district → department | street →
community → grid."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """A level of the chain. `rank` is the depth: departments and streets share rank 3."""

    CITY = "city", "市", 1
    DISTRICT = "district", "区", 2
    DEPARTMENT = "department", "区直部门", 3
    STREET = "street", "街道", 3
    COMMUNITY = "community", "社区", 4
    GRID = "grid", "网格", 5

    label: str
    rank: int

    def __new__(cls, value: str, label: str = "", rank: int = 0) -> Level:  # defaults: see states.py
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.rank = rank
        return member


# The only parent each level may hang under.
PARENT_LEVEL: dict[Level, Level | None] = {
    Level.CITY: None,
    Level.DISTRICT: Level.CITY,
    Level.DEPARTMENT: Level.DISTRICT,
    Level.STREET: Level.DISTRICT,
    Level.COMMUNITY: Level.STREET,
    Level.GRID: Level.COMMUNITY,
}


class OrgError(ValueError):
    """The org tree is inconsistent, or a unit asked for is not in it."""


@dataclass(frozen=True)
class Unit:
    """One unit of the chain. `kind` names what a department is (e.g. '城管局') so that the
    responsibility table can say "the 城管局 of the district" once for every district."""

    id: int
    name: str
    level: Level
    parent_id: int | None
    aliases: tuple[str, ...] = ()
    kind: str = ""

    def describe(self) -> str:
        return f"{self.level.label}「{self.name}」(id={self.id})"


class OrgTree:
    """An immutable, validated tree of units. Children keep the order the units were given in."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self._units: dict[int, Unit] = {}
        for unit in units:
            if unit.id in self._units:
                raise OrgError(f"单位 id 重复：{unit.describe()} 与 {self._units[unit.id].describe()}")
            self._units[unit.id] = unit
        self._children: dict[int, list[Unit]] = {uid: [] for uid in self._units}
        roots = [u for u in self._units.values() if u.parent_id is None]
        for unit in self._units.values():
            self._check_parent(unit)
            if unit.parent_id is not None:
                self._children[unit.parent_id].append(unit)
        if not roots:
            raise OrgError("组织树中没有市级单位（根节点）")
        if len(roots) > 1:
            names = "、".join(u.describe() for u in roots)
            raise OrgError(f"组织树只能有一个市级根节点，现有：{names}")
        self._root = roots[0]

    def _check_parent(self, unit: Unit) -> None:
        expected = PARENT_LEVEL[unit.level]
        if unit.parent_id is None:
            if expected is not None:
                raise OrgError(f"{unit.describe()} 没有上级单位，{unit.level.label}必须挂在{expected.label}下")
            return
        if expected is None:
            raise OrgError(f"{unit.describe()} 是根节点，不能有上级单位")
        parent = self._units.get(unit.parent_id)
        if parent is None:
            raise OrgError(f"{unit.describe()} 的上级单位 id={unit.parent_id} 不存在")
        if parent.level is not expected:
            raise OrgError(f"{unit.describe()} 挂在{parent.describe()}下，{unit.level.label}只能挂在{expected.label}下")

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._units

    def __iter__(self) -> Iterator[Unit]:
        return iter(self._units.values())

    def __len__(self) -> int:
        return len(self._units)

    @property
    def root(self) -> Unit:
        return self._root

    def unit(self, unit_id: int) -> Unit:
        try:
            return self._units[unit_id]
        except KeyError:
            raise OrgError(f"组织树中没有 id={unit_id} 的单位") from None

    def named(self, name: str) -> tuple[Unit, ...]:
        """Every unit whose name or an alias is exactly `name` (several districts may each have
        a 新村社区: the place resolver decides, this only looks up)."""
        return tuple(u for u in self._units.values() if name == u.name or name in u.aliases)

    def parent(self, unit_id: int) -> Unit | None:
        parent_id = self.unit(unit_id).parent_id
        return None if parent_id is None else self._units[parent_id]

    def children(self, unit_id: int) -> tuple[Unit, ...]:
        self.unit(unit_id)
        return tuple(self._children[unit_id])

    def ancestors(self, unit_id: int) -> tuple[Unit, ...]:
        """The chain above a unit, nearest first, ending with the city."""
        chain = []
        parent = self.parent(unit_id)
        while parent is not None:
            chain.append(parent)
            parent = self.parent(parent.id)
        return tuple(chain)

    def subtree_ids(self, unit_id: int) -> frozenset[int]:
        """The unit and everything below it."""
        self.unit(unit_id)
        found, stack = set(), [unit_id]
        while stack:
            current = stack.pop()
            found.add(current)
            stack.extend(child.id for child in self._children[current])
        return frozenset(found)

    def reviewed_by(self, unit_id: int, reviewing: Collection[int]) -> tuple[int, ...]:
        """The units whose returns and completions `unit_id` reviews: those below it whose nearest level above
        with someone to review (`reviewing`: the units that have a dispatcher or supervisor) is `unit_id`. Its
        children, then the children of a child without reviewers (the grids of a community of handlers only)."""
        self.unit(unit_id)
        found, stack = [], list(self._children[unit_id])
        while stack:
            unit = stack.pop()
            found.append(unit.id)
            if unit.id not in reviewing:
                stack.extend(self._children[unit.id])
        return tuple(sorted(found))

    def is_within(self, unit_id: int, ancestor_id: int) -> bool:
        """True when `unit_id` is `ancestor_id` or below it."""
        self.unit(ancestor_id)
        return unit_id == ancestor_id or any(a.id == ancestor_id for a in self.ancestors(unit_id))

    def path(self, from_id: int, to_id: int) -> tuple[int, ...]:
        """The hops down from a unit to one of its descendants, excluding the start:
        path(city, community) == (district, street, community)."""
        if not self.is_within(to_id, from_id):
            raise OrgError(f"{self.unit(to_id).describe()} 不在 {self.unit(from_id).describe()} 的辖区内")
        if to_id == from_id:
            return ()
        hops = [to_id]
        for ancestor in self.ancestors(to_id):
            if ancestor.id == from_id:
                break
            hops.append(ancestor.id)
        return tuple(reversed(hops))

    def common_ancestor(self, a: int, b: int) -> Unit:
        """The deepest unit that has both `a` and `b` within it."""
        above_a = {a, *(u.id for u in self.ancestors(a))}
        for candidate in (self.unit(b), *self.ancestors(b)):
            if candidate.id in above_a:
                return candidate
        raise AssertionError("unreachable: every unit is within the root")

    def ancestor_at(self, unit_id: int, level: Level) -> Unit | None:
        """The unit itself or its ancestor at `level`, if there is one on its chain."""
        for candidate in (self.unit(unit_id), *self.ancestors(unit_id)):
            if candidate.level is level:
                return candidate
        return None

    def district_of(self, unit_id: int) -> Unit | None:
        return self.ancestor_at(unit_id, Level.DISTRICT)

    def find_child_of_kind(self, district_id: int, kind: str) -> Unit | None:
        """The direct child of a district whose kind is `kind` (a department, usually).
        Two candidates is a data error, not a choice to make here."""
        found = [child for child in self.children(district_id) if child.kind == kind]
        if len(found) > 1:
            names = "、".join(u.describe() for u in found)
            raise OrgError(f"{self.unit(district_id).describe()} 下有多个「{kind}」：{names}")
        return found[0] if found else None

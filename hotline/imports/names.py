"""The old system's names for units and categories, found in our org tree and categories.

An export names the handling unit as its staff wrote it: the unit's name (城市管理局, which every
district has), with its district or street in front (东湖区城市管理局, 东湖区/城市管理局,
青山街道柳岸社区), an alias, or the unit code. A name that fits several units is an error that lists
them, never a guess; the mapping file (hotline/imports/mapping.py) settles names that changed.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass

from dispatch.org import Level, OrgTree, Unit
from hotline.catalog_cache import Catalog

_SEPARATORS = re.compile(r"[\s/\\\-—>＞·|｜、,，]+")


def squeeze(name: str) -> str:
    """A name without the separators people put between its parts (东湖区 / 城市管理局)."""
    return _SEPARATORS.sub("", name)


class NameProblem(ValueError):
    """The Chinese message says what is wrong with the name."""


@dataclass(frozen=True)
class UnitNames:
    by_name: dict[str, tuple[int, ...]]
    tree: OrgTree

    @classmethod
    def of(cls, catalog: Catalog) -> UnitNames:
        found: dict[str, set[int]] = defaultdict(set)
        tree = catalog.tree
        for code, unit_id in catalog.codes.items():
            found[code].add(unit_id)
        for unit in tree:
            ancestors = [a.name for a in reversed(tree.ancestors(unit.id))]  # the city first
            for own in (unit.name, *unit.aliases, *([unit.kind] if unit.kind else [])):
                # the name alone, or after any of its ancestors' names in order (东湖区柳岸社区 skips the street)
                for size in range(len(ancestors) + 1):
                    for chosen in itertools.combinations(ancestors, size):
                        found[squeeze("".join(chosen) + own)].add(unit.id)
        return cls({name: tuple(sorted(ids)) for name, ids in found.items()}, tree)

    def path(self, unit_id: int) -> str:
        return "/".join(u.name for u in (*reversed(self.tree.ancestors(unit_id)), self.tree.unit(unit_id)))

    def find(self, name: str) -> int:
        ids = self.by_name.get(squeeze(name), ())
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise NameProblem(f"承办单位「{name}」在组织机构中找不到；请写全称（如 区名/单位名）或在映射文件中对应")
        listed = "、".join(self.path(i) for i in ids[:4])
        raise NameProblem(f"承办单位「{name}」对应多个单位（{listed}），请写上所属区或街道，或在映射文件中指定")

    def unit(self, unit_id: int) -> Unit:
        return self.tree.unit(unit_id)

    def community_place(self, unit_id: int) -> dict[str, int]:
        """The place of a ticket handled by a community (or one of its grids): that community and its chain."""
        place: dict[str, int] = {}
        for unit in (self.tree.unit(unit_id), *self.tree.ancestors(unit_id)):
            if unit.level in (Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT):
                place[f"{unit.level.value}_id"] = unit.id
        return place if "community_id" in place else {}


@dataclass(frozen=True)
class CategoryNames:
    by_name: dict[str, str]

    @classmethod
    def of(cls, catalog: Catalog) -> CategoryNames:
        found: dict[str, str] = {}
        for category in catalog.categories.values():
            for name in (category.code, category.name, category.level1 + category.name):
                found[squeeze(name)] = category.code
        return cls(found)

    def find(self, name: str) -> str:
        code = self.by_name.get(squeeze(name))
        if code is None:
            raise NameProblem(f"分类「{name}」不存在；请先导入分类，或在映射文件中对应到本系统的分类")
        return code

"""The demo city 云川市 (fictional): org tree, one user of each role per relevant unit, places.

Every demo user's password is DEMO_PASSWORD; the demo refuses to seed in production.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from hotline.passwords import hash_password
from hotline.queries import Q
from hotline.settings import Settings

DEMO_PASSWORD = "demo12345"
CITY = ("YC", "云川市", ["云川"])

# (code, name) of the departments every district has, with the kind routing rules refer to.
DEPARTMENTS = [
    ("CG", "城市管理局", "城管局"),
    ("ZJ", "住房和城乡建设局", "住建局"),
    ("HB", "生态环境分局", "生态环境局"),
    ("RS", "人力资源和社会保障局", "人社局"),
    ("JY", "教育局", "教育局"),
    ("SJ", "市场监督管理局", "市场监管局"),
    ("WJ", "卫生健康局", "卫健局"),
    ("JT", "交通运输局", "交通运输局"),
    ("MZ", "民政局", "民政局"),
    ("SW", "水务局", "水务局"),
]

# district code, name -> streets -> communities. Two communities share the name 新村 on purpose:
# a caller who says only "新村社区" must be asked which one, never guessed.
DISTRICTS: dict[tuple[str, str], dict[str, list[str]]] = {
    ("DH", "东湖区"): {
        "青山街道": ["柳岸社区", "青山湖社区", "翠竹社区", "新村社区"],
        "湖滨街道": ["湖光社区", "渔港社区", "观澜社区", "荷塘社区"],
        "桂花街道": ["桂园社区", "金桂社区", "丹桂社区", "桂湖社区"],
        "东风街道": ["东风社区", "红旗社区", "朝阳社区", "向阳社区"],
    },
    ("XL", "西岭区"): {
        "岭南街道": ["岭秀社区", "南岭社区", "梅岭社区", "新村社区"],
        "白云街道": ["白云社区", "云峰社区", "云锦社区", "飞云社区"],
        "枫林街道": ["枫叶社区", "红枫社区", "林语社区", "枫桥社区"],
        "松涛镇": ["松涛村", "松岗村", "涛声村", "松林村"],
    },
    ("NJ", "南江区"): {
        "江湾街道": ["江湾社区", "月湾社区", "银湾社区", "金湾社区"],
        "滨江街道": ["滨江社区", "江畔社区", "江景社区", "望江楼社区"],
        "南苑街道": ["南苑社区", "苑林社区", "锦苑社区", "芳苑社区"],
        "新河镇": ["新河村", "河口村", "河西村", "河东村"],
    },
}

# Estates (小区) and roads callers name instead of their community: community name -> places.
ESTATES = {
    "柳岸社区": ["柳岸花园", "水岸名都"],
    "青山湖社区": ["青山湖小区"],
    "翠竹社区": ["翠竹苑"],
    "湖光社区": ["湖光山色小区"],
    "桂园社区": ["桂园新村"],
    "东风社区": ["东风小区", "东风路"],
    "白云社区": ["白云山庄"],
    "枫叶社区": ["枫叶国际"],
    "江湾社区": ["江湾一号"],
    "滨江社区": ["滨江壹号", "滨江路"],
    "南苑社区": ["南苑小区"],
}


class DemoRefused(Exception):
    pass


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    level: str
    parent_code: str | None
    kind: str = ""
    aliases: tuple[str, ...] = ()


def _short(name: str, suffixes: tuple[str, ...]) -> list[str]:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return [name[: -len(suffix)]]
    return []


def demo_units() -> list[DemoUnit]:
    units = [DemoUnit(CITY[0], CITY[1], "city", None, aliases=tuple(CITY[2]))]
    for (dcode, dname), streets in DISTRICTS.items():
        units.append(DemoUnit(dcode, dname, "district", CITY[0], aliases=tuple(_short(dname, ("区",)))))
        for kcode, kname, kind in DEPARTMENTS:
            units.append(DemoUnit(f"{dcode}-{kcode}", f"{dname}{kname}", "department", dcode, kind=kind))
        for s, (sname, communities) in enumerate(streets.items(), start=1):
            scode = f"{dcode}-S{s}"
            units.append(DemoUnit(scode, sname, "street", dcode, aliases=tuple(_short(sname, ("街道", "镇")))))
            for c, cname in enumerate(communities, start=1):
                units.append(
                    DemoUnit(f"{scode}-C{c}", cname, "community", scode, aliases=tuple(_short(cname, ("社区", "村"))))
                )
    return units


def demo_users(units: list[DemoUnit]) -> list[tuple[str, str, str, str]]:
    """(username, display name, role, unit code): one user of each role each unit needs."""
    roles_by_level = {
        "city": ["operator", "dispatcher", "supervisor", "admin"],
        "district": ["dispatcher", "supervisor"],
        "department": ["handler"],
        "street": ["handler", "dispatcher", "supervisor"],
        "community": ["handler"],
    }
    labels = {"operator": "话务员", "dispatcher": "派单员", "handler": "承办人", "supervisor": "督办人", "admin": "管理员"}
    users = []
    for unit in units:
        for role in roles_by_level.get(unit.level, []):
            username = role if unit.level == "city" else f"{unit.code.lower()}-{role}"
            users.append((username, f"{unit.name}{labels[role]}", role, unit.code))
    users.append(("operator2", "云川市话务员二", "operator", CITY[0]))
    return users


async def seed_demo(conn: asyncpg.Connection, settings: Settings) -> str:
    """Create (or refresh) the demo city; returns a one-line summary in Chinese."""
    if not settings.is_development:
        raise DemoRefused("生产环境（[app] env = \"production\"）不能写入演示数据")
    units = demo_units()
    users = demo_users(units)
    password_hash = hash_password(DEMO_PASSWORD)  # hashed once: argon2 is slow on purpose
    async with conn.transaction():
        ids: dict[str, int] = {}
        for unit in units:
            parent_id = ids[unit.parent_code] if unit.parent_code else None
            ids[unit.code] = await conn.fetchval(
                Q.insert_unit, unit.code, unit.name, unit.level, parent_id, unit.kind, list(unit.aliases), False
            )
        for username, display, role, unit_code in users:
            await conn.execute(Q.insert_user, username, display, role, ids[unit_code], password_hash)
    return f"演示城市 {CITY[1]}：{len(units)} 个单位，{len(users)} 个用户（密码均为 {DEMO_PASSWORD}）"


async def seed_demo_if_empty(conn: asyncpg.Connection, settings: Settings) -> bool:
    if await conn.fetchval(Q.count_units):
        return False
    await seed_demo(conn, settings)
    return True

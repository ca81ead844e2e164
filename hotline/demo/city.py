"""The demo city 云川市 (fictional): org tree, one user of each role per relevant unit, places.

Every demo user's password is DEMO_PASSWORD; the demo refuses to seed in production.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from classifier.segment import default_segmenter
from hotline import kb
from hotline.passwords import hash_password
from hotline.queries import Q
from hotline.settings import Settings

DEMO_PASSWORD = "demo12345"
DEMO_TICKETS = 300
CATEGORIES_CSV = Path(__file__).resolve().parents[2] / "classifier" / "bootstrap" / "categories.csv"
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

# Grids (网格) under some communities, each led by a 网格员 (a handler of the grid unit: the role's actions,
# the grid's scope). Callers name a grid by an estate's phase or a building; the whole estate stays the
# community's (柳岸花园 and 水岸名都 without a phase reach 柳岸社区). community -> [(grid name, places)].
GRIDS = {
    "柳岸社区": [
        ("柳岸社区第一网格", ["水岸名都一期", "水岸名都1栋", "水岸名都2栋"]),
        ("柳岸社区第二网格", ["水岸名都二期", "水岸名都5栋", "水岸名都6栋"]),
    ],
    "湖光社区": [("湖光社区第一网格", ["湖光山色小区一期"]), ("湖光社区第二网格", ["湖光山色小区二期"])],
    "江湾社区": [("江湾社区第一网格", ["江湾一号一期"]), ("江湾社区第二网格", ["江湾一号二期"])],
}


class DemoRefused(Exception):
    pass


# 民生问题办理责任分解表 of the demo city: category code -> rules (level, owner kind, co-handler kinds, priority).
# A grid- or community-level rule needs the caller's grid or community; the lower-priority rule is the fallback.
RESPONSIBILITY: dict[str, list[tuple[str, str | None, tuple[str, ...], int]]] = {
    "PROPERTY": [
        ("grid", None, ("住建局",), 20),
        ("community", None, ("住建局",), 10),
        ("street", None, ("住建局",), 0),
    ],
    "ILLEGAL_BUILD": [("street", None, ("城管局",), 0)],
    "MUNICIPAL": [("department", "城管局", (), 0)],
    "UTILITIES": [("department", "水务局", (), 0)],
    "HOUSING": [("department", "住建局", (), 0)],
    "NOISE": [
        ("grid", None, ("生态环境局",), 20),
        ("community", None, ("生态环境局",), 10),
        ("street", None, ("生态环境局",), 0),
    ],
    "POLLUTION": [("department", "生态环境局", (), 0)],
    "WAGES": [("department", "人社局", (), 0)],
    "SOCIAL_INS": [("department", "人社局", (), 0)],
    "SCHOOL": [("department", "教育局", (), 0)],
    "CONSUMER": [("department", "市场监管局", (), 0)],
    "MARKET": [("department", "市场监管局", ("城管局",), 0)],
    "HEALTH": [("department", "卫健局", (), 0)],
    "TRANSIT": [("department", "交通运输局", (), 0)],
    "TRAFFIC": [("department", "交通运输局", ("城管局",), 0)],
    "WELFARE": [("grid", None, ("民政局",), 20), ("community", None, ("民政局",), 10), ("department", "民政局", (), 0)],
}

# (title, category code, keywords, answer): what operators answer on the spot most days.
KNOWLEDGE = [
    (
        "社保缴费记录怎么查询",
        "SOCIAL_INS",
        ["社保", "缴费", "查询"],
        "可通过“云川人社”微信公众号、市政务服务网或携带身份证到任一社保经办窗口查询；打印带章的缴费证明需到窗口办理。",
    ),
    (
        "灵活就业人员如何参加养老保险",
        "SOCIAL_INS",
        ["灵活就业", "养老保险", "参保"],
        "持身份证到户籍或居住地街道社保服务窗口登记，每月按所选档次缴费；也可在政务服务网线上办理。",
    ),
    (
        "被拖欠工资怎么办",
        "WAGES",
        ["拖欠工资", "欠薪", "劳动仲裁"],
        "请保留劳动合同、考勤和工资记录，向用工所在区人社局劳动保障监察大队投诉；也可在一年内申请劳动仲裁，仲裁不收费。",
    ),
    (
        "小学一年级入学报名时间",
        "SCHOOL",
        ["入学", "报名", "一年级", "学位"],
        "每年 5 月中旬在区教育局招生平台网上报名，需准备户口簿、房产证明或居住证；具体时间以当年招生公告为准。",
    ),
    (
        "物业费收费标准在哪里查",
        "PROPERTY",
        ["物业费", "收费标准", "物业"],
        "普通住宅前期物业服务收费实行政府指导价，标准在小区公示栏和区住建局网站公布；对收费有异议可向所在街道反映。",
    ),
    (
        "晚上施工噪音扰民可以投诉吗",
        "NOISE",
        ["噪音", "夜间施工", "扰民"],
        "22 时至次日 6 时禁止产生噪声的建筑施工作业（抢修、抢险除外）；可拨打 12345 登记，由属地街道和生态环境部门处理。",
    ),
    (
        "停水停电信息在哪里发布",
        "UTILITIES",
        ["停水", "停电", "通知"],
        "计划停水由市供水公司提前 24 小时在官网、公众号和小区公告栏发布；计划停电由供电公司发布。突发停水请说明具体小区。",
    ),
    (
        "居住证怎么办理",
        None,
        ["居住证", "办理", "暂住"],
        "在居住地连续居住半年以上、有合法稳定就业或住所的，可持身份证、居住证明到社区警务室或派出所申领。",
    ),
    (
        "公交卡充值和老年卡办理",
        "TRANSIT",
        ["公交卡", "老年卡", "充值"],
        "公交卡可在各公交服务网点和手机 APP 充值；年满 65 周岁可持身份证和照片到公交服务网点办理老年卡，免费乘车。",
    ),
    (
        "网购商品质量问题如何维权",
        "CONSUMER",
        ["网购", "退货", "消费维权", "质量问题"],
        "先与商家或平台协商，保留订单和聊天记录；协商不成可通过全国 12315 平台投诉，或向经营者所在地市场监管局投诉。",
    ),
    (
        "低保申请条件和流程",
        "WELFARE",
        ["低保", "最低生活保障", "救助"],
        "家庭人均收入低于当地低保标准且财产符合规定的，可向户籍所在地社区提出申请，经街道审核、区民政局审批。",
    ),
    (
        "违章搭建向哪里举报",
        "ILLEGAL_BUILD",
        ["违章搭建", "私搭乱建", "违建"],
        "可拨打 12345 或向所在街道综合执法队举报，请说明具体小区、楼栋和搭建位置，执法部门将核查处理。",
    ),
]


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    level: str
    parent_code: str | None
    kind: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def sees_phone(self) -> bool:
        """The departments call citizens back (masked until a handler asks, 查看号码); streets and communities
        see numbers masked."""
        return self.level == "department"


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
                ccode = f"{scode}-C{c}"
                units.append(DemoUnit(ccode, cname, "community", scode, aliases=tuple(_short(cname, ("社区", "村")))))
                for g, (gname, _) in enumerate(GRIDS.get(cname, []), start=1):
                    units.append(DemoUnit(f"{ccode}-G{g}", gname, "grid", ccode))
    return units


def demo_users(units: list[DemoUnit]) -> list[tuple[str, str, str, str]]:
    """(username, display name, role, unit code): one user of each role each unit needs."""
    roles_by_level = {
        "city": ["operator", "dispatcher", "supervisor", "admin"],
        "district": ["dispatcher", "supervisor"],
        "department": ["handler"],
        "street": ["handler", "dispatcher", "supervisor"],
        "community": ["handler"],
        "grid": ["handler"],
    }
    labels = {
        "operator": "话务员",
        "dispatcher": "派单员",
        "handler": "承办人",
        "supervisor": "督办人",
        "admin": "管理员",
    }
    users = []
    for unit in units:
        for role in roles_by_level.get(unit.level, []):
            username = role if unit.level == "city" else f"{unit.code.lower()}-{role}"
            label = "网格员" if unit.level == "grid" else labels[role]
            users.append((username, f"{unit.name}{label}", role, unit.code))
    users.append(("operator2", "云川市话务员二", "operator", CITY[0]))
    return users


async def seed_demo(conn: asyncpg.Connection, settings: Settings) -> str:
    """Create (or refresh) the demo city; returns a one-line summary in Chinese.

    Each table is written in one pipelined batch (executemany) rather than a round trip per row: the
    tests' `city` fixture seeds it before many tests."""
    if not settings.is_development:
        raise DemoRefused('生产环境（[app] env = "production"）不能写入演示数据')
    units = demo_units()
    users = demo_users(units)
    password_hash = hash_password(DEMO_PASSWORD)  # hashed once: argon2 is slow on purpose
    async with conn.transaction():
        # parents come before their children in demo_units(), and each row of the batch sees the rows before it
        await conn.executemany(
            Q.demo_upsert_unit,
            [(u.code, u.name, u.level, u.parent_code, u.kind, list(u.aliases), u.sees_phone) for u in units],
        )
        ids = {r["code"]: r["id"] for r in await conn.fetch(Q.unit_ids_by_code, [u.code for u in units])}
        await conn.executemany(
            Q.insert_user,
            [(username, display, role, ids[unit_code], password_hash) for username, display, role, unit_code in users],
        )
        await _seed_catalog(conn, units, ids)
    return f"演示城市 {CITY[1]}：{len(units)} 个单位，{len(users)} 个用户（密码均为 {DEMO_PASSWORD}）"


async def _seed_catalog(conn: asyncpg.Connection, units: list[DemoUnit], ids: dict[str, int]) -> None:
    """Categories, the responsibility table, estates and roads, and the knowledge base (the responsibility
    table and the knowledge base only when empty, as before: a refresh leaves them as they are)."""
    await conn.executemany(
        Q.upsert_category,
        [(c["code"], c["name"], c["level1"], c.get("description", "")) for c in default_categories()],
    )
    empty = await conn.fetchrow(Q.demo_rules_and_kb_empty)
    if empty["rules"]:
        await conn.executemany(
            Q.insert_rule,
            [
                (code, level, owner_kind, None, list(co_kinds), priority)
                for code, rules in RESPONSIBILITY.items()
                for level, owner_kind, co_kinds, priority in rules
            ],
        )
    community_ids = {u.name: ids[u.code] for u in units if u.level == "community"}
    grid_ids = {u.name: ids[u.code] for u in units if u.level == "grid"}
    await conn.executemany(
        Q.insert_place,
        [
            (name, "road" if name.endswith("路") else "estate", community_ids[community])
            for community, names in ESTATES.items()
            for name in names
        ]
        + [(name, "estate", grid_ids[grid]) for grids in GRIDS.values() for grid, names in grids for name in names],
    )
    if empty["kb"]:
        cut = default_segmenter().cut
        await conn.executemany(
            Q.insert_kb_entry,
            [
                (title, answer, category_code, keywords, kb.entry_tokens(cut, title, keywords, answer))
                for title, category_code, keywords, answer in KNOWLEDGE
            ],
        )


def default_categories() -> list[dict[str, str]]:
    with open(CATEGORIES_CSV, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


async def seed_demo_if_empty(conn: asyncpg.Connection, settings: Settings) -> bool:
    if await conn.fetchval(Q.count_units):
        return False
    await seed_demo(conn, settings)
    return True

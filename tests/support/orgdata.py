"""A small org tree for the dispatch tests (the `tree` fixture is in tests/dispatch/conftest.py): one city,
two districts, departments, streets, communities and a grid. Ids are chosen so the level is
readable from the number."""

from dispatch.org import Level, Unit

CITY = 1
DONGHU = 10
DONGHU_CHENGGUAN = 101
DONGHU_SHICHANG = 102
DONGHU_ZHUJIAN = 103
HUBIN = 110
XINGFU = 1101
XINGFU_GRID_1 = 11011
XINCUN_DONGHU = 1102
DONGSHAN = 120
DONGSHAN_COMMUNITY = 1201
XILING = 20
XILING_CHENGGUAN = 201
XILING_STREET = 210
XINCUN_XILING = 2101

UNITS = (
    Unit(CITY, "临江市", Level.CITY, None),
    Unit(DONGHU, "东湖区", Level.DISTRICT, CITY, aliases=("东湖",)),
    Unit(DONGHU_CHENGGUAN, "东湖区城市管理局", Level.DEPARTMENT, DONGHU, kind="城管局"),
    Unit(DONGHU_SHICHANG, "东湖区市场监督管理局", Level.DEPARTMENT, DONGHU, kind="市场监管局"),
    Unit(DONGHU_ZHUJIAN, "东湖区住房和城乡建设局", Level.DEPARTMENT, DONGHU, kind="住建局"),
    Unit(HUBIN, "湖滨街道", Level.STREET, DONGHU, aliases=("湖滨",)),
    Unit(XINGFU, "幸福社区", Level.COMMUNITY, HUBIN),
    Unit(XINGFU_GRID_1, "幸福社区第一网格", Level.GRID, XINGFU),
    Unit(XINCUN_DONGHU, "新村社区", Level.COMMUNITY, HUBIN),
    Unit(DONGSHAN, "东山街道", Level.STREET, DONGHU),
    Unit(DONGSHAN_COMMUNITY, "东山社区", Level.COMMUNITY, DONGSHAN),
    Unit(XILING, "西岭区", Level.DISTRICT, CITY),
    Unit(XILING_CHENGGUAN, "西岭区城市管理局", Level.DEPARTMENT, XILING, kind="城管局"),
    Unit(XILING_STREET, "西岭街道", Level.STREET, XILING),
    Unit(XINCUN_XILING, "新村社区", Level.COMMUNITY, XILING_STREET),
)

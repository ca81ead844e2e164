"""Fixtures of the classifier tests: the demo model trained once per session, a small fictional city,
and the shared data set (tests that need it skip when ../shared is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.bootstrap import train_default_model
from classifier.places import PlaceIndex, PlaceRecord

ROOT = Path(__file__).resolve().parents[2]
# ../shared beside the checkout; a git worktree under ../wt/ finds it one level further up
SHARED_DATA = next(
    (p / "shared" / "data" / "teddy2020c" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()),
    ROOT.parent / "shared" / "data" / "teddy2020c",
)


@pytest.fixture(scope="session")
def demo_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-model")
    train_default_model(path)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "train_seg.csv").exists():
        pytest.skip(f"shared data set not found at {SHARED_DATA} (it lives at ../shared beside the checkout)")
    return SHARED_DATA


# 临水市 (fictional): two districts; the community name 新村社区 exists in both on purpose.
CITY = [
    PlaceRecord(1, "临江区", "district", None, ("江城",)),  # 江城: its old name
    PlaceRecord(2, "北岭区", "district", None),
    PlaceRecord(11, "青山街道", "street", 1),
    PlaceRecord(12, "东风街道", "street", 1),
    PlaceRecord(21, "岭南街道", "street", 2),
    PlaceRecord(22, "松涛镇", "street", 2),
    PlaceRecord(111, "柳岸社区", "community", 11),
    PlaceRecord(112, "新村社区", "community", 11),
    PlaceRecord(113, "翠竹社区", "community", 11, ("翠竹居委会",)),
    PlaceRecord(121, "红旗社区", "community", 12),
    PlaceRecord(211, "新村社区", "community", 21),
    PlaceRecord(212, "梅岭社区", "community", 21),
    PlaceRecord(221, "松岗村", "community", 22),
    PlaceRecord(1111, "柳岸第三网格", "grid", 111),
    PlaceRecord(-1, "柳岸花园", "estate", 111),
    PlaceRecord(-2, "青山湖小区", "estate", 113),
    PlaceRecord(-3, "红旗路", "road", 121),
    PlaceRecord(-4, "滨河大道", "road", 11),
    PlaceRecord(-5, "梅岭雅苑", "estate", 212),
]


@pytest.fixture(scope="session")
def city() -> PlaceIndex:
    return PlaceIndex(CITY)

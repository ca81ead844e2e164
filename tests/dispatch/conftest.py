import pytest

from dispatch.org import OrgTree
from tests.support.orgdata import UNITS


@pytest.fixture
def tree() -> OrgTree:
    return OrgTree(UNITS)

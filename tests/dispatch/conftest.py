import pytest
from orgdata import UNITS

from dispatch.org import OrgTree


@pytest.fixture
def tree() -> OrgTree:
    return OrgTree(UNITS)

import numpy as np
import pytest

from classifier.codetable import CodeTable


def test_every_key_is_found_and_nothing_else() -> None:
    rng = np.random.default_rng(3)
    keys = np.unique(rng.integers(-(2**63), 2**63 - 1, 50_000, dtype=np.int64))
    keys = np.concatenate([keys, [0, 1, -1]])  # 0 is also the empty-slot marker
    values = np.arange(len(keys)) * 2.5
    table = CodeTable(keys, values, missing=np.nan)
    np.testing.assert_array_equal(table.get(keys), values)
    strangers = rng.integers(-(2**63), 2**63 - 1, 50_000, dtype=np.int64)
    strangers = strangers[~np.isin(strangers, keys)]
    assert np.isnan(table.get(strangers)).all()
    assert table.get(np.zeros(0, dtype=np.int64)).shape == (0,)


def test_without_zero_key_zero_is_missing() -> None:
    table = CodeTable(np.array([5, 7], dtype=np.uint64), np.array([1, 2]), missing=-1)
    assert table.get(np.array([0, 5, 6, 7], dtype=np.uint64)).tolist() == [-1, 1, -1, 2]
    empty = CodeTable(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), missing=-1)
    assert empty.get(np.array([0, 3], dtype=np.int64)).tolist() == [-1, -1]


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        CodeTable(np.array([3, 3], dtype=np.int64), np.array([1, 2]), missing=-1)

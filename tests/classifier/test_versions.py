"""ModelStore: every version kept under versions/, one symlink says which is in use, switched atomically;
ModelHandle follows the switch (both ways) without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.artifact import METADATA_FILE, ModelHandle, save_model
from classifier.model import TextClassifier, train_model
from classifier.versions import ModelStore, UnknownVersion

TEXTS = ["停水了", "又停水", "没水用", "工资没发", "拖欠工资", "欠薪", "路灯坏了", "路灯不亮", "井盖丢了"] * 3
LABELS = (["水电气暖"] * 3 + ["劳资纠纷"] * 3 + ["市政设施"] * 3) * 3


@pytest.fixture(scope="module")
def trained() -> TextClassifier:
    return train_model(TEXTS, LABELS)


def add_version(store: ModelStore, model: TextClassifier, version: str) -> str:
    model.metadata["version"] = version
    staged = store.staging()
    save_model(model, staged)
    return store.add(staged)


def test_switching_moves_the_pointer_and_every_handle_follows(tmp_path: Path, trained: TextClassifier) -> None:
    store = ModelStore(tmp_path / "models" / "current")
    assert store.current_version() is None and store.stored() == []
    first = add_version(store, trained, "20261201T000000Z-aaaaaaaa")
    second = add_version(store, trained, "20261202T000000Z-bbbbbbbb")
    assert store.stored() == [first, second]  # staging directories are not versions
    store.switch(first)
    assert store.pointer.is_symlink() and store.pointer.resolve() == (store.versions / first).resolve()
    handle = ModelHandle(store.pointer, check_s=0)
    assert handle.model.metadata["version"] == first
    store.switch(second)
    assert store.current_version() == second
    assert handle.model.metadata["version"] == second
    store.switch(first)  # back again: nothing in that directory changed, the pointer did
    assert handle.model.metadata["version"] == first
    assert not [p for p in store.pointer.parent.iterdir() if p.name.startswith(".current")]  # no link left over


def test_a_model_trained_in_place_is_adopted_into_the_versions(tmp_path: Path, trained: TextClassifier) -> None:
    pointer = tmp_path / "current"
    trained.metadata["version"] = "20261130T000000Z-cccccccc"
    save_model(trained, pointer)  # as before versions existed: a plain directory
    handle = ModelHandle(pointer, check_s=0)
    assert handle.model.metadata["version"] == "20261130T000000Z-cccccccc"
    store = ModelStore(pointer)
    newer = add_version(store, trained, "20261201T000000Z-dddddddd")
    store.switch(newer)
    assert store.has("20261130T000000Z-cccccccc") and pointer.is_symlink()
    assert (store.versions / "20261130T000000Z-cccccccc" / METADATA_FILE).exists()
    assert handle.model.metadata["version"] == newer
    store.switch("20261130T000000Z-cccccccc")
    assert handle.model.metadata["version"] == "20261130T000000Z-cccccccc"


def test_unknown_or_malformed_versions_are_refused(tmp_path: Path, trained: TextClassifier) -> None:
    store = ModelStore(tmp_path / "current")
    add_version(store, trained, "20261201T000000Z-eeeeeeee")
    for bad in ("nope", "../current", ".staging-1", ""):
        with pytest.raises(UnknownVersion):
            store.switch(bad)
    assert store.current_version() is None  # nothing was switched

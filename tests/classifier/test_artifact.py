import json
import os
import time
from pathlib import Path

import pytest

from classifier.artifact import (
    METADATA_FILE,
    MODEL_FILE,
    IncompatibleModel,
    ModelHandle,
    ModelNotFound,
    load_model,
    needs_training,
    save_model,
)
from classifier.model import TextClassifier, train_model

TEXTS = ["停水了", "又停水", "没水用", "工资没发", "拖欠工资", "欠薪", "路灯坏了", "路灯不亮", "井盖丢了"] * 3
LABELS = (["水电气暖"] * 3 + ["劳资纠纷"] * 3 + ["市政设施"] * 3) * 3


def small_model(tag: str) -> TextClassifier:
    model = train_model(TEXTS, LABELS)
    model.metadata["version"] = tag
    return model


def bump_mtime(path: Path) -> None:
    later = time.time() + 5
    os.utime(path, (later, later))


def test_handle_picks_up_a_newly_trained_model(tmp_path: Path) -> None:
    save_model(small_model("v1"), tmp_path)
    handle = ModelHandle(tmp_path, check_s=0)
    assert handle.model.metadata["version"] == "v1"
    assert handle.predict_one("家里停水").label == "水电气暖"
    save_model(small_model("v2"), tmp_path)
    bump_mtime(tmp_path / METADATA_FILE)  # the same second on a coarse clock must not hide it
    assert handle.model.metadata["version"] == "v2"
    assert handle.version == "v2"


def test_handle_looks_at_the_directory_at_most_every_check_s(tmp_path: Path) -> None:
    save_model(small_model("v1"), tmp_path)
    handle = ModelHandle(tmp_path, check_s=3600)
    assert handle.version is None
    assert handle.model.metadata["version"] == "v1"
    save_model(small_model("v2"), tmp_path)
    bump_mtime(tmp_path / METADATA_FILE)
    assert handle.model.metadata["version"] == "v1"


def test_a_broken_new_model_keeps_the_old_one_in_use(tmp_path: Path) -> None:
    save_model(small_model("v1"), tmp_path)
    handle = ModelHandle(tmp_path, check_s=0)
    assert handle.model.metadata["version"] == "v1"
    (tmp_path / MODEL_FILE).write_bytes(b"not a model")
    bump_mtime(tmp_path / METADATA_FILE)
    assert handle.model.metadata["version"] == "v1"


def test_no_model_yet(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound):
        load_model(tmp_path)
    with pytest.raises(ModelNotFound):
        ModelHandle(tmp_path / "missing", check_s=0).predict_one("停水")


def test_a_model_of_another_format_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    save_model(small_model("v1"), tmp_path)
    assert not needs_training(tmp_path)
    meta = json.loads((tmp_path / METADATA_FILE).read_text(encoding="utf-8"))
    meta["format"] = 1
    (tmp_path / METADATA_FILE).write_text(json.dumps(meta), encoding="utf-8")
    assert needs_training(tmp_path) and needs_training(tmp_path / "missing")
    with pytest.raises(IncompatibleModel, match="retrain"):
        load_model(tmp_path)

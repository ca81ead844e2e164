"""The demo model through ``python -m classifier`` (a real subprocess, as an operator would run it)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from classifier import cli
from classifier.bootstrap import CORPUS
from tests.support.calls import CLASSIFIER_CALLS

ROOT = Path(__file__).resolve().parents[2]
CALLS = CLASSIFIER_CALLS  # typical calls, written for the tests


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "classifier", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(("text", "expected"), CALLS, ids=[label for _, label in CALLS])
def test_predict_returns_a_sensible_category(demo_model_dir: Path, text: str, expected: str) -> None:
    done = run("predict", "--model", str(demo_model_dir), text)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"类别 label: {expected}"
    assert lines[1].startswith("置信度 confidence: ")
    assert len([line for line in lines if line.startswith("  ")]) == 3  # the top 3
    assert done.stderr == ""  # jieba and the rest stay quiet


def test_eval_json_ends_with_one_json_object(demo_model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "calls.csv"
    with open(data, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "label", "note"])  # extra columns are ignored
        writer.writerows((i, text, label, "") for i, (text, label) in enumerate(CALLS))
    done = run("eval", "--data", str(data), "--model", str(demo_model_dir), "--json")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["n"] == len(CALLS)
    assert summary["accuracy"] == 1.0 and summary["macro_f1"] == 1.0
    assert "confusion" in summary and "per_class" in summary
    assert any("macro-F1" in line for line in lines[:-1])


def test_train_then_predict_through_the_functions(tmp_path: Path) -> None:
    out = io.StringIO()
    model = cli.train(CORPUS, tmp_path / "model", out=out)
    assert "n_train: 1280" in out.getvalue() and "cross-validation" in out.getvalue()
    assert (tmp_path / "model" / "metadata.json").exists()
    out = io.StringIO()
    prediction = cli.predict(tmp_path / "model", CALLS[0][0], out=out)
    assert prediction.label == CALLS[0][1] and model.labels == sorted(model.labels)
    assert out.getvalue().startswith(f"类别 label: {CALLS[0][1]}\n")


def test_bad_input_is_an_error_message_not_a_traceback(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("content,category\n停水,水电气暖\n", encoding="utf-8")
    done = run("train", "--data", str(data), "--model", str(tmp_path / "m"))
    assert done.returncode == 2 and "missing column(s) label, text" in done.stderr
    done = run("predict", "--model", str(tmp_path / "none"), "停水")
    assert done.returncode == 2 and "no model" in done.stderr

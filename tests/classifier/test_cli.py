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

ROOT = Path(__file__).resolve().parents[2]

# Typical calls, written for this test (not taken from the corpus; test_bootstrap checks that).
CALLS = [
    ("夜里一点多楼下大排档还在划拳喝酒，吵得全家人睡不着觉", "噪音扰民"),
    ("我在一家餐厅打工，老板两个月没给我发薪水了，现在人也找不到", "劳资纠纷"),
    ("我们这条街的路灯全黑了，晚上走路什么都看不见", "市政设施"),
    ("孩子今年六岁，想问一下小学一年级报名要带哪些证件", "教育就学"),
    ("物业公司今年突然把物业费从每平米一块二涨到两块，业主都不同意", "物业管理"),
    ("隔壁那户人家在院子里违规盖了一间砖房，把消防通道都堵死了", "私搭乱建"),
    ("在一家服装店买衣服，标签上写的打五折，结账时却按原价收的，这不是价格欺诈吗", "消费维权"),
    ("我们整栋楼从昨天晚上停水到现在，一点通知都没有", "水电气暖"),
    ("化工厂排出来的废水把小河都染黑了，臭得不行", "环境污染"),
    ("2路公交车经常半个小时都不来一趟，司机还不报站", "公共交通"),
    ("十字路口的信号灯一直闪黄灯，车辆乱成一团差点撞人", "道路交通"),
    ("我母亲七十多岁一个人生活，没有收入，想问怎么申请最低生活保障", "社会救助"),
    ("单位一直没给我交养老保险，我想查一下缴费记录", "社会保险"),
]


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

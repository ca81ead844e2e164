"""Backup and restore with the embedded servers (no HOTLINE_DATABASE_URL): the private PostgreSQL under one
var/ is dumped with its own binaries and restored into the fresh one of another var/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from hotline.demo.city import demo_units, demo_users
from tests.support.history_files import closed_row, write_csv
from tests.support.services import ROOT, private_service_dir, service_environ


def embedded_environ(var: Path, model: Path) -> dict[str, str]:
    env = service_environ("", "", var, HOTLINE_CLASSIFIER_MODEL_DIR=str(model))
    for key in ("HOTLINE_DATABASE_URL", "HOTLINE_REDIS_URL"):
        env.pop(key)
    return env


def hotline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_backup_and_restore_between_two_embedded_setups(var_dir: Path, tmp_path: Path) -> None:
    first, second = private_service_dir(), private_service_dir()
    try:
        model = first / "model"
        shutil.copytree(var_dir / "models" / "current", model)  # no training: the session's model
        env = embedded_environ(first, model)
        assert hotline(env, "demo", "seed", "--tickets", "0").returncode == 0
        history = write_csv(tmp_path / "h.csv", [closed_row(f"E{n}", "2025-06-03") for n in range(3)])
        assert hotline(env, "import", "tickets", str(history)).returncode == 0
        archive = tmp_path / "embedded.tar"
        backup = hotline(env, "backup", str(archive))
        assert backup.returncode == 0, backup.stderr
        assert "工单 3 件" in backup.stdout

        restored = hotline(embedded_environ(second, second / "model"), "restore", str(archive))
        assert restored.returncode == 0, restored.stderr
        units = demo_units()
        assert f"工单 3 件，单位 {len(units)} 个，用户 {len(demo_users(units))} 个" in restored.stdout
        assert sorted(p.name for p in (second / "model").iterdir()) == sorted(p.name for p in model.iterdir())
    finally:
        shutil.rmtree(first, ignore_errors=True)
        shutil.rmtree(second, ignore_errors=True)

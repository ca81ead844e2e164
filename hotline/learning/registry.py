"""Model versions as the city sees them: the history, comparing two versions, switching and rolling back.

The files of every version live in the model store (classifier/versions.py); the table
model_versions holds each one's data hash, scores and decision; model_switches logs every change
of the version in use. A switch takes a transaction-level advisory lock, logs itself and swaps the
`current` symlink as its last step: every web and worker process loads the new version within
`[classifier] reload_check_s`, without a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from classifier.artifact import read_metadata
from classifier.versions import ModelStore
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.settings import Settings

ORIGINS = {"adopted": "启用前已有", "cron": "定时训练", "manual": "手动训练"}
STATUSES = {"adopted": "初始模型", "promoted": "已通过", "refused": "未通过"}
ACTIONS = {"promote": "启用", "rollback": "回滚"}
HISTORY_LIMIT = 200


def model_store(settings: Settings) -> ModelStore:
    return ModelStore(settings.path(settings.classifier.model_dir))


async def register_current(conn: asyncpg.Connection, store: ModelStore, now: datetime) -> str | None:
    """The version in use, with a row of its own: a model trained in place or shipped is 'adopted'."""
    version = store.current_version()
    if version is None or await conn.fetchrow(Q.model_version, version) is not None:
        return version
    metadata = read_metadata(store.pointer)
    trained_at = datetime.fromisoformat(metadata["trained_at"])
    await conn.execute(
        Q.insert_model_version,
        version,
        trained_at,
        "adopted",
        "adopted",
        "学习流程启用前已在使用的模型（未经留出集评估）",
        metadata.get("training_data_sha256", ""),
        int(metadata.get("n_train", 0)),
        0,
        None,
        None,
        None,
        None,
        {},
        None,
        metadata,
        now,
    )
    return version


async def activate(
    conn: asyncpg.Connection,
    store: ModelStore,
    version: str,
    action: str,
    actor_id: int | None,
    reason: str,
    now: datetime,
) -> str | None:
    """Make `version` the one every process uses; returns the version it replaces."""
    async with conn.transaction():
        await conn.execute(Q.model_switch_lock)
        previous = await register_current(conn, store, now)
        if previous == version:
            raise ApiError(409, "该版本已是当前使用的模型", code="already_current")
        await conn.execute(Q.insert_model_switch, now, previous, version, action, actor_id, reason)
        store.switch(version)  # last: if this fails the log rolls back with it
    return previous


async def rollback(
    conn: asyncpg.Connection, store: ModelStore, target: str | None, actor_id: int | None, now: datetime
) -> tuple[str, str]:
    """Back to `target`, or to the version in use before the current one; returns (from, to)."""
    current = await register_current(conn, store, now)
    if current is None:
        raise ApiError(409, "当前没有可用的分类模型", code="no_model")
    if target is None:
        target = await conn.fetchval(Q.previous_model_version, current)
        if target is None:
            raise ApiError(409, "没有可回滚的上一版本", code="no_previous_version")
    row = await conn.fetchrow(Q.model_version, target)
    if row is None:
        raise ApiError(404, f"模型版本 {target} 不存在", code="unknown_version")
    if row["status"] == "refused":
        raise ApiError(409, "未通过评估的版本不能启用，只能回滚到曾经启用过的版本", code="refused_version")
    if not store.has(target):
        raise ApiError(409, f"模型版本 {target} 的文件已不存在", code="version_files_missing")
    await activate(conn, store, target, "rollback", actor_id, f"由 {current} 回滚至 {target}", now)
    return current, target


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


async def overview(conn: asyncpg.Connection, store: ModelStore, now: datetime) -> dict[str, Any]:
    """The history page's data: every version (newest first), the recent runs and switches."""
    current = await register_current(conn, store, now)
    previous = await conn.fetchval(Q.previous_model_version, current) if current else None
    versions = []
    for r in await conn.fetch(Q.model_versions_list, HISTORY_LIMIT):
        on_disk = store.has(r["version"])
        versions.append(
            {
                "version": r["version"],
                "trained_at": r["trained_at"].isoformat(),
                "origin": r["origin"],
                "origin_label": ORIGINS[r["origin"]],
                "status": r["status"],
                "status_label": STATUSES[r["status"]],
                "reason": r["reason"],
                "training_data_sha256": r["training_data_sha256"],
                "n_train": r["n_train"],
                "n_tickets": r["n_tickets"],
                "trained_until": r["trained_until"].isoformat() if r["trained_until"] else None,
                "baseline_version": r["baseline_version"],
                "holdout": r["holdout"],
                "macro_f1": _float(r["macro_f1"]),
                "accuracy": _float(r["accuracy"]),
                "baseline_macro_f1": _float(r["baseline_macro_f1"]),
                "cv": r["cv"],
                "decided_at": r["decided_at"].isoformat(),
                "current": r["version"] == current,
                "previous": r["version"] == previous,
                "on_disk": on_disk,
                "can_activate": on_disk and r["status"] != "refused" and r["version"] != current,
            }
        )
    runs = [
        {
            "id": r["id"],
            "started_at": r["started_at"].isoformat(),
            "finished_at": r["finished_at"].isoformat(),
            "origin": r["origin"],
            "origin_label": ORIGINS[r["origin"]],
            "outcome": r["outcome"],
            "version": r["version"],
            "reason": r["reason"],
        }
        for r in await conn.fetch(Q.retrain_runs_recent, 20)
    ]
    switches = [
        {
            "id": r["id"],
            "at": r["at"].isoformat(),
            "from_version": r["from_version"],
            "to_version": r["to_version"],
            "action": r["action"],
            "action_label": ACTIONS[r["action"]],
            "actor_name": r["actor_name"] or "系统",
            "reason": r["reason"],
        }
        for r in await conn.fetch(Q.model_switches_recent, 20)
    ]
    return {"current": current, "previous": previous, "versions": versions, "runs": runs, "switches": switches}


async def compare(conn: asyncpg.Connection, a: str, b: str) -> dict[str, Any]:
    """Per-class scores of two versions side by side. When one was scored against the other (a candidate
    and the model it challenged) both come from that same held-back slice; otherwise each from its own."""
    rows = {}
    for version in (a, b):
        row = await conn.fetchrow(Q.model_version, version)
        if row is None:
            raise ApiError(404, f"模型版本 {version} 不存在", code="unknown_version")
        rows[version] = row
    same_slice = None
    metrics = {v: (r["metrics"] or None) for v, r in rows.items()}
    for challenger, other in ((b, a), (a, b)):
        if rows[challenger]["baseline_version"] == other and rows[challenger]["baseline_metrics"]:
            metrics = {challenger: rows[challenger]["metrics"], other: rows[challenger]["baseline_metrics"]}
            same_slice = rows[challenger]["holdout"]
            break
    labels = sorted({label for m in metrics.values() if m for label in m.get("per_class", {})})
    per_class = []
    for label in labels:
        left = (metrics[a] or {}).get("per_class", {}).get(label)
        right = (metrics[b] or {}).get("per_class", {}).get(label)
        delta = None if left is None or right is None else round(right["f1"] - left["f1"], 4)
        per_class.append({"label": label, "a": left, "b": right, "delta_f1": delta})

    def side(version: str) -> dict[str, Any]:
        m = metrics[version] or {}
        return {
            "version": version,
            "status": rows[version]["status"],
            "status_label": STATUSES[rows[version]["status"]],
            "holdout": rows[version]["holdout"],
            "macro_f1": m.get("macro_f1"),
            "accuracy": m.get("accuracy"),
            "n": m.get("n"),
            "labels": m.get("labels", []),
            "confusion": m.get("confusion", []),
        }

    return {
        "a": side(a),
        "b": side(b),
        "same_slice": same_slice is not None,
        "holdout": same_slice,
        "per_class": per_class,
    }

"""Retraining from the city's settled tickets behind a promotion gate (the weekly cron job and
`hotline classifier retrain`).

One run: read the newest settled tickets (as the training export selects them), hold back the
newest slice that neither the current model nor the candidate has trained on (a time split), train
the candidate on the older ones (plus the shipped starting corpus, `[learning] include_bootstrap`),
score candidate and current model on the held-back slice, and promote the candidate only if
classifier.promotion.judge lets it through. Every candidate is kept, promoted or not, with its
reason. Training runs in a child process (`python -m classifier candidate`, niced): it is CPU-bound
for seconds to minutes and must not stall the worker's SLA timers.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import math
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from classifier.bootstrap import read_bootstrap
from classifier.promotion import PromotionRules, judge
from classifier.text import clean
from hotline.embedded import die_with_parent
from hotline.errors import ApiError
from hotline.learning import registry
from hotline.queries import Q
from hotline.settings import LearningSettings, Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    outcome: str  # promoted | refused | skipped | failed
    reason: str
    version: str | None = None
    previous: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reason": self.reason, "version": self.version, "previous": self.previous}


@dataclass(frozen=True)
class Split:
    train: Sequence[asyncpg.Record]
    holdout: Sequence[asyncpg.Record]


class Skip(Exception):
    """Nothing to train or nothing to judge with: the run ends without a candidate (a Chinese reason)."""


def time_split(rows: Sequence[Any], rules: LearningSettings, cutoff: tuple[datetime, int] | None) -> Split:
    """`rows` oldest first. The newest `holdout_fraction` (at least `min_holdout`) are held back, but never
    a ticket at or before `cutoff` (the newest one the current model learnt from): both models are scored
    on tickets neither has seen. The candidate learns from everything before the held-back slice."""
    start = len(rows) - max(rules.min_holdout, math.ceil(rules.holdout_fraction * len(rows)))
    if cutoff is not None:
        unseen = next((i for i, r in enumerate(rows) if (r["created_at"], r["id"]) > cutoff), len(rows))
        start = max(start, unseen)
    start = max(start, 0)
    holdout = rows[start:]
    if len(holdout) < rules.min_holdout:
        raise Skip(
            f"现用模型未见过的已定分类工单只有 {len(holdout)} 件，少于留出集所需的 {rules.min_holdout} 件，本次不训练"
        )
    if start < rules.min_train_tickets:
        raise Skip(f"可用于训练的已定分类工单只有 {start} 件，少于 {rules.min_train_tickets} 件，本次不训练")
    return Split(rows[:start], holdout)


def _write_csv(path: Path, pairs: Sequence[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for text, label in pairs:
            writer.writerow([text, label])
            digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()


def _training_child() -> None:
    os.nice(10)  # training yields to the web and SLA work on the same cores
    die_with_parent(signal.SIGKILL)()  # a worker killed outright leaves no training running on alone


async def _run_candidate(
    settings: Settings, train: Path, holdout: Path, model_dir: Path, against: Path | None
) -> dict[str, Any]:
    args = [sys.executable, "-m", "classifier", "candidate", "--data", str(train), "--holdout", str(holdout)]
    args += ["--model", str(model_dir), *(["--against", str(against)] if against else [])]
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=settings.root,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_training_child,
    )
    try:
        out, err = await proc.communicate()
    finally:
        if proc.returncode is None:  # the job was cancelled (timeout, shutdown): do not leave it training
            proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"训练子进程失败（退出码 {proc.returncode}）：{lines[-1] if lines else ''}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def _training_pairs(
    conn: asyncpg.Connection, settings: Settings, train: Sequence[asyncpg.Record]
) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if settings.learning.include_bootstrap:
        active = {r["name"] for r in await conn.fetch(Q.all_categories) if r["active"]}
        texts, labels = read_bootstrap()
        pairs += [(t, label) for t, label in zip(texts, labels, strict=True) if label in active]
    pairs += [(clean(r["content"]), r["label"]) for r in train]
    return pairs


async def retrain(conn: asyncpg.Connection, settings: Settings, origin: str) -> Outcome:
    """One run (see the module's docstring); returns what came of it, which is also recorded.

    The run is one transaction holding a transaction-level advisory lock (one run at a time; pooled
    connections must not keep session locks). Apart from registering a model adopted from before (once,
    on the first run), it writes only after the child has trained, so meanwhile it holds no row locks."""
    started = datetime.now(UTC)
    async with conn.transaction():
        if not await conn.fetchval(Q.retrain_try_lock):
            outcome = Outcome("skipped", "已有一次训练正在进行")
        else:
            try:
                async with conn.transaction():  # a savepoint: a failed run still records itself below
                    outcome = await _retrain(conn, settings, origin, started)
            except Skip as skip:
                outcome = Outcome("skipped", str(skip))
            except Exception as exc:
                log.exception("retraining failed")
                outcome = Outcome("failed", str(exc) or type(exc).__name__)
        await conn.execute(
            Q.insert_retrain_run, started, datetime.now(UTC), origin, outcome.outcome, outcome.version, outcome.reason
        )
    log.info("retrain finished", **outcome.as_dict())
    return outcome


async def _retrain(conn: asyncpg.Connection, settings: Settings, origin: str, started: datetime) -> Outcome:
    store = registry.model_store(settings)
    current = await registry.register_current(conn, store, started)
    cutoff = None
    if current is not None:
        row = await conn.fetchrow(Q.model_version, current)
        if row["trained_until"] is not None:
            cutoff = (row["trained_until"], row["trained_until_id"])
    rows = await conn.fetch(Q.settled_for_training, settings.learning.max_tickets)
    split = time_split(rows, settings.learning, cutoff)
    staged = store.staging()
    try:
        with tempfile.TemporaryDirectory(prefix=".retrain-", dir=store.versions) as tmp:
            train_csv, holdout_csv = Path(tmp) / "train.csv", Path(tmp) / "holdout.csv"
            _write_csv(train_csv, await _training_pairs(conn, settings, split.train))
            holdout_sha = _write_csv(holdout_csv, [(clean(r["content"]), r["label"]) for r in split.holdout])
            against = store.pointer.resolve() if current is not None else None
            result = await _run_candidate(settings, train_csv, holdout_csv, staged, against)
    except BaseException:
        store.discard(staged)
        raise
    version = store.add(staged)
    rules = settings.learning
    gate = PromotionRules(rules.macro_f1_tolerance, rules.class_margin, rules.min_class_support)
    verdict = judge(result["candidate"], result["baseline"], gate)
    promote, reason = verdict.promote, verdict.reason
    baseline = result.get("baseline_version")
    if promote and baseline != store.current_version():
        promote, reason = False, f"未启用：训练期间现用模型已由 {baseline} 变为 {store.current_version()}；{reason}"
    metadata = result["metadata"]
    holdout = {
        "n": len(split.holdout),
        "first_at": split.holdout[0]["created_at"].isoformat(),
        "last_at": split.holdout[-1]["created_at"].isoformat(),
        "sha256": holdout_sha,
    }
    last = split.train[-1]
    now = datetime.now(UTC)
    async with conn.transaction():  # the candidate's row and, if promoted, the switch: together or not at all
        await conn.execute(
            Q.insert_model_version,
            version,
            datetime.fromisoformat(metadata["trained_at"]),
            origin,
            "promoted" if promote else "refused",
            reason,
            metadata["training_data_sha256"],
            metadata["n_train"],
            len(split.train),
            last["created_at"],
            last["id"],
            baseline,
            holdout,
            result["candidate"],
            result["baseline"],
            metadata,
            now,
        )
        if promote:
            try:
                await registry.activate(conn, store, version, "promote", None, reason, now)
            except ApiError as exc:  # e.g. the same data trained twice: already the current version
                promote, reason = False, exc.message
    return Outcome("promoted" if promote else "refused", reason, version, current)


async def retrain_model(ctx: dict[str, Any], origin: str = "cron") -> dict[str, Any]:
    """arq job (weekly cron, or queued by an admin with origin="manual")."""
    async with ctx["pool"].acquire() as conn:
        return (await retrain(conn, ctx["settings"], origin)).as_dict()

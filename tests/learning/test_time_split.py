"""The retrain job's time split: the newest settled tickets are held back, never one the model in use
learnt from, and a run with too little is skipped with a reason; the weekly cron follows the settings."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from hotline import jobs
from hotline.learning.retrain import Skip, time_split
from hotline.settings import LearningSettings, Settings

RULES = LearningSettings(holdout_fraction=0.2, min_holdout=10, min_train_tickets=20)
START = datetime(2026, 9, 1, tzinfo=UTC)


def rows(n: int) -> list[dict]:
    return [{"id": i + 1, "created_at": START + timedelta(hours=i)} for i in range(n)]


def test_the_newest_fifth_is_held_back() -> None:
    split = time_split(rows(100), RULES, None)
    assert [r["id"] for r in split.holdout] == list(range(81, 101))
    assert [r["id"] for r in split.train] == list(range(1, 81))


def test_at_least_min_holdout() -> None:
    split = time_split(rows(40), RULES, None)
    assert len(split.holdout) == 10 and len(split.train) == 30


def test_nothing_the_current_model_learnt_from_is_held_back() -> None:
    data = rows(100)
    cutoff = (data[89]["created_at"], data[89]["id"])  # the model in use learnt from tickets 1..90
    split = time_split(data, RULES, cutoff)
    assert [r["id"] for r in split.holdout] == list(range(91, 101))
    assert len(split.train) == 90
    # same created_at as the cutoff: the id decides
    tied = [{"id": i + 1, "created_at": START} for i in range(100)]
    assert [r["id"] for r in time_split(tied, RULES, (START, 90)).holdout] == list(range(91, 101))


def test_too_few_new_tickets_skips_the_run() -> None:
    data = rows(100)
    with pytest.raises(Skip, match="只有 5 件，少于留出集所需的 10 件"):
        time_split(data, RULES, (data[94]["created_at"], data[94]["id"]))


def test_too_few_to_train_on_skips_the_run() -> None:
    with pytest.raises(Skip, match="可用于训练的已定分类工单只有 15 件，少于 20 件"):
        time_split(rows(25), RULES, None)


def test_the_weekly_cron_runs_when_configured(settings: Settings) -> None:
    configured = dataclasses.replace(
        settings, learning=dataclasses.replace(settings.learning, retrain_weekdays=[3, 7], retrain_at="04:15")
    )
    weekly = [c for c in jobs.cron_jobs(configured) if c.name == "cron:retrain_model"]
    assert len(weekly) == 1
    assert (weekly[0].weekday, weekly[0].hour, weekly[0].minute) == ({2, 6}, {4}, {15})  # arq: Monday is 0
    never = dataclasses.replace(settings, learning=dataclasses.replace(settings.learning, retrain_weekdays=[]))
    assert not [c for c in jobs.cron_jobs(never) if c.name == "cron:retrain_model"]

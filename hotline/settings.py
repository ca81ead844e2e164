"""One frozen settings object, built at start-up from config.toml and HOTLINE_* variables."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
import secrets
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from realtime.hub import REPLAY_LIMIT

ENVIRONMENTS = ("development", "test", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the key."""


@dataclasses.dataclass(frozen=True)
class AppSettings:
    env: str = "development"
    timezone: str = "Asia/Shanghai"
    var_dir: str = "var"


@dataclasses.dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    processes: int = 1
    # browsers' Origins accepted besides the request's own host (cookie-authenticated writes, the board socket)
    trusted_origins: list[str] = dataclasses.field(default_factory=list)
    # /metrics answers these networks; with HOTLINE_METRICS_TOKEN set it also (and only then) takes the token
    metrics_networks: list[str] = dataclasses.field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    board_connections_per_user: int = 5
    board_revalidate_s: float = 30.0
    board_snapshot_shared_s: float = 5.0
    board_snapshot_stale_s: float = 60.0
    board_snapshot_refresh_events: int = 500
    max_in_flight: int = 100
    # Addresses of the TLS proxy whose X-Forwarded-For/Proto the web process believes (uvicorn's
    # forwarded_allow_ips): the client address in the audit log, https for Secure cookies.
    forwarded_allow_ips: str = "127.0.0.1"


@dataclasses.dataclass(frozen=True)
class DatabaseSettings:
    pool_min: int = 1
    pool_max: int = 10
    statement_timeout_s: float = 30.0
    # reads that may lag (reports, rankings, board snapshots) go to the standby at
    # HOTLINE_DATABASE_REPLICA_URL while its replay is at most this far behind
    replica_max_lag_s: float = 30.0
    # how long a board snapshot waits for the standby to replay the newest commits before it reads
    # the primary instead
    replica_catch_up_s: float = 0.5


@dataclasses.dataclass(frozen=True)
class RedisSettings:
    queue_name: str = "hotline:queue"
    socket_timeout_s: float = 2.0
    connect_timeout_s: float = 1.0


@dataclasses.dataclass(frozen=True)
class AuthSettings:
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    hash_threads: int = 1
    failed_logins_per_user: int = 10
    failed_logins_per_address: int = 50
    failed_login_window_s: int = 900
    secure_cookie: bool = False


@dataclasses.dataclass(frozen=True)
class Open311Settings:
    public_read: bool = True
    key_requests_per_minute: int = 120


# argon2id needs 8 KiB per lane (hotline.passwords uses 4); production must not go below OWASP's minimum
ARGON2_MIN_MEMORY_KIB = 32
PRODUCTION_ARGON2_MIN = {"argon2_time_cost": 2, "argon2_memory_kib": 19456}


@dataclasses.dataclass(frozen=True)
class EmbeddedSettings:
    postgres_port: int = 0
    redis_port: int = 0
    start_timeout_s: float = 30.0
    postgres_shared_buffers: str = ""  # empty: hotline/embedded.py default_shared_buffers()


@dataclasses.dataclass(frozen=True)
class LoggingSettings:
    level: str = "INFO"
    format: str = "console"


@dataclasses.dataclass(frozen=True)
class WorkerSettings:
    heartbeat_s: int = 10
    max_jobs: int = 20
    processes: int = 1


@dataclasses.dataclass(frozen=True)
class ClassifierSettings:
    model_dir: str = "var/models/current"
    auto_dispatch_threshold: float = 0.6
    reload_check_s: float = 5.0


@dataclasses.dataclass(frozen=True)
class LearningSettings:
    retrain_weekdays: list[int] = dataclasses.field(default_factory=lambda: [1])
    retrain_at: str = "02:30"
    holdout_fraction: float = 0.2
    min_holdout: int = 100
    min_train_tickets: int = 300
    max_tickets: int = 200_000
    include_bootstrap: bool = True
    macro_f1_tolerance: float = 0.01
    class_margin: float = 0.10
    min_class_support: int = 10


@dataclasses.dataclass(frozen=True)
class SlaSettings:
    reply_minutes: float = 60.0
    reply_counts: str = "working"
    accept_minutes: float = 1440.0
    accept_counts: str = "working"
    completion_days: dict[str, int] = dataclasses.field(
        default_factory=lambda: {
            "consultation": 3,
            "help_request": 5,
            "complaint": 15,
            "report": 15,
            "suggestion": 15,
            "praise": 3,
        }
    )
    completion_counts: str = "working"
    warn_fraction: float = 0.8


@dataclasses.dataclass(frozen=True)
class CalendarSettings:
    hours: list[list[str]] = dataclasses.field(default_factory=lambda: [["09:00", "12:00"], ["13:30", "17:30"]])
    weekdays: list[int] = dataclasses.field(default_factory=lambda: [1, 2, 3, 4, 5])
    holidays: list[str] = dataclasses.field(default_factory=list)
    workdays: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class IntakeSettings:
    repeat_days: int = 30
    similar_min_score: float = 0.35
    complex_categories: list[str] = dataclasses.field(default_factory=lambda: ["房地产市场", "劳资纠纷"])


@dataclasses.dataclass(frozen=True)
class SupervisionSettings:
    repeat_count: int = 3
    repeat_days: int = 30
    return_count: int = 2
    dissatisfied_count: int = 1
    auto_order_on_overdue: bool = True
    order_answer_hours: float = 24.0
    urge_every_minutes: float = 60.0


@dataclasses.dataclass(frozen=True)
class CallbackSettings:
    deadline_hours: float = 48.0
    max_unreachable: int = 3


SCORE_COMPONENTS = ("sign_for", "completion", "contact", "resolution", "satisfaction", "return")


@dataclasses.dataclass(frozen=True)
class ReportSettings:
    weights: dict[str, float] = dataclasses.field(
        default_factory=lambda: {
            "sign_for": 15,
            "completion": 25,
            "contact": 10,
            "resolution": 20,
            "satisfaction": 20,
            "return": 10,
        }
    )
    min_sample: int = 30
    top_keywords: int = 20
    warning_window_hours: float = 6.0
    warning_baseline_days: int = 14
    warning_k: float = 3.0
    warning_min_tickets: int = 5
    warning_text_similarity: float = 0.8
    warning_active_hours: float = 24.0


@dataclasses.dataclass(frozen=True)
class BackupSettings:
    daily_at: str = ""  # HH:MM local time of the scheduled backup; empty: none
    keep: int = 7
    dir: str = "var/backups"
    pg_bin_dir: str = ""  # where pg_dump and pg_restore are, when neither the embedded nor the system ones fit


@dataclasses.dataclass(frozen=True)
class RetentionSettings:
    caller_years: int = 3
    pii_reads_months: int = 12
    login_months: int = 12
    daily_at: str = "02:30"  # HH:MM local time of the retention job; empty: only by hand


@dataclasses.dataclass(frozen=True)
class WebhookSettings:
    timeout_s: float = 10.0
    max_attempts: int = 8
    backoff_s: float = 30.0  # the wait before the 2nd attempt; it doubles after each failure


SECTIONS: dict[str, type] = {
    "app": AppSettings,
    "web": WebSettings,
    "database": DatabaseSettings,
    "redis": RedisSettings,
    "auth": AuthSettings,
    "embedded": EmbeddedSettings,
    "logging": LoggingSettings,
    "worker": WorkerSettings,
    "classifier": ClassifierSettings,
    "sla": SlaSettings,
    "calendar": CalendarSettings,
    "intake": IntakeSettings,
    "supervision": SupervisionSettings,
    "callback": CallbackSettings,
    "report": ReportSettings,
    "learning": LearningSettings,
    "backup": BackupSettings,
    "retention": RetentionSettings,
    "open311": Open311Settings,
    "webhooks": WebhookSettings,
}


@dataclasses.dataclass(frozen=True)
class Settings:
    app: AppSettings
    web: WebSettings
    database: DatabaseSettings
    redis: RedisSettings
    auth: AuthSettings
    embedded: EmbeddedSettings
    logging: LoggingSettings
    worker: WorkerSettings
    classifier: ClassifierSettings
    sla: SlaSettings
    calendar: CalendarSettings
    intake: IntakeSettings
    supervision: SupervisionSettings
    callback: CallbackSettings
    report: ReportSettings
    learning: LearningSettings
    backup: BackupSettings
    retention: RetentionSettings
    open311: Open311Settings
    webhooks: WebhookSettings
    root: Path
    secret_key: str = dataclasses.field(repr=False)
    database_url: str | None = dataclasses.field(default=None, repr=False)
    redis_url: str | None = dataclasses.field(default=None, repr=False)
    database_replica_url: str | None = dataclasses.field(default=None, repr=False)
    metrics_token: str | None = dataclasses.field(default=None, repr=False)

    @property
    def var_path(self) -> Path:
        return self.root / self.app.var_dir

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.app.timezone)

    @property
    def is_development(self) -> bool:
        return self.app.env != "production"

    @property
    def embedded_needed(self) -> bool:
        return self.database_url is None or self.redis_url is None

    def path(self, relative: str) -> Path:
        """A configured path, resolved against the project root unless absolute."""
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    def with_services(self, database_url: str, redis_url: str) -> Settings:
        return dataclasses.replace(self, database_url=database_url, redis_url=redis_url)


def load_settings(config_path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read config.toml, apply HOTLINE_* overrides, validate, and return the frozen settings."""
    env = dict(os.environ if environ is None else environ)
    path = Path(config_path or env.get("HOTLINE_CONFIG") or _default_config_path())
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None

    unknown = set(raw) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"{path}: unknown section [{sorted(unknown)[0]}]")
    sections: dict[str, Any] = {
        name: _build_section(name, cls, raw.get(name, {}), env, path) for name, cls in SECTIONS.items()
    }
    _validate(sections, path)

    root = path.resolve().parent
    app: AppSettings = sections["app"]
    settings = Settings(
        **sections,
        root=root,
        secret_key="",
        database_url=env.get("HOTLINE_DATABASE_URL") or None,
        redis_url=env.get("HOTLINE_REDIS_URL") or None,
        database_replica_url=env.get("HOTLINE_DATABASE_REPLICA_URL") or None,
        metrics_token=env.get("HOTLINE_METRICS_TOKEN") or None,
    )
    secret = env.get("HOTLINE_SECRET_KEY")
    if app.env == "production":
        for var in ("HOTLINE_SECRET_KEY", "HOTLINE_DATABASE_URL", "HOTLINE_REDIS_URL"):
            if not env.get(var):
                raise ConfigError(f'{var} must be set when [app] env = "production"')
    if not secret:
        secret = _development_secret(settings.var_path)
    return dataclasses.replace(settings, secret_key=secret)


def _default_config_path() -> Path:
    cwd_config = Path.cwd() / "config.toml"
    if cwd_config.exists():
        return cwd_config
    return Path(__file__).resolve().parent.parent / "config.toml"


def _build_section(name: str, cls: type, values: object, env: Mapping[str, str], path: Path) -> object:
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise ConfigError(f"{path}: [{name}] has an unknown key '{sorted(unknown)[0]}'")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key in fields:
        env_name = f"HOTLINE_{name.upper()}_{key.upper()}"
        if env_name in env:
            kwargs[key] = _coerce(env[env_name], hints[key], env_name)
        elif key in values:
            kwargs[key] = _check_type(values[key], hints[key], f"[{name}] {key}")
    return cls(**kwargs)


def _coerce(text: str, hint: object, where: str) -> object:
    container = typing.get_origin(hint)
    if container in (list, dict):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ConfigError(f"{where}: expected JSON for a {container.__name__}, got {text!r}") from None
        return _check_type(value, hint, where)
    try:
        if hint is int:
            return int(text)
        if hint is float:
            return float(text)
        if hint is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
    except ValueError:
        raise ConfigError(f"{where}: expected {_type_name(hint)}, got {text!r}") from None
    return text


def _check_type(value: object, hint: object, where: str) -> object:
    container = typing.get_origin(hint)
    if container in (list, dict):
        if not isinstance(value, container):
            raise ConfigError(f"{where}: expected a {'list' if container is list else 'table'}, got {value!r}")
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    expected = hint if isinstance(hint, type) else None
    if isinstance(hint, types.UnionType):
        expected = None
    if expected is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
        raise ConfigError(f"{where}: expected {_type_name(hint)}, got {value!r}")
    return value


def _type_name(hint: object) -> str:
    return {int: "a whole number", float: "a number", bool: "true or false", str: "a string"}.get(
        hint,  # type: ignore[call-overload]
        str(hint),
    )


def _validate(sections: dict[str, object], path: Path) -> None:
    app = typing.cast(AppSettings, sections["app"])
    web = typing.cast(WebSettings, sections["web"])
    db = typing.cast(DatabaseSettings, sections["database"])
    redis = typing.cast(RedisSettings, sections["redis"])
    worker = typing.cast(WorkerSettings, sections["worker"])
    logging_ = typing.cast(LoggingSettings, sections["logging"])
    classifier = typing.cast(ClassifierSettings, sections["classifier"])
    embedded = typing.cast(EmbeddedSettings, sections["embedded"])
    checks = [
        (app.env in ENVIRONMENTS, "[app] env", f"one of {', '.join(ENVIRONMENTS)}", app.env),
        (1 <= web.port <= 65535, "[web] port", "a port between 1 and 65535", web.port),
        (web.processes >= 1, "[web] processes", "at least 1", web.processes),
        (web.max_in_flight >= 1, "[web] max_in_flight", "at least 1", web.max_in_flight),
        (redis.socket_timeout_s > 0, "[redis] socket_timeout_s", "more than 0", redis.socket_timeout_s),
        (redis.connect_timeout_s > 0, "[redis] connect_timeout_s", "more than 0", redis.connect_timeout_s),
        (worker.processes >= 1, "[worker] processes", "at least 1", worker.processes),
        (1 <= db.pool_min <= db.pool_max, "[database] pool_min", "between 1 and pool_max", db.pool_min),
        (db.replica_max_lag_s > 0, "[database] replica_max_lag_s", "more than 0", db.replica_max_lag_s),
        (db.replica_catch_up_s >= 0, "[database] replica_catch_up_s", "0 or more", db.replica_catch_up_s),
        (logging_.level in LOG_LEVELS, "[logging] level", f"one of {', '.join(LOG_LEVELS)}", logging_.level),
        (logging_.format in ("console", "json"), "[logging] format", "console or json", logging_.format),
        (
            0.0 <= classifier.auto_dispatch_threshold <= 1.0,
            "[classifier] auto_dispatch_threshold",
            "between 0 and 1",
            classifier.auto_dispatch_threshold,
        ),
        (0 <= embedded.postgres_port <= 65535, "[embedded] postgres_port", "0 or a port", embedded.postgres_port),
        (0 <= embedded.redis_port <= 65535, "[embedded] redis_port", "0 or a port", embedded.redis_port),
        (
            re.fullmatch(r"|[1-9][0-9]*(kB|MB|GB)", embedded.postgres_shared_buffers) is not None,
            "[embedded] postgres_shared_buffers",
            "empty or a size such as 512MB or 2GB",
            embedded.postgres_shared_buffers,
        ),
    ]
    callback = typing.cast(CallbackSettings, sections["callback"])
    checks.append((callback.deadline_hours > 0, "[callback] deadline_hours", "positive", callback.deadline_hours))
    checks.append((callback.max_unreachable >= 1, "[callback] max_unreachable", "at least 1", callback.max_unreachable))
    auth = typing.cast(AuthSettings, sections["auth"])
    checks.append((auth.argon2_time_cost >= 1, "[auth] argon2_time_cost", "at least 1", auth.argon2_time_cost))
    for key in ("hash_threads", "failed_logins_per_user", "failed_logins_per_address", "failed_login_window_s"):
        checks.append((getattr(auth, key) >= 1, f"[auth] {key}", "at least 1", getattr(auth, key)))
    checks.append(
        (web.board_connections_per_user >= 1, "[web] board_connections_per_user", "at least 1",
         web.board_connections_per_user)
    )  # fmt: skip
    for network in web.metrics_networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(
                f"{path}: [web] metrics_networks: {network!r} is not a network, e.g. 10.0.0.0/8"
            ) from None
    checks.append((web.board_revalidate_s > 0, "[web] board_revalidate_s", "greater than 0", web.board_revalidate_s))
    checks.append(
        (web.board_snapshot_shared_s >= 0, "[web] board_snapshot_shared_s", "0 or more", web.board_snapshot_shared_s)
    )
    checks.append(
        (web.board_snapshot_stale_s >= 0, "[web] board_snapshot_stale_s", "0 or more", web.board_snapshot_stale_s)
    )
    checks.append(
        (
            0 <= web.board_snapshot_refresh_events <= REPLAY_LIMIT,
            "[web] board_snapshot_refresh_events",
            f"0 to {REPLAY_LIMIT} (the events a connecting board may be replayed)",
            web.board_snapshot_refresh_events,
        )
    )
    checks.append(
        (
            auth.argon2_memory_kib >= ARGON2_MIN_MEMORY_KIB,
            "[auth] argon2_memory_kib",
            f"at least {ARGON2_MIN_MEMORY_KIB}",
            auth.argon2_memory_kib,
        )
    )
    if app.env == "production":
        for key, least in PRODUCTION_ARGON2_MIN.items():
            got = getattr(auth, key)
            checks.append((got >= least, f"[auth] {key}", f"at least {least} in production", got))
    sla = typing.cast(SlaSettings, sections["sla"])
    for key in ("reply_counts", "accept_counts", "completion_counts"):
        checks.append(
            (getattr(sla, key) in ("natural", "working"), f"[sla] {key}", "natural or working", getattr(sla, key))
        )
    for key in ("reply_minutes", "accept_minutes"):
        checks.append((getattr(sla, key) > 0, f"[sla] {key}", "greater than 0", getattr(sla, key)))
    checks.append((0 < sla.warn_fraction < 1, "[sla] warn_fraction", "between 0 and 1", sla.warn_fraction))
    for ok, key, expected, got in checks:
        if not ok:
            raise ConfigError(f"{path}: {key} must be {expected}, got {got!r}")
    for ticket_type, days in sla.completion_days.items():
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise ConfigError(
                f"{path}: [sla] completion_days.{ticket_type} must be a whole number of days > 0, got {days!r}"
            )
    report = typing.cast(ReportSettings, sections["report"])
    for key, weight in report.weights.items():
        if key not in SCORE_COMPONENTS or isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ConfigError(
                f"{path}: [report] weights.{key} must be one of {', '.join(SCORE_COMPONENTS)} with a weight >= 0"
            )
    if report.min_sample < 1 or report.warning_min_tickets < 2 or report.warning_window_hours <= 0:
        raise ConfigError(f"{path}: [report] min_sample >= 1, warning_min_tickets >= 2, warning_window_hours > 0")
    _validate_learning(typing.cast(LearningSettings, sections["learning"]), path)
    _validate_adoption(
        typing.cast(BackupSettings, sections["backup"]), typing.cast(RetentionSettings, sections["retention"]), path
    )
    try:
        ZoneInfo(app.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{path}: [app] timezone {app.timezone!r} is not a known time zone") from None


def _validate_learning(learning: LearningSettings, path: Path) -> None:
    hour, _, minute = learning.retrain_at.partition(":")
    checks = [
        (all(isinstance(d, int) and 1 <= d <= 7 for d in learning.retrain_weekdays), "retrain_weekdays",
         "a list of ISO weekdays 1-7 (empty: never)"),
        (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60, "retrain_at", "HH:MM"),
        (0 < learning.holdout_fraction < 1, "holdout_fraction", "between 0 and 1"),
        (learning.min_holdout >= 1, "min_holdout", "at least 1"),
        (learning.min_train_tickets >= 1, "min_train_tickets", "at least 1"),
        (learning.max_tickets > learning.min_holdout, "max_tickets", "more than min_holdout"),
        (0 <= learning.macro_f1_tolerance < 1, "macro_f1_tolerance", "between 0 and 1"),
        (0 <= learning.class_margin < 1, "class_margin", "between 0 and 1"),
        (learning.min_class_support >= 1, "min_class_support", "at least 1"),
    ]  # fmt: skip
    for ok, key, expected in checks:
        if not ok:
            raise ConfigError(f"{path}: [learning] {key} must be {expected}, got {getattr(learning, key)!r}")


def _validate_adoption(backup: BackupSettings, retention: RetentionSettings, path: Path) -> None:
    for key, value in (("[backup] daily_at", backup.daily_at), ("[retention] daily_at", retention.daily_at)):
        if value and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ConfigError(f"{path}: {key} must be HH:MM (local time) or empty, got {value!r}")
    if backup.keep < 1:
        raise ConfigError(f"{path}: [backup] keep must be at least 1, got {backup.keep!r}")
    if retention.caller_years < 1 or retention.pii_reads_months < 1:
        raise ConfigError(f"{path}: [retention] caller_years and pii_reads_months must be at least 1")
    if retention.login_months < 6:  # 网络安全法 第二十一条: network logs are kept at least six months
        raise ConfigError(
            f"{path}: [retention] login_months must be at least 6 (network logs), got {retention.login_months}"
        )


def _development_secret(var_path: Path) -> str:
    """A random key kept under var/, so development sessions survive restarts without a default secret."""
    key_file = var_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key

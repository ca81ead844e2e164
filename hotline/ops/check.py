"""`hotline check`: what a production deployment still lacks, before it takes its first call.

Each finding is `unsafe` (the command exits non-zero: a known secret, demo logins, spoofable client
addresses, a development setup) or `missing` (worth fixing, not a hole: no scheduled backup, next year's
holidays not yet entered). docs/deploy.md walks through each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address

import asyncpg

from hotline.demo.city import DEMO_PASSWORD, demo_units, demo_users
from hotline.migrate import pending
from hotline.passwords import verify_password
from hotline.queries import Q
from hotline.settings import Settings

MIN_SECRET = 32
DEMO_CHECKED = 8  # argon2 is slow on purpose: the first demo accounts found are enough to tell


@dataclass(frozen=True)
class Finding:
    level: str  # "unsafe", "missing" or "ok"
    message: str


def _loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def settings_findings(settings: Settings, environ: dict[str, str]) -> list[Finding]:
    found = []
    if settings.app.env != "production":
        found.append(
            Finding(
                "unsafe",
                f'[app] env = "{settings.app.env}"：生产环境应设为 "production"'
                "（不允许演示数据，强制要求密钥和外部服务）",
            )
        )
    secret = environ.get("HOTLINE_SECRET_KEY", "")
    if len(secret) < MIN_SECRET:
        found.append(
            Finding(
                "unsafe",
                f"HOTLINE_SECRET_KEY 未设置或太短（至少 {MIN_SECRET} 个字符；可用 openssl rand -base64 48 生成）",
            )
        )
    else:
        found.append(Finding("ok", "HOTLINE_SECRET_KEY 已设置"))
    for var, what in (("HOTLINE_DATABASE_URL", "PostgreSQL"), ("HOTLINE_REDIS_URL", "Redis")):
        if not environ.get(var):
            found.append(Finding("unsafe", f"{var} 未设置：将使用 var/ 下的内置 {what}，只适合开发和演示"))
        else:
            found.append(Finding("ok", f"{var} 指向外部 {what}"))
    allowed = settings.web.forwarded_allow_ips.strip()
    if allowed == "*":
        found.append(
            Finding(
                "unsafe",
                '[web] forwarded_allow_ips = "*"：任何人都能伪造 X-Forwarded-For/Proto，'
                "审计日志的来源地址不可信；请填 TLS 代理的地址",
            )
        )
    elif _loopback(settings.web.host) and allowed in ("", "127.0.0.1"):
        found.append(Finding("ok", "Web 进程只监听本机，由本机的 TLS 代理转发（forwarded_allow_ips 信任 127.0.0.1）"))
    elif allowed in ("", "127.0.0.1"):
        found.append(
            Finding(
                "unsafe",
                f"Web 进程监听 {settings.web.host}，但 [web] forwarded_allow_ips 未填 TLS 代理的地址："
                "会话 Cookie 不带 Secure，审计日志只记到代理的地址",
            )
        )
    else:
        found.append(Finding("ok", f"信任 TLS 代理 {allowed} 转发的 X-Forwarded-For/Proto"))
    if not settings.backup.daily_at:
        found.append(
            Finding(
                "missing",
                "未设置定时备份（[backup] daily_at）；外部 PostgreSQL 请按 docs/operations.md 做基础备份 + WAL 归档",
            )
        )
    else:
        found.append(
            Finding(
                "ok",
                f"每天 {settings.backup.daily_at} 定时备份，保留 {settings.backup.keep} 份，目录 {settings.backup.dir}",
            )
        )
    return found


async def database_findings(conn: asyncpg.Connection, settings: Settings, now: datetime) -> list[Finding]:
    found = []
    waiting = await pending(conn)
    if waiting:
        found.append(
            Finding("missing", f"有 {len(waiting)} 个数据库迁移未执行（hotline migrate）：{'、'.join(waiting[:3])}")
        )
        return found  # the tables the other checks read may not be there yet
    demo_names = [username for username, *_ in demo_users(demo_units())]
    rows = await conn.fetch(Q.check_active_users_named, demo_names, DEMO_CHECKED)
    with_demo_password = [r["username"] for r in rows if verify_password(r["password_hash"], DEMO_PASSWORD)]
    if with_demo_password:
        names = "、".join(with_demo_password)
        found.append(Finding("unsafe", f"演示账号仍可用演示密码登录：{names}；请停用或重置（/admin/users）"))
    else:
        found.append(Finding("ok", "没有可用演示密码登录的演示账号"))
    next_year = now.astimezone(settings.tz).year + 1
    years = {r["year"]: r["holidays"] for r in await conn.fetch(Q.calendar_year_counts)}
    if not years.get(next_year):
        found.append(
            Finding(
                "missing", f"{next_year} 年的节假日与调休尚未录入（国务院办公厅每年 11 月前后公布；/admin/sla 导入）"
            )
        )
    else:
        found.append(Finding("ok", f"{next_year} 年的节假日已录入（{years[next_year]} 天）"))
    return found


MARKS = {"ok": "✓", "missing": "!", "unsafe": "✗"}


def report(findings: list[Finding]) -> tuple[str, int]:
    """The printed lines and the exit code: 1 when anything is unsafe."""
    lines = [f"{MARKS[f.level]} {f.message}" for f in findings]
    unsafe = sum(f.level == "unsafe" for f in findings)
    missing = sum(f.level == "missing" for f in findings)
    if unsafe:
        lines.append(f"不安全：{unsafe} 项，须处理后再上线；另有 {missing} 项待完善")
    elif missing:
        lines.append(f"没有不安全的设置；{missing} 项待完善")
    else:
        lines.append("可以上线")
    return "\n".join(lines), 1 if unsafe else 0

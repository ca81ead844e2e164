"""`hotline check` as an operator runs it before going live: the test setup is refused (development-like env,
demo accounts with the demo password, next year's holidays missing); a production setup with a long secret,
external services, a TLS proxy's address, a backup schedule and next year's calendar passes; a proxy setting of
"*" is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.services import SHIPPED_ARGON2

PRODUCTION = {
    "HOTLINE_APP_ENV": "production",
    "HOTLINE_SECRET_KEY": "k" * 48,
    "HOTLINE_WEB_HOST": "10.0.0.5",
    "HOTLINE_WEB_FORWARDED_ALLOW_IPS": "10.0.0.2",
    "HOTLINE_BACKUP_DAILY_AT": "03:30",
    **SHIPPED_ARGON2,  # production refuses the tests' cheap hashing
}


@pytest.mark.usefixtures("city")
def test_the_demo_setup_is_refused(hotline_cli: Callable) -> None:
    done = hotline_cli("check")
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert '✗ [app] env = "test"' in out
    assert "✗ 演示账号仍可用演示密码登录：operator、dispatcher、supervisor、admin" in out
    assert f"! {datetime.now(UTC).year + 1} 年的节假日与调休尚未录入" in out
    assert "! 未设置定时备份" in out
    assert "✓ HOTLINE_DATABASE_URL 指向外部 PostgreSQL" in out
    assert out.strip().endswith("须处理后再上线；另有 2 项待完善")


@pytest.mark.usefixtures("clean")
def test_a_production_setup_passes_and_a_proxy_trusting_everyone_does_not(
    hotline_cli: Callable, tmp_path: Path
) -> None:
    year = datetime.now(UTC).year + 1
    calendar = tmp_path / "calendar.csv"
    calendar.write_text(f"date,kind,name\n{year}-01-01,节假日,元旦\n", encoding="utf-8")
    assert hotline_cli("import", "calendar", str(calendar)).returncode == 0
    done = hotline_cli("check", **PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ 信任 TLS 代理 10.0.0.2 转发的 X-Forwarded-For/Proto" in done.stdout
    assert done.stdout.strip().endswith("可以上线")
    spoofable = hotline_cli("check", **{**PRODUCTION, "HOTLINE_WEB_FORWARDED_ALLOW_IPS": "*"})
    assert spoofable.returncode == 1 and '✗ [web] forwarded_allow_ips = "*"' in spoofable.stdout

"""Configuration: every error names the key; secrets only from the environment."""

from pathlib import Path

import pytest

from hotline.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def base_env(tmp_path: Path) -> dict[str, str]:
    return {"HOTLINE_APP_VAR_DIR": str(tmp_path / "var")}


def test_shipped_config_loads_with_defaults(tmp_path: Path) -> None:
    settings = load_settings(ROOT / "config.toml", base_env(tmp_path))
    assert settings.web.port == 8000
    assert settings.app.env == "development"
    assert settings.embedded_needed
    assert settings.tz.key == "Asia/Shanghai"
    assert (settings.auth.argon2_time_cost, settings.auth.argon2_memory_kib) == (3, 65536)  # argon2-cffi's own


def test_environment_overrides_a_key_with_its_type(tmp_path: Path) -> None:
    env = {**base_env(tmp_path), "HOTLINE_WEB_PORT": "8123", "HOTLINE_CLASSIFIER_AUTO_DISPATCH_THRESHOLD": "0.8"}
    settings = load_settings(ROOT / "config.toml", env)
    assert settings.web.port == 8123
    assert settings.classifier.auto_dispatch_threshold == 0.8


def test_service_urls_come_from_the_environment(tmp_path: Path) -> None:
    env = {**base_env(tmp_path), "HOTLINE_DATABASE_URL": "postgresql://x/y", "HOTLINE_REDIS_URL": "redis://z/0"}
    settings = load_settings(ROOT / "config.toml", env)
    assert not settings.embedded_needed
    assert "postgresql://x/y" not in repr(settings)  # URLs may hold passwords


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[web]\nport = 'eighty'\n", {}, "[web] port: expected a whole number"),
        ("[web]\nport = 70000\n", {}, "[web] port must be a port between 1 and 65535"),
        ("[web]\nprot = 80\n", {}, "[web] has an unknown key 'prot'"),
        ("[webb]\n", {}, "unknown section [webb]"),
        ("[app]\ntimezone = 'Mars/Olympus'\n", {}, "[app] timezone 'Mars/Olympus' is not a known time zone"),
        ("[logging]\nlevel = 'LOUD'\n", {}, "[logging] level must be one of"),
        (
            "[embedded]\npostgres_shared_buffers = 'lots'\n",
            {},
            "[embedded] postgres_shared_buffers must be empty or a size such as 512MB or 2GB, got 'lots'",
        ),
        ("[web]\nport = \n", {}, "not valid TOML"),
        ("", {"HOTLINE_WEB_PORT": "abc"}, "HOTLINE_WEB_PORT: expected a whole number, got 'abc'"),
        ("[app]\nenv = 'production'\n", {}, "HOTLINE_SECRET_KEY must be set"),
        ("[auth]\nargon2_memory_kib = 16\n", {}, "[auth] argon2_memory_kib must be at least 32, got 16"),
        ("", {"HOTLINE_AUTH_ARGON2_TIME_COST": "0"}, "[auth] argon2_time_cost must be at least 1, got 0"),
        (
            "[web]\nboard_snapshot_refresh_events = 5000\n",
            {},
            "[web] board_snapshot_refresh_events must be 0 to 1000 (the events a connecting board may be replayed), "
            "got 5000",
        ),
        (
            "[app]\nenv = 'production'\n[auth]\nargon2_time_cost = 1\n",
            {"HOTLINE_SECRET_KEY": "s" * 40},
            "[auth] argon2_time_cost must be at least 2 in production, got 1",
        ),
        (
            "[app]\nenv = 'production'\n",
            {"HOTLINE_SECRET_KEY": "s" * 40},
            "HOTLINE_DATABASE_URL must be set",
        ),
    ],
)
def test_invalid_configuration_names_the_key(tmp_path: Path, text: str, env: dict[str, str], message: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {**base_env(tmp_path), **env})
    assert message in str(caught.value)


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", base_env(tmp_path))


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(ROOT / "config.toml", base_env(tmp_path)).secret_key
    second = load_settings(ROOT / "config.toml", base_env(tmp_path)).secret_key
    assert first == second and len(first) >= 40
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_cli_reports_config_errors_in_chinese(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write_config(tmp_path, "[web]\nport = 'x'\n")
    result = subprocess.run(
        [sys.executable, "-m", "hotline", "--config", str(path), "migrate"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert "配置错误" in result.stderr and "[web] port" in result.stderr

"""Operations: settings documented, CLI, health and metrics, migrations in step with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app as cli
from kefu.core.settings import Settings, settings_table

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, "README's configuration table is stale: paste `kefu settings`"
    for name in Settings.model_fields:
        assert f"`KEFU_{name.upper()}`" in readme


def test_readme_first_screen_gives_the_two_commands():
    first = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:8]
    assert any(line.startswith("make run") for line in first)
    assert any(line.startswith("make test") for line in first)


def test_every_cli_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("kefu db upgrade", "kefu demo", "kefu serve", "kefu worker", "kefu user create",
                    "kefu settings"):
        assert command in readme


def test_production_refuses_placeholder_secret():
    with pytest.raises(ValueError, match="KEFU_SECRET_KEY"):
        Settings(env="production")
    assert Settings(env="production", secret_key="s3cr3t-from-vault").env == "production"


def test_unknown_time_zone_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        Settings(timezone="Mars/Olympus")


def test_cli_upgrade_and_user_create(tmp_path, monkeypatch):
    from kefu.core import settings as settings_module

    monkeypatch.setenv("KEFU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    settings_module.get_settings.cache_clear()
    try:
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        ok = runner.invoke(cli, ["user", "create", "--username", "wangfang", "--password", "密码很安全123",
                                 "--role", "agent"])
        assert ok.exit_code == 0, ok.output
        assert "wangfang" in ok.output
        dup = runner.invoke(cli, ["user", "create", "--username", "wangfang", "--password", "密码很安全123",
                                  "--role", "agent"])
        assert dup.exit_code == 2 and "taken" in dup.output and "Traceback" not in dup.output
        bad = runner.invoke(cli, ["user", "create", "--username", "zhao", "--password", "密码很安全123",
                                  "--role", "boss"])
        assert bad.exit_code == 2 and "unknown role" in bad.output
        short = runner.invoke(cli, ["user", "create", "--username", "zhao", "--password", "123",
                                    "--role", "agent"])
        assert short.exit_code == 2 and "at least 8" in short.output
        team = runner.invoke(cli, ["user", "create", "--username", "zhao", "--password", "密码很安全123",
                                   "--role", "agent", "--team", "不存在的组"])
        assert team.exit_code == 2 and "no team" in team.output
    finally:
        settings_module.get_settings.cache_clear()


def test_bad_setting_is_a_cli_message_not_a_traceback(monkeypatch):
    from kefu.core import settings as settings_module

    monkeypatch.setenv("KEFU_TIMEZONE", "Nowhere/Land")
    settings_module.get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["worker", "--once"])
        assert result.exit_code == 2
        assert "configuration error" in result.output and "Traceback" not in result.output
    finally:
        settings_module.get_settings.cache_clear()


def test_healthz_names_the_store(client, engine):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == engine.dialect.name


def test_metrics_count_requests_and_tickets(client, world):
    client.post("/api/v1/tickets", headers=world.headers("agent"), json={"subject": "骑手态度差"})
    client.get("/api/v1/tickets", headers=world.headers("agent"))
    text = client.get("/metrics").text
    assert 'kefu_http_requests_total{method="POST",route="/api/v1/tickets",status="201"} 1' in text
    assert 'kefu_tickets{status="open"} 1' in text
    assert "# TYPE kefu_http_request_seconds histogram" in text


def test_migrations_match_the_models(engine):
    """`alembic check`: the migration scripts create exactly what the models declare."""
    from alembic import command

    from kefu.migrate import alembic_config

    with engine.connect() as conn:
        cfg = alembic_config(str(engine.url))
        cfg.attributes["connection"] = conn
        command.check(cfg)


def test_security_headers_on_every_page(client):
    r = client.get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY"


def test_a_bad_gc_threshold_is_refused_naming_it():
    from kefu.core.gc import parse_threshold

    assert parse_threshold("10000,20,10") == (10000, 20, 10)
    assert parse_threshold("") is None, "empty: Python's own thresholds"
    for bad in ("10000,20,10,5", "十,20", "0,10,10", "-1"):
        with pytest.raises(ValueError, match="KEFU_GC_THRESHOLD"):
            Settings(gc_threshold=bad)


def test_the_server_entry_freezes_start_up_and_sets_the_thresholds(tmp_path):
    """``kefu.asgi`` (what ``kefu serve`` runs): once started, what start-up made is out of the collector's way
    and the thresholds are KEFU_GC_THRESHOLD's; an app made by ``create_app`` (tests, tools) leaves both alone.
    In a child process: freezing is for good."""
    import json
    import os
    import subprocess
    import sys

    code = """
import gc, json
from fastapi.testclient import TestClient
from kefu.app import create_app
plain = create_app()
with TestClient(plain):
    before = (gc.get_freeze_count(), gc.get_threshold())
from kefu.asgi import app
with TestClient(app):
    after = (gc.get_freeze_count(), gc.get_threshold())
print(json.dumps([before, after]))
"""
    env = {**os.environ, "KEFU_DATABASE_URL": f"sqlite:///{tmp_path / 'gc.db'}", "KEFU_GC_THRESHOLD": "12345,15,9",
           "KEFU_WORKER_IN_SERVE": "false"}
    env.pop("KEFU_REDIS_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    (frozen_before, threshold_before), (frozen_after, threshold_after) = json.loads(out.stdout.splitlines()[-1])
    assert frozen_before == 0 and threshold_before == [700, 10, 10]
    assert frozen_after > 10_000, "start-up's objects are in the permanent generation"
    assert threshold_after == [12345, 15, 9]

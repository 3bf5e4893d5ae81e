"""``kefu wfm adherence --from --to``: adherence from the published roster and the stored state log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from conftest import SHANGHAI, password_hash
from kefu.accounts.models import User
from kefu.cli import app
from kefu.core.db import make_engine, make_sessionmaker, session_scope
from kefu.core.settings import get_settings
from kefu.migrate import upgrade
from kefu.wfm import rosters, state_store

runner = CliRunner()


def _at(hhmm: str) -> datetime:
    h, m = hhmm.split(":")
    return datetime(2026, 11, 20, int(h), int(m), tzinfo=SHANGHAI)


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'wfm.db'}"
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with session_scope(make_sessionmaker(engine)) as s:
        u = User(username="zhangwei", display_name="张伟", password_hash=password_hash(), role="agent",
                 is_active=True, created_at=now)
        s.add(u)
        s.flush()
        rosters.publish(s, agents=[{"id": "zhangwei", "days": [{"date": "2026-11-20", "start": "09:00",
                                                                "end": "12:00", "breaks": []}]}],
                        assign={}, tz=SHANGHAI, actor_id=None, now=now)
        for state, t in (("ready", "09:30"), ("logged_out", "12:00")):  # half an hour late
            state_store.record(s, state_store.Change(user_id=u.id, state=state, at=_at(t)), now=now)
    engine.dispose()
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_adherence_from_the_store(database):
    r = runner.invoke(app, ["wfm", "adherence", "--from", "2026-11-20", "--format", "json"])
    assert r.exit_code == 0, r.output
    a = json.loads(r.output)["agents"]["zhangwei"]
    assert (a["scheduled_minutes"], a["out_of_adherence_minutes"]) == (180, 30)
    assert a["adherence"] == pytest.approx(150 / 180, abs=1e-4)
    table = runner.invoke(app, ["wfm", "adherence", "--from", "2026-11-20", "--to", "2026-11-20"])
    assert table.exit_code == 0 and "张伟" in table.output and "83.3%" in table.output


def test_bad_options_are_named(database):
    r = runner.invoke(app, ["wfm", "adherence", "--from", "昨天"])
    assert r.exit_code == 2 and "--from" in r.output
    r = runner.invoke(app, ["wfm", "adherence", "--from", "2026-11-20", "--to", "2026-11-01"])
    assert r.exit_code == 2 and "--to" in r.output
    r = runner.invoke(app, ["wfm", "adherence"])
    assert r.exit_code == 2 and "--from" in r.output

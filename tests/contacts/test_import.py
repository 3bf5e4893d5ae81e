"""``kefu import contacts FILE.csv``: the report a user reads, the encodings Excel writes, and a run killed
with SIGKILL then re-run storing every row exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from kefu.cli import app as cli
from kefu.contacts.models import Contact
from kefu.core.db import make_engine
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.migrate import upgrade

HEADER = "call_id,customer_name,customer_phone,offered_at,answered_at,ended_at,outcome,queue,category,agent\n"
ROWS = [
    "CDR-1,张伟,13812345678,2026-11-23T09:00:00+08:00,2026-11-23T09:00:20+08:00,2026-11-23T09:05:00+08:00,"
    "answered,外卖热线,delivery.late,\n",
    "CDR-2,欧阳娜娜,+86 139 0000 2222,2026-11-23T09:01:00+08:00,,,abandoned,外卖热线,,\n",
    "CDR-3,诸葛亮,13900003333,2026-11-23 09:02:00,,,abandoned,阅读热线,,\n",  # line 4: no offset
    ",司马懿,13900004444,2026-11-23T09:03:00+08:00,,,abandoned,阅读热线,,\n",  # line 5: no call_id
    "CDR-5,上官婉儿,13900005555,2026-11-23T09:04:00+08:00,,,挂断,阅读热线,,\n",  # line 6: unknown outcome
    "\n",  # line 7: blank, skipped
    'CDR-6,"慕容复, 燕子坞商家",13900006666,2026-11-23T01:05:00Z,2026-11-23T01:05:09Z,2026-11-23T01:09:00Z,'
    "answered,外卖热线,,\n",
    "CDR-1,张伟,13812345678,2026-11-23T09:00:00+08:00,,,abandoned,外卖热线,,\n",  # line 9: sent twice
]
REPORT = [
    "line 4: offered_at: needs a time zone offset, e.g. 2026-11-23T09:15:00+08:00",
    "line 5: call_id: is required",
    "line 6: outcome: must be 'answered', 'abandoned', 'callback_requested' or 'deflected'",
]


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'import.db'}"
    upgrade(url)
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    with engine.begin() as conn:  # the category the file names
        conn.execute(text("INSERT INTO categories (code, name, severity_class, is_active, sort_order) "
                          "VALUES ('delivery.late', '超时未送达', 'general', 1, 0)"))
    yield engine
    get_settings.cache_clear()
    engine.dispose()


def _run(*args: str):
    return CliRunner().invoke(cli, ["import", "contacts", *args])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_report_names_each_bad_line_and_stores_the_rest(store, tmp_path, encoding):
    path = tmp_path / "话单.csv"
    path.write_bytes((HEADER + "".join(ROWS)).encode(encoding))
    result = _run(str(path), "--chunk", "3")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == REPORT + ["7 rows: created 3, duplicates 1, bad 3"]
    assert "Traceback" not in result.output
    with store.connect() as conn:
        calls = dict(conn.execute(select(Contact.external_id, Contact.outcome)).all())
        names = set(conn.scalars(select(Customer.name)))
    assert calls == {"CDR-1": "answered", "CDR-2": "abandoned", "CDR-6": "answered"}  # the first CDR-1 won
    assert names == {"张伟", "欧阳娜娜", "慕容复, 燕子坞商家"}

    again = _run(str(path))
    assert again.exit_code == 1
    assert again.stdout.splitlines()[-1] == "7 rows: created 0, duplicates 4, bad 3"
    with store.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Contact)) == 3
        assert conn.scalar(select(func.count()).select_from(Customer)) == 3


def test_clean_file_exits_zero(store, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(HEADER + ROWS[0] + ROWS[1], encoding="utf-8")
    result = _run(str(path))
    assert result.exit_code == 0 and result.stdout.splitlines() == ["2 rows: created 2, duplicates 0, bad 0"]


def test_unusable_files_are_refused_without_a_traceback(store, tmp_path):
    no_outcome = tmp_path / "缺列.csv"
    no_outcome.write_text("call_id,offered_at\nX-1,2026-11-23T09:00:00+08:00\n", encoding="utf-8")
    result = _run(str(no_outcome))
    assert result.exit_code == 2 and "missing column(s): outcome" in result.output
    binary = tmp_path / "录音.wav"
    binary.write_bytes(b"RIFF\xff\xfe\x00\x81\x30\x81\x30\xff" * 50)
    result = _run(str(binary))
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = _run(str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 2 and "no such file" in result.output


# -- killed mid-file -------------------------------------------------------------
TOTAL = 60_000


def _big_csv(path: Path) -> int:
    """TOTAL rows, every 997th with a time lacking its offset; the number of good rows."""
    bad = 0
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for i in range(TOTAL):
            minute = f"{i // 60 % 24:02d}:{i % 60:02d}:00"
            offset = "" if i % 997 == 0 else "+08:00"
            bad += i % 997 == 0
            f.write(f"K-{i:06d},顾客{i % 5000},139{i % 5000:08d},2026-11-2{i % 7}T{minute}{offset},,,abandoned,"
                    f"{'外卖热线' if i % 2 else '阅读热线'},,\n")
    return TOTAL - bad


def _count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Contact))
    finally:
        engine.dispose()


def _backends(tmp_path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'killed.db'}"]
    pg = os.environ.get("KEFU_TEST_POSTGRES_URL")
    if pg:
        engine = create_engine(pg.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS kefu_import_kill CASCADE"))
            conn.execute(text("CREATE SCHEMA kefu_import_kill"))
        engine.dispose()
        urls.append(pg.replace("postgresql://", "postgresql+psycopg://", 1)
                    + "?options=-csearch_path%3Dkefu_import_kill")
    return urls


def test_import_killed_mid_file_and_rerun_stores_every_row_once(tmp_path):
    path = tmp_path / "一天的话单.csv"
    good = _big_csv(path)
    for url in _backends(tmp_path):
        upgrade(url)
        env = {**os.environ, "KEFU_DATABASE_URL": url}
        cmd = [sys.executable, "-m", "kefu.cli", "import", "contacts", str(path), "--chunk", "500"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300  # a guard against a hang, not a timing assertion
        while _count(url) < 1000 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        assert proc.returncode == -signal.SIGKILL, "the import finished before it could be killed"
        at_kill = _count(url)
        assert 1000 <= at_kill < good, at_kill

        rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 1, rerun.stderr  # the rows without an offset
        summary = rerun.stdout.splitlines()[-1]
        assert summary == f"{TOTAL} rows: created {good - at_kill}, duplicates {at_kill}, bad {TOTAL - good}"
        engine = create_engine(url)
        with engine.connect() as conn:
            ids = list(conn.scalars(select(Contact.external_id)))
            customers = conn.scalar(select(func.count()).select_from(Customer))
        engine.dispose()
        assert len(ids) == len(set(ids)) == good
        assert customers == 5000

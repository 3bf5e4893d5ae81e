"""Every process that stores contacts runs their listeners: the KPI rollups, alert counts and ratings register when
their modules are imported, and until 2026-12-04 only the migrations imported the rollups, so contacts stored by
``kefu serve`` or ``kefu import contacts`` never reached the reports. Checked in fresh interpreters: this test
process has imported everything already."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import text

from kefu.core.db import make_engine
from kefu.migrate import upgrade

CSV = ("call_id,customer_name,customer_phone,offered_at,answered_at,ended_at,outcome,queue\n"
       "CDR-1,张伟,13812345678,2026-11-23T09:00:00+08:00,2026-11-23T09:00:20+08:00,2026-11-23T09:05:00+08:00,"
       "answered,外卖热线\n"
       "CDR-2,欧阳娜娜,13900002222,2026-11-23T09:01:00+08:00,,2026-11-23T09:01:40+08:00,abandoned,外卖热线\n"
       "CDR-3,诸葛亮,13900003333,2026-11-23T23:50:00+08:00,,2026-11-23T23:51:00+08:00,abandoned,阅读热线\n")


def test_the_server_and_the_worker_run_every_contact_listener():
    code = ("import kefu.app; from kefu.contacts import events; "
            "print(sorted(f.__module__ for f in events.NEW)); print(sorted(f.__module__ for f in events.CHANGED))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    new, changed = out.stdout.splitlines()
    assert new == str(["kefu.alerts.live", "kefu.reports.rollups"])
    assert changed == str(["kefu.reports.rollups", "kefu.satisfaction.service"])


def test_contacts_imported_from_a_file_reach_the_daily_report(tmp_path):
    url = f"sqlite:///{tmp_path / 'import.db'}"
    upgrade(url)
    path = tmp_path / "话单.csv"
    path.write_text(CSV, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "kefu.cli", "import", "contacts", str(path)],
                         env={**os.environ, "KEFU_DATABASE_URL": url, "KEFU_TIMEZONE": "Asia/Shanghai"},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    engine = make_engine(url)
    with engine.connect() as conn:  # the day × channel grain, as the KPI page reads a day
        days = conn.execute(text("SELECT interval_start, contacts, answered, abandoned FROM kpi_rollups "
                                 "WHERE grain = 3 ORDER BY interval_start")).all()
    engine.dispose()
    # 2026-11-23 in Shanghai starts at 16:00 UTC the day before
    assert [tuple(r) for r in days] == [("2026-11-22 16:00:00.000000", 3, 1, 2)]

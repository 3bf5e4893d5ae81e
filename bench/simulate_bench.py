"""Traffic-simulator benchmark: a year of a 40,000-contacts-a-day center.

    .venv/bin/python bench/simulate_bench.py [--days 365] [--scale 4] [--db-days 2] [--postgres URL]

Measures, each on its own: (1) generating the year in memory (arrivals, queues, outcomes as numpy columns);
(2) the same year written to CSV through `kefu simulate --csv` (a subprocess, as a user runs it);
(3) the database write rate of `kefu simulate` (records through contacts.service.ingest, customers
matched, committed per day) into a fresh SQLite file, and PostgreSQL when --postgres is given.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEFU = str(ROOT / ".venv" / "bin" / "kefu")


def in_memory(days: int, scale: float) -> tuple[int, float]:
    from kefu.simulate.model import Model, Scenario

    model = Model(Scenario(start=date(2026, 1, 1), days=days, seed=1, scale=scale))
    started, n = time.perf_counter(), 0
    for k in range(days):
        n += len(model.day(date.fromordinal(date(2026, 1, 1).toordinal() + k)))
    return n, time.perf_counter() - started


def run(args: list[str], env: dict) -> tuple[str, float]:
    started = time.perf_counter()
    out = subprocess.run([KEFU, *args], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip(), time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--scale", type=float, default=4.0)
    p.add_argument("--db-days", type=int, default=2)
    p.add_argument("--postgres", default=None, help="postgresql+psycopg://… of an empty database to write into")
    a = p.parse_args()
    n, seconds = in_memory(a.days, a.scale)
    print(f"in memory: {n:,} contacts in {a.days} days ({n / a.days:,.0f}/day) in {seconds:.1f} s "
          f"({n / seconds:,.0f}/s)")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KEFU_DATABASE_URL=f"sqlite:///{tmp}/bench.db")
        csv = Path(tmp) / "year.csv"
        out, seconds = run(["simulate", "--days", str(a.days), "--start", "2026-01-01", "--scale", str(a.scale),
                            "--csv", str(csv)], env)
        print(f"to CSV: {out} in {seconds:.1f} s (process start to exit), {csv.stat().st_size / 1e9:.2f} GB")
        targets = [("SQLite", env)]
        if a.postgres:
            targets.append(("PostgreSQL", dict(os.environ, KEFU_DATABASE_URL=a.postgres)))
        for name, e in targets:
            subprocess.run([KEFU, "db", "upgrade"], env=e, capture_output=True, check=True)
            out, seconds = run(["simulate", "--days", str(a.db_days), "--start", "2026-03-02", "--scale",
                                str(a.scale)], e)
            stored = int(out.split(" contacts")[0])
            print(f"into {name}: {out.splitlines()[0]} in {seconds:.1f} s ({stored / seconds:,.0f} contacts/s)")
    print(f"machine: nproc {os.cpu_count()}, load average {os.getloadavg()}, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()

"""A simulated contacts history for the planning page: a Chinese hotline's inbound calls, Poisson per half
hour around a two-peak day (09:00–21:00 Beijing time), busier on Mondays, for some weeks before a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import insert

from kefu.contacts.models import Contact

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN, CLOSE = 18, 42  # half hours: 09:00–21:00


def day_shape() -> np.ndarray:
    t = np.arange(OPEN, CLOSE) / 2.0
    s = 0.2 + np.exp(-((t - 10.5) / 1.5) ** 2) + 0.8 * np.exp(-((t - 19.0) / 1.5) ** 2)
    return s / s.sum()


def add_history(db, before: date, *, queue: str = "外卖热线", days: int = 35, daily: float = 240.0,
                seed: int = 1) -> int:
    """Inbound phone contacts on the ``days`` days before ``before``; returns how many."""
    rng, shape, rows = np.random.default_rng(seed), day_shape(), []
    for back in range(days, 0, -1):
        d = before - timedelta(days=back)
        counts = rng.poisson(daily * (1.3 if d.weekday() == 0 else 1.0) * shape)
        for slot, n in zip(range(OPEN, CLOSE), counts, strict=True):
            start = datetime(d.year, d.month, d.day, tzinfo=SHANGHAI) + timedelta(minutes=30 * slot)
            for k, second in enumerate(sorted(rng.integers(0, 1800, n))):
                at = (start + timedelta(seconds=int(second))).astimezone(UTC)
                rows.append({"channel": "phone", "external_id": f"{queue}-{d}-{slot}-{k}", "direction": "inbound",
                             "queue": queue, "offered_at": at, "outcome": "answered", "created_at": at})
    db.execute(insert(Contact), rows)
    db.flush()
    return len(rows)

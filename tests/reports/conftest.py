"""A simulated month in the test's store: the simulator's business lines and categories, the world's agents,
contacts stored through the bulk path (``contacts.service.ingest``), as the telephony system sends them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kefu.catalog.models import BusinessLine, Category
from kefu.contacts.service import ingest
from kefu.simulate import profile as P
from kefu.simulate.model import Model, Scenario
from kefu.simulate.output import records


def sim_catalog(db) -> None:
    names = {"waimai": "外卖", "yuedu": "阅读", "daodian": "到店", "chuxing": "出行", "daojia": "到家",
             "lvxing": "旅行", "jinrong": "金融", "dianying": "电影"}
    from sqlalchemy import select

    lines = {b.code: b for b in db.scalars(select(BusinessLine))}
    for code in P.LINES:
        if code not in lines:
            lines[code] = BusinessLine(code=code, name=names[code])
            db.add(lines[code])
    db.flush()
    for c in P.CATEGORIES:
        db.add(Category(code=c.code, name=c.code.split(".")[-1], severity_class="general",
                        business_line_id=lines[c.line].id))
    db.flush()


def simulate_into(db, *, start: date, days: int, scale: float, seed: int, agents: tuple[str, ...],
                  now: datetime) -> int:
    model = Model(Scenario(start=start, days=days, seed=seed, scale=scale, agents=agents))
    n = 0
    for k in range(days):
        recs = list(records(model, model.day(start + timedelta(days=k))))
        result = ingest(db, recs, now=now)
        assert not result.errors, result.errors[:3]
        n += result.created
    return n


@pytest.fixture
def month(db, world, clock):
    """November 2026, ~100 contacts a day."""
    sim_catalog(db)
    n = simulate_into(db, start=date(2026, 11, 1), days=30, scale=0.01, seed=11, agents=("agent", "agent2"),
                      now=clock.now())
    db.commit()  # the rollups are kept as the writes commit (kefu.reports.rollups.apply_pending)
    return n

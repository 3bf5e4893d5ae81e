"""The rollups stay equal to the KPIs computed from the raw contacts, however the contacts arrive and change."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kefu.contacts.models import Contact
from kefu.reports import rollups
from kefu.reports.kpis import MEASURES, Tally, tally_of
from kefu.reports.models import KEY_COLUMNS, KpiRollup
from kefu.reports.rollups import aggregate, raw_contacts, rebuild, thresholds
from reports.conftest import sim_catalog, simulate_into

EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def stored(db) -> dict:
    """The rollups as a report reads them once the writes commit: a unit of work applies what its contacts owe the
    rollups just before it commits (``kefu.reports.rollups.apply_pending``), done here as the commit would, inside
    the test's transaction."""
    from kefu.reports.rollups import apply_pending

    db.flush()
    apply_pending(db)
    out = {}
    for row in db.execute(select(KpiRollup)).scalars():
        key = tuple(getattr(row, c) for c in KEY_COLUMNS)
        t = Tally(**{m: getattr(row, m) for m in MEASURES})
        if any(t.as_dict().values()):
            out[key] = t.as_dict()
    return out


def raw(db) -> dict:
    return {k: t.as_dict() for k, t in aggregate(raw_contacts(db, *EVERYTHING), thresholds()).items()}


def _change_some(db, rng: random.Random, agents: list[int], n: int) -> None:
    """What happens to stored contacts: rated (chat, a survey link), an abandoned call later answered by an
    agent, an agent reassigned, a wrap time corrected."""
    ids = list(db.scalars(select(Contact.id)))
    for cid in rng.sample(ids, n):
        c = db.get(Contact, cid)
        kind = rng.randrange(4)
        if kind == 0:
            c.satisfaction = rng.randint(1, 5)
        elif kind == 1 and c.outcome != "answered":
            c.outcome, c.answered_at = "answered", c.offered_at + timedelta(seconds=rng.randint(1, 90))
            c.ended_at, c.agent_id = c.answered_at + timedelta(seconds=200), rng.choice(agents)
        elif kind == 2:
            c.agent_id = rng.choice(agents)
        else:
            c.wrap_seconds = rng.randint(0, 120)
        if rng.random() < 0.3:
            db.flush()  # some changes alone, some together in one flush
    db.flush()


def test_a_simulated_month_arriving_and_changing(month, db, world):
    assert month > 2000
    assert stored(db) == raw(db)
    rng = random.Random(2026)
    _change_some(db, rng, [world.users["agent"].id, world.users["agent2"].id], 300)
    assert stored(db) == raw(db)


def test_each_grain_sums_to_the_same_totals(month, db):
    per_grain = defaultdict(Tally)
    for row in db.execute(select(KpiRollup)).scalars():
        per_grain[row.grain].add(Tally(**{m: getattr(row, m) for m in MEASURES}))
    assert per_grain[0] == per_grain[1] == per_grain[2] == per_grain[3] == per_grain[4] == per_grain[5]
    assert per_grain[0].contacts == month


def test_the_daily_grains_are_the_center_days_of_the_intervals(month, db):
    """A day row per Shanghai day: its start is 16:00 UTC, and it holds exactly that day's 48 intervals."""
    from kefu.reports.models import GRAIN_CHANNEL, GRAIN_DAY_CHANNEL

    rows = db.execute(select(KpiRollup)).scalars().all()
    days = {r.interval_start for r in rows if r.grain == GRAIN_DAY_CHANNEL}
    assert len(days) == 30 and {d.hour for d in days} == {16}
    per_day = defaultdict(Tally)
    for r in rows:
        if r.grain == GRAIN_CHANNEL:
            start = r.interval_start - timedelta(hours=16)
            per_day[(datetime(start.year, start.month, start.day, 16, tzinfo=UTC), r.channel)].add(
                Tally(**{m: getattr(r, m) for m in MEASURES}))
    assert per_day == {(r.interval_start, r.channel): Tally(**{m: getattr(r, m) for m in MEASURES})
                       for r in rows if r.grain == GRAIN_DAY_CHANNEL}


def test_rebuild_recomputes_from_raw_rows(month, db):
    before = stored(db)
    db.execute(KpiRollup.__table__.delete())
    assert stored(db) == {}
    assert rebuild(db) == month
    assert stored(db) == before


def test_orm_contacts_and_a_resent_batch(db, world, clock):
    """A chat contact created by the ORM path, then a bulk batch sent twice: duplicates are not counted."""
    sim_catalog(db)
    simulate_into(db, start=date(2026, 11, 23), days=1, scale=0.01, seed=3, agents=("agent",), now=clock.now())
    again = simulate_into(db, start=date(2026, 11, 23), days=1, scale=0.01, seed=3, agents=("agent",),
                          now=clock.now())
    assert again == 0
    at = clock.now()
    db.add(Contact(channel="chat", external_id="chat-张伟-1", direction="inbound", customer_id=world.customers[0].id,
                   queue="外卖在线", offered_at=at, answered_at=at + timedelta(seconds=8), outcome="answered",
                   agent_id=world.users["agent"].id, created_at=at))
    db.flush()
    assert stored(db) == raw(db)
    rollups.reaggregate(db, {(rollups.interval_of(at), "chat")})  # idempotent
    assert stored(db) == raw(db)


# -- any contacts, any changes ----------------------------------------------------

CHANNELS = ("phone", "chat", "email", "wechat", "self_service")
OUTCOMES = ("answered", "abandoned", "callback_requested", "deflected")
BASE = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai: the contacts cross the center's midnight

contact = st.fixed_dictionaries({
    "minute": st.integers(0, 180), "channel": st.sampled_from(CHANNELS), "outcome": st.sampled_from(OUTCOMES),
    "wait": st.integers(0, 90), "talk": st.one_of(st.none(), st.integers(0, 900)), "hold": st.integers(0, 60),
    "queue": st.sampled_from(("外卖热线", "阅读在线", None)), "agent": st.sampled_from((0, 1, None)),
    "category": st.sampled_from(("delivery.late", "refund", None)),
    # fractions of a second (microseconds) on the answer and the end: half a second rounds to even
    "answer_us": st.sampled_from((0, 250_000, 500_000, 999_999)), "end_us": st.sampled_from((0, 500_000, 1))})
change = st.tuples(st.integers(0, 10_000), st.sampled_from(("rate", "answer", "agent", "wrap", "flush")),
                   st.integers(1, 5))


def _record(i: int, d: dict, agents: list[str]) -> dict:
    at = BASE + timedelta(minutes=d["minute"])
    rec = {"call_id": f"性质-{i}", "channel": d["channel"], "outcome": d["outcome"], "offered_at": at.isoformat(),
           "queue": d["queue"], "category": d["category"], "hold_seconds": d["hold"], "talk_seconds": d["talk"]}
    if d["outcome"] == "answered":
        rec["answered_at"] = (at + timedelta(seconds=d["wait"], microseconds=d["answer_us"])).isoformat()
        if d["agent"] is not None:
            rec["agent"] = agents[d["agent"]]
    rec["ended_at"] = (at + timedelta(seconds=d["wait"] + 300, microseconds=d["end_us"])).isoformat()
    return rec


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(contact, max_size=30), max_size=3), changes=st.lists(change, max_size=25),
       short=st.sampled_from((0, 5)), settled=st.booleans())
def test_rollups_equal_raw_whatever_arrives_and_changes(db, world, clock, monkeypatch, batches, changes, short,
                                                       settled):
    """``settled``: the batches were committed before the changes (each change then moves its contact's counts
    from the old keys to the new); else stored and changed in one unit of work (counted once, as they end)."""
    from kefu.contacts.service import ingest
    from kefu.core.settings import get_settings
    from kefu.reports.rollups import apply_pending

    monkeypatch.setattr(get_settings(), "short_abandon_seconds", short)
    agents = ["agent", "agent2"]
    nested = db.begin_nested()
    try:
        n = 0
        for batch in batches:
            ingest(db, [_record(n + i, d, agents) for i, d in enumerate(batch)], now=clock.now())
            n += len(batch)
        ids = list(db.scalars(select(Contact.id)))
        if settled:
            db.flush()
            apply_pending(db)  # as the commit would
        for pick, kind, value in changes if ids else ():
            c = db.get(Contact, ids[pick % len(ids)])
            if kind == "rate":
                c.satisfaction = value
            elif kind == "answer" and c.answered_at is None:
                c.outcome, c.answered_at = "answered", c.offered_at + timedelta(seconds=value * 7)
            elif kind == "agent":
                c.agent_id = world.users[agents[value % 2]].id
            elif kind == "wrap":
                c.wrap_seconds = value * 13
            else:
                db.flush()
        db.flush()
        assert stored(db) == raw(db)
    finally:
        nested.rollback()


# -- the query planner: every group, from whichever grain it reads, equals the raw contacts ----------------------

def _raw_groups(db, period, key_of) -> dict:
    out: dict = defaultdict(Tally)
    for f in raw_contacts(db, period.start, period.end):
        out[key_of(f)].add(tally_of(f, thresholds()))
    return dict(out)


def test_every_group_by_equals_the_raw_contacts(month, db, world):
    from zoneinfo import ZoneInfo

    from kefu.accounts.models import User
    from kefu.reports import queries
    from kefu.reports.queries import Period, by_dimension, by_time

    p = Period(date(2026, 11, 3), date(2026, 11, 17), ZoneInfo("Asia/Shanghai"))
    teams = dict(db.execute(select(User.id, User.team_id)).all())
    local = lambda f: rollups.interval_of(f.offered_at).astimezone(p.tz)  # noqa: E731
    dims = {"channel": lambda f: f.channel, "queue": lambda f: f.queue or "", "category": lambda f: f.category_id or 0,
            "business_line": lambda f: f.business_line_id or 0, "agent": lambda f: f.agent_id or 0,
            "team": lambda f: teams.get(f.agent_id)}
    for dim, key_of in dims.items():
        assert by_dimension(db, p, dim) == _raw_groups(db, p, key_of), dim
    for bucket in queries.TIME_BUCKETS:
        assert by_time(db, p, bucket) == _raw_groups(db, p, lambda f, b=bucket: queries._bucket(local(f), b)), bucket
    # filters: the day × agent grain has no channel, so agents on the phone read the 30-minute agent grain
    phone = _raw_groups(db, p, lambda f: (f.channel, f.agent_id or 0))
    assert by_dimension(db, p, "agent", {"channel": "phone"}) == {a: t for (ch, a), t in phone.items() if ch == "phone"}
    line = _raw_groups(db, p, lambda f: (f.business_line_id, f.category_id or 0))
    some = next(iter(line))[0]
    assert by_dimension(db, p, "category", {"business_line": some}) == {
        c: t for (b, c), t in line.items() if b == some}


def test_the_planner_reads_a_daily_grain_unless_intervals_or_agent_details_are_needed():
    from kefu.reports.models import (
        GRAIN_AGENT,
        GRAIN_AGENT_CHANNEL,
        GRAIN_CATEGORY,
        GRAIN_CHANNEL,
        GRAIN_DAY_AGENT,
        GRAIN_DAY_CATEGORY,
        GRAIN_DAY_CHANNEL,
    )
    from kefu.reports.queries import grain_for

    assert grain_for(set()) == GRAIN_DAY_CHANNEL and grain_for({"channel"}) == GRAIN_DAY_CHANNEL
    assert grain_for(set(), intervals=True) == GRAIN_CHANNEL
    assert grain_for({"category", "channel"}) == GRAIN_DAY_CATEGORY
    assert grain_for({"business_line"}, intervals=True) == GRAIN_CATEGORY
    assert grain_for({"team"}) == grain_for({"agent", "team"}) == GRAIN_DAY_AGENT
    assert grain_for({"agent", "channel"}) == grain_for({"team"}, intervals=True) == GRAIN_AGENT_CHANNEL
    assert grain_for({"agent", "queue"}) == grain_for({"team", "category"}, intervals=True) == GRAIN_AGENT

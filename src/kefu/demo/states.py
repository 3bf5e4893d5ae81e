"""The demo's agent states (坐席状态) and published roster (排班表) for the last week: each front-line agent works an
early (09:00–18:00) or late (13:00–22:00) shift with two 15-minute 小休 and an unpaid hour of 就餐, one day off;
their telephony states follow the roster, with the slips a real floor has (a late login, a long break, an hour
of 培训 the roster did not plan), and calls (通话中, 话后处理) in between. Up to ``now``: whoever is on shift
then is still logged in. Stored as spans in one insert, then the occupancy rollup is built from them."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from kefu.demo.reference import Center
from kefu.wfm import rosters, state_store
from kefu.wfm.models import AgentState, AgentStateRollup

DAYS = 7
SHIFTS = {  # start, end, breaks (name, start, end, paid)
    "early": ("09:00", "18:00", [("小休", "10:30", "10:45", True), ("午餐", "12:00", "13:00", False),
                                 ("小休", "15:30", "15:45", True)]),
    "late": ("13:00", "22:00", [("小休", "15:00", "15:15", True), ("晚餐", "17:00", "18:00", False),
                                ("小休", "20:00", "20:15", True)]),
}


def _roster(agents: list[str], first: date) -> list[dict]:
    out = []
    for i, name in enumerate(agents):
        start, end, breaks = SHIFTS["early" if i % 2 == 0 else "late"]
        days = [{"date": (first + timedelta(days=k)).isoformat(), "start": start, "end": end,
                 "breaks": [{"name": n, "start": s, "end": e, "paid": p} for n, s, e, p in breaks]}
                for k in range(DAYS) if (k + i) % 7 != 0]  # one rest day a week
        out.append({"id": name, "days": days})
    return out


def _events(day: dict, tz: ZoneInfo, rng: random.Random) -> list[tuple[datetime, str, str]]:
    """A worked day's state changes: login, calls, breaks (sometimes long), logout."""
    d = date.fromisoformat(day["date"])

    def at(hhmm: str, minutes: float = 0) -> datetime:
        h, m = (int(x) for x in hhmm.split(":"))
        return datetime(d.year, d.month, d.day, tzinfo=tz) + timedelta(hours=h, minutes=m + minutes)

    late = rng.choice([0, 0, 0, 0, 2, 5, 12])
    events = [(at(day["start"], late - rng.randint(1, 4)), "ready", "")]
    marks = [(at(b["start"]), at(b["end"]), "就餐" if not b["paid"] else "小休") for b in day["breaks"]]
    marks.append((at(day["end"]), None, ""))
    t = events[0][0]
    for start, end, reason in marks:
        while t + timedelta(minutes=12) < start:  # calls: 通话中, 话后处理, then 示闲
            t += timedelta(minutes=rng.randint(2, 9))
            talk, wrap = rng.randint(3, 8), rng.randint(1, 2)
            if t + timedelta(minutes=talk + wrap) >= start:
                break
            events += [(t, "busy", ""), (t + timedelta(minutes=talk), "acw", ""),
                       (t + timedelta(minutes=talk + wrap), "ready", "")]
            t += timedelta(minutes=talk + wrap)
        if end is None:
            events.append((start + timedelta(minutes=rng.randint(0, 3)), "logged_out", ""))
            break
        over = rng.choice([0, 0, 0, 1, 2, 4, 15])  # now and then a break runs long
        events += [(start + timedelta(minutes=rng.randint(0, 2)), "not_ready", reason),
                   (end + timedelta(minutes=over), "ready", "")]
        t = end + timedelta(minutes=over)
    if rng.random() < 0.15:  # an hour of 培训 the roster did not plan
        start = at(day["start"], 150)
        events = [e for e in events if not start <= e[0] < start + timedelta(hours=1)]
        events += [(start, "not_ready", "培训"), (start + timedelta(hours=1), "ready", "")]
    return sorted(events)


def add_states(session: Session, center: Center, *, now: datetime, tz: ZoneInfo, rng: random.Random) -> int:
    """Publish the week's roster and store the agents' states up to ``now``; returns how many spans. The chat
    demo's seat changes (a replay of finished chats, not a shift) are replaced by these."""
    agents = [u for team in center.frontline for u in team]
    first = now.astimezone(tz).date() - timedelta(days=DAYS - 1)
    roster = _roster(agents, first)
    rosters.publish(session, agents=roster, assign={}, tz=tz, actor_id=center.users["analyst1"].id, now=now)
    ids = [center.users[u].id for u in agents]
    session.execute(delete(AgentState).where(AgentState.user_id.in_(ids)))
    session.execute(delete(AgentStateRollup).where(AgentStateRollup.user_id.in_(ids)))
    rows = []
    for agent in roster:
        uid = center.users[agent["id"]].id
        events = [e for day in agent["days"] for e in _events(day, tz, rng) if e[0] <= now]
        for (start, state, reason), nxt in zip(events, events[1:] + [None], strict=True):
            rows.append({"user_id": uid, "start": start, "end": nxt[0] if nxt else None, "state": state,
                         "reason": reason, "source": "telephony", "event_id": None, "received_at": now})
    if rows:
        session.execute(insert(AgentState), rows)
    state_store.rebuild_rollup(session, ids)
    return len(rows)


def logged_in_now(session: Session) -> int:
    return len(session.scalars(select(AgentState.user_id).where(AgentState.end.is_(None),
                                                                AgentState.state != "logged_out")).all())

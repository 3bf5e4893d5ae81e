"""The published roster (排班表) and adherence (排班遵从度) computed from the store: the agents' stored shifts
against their stored state log, through the pure ``kefu.wfm.adherence``.

A roster is the schedule's ``agents`` (``kefu.wfm.schedule_output``: per agent, days with a shift's start, end
and breaks, clock times in the center's time zone); each agent's ``id`` is a username, or is named by
``assign`` (schedule id → username). Publishing replaces those agents' shifts on those dates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.core.errors import Invalid
from kefu.wfm import adherence as adh
from kefu.wfm import states as st
from kefu.wfm.models import RosterShift
from kefu.wfm.state_store import _span, spans


def _at(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=h, minutes=m)


def publish(session: Session, *, agents: list[dict], assign: dict[str, str], tz: ZoneInfo, actor_id: int | None,
            now: datetime) -> dict:
    """Store the roster's shifts for real users; ``Invalid`` names an unknown agent (``agents[2].id``)."""
    names = [assign.get(a["id"], a["id"]) for a in agents]
    users = dict(session.execute(select(User.username, User.id).where(User.username.in_(set(names)))).all())
    for i, name in enumerate(names):
        if name not in users:
            field = f"assign.{agents[i]['id']}" if agents[i]["id"] in assign else f"agents[{i}].id"
            raise Invalid(f"{field}: no user {name!r} to publish the shifts of {agents[i]['id']!r} to", field=field)
    rows = []
    for agent, name in zip(agents, names, strict=True):
        for d in agent["days"]:
            day = date.fromisoformat(str(d["date"]))
            rows.append(RosterShift(
                user_id=users[name], day=day, start=_at(day, d["start"], tz), end=_at(day, d["end"], tz),
                breaks=[{"name": b.get("name", ""), "start": _at(day, b["start"], tz).isoformat(),
                         "end": _at(day, b["end"], tz).isoformat(), "paid": bool(b.get("paid", True))}
                        for b in d.get("breaks", [])],
                published_at=now, published_by_id=actor_id))
    keys = {(r.user_id, r.day) for r in rows}
    if keys:
        session.execute(delete(RosterShift).where(tuple_(RosterShift.user_id, RosterShift.day).in_(keys)))
    session.add_all(rows)
    session.flush()
    return {"published": len(rows), "agents": len(set(names))}


def shifts(session: Session, *, user_ids: list[int], first: date, last: date) -> list[RosterShift]:
    return list(session.scalars(select(RosterShift).where(RosterShift.user_id.in_(user_ids), RosterShift.day >= first,
                                                          RosterShift.day <= last)
                                .order_by(RosterShift.user_id, RosterShift.day)))


def scheduled_spans(rows: list[RosterShift], key: dict[int, str]) -> list[adh.Span]:
    """Phone time between the breaks; paid breaks as ``break``, unpaid ones as ``lunch`` (as ``from_roster``)."""
    out = []
    for r in rows:
        t = r.start
        for b in sorted(r.breaks, key=lambda b: b["start"]):
            bs, be = datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])
            out.append(adh.Span(key[r.user_id], t, bs, "phone"))
            out.append(adh.Span(key[r.user_id], bs, be, "break" if b["paid"] else "lunch"))
            t = be
        out.append(adh.Span(key[r.user_id], t, r.end, "phone"))
    return [s for s in out if s.end > s.start]


def logged_spans(rows, key: dict[int, str], *, start: datetime, end: datetime, now: datetime) -> list[adh.Span]:
    """The state log as adherence sees it (``kefu.wfm.states.activity``), clipped to [start, min(end, now))."""
    stop = min(end, now)
    out = []
    for r in rows:
        a, b = max(r.start, start), min(r.end or now, stop)
        if b > a and r.state != "logged_out":
            out.append(adh.Span(key[r.user_id], a, b, st.activity(_span(r))))
    return out


def stored_adherence(session: Session, *, user_ids: list[int], first: date, last: date, tz: ZoneInfo,
                     now: datetime, grace: timedelta = timedelta(minutes=2), interval_minutes: int = 30) -> dict:
    """Adherence of these agents over the days [first, last] (center's time zone), from the stored roster and
    state log; ``agents`` keyed by username, each with its ``name``. Scheduled time after now is not judged."""
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    key = {uid: u.username for uid, u in users.items()}
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
    planned = [s for s in scheduled_spans(shifts(session, user_ids=list(users), first=first, last=last), key)
               if s.start < now]
    planned = [adh.Span(s.agent, s.start, min(s.end, now), s.activity) for s in planned]
    logged = logged_spans(spans(session, user_ids=list(users), start=start, end=end), key, start=start, end=end,
                          now=now)
    local = [[adh.Span(s.agent, s.start.astimezone(tz), s.end.astimezone(tz), s.activity) for s in group]
             for group in (planned, logged)]  # times in the answer in the center's zone
    result = adh.adherence(*local, grace=grace, interval_minutes=interval_minutes)
    by_name = {u.username: u for u in users.values()}
    for name, a in result["agents"].items():
        a["name"] = by_name[name].display_name or name
        a["user_id"] = by_name[name].id
        a["out_of_adherence_minutes"] = round(a["scheduled_minutes"] - a["in_adherence_minutes"], 2)
    return result

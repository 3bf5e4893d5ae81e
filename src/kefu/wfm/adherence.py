"""Schedule adherence (排班遵从度): did the agents do what the schedule said, when it said?

Input, per agent, two lists of time spans (timezone-aware datetimes, each list without overlaps):

* ``Scheduled`` activities: ``phone`` (on the phones), ``break`` (小休), ``lunch`` (用餐), or any other
  planned activity (``training``, ``meeting``); time outside them is ``off``.
* ``Logged`` states from the telephony / agent desktop: ``ready``, ``talking``, ``hold``, ``wrap_up`` …
  count as ``phone`` (``PHONE_STATES``), ``break``/``rest`` as ``break``, ``lunch``/``meal`` as ``lunch``,
  ``offline``/``logged_out`` (and unlogged time) as ``off``; any other state as itself.

A minute is *in adherence* when the logged activity equals the scheduled one; a ``grace`` after each
scheduled change (the agent finishing a call before a break) counts as in adherence. Adherence is the
in-adherence share of the scheduled (not ``off``) minutes; conformance the logged-in minutes over the
scheduled ones. ``interval_minutes`` also gives the in-adherence share per clock interval, for a chart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

PHONE_STATES = {"phone", "ready", "idle", "available", "talking", "on_call", "hold", "wrap_up", "acw", "outbound"}
ALIASES = {"rest": "break", "小休": "break", "meal": "lunch", "用餐": "lunch", "offline": "off", "logged_out": "off"}


@dataclass(frozen=True)
class Span:
    agent: str
    start: datetime
    end: datetime
    activity: str


def activity(state: str) -> str:
    s = state.strip().lower()
    return "phone" if s in PHONE_STATES else ALIASES.get(s, s)


def _by_agent(spans: list[Span], what: str) -> dict[str, list[Span]]:
    out = defaultdict(list)
    for s in spans:
        if s.start.tzinfo is None or s.end.tzinfo is None:
            raise ValueError(f"{what} of {s.agent}: times need a time zone")
        if s.end <= s.start:
            raise ValueError(f"{what} of {s.agent}: a span ends before it starts ({s.start.isoformat()})")
        out[s.agent].append(Span(s.agent, s.start, s.end, activity(s.activity)))
    for agent, rows in out.items():
        rows.sort(key=lambda s: s.start)
        for a, b in zip(rows, rows[1:], strict=False):
            if b.start < a.end:
                raise ValueError(f"{what} of {agent}: spans overlap at {b.start.isoformat()}")
    return out


def _at(rows: list[Span], t: datetime) -> str:
    for s in rows:
        if s.start <= t < s.end:
            return s.activity
    return "off"


def _bucket(t: datetime, minutes: int) -> datetime:
    return t - timedelta(minutes=t.minute % minutes, seconds=t.second, microseconds=t.microsecond)


def adherence(scheduled: list[Span], logged: list[Span], *, grace: timedelta = timedelta(minutes=2),
              interval_minutes: int = 30) -> dict:
    """Per agent and overall: scheduled, in-adherence and logged-in minutes, adherence and conformance,
    with per-interval shares; the minutes out of adherence as spans (what to coach on)."""
    plan, done = _by_agent(scheduled, "schedule"), _by_agent(logged, "log")
    agents = {}
    for agent in sorted(plan):
        rows, log = plan[agent], done.get(agent, [])
        edges = sorted({t for s in rows + log for t in (s.start, s.end)} | _interval_edges(rows, interval_minutes))
        changes = sorted({s.start for s in rows} | {s.end for s in rows})
        sched = inside = logged_in = 0.0
        per = defaultdict(lambda: [0.0, 0.0])
        out = []
        for a, b in zip(edges, edges[1:], strict=False):
            want, did = _at(rows, a), _at(log, a)
            minutes = (b - a).total_seconds() / 60
            if want == "off":
                continue
            ok = want == did or _in_grace(changes, a, b, grace)
            sched += minutes
            logged_in += minutes * (did != "off")
            inside += minutes * ok
            cell = per[_bucket(a, interval_minutes)]
            cell[0] += minutes
            cell[1] += minutes * ok
            if not ok:
                out.append({"start": a.isoformat(), "end": b.isoformat(), "scheduled": want, "logged": did})
        agents[agent] = {
            "scheduled_minutes": round(sched, 2), "in_adherence_minutes": round(inside, 2),
            "logged_in_minutes": round(logged_in, 2),
            "adherence": round(inside / sched, 4) if sched else None,
            "conformance": round(logged_in / sched, 4) if sched else None,
            "intervals": [{"start": k.isoformat(), "scheduled_minutes": round(v[0], 2),
                           "adherence": round(v[1] / v[0], 4)} for k, v in sorted(per.items())],
            "out_of_adherence": _merge(out),
        }
    total = sum(a["scheduled_minutes"] for a in agents.values())
    inside = sum(a["in_adherence_minutes"] for a in agents.values())
    logged_in = sum(a["logged_in_minutes"] for a in agents.values())
    return {"agents": agents, "scheduled_minutes": round(total, 2), "in_adherence_minutes": round(inside, 2),
            "adherence": round(inside / total, 4) if total else None,
            "conformance": round(logged_in / total, 4) if total else None}


def _interval_edges(rows: list[Span], minutes: int) -> set[datetime]:
    if not rows:
        return set()
    t, end, edges = _bucket(rows[0].start, minutes), rows[-1].end, set()
    while t < end:
        edges.add(t)
        t += timedelta(minutes=minutes)
    return edges


def _in_grace(changes: list[datetime], a: datetime, b: datetime, grace: timedelta) -> bool:
    """The segment lies within ``grace`` after a scheduled change."""
    last = max((c for c in changes if c <= a), default=None)
    return last is not None and b <= last + grace


def _merge(out: list[dict]) -> list[dict]:
    merged: list[dict] = []
    for row in out:
        prev = merged[-1] if merged else None
        if prev and prev["end"] == row["start"] and (prev["scheduled"], prev["logged"]) == (row["scheduled"],
                                                                                              row["logged"]):
            prev["end"] = row["end"]
        else:
            merged.append(dict(row))
    return merged


def from_roster(roster: list[dict], tz) -> list[Span]:
    """Scheduled spans from a schedule's ``agents`` (``kefu.wfm.schedule_output``): the shift on the phones,
    paid breaks as ``break``, unpaid ones as ``lunch``; clock times in ``tz``."""
    spans = []
    for agent in roster:
        for day in agent["days"]:
            def at(hhmm: str, day=day) -> datetime:
                h, m = (int(x) for x in hhmm.split(":"))
                return datetime.fromisoformat(day["date"]).replace(tzinfo=tz) + timedelta(hours=h, minutes=m)

            t = at(day["start"])
            for b in day["breaks"]:
                spans.append(Span(agent["id"], t, at(b["start"]), "phone"))
                spans.append(Span(agent["id"], at(b["start"]), at(b["end"]), "break" if b["paid"] else "lunch"))
                t = at(b["end"])
            spans.append(Span(agent["id"], t, at(day["end"]), "phone"))
    return [s for s in spans if s.end > s.start]

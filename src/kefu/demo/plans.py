"""The demo's plans: when tickets arrive and, for each, the steps people will take on it.

Planning is pure (no database): a ``Plan`` is a list of timed ``Step``s that ``simulate`` later
plays through the real services. All randomness comes from one seeded ``random.Random``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kefu.demo.catalog import LINE_WEIGHTS, Leaf
from kefu.demo.people import Person
from kefu.demo.reference import Center
from kefu.demo.texts import (
    ASKS,
    CHANNEL_PREFIX,
    CHANNEL_WEIGHTS,
    ESCALATE_T2,
    ESCALATE_T3,
    NOTES,
    PENDING_REASONS,
    PREFERRED,
    fill,
    greeting,
)

DAILY_TICKETS = 140.0
# local hour → relative volume: quiet nights, lunch bump, evening peak 19:00–22:00
HOUR_WEIGHTS = (1.6, 1.0, 0.6, 0.4, 0.35, 0.5, 1.0, 2.2, 3.6, 5.0, 5.8, 6.8,
                7.2, 6.0, 4.8, 4.6, 4.9, 5.8, 7.0, 9.2, 9.8, 9.0, 6.2, 3.4)  # fmt: skip
WEEKDAY_FACTOR = (0.95, 0.92, 0.93, 0.95, 1.02, 1.18, 1.12)


@dataclass
class Step:
    at: datetime
    kind: str
    actor: Any  # a username, or None for the system
    args: dict = field(default_factory=dict)


@dataclass
class Plan:
    steps: list[Step]
    ticket: Any = None
    ticket_id: int | None = None
    callback: Any = None


@dataclass
class Draft:
    """A plan being written: the contact, who holds the ticket, and the clock of its next step."""

    t0: datetime
    t: datetime
    leaf: Leaf
    cust: Person
    channel: str
    complaint: str
    priority: str
    forced: bool
    agent: str
    holder: str  # who has the ticket now
    lead: str
    team_id: int
    data: dict
    tier: int = 1
    quick: bool = False
    target: datetime | None = None  # when it will be resolved
    callback_fate: str | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.channel in ("phone", "chat", "wechat", "internal")

    def at(self, delta: timedelta) -> datetime:
        """The time of the next step, ``delta`` (at least a second) after the last one."""
        self.t = self.t + max(delta, timedelta(seconds=1))
        return self.t

    def add(self, delta: timedelta, kind: str, actor: str | None, /, **args: Any) -> None:
        self.steps.append(Step(self.at(delta), kind, actor, args))


def _priority(base: str, roll: float, complaint: str) -> str:
    if base == "normal":
        base = "low" if roll < 0.12 else "high" if roll > 0.85 else "urgent" if roll > 0.84 else "normal"
    elif base == "high" and roll > 0.9:
        base = "urgent"
    if complaint == "external" and base in ("low", "normal"):
        base = "high"
    return base


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth for small means, normal approximation above
    if lam > 40:
        return max(0, round(rng.gauss(lam, lam**0.5)))
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _minutes(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(seconds=round(rng.uniform(lo, hi) * 60))


def _hours(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(seconds=round(rng.uniform(lo, hi) * 3600))



class Planner:
    def __init__(self, center: Center, rng: random.Random, now: datetime, tz: ZoneInfo) -> None:
        self.c, self.rng, self.now, self.tz = center, rng, now, tz

    def ticket_times(self, days: int) -> list[tuple[datetime, str | None]]:
        """Arrival times (with an optional forced leaf code for incident spikes), oldest first."""
        rng, now = self.rng, self.now
        today = now.astimezone(self.tz).date()
        out: list[tuple[datetime, str | None]] = []
        total_w = sum(HOUR_WEIGHTS)
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            factor = WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.9, 1.1)
            for hour in range(24):
                start = datetime(day.year, day.month, day.day, hour, tzinfo=self.tz)
                for _ in range(_poisson(rng, DAILY_TICKETS * factor * HOUR_WEIGHTS[hour] / total_w)):
                    t = (start + timedelta(seconds=rng.randrange(3600))).astimezone(UTC)
                    if t < now - timedelta(minutes=2):
                        out.append((t, None))
        # incident spikes (3+ customers with the same issue at once → report to the team leader)
        incidents = [
            (min(3, days - 1), 20, 10, "yuedu.login", 22, 40),
            (min(6, days - 1), 18, 30, "waimai.delivery.late", 30, 120),
        ]
        for back, hour, minute, code, count, span in incidents:
            day = today - timedelta(days=back)
            start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz).astimezone(UTC)
            for _ in range(count):
                t = start + timedelta(seconds=rng.randrange(span * 60))
                if t < now - timedelta(minutes=2):
                    out.append((t, code))
        out.sort(key=lambda x: x[0])
        return out

    def plan(self, t0: datetime, forced: str | None) -> Plan:
        """What happens to one ticket that arrives at ``t0``: an ordered list of small named steps."""
        d = self._contact(t0, forced)
        self._open(d)
        self._first_response(d)
        self._escalations(d)
        self._pending(d)
        self._callback(d)
        self._compensation(d)
        self._resolution(d)
        return Plan([s for s in d.steps if s.at <= self.now])  # never act in the future

    def _contact(self, t0: datetime, forced: str | None) -> Draft:
        """Who reports what, how, and which agent picks it up."""
        rng = self.rng
        if forced:
            cat, leaf, line = next(x for x in self.c.leaves if x[0].code == forced)
        else:
            line = rng.choices(list(LINE_WEIGHTS), list(LINE_WEIGHTS.values()))[0]
            options = [x for x in self.c.leaves if x[2] == line]
            cat, leaf, _ = rng.choices(options, [x[1].weight for x in options])[0]
        channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        if forced:
            channel = rng.choice(("phone", "chat", "chat", "wechat"))
        role = rng.choice(leaf.roles)
        cust = rng.choice(self.c.customers_by_role[role] or self.c.customers_by_role["consumer"])
        complaint = "external" if channel == "regulator" else "internal" if channel == "internal" else "none"
        if complaint == "none" and channel in ("phone", "chat") and rng.random() < 0.04:
            complaint = "internal"
        priority = _priority(leaf.priority, rng.random(), complaint)
        subject = fill(rng, rng.choice(leaf.subjects))
        if complaint == "external":
            subject = "【12315】" + subject
        elif forced:
            subject = subject + "(多人反馈)"
        description = CHANNEL_PREFIX[channel] + fill(rng, rng.choice(leaf.details)) + rng.choice(ASKS)
        team_idx = 0 if rng.random() < 0.52 else 1
        agent = rng.choice(self.c.frontline[team_idx])
        if agent.startswith("trainee") and rng.random() < 0.5:  # trainees take fewer contacts
            agent = rng.choice(self.c.frontline[team_idx])
        data = {"subject": subject, "description": description, "customer_id": cust.id, "category_id": cat.id,
                "channel": channel, "priority": priority, "complaint_type": complaint}
        return Draft(t0=t0, t=t0, leaf=leaf, cust=cust, channel=channel, complaint=complaint, priority=priority,
                     forced=bool(forced), agent=agent, holder=agent, lead=self.c.leads[team_idx],
                     team_id=self.c.teams[team_idx].id, data=data)

    def _open(self, d: Draft) -> None:
        """Live contacts are opened by the agent; the rest wait in the team queue until picked."""
        rng = self.rng
        if d.live:
            d.steps.append(Step(d.t0, "create", d.agent, {"data": d.data}))
            return
        d.steps.append(Step(d.t0, "create", None, {"data": d.data | {"team_id": d.team_id}}))
        late = rng.random() < 0.06
        if d.channel == "email":
            pick = _hours(rng, 0.3, 3.5)
        elif d.channel == "regulator":
            pick = _minutes(rng, 10, 50)
        else:
            pick = _minutes(rng, 5, 90)
        d.add(pick + (_hours(rng, 4, 9) if late else timedelta()), "assign", d.agent)

    def _first_response(self, d: Draft) -> None:
        rng = self.rng
        d.quick = d.live and d.complaint == "none" and not d.forced and rng.random() < 0.42
        if d.quick:  # answered on the call or in the chat: the answer itself is the first response
            d.target = d.t + _minutes(rng, 1, 12)
        else:
            slow = rng.random() < 0.03
            first = _minutes(rng, 0.5, 4) if d.channel in ("phone", "chat") else _minutes(rng, 2, 25)
            d.add(first + (_hours(rng, 4, 7) if slow else timedelta()), "reply", d.agent,
                  body=greeting(rng, d.cust.sal))
            d.target = d.t0 + self._resolution_time(rng, d.complaint, d.priority)
        if d.forced:
            d.add(_minutes(rng, 1, 5), "note", d.agent, body="同一时间3个以上用户反映相同问题,已上报组长及督导。")
        elif not d.quick and rng.random() < 0.35:
            d.add(_minutes(rng, 2, 40), "note", d.agent, body=rng.choice(NOTES))

    def _escalations(self, d: Draft) -> None:
        """Offline escalation to the team leader (线下升级), sometimes on to the complaints team."""
        rng, external = self.rng, d.complaint == "external"
        escalate = d.leaf.escalate * (2.5 if d.complaint == "internal" else 1)
        if not (external or (not d.quick and rng.random() < escalate)):
            return
        d.add(_minutes(rng, 10, 180), "escalate", d.holder,
              reason="12315转办投诉,需投诉处理专员跟进" if external else rng.choice(ESCALATE_T2))
        d.holder, d.tier = d.lead, 2
        d.add(_minutes(rng, 5, 60), "note", d.holder, body="组长已接手,已电话联系用户了解情况。")
        if external or rng.random() < 0.38:
            d.add(_minutes(rng, 10, 40) if external else _hours(rng, 0.5, 6), "escalate", d.holder,
                  reason=rng.choice(ESCALATE_T3))
            d.holder, d.tier = rng.choice(self.c.specialists), 3
            d.add(_minutes(rng, 10, 120), "claim", d.holder)
            d.add(_minutes(rng, 5, 60), "reply", d.holder,
                  body=f"{d.cust.sal}您好,我是投诉处理专员,您的问题由我负责跟进,"
                  "我们会为您反馈给相关人员核实确认,请您保持电话畅通。")
        d.target = max(d.target, d.t + _hours(rng, 1, 30))

    def _pending(self, d: Draft) -> None:
        rng = self.rng
        if not d.quick and rng.random() < 0.2:
            d.add(_minutes(rng, 10, 120), "pending", d.holder, reason=rng.choice(PENDING_REASONS))
            if rng.random() < 0.75:
                d.add(_hours(rng, 1, 20), "resume", d.holder)

    def _callback(self, d: Draft) -> None:
        """A promised call back (回访): made on time, late, or not yet."""
        rng = self.rng
        if d.quick or rng.random() >= (0.35 if d.tier > 1 else 0.1):
            return
        owner = d.holder if d.tier > 1 or rng.random() < 0.6 else rng.choice(self.c.specialists)
        created = d.at(_minutes(rng, 1, 15))
        due = created + _hours(rng, 2, 24)
        d.callback_fate = rng.choices(("ontime", "late", "never"), (0.72, 0.12, 0.16))[0]
        d.steps.append(Step(created, "callback", d.holder, {
            "owner": owner,
            "due_at": due,
            "preferred_time": rng.choice(PREFERRED),
            "note": "用户希望" + rng.choice(PREFERRED) + "回电,回访确认处理结果。",
        }))
        if d.callback_fate == "never":
            return
        if d.callback_fate == "ontime":
            done_at = created + (due - created) * rng.uniform(0.2, 0.95)
        else:
            done_at = due + _hours(rng, 0.5, 10)
        outcome = rng.choices(("resolved", "no_answer", "needs_followup"), (0.7, 0.18, 0.12))[0]
        d.add(done_at - d.t, "callback_done", owner, outcome=outcome)
        d.target = max(d.target, d.t + _minutes(rng, 5, 60))

    def _compensation(self, d: Draft) -> None:
        """Compensation (补偿) within the granter's limit: trainees ask their lead."""
        rng = self.rng
        if not d.leaf.comp or d.quick or rng.random() >= 0.45:
            return
        kind, reason, lo, hi = d.leaf.comp
        limit = {1: 20, 2: 100, 3: 500}[d.tier]
        granter = d.holder
        if d.holder.startswith("trainee"):
            granter, limit = d.lead, 100
        amount = min(rng.randint(lo, hi), limit)
        d.add(_minutes(rng, 2, 30), "compensate", granter, kind=kind, reason=reason, amount_fen=amount * 100,
              note=f"补偿{amount}元,用户表示认可")

    def _resolution(self, d: Draft) -> None:
        """Resolve (now and then reopened and resolved again) and auto-close, unless a call back is owed."""
        rng = self.rng
        if d.callback_fate == "never":
            return  # still waiting for the promised call back
        fix = fill(rng, rng.choice(d.leaf.fixes))
        sal = d.cust.sal
        d.add(max(d.target - d.t, _minutes(rng, 1, 5)), "resolve", d.holder,
              body=f"{sal}您好,{fix},给您带来不便深表歉意。请问您还有其他问题需要咨询吗?")
        if rng.random() < 0.025:
            d.add(_hours(rng, 2, 20), "reopen", d.holder, reason="用户再次来电表示问题仍未解决")
            d.add(_hours(rng, 1, 8), "resolve", d.holder, body=f"{sal}您好,已再次为您核实处理,{fix}。")
        d.add(_hours(rng, 24, 72), "close", None, reason="用户无异议,自动关闭")

    @staticmethod
    def _resolution_time(rng: random.Random, complaint: str, priority: str) -> timedelta:
        r = rng.random()
        if complaint == "external":
            return _hours(rng, 3, 22) if r < 0.85 else _hours(rng, 25, 40)
        if priority == "urgent":
            return _hours(rng, 0.5, 7) if r < 0.85 else _hours(rng, 8.5, 16)
        if complaint == "internal":
            return _hours(rng, 3, 60) if r < 0.9 else _hours(rng, 80, 120)
        if r < 0.5:
            return _hours(rng, 0.3, 10)
        if r < 0.82:
            return _hours(rng, 10, 48)
        if r < 0.955:
            return _hours(rng, 48, 70)
        return _hours(rng, 74, 130)

    def duplicates(self, plans: list[Plan]) -> list[Plan]:
        """A few customers contact twice about the same thing: the second ticket is merged into the first."""
        rng, extra = self.rng, []
        for plan in plans:
            first = plan.steps[0]
            if rng.random() >= 0.015 or first.args["data"]["complaint_type"] == "external":
                continue
            t = first.at + _minutes(rng, 10, 90)
            merge_at = t + _minutes(rng, 5, 60)
            if merge_at > self.now:
                continue
            agent = rng.choice(self.c.frontline[rng.randrange(2)])
            data = dict(first.args["data"])
            data.pop("team_id", None)
            data["channel"] = rng.choice(("phone", "chat"))
            data["description"] = "用户再次来电催促:" + data["description"].split(":", 1)[-1]
            extra.append(
                Plan(
                    [
                        Step(t, "create", agent, {"data": data}),
                        Step(merge_at, "merge", agent, {"target": plan, "reason": "同一用户重复反馈"}),
                    ]
                )
            )
        return extra


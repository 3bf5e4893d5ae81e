"""Play the plans through the real services with a moving clock, firing durable timers as it passes them.

Every step runs as its actor at the step's time; every ``TICK`` of simulated time the timer worker
(``kefu.timers.service.run_due``) fires what is due, exactly as ``kefu serve`` would. Nearly all
of the time goes into the services themselves; the demo keeps its own overhead small:

- the worker runs inside the demo's own transaction (a SAVEPOINT on the same connection), so nothing
  is committed per tick: the demo commits once per simulated day;
- ticks with no pending timer due are skipped (one ``min(due_at)`` query instead of a worker round);
- tickets, customers and reference rows stay in the session, so the services' look-ups of them are
  identity-map hits; only the rows the worker changed are expired (reloaded on next use);
- repeated reads of reference rows (categories, teams, SLA policies) are answered from memory.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from kefu.demo.plans import Plan, Step
from kefu.demo.reference import Center

TICK = timedelta(minutes=10)  # how often the simulated timer worker runs
COMMIT_EVERY = timedelta(days=1)
BATCH = 500
CALLBACK_NOTES = {
    "resolved": "已回访,用户认可处理结果",
    "no_answer": "回访电话无人接听",
    "needs_followup": "用户仍有疑问,需继续跟进",
}


class Simulation:
    def __init__(self, session: Session, center: Center, now: datetime) -> None:
        self.s, self.center, self.now = session, center, now
        self.next_tick: datetime | None = None
        self.next_commit: datetime | None = None
        self.changed: set[Any] = set()  # identity keys of tickets / callbacks the worker changed
        self.workers = sessionmaker(join_transaction_mode="create_savepoint", expire_on_commit=False)
        event.listen(self.workers, "after_flush", self._note_changes)

    def run(self, plans: list[Plan], console) -> None:
        import kefu.worker  # noqa: F401  (registers the timer handlers)

        events = sorted(
            ((step.at, i, j) for i, p in enumerate(plans) for j, step in enumerate(p.steps)),
            key=lambda e: (e[0], e[1], e[2]),
        )
        first = events[0][0] if events else self.now
        self.next_tick = first.replace(second=0, microsecond=0) + TICK
        self.next_commit = first + COMMIT_EVERY
        with ReferenceCache(self.s), _progress(console) as progress:
            task = progress.add_task("tickets", total=len(events))
            for n, (when, i, j) in enumerate(events):
                if when >= self.next_tick:
                    self.fire_until(when)
                self.play(plans[i], j, when)
                if n % 50 == 49:
                    progress.update(task, completed=n + 1)
            progress.update(task, completed=len(events))
        self.fire_until(self.now)
        self.s.commit()

    # ---------------------------------------------------------------- the clock and the timer worker
    def fire_until(self, limit: datetime) -> None:
        """Run the timer worker at every tick up to ``limit``, as ``kefu serve`` would have."""
        from kefu.core.clock import FrozenClock
        from kefu.timers.models import Timer
        from kefu.timers.service import run_due

        s = self.s
        if limit >= self.next_commit:
            s.commit()
            self.next_commit = limit + COMMIT_EVERY
        s.flush()
        self.workers.configure(bind=s.connection())
        while self.next_tick <= limit:
            due = s.scalar(select(func.min(Timer.due_at)).where(Timer.status == "pending"))
            if due is None or due > limit:  # no tick up to limit would fire anything
                self.next_tick += ((limit - self.next_tick) // TICK + 1) * TICK
                break
            if due > self.next_tick:  # skip the ticks before the earliest pending timer
                self.next_tick -= ((self.next_tick - due) // TICK) * TICK
                if self.next_tick > limit:
                    break
            while (fired := run_due(self.workers, FrozenClock(self.next_tick), batch=BATCH)) > 0:
                if fired < BATCH:
                    break
            self.next_tick += TICK
        if self.changed:  # the worker changed tickets and callbacks behind this session
            for key in self.changed:
                obj = s.identity_map.get(key)
                if obj is not None:
                    s.expire(obj)
            self.changed.clear()

    def _note_changes(self, session: Session, _flush_context) -> None:
        from kefu.callbacks.models import Callback
        from kefu.tickets.models import Ticket

        for obj in session.dirty:
            if isinstance(obj, Ticket | Callback):
                self.changed.add(inspect(obj).identity_key)

    # ---------------------------------------------------------------- one step
    def play(self, plan: Plan, j: int, when: datetime) -> None:
        step = plan.steps[j]
        name = step.actor
        actor = replace(self.center.system if name is None else self.center.actors[name], now=when)
        STEPS[step.kind](self, plan, step, actor)
        if j == len(plan.steps) - 1:
            plan.callback = None


def _progress(console):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("[bold]生成工单[/bold] (steps)"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                    disable=console is None, transient=False)


def _create(sim: Simulation, plan: Plan, step: Step, a) -> None:
    from kefu.tickets import service as tickets

    plan.ticket = tickets.create_ticket(sim.s, actor=a, data=dict(step.args["data"]))
    plan.ticket_id = plan.ticket.id


def _take(sim: Simulation, plan: Plan, step: Step, a) -> None:  # assign to oneself, or claim
    from kefu.tickets import service as tickets

    tickets.update_ticket(sim.s, actor=a, ticket=plan.ticket, changes={"assignee_id": a.user_id})


def _message(sim: Simulation, plan: Plan, step: Step, a) -> None:
    from kefu.tickets import service as tickets

    if plan.ticket.status != "closed":
        tickets.add_message(sim.s, actor=a, ticket=plan.ticket, body=step.args["body"], internal=step.kind == "note")


def _escalate(sim: Simulation, plan: Plan, step: Step, a) -> None:
    from kefu.tickets import service as tickets

    tickets.escalate(sim.s, actor=a, ticket=plan.ticket, reason=step.args["reason"])


def _status(new: str, when: tuple[str, ...], reason: str | None = None):
    def change(sim: Simulation, plan: Plan, step: Step, a) -> None:
        from kefu.tickets import service as tickets

        if plan.ticket.status in when:
            tickets.change_status(sim.s, actor=a, ticket=plan.ticket, status=new,
                                  reason=reason or step.args["reason"])

    return change


def _callback(sim: Simulation, plan: Plan, step: Step, a) -> None:
    from kefu.callbacks import service as callbacks

    args = step.args
    plan.callback = callbacks.create_callback(
        sim.s, actor=a, ticket_id=plan.ticket.id, customer_id=None, due_at=args["due_at"],
        owner_id=sim.center.actors[args["owner"]].user_id, preferred_time=args["preferred_time"], note=args["note"],
    )


def _callback_done(sim: Simulation, plan: Plan, step: Step, a) -> None:
    from kefu.callbacks import service as callbacks

    outcome = step.args["outcome"]
    callbacks.complete(sim.s, actor=a, callback=plan.callback, outcome=outcome, note=CALLBACK_NOTES[outcome])


def _compensate(sim: Simulation, plan: Plan, step: Step, a) -> None:
    from kefu.compensation import service as compensation

    if plan.ticket.status != "closed":
        args = step.args
        compensation.grant(sim.s, actor=a, ticket=plan.ticket, kind=args["kind"], reason=args["reason"],
                           amount_fen=args["amount_fen"], note=args["note"])


def _resolve(sim: Simulation, plan: Plan, step: Step, a) -> None:
    from kefu.tickets import service as tickets

    ticket = plan.ticket
    if ticket.status != "closed":
        tickets.add_message(sim.s, actor=a, ticket=ticket, body=step.args["body"], internal=False)
        if ticket.status != "resolved":
            tickets.change_status(sim.s, actor=a, ticket=ticket, status="resolved", reason="已解决")


def _merge(sim: Simulation, plan: Plan, step: Step, a) -> None:
    from kefu.tickets import service as tickets

    target, source = step.args["target"].ticket, plan.ticket
    if target is not None and target.status != "closed" and source.status != "closed":
        tickets.merge(sim.s, actor=a, source=source, target=target, reason=step.args["reason"])


STEPS = {
    "create": _create,
    "assign": _take,
    "claim": _take,
    "reply": _message,
    "note": _message,
    "escalate": _escalate,
    "pending": _status("pending", ("new", "open", "escalated")),
    "resume": _status("open", ("pending",), "用户已补充信息"),
    "callback": _callback,
    "callback_done": _callback_done,
    "compensate": _compensate,
    "resolve": _resolve,
    "reopen": _status("open", ("resolved",)),
    "close": _status("closed", ("resolved",)),
    "merge": _merge,
}


class ReferenceCache:
    """Serve repeated reads of reference rows (categories, teams, SLA policies) from memory.

    The services look these up again on every SLA recomputation; while the demo runs nobody changes
    them, so the first answer to each distinct statement is kept and replayed (SQLAlchemy's
    ``do_orm_execute`` re-execution hook). Only installed on the demo's own session, only while it runs.
    """

    def __init__(self, session: Session) -> None:
        from kefu.accounts.models import Team
        from kefu.catalog.models import BusinessLine, Category
        from kefu.sla.models import SlaCalendar, SlaPolicy

        self.session = session
        self.static = {m.__mapper__ for m in (Team, BusinessLine, Category, SlaCalendar, SlaPolicy)}
        self.results: dict[Any, Any] = {}

    def __enter__(self) -> ReferenceCache:
        event.listen(self.session, "do_orm_execute", self._execute)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.session, "do_orm_execute", self._execute)

    def _execute(self, state):
        if not state.is_select or not state.all_mappers or not set(state.all_mappers) <= self.static:
            return None
        ck = state.statement._generate_cache_key()
        if ck is None:
            return None
        key = (ck.key, tuple(repr(b.effective_value) for b in ck.bindparams), repr(state.parameters))
        frozen = self.results.get(key)
        if frozen is None:
            frozen = self.results[key] = state.invoke_statement().freeze()
        return frozen()

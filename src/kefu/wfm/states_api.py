"""/agents/states: the agents' state log (坐席状态). The telephony system (an API key) posts batches of state
changes; leads, supervisors and analysts read any agent's or team's spans, an agent their own."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from kefu.accounts.models import User
from kefu.core.deps import ClockDep, CurrentUser, Principal, SessionDep, require
from kefu.core.errors import Forbidden, Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.reports.queries import Period
from kefu.wfm import state_store, states

router = Router(prefix="/agents", tags=["wfm"])
Feeder = Annotated[Principal, require(Perm.contacts_write)]  # the telephony system's key, like its CDRs
MAX_EVENTS = 5000


class StateEvent(BaseModel):
    event_id: str | None = Field(None, min_length=1, max_length=64,
                                 description="the sender's id of this change: a resend is stored once")
    agent: str | None = Field(None, min_length=1, max_length=60, description="the agent's username")
    agent_id: int | None = Field(None, ge=1, description="or the agent's user id")
    state: str = Field(min_length=1, max_length=20,
                       description="ready (示闲), busy (通话中), acw (话后处理), not_ready (示忙), logged_out (签出)")
    reason: str | None = Field(None, max_length=states.MAX_REASON, description="of not_ready: 小休, 就餐, 培训, 会议…")
    at: datetime = Field(description="when the state began; with an offset, else the center's local time")

    @model_validator(mode="after")
    def _who(self):
        if (self.agent is None) == (self.agent_id is None):
            raise ValueError("give agent (username) or agent_id, not both")
        return self


class StateBatch(BaseModel):
    source: str = Field("telephony", description="chat, telephony or api")
    events: Annotated[list[StateEvent], Field(min_length=1, max_length=MAX_EVENTS)]


def _changes(session, body: StateBatch, now: datetime) -> list[state_store.Change]:
    """Every event checked before any is stored: a bad one is a 422 naming it, and nothing is stored."""
    if body.source not in states.SOURCES:
        raise Invalid(f"source must be one of {', '.join(states.SOURCES)}", field="source")
    tz = get_settings().tz
    names = state_store.users_by_name(session, {e.agent for e in body.events if e.agent})
    ids = set(session.scalars(select(User.id).where(User.id.in_({e.agent_id for e in body.events if e.agent_id}))))
    out = []
    for i, e in enumerate(body.events):
        uid = names.get(e.agent) if e.agent else (e.agent_id if e.agent_id in ids else None)
        if uid is None:
            who = "agent" if e.agent else "agent_id"
            raise Invalid(f"events[{i}].{who}: no user {e.agent or e.agent_id!r}", field=f"events[{i}].{who}")
        try:
            state, reason = states.normalize(e.state, e.reason)
        except ValueError as exc:
            raise Invalid(f"events[{i}].state: {exc}", field=f"events[{i}].state") from None
        at = e.at if e.at.tzinfo else e.at.replace(tzinfo=tz)
        if at > now + state_store.FUTURE:
            raise Invalid(f"events[{i}].at: {at.isoformat()} is in the future", field=f"events[{i}].at")
        out.append(state_store.Change(user_id=uid, state=state, at=at, reason=reason, source=body.source,
                                      event_id=e.event_id))
    return out


@router.post("/states")
def post_states(body: StateBatch, session: SessionDep, clock: ClockDep, _: Feeder) -> dict:
    """Store a batch of state changes. Late events split the span they fall in; an ``event_id`` already stored
    from the same source (or twice in the batch) is stored once. ``stored`` and ``duplicates`` count them."""
    now = clock.now()
    changes = _changes(session, body, now)
    seen = state_store.existing_ids(session, body.source, [c.event_id for c in changes if c.event_id])
    stored = duplicates = 0
    for change in sorted(changes, key=lambda c: c.at):
        if change.event_id is not None and change.event_id in seen:
            duplicates += 1
            continue
        state_store.record(session, change, now=now)
        stored += 1
        if change.event_id is not None:
            seen.add(change.event_id)
    return {"stored": stored, "duplicates": duplicates}


def span_out(row, names: dict[int, str]) -> dict:
    return {"agent_id": row.user_id, "agent": names.get(row.user_id, ""), "start": row.start.isoformat(),
            "end": row.end.isoformat() if row.end else None, "state": row.state,
            "label": states.LABELS[row.state], "reason": row.reason, "source": row.source}


@router.get("/states")
def get_states(session: SessionDep, who: CurrentUser,
               from_: Annotated[date, Query(alias="from", description="first day, in the center's time zone")],
               to: Annotated[date, Query(description="last day (inclusive)")],
               agent: Annotated[int | None, Query(description="an agent's user id (default: yourself)")] = None,
               team: Annotated[int | None, Query(description="every agent of a team")] = None) -> dict:
    """The state spans overlapping the period (``end`` null for a current state), by agent and start. Team
    leads, supervisors and analysts read anyone's; everyone else their own."""
    p = Period(from_, to, get_settings().tz)
    sees_all = who.can(Perm.reports_read)
    if team is not None:
        if not sees_all:
            raise Forbidden("you may read only your own states", field="team")
        user_ids = list(session.scalars(select(User.id).where(User.team_id == team)))
    else:
        uid = agent or who.user.id
        if uid != who.user.id and not sees_all:
            raise Forbidden("you may read only your own states", field="agent")
        user_ids = [uid]
    rows = [r for r in state_store.spans(session, user_ids=user_ids, start=p.start, end=p.end) if r.end != r.start]
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
    return {"from": p.first.isoformat(), "to": p.last.isoformat(),
            "data": [span_out(r, names) for r in rows], "count": len(rows)}

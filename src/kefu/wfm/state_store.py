"""The agent state log in the store: recording changes (from the chat workspace, the telephony system, the
API), reading spans, and keeping the per-interval rollup of logged-in seconds that occupancy reads.

A change at ``at`` becomes a span starting at ``at``; the span that held ``at`` ends there and the new one
ends where that one ended (``kefu.wfm.states.place``), so a late event splits the timeline instead of being
appended out of order. An event id already stored from the same source is not stored again. Each change
locks the agent's user row (PostgreSQL), so two changes of one agent are applied one after the other.

The rollup (``AgentStateRollup``) holds the closed spans' seconds per 30-minute interval and agent; when a
change closes or splits spans, the agent's intervals they cover are recomputed from the raw spans in the same
transaction. Reads add the current (open) spans up to now, at most one per agent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.wfm import states as st
from kefu.wfm.models import AgentState, AgentStateRollup

FUTURE = timedelta(minutes=5)  # clocks drift: a change up to this far ahead of now is taken as it is
ROLLUP_STATES = ("ready", "busy", "acw", "not_ready")


@dataclass(frozen=True)
class Change:
    user_id: int
    state: str
    at: datetime
    reason: str = ""
    source: str = "api"
    event_id: str | None = None


def _span(row: AgentState) -> st.Span:
    return st.Span(row.start, row.end, row.state, row.reason, row.source)


def current(session: Session, user_id: int) -> AgentState | None:
    return session.scalar(select(AgentState).where(AgentState.user_id == user_id, AgentState.end.is_(None))
                          .order_by(AgentState.start.desc(), AgentState.id.desc()).limit(1))


def record(session: Session, change: Change, *, now: datetime) -> AgentState | None:
    """Store one change; None when its event id was stored before (a resend). The caller has validated it."""
    if change.event_id is not None and session.scalar(select(AgentState.id).where(
            AgentState.source == change.source, AgentState.event_id == change.event_id)) is not None:
        return None
    session.execute(select(User.id).where(User.id == change.user_id).with_for_update())
    before = session.scalar(select(AgentState).where(AgentState.user_id == change.user_id,
                                                     AgentState.start <= change.at)
                            .order_by(AgentState.start.desc(), AgentState.id.desc()).limit(1))
    if before is not None:
        end = before.end
        touched_from = before.start
    else:  # before every stored span: it lasts until the first one
        end = session.scalar(select(func.min(AgentState.start)).where(AgentState.user_id == change.user_id))
        touched_from = change.at
    row = AgentState(user_id=change.user_id, start=change.at, end=end, state=change.state, reason=change.reason,
                     source=change.source, event_id=change.event_id, received_at=now)
    session.add(row)
    if before is not None:
        before.end = change.at
    session.flush()
    if end is not None or before is not None:
        refresh_rollup(session, change.user_id, touched_from, end or change.at)
    return row


def record_presence(session: Session, *, user_id: int, state: str, now: datetime, reason: str = "") -> None:
    """A change of the agent's chat seat (ready, away, offline). Stored only when it changes the agent's current
    state; going offline in chat does not log out an agent whose current state another system reported."""
    cur = current(session, user_id)
    if cur is not None and (cur.state, cur.reason) == (state, reason):
        return
    if state == "logged_out" and (cur is None or cur.source != "chat"):
        return
    record(session, Change(user_id=user_id, state=state, at=now, reason=reason, source="chat"), now=now)


# -- the rollup ----------------------------------------------------------------------------------------------
def refresh_rollup(session: Session, user_id: int, start: datetime, end: datetime) -> None:
    """Recompute the agent's rollup rows of the intervals covering [start, end) from the closed spans."""
    first = st.interval_of(start)
    last = st.interval_of(end)
    if last < end:
        last += st.INTERVAL
    R = AgentStateRollup
    session.execute(delete(R).where(R.user_id == user_id, R.interval_start >= first, R.interval_start < last))
    rows = session.scalars(select(AgentState).where(AgentState.user_id == user_id, AgentState.end.is_not(None),
                                                    AgentState.start < last, AgentState.end > first)).all()
    cells = st.seconds_by_interval((_span(r) for r in rows), start=first, end=last)
    session.add_all([_rollup_row(user_id, slot, c) for slot, c in cells.items() if st.logged_in_seconds(c) > 0])
    session.flush()


def _rollup_row(user_id: int, slot: datetime, cells: dict[str, float]) -> AgentStateRollup:
    return AgentStateRollup(interval_start=slot, user_id=user_id,
                            logged_in_seconds=round(st.logged_in_seconds(cells)),
                            **{f"{k}_seconds": round(cells.get(k, 0)) for k in ROLLUP_STATES})


def rebuild_rollup(session: Session, user_ids: Iterable[int] | None = None) -> None:
    """Recompute every rollup row (of these agents) from the raw spans."""
    ids = list(user_ids) if user_ids is not None else list(session.scalars(select(AgentState.user_id).distinct()))
    for uid in ids:
        bounds = session.execute(select(func.min(AgentState.start), func.max(AgentState.end))
                                 .where(AgentState.user_id == uid)).one()
        if bounds[0] is not None:
            refresh_rollup(session, uid, bounds[0], bounds[1] or bounds[0])


# -- reading -------------------------------------------------------------------------------------------------
def spans(session: Session, *, user_ids: list[int], start: datetime, end: datetime) -> list[AgentState]:
    """The spans of these agents that overlap [start, end), by agent and start."""
    return list(session.scalars(select(AgentState).where(
        AgentState.user_id.in_(user_ids), AgentState.start < end,
        or_(AgentState.end.is_(None), AgentState.end > start))
        .order_by(AgentState.user_id, AgentState.start, AgentState.id)))


def logged_in(session: Session, *, start: datetime, end: datetime, now: datetime,
              user_ids: list[int] | None = None, by: str = "agent") -> dict:
    """Logged-in seconds in [start, end): the rollup's closed spans plus the current spans up to now, summed
    per agent (``by="agent"``: ``{user_id: s}``) or per 30-minute interval over the agents
    (``by="interval"``: ``{interval_start: s}``)."""
    R = AgentStateRollup
    key = R.user_id if by == "agent" else R.interval_start
    stmt = (select(key, func.sum(R.logged_in_seconds)).where(R.interval_start >= start, R.interval_start < end)
            .group_by(key))
    if user_ids is not None:
        stmt = stmt.where(R.user_id.in_(user_ids))
    out: dict = {k: float(v) for k, v in session.execute(stmt)}
    stop = min(end, now)
    if stop <= start:
        return out
    opened = select(AgentState).where(AgentState.end.is_(None), AgentState.start < stop,
                                      AgentState.state.in_(st.LOGGED_IN))
    if user_ids is not None:
        opened = opened.where(AgentState.user_id.in_(user_ids))
    for row in session.scalars(opened):
        for slot, cells in st.seconds_by_interval([_span(row)], start=start, end=stop, now=now).items():
            k = row.user_id if by == "agent" else slot
            out[k] = out.get(k, 0.0) + st.logged_in_seconds(cells)
    return out


def users_by_name(session: Session, names: set[str]) -> dict[str, int]:
    return dict(session.execute(select(User.username, User.id).where(User.username.in_(names))).all())


def existing_ids(session: Session, source: str, event_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(event_ids), 500):
        chunk = event_ids[i:i + 500]
        found |= set(session.scalars(select(AgentState.event_id).where(
            and_(AgentState.source == source, AgentState.event_id.in_(chunk)))))
    return found

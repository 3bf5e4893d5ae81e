"""/wfm/rosters: publish a schedule's roster to named agents; GET /wfm/adherence: adherence over a period from the
stored roster and the stored state log (POST /wfm/adherence computes from what it is sent)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from kefu.accounts.models import User
from kefu.core.deps import ClockDep, Principal, SessionDep, require
from kefu.core.errors import Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.reports.queries import Period
from kefu.wfm import rosters
from kefu.wfm.adherence_api import RosterAgent, check_days

router = Router(prefix="/wfm", tags=["wfm"])
Planner = Annotated[Principal, require(Perm.wfm_plan)]
Publisher = Annotated[Principal, require(Perm.wfm_publish)]


class RosterIn(BaseModel):
    agents: Annotated[list[RosterAgent], Field(min_length=1, max_length=2000)] = Field(
        description="the schedule's agents (POST /wfm/schedule); ids are usernames unless ``assign`` names them")
    assign: dict[str, str] = Field({}, description="schedule agent id → username, e.g. {\"A01\": \"wangxm\"}")


@router.post("/rosters")
def publish_roster(body: RosterIn, session: SessionDep, clock: ClockDep, who: Publisher) -> dict:
    """Publish the shifts (with their breaks) to the agents; an agent's shift on a date replaces the one
    published before. Clock times are the center's local time."""
    check_days(body.agents, "agents")
    return rosters.publish(session, agents=[a.model_dump(mode="json") for a in body.agents], assign=body.assign,
                           tz=get_settings().tz, actor_id=who.user.id, now=clock.now())


def agents_of(session, *, agent: int | None, team: int | None) -> list[int]:
    """The agents asked for: one, a team's, or everyone with a published shift."""
    if agent is not None:
        return [agent]
    stmt = select(User.id).where(User.is_active.is_(True))
    if team is not None:
        stmt = stmt.where(User.team_id == team)
    else:
        from kefu.wfm.models import RosterShift

        stmt = stmt.where(User.id.in_(select(RosterShift.user_id).distinct()))
    return list(session.scalars(stmt))


@router.get("/adherence")
def stored_adherence(session: SessionDep, clock: ClockDep, _: Planner,
                     from_: Annotated[date, Query(alias="from", description="first day, center's time zone")],
                     to: Annotated[date, Query(description="last day (inclusive)")],
                     team: int | None = None, agent: int | None = None,
                     grace_minutes: Annotated[float, Query(ge=0, le=60)] = 2,
                     interval_minutes: Annotated[int, Query(ge=5, le=120)] = 30) -> dict:
    """Per agent with a published shift: adherence, conformance, minutes out of adherence and their spans,
    the share per interval; overall. Scheduled time after now is not judged yet."""
    p = Period(from_, to, get_settings().tz)
    if (to - from_).days > 62:
        raise Invalid("at most 62 days at a time", field="to")
    out = rosters.stored_adherence(session, user_ids=agents_of(session, agent=agent, team=team), first=p.first,
                                   last=p.last, tz=p.tz, now=clock.now(), grace=timedelta(minutes=grace_minutes),
                                   interval_minutes=interval_minutes)
    return {"from": p.first.isoformat(), "to": p.last.isoformat()} | out

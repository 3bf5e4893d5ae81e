"""/satisfaction: ratings from the telephony system's IVR (and other integrations), signed survey links for
e-mail and WeChat, the satisfaction rate by day, month, channel, team, agent, category and business line
against the benchmarks and the target, and resolution-power grades (解决力)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from kefu.core.deps import ClockDep, CurrentUser, Principal, SessionDep, require
from kefu.core.errors import Forbidden
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.reports import queries
from kefu.reports import service as reports
from kefu.reports.kpis import LEVELS
from kefu.reports.targets import BENCHMARKS, parse_targets
from kefu.satisfaction import links, service
from kefu.satisfaction.models import GRADES

router = Router(prefix="/satisfaction", tags=["satisfaction"])
Reader = Annotated[Principal, require(Perm.reports_read)]
Grader = Annotated[Principal, require(Perm.grades_write)]


async def _writer(principal: CurrentUser) -> Principal:
    """An integration (any API key: the telephony system's IVR, the mail and WeChat gateways) or a role
    holding ratings.write."""
    if principal.via == "api_key" or principal.can(Perm.ratings_write):
        return principal
    raise Forbidden(f"your role ({principal.user.role}) may not {Perm.ratings_write.value}")


Writer = Annotated[Principal, Depends(_writer)]


class RatingIn(BaseModel):
    contact_id: int | None = Field(None, ge=1)
    channel: str | None = Field(None, max_length=16, description="with call_id, instead of contact_id")
    call_id: str | None = Field(None, max_length=128)
    level: int = Field(ge=1, le=5, description="5 非常满意, 4 满意, 3 一般, 2 不满意, 1 非常不满意")
    reason: str | None = Field(None, max_length=100)
    comment: str | None = Field(None, max_length=2000)
    source: Literal["ivr", "api"] = "ivr"


class RatingOut(BaseModel):
    id: int
    contact_id: int
    level: int
    level_name: str
    source: str


class LinkIn(BaseModel):
    contact_id: int = Field(ge=1)


class GradeIn(BaseModel):
    ticket_id: int = Field(ge=1)
    grade: Literal["敷衍", "传声筒", "解决", "惊喜"]
    note: str | None = Field(None, max_length=1000)


@router.post("/ratings", response_model=RatingOut, status_code=201)
def create_rating(body: RatingIn, session: SessionDep, clock: ClockDep, _: Writer):
    """One rating per contact (409 for a second one), named by contact_id or by channel and call_id."""
    contact = service.contact_for(session, contact_id=body.contact_id, channel=body.channel, call_id=body.call_id)
    r = service.rate(session, contact=contact, level=body.level, source=body.source, now=clock.now(),
                     reason=body.reason, comment=body.comment)
    return {"id": r.id, "contact_id": r.contact_id, "level": r.level, "level_name": LEVELS[r.level],
            "source": r.source}


@router.post("/links", status_code=201)
def create_link(body: LinkIn, session: SessionDep, clock: ClockDep, _: Writer):
    """A signed survey link for a contact, to put in the e-mail reply or WeChat message (path ``/survey/…``;
    ``url`` starts with ``KEFU_PUBLIC_URL``)."""
    contact = service.contact_for(session, contact_id=body.contact_id)
    token = links.make_token(contact.id, now=clock.now())
    path = f"/survey/{token}"
    return {"contact_id": contact.id, "token": token, "path": path,
            "url": get_settings().public_url.rstrip("/") + path}


@router.get("")
def satisfaction(session: SessionDep, _: Reader, from_: Annotated[date, Query(alias="from")], to: date,
                 group_by: Annotated[str, Query(description="day, month, channel, team, agent, category, "
                                                            "business_line")] = "day"):
    """Ratings and satisfaction rate per group, with the benchmark lines and the center's target."""
    p = reports.period(from_, to)
    if group_by not in queries.GROUPS:
        reports.kpi_report(session, p, group_by=group_by)  # raises the 422 naming group_by
    rows = [{"key": r["key"], "label": r["label"], "rated": r["rated"], "satisfaction_rate": r["satisfaction_rate"],
             "very_satisfied_share": r["very_satisfied_share"], "satisfied_share": r["satisfied_share"]}
            for r in queries.kpi_rows(session, p, group_by) if r["rated"]]
    target = parse_targets(get_settings().kpi_targets).get("satisfaction_rate")
    total = queries.totals(session, p)
    return {"from": p.first.isoformat(), "to": p.last.isoformat(), "group_by": group_by, "data": rows,
            "count": len(rows), "total": {"rated": total.rated, **{LEVELS[k]: getattr(total, f"r{k}") for k in LEVELS}},
            "benchmarks": BENCHMARKS, "target": target.value if target else None}


@router.post("/grades", status_code=201)
def create_grade(body: GradeIn, session: SessionDep, clock: ClockDep, who: Grader):
    """Grade a ticket's resolution power (敷衍 < 传声筒 < 解决 < 惊喜); grading again replaces the grade."""
    g = service.grade(session, ticket_id=body.ticket_id, value=body.grade, by=who.user, now=clock.now(),
                      note=body.note)
    return {"ticket_id": g.ticket_id, "grade": g.grade, "agent_id": g.agent_id, "team_id": g.team_id}


@router.get("/grades")
def grades(session: SessionDep, _: Reader, from_: Annotated[date, Query(alias="from")], to: date,
           group_by: Literal["team", "agent"] = "team"):
    """The distribution of grades given in the period per team or agent."""
    p = reports.period(from_, to)
    rows = service.grade_distribution(session, start=p.start, end=p.end, group_by=group_by)
    return {"grades": list(GRADES), "data": rows, "count": len(rows)}


@router.get("/retention")
def retention(session: SessionDep, _: Reader, from_: Annotated[date, Query(alias="from")], to: date,
              days: Annotated[int, Query(ge=1, le=365, description="came back within this many days")] = 30):
    """Complainants of the period by what became of their complaint (未受理, 已记录未解决, 已解决) and the share
    who contacted the center again within ``days`` (about something else)."""
    from kefu.satisfaction.retention import complaint_retention

    p = reports.period(from_, to)
    rows = complaint_retention(session, start=p.start, end=p.end, days=days)
    return {"days": days, "data": rows, "count": len(rows)}

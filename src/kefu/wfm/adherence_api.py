"""/wfm/adherence: the agents' logged states against their schedule (排班遵从度), per agent and overall.
Computes from what it is sent; stores nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, model_validator

from kefu.core.deps import Principal, require
from kefu.core.errors import Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.wfm import adherence as adh

router = Router(prefix="/wfm", tags=["wfm"])
Planner = Annotated[Principal, require(Perm.wfm_plan)]
MAX_SPANS = 100_000
Text = Annotated[str, Field(min_length=1, max_length=64)]


def _clock(value: str) -> str:
    try:
        h, m = (int(x) for x in value.split(":"))
    except ValueError:
        raise ValueError(f"expected a time like 08:30, got {value!r}") from None
    if not (0 <= m < 60 and 0 <= h * 60 + m <= 1440):
        raise ValueError(f"time out of the day: {value!r}")
    return f"{h:02d}:{m:02d}"


Clock = Annotated[str, AfterValidator(_clock)]


class RosterBreak(BaseModel):
    name: str = ""
    start: Clock
    end: Clock
    paid: bool = True


class RosterDay(BaseModel):
    date: date
    start: Clock
    end: Clock
    breaks: Annotated[list[RosterBreak], Field(max_length=10)] = []


class RosterAgent(BaseModel):
    id: Text
    name: str = ""
    days: Annotated[list[RosterDay], Field(max_length=62)]


class Logged(BaseModel):
    agent: Text
    start: datetime = Field(description="with an offset; a naive time is the center's local time")
    end: datetime
    state: Annotated[str, Field(min_length=1, max_length=32)] = Field(
        description="ready, talking, hold, wrap_up… (on the phones), break, lunch, offline, or another activity")

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class AdherenceRequest(BaseModel):
    roster: Annotated[list[RosterAgent], Field(min_length=1, max_length=2000)] = Field(
        description="the schedule's agents, as POST /wfm/schedule or `kefu wfm schedule --format json` give them")
    logged: Annotated[list[Logged], Field(max_length=MAX_SPANS)] = Field(description="the agents' logged states")
    grace_minutes: Annotated[float, Field(ge=0, le=60)] = Field(2, description="after each scheduled change")
    interval_minutes: Annotated[int, Field(ge=5, le=120)] = 30


def check_days(roster: list[RosterAgent], name: str) -> None:
    """``Invalid`` naming the first day whose shift ends before it starts (``roster[0].days[1].end``)."""
    for i, agent in enumerate(roster):
        for j, day in enumerate(agent.days):
            if day.end <= day.start and day.end != "24:00":
                raise Invalid(f"{name}[{i}].days[{j}].end: the shift must end after it starts",
                              field=f"{name}[{i}].days[{j}].end")


def compute(body: AdherenceRequest, tz) -> dict:
    """The adherence report, or ``Invalid`` naming the field (``logged``, ``roster[0].days[1]``)."""
    check_days(body.roster, "roster")
    scheduled = adh.from_roster([a.model_dump(mode="json") for a in body.roster], tz)
    logged = [adh.Span(x.agent, _aware(x.start, tz), _aware(x.end, tz), x.state) for x in body.logged]
    try:
        return adh.adherence(scheduled, logged, grace=timedelta(minutes=body.grace_minutes),
                             interval_minutes=body.interval_minutes)
    except ValueError as exc:
        field = "roster" if str(exc).startswith("schedule") else "logged"
        raise Invalid(f"{field}: {exc}", field=field) from None


def _aware(t: datetime, tz) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=tz)


@router.post("/adherence")
def adherence(body: AdherenceRequest, _: Planner) -> dict:
    """Per agent: scheduled, in-adherence and logged-in minutes, ``adherence`` (share of the scheduled
    minutes doing what the schedule said) and ``conformance`` (logged-in over scheduled minutes), the share
    per interval and the spans out of adherence; overall ``adherence`` and ``conformance``. Roster clock
    times are the center's local time."""
    return compute(body, get_settings().tz)

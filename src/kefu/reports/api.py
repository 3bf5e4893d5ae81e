"""/reports: KPIs over a period (totals, or grouped), TOP10 contact reasons against the previous period; JSON,
CSV or Excel."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Query, Response
from pydantic import BaseModel, Field

from kefu.core.deps import ClockDep, Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.reports import export, service

router = Router(prefix="/reports", tags=["reports"])
Reader = Annotated[Principal, require(Perm.reports_read)]
Format = Literal["json", "csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(rows: list[dict], columns, fmt: str, name: str):
    if fmt == "csv":
        return Response(export.to_csv(rows, columns), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(export.to_xlsx(rows, columns, title=name), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@router.get("/kpis", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def kpis(session: SessionDep, clock: ClockDep, _: Reader,
         from_: Annotated[date, Query(alias="from", description="first day, in the center's time zone")],
         to: Annotated[date, Query(description="last day (inclusive)")],
         group_by: Annotated[str | None, Query(description="channel, queue, category, business_line, agent, team, "
                                                           "interval, day, week or month")] = None,
         interval: Annotated[str | None, Query(description="alias of a time group_by: interval, day, week, month")]
         = None,
         channel: str | None = None, queue: str | None = None, category: int | None = None,
         business_line: int | None = None, agent: int | None = None, team: int | None = None,
         extra: Annotated[bool, Query(description="also FCR, 72 h resolution rate, contacts per agent per day "
                                                  "(read from raw rows: slower)")] = False,
         format: Format = "json"):
    """KPIs of the period: ``totals`` (rates as fractions 0–1, ``null`` when nothing to divide by), their
    ``deviations`` from the targets (KEFU_KPI_TARGETS), and ``rows`` per group when grouped."""
    p = service.period(from_, to)
    filters = {"channel": channel, "queue": queue, "category": category, "business_line": business_line,
               "agent": agent, "team": team}
    report = service.kpi_report(session, p, group_by=group_by or interval, filters=filters, extra=extra,
                                now=clock.now())
    if format == "json":
        return report
    rows = report.get("rows") or [{"key": "total", "label": "合计", **report["totals"]}]
    return file_response(rows, export.KPI_COLUMNS, format, f"kpis-{from_}-{to}")


@router.get("/top-reasons", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def top_reasons(session: SessionDep, _: Reader,
                from_: Annotated[date, Query(alias="from")], to: date,
                limit: Annotated[int, Query(ge=1, le=100)] = 10, business_line: int | None = None,
                format: Format = "json"):
    """The categories with most contacts in the period, with their change against the previous period of the
    same length (``change``, and ``change_rate`` as a fraction, null when there were none before)."""
    report = service.top_reasons(session, service.period(from_, to), limit=limit, business_line=business_line)
    if format == "json":
        return report
    return file_response(report["data"], export.TOP_COLUMNS, format, f"top-reasons-{from_}-{to}")


# -- suggested fixes (建议改进措施) in the weekly voice-of-customer report -------------------------------
VocWriter = Annotated[Principal, require(Perm.voc_write)]


class VocFixIn(BaseModel):
    business_line_id: int = Field(ge=1)
    week: date = Field(description="any day of the week")
    text: str = Field(min_length=1, max_length=2000)
    topic: str | None = Field(None, max_length=100)
    owner: str | None = Field(None, max_length=60)


@router.post("/voc/fixes", status_code=201)
def add_voc_fix(body: VocFixIn, session: SessionDep, who: VocWriter):
    """Add a suggested fix to a line's weekly report (audited)."""
    from kefu.reports import fixes

    f = fixes.add_fix(session, actor=who.actor, line_id=body.business_line_id, day=body.week, text=body.text,
                      topic=body.topic, owner=body.owner)
    return {"id": f.id, "business_line_id": f.business_line_id, "week": f.week.isoformat(), "topic": f.topic,
            "text": f.text, "owner": f.owner}


@router.delete("/voc/fixes/{fix_id}", status_code=204)
def remove_voc_fix(fix_id: int, session: SessionDep, who: VocWriter):
    """Remove a suggested fix (audited)."""
    from kefu.reports import fixes

    fixes.remove_fix(session, actor=who.actor, fix_id=fix_id)


class VocSubscriptionIn(BaseModel):
    business_line_id: int = Field(ge=1)
    user_id: int | None = Field(None, ge=1, description="a user, mailed at the account's address")
    email: str | None = Field(None, max_length=200, description="or an address")


@router.get("/voc/fixes")
def list_voc_fixes(session: SessionDep, _: Reader, business_line_id: Annotated[int, Query(ge=1)],
                   week: Annotated[date, Query(description="any day of the week")]):
    """The suggested fixes in a line's weekly report, oldest first."""
    from kefu.catalog.models import BusinessLine
    from kefu.core.errors import NotFound
    from kefu.reports import fixes

    if session.get(BusinessLine, business_line_id) is None:
        raise NotFound(f"no business line {business_line_id}", field="business_line_id")
    rows = fixes.week_fixes(session, line_id=business_line_id, day=week)
    return {"data": rows, "count": len(rows)}


@router.get("/voc/subscriptions")
def list_voc_subscriptions(session: SessionDep, _: VocWriter,
                           business_line_id: Annotated[int | None, Query(ge=1, description="one line; default every "
                                                                                           "line")] = None):
    """Who receives the weekly report by e-mail: ``email`` is where it goes (a user's account address). Listed to
    those who may change the list, as on the report page."""
    from kefu.reports import mailing

    rows = mailing.subscriptions(session, line_id=business_line_id)
    return {"data": rows, "count": len(rows)}


@router.post("/voc/subscriptions", status_code=201)
def add_voc_subscription(body: VocSubscriptionIn, session: SessionDep, who: VocWriter):
    """Mail the line's weekly report (PDF) to a user or an address every Monday 09:00 (audited)."""
    from kefu.reports import mailing

    s = mailing.subscribe(session, actor=who.actor, line_id=body.business_line_id, user_id=body.user_id,
                          email=body.email)
    return {"id": s.id, "business_line_id": s.business_line_id, "user_id": s.user_id, "email": s.email}


@router.delete("/voc/subscriptions/{subscription_id}", status_code=204)
def remove_voc_subscription(subscription_id: int, session: SessionDep, who: VocWriter):
    """Stop mailing the weekly report to this subscriber (audited)."""
    from kefu.reports import mailing

    mailing.unsubscribe(session, actor=who.actor, subscription_id=subscription_id)

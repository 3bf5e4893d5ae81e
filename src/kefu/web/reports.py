"""Report pages: KPIs with charts and targets (/reports), TOP10 reasons with drill-down to the contacts
(/reports/top-reasons), the live supervisor wallboard (/wallboard). Tables export as CSV and Excel through
the API (the same cookie signs the request)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Request

from kefu.contacts import queries as contact_queries
from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.errors import Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.reports import queries, service, wallboard
from kefu.web.admin import run_action
from kefu.web.i18n import translate
from kefu.web.pages import language, render, web_user

router = Router()
Reader = Annotated[Principal, web_user(Perm.reports_read)]
ContactReader = Annotated[Principal, web_user(Perm.contacts_read)]
GROUPS = ("", "day", "week", "month", "interval", "channel", "queue", "category", "business_line", "team", "agent")
KPIS = ("answer_rate", "abandonment_rate", "service_level", "asa_seconds", "aht_seconds", "satisfaction_rate")


class Words:
    """The page's language: ``t(key)`` and the translated names of groups, KPIs and empty keys."""

    def __init__(self, request: Request, me: Principal | None) -> None:
        self.lang = language(request, me)

    def t(self, key: str) -> str:
        return translate(key, self.lang)

    def groups(self, keys=GROUPS) -> dict[str, str]:
        return {k: self.t(f"rpt.group.{k}") for k in keys}

    def kpis(self) -> dict[str, str]:
        return {k: self.t(f"rpt.kpi.{k}") for k in KPIS}

    def labels(self) -> dict[str, str]:
        """What ``queries.kpi_rows`` calls a row without a key, and a week."""
        return {"agent": self.t("rpt.none.agent"), "team": self.t("rpt.none.team"),
                "other": self.t("rpt.none.other"), "week": self.t("rpt.week_of")}

    def benchmarks(self, lines: dict[str, float]) -> dict[str, float]:
        return {self.t(f"rpt.benchmark.{name}"): v for name, v in lines.items()}


def _dates(clock, first: str | None, last: str | None) -> tuple[date, date]:
    today = clock.now().astimezone(get_settings().tz).date()
    try:
        to = date.fromisoformat(last) if last else today
        fr = date.fromisoformat(first) if first else to - timedelta(days=6)
    except ValueError:
        raise Invalid("dates are YYYY-MM-DD", field="from") from None
    return fr, to


def _chart(kind: str, labels: list, datasets: list[dict], percent: bool = False) -> str:
    return json.dumps({"type": kind, "data": {"labels": labels, "datasets": datasets}, "percent": percent},
                      ensure_ascii=False)


def _trend_chart(rows: list[dict], w: Words) -> str:
    labels = [r["label"] for r in rows]
    names = w.kpis()
    return _chart("line", labels, [
        {"label": names[k], "data": [r[k] for r in rows]} for k in ("answer_rate", "service_level",
                                                                    "satisfaction_rate")], percent=True)


@router.get("/reports")
def kpi_page(request: Request, session: SessionDep, clock: ClockDep, me: Reader, first: str | None = None,
             last: str | None = None, group_by: str = ""):
    fr, to = _dates(clock, first, last)
    group_by = group_by if group_by in GROUPS else ""
    p, w = service.period(fr, to), Words(request, me)
    report = service.kpi_report(session, p, now=clock.now())
    rows = queries.kpi_rows(session, p, group_by, words=w.labels()) if group_by else []
    trend = queries.kpi_rows(session, p, "day")
    bars = _chart("bar", [str(r["label"]) for r in rows[:20]],
                  [{"label": w.t("rpt.offered_chats"), "data": [r["offered"] for r in rows[:20]]}]) if rows else None
    query = {"from": fr.isoformat(), "to": to.isoformat(), **({"group_by": group_by} if group_by else {})}
    return render(request, "reports/kpis.html", me, report=report, rows=rows, first=fr, last=to,
                  group_by=group_by, groups=w.groups(), kpi_names=w.kpis(), trend=_trend_chart(trend, w),
                  benchmarks=w.benchmarks(report["benchmarks"]), bars=bars,
                  export_csv=f"/api/v1/reports/kpis?{urlencode(query | {'format': 'csv'})}",
                  export_xlsx=f"/api/v1/reports/kpis?{urlencode(query | {'format': 'xlsx'})}")


@router.get("/reports/top-reasons")
def top_page(request: Request, session: SessionDep, clock: ClockDep, me: Reader, first: str | None = None,
             last: str | None = None):
    fr, to = _dates(clock, first, last)
    report, w = service.top_reasons(session, service.period(fr, to)), Words(request, me)
    chart = _chart("bar", [r["name"] for r in report["data"]], [
        {"label": w.t("rpt.this_period"), "data": [r["count"] for r in report["data"]]},
        {"label": w.t("rpt.previous_period"), "data": [r["previous"] for r in report["data"]]}])
    query = {"from": fr.isoformat(), "to": to.isoformat()}
    return render(request, "reports/top.html", me, report=report, first=fr, last=to, chart=chart,
                  export_csv=f"/api/v1/reports/top-reasons?{urlencode(query | {'format': 'csv'})}",
                  export_xlsx=f"/api/v1/reports/top-reasons?{urlencode(query | {'format': 'xlsx'})}")


@router.get("/reports/top-reasons/{category_id}")
def drill_page(category_id: int, request: Request, session: SessionDep, clock: ClockDep, me: ContactReader,
               first: str | None = None, last: str | None = None):
    """The contacts behind one TOP10 reason (newest first, the first 200)."""
    fr, to = _dates(clock, first, last)
    p = service.period(fr, to)
    f = contact_queries.ContactFilter(category_id=category_id, offered_from=p.start, offered_to=p.end)
    page = contact_queries.page_contacts(session, f, limit=200, offset=0)
    name = queries.labels(session, "category", [category_id]).get(category_id, str(category_id))
    return render(request, "reports/drill.html", me, rows=page.rows, count=page.count, capped=page.capped,
                  name=name, first=fr, last=to)


@router.get("/wallboard")
def wallboard_page(request: Request, session: SessionDep, clock: ClockDep, me: Reader):
    return render(request, "reports/wallboard.html", me, **_board(session, clock, Words(request, me)))


@router.get("/wallboard/panel")
def wallboard_panel(request: Request, session: SessionDep, clock: ClockDep, me: Reader):
    """The live part of the wallboard, polled by htmx every 10 s."""
    return render(request, "reports/_wallboard_panel.html", me, **_board(session, clock, Words(request, me)))


def _board(session, clock, w: Words) -> dict:
    b = wallboard.snapshot(session, now=clock.now())
    chart = _chart("bar", [i["start"] for i in b["intervals"]], [
        {"label": w.t("rpt.calls_chats"), "data": [i["offered"] for i in b["intervals"]]},
        {"label": w.t("rpt.answered"), "data": [i["answered"] for i in b["intervals"]]}])
    return {"board": b, "chart": chart}


SATISFACTION_GROUPS = ("day", "month", "channel", "team", "agent", "category", "business_line")


@router.get("/reports/satisfaction")
def satisfaction_page(request: Request, session: SessionDep, clock: ClockDep, me: Reader, first: str | None = None,
                      last: str | None = None, group_by: str = "day"):
    """满意度 by group against the benchmark lines and the center's target; 解决力 grades per team."""
    from kefu.reports.targets import BENCHMARKS, parse_targets
    from kefu.satisfaction.service import grade_distribution

    fr, to = _dates(clock, first, last)
    group_by = group_by if group_by in SATISFACTION_GROUPS else "day"
    p, w = service.period(fr, to), Words(request, me)
    rows = [r for r in queries.kpi_rows(session, p, group_by, words=w.labels()) if r["rated"]]
    target = parse_targets(get_settings().kpi_targets).get("satisfaction_rate")
    lines = {**w.benchmarks(BENCHMARKS), **({w.t("rpt.center_target"): target.value} if target else {})}
    labels = [str(r["label"]) for r in rows]
    datasets = [{"type": "bar", "label": w.t("rpt.satisfaction"), "data": [r["satisfaction_rate"] for r in rows]}] + [
        {"type": "line", "label": f"{name} {value:.1%}", "data": [value] * len(rows), "pointRadius": 0,
         "borderDash": [6, 4]} for name, value in lines.items()]
    chart = json.dumps({"type": "bar", "data": {"labels": labels, "datasets": datasets}, "percent": True},
                       ensure_ascii=False)
    grades = grade_distribution(session, start=p.start, end=p.end, group_by="team",
                                none_label=w.t("rpt.none.agent"))
    return render(request, "reports/satisfaction.html", me, rows=rows, first=fr, last=to, group_by=group_by,
                  groups=w.groups(SATISFACTION_GROUPS), chart=chart, lines=lines, grades=grades)


VocWriter = Annotated[Principal, web_user(Perm.voc_write)]


def _voc(session, clock, line: int | None, week: str | None):
    """The active lines, the chosen day and the report of the line (the first line by default)."""
    from sqlalchemy import select

    from kefu.catalog.models import BusinessLine
    from kefu.reports import voc

    lines = session.execute(select(BusinessLine.id, BusinessLine.name).where(BusinessLine.is_active.is_(True))
                            .order_by(BusinessLine.id)).all()
    day, _ = _dates(clock, week, week)
    report = voc.weekly(session, line_id=line or (lines[0][0] if lines else 0), day=day) if lines else None
    return lines, day, report


@router.get("/reports/voc")
def voc_page(request: Request, session: SessionDep, clock: ClockDep, me: Reader, line: int | None = None,
             week: str | None = None):
    """客户之声周报 of a business line: the week holding ``week`` (a date; default this week)."""
    return _voc_page(request, session, clock, me, line, week)


def _voc_page(request, session, clock, me, line, week, errors=None, status_code=200):
    from kefu.reports import fixes, mailing

    lines, day, report = _voc(session, clock, line, week)
    suggested = fixes.week_fixes(session, line_id=report["line"]["id"], day=day) if report else []
    can_fix = me.can(Perm.voc_write)
    subs = mailing.subscriptions(session, line_id=report["line"]["id"]) if report and can_fix else []
    return render(request, "reports/voc.html", me, status_code=status_code, report=report, lines=lines, week=day,
                  kpi_names=Words(request, me).kpis(), fixes=suggested, can_fix=can_fix, subscriptions=subs,
                  errors=errors or {})


@router.post("/reports/voc/subscriptions")
def voc_subscribe(request: Request, session: SessionDep, clock: ClockDep, me: VocWriter,
                  line: Annotated[int, Form()], email: Annotated[str, Form()] = "",
                  username: Annotated[str, Form()] = ""):
    """Add a subscriber (a user by sign-in name, or an address) to the line's weekly mail."""
    from sqlalchemy import select

    from kefu.accounts.models import User
    from kefu.core.errors import NotFound
    from kefu.reports import mailing

    def add():
        user_id = None
        if username.strip():
            user_id = session.scalar(select(User.id).where(User.username == username.strip()))
            if user_id is None:
                raise NotFound(f"no user {username.strip()!r}", field="username")
        mailing.subscribe(session, actor=me.actor, line_id=line, user_id=user_id, email=email)

    return run_action(request, session, f"/reports/voc?{urlencode({'line': line})}", add,
                      lambda errors, code: _voc_page(request, session, clock, me, line, None,
                                                     {"subscription": errors["form"]}, code))


@router.post("/reports/voc/subscriptions/{subscription_id}/delete")
def voc_unsubscribe(subscription_id: int, request: Request, session: SessionDep, clock: ClockDep, me: VocWriter):
    from kefu.reports import mailing
    from kefu.reports.models import VocSubscription

    sub = session.get(VocSubscription, subscription_id)
    back = f"/reports/voc?{urlencode({'line': sub.business_line_id})}" if sub else "/reports/voc"
    return run_action(request, session, back,
                      lambda: mailing.unsubscribe(session, actor=me.actor, subscription_id=subscription_id),
                      lambda errors, code: _voc_page(request, session, clock, me, None, None, errors, code))


@router.post("/reports/voc/fixes")
def voc_add_fix(request: Request, session: SessionDep, clock: ClockDep, me: VocWriter,
                line: Annotated[int, Form()], week: Annotated[str, Form()], text: Annotated[str, Form()] = "",
                topic: Annotated[str, Form()] = "", owner: Annotated[str, Form()] = ""):
    """Add a suggested fix (建议改进措施) to the week's report of the line; back to the page."""
    from kefu.reports import fixes

    day, _ = _dates(clock, week, week)
    return run_action(request, session, f"/reports/voc?{urlencode({'line': line, 'week': day.isoformat()})}",
                      lambda: fixes.add_fix(session, actor=me.actor, line_id=line, day=day, text=text, topic=topic,
                                            owner=owner),
                      lambda errors, code: _voc_page(request, session, clock, me, line, week, errors, code))


@router.post("/reports/voc/fixes/{fix_id}/delete")
def voc_remove_fix(fix_id: int, request: Request, session: SessionDep, clock: ClockDep, me: VocWriter):
    """Remove a suggested fix; back to its week's page."""
    from kefu.reports import fixes
    from kefu.reports.models import VocFix

    fix = session.get(VocFix, fix_id)
    back = (f"/reports/voc?{urlencode({'line': fix.business_line_id, 'week': fix.week.isoformat()})}" if fix
            else "/reports/voc")
    return run_action(request, session, back, lambda: fixes.remove_fix(session, actor=me.actor, fix_id=fix_id),
                      lambda errors, code: _voc_page(request, session, clock, me, None, None, errors, code))


@router.get("/reports/voc.pdf")
def voc_pdf(session: SessionDep, clock: ClockDep, me: Reader, line: int | None = None, week: str | None = None):
    """The same weekly report as a PDF to download or forward."""
    from fastapi.responses import Response

    from kefu.core.errors import NotFound
    from kefu.reports import fixes, pdf

    _, day, report = _voc(session, clock, line, week)
    if report is None:
        raise NotFound("no active business line", field="line")
    name = f"voc-{report['line']['code']}-{report['from']}.pdf"
    suggested = fixes.week_fixes(session, line_id=report["line"]["id"], day=day)
    return Response(pdf.render(report, suggested), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

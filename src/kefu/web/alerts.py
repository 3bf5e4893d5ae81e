"""/alerts: complaint-spike alerts (上报预警) for team leaders and supervisors, the list refreshing itself
(htmx, every 5 s) and a count in the top bar on every page; acknowledge and resolve. /admin/alert-rules:
supervisors and admins edit the rules file, refused with the field named."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from kefu.alerts import store
from kefu.alerts.models import Alert
from kefu.catalog.models import Category
from kefu.core.deps import Principal, SessionDep
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.web.admin import run_action
from kefu.web.pages import render, web_user

router = Router()
Reader = Annotated[Principal, web_user(Perm.alerts_read)]
Handler = Annotated[Principal, web_user(Perm.alerts_handle)]
Editor = Annotated[Principal, web_user(Perm.alerts_rules)]
Text = Annotated[str, Form()]


def _active(session):
    rows = session.scalars(select(Alert).where(Alert.status != "resolved")
                           .order_by(Alert.rank.desc(), Alert.raised_at.desc()).limit(100)).all()
    names = dict(session.execute(select(Category.id, Category.name)).all())
    return [(a, names.get(a.category_id, "未分类")) for a in rows]


def _recent(session):
    rows = session.scalars(select(Alert).where(Alert.status == "resolved")
                           .order_by(Alert.resolved_at.desc()).limit(20)).all()
    names = dict(session.execute(select(Category.id, Category.name)).all())
    return [(a, names.get(a.category_id, "未分类")) for a in rows]


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, session: SessionDep, me: Reader):
    return render(request, "alerts/page.html", me, active=_active(session), recent=_recent(session))


@router.get("/alerts/live", response_class=HTMLResponse)
def alerts_live(request: Request, session: SessionDep, me: Reader):
    """The open alerts' table alone: the page swaps it in every few seconds."""
    return render(request, "alerts/_active.html", me, active=_active(session))


@router.get("/alerts/badge", response_class=HTMLResponse)
def alerts_badge(request: Request, session: SessionDep, me: Reader):
    """How many alerts are open (not acknowledged), for the top bar of every page."""
    n = session.scalar(select(func.count()).select_from(Alert).where(Alert.status == "open"))
    return render(request, "alerts/_badge.html", me, n=n)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: int, request: Request, session: SessionDep, me: Handler, note: Text = ""):
    return run_action(request, session, "/alerts", lambda: store.acknowledge(
        session, actor=me.actor, alert=store.get_alert(session, alert_id), note=note.strip()[:2000] or None),
        lambda errors, code: render(request, "alerts/page.html", me, status_code=code, active=_active(session),
                                    recent=_recent(session), errors=errors))


@router.post("/alerts/{alert_id}/resolve")
def resolve(alert_id: int, request: Request, session: SessionDep, me: Handler, note: Text = ""):
    return run_action(request, session, "/alerts", lambda: store.resolve(
        session, actor=me.actor, alert=store.get_alert(session, alert_id), note=note.strip()[:2000] or None),
        lambda errors, code: render(request, "alerts/page.html", me, status_code=code, active=_active(session),
                                    recent=_recent(session), errors=errors))


def _rules_page(request, session, me, errors=None, status_code=200, source=None):
    rules = store.current_rules(session)
    return render(request, "alerts/rules.html", me, status_code=status_code, rules=rules,
                  source=source if source is not None else rules.source, errors=errors or {})


@router.get("/admin/alert-rules", response_class=HTMLResponse)
def rules_page(request: Request, session: SessionDep, me: Editor):
    return _rules_page(request, session, me)


@router.post("/admin/alert-rules")
def save_rules(request: Request, session: SessionDep, me: Editor, source: Text = ""):
    return run_action(request, session, "/admin/alert-rules",
                      lambda: store.save_rules(session, actor=me.actor, source=source),
                      lambda errors, code: _rules_page(request, session, me, errors, code, source))

"""Pages for complaints: the regulator intake form (complaint specialists and above), the internal feedback
form (agents and above), and the reply to the regulator from the ticket page's case panel."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from kefu.catalog.models import BusinessLine, Category
from kefu.catalog.service import category_paths
from kefu.channels import complaints
from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.errors import DomainError, Invalid, NotFound
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.web import fmt, ticket_page
from kefu.web.errors import error_text
from kefu.web.pages import language, render, web_user

router = Router()
RegulatorFiler = Annotated[Principal, web_user(Perm.complaints_regulator)]
InternalFiler = Annotated[Principal, web_user(Perm.complaints_internal)]
Replier = Annotated[Principal, web_user(Perm.complaints_reply)]
Text = Annotated[str, Form()]
LOCAL = "%Y-%m-%dT%H:%M"


def _choices(session) -> dict:
    paths = category_paths(session)
    rows = session.execute(select(Category.id, Category.code).where(Category.is_active.is_(True))).all()
    categories = sorted(((code, paths[cid]) for cid, code in rows), key=lambda pair: pair[1])
    lines = session.execute(select(BusinessLine.code, BusinessLine.name).order_by(BusinessLine.code)).all()
    return {"categories": categories, "lines": lines, "sources": list(complaints.REGULATOR_SOURCES)}


def _when(value: str, field: str):
    parsed = fmt.parse_local(value)
    if parsed is None:
        raise Invalid("the time is missing or not a date and time", field=field)
    return parsed


def _regulator_page(request, session, me, *, values: dict, errors: dict, status_code: int = 200):
    return render(request, "complaints/regulator_new.html", me, status_code=status_code, values=values,
                  errors=errors, **_choices(session))


@router.get("/complaints/regulator/new")
def regulator_form(request: Request, session: SessionDep, clock: ClockDep, me: RegulatorFiler):
    now = clock.now().astimezone(get_settings().tz)
    values = {"source": "12315", "received_at": now.strftime(LOCAL),
              "reply_due_at": (now + timedelta(days=7)).strftime(LOCAL)}
    return _regulator_page(request, session, me, values=values, errors={})


@router.post("/complaints/regulator/new")
def file_regulator(request: Request, session: SessionDep, me: RegulatorFiler, source: Text = "12315",
                   case_number: Text = "", received_at: Text = "", reply_due_at: Text = "",
                   customer_name: Text = "", phone: Text = "", email: Text = "", content: Text = "",
                   category_code: Text = "", business_line_code: Text = ""):
    values = {"source": source, "case_number": case_number, "received_at": received_at,
              "reply_due_at": reply_due_at, "customer_name": customer_name, "phone": phone, "email": email,
              "content": content, "category_code": category_code, "business_line_code": business_line_code}
    try:
        if not customer_name.strip():
            raise Invalid("the complainant's name is required", field="customer_name")
        for name, value, limit in (("content", content, 10000), ("case_number", case_number, 64),
                                   ("customer_name", customer_name, 100)):
            if len(value) > limit:
                raise Invalid(f"{name} is too long (at most {limit} characters)", field=name)
        case = complaints.file_regulator_case(
            session, actor=me.actor, source=source, case_number=case_number,
            received_at=_when(received_at, "received_at"), reply_due_at=_when(reply_due_at, "reply_due_at"),
            customer_name=customer_name, content=content, phone=phone.strip() or None,
            email=email.strip() or None, category_code=category_code or None,
            business_line_code=business_line_code or None)
        session.flush()
    except DomainError as exc:
        session.rollback()
        return _regulator_page(request, session, me, values=values, status_code=exc.status_code,
                               errors={exc.field or "form": error_text(exc, language(request, me))})
    return RedirectResponse(f"/tickets/{case.ticket_id}", status_code=303)


def _internal_page(request, session, me, *, values: dict, errors: dict, status_code: int = 200):
    return render(request, "complaints/internal_new.html", me, status_code=status_code, values=values,
                  errors=errors, **_choices(session))


@router.get("/complaints/internal/new")
def internal_form(request: Request, session: SessionDep, me: InternalFiler, original_ticket_id: str = ""):
    return _internal_page(request, session, me, values={"original_ticket_id": original_ticket_id}, errors={})


@router.post("/complaints/internal/new")
def file_internal(request: Request, session: SessionDep, me: InternalFiler, content: Text = "",
                  original_ticket_id: Text = "", customer_id: Text = "", category_code: Text = "",
                  priority: Text = "high"):
    values = {"content": content, "original_ticket_id": original_ticket_id, "customer_id": customer_id,
              "category_code": category_code, "priority": priority}
    try:
        if len(content) > 10000:
            raise Invalid("content is too long (at most 10000 characters)", field="content")
        case = complaints.file_internal_feedback(
            session, actor=me.actor, content=content, priority=priority, category_code=category_code or None,
            original_ticket_id=ticket_page._ref(original_ticket_id.lstrip("#"), "original_ticket_id"),
            customer_id=ticket_page._ref(customer_id, "customer_id"))
        session.flush()
    except DomainError as exc:
        session.rollback()
        return _internal_page(request, session, me, values=values, status_code=exc.status_code,
                              errors={exc.field or "form": error_text(exc, language(request, me))})
    return RedirectResponse(f"/tickets/{case.ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/regulator-reply")
def reply(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Replier, body: Text = ""):
    """As ``POST /api/v1/complaints/regulator/{case_id}/reply``, from the case panel of the ticket page."""
    case = complaints.case_of_ticket(session, ticket_id)
    if case is None:
        raise NotFound(f"ticket {ticket_id} has no regulator case")
    return ticket_page._act(request, session, clock, me, ticket_id, "regulator", lambda t: complaints.record_reply(
        session, actor=me.actor, case=case, body=body[:10000]), values={"regulator_body": body})

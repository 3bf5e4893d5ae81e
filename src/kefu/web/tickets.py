"""/tickets: the filtered, searchable list and the new-ticket form."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from kefu.catalog.models import Category
from kefu.catalog.service import category_paths
from kefu.core import pii
from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.errors import DomainError
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.customers.service import search_customers
from kefu.tickets import queries, service
from kefu.tickets.models import CHANNELS, COMPLAINT_TYPES, PRIORITIES, STATUSES
from kefu.web.errors import error_text
from kefu.web.pages import Staff, language, render, web_user

router = Router(prefix="/tickets")
PAGE_SIZE = 25
Writer = Annotated[Principal, web_user(Perm.tickets_write)]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def active_categories(session) -> list[tuple[int, str]]:
    """(id, '外卖 / 配送问题 / 超时未送达') for every active category, sorted by path."""
    paths = category_paths(session)
    ids = session.scalars(select(Category.id).where(Category.is_active.is_(True))).all()
    return sorted(((cid, paths[cid]) for cid in ids), key=lambda pair: pair[1])


@router.get("")
def ticket_list(request: Request, session: SessionDep, clock: ClockDep, me: Staff, status: str = "",
                tier: str = "", category_id: str = "", overdue: str = "", mine: str = "", q: str = "",
                page: int = 1):
    f = queries.TicketFilter(status=[status] if status in STATUSES else [], tier=_int(tier),
                             category_id=_int(category_id), overdue=bool(overdue),
                             assignee_id=me.user.id if mine else None, q=q.strip()[:100] or None,
                             order="number" if q.strip() else "queue")  # as the API: newest matches first
    now = clock.now()
    today = queries.start_of_local_day(now, get_settings().tz)
    page = max(page, 1)
    found = queries.page_tickets(session, f, now=now, today_start=today, limit=PAGE_SIZE,
                                 offset=(page - 1) * PAGE_SIZE)
    rows, count = found.rows, found.count
    paths = category_paths(session)
    items = [{"t": t, "phone": pii.mask_phone(t.customer.phone) if t.customer else None,
              "path": paths.get(t.category_id, "") if t.category_id else "",
              "overdue": queries.overdue(t, now), "carry": queries.is_carry_over(t, today)} for t in rows]
    params = {"status": status, "tier": tier, "category_id": category_id, "overdue": overdue, "mine": mine,
              "q": q}
    pages = max(1, -(-count // PAGE_SIZE)) + (1 if found.capped else 0)  # capped: at least one more page
    return render(request, "tickets/list.html", me, items=items, count=f"{count}+" if found.capped else count,
                  page=page, pages=pages, params=params, statuses=STATUSES,
                  categories=active_categories(session))


def _customer_options(session, q: str) -> list[dict]:
    rows, _ = search_customers(session, q=q.strip() or None, role=None, limit=20, offset=0)
    return [{"id": c.id, "name": c.name, "phone": pii.mask_phone(c.phone)} for c in rows]


def _form_page(request, session, me, *, values: dict, errors: dict, status_code: int = 200):
    chosen = _int(values.get("customer_id"))
    options = _customer_options(session, values.get("cq", ""))
    if chosen and all(o["id"] != chosen for o in options) and (c := session.get(Customer, chosen)):
        options.insert(0, {"id": c.id, "name": c.name, "phone": pii.mask_phone(c.phone)})
    return render(request, "tickets/new.html", me, status_code=status_code, values=values, errors=errors,
                  customers=options, categories=active_categories(session), channels=CHANNELS,
                  priorities=PRIORITIES, complaint_types=COMPLAINT_TYPES)


@router.get("/new")
def new_ticket(request: Request, session: SessionDep, me: Writer, cq: str = "", customer_id: str = ""):
    values = {"cq": cq, "customer_id": customer_id, "priority": "normal", "channel": "phone",
              "complaint_type": "none"}
    return _form_page(request, session, me, values=values, errors={})


@router.get("/new/customers")
def customer_options(request: Request, session: SessionDep, me: Writer, cq: str = ""):
    """The customer <option>s matching a search (htmx swaps them into the form)."""
    return render(request, "tickets/_customer_options.html", me, customers=_customer_options(session, cq),
                  values={})


@router.post("/new")
def create(request: Request, session: SessionDep, me: Writer, subject: Annotated[str, Form()] = "",
           description: Annotated[str, Form()] = "", customer_id: Annotated[str, Form()] = "",
           category_id: Annotated[str, Form()] = "", channel: Annotated[str, Form()] = "phone",
           priority: Annotated[str, Form()] = "normal", complaint_type: Annotated[str, Form()] = "none",
           cq: Annotated[str, Form()] = ""):
    values = {"subject": subject, "description": description, "customer_id": customer_id,
              "category_id": category_id, "channel": channel, "priority": priority,
              "complaint_type": complaint_type, "cq": cq}
    errors = {}
    if not subject.strip():
        errors["subject"] = "err.required"
    elif len(subject) > 200:
        errors["subject"] = "err.too_long"
    if len(description) > 20000:
        errors["description"] = "err.too_long"
    if errors:
        return _form_page(request, session, me, values=values, errors=errors, status_code=422)
    data = {"subject": subject.strip(), "description": description, "customer_id": _int(customer_id),
            "category_id": _int(category_id), "channel": channel, "priority": priority,
            "complaint_type": complaint_type}
    try:
        ticket = service.create_ticket(session, actor=me.actor, data=data)
    except DomainError as exc:
        session.rollback()
        return _form_page(request, session, me, values=values,
                          errors={exc.field or "form": error_text(exc, language(request, me))},
                          status_code=exc.status_code)
    return RedirectResponse(f"/tickets/{ticket.id}", status_code=303)

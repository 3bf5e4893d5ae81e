"""/customers/{id}: a customer's details (PII masked, as the API shows them), their tickets, the edit
form (roles that may write customers) and the audited reveal (team leads and above, with a reason).

The page never puts stored PII into a form: the PII inputs start empty, an empty input keeps the stored
value and "clear" removes it, so saving never loses what is on file and an agent never sees it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse

from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.errors import DomainError, Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.customers import service
from kefu.customers.models import CUSTOMER_ROLES, Customer
from kefu.tickets import queries
from kefu.web.errors import error_text
from kefu.web.pages import Staff, language, render, web_user

router = Router(prefix="/customers/{customer_id}")
Writer = Annotated[Principal, web_user(Perm.customers_write)]
Revealer = Annotated[Principal, web_user(Perm.pii_reveal)]
Text = Annotated[str, Form()]
TICKETS_SHOWN = 20
# what the form edits, with the longest value each column takes
LIMITS = {"name": 100, "phone": 32, "email": 200, "wechat_openid": 64, "address": 300}
PII_EDITED = ("phone", "email", "wechat_openid", "address")
LABELS = {"name": "customer.name", "role": "customer.role", "title": "customer.salutation"}  # error labels on this page


def _page(request: Request, session, clock, me: Principal, customer: Customer, *, errors: dict | None = None,
          values: dict | None = None, revealed: dict | None = None, status_code: int = 200):
    now = clock.now()
    rows, count = queries.list_tickets(
        session, queries.TicketFilter(customer_id=customer.id, order="newest"), now=now,
        today_start=queries.start_of_local_day(now, get_settings().tz), limit=TICKETS_SHOWN, offset=0)
    response = render(
        request, "customers/detail.html", me, status_code=status_code, customer=service.masked_view(customer),
        revealed=revealed, tickets=rows, count=count, shown=TICKETS_SHOWN, errors=errors or {},
        values=values or {"name": customer.name, "role": customer.role, "title": customer.title or ""},
        roles=CUSTOMER_ROLES, titles=service.TITLES,
        pii_fields=PII_EDITED, limits=LIMITS, can_edit=me.can(Perm.customers_write), can_reveal=me.can(Perm.pii_reveal))
    if revealed is not None:
        response.headers["Cache-Control"] = "no-store"  # the unmasked page is shown once, never cached
    return response


@router.get("")
def customer_page(customer_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Staff):
    return _page(request, session, clock, me, service.get_customer(session, customer_id))


def changes_from_form(customer: Customer, form: dict[str, str], clear: set[str]) -> dict:
    """The fields to update: name and role when changed; a PII field when a new value was typed (empty
    keeps the stored one) or when "clear" was ticked. Too long a value is refused, naming its field."""
    changes: dict = {}
    for name, value in form.items():
        value = value.strip()
        if (limit := LIMITS.get(name)) and len(value) > limit:
            raise Invalid(f"{name} is too long (at most {limit} characters)", field=name)
        if name in PII_EDITED:
            if name in clear:
                value = None
            elif not value:
                continue
        elif name == "title":
            value = value or None
        if value != getattr(customer, name):
            changes[name] = value
    return changes


@router.post("")
def update_customer(customer_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Writer,
                    name: Text = "", role: Text = "", title: Text = "", phone: Text = "", email: Text = "",
                    wechat_openid: Text = "", address: Text = "", clear: Annotated[list[str] | None, Form()] = None):
    """As ``PATCH /api/v1/customers/{id}``: ``service.update_customer`` checks and audits (field names only)."""
    customer = service.get_customer(session, customer_id)
    form = {"name": name, "role": role, "title": title, "phone": phone, "email": email, "wechat_openid": wechat_openid,
            "address": address}
    try:
        changes = changes_from_form(customer, form, set(clear or ()) & set(PII_EDITED))
        if changes:
            service.update_customer(session, actor=me.actor, customer=customer, changes=changes)
            session.flush()
    except DomainError as exc:
        session.rollback()
        customer = service.get_customer(session, customer_id)
        return _page(request, session, clock, me, customer, status_code=exc.status_code, values=form,
                     errors={"edit": error_text(exc, language(request, me), LABELS), "field": exc.field})
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


@router.post("/reveal")
def reveal(customer_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Revealer,
           reason: Text = ""):
    """The unmasked details, shown in this answer only; the same audited service as
    ``POST /api/v1/customers/{id}/reveal``."""
    customer = service.get_customer(session, customer_id)
    try:
        if len(reason.strip()) > 200:
            raise Invalid("reason is too long (at most 200 characters)", field="reason")
        revealed = service.reveal(session, actor=me.actor, customer=customer, reason=reason.strip())
    except DomainError as exc:
        session.rollback()
        return _page(request, session, clock, me, service.get_customer(session, customer_id),
                     status_code=exc.status_code, errors={"reveal": error_text(exc, language(request, me))})
    return _page(request, session, clock, me, customer, revealed=revealed)

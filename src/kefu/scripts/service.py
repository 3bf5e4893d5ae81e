"""The script library: listing, admin edits (audited) and rendering a script for a customer and agent."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.audit.service import record
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Invalid, NotFound
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.scripts.models import CATEGORIES, LANGUAGES, SHORTCUT_PATTERN, Script
from kefu.scripts.render import PLACEHOLDERS, render, salutation, unknown_placeholders
from kefu.tickets.models import Ticket

EDITABLE = ("code", "category", "title", "body", "shortcut", "language", "sort_order", "is_active")
_SHORTCUT = re.compile(SHORTCUT_PATTERN)
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,60}$")


def _check(session: Session, data: dict, script: Script | None = None) -> None:
    for name in ("title", "body"):
        if name in data and not (data[name] or "").strip():
            raise Invalid(f"{name} must not be empty", field=name)
    if "code" in data and not _CODE.match(data["code"] or ""):
        raise Invalid("code may use letters, digits, '_', '.', '-' (1–60)", field="code")
    if "category" in data and data["category"] not in CATEGORIES:
        raise Invalid(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    if "language" in data and data["language"] not in LANGUAGES:
        raise Invalid(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    if data.get("shortcut") and not _SHORTCUT.match(data["shortcut"]):
        raise Invalid("a shortcut starts with / or ; then 1–15 letters, digits, '_' or '-'", field="shortcut")
    if "body" in data and (unknown := unknown_placeholders(data["body"])):
        names = " ".join("{" + n + "}" for n in unknown)
        raise Invalid(f"unknown placeholder {names} in the body", field="body")
    if _taken(session, "code", data, script):
        raise Conflict(f"code {data['code']!r} is taken", field="code")
    if _taken(session, "shortcut", data, script):
        raise Conflict(f"shortcut {data['shortcut']!r} is taken", field="shortcut")


def _taken(session: Session, name: str, data: dict, script: Script | None) -> bool:
    value = data.get(name)
    if not value or (script is not None and value == getattr(script, name)):
        return False
    return session.scalar(select(Script.id).where(getattr(Script, name) == value)) is not None


def create_script(session: Session, *, actor: Actor, data: dict) -> Script:
    data = {k: v for k, v in data.items() if k in EDITABLE}
    data["shortcut"] = data.get("shortcut") or None
    _check(session, data)
    script = Script(**data, updated_by_id=actor.user_id, updated_at=actor.now)
    session.add(script)
    session.flush()
    record(session, actor=actor, action="script.create", target_type="script", target_id=script.id,
           detail={"code": script.code, "shortcut": script.shortcut})
    return script


def update_script(session: Session, *, actor: Actor, script: Script, changes: dict) -> Script:
    changes = {k: v for k, v in changes.items() if k in EDITABLE}
    if "shortcut" in changes:
        changes["shortcut"] = changes["shortcut"] or None
    _check(session, changes, script)
    before = {k: getattr(script, k) for k in changes}
    for key, value in changes.items():
        setattr(script, key, value)
    script.updated_by_id, script.updated_at = actor.user_id, actor.now
    record(session, actor=actor, action="script.update", target_type="script", target_id=script.id,
           detail={"before": before, "after": changes})
    return script


def get_script(session: Session, script_id: int) -> Script:
    script = session.get(Script, script_id)
    if script is None:
        raise NotFound(f"no script {script_id}")
    return script


def list_scripts(session: Session, *, category: str | None = None, q: str | None = None,
                 active: bool | None = True, language: str | None = None) -> list[Script]:
    """Scripts in the order of a contact (opening … idle closing), then by sort order."""
    stmt = select(Script)
    if category:
        stmt = stmt.where(Script.category == category)
    if active is not None:
        stmt = stmt.where(Script.is_active.is_(active))
    if language:
        stmt = stmt.where(Script.language == language)
    if q and q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Script.title.like(like), Script.body.like(like), Script.shortcut.like(like),
                              Script.code.like(like)))
    rank = {c: i for i, c in enumerate(CATEGORIES)}
    rows = session.scalars(stmt.order_by(Script.sort_order, Script.id)).all()
    return sorted(rows, key=lambda s: (rank.get(s.category, len(rank)), s.language != "zh-CN"))


def context(*, agent: User | None, customer: Customer | None, ticket: Ticket | None, now, lang: str) -> dict:
    """The placeholder values for one contact. The customer is named by surname and title only."""
    settings = get_settings()
    return {
        "称呼": salutation(customer.name, customer.title, lang=lang) if customer else None,
        "坐席": (agent.display_name or agent.username) if agent else None,
        "中心": settings.center_name,
        "工单号": str(ticket.id) if ticket else None,
        "时间": now.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
    }


def render_script(session: Session, *, script: Script, agent: User | None, now, ticket_id: int | None = None,
                  customer_id: int | None = None) -> str:
    """The script's text for this ticket's (or this) customer, said by ``agent``."""
    ticket = customer = None
    if ticket_id is not None:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket {ticket_id}")
        customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"no customer {customer_id}")
    values = context(agent=agent, customer=customer, ticket=ticket, now=now, lang=script.language)
    return render(script.body, values, lang=script.language)


__all__ = ["PLACEHOLDERS", "create_script", "get_script", "list_scripts", "render_script", "update_script"]

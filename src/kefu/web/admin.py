"""/admin: users, the category tree and SLA policies. Admins only (every route checks its permission)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from kefu.accounts import service as accounts
from kefu.accounts.models import Team, User
from kefu.audit.service import record
from kefu.catalog import service as catalog
from kefu.catalog.models import SEVERITY_CLASSES, Category
from kefu.core.deps import Principal, SessionDep
from kefu.core.errors import Conflict, DomainError, Invalid, NotFound
from kefu.core.roles import Perm, Role
from kefu.sla.models import SlaCalendar, SlaPolicy
from kefu.tickets.models import CHANNELS, COMPLAINT_TYPES, PRIORITIES
from kefu.web.errors import error_text
from kefu.web.pages import language, render, web_user

router = APIRouter(prefix="/admin")
UserAdmin = Annotated[Principal, web_user(Perm.users_write)]
CategoryAdmin = Annotated[Principal, web_user(Perm.categories_write)]
SlaAdmin = Annotated[Principal, web_user(Perm.sla_write)]
Text = Annotated[str, Form()]


def _id(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _run(request, session, redirect: str, action: Callable[[], object], page: Callable[[dict, int], object]):
    """Run ``action``; on a refusal undo it and re-render the page with the message in the user's language."""
    try:
        action()
        session.flush()
    except DomainError as exc:
        session.rollback()
        message = error_text(exc, language(request, getattr(request.state, "principal", None)))
        return page({"form": message, "field": exc.field}, exc.status_code)
    return RedirectResponse(redirect, status_code=303)


# -- users --------------------------------------------------------------------
def _users_page(request, session, me, errors=None, status_code=200):
    users = session.scalars(select(User).order_by(User.is_active.desc(), User.role, User.id)).all()
    teams = session.scalars(select(Team).order_by(Team.id)).all()
    return render(request, "admin/users.html", me, status_code=status_code, users=users, teams=teams,
                  roles=list(Role), errors=errors or {})


@router.get("/users")
def users_page(request: Request, session: SessionDep, me: UserAdmin):
    return _users_page(request, session, me)


@router.post("/users")
def create_user(request: Request, session: SessionDep, me: UserAdmin, username: Text = "",
                password: Text = "", display_name: Text = "", role: Text = "agent", team_id: Text = ""):
    return _run(request, session, "/admin/users", lambda: accounts.create_user(
        session, actor=me.actor, username=username.strip(), password=password, role=role,
        display_name=display_name.strip()[:100] or None, team_id=_id(team_id)),
        lambda errors, code: _users_page(request, session, me, errors, code))


@router.post("/users/{user_id}/deactivate")
def deactivate_user(user_id: int, session: SessionDep, me: UserAdmin):
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    if user.id == me.user.id:
        raise Conflict("you cannot deactivate your own account")
    accounts.update_user(session, actor=me.actor, user=user, changes={"is_active": False})
    accounts.revoke_all_sessions(session, user=user, now=me.actor.now)
    return RedirectResponse("/admin/users", status_code=303)


# -- categories -----------------------------------------------------------------
def tree(categories: list[Category]) -> list[tuple[Category, int]]:
    """Categories in tree order with their depth (parents before children, siblings by sort order)."""
    children: dict[int | None, list[Category]] = {}
    ids = {c.id for c in categories}
    for c in sorted(categories, key=lambda c: (c.sort_order, c.id)):
        children.setdefault(c.parent_id if c.parent_id in ids else None, []).append(c)
    out: list[tuple[Category, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            out.append((c, depth))
            if depth < 20:
                walk(c.id, depth + 1)

    walk(None, 0)
    return out


def _categories_page(request, session, me, errors=None, status_code=200):
    rows = session.scalars(select(Category)).all()
    return render(request, "admin/categories.html", me, status_code=status_code, rows=tree(list(rows)),
                  paths=catalog.category_paths(session), classes=SEVERITY_CLASSES, errors=errors or {})


@router.get("/categories")
def categories_page(request: Request, session: SessionDep, me: CategoryAdmin):
    return _categories_page(request, session, me)


@router.post("/categories")
def create_category(request: Request, session: SessionDep, me: CategoryAdmin, code: Text = "",
                    name: Text = "", parent_id: Text = "", severity_class: Text = "none"):
    def action():
        if not code.strip() or not name.strip():
            raise Invalid("code and name are required", field="name")
        return catalog.create_category(session, actor=me.actor, data={
            "code": code.strip()[:60], "name": name.strip()[:100], "parent_id": _id(parent_id),
            "severity_class": severity_class})

    return _run(request, session, "/admin/categories", action,
                lambda errors, code_: _categories_page(request, session, me, errors, code_))


@router.post("/categories/{category_id}")
def update_category(category_id: int, request: Request, session: SessionDep, me: CategoryAdmin,
                    name: Text = "", parent_id: Text = "", severity_class: Text = "none"):
    category = catalog.get_category(session, category_id)
    changes = {"name": name.strip()[:100], "parent_id": _id(parent_id), "severity_class": severity_class}
    return _run(request, session, "/admin/categories",
                lambda: catalog.update_category(session, actor=me.actor, category=category, changes=changes),
                lambda errors, code: _categories_page(request, session, me, errors, code))


@router.post("/categories/{category_id}/active")
def set_category_active(category_id: int, session: SessionDep, me: CategoryAdmin, active: Text = "0"):
    category = catalog.get_category(session, category_id)
    catalog.update_category(session, actor=me.actor, category=category, changes={"is_active": active == "1"})
    return RedirectResponse("/admin/categories", status_code=303)


# -- SLA ------------------------------------------------------------------------
def _sla_page(request, session, me, errors=None, status_code=200):
    policies = session.scalars(select(SlaPolicy).order_by(SlaPolicy.rank.desc(), SlaPolicy.id)).all()
    return render(request, "admin/sla.html", me, status_code=status_code, errors=errors or {},
                  policies=policies,
                  calendars=session.scalars(select(SlaCalendar).order_by(SlaCalendar.id)).all(),
                  paths=catalog.category_paths(session), channels=CHANNELS, priorities=PRIORITIES,
                  complaint_types=COMPLAINT_TYPES)


@router.get("/sla")
def sla_page(request: Request, session: SessionDep, me: SlaAdmin):
    return _sla_page(request, session, me)


def _hours(value: str, field: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        raise Invalid(f"{field} must be a number of hours", field=field) from None
    if not 0 < hours <= 24 * 365:
        raise Invalid(f"{field} must be between 0 and 8760 hours", field=field)
    return hours


@router.post("/sla")
def create_policy(request: Request, session: SessionDep, me: SlaAdmin, name: Text = "",
                  category_id: Text = "", channel: Text = "", priority: Text = "", complaint_type: Text = "",
                  first_response_hours: Text = "", resolution_hours: Text = "", calendar_id: Text = "",
                  rank: Text = "0"):
    def action():
        if not name.strip():
            raise Invalid("the policy needs a name", field="name")
        if session.scalar(select(SlaPolicy.id).where(SlaPolicy.name == name.strip())):
            raise Conflict(f"policy {name.strip()!r} exists", field="name")
        calendar = session.get(SlaCalendar, _id(calendar_id) or 0)
        if calendar is None:
            raise Invalid("choose a calendar", field="calendar_id")
        if _id(category_id) and session.get(Category, _id(category_id)) is None:
            raise Invalid(f"no category {category_id}", field="category_id")
        for value, allowed, field in ((channel, CHANNELS, "channel"), (priority, PRIORITIES, "priority"),
                                      (complaint_type, COMPLAINT_TYPES, "complaint_type")):
            if value and value not in allowed:
                raise Invalid(f"{field} must be one of {', '.join(allowed)}", field=field)
        policy = SlaPolicy(name=name.strip()[:100], category_id=_id(category_id), channel=channel or None,
                           priority=priority or None, complaint_type=complaint_type or None,
                           first_response_seconds=_hours(first_response_hours, "first_response_hours") * 3600,
                           resolution_seconds=_hours(resolution_hours, "resolution_hours") * 3600,
                           calendar_id=calendar.id, rank=int(rank) if rank.lstrip("-").isdigit() else 0)
        session.add(policy)
        session.flush()
        record(session, actor=me.actor, action="sla.policy.create", target_type="sla_policy",
               target_id=policy.id, detail={"name": policy.name})

    return _run(request, session, "/admin/sla", action,
                lambda errors, code: _sla_page(request, session, me, errors, code))

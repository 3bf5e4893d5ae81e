"""/admin: users and the category tree (SLA policies and calendars: ``sla_admin``). Admins only (every route
checks its permission)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from kefu.accounts import service as accounts
from kefu.accounts.models import Team, User
from kefu.catalog import service as catalog
from kefu.catalog.models import SEVERITY_CLASSES, Category
from kefu.core.deps import Principal, SessionDep
from kefu.core.errors import Conflict, DomainError, Invalid, NotFound
from kefu.core.roles import Perm, Role
from kefu.core.routing import Router
from kefu.web.errors import error_text
from kefu.web.pages import language, render, web_user

router = Router(prefix="/admin")
UserAdmin = Annotated[Principal, web_user(Perm.users_write)]
CategoryAdmin = Annotated[Principal, web_user(Perm.categories_write)]
Text = Annotated[str, Form()]


def parse_id(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def run_action(request, session, redirect: str, action: Callable[[], object],
               page: Callable[[dict, int], object], form: str = "form"):
    """Run ``action``; on a refusal undo it and re-render the page with the message (in the user's
    language) under ``errors[form]``."""
    try:
        action()
        session.flush()
    except DomainError as exc:
        session.rollback()
        message = error_text(exc, language(request, getattr(request.state, "principal", None)))
        return page({form: message, "field": exc.field}, exc.status_code)
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
    return run_action(request, session, "/admin/users", lambda: accounts.create_user(
        session, actor=me.actor, username=username.strip(), password=password, role=role,
        display_name=display_name.strip()[:100] or None, team_id=parse_id(team_id)),
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
            "code": code.strip()[:60], "name": name.strip()[:100], "parent_id": parse_id(parent_id),
            "severity_class": severity_class})

    return run_action(request, session, "/admin/categories", action,
                lambda errors, code_: _categories_page(request, session, me, errors, code_))


@router.post("/categories/{category_id}")
def update_category(category_id: int, request: Request, session: SessionDep, me: CategoryAdmin,
                    name: Text = "", parent_id: Text = "", severity_class: Text = "none"):
    category = catalog.get_category(session, category_id)
    changes = {"name": name.strip()[:100], "parent_id": parse_id(parent_id), "severity_class": severity_class}
    return run_action(request, session, "/admin/categories",
                lambda: catalog.update_category(session, actor=me.actor, category=category, changes=changes),
                lambda errors, code: _categories_page(request, session, me, errors, code))


@router.post("/categories/{category_id}/active")
def set_category_active(category_id: int, session: SessionDep, me: CategoryAdmin, active: Text = "0"):
    category = catalog.get_category(session, category_id)
    catalog.update_category(session, actor=me.actor, category=category, changes={"is_active": active == "1"})
    return RedirectResponse("/admin/categories", status_code=303)

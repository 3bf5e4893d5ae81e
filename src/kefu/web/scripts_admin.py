"""/admin/scripts: the script library (话术库) by category; supervisors and admins create, edit and
deactivate scripts. Refusals come back in the user's language naming the field."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse

from kefu.core.deps import Principal, SessionDep
from kefu.core.errors import Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.scripts import service
from kefu.scripts.models import CATEGORIES, LANGUAGES
from kefu.web.admin import run_action
from kefu.web.pages import render, web_user

router = Router(prefix="/admin/scripts")
Editor = Annotated[Principal, web_user(Perm.scripts_write)]
Text = Annotated[str, Form()]


def _page(request, session, me, errors=None, status_code=200, values=None):
    rows = service.list_scripts(session, active=None)
    groups = [(c, [s for s in rows if s.category == c]) for c in CATEGORIES]
    return render(request, "admin/scripts.html", me, status_code=status_code, groups=groups,
                  categories=CATEGORIES, languages=LANGUAGES, errors=errors or {}, values=values or {})


def _order(value: str) -> int:
    value = value.strip()
    if not value:
        return 0
    if not value.lstrip("-").isdigit():
        raise Invalid("sort_order must be a whole number", field="sort_order")
    return int(value)


@router.get("")
def scripts_page(request: Request, session: SessionDep, me: Editor):
    return _page(request, session, me)


@router.post("")
def create_script(request: Request, session: SessionDep, me: Editor, code: Text = "", category: Text = "other",
                  title: Text = "", body: Text = "", shortcut: Text = "", language: Text = "zh-CN",
                  sort_order: Text = "0"):
    values = {"code": code, "category": category, "title": title, "body": body, "shortcut": shortcut,
              "language": language, "sort_order": sort_order}

    def action():
        return service.create_script(session, actor=me.actor, data={
            "code": code.strip(), "category": category, "title": title.strip()[:100], "body": body.strip()[:2000],
            "shortcut": shortcut.strip() or None, "language": language, "sort_order": _order(sort_order)})

    return run_action(request, session, "/admin/scripts", action,
                      lambda errors, code_: _page(request, session, me, errors, code_, values))


@router.post("/{script_id}")
def update_script(script_id: int, request: Request, session: SessionDep, me: Editor, category: Text = "other",
                  title: Text = "", body: Text = "", shortcut: Text = "", sort_order: Text = "0"):
    script = service.get_script(session, script_id)

    def action():
        return service.update_script(session, actor=me.actor, script=script, changes={
            "category": category, "title": title.strip()[:100], "body": body.strip()[:2000],
            "shortcut": shortcut.strip() or None, "sort_order": _order(sort_order)})

    return run_action(request, session, f"/admin/scripts#script-{script_id}", action,
                      lambda errors, code: _page(request, session, me, {f"script-{script_id}": errors["form"],
                                                                       "field": errors["field"]}, code))


@router.post("/{script_id}/active")
def set_active(script_id: int, session: SessionDep, me: Editor, active: Text = "0"):
    script = service.get_script(session, script_id)
    service.update_script(session, actor=me.actor, script=script, changes={"is_active": active == "1"})
    return RedirectResponse(f"/admin/scripts#script-{script_id}", status_code=303)

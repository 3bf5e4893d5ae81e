"""/admin/chat-queues: the chat queues and their settings (admins): working hours, concurrency per agent, idle
times, first-reply and queue-timeout seconds, the skill agents need and the team that gets left messages; the
widget's embed code for each queue. As ``/api/v1/chat-queues``; refusals name the field in the user's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from sqlalchemy import select

from kefu.accounts.models import Skill, Team
from kefu.chat import queues
from kefu.core.deps import Principal, SessionDep
from kefu.core.errors import Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.sla.models import SlaCalendar
from kefu.web.admin import run_action
from kefu.web.pages import render, web_user

router = Router(prefix="/admin/chat-queues")
Admin = Annotated[Principal, web_user(Perm.chat_queues)]
Text = Annotated[str, Form()]
NUMBERS = ("concurrency", *queues.TIMINGS)
REFS = ("skill_id", "team_id", "calendar_id")


def _page(request: Request, session, me, errors=None, status_code=200, values=None):
    s = get_settings()
    defaults = {name: getattr(s, f"chat_{name}") for name in queues.TIMINGS}
    return render(request, "admin/chat_queues.html", me, status_code=status_code, queues=queues.list_queues(session),
                  skills=session.scalars(select(Skill).order_by(Skill.id)).all(),
                  teams=session.scalars(select(Team).order_by(Team.id)).all(),
                  calendars=session.scalars(select(SlaCalendar).order_by(SlaCalendar.id)).all(),
                  timings=queues.TIMINGS, defaults=defaults, errors=errors or {}, values=values or {},
                  base=str(request.base_url).rstrip("/"))


def _whole(form: dict[str, str]) -> dict:
    """The form's numbers and references: empty is none (a default, always open, no skill)."""
    out: dict = {}
    for name in (*NUMBERS, *REFS):
        value = form.get(name, "").strip()
        if not value:
            out[name] = None
        elif value.isdigit():
            out[name] = int(value)
        else:
            raise Invalid(f"{name} must be a whole number", field=name)
    if out["concurrency"] is None:
        out["concurrency"] = 3
    return out


@router.get("")
def queues_page(request: Request, session: SessionDep, me: Admin):
    return _page(request, session, me)


@router.post("")
def create_queue(request: Request, session: SessionDep, me: Admin, code: Text = "", name: Text = "",
                 concurrency: Text = "", idle_prompt_seconds: Text = "", idle_close_seconds: Text = "",
                 first_reply_seconds: Text = "", queue_timeout_seconds: Text = "", skill_id: Text = "",
                 team_id: Text = "", calendar_id: Text = ""):
    form = {k: v for k, v in locals().items() if isinstance(v, str)}

    def action():
        return queues.create_queue(session, actor=me.actor, data={
            "code": code.strip(), "name": name.strip()[:100], **_whole(form)})

    return run_action(request, session, "/admin/chat-queues", action,
                      lambda errors, status: _page(request, session, me, errors, status, form))


@router.post("/{queue_id}")
def update_queue(queue_id: int, request: Request, session: SessionDep, me: Admin, name: Text = "",
                 concurrency: Text = "", idle_prompt_seconds: Text = "", idle_close_seconds: Text = "",
                 first_reply_seconds: Text = "", queue_timeout_seconds: Text = "", skill_id: Text = "",
                 team_id: Text = "", calendar_id: Text = "", active: Text = ""):
    queue = queues.get_queue(session, queue_id)
    form = {k: v for k, v in locals().items() if isinstance(v, str)}

    def action():
        return queues.update_queue(session, actor=me.actor, queue=queue, changes={
            "name": name.strip()[:100], "is_active": active == "1", **_whole(form)})

    return run_action(request, session, f"/admin/chat-queues#queue-{queue_id}", action,
                      lambda errors, status: _page(request, session, me, {f"queue-{queue_id}": errors["form"],
                                                                         "field": errors["field"]}, status))

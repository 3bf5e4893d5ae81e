"""/callbacks (回访) and /notifications: the signed-in user's own work and messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import or_, select, update

from kefu.accounts.models import User
from kefu.callbacks import service as callbacks
from kefu.callbacks.models import CALLBACK_OUTCOMES, Callback
from kefu.core import pii
from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.errors import NotFound
from kefu.core.roles import Perm
from kefu.notifications.models import Notification
from kefu.web.pages import Staff, render, web_user

router = APIRouter()
CallbackUser = Annotated[Principal, web_user(Perm.callbacks_write)]


def _rows(session, stmt) -> list[dict]:
    rows = session.scalars(stmt.order_by(Callback.due_at, Callback.id).limit(200)).all()
    owners = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_({c.owner_id for c in rows if c.owner_id}))).all()) if rows else {}
    return [{"c": c, "phone": pii.mask_phone(c.contact_phone), "owner": owners.get(c.owner_id, "")}
            for c in rows]


@router.get("/callbacks")
def callback_list(request: Request, session: SessionDep, clock: ClockDep, me: CallbackUser):
    now = clock.now()
    mine = _rows(session, select(Callback).where(Callback.owner_id == me.user.id,
                                                 Callback.status == "pending"))
    overdue = []
    if me.can(Perm.tickets_assign):
        stmt = select(Callback).where(Callback.status == "pending",
                                      or_(Callback.overdue.is_(True), Callback.due_at < now))
        if me.user.team_id is not None:
            stmt = stmt.where(Callback.team_id == me.user.team_id)
        overdue = _rows(session, stmt)
    return render(request, "callbacks.html", me, mine=mine, overdue=overdue, now=now,
                  outcomes=CALLBACK_OUTCOMES)


@router.post("/callbacks/{callback_id}/complete")
def complete(callback_id: int, session: SessionDep, me: CallbackUser,
             outcome: Annotated[str, Form()] = "", note: Annotated[str, Form()] = ""):
    callback = callbacks.get_callback(session, callback_id)
    callbacks.complete(session, actor=me.actor, callback=callback, outcome=outcome, note=note[:2000])
    return RedirectResponse("/callbacks", status_code=303)


@router.get("/notifications")
def notification_list(request: Request, session: SessionDep, me: Staff):
    rows = session.scalars(select(Notification).where(Notification.user_id == me.user.id)
                           .order_by(Notification.id.desc()).limit(100)).all()
    return render(request, "notifications.html", me, notes=rows)


@router.post("/notifications/{notification_id}/read")
def mark_read(notification_id: int, session: SessionDep, clock: ClockDep, me: Staff):
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != me.user.id:
        raise NotFound(f"no notification {notification_id}")
    note.read_at = note.read_at or clock.now()
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/read-all")
def mark_all_read(session: SessionDep, clock: ClockDep, me: Staff):
    session.execute(update(Notification).where(Notification.user_id == me.user.id,
                                               Notification.read_at.is_(None)).values(read_at=clock.now()))
    return RedirectResponse("/notifications", status_code=303)

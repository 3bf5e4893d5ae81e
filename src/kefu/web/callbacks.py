"""/callbacks (回访) and /notifications: the signed-in user's own work and messages; team leads and above
also see their team's pending callbacks and reassign them (owner, due time)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import or_, select, update

from kefu.accounts.models import Team, User
from kefu.callbacks import service as callbacks
from kefu.callbacks.models import CALLBACK_OUTCOMES, Callback
from kefu.core import pii
from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.errors import DomainError, Invalid, NotFound
from kefu.core.roles import PERMISSIONS, Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.notifications.models import Notification
from kefu.web import fmt
from kefu.web.errors import error_text
from kefu.web.pages import Staff, language, render, web_user

router = Router()
CallbackUser = Annotated[Principal, web_user(Perm.callbacks_write)]
Assigner = Annotated[Principal, web_user(Perm.tickets_assign)]


def _rows(session, stmt) -> list[dict]:
    rows = session.scalars(stmt.order_by(Callback.due_at, Callback.id).limit(200)).all()
    owners = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_({c.owner_id for c in rows if c.owner_id}))).all()) if rows else {}
    return [{"c": c, "phone": pii.mask_phone(c.contact_phone), "owner": owners.get(c.owner_id, "")}
            for c in rows]


def _owners(session) -> list[User]:
    """Who may own a callback: active users whose role works callbacks."""
    roles = sorted(PERMISSIONS[Perm.callbacks_write])
    return list(session.scalars(select(User).where(User.role.in_(roles), User.is_active.is_(True))
                                .order_by(User.team_id, User.display_name)))


@router.get("/callbacks")
def callback_list(request: Request, session: SessionDep, clock: ClockDep, me: CallbackUser):
    now = clock.now()
    mine = _rows(session, select(Callback).where(Callback.owner_id == me.user.id,
                                                 Callback.status == "pending"))
    overdue, pending = [], []
    if me.can(Perm.tickets_assign):  # team leads and above watch (and reassign) the team's callbacks
        team = select(Callback).where(Callback.status == "pending")
        if me.user.team_id is not None:
            team = team.where(Callback.team_id == me.user.team_id)
        late = or_(Callback.overdue.is_(True), Callback.due_at < now)
        overdue = _rows(session, team.where(late))
        pending = _rows(session, team.where(~late))
    return render(request, "callbacks.html", me, mine=mine, overdue=overdue, pending=pending, now=now,
                  outcomes=CALLBACK_OUTCOMES)


def _owners(session) -> list[tuple[str, list[User]]]:
    """Who may own a callback (active users whose role works callbacks), grouped by team name."""
    roles = sorted(PERMISSIONS[Perm.callbacks_write])
    rows = session.execute(select(User, Team.name).outerjoin(Team, Team.id == User.team_id)
                           .where(User.role.in_(roles), User.is_active.is_(True))
                           .order_by(Team.id.is_(None), Team.id, User.display_name)).all()
    groups: dict[str, list[User]] = {}
    for user, team in rows:
        groups.setdefault(team or "", []).append(user)
    return list(groups.items())


def _reassign_page(request: Request, session, clock, me: Principal, callback: Callback, *,
                   error: str | None = None, values: dict | None = None, status_code: int = 200):
    owner = session.get(User, callback.owner_id) if callback.owner_id else None
    due = callback.due_at.astimezone(get_settings().tz).strftime("%Y-%m-%dT%H:%M")
    values = values or {"owner_id": str(callback.owner_id or ""), "due_at": due}
    return render(request, "callback_reassign.html", me, status_code=status_code, c=callback, owner=owner,
                  phone=pii.mask_phone(callback.contact_phone), owners=_owners(session), values=values,
                  error=error, now=clock.now())


@router.get("/callbacks/{callback_id}/reassign")
def reassign_form(callback_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Assigner):
    return _reassign_page(request, session, clock, me, callbacks.get_callback(session, callback_id))


@router.post("/callbacks/{callback_id}/reassign")
def reassign(callback_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Assigner,
             owner_id: Annotated[str, Form()] = "", due_at: Annotated[str, Form()] = ""):
    """A new owner and/or due time, as ``PATCH /api/v1/callbacks/{id}`` (team leads and above); a due
    time left as it was is not changed, so an overdue callback can change hands alone."""
    callback = callbacks.get_callback(session, callback_id)
    try:
        if not owner_id.strip().isdigit():
            raise Invalid(f"no user with id {owner_id.strip()}", field="owner_id")
        due = fmt.parse_local(due_at)
        if due is None:
            raise Invalid("the due time is missing or not a date and time", field="due_at")
        new_owner, new_due = int(owner_id), (due if due != callback.due_at else None)
        if new_owner != callback.owner_id or new_due is not None:
            callbacks.reassign(session, actor=me.actor, callback=callback, owner_id=new_owner, due_at=new_due)
            session.flush()
    except DomainError as exc:
        session.rollback()
        return _reassign_page(request, session, clock, me, callbacks.get_callback(session, callback_id),
                              error=error_text(exc, language(request, me)), status_code=exc.status_code,
                              values={"owner_id": owner_id, "due_at": due_at})
    return RedirectResponse("/callbacks", status_code=303)


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

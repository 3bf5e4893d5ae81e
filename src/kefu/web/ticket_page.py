"""/tickets/{id}: the ticket page and its actions (field edits, status, escalation, replies, notes,
callbacks, compensation, merge, attachments). Each action posts a form, then redirects back (post/redirect/get);
a refused action re-renders the page with the message next to its form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from kefu.accounts.models import Team, User
from kefu.callbacks import service as callbacks
from kefu.catalog.service import category_paths
from kefu.channels import complaints
from kefu.compensation import service as compensation
from kefu.compensation.models import COMPENSATION_KINDS, REFUND_REASONS, Compensation
from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.errors import DomainError, Invalid, NotFound
from kefu.core.roles import PERMISSIONS, Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.customers.service import masked_view
from kefu.scripts import service as scripts
from kefu.tickets import queries, service, workflow
from kefu.tickets.models import CHANNELS, COMPLAINT_TYPES, PRIORITIES, Attachment, Ticket, TicketEvent, TicketMessage
from kefu.web import fmt
from kefu.web.errors import error_text
from kefu.web.pages import Staff, language, render, web_user
from kefu.web.tickets import active_categories

router = Router(prefix="/tickets/{ticket_id}")
Writer = Annotated[Principal, web_user(Perm.tickets_write)]
Text = Annotated[str, Form()]
MaybeText = Annotated[str | None, Form()]


def _names(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _history(session, request, me, ticket_id: int, *, categories: dict[int, str],
             teams: dict[int, str]) -> list[fmt.HistoryLine]:
    events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                             .order_by(TicketEvent.id)).all()
    messages = {m.id: (m.body, m.internal) for m in session.scalars(
        select(TicketMessage).where(TicketMessage.ticket_id == ticket_id))}
    user_ids = {e.data.get("owner_id") for e in events if e.data}
    for e in events:
        if e.kind == "updated" and isinstance(pair := (e.data or {}).get("changes", {}).get("assignee_id"), list):
            user_ids.update(pair)
    ctx = fmt.HistoryContext(users=_names(session, user_ids), messages=messages, categories=categories,
                             teams=teams)
    return fmt.history(events, language(request, me), ctx)


def _assignees(session, me: Principal, ticket: Ticket) -> list[User]:
    """Whom the edit form offers: anyone who works tickets for team leads and above (PATCH's rule),
    otherwise only oneself, besides the current assignee."""
    if me.can(Perm.tickets_assign):
        roles = sorted(PERMISSIONS[Perm.tickets_write])
        users = list(session.scalars(select(User).where(User.role.in_(roles), User.is_active.is_(True))
                                     .order_by(User.team_id, User.display_name)))
    else:
        users = [me.user]
    if ticket.assignee is not None and ticket.assignee not in users:
        users.insert(0, ticket.assignee)
    return users


def _owners(session) -> list[User]:
    roles = sorted(PERMISSIONS[Perm.callbacks_write])
    return list(session.scalars(select(User).where(User.role.in_(roles), User.is_active.is_(True))
                                .order_by(User.role, User.display_name)))


def _categories(session, ticket: Ticket) -> list[tuple[int, str]]:
    """Active categories, and the ticket's own even if it was retired since (so saving keeps it)."""
    options = active_categories(session)
    if ticket.category_id and all(cid != ticket.category_id for cid, _ in options):
        options.insert(0, (ticket.category_id, category_paths(session).get(ticket.category_id, "")))
    return options


def _actions(me: Principal, ticket: Ticket) -> tuple[dict, dict]:
    """What the user may do on this ticket now (the page's ``can_*`` flags and status targets), and which
    forms the page therefore shows (a refusal for a form not shown goes at the top of the page)."""
    active, open_ = ticket.status in workflow.ACTIVE, ticket.status != "closed"
    can_write = me.can(Perm.tickets_write) and open_
    flags = {
        "can_write": can_write,
        "can_escalate": me.can(Perm.tickets_escalate) and active and workflow.next_tier(ticket.tier) is not None,
        "can_deescalate": me.can(Perm.tickets_assign) and active and ticket.tier > 1,
        "can_merge": me.can(Perm.tickets_assign) and open_,
        "can_callback": me.can(Perm.callbacks_write) and open_,
        "can_compensate": me.can(Perm.compensation_grant) and open_,
        "targets": workflow.allowed_manual_targets(ticket.status) if open_ else [],
    }
    shown = {"fields": can_write, "reply": can_write, "note": can_write, "attachments": can_write,
             "status": can_write and bool(flags["targets"]),
             "escalate": flags["can_escalate"] or flags["can_deescalate"], "merge": flags["can_merge"],
             "callback": flags["can_callback"], "compensation": flags["can_compensate"]}
    return flags, shown


def _page(request: Request, session, clock, me: Principal, ticket_id: int, *, errors: dict | None = None,
          values: dict | None = None, status_code: int = 200):
    ticket = queries.load_ticket(session, ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    now = clock.now()
    flags, shown = _actions(me, ticket)
    can_write = flags["can_write"]
    case = complaints.case_of_ticket(session, ticket_id)  # a regulator case or internal feedback
    shown["regulator"] = case is not None and case.source != "internal" and case.replied_at is None \
        and me.can(Perm.complaints_reply)
    comps = session.scalars(select(Compensation).where(Compensation.ticket_id == ticket_id)
                            .order_by(Compensation.id)).all() if me.can(Perm.compensation_read) else []
    due_default = (now + timedelta(hours=2)).astimezone(get_settings().tz).strftime("%Y-%m-%dT%H:%M")
    paths = category_paths(session)
    teams = dict(session.execute(select(Team.id, Team.name).order_by(Team.id)).all())
    errors = errors or {}
    return render(
        request, "tickets/detail.html", me, status_code=status_code, ticket=ticket, errors=errors, **flags,
        page_errors=[message for form, message in errors.items() if not shown.get(form)],
        values=values or {}, customer=masked_view(ticket.customer) if ticket.customer else None,
        category_path=paths.get(ticket.category_id, "") if ticket.category_id else "",
        overdue=queries.overdue(ticket, now),
        history=_history(session, request, me, ticket_id, categories=paths, teams=teams),
        attachments=session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id)
                                    .order_by(Attachment.id)).all(),
        compensations=comps,
        next_tier=workflow.next_tier(ticket.tier), prev_tier=workflow.previous_tier(ticket.tier),
        owners=_owners(session) if me.can(Perm.callbacks_write) else [], due_default=due_default,
        kinds=COMPENSATION_KINDS, reasons=REFUND_REASONS,
        categories=_categories(session, ticket) if can_write else [], teams=teams,
        assignees=_assignees(session, me, ticket) if can_write else [],
        channels=CHANNELS, priorities=PRIORITIES, complaint_types=COMPLAINT_TYPES,
        complaint_case=case, case_status=complaints.case_status(case, now) if case else None,
        can_reply_regulator=shown["regulator"],
        scripts=scripts.list_scripts(session) if can_write and me.can(Perm.scripts_read) else [],
        case_people=_names(session, [case.replied_by_id, case.raised_by_id]) if case else {})


@router.get("")
def ticket_page(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Staff):
    return _page(request, session, clock, me, ticket_id)


def _act(request, session, clock, me, ticket_id: int, form: str, action: Callable[[Ticket], object],
         values: dict | None = None):
    """Run ``action`` on the ticket; on a refusal undo everything and show the message, in the user's
    language, by the form (which keeps what was typed in ``values``)."""
    ticket = service.get_ticket(session, ticket_id)
    try:
        action(ticket)
        session.flush()
    except DomainError as exc:
        session.rollback()
        message = error_text(exc, language(request, me))
        return _page(request, session, clock, me, ticket_id, errors={form: message}, values=values,
                     status_code=exc.status_code)
    return RedirectResponse(f"/tickets/{ticket_id}#{form}", status_code=303)


def _ref(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid(f"no {field.removesuffix('_id')} with id {value}", field=field)
    return int(value)


def field_changes(ticket: Ticket, form: dict[str, str | None]) -> dict:
    """The edit form as a PATCH body: only the fields sent and changed (a field left out stays as it is)."""
    parsed: dict = {}
    for name, value in form.items():
        if value is None:
            continue
        if name == "subject":
            value = value.strip()
            if not value:
                raise Invalid("subject must not be empty", field="subject")
            if len(value) > 200:
                raise Invalid("subject is too long (at most 200 characters)", field="subject")
        elif name.endswith("_id"):
            value = _ref(value, name)
        parsed[name] = value
    return {k: v for k, v in parsed.items() if getattr(ticket, k) != v}


@router.post("/fields")
def edit_fields(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Writer,
                subject: MaybeText = None, category_id: MaybeText = None, priority: MaybeText = None,
                channel: MaybeText = None, complaint_type: MaybeText = None, assignee_id: MaybeText = None,
                team_id: MaybeText = None):
    """Subject, category, priority, channel, complaint type, assignee and team: the rules of
    ``PATCH /api/v1/tickets/{id}`` (``service.update_ticket``), each change in the history."""
    form = {"subject": subject, "category_id": category_id, "priority": priority, "channel": channel,
            "complaint_type": complaint_type, "assignee_id": assignee_id, "team_id": team_id}

    def action(ticket: Ticket):
        if changes := field_changes(ticket, form):
            service.update_ticket(session, actor=me.actor, ticket=ticket, changes=changes)

    return _act(request, session, clock, me, ticket_id, "fields", action,
                values={k: v for k, v in form.items() if v is not None})


@router.post("/status")
def change_status(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Writer,
                  status: Text = "", reason: Text = ""):
    return _act(request, session, clock, me, ticket_id, "status", lambda t: service.change_status(
        session, actor=me.actor, ticket=t, status=status, reason=reason.strip()))


@router.post("/escalate")
def escalate(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep,
             me: Annotated[Principal, web_user(Perm.tickets_escalate)], reason: Text = ""):
    return _act(request, session, clock, me, ticket_id, "escalate", lambda t: service.escalate(
        session, actor=me.actor, ticket=t, reason=reason))


@router.post("/deescalate")
def deescalate(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep,
               me: Annotated[Principal, web_user(Perm.tickets_assign)], reason: Text = ""):
    return _act(request, session, clock, me, ticket_id, "escalate", lambda t: service.deescalate(
        session, actor=me.actor, ticket=t, reason=reason))


@router.post("/reply")
def reply(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Writer,
          body: Text = ""):
    return _act(request, session, clock, me, ticket_id, "reply", lambda t: service.add_message(
        session, actor=me.actor, ticket=t, body=body, internal=False))


@router.post("/note")
def note(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Writer, body: Text = ""):
    return _act(request, session, clock, me, ticket_id, "note", lambda t: service.add_message(
        session, actor=me.actor, ticket=t, body=body, internal=True))


@router.post("/callback")
def create_callback(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep,
                    me: Annotated[Principal, web_user(Perm.callbacks_write)], due_at: Text = "",
                    owner_id: Text = "", contact_phone: Text = "", preferred_time: Text = "",
                    note: Text = ""):
    def action(ticket: Ticket):
        due = fmt.parse_local(due_at)
        if due is None:
            raise Invalid("the due time is missing or not a date and time", field="due_at")
        return callbacks.create_callback(
            session, actor=me.actor, ticket_id=ticket.id, customer_id=None, due_at=due,
            owner_id=int(owner_id) if owner_id.isdigit() else None,
            contact_phone=contact_phone.strip() or None,
            preferred_time=preferred_time.strip()[:100] or None, note=note[:2000])

    return _act(request, session, clock, me, ticket_id, "callback", action)


@router.post("/compensation")
def grant(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep,
          me: Annotated[Principal, web_user(Perm.compensation_grant)], kind: Text = "", reason: Text = "",
          amount: Text = "", note: Text = ""):
    def action(ticket: Ticket):
        try:
            fen = round(float(amount) * 100)
        except ValueError:
            raise Invalid("the amount is not a number of yuan", field="amount") from None
        return compensation.grant(session, actor=me.actor, ticket=ticket, kind=kind, reason=reason,
                                  amount_fen=fen, note=note[:1000])

    return _act(request, session, clock, me, ticket_id, "compensation", action)


@router.post("/merge")
def merge(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep,
          me: Annotated[Principal, web_user(Perm.tickets_assign)], target_id: Text = "", reason: Text = ""):
    def action(ticket: Ticket):
        if not target_id.strip():
            raise Invalid("target_id must not be empty", field="target_id")
        target = session.get(Ticket, int(target_id)) if target_id.strip().isdigit() else None
        if target is None:
            raise Invalid(f"no ticket #{target_id}", field="target_id")
        return service.merge(session, actor=me.actor, source=ticket, target=target, reason=reason[:1000])

    return _act(request, session, clock, me, ticket_id, "merge", action)


@router.post("/attachments")
async def upload(ticket_id: int, request: Request, session: SessionDep, clock: ClockDep, me: Writer,
                 file: UploadFile | None = None):
    data = await file.read(get_settings().max_attachment_bytes + 1) if file else b""
    return _act(request, session, clock, me, ticket_id, "attachments", lambda t: service.add_attachment(
        session, actor=me.actor, ticket=t, filename=(file.filename if file else "") or "file",
        content_type=(file.content_type if file else "") or "", data=data))

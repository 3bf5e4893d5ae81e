"""Compensation grants, limited per role (trainees none, agents small, specialists larger), all audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kefu.audit.service import record
from kefu.compensation.models import COMPENSATION_KINDS, REFUND_REASONS, Compensation
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Forbidden, Invalid
from kefu.core.settings import get_settings
from kefu.tickets.models import Ticket, TicketEvent

REASON_LABELS = {"unused_7_days": "7天未消费退款", "expired": "过期退款", "service_failure": "服务失误补偿",
                 "other": "其他"}
KIND_LABELS = {"red_packet": "红包", "free_order": "免单", "refund": "退款"}


def grant(session: Session, *, actor: Actor, ticket: Ticket, kind: str, reason: str, amount_fen: int,
          note: str = "") -> Compensation:
    if kind not in COMPENSATION_KINDS:
        raise Invalid(f"kind must be one of {', '.join(COMPENSATION_KINDS)}", field="kind")
    if reason not in REFUND_REASONS:
        raise Invalid(f"reason must be one of {', '.join(REFUND_REASONS)}", field="reason")
    if amount_fen <= 0:
        raise Invalid("amount must be more than zero", field="amount")
    if ticket.status == "closed":
        raise Conflict("a closed ticket takes no compensation", field="status")
    limit = get_settings().compensation_limit_for(actor.role)
    if amount_fen > limit:
        raise Forbidden(f"your role may grant at most ¥{limit / 100:.2f}; escalate for more", field="amount")
    comp = Compensation(ticket_id=ticket.id, customer_id=ticket.customer_id, kind=kind, reason=reason,
                        amount_fen=amount_fen, note=note, granted_by_id=actor.user_id, created_at=actor.now)
    session.add(comp)
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id, at=actor.now, actor_id=actor.user_id,
                            actor_name=actor.display_name or actor.username, kind="compensation",
                            data={"compensation_id": comp.id, "kind": kind, "reason": reason,
                                  "amount_fen": amount_fen}))
    record(session, actor=actor, action="compensation.grant", target_type="ticket", target_id=ticket.id,
           detail={"compensation_id": comp.id, "kind": kind, "reason": reason, "amount_fen": amount_fen})
    return comp

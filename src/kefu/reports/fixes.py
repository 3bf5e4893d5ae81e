"""Analysts' suggested fixes (建议改进措施) in the weekly voice-of-customer report of a business line: added and
removed by analysts and supervisors, each change audited, shown on the page and in the PDF."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.catalog.models import BusinessLine
from kefu.core.context import Actor
from kefu.core.errors import Invalid, NotFound
from kefu.reports.models import VocFix
from kefu.reports.voc import week_of


def week_fixes(session: Session, *, line_id: int, day: date) -> list[dict]:
    monday, _ = week_of(day)
    rows = session.scalars(select(VocFix).where(VocFix.business_line_id == line_id, VocFix.week == monday)
                           .order_by(VocFix.id)).all()
    return [{"id": f.id, "topic": f.topic, "text": f.text, "owner": f.owner} for f in rows]


def add_fix(session: Session, *, actor: Actor, line_id: int, day: date, text: str, topic: str | None = None,
            owner: str | None = None) -> VocFix:
    from kefu.audit.service import record

    text, topic, owner = text.strip(), (topic or "").strip() or None, (owner or "").strip() or None
    if not text:
        raise Invalid("the suggested fix is empty", field="text")
    if len(text) > 2000 or len(topic or "") > 100 or len(owner or "") > 60:
        raise Invalid("text at most 2000 characters, topic 100, owner 60", field="text")
    if session.get(BusinessLine, line_id) is None:
        raise NotFound(f"no business line {line_id}", field="business_line_id")
    fix = VocFix(business_line_id=line_id, week=week_of(day)[0], topic=topic, text=text, owner=owner,
                 created_by_id=actor.user_id, created_at=actor.now)
    session.add(fix)
    session.flush()
    record(session, actor=actor, action="reports.voc_fix.add", target_type="voc_fix", target_id=fix.id,
           detail={"business_line_id": line_id, "week": fix.week.isoformat(), "topic": topic})
    return fix


def remove_fix(session: Session, *, actor: Actor, fix_id: int) -> None:
    from kefu.audit.service import record

    fix = session.get(VocFix, fix_id)
    if fix is None:
        raise NotFound(f"no suggested fix {fix_id}", field="fix_id")
    record(session, actor=actor, action="reports.voc_fix.remove", target_type="voc_fix", target_id=fix.id,
           detail={"business_line_id": fix.business_line_id, "week": fix.week.isoformat(), "topic": fix.topic})
    session.delete(fix)
    session.flush()

"""/admin/dead-letters: messages a channel could not take, shown safely (decoded text, PII masked) and
re-processed on request (audited). Admins only, like the API (``kefu.channels.dead_letters``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request
from fastapi.responses import RedirectResponse

from kefu.channels import dead_letters
from kefu.core.deps import Principal, SessionDep
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.tickets.models import CHANNELS
from kefu.web.pages import render, web_user

router = Router(prefix="/admin/dead-letters")
Admin = Annotated[Principal, web_user(Perm.channels_dead_letters)]
RESULTS = ("processed", "ignored", "dead")
PAGE_SIZE = 50


@router.get("")
def dead_letters_page(request: Request, session: SessionDep, me: Admin, channel: str = "",
                      result: str | None = None, id: int | None = None, page: int = 1):
    channel = channel if channel in CHANNELS else ""
    page = max(page, 1)
    found = dead_letters.list_dead(session, channel=channel or None, limit=PAGE_SIZE,
                                   offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-found.count // PAGE_SIZE)) + (1 if found.capped else 0)  # capped: at least one more
    return render(request, "admin/dead_letters.html", me, rows=[dead_letters.public(r) for r in found.rows],
                  count=f"{found.count}+" if found.capped else found.count, channel=channel, channels=CHANNELS,
                  page=page, pages=pages, result=result if result in RESULTS else None, done_id=id, errors={})


@router.get("/{inbound_id}")
def dead_letter_page(inbound_id: int, request: Request, session: SessionDep, me: Admin):
    row = dead_letters.detail(dead_letters.get_dead(session, inbound_id))
    return render(request, "admin/dead_letter.html", me, row=row, errors={})


@router.post("/{inbound_id}/reprocess")
def reprocess(inbound_id: int, session: SessionDep, me: Admin):
    outcome = dead_letters.reprocess(session, actor=me.actor, inbound_id=inbound_id)
    if outcome["status"] == "dead":
        return RedirectResponse(f"/admin/dead-letters/{inbound_id}?result=dead", status_code=303)
    return RedirectResponse(f"/admin/dead-letters?result={outcome['status']}&id={inbound_id}", status_code=303)

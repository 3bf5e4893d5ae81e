"""Dead letters: an e-mail that could not be taken is kept raw, shown to admins safely (headers decoded, PII
masked, no markup) in the API and on /admin/dead-letters, and re-processed (audited) after the fix."""

from __future__ import annotations

from sqlalchemy import select

from channels.conftest import send
from kefu.audit.models import AuditEntry
from kefu.channels.models import InboundMessage
from kefu.tickets.models import Ticket
from web.helpers import login

API = "/api/v1"
# a relay lost the From header's address: only the name is left
BROKEN = ("From: =?gb2312?B?1cXOsA==?=\r\nTo: kefu@kefu.example.cn\r\n"
          "Subject: =?utf-8?b?5omL5py6MTM4MTIzNDU2Nzg=?= <script>alert(1)</script>\r\n"
          "Message-ID: <broken-1@mail.example.cn>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
          "外卖没送到,电话 13812345678\r\n").encode()


def test_a_dead_letter_is_listed_safely_and_reprocessed_after_the_fix(db, world, client, receiver):
    assert send(receiver, BROKEN) == {}  # stored as a dead letter: the sender gets 250
    row = db.scalar(select(InboundMessage).where(InboundMessage.status == "dead"))
    assert row.raw == BROKEN and "NoSender" in row.error

    listed = client.get(f"{API}/channels/dead-letters", headers=world.headers("admin")).json()
    assert listed["count"] == 1 and listed["data"][0]["external_id"] == "<broken-1@mail.example.cn>"
    shown = client.get(f"{API}/channels/dead-letters/{row.id}", headers=world.headers("admin")).json()
    headers = dict(shown["headers"])
    assert headers["From"] == "张伟" and headers["Subject"] == "手机138****5678 <script>alert(1)</script>"
    assert "13812345678" not in str(shown)
    assert client.get(f"{API}/channels/dead-letters", headers=world.headers("supervisor")).status_code == 403

    # re-processed while the cause is still there: still dead, one more attempt, audited
    again = client.post(f"{API}/channels/dead-letters/{row.id}/reprocess", headers=world.headers("admin")).json()
    assert again["status"] == "dead" and "NoSender" in again["error"]
    db.refresh(row)
    assert row.status == "dead" and row.attempts == 2

    # the fix: the relay is repaired and the message as first sent is restored
    row.raw = BROKEN.replace(b"?= \r\nTo", b"?= <13812345678@example.cn>\r\nTo", 1).replace(
        b"From: =?gb2312?B?1cXOsA==?=\r\n", b"From: =?gb2312?B?1cXOsA==?= <13812345678@example.cn>\r\n")
    db.commit()
    done = client.post(f"{API}/channels/dead-letters/{row.id}/reprocess", headers=world.headers("admin")).json()
    assert done["status"] == "processed" and len(done["ticket_ids"]) == 1
    ticket = db.get(Ticket, done["ticket_ids"][0])
    assert ticket.customer_id == world.customers[0].id and ticket.channel == "email"
    assert ticket.description == "外卖没送到,电话 13812345678"
    db.refresh(row)
    assert (row.status, row.raw, row.ticket_id) == ("processed", None, ticket.id)
    audits = db.scalars(select(AuditEntry).where(AuditEntry.action == "dead_letter.reprocess")
                        .order_by(AuditEntry.id)).all()
    assert [(a.actor_id, a.detail["status"]) for a in audits] == [(world.users["admin"].id, "dead"),
                                                                  (world.users["admin"].id, "processed")]
    assert client.get(f"{API}/channels/dead-letters", headers=world.headers("admin")).json()["count"] == 0


def test_the_admin_page_lists_dead_letters_and_reprocesses_one(db, world, client, receiver):
    send(receiver, BROKEN)
    row = db.scalar(select(InboundMessage).where(InboundMessage.status == "dead"))
    csrf = login(client, "admin")
    page = client.get("/admin/dead-letters")
    assert page.status_code == 200 and "&lt;broken-1@mail.example.cn&gt;" in page.text and "死信" in page.text
    detail = client.get(f"/admin/dead-letters/{row.id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail.text and "<script>alert" not in detail.text
    assert "13812345678" not in detail.text and "138****5678" in detail.text
    r = client.post(f"/admin/dead-letters/{row.id}/reprocess", data={"csrf_token": csrf}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/admin/dead-letters/{row.id}?result=dead")
    assert "仍无法处理" in client.get(r.headers["location"]).text

"""Contact events: listeners hear each newly stored contact once, from the bulk path and the ORM path alike,
and hear changes; duplicates skipped by the bulk path are not news."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.conftest import START

from kefu.contacts import events
from kefu.contacts.models import Contact
from kefu.contacts.service import ingest


@pytest.fixture
def heard():
    got = {"new": [], "changed": []}

    def new(session, facts):
        got["new"].extend(facts)

    def changed(session, facts):
        got["changed"].extend(facts)

    events.on_new(new)
    events.on_changed(changed)
    yield got
    events.NEW.remove(new)
    events.CHANGED.remove(changed)


def _cdr(call_id: str, minutes: int) -> dict:
    at = START + timedelta(minutes=minutes)
    return {"call_id": call_id, "channel": "phone", "customer_phone": "13800138000", "queue": "外卖热线",
            "offered_at": at.isoformat(), "answered_at": (at + timedelta(seconds=15)).isoformat(),
            "ended_at": (at + timedelta(minutes=3)).isoformat(), "outcome": "answered"}


def test_bulk_ingest_publishes_only_the_new_rows(db, heard):
    first = ingest(db, [_cdr("呼叫-1", 0), _cdr("呼叫-2", 5)], now=START)
    assert first.created == 2
    assert [f.outcome for f in heard["new"]] == ["answered", "answered"]
    assert {f.offered_at for f in heard["new"]} == {START + timedelta(minutes=0), START + timedelta(minutes=5)}
    assert all(f.offered_at.tzinfo is not None and f.id for f in heard["new"])
    assert [db.get(Contact, f.id).external_id for f in heard["new"]] == ["呼叫-1", "呼叫-2"]  # their own ids
    heard["new"].clear()
    again = ingest(db, [_cdr("呼叫-2", 5), _cdr("呼叫-3", 9)], now=START)
    assert (again.created, again.duplicates) == (1, 1)
    assert [f.offered_at for f in heard["new"]] == [START + timedelta(minutes=9)]
    stored = db.get(Contact, heard["new"][0].id)
    assert stored.external_id == "呼叫-3" and stored.queue == "外卖热线"


def test_orm_contacts_are_published_new_then_changed(db, heard):
    contact = Contact(channel="chat", direction="inbound", offered_at=START, outcome="abandoned", created_at=START)
    events.text_for(contact, "骑手一直不接电话，外卖超时未送达")
    db.add(contact)
    db.flush()
    words = "骑手一直不接电话，外卖超时未送达"
    assert [(f.id, f.channel, f.text) for f in heard["new"]] == [(contact.id, "chat", words)]
    assert heard["changed"] == []
    contact.answered_at = START + timedelta(seconds=40)
    contact.outcome = "answered"
    db.flush()
    assert [(f.id, f.outcome, f.answered_at) for f in heard["changed"]] == [
        (contact.id, "answered", START + timedelta(seconds=40))]
    db.flush()  # nothing changed since: nothing heard
    assert len(heard["changed"]) == 1

"""Which SLA policy a ticket gets: the most specific match, a category's policy covering its children."""

from __future__ import annotations

from datetime import timedelta

from kefu.sla.models import SlaCalendar, SlaPolicy


def _policy(db, name, hours, **match):
    calendar = db.query(SlaCalendar).filter_by(name="全天候").one()
    policy = SlaPolicy(name=name, first_response_seconds=3600, resolution_seconds=hours * 3600,
                       calendar_id=calendar.id, **match)
    db.add(policy)
    db.flush()
    return policy


def test_parent_category_policy_covers_child_and_beats_the_default(client, world, db, clock):
    _policy(db, "配送问题48小时", 48, category_id=world.categories["delivery"].id)
    db.commit()
    r = client.post("/api/v1/tickets", headers=world.headers("agent"), json={
        "subject": "骑手超时两小时未送达", "category_id": world.categories["delivery.late"].id})
    assert r.status_code == 201, r.text
    due = r.json()["resolution_due_at"]
    assert due.startswith((clock.now() + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M"))


def test_child_category_policy_beats_parent_and_others_keep_the_default(client, world, db, clock):
    _policy(db, "配送问题48小时", 48, category_id=world.categories["delivery"].id)
    _policy(db, "超时未送达12小时", 12, category_id=world.categories["delivery.late"].id)
    db.commit()
    headers = world.headers("agent")
    late = client.post("/api/v1/tickets", headers=headers, json={
        "subject": "外卖超时", "category_id": world.categories["delivery.late"].id}).json()
    assert late["resolution_due_at"].startswith((clock.now() + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"))
    other = client.post("/api/v1/tickets", headers=headers, json={
        "subject": "退款未到账", "category_id": world.categories["refund"].id}).json()
    assert other["resolution_due_at"].startswith((clock.now() + timedelta(hours=72)).strftime("%Y-%m-%dT%H:%M"))

"""Alert webhooks to a real HTTP receiver on this machine: signed, one event id per event, retried with backoff
by the timer worker when the receiver fails, dead-lettered after the last attempt."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from kefu.alerts.models import AlertDelivery
from kefu.alerts.sinks import sign
from kefu.core.settings import get_settings
from kefu.timers.models import Timer
from kefu.timers.service import MAX_ATTEMPTS, run_due

API = "/api/v1"
SECRET = "告警-webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[dict, bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kefu-alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(monkeypatch):
    r = Receiver()
    monkeypatch.setenv("KEFU_ALERT_WEBHOOK_URL", r.url)
    monkeypatch.setenv("KEFU_ALERT_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    yield r
    r.server.shutdown()
    monkeypatch.undo()
    get_settings.cache_clear()


def spike(client, world, clock, phone="13700004444"):
    for i in range(6):
        at = clock.now() + timedelta(minutes=i)
        r = client.post(f"{API}/contacts", headers=world.headers("admin"), json={
            "call_id": f"webhook-{phone}-{i}", "channel": "phone", "category": "login", "customer_phone": phone,
            "offered_at": at.isoformat(), "outcome": "abandoned"})
        assert r.status_code == 201, r.text


def test_the_webhook_is_signed_and_names_its_event(client, world, db, clock, factory, receiver):
    spike(client, world, clock)
    clock.advance(minutes=6)
    run_due(factory, clock)
    ((headers, body),) = receiver.got
    payload = json.loads(body)
    assert payload["type"] == "alert.raised" and payload["alert"]["level"] == "一级"
    assert payload["alert"]["category"] == "登录访问" and payload["alert"]["count"] == 6
    assert headers["x-kefu-event"] == payload["event_id"]
    assert headers["x-kefu-signature"] == sign(SECRET, headers["x-kefu-timestamp"], body)
    assert headers["x-kefu-signature"] != sign("another secret", headers["x-kefu-timestamp"], body)
    (delivery,) = db.scalars(select(AlertDelivery)).all()
    db.refresh(delivery)
    assert delivery.status == "sent"
    run_due(factory, clock)  # sent once: nothing more
    assert len(receiver.got) == 1


def test_a_failing_receiver_is_retried_with_backoff_then_dead_lettered(client, world, db, clock, factory,
                                                                        receiver):
    receiver.status = 503
    spike(client, world, clock)
    clock.advance(minutes=6)
    run_due(factory, clock)
    assert len(receiver.got) == 1
    run_due(factory, clock)  # not again at once: it waits its backoff
    assert len(receiver.got) == 1
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(minutes=30)
        run_due(factory, clock)
    raised = [h for h, b in receiver.got if json.loads(b)["type"] == "alert.raised"]
    assert len(raised) == MAX_ATTEMPTS  # (the unacknowledged alert's own event went out meanwhile too)
    assert len({h["x-kefu-event"] for h in raised}) == 1  # the same event id every time: dedupe on it
    delivery = db.scalar(select(AlertDelivery).order_by(AlertDelivery.id))
    db.refresh(delivery)
    assert delivery.status == "dead" and "503" in delivery.last_error
    timer = db.scalar(select(Timer).where(Timer.kind == "alert_delivery", Timer.ref_id == delivery.id))
    assert timer.status == "failed"


def test_a_receiver_back_in_time_gets_it_once(client, world, db, clock, factory, receiver):
    receiver.status = 500
    spike(client, world, clock)
    clock.advance(minutes=6)
    run_due(factory, clock)
    receiver.status = 204
    clock.advance(minutes=5)
    run_due(factory, clock)
    clock.advance(minutes=5)
    run_due(factory, clock)
    assert [json.loads(b)["type"] for _, b in receiver.got] == ["alert.raised", "alert.raised"]
    (delivery,) = db.scalars(select(AlertDelivery)).all()
    db.refresh(delivery)
    assert delivery.status == "sent"

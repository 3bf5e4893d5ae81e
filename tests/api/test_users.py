"""Users and sign-in: creation, one account per person (一人一号), CSRF on cookie sessions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.accounts.models import AuthSession
from kefu.accounts.service import login
from kefu.core.context import Actor
from kefu.core.deps import CSRF_HEADER, SESSION_COOKIE
from kefu.tickets.models import Ticket

PASSWORD = "新员工密码Passw0rd"


def _create(desk, username="xiaohong", role="agent", **extra):
    return desk.post(
        "admin",
        "/users",
        json={
            "username": username,
            "password": PASSWORD,
            "role": role,
            "display_name": "小红",
            "team_id": desk.world.teams["front"].id,
            **extra,
        },
    )


def test_admin_creates_a_user_who_can_sign_in(desk, client):
    r = _create(desk)
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "agent" and r.json()["display_name"] == "小红"
    assert desk.audit("user.create")[-1].detail["username"] == "xiaohong"
    r = client.post("/api/v1/auth/token", data={"username": "xiaohong", "password": PASSWORD})
    assert r.status_code == 200
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json()["username"] == "xiaohong"
    r = client.post("/api/v1/auth/token", data={"username": "xiaohong", "password": "错误的密码12345"})
    assert r.status_code == 401


def test_duplicate_username_is_409_and_bad_role_422(desk):
    assert _create(desk).status_code == 201
    r = _create(desk)
    assert r.status_code == 409 and r.json()["field"] == "username"
    r = _create(desk, username="laowang", role="boss")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "role"
    r = desk.patch("admin", f"/users/{desk.world.users['agent2'].id}", json={"role": "boss"})
    assert r.status_code == 422
    assert desk.get("admin", f"/users/{desk.world.users['agent2'].id}").json()["role"] == "agent"


def test_password_change_signs_out_everywhere(desk, client):
    uid = desk.world.users["agent2"].id
    assert desk.get("agent2", "/auth/me").status_code == 200
    r = desk.patch("admin", f"/users/{uid}", json={"password": "全新的密码Passw0rd"})
    assert r.status_code == 200
    assert desk.get("agent2", "/auth/me").status_code == 401


def test_logout_revokes_the_token(desk):
    assert desk.post("agent", "/auth/logout").status_code == 204
    assert desk.get("agent", "/auth/me").status_code == 401


def test_sign_in_from_two_places_is_flagged_audited_and_reported(desk, app, db):
    assert _create(desk, username="xiaoli").status_code == 201
    form = {"username": "xiaoli", "password": PASSWORD}
    with TestClient(app, client=("1.2.3.4", 50000)) as first, TestClient(app, client=("5.6.7.8", 50001)) as second:
        assert first.post("/api/v1/auth/token", data=form).status_code == 200
        assert first.post("/api/v1/auth/token", data=form).status_code == 200  # same place: fine
        assert desk.audit("auth.concurrent_login") == []
        assert second.post("/api/v1/auth/token", data=form).status_code == 200
    ips = sorted(s.ip for s in db.scalars(select(AuthSession).where(AuthSession.user_id == _uid(db, "xiaoli"))))
    assert ips == ["1.2.3.4", "1.2.3.4", "5.6.7.8"]
    (entry,) = desk.audit("auth.concurrent_login")
    assert entry.detail == {"first_ip": "1.2.3.4", "second_ip": "5.6.7.8"} and entry.ip == "5.6.7.8"
    flags = desk.get("supervisor", "/session-flags").json()["data"]
    assert len(flags) == 1 and flags[0]["first_ip"] == "1.2.3.4" and "xiaoli" in flags[0]["detail"]
    for boss in ("supervisor", "admin"):
        notes = desk.notifications(boss, "session.concurrent")
        assert len(notes) == 1 and "小红" in notes[0].title
    assert desk.notifications("team_lead", "session.concurrent") == []


def _uid(db, username):
    from kefu.accounts.models import User

    return db.scalar(select(User.id).where(User.username == username))


def test_cookie_session_needs_the_csrf_token_for_writes(desk, client, db, clock):
    user = desk.world.users["agent"]
    result = login(
        db, actor=Actor.system(clock.now()), user=user, kind="ui", ip="testclient", user_agent="pytest", hours=12
    )
    db.commit()
    client.cookies.set(SESSION_COOKIE, result.token)
    try:
        assert client.get("/api/v1/auth/me").json()["username"] == "agent"
        body = {"subject": "跨站伪造的工单"}
        r = client.post("/api/v1/tickets", json=body)
        assert r.status_code == 403
        r = client.post("/api/v1/tickets", json=body, headers={CSRF_HEADER: "forged-token"})
        assert r.status_code == 403
        assert db.scalar(select(Ticket).where(Ticket.subject == "跨站伪造的工单")) is None
        r = client.post("/api/v1/tickets", json=body, headers={CSRF_HEADER: result.auth.csrf_token})
        assert r.status_code == 201
    finally:
        client.cookies.clear()


def test_api_token_is_not_accepted_as_a_cookie(desk, client):
    client.cookies.set(SESSION_COOKIE, desk.world.tokens["agent"])
    try:
        assert client.get("/api/v1/auth/me").status_code == 401
    finally:
        client.cookies.clear()

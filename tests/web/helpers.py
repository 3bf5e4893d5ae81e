"""Driving the web UI through its forms with FastAPI's TestClient."""

from __future__ import annotations

import re

from conftest import PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def login(client, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token as the pages carry it."""
    client.cookies.clear()
    r = client.post(
        "/login",
        data={"username": username, "password": password, "next": "/tickets"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/tickets")
    assert page.status_code == 200
    return CSRF.search(page.text).group(1)


def post(client, path: str, csrf: str, **data):
    return client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


def new_ticket(client, csrf: str, **fields) -> int:
    data = {
        "subject": "外卖超时未送达,要求退款",
        "description": "顾客说等了两个小时还没送到",
        "channel": "phone",
        "priority": "normal",
        "complaint_type": "none",
        **fields,
    }
    r = post(client, "/tickets/new", csrf, **data)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])

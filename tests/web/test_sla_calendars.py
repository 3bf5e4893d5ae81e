"""Creating SLA calendars on /admin/sla: business hours with holidays and 调休, or 24×7; policies pick them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from conftest import SHANGHAI
from kefu.audit.models import AuditEntry
from kefu.sla.models import SlaCalendar
from kefu.tickets.models import Ticket
from web.helpers import login, new_ticket, post

WEEK = {f"hours_{d}": "09:00-12:00, 13:30-18:00" for d in range(5)} | {"hours_5": "", "hours_6": ""}


def _calendar(**fields) -> dict:
    return {"name": "工作日历(含国庆)", "timezone": "Asia/Shanghai", "kind": "business", **WEEK,
            "holidays": "2026-10-01~2026-10-07", "extra_workdays": "2026-09-27\n2026-10-10", **fields}


def _count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(SlaCalendar))


def test_admin_creates_a_business_hours_calendar_that_a_policy_then_uses(client, world, db):
    csrf = login(client, "admin")
    page = client.get("/admin/sla").text
    assert 'action="/admin/sla/calendars"' in page and 'value="09:00-18:00"' in page  # Mon–Fri by default
    r = post(client, "/admin/sla/calendars", csrf, **_calendar())
    assert r.status_code == 303
    calendar = db.scalar(select(SlaCalendar).where(SlaCalendar.name == "工作日历(含国庆)"))
    assert calendar.always_open is False and calendar.timezone == "Asia/Shanghai"
    assert calendar.hours == {str(d): [[540, 720], [810, 1080]] for d in range(5)}
    assert calendar.holidays == [f"2026-10-0{d}" for d in range(1, 8)]
    assert calendar.extra_workdays == ["2026-09-27", "2026-10-10"]
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "sla.calendar.create")).target_id == str(
        calendar.id)
    page = client.get("/admin/sla").text
    table = page.split('id="calendars"')[1].split("</table>")[0]
    assert "工作日历(含国庆)" in table and "周一–周五" in table and "09:00-12:00, 13:30-18:00" in table
    assert "2026-10-01~2026-10-07" in table and "2026-09-27" in table
    policy_form = page.split('id="create-policy"')[1].split("</form>")[0]
    assert f'<option value="{calendar.id}">工作日历(含国庆)</option>' in policy_form

    r = post(client, "/admin/sla", csrf, name="低优先级8工时", priority="low", first_response_hours="2",
             resolution_hours="8", calendar_id=str(calendar.id), rank="1")
    assert r.status_code == 303
    tid = new_ticket(client, login(client, "agent"), priority="low")
    # Monday 10:00 + 8 working hours: 10-12, 13:30-18 (6.5 h), then Tuesday 09:00-10:30
    assert db.get(Ticket, tid).resolution_due_at == datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)


def test_admin_creates_a_24x7_calendar(client, world, db):
    csrf = login(client, "admin")
    r = post(client, "/admin/sla/calendars", csrf, **_calendar(name="外部投诉全天候", kind="always", holidays="",
                                                                 extra_workdays=""))
    assert r.status_code == 303
    calendar = db.scalar(select(SlaCalendar).where(SlaCalendar.name == "外部投诉全天候"))
    assert (calendar.always_open, calendar.hours, calendar.holidays) == (True, {}, [])
    assert "外部投诉全天候" in client.get("/admin/sla").text.split('id="create-policy"')[1]


def test_bad_calendar_input_names_the_field_and_keeps_what_was_typed(client, world, db):
    csrf = login(client, "admin")
    before = _count(db)
    cases = [
        (_calendar(hours_1="9-18"), 422, "周二的工作时间 9-18 格式不对"),
        (_calendar(hours_2="09:00-12:00, 11:00-14:00"), 422, "周三的工作时间 09:00-12:00, 11:00-14:00 有重叠"),
        (_calendar(holidays="国庆节"), 422, "「法定节假日(休息)」中的 国庆节 不是日期"),
        (_calendar(holidays="2026-10-07~2026-10-01"), 422, "不是有效的日期范围"),
        (_calendar(extra_workdays="2026-10-03"), 422, "2026-10-03 既是节假日又是调休上班日"),
        (_calendar(timezone="Mars/Olympus"), 422, "未知的时区 Mars/Olympus"),
        (_calendar(name="  "), 422, "「名称」不能为空"),
        (_calendar(name="全天候"), 409, "「名称」全天候 已存在,请换一个"),
        (_calendar(**dict.fromkeys(WEEK, "")), 422, "「工作时间」日历至少要有一天的工作时间"),
        (_calendar(kind="always"), 422, "7×24 日历全年无休,不设节假日和调休"),
    ]
    for data, status, message in cases:
        r = post(client, "/admin/sla/calendars", csrf, **data)
        assert (r.status_code, message in r.text) == (status, True), (data, r.status_code)
        form = r.text.split('id="create-calendar"')[1].split("</form>")[0]
        assert data["holidays"] in form and data["hours_1"] in form  # nothing typed is lost
    assert _count(db) == before
    client.get("/lang/en")
    r = post(client, "/admin/sla/calendars", csrf, **_calendar(hours_1="9-18"))
    assert r.status_code == 422 and "Tuesday hours 9-18 are not HH:MM-HH:MM ranges" in r.text


def test_only_admins_create_calendars_and_names_are_escaped(client, world, db):
    before = _count(db)
    csrf = login(client, "supervisor")
    assert post(client, "/admin/sla/calendars", csrf, **_calendar()).status_code == 403
    assert _count(db) == before
    csrf = login(client, "admin")
    assert post(client, "/admin/sla/calendars", csrf, **_calendar(name="<b>国庆</b>日历")).status_code == 303
    page = client.get("/admin/sla").text
    assert "<b>国庆</b>" not in page and "&lt;b&gt;国庆&lt;/b&gt;日历" in page

"""Call-detail records through the API: one, in bulk, again; the list by time window and filters."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from kefu.accounts import service as accounts
from kefu.contacts.models import Contact
from kefu.core.context import Actor
from kefu.customers.models import Customer

API = "/api/v1"


def cdr(clock, call_id: str, *, minutes: int = 0, **fields) -> dict:
    at = clock.now() + timedelta(minutes=minutes)
    record = {"call_id": call_id, "channel": "phone", "customer_phone": "+86 138-1234-5678", "queue": "外卖热线",
              "offered_at": at.isoformat(), "answered_at": (at + timedelta(seconds=15)).isoformat(),
              "ended_at": (at + timedelta(seconds=195)).isoformat(), "outcome": "answered"}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def stored(db, call_id: str) -> Contact:
    return db.scalar(select(Contact).where(Contact.channel == "phone", Contact.external_id == call_id))


def test_one_call_is_stored_with_its_customer_category_and_agent(client, world, db, clock):
    body = cdr(clock, "CALL-20261123-0001", category="delivery.late", agent="agent", hold_seconds=30,
               customer_name="张伟")
    r = client.post(f"{API}/contacts", headers=world.headers("admin"), json=body)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["call_id"] == "CALL-20261123-0001" and c["channel"] == "phone" and c["outcome"] == "answered"
    # +86 138-1234-5678 is 张伟 (13812345678), shown masked
    assert c["customer"] == {"id": world.customers[0].id, "name": "张伟", "role": "consumer", "phone": "138****5678"}
    assert c["customer_role"] == "consumer"
    assert c["category"]["code"] == "delivery.late" and c["business_line"]["name"] == "外卖"  # the category's line
    assert c["agent"] == {"id": world.users["agent"].id, "name": "王小明"}
    assert c["talk_seconds"] == 180 - 30 and c["hold_seconds"] == 30  # answered → ended, less the hold
    assert c["queue"] == "外卖热线"
    assert "13812345678" not in r.text

    again = client.post(f"{API}/contacts", headers=world.headers("admin"), json={**body, "outcome": "abandoned"})
    assert again.status_code == 200 and again.json()["id"] == c["id"]
    assert again.json()["outcome"] == "answered"  # the stored record is not overwritten
    assert db.scalar(select(func.count()).select_from(Contact)) == 1
    assert client.get(f"{API}/contacts/{c['id']}", headers=world.headers("analyst")).json() == c


def test_one_bad_call_is_refused_naming_the_field(client, world, clock):
    h = world.headers("admin")
    cases = [
        (cdr(clock, "C1", offered_at="2026-11-23T09:00:00"), "offered_at", "time zone offset"),
        (cdr(clock, "C2", ended_at=clock.now().isoformat()), "ended_at", "before answered_at"),
        (cdr(clock, "C3", answered_at=(clock.now() - timedelta(seconds=1)).isoformat()), "answered_at", "before"),
        (cdr(clock, "C4", category="外卖超时"), "category", "no category"),
        (cdr(clock, "C5", outcome="hung_up"), "outcome", ""),
        (cdr(clock, "C6", customer_phone="不详"), "customer_phone", "phone"),
        (cdr(clock, "C7", agent="nobody"), "agent", "no user"),
        (cdr(clock, "C8", ticket_id=999999), "ticket_id", "no ticket"),
    ]
    for body, field, words in cases:
        r = client.post(f"{API}/contacts", headers=h, json=body)
        assert r.status_code == 422, (field, r.text)
        err = r.json()
        named = err.get("field") or ",".join(e["field"] for e in err.get("errors", []))
        assert field in named and words in err["detail"], (field, err)


def test_abandoned_call_has_no_answer_time(client, world, clock):
    body = cdr(clock, "ABANDON-1", answered_at=None, ended_at=None, outcome="abandoned")
    r = client.post(f"{API}/contacts", headers=world.headers("admin"), json=body)
    assert r.status_code == 201, r.text
    assert r.json()["answered_at"] is None and r.json()["talk_seconds"] is None


def test_bulk_reports_bad_records_by_index_and_stores_the_rest(client, world, db, clock):
    h = world.headers("admin")
    first = client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": [cdr(clock, "B-0")]})
    assert first.json() == {"created": 1, "duplicates": 0, "errors": []}
    batch = [
        cdr(clock, "B-0"),  # sent before: a duplicate, not an error
        cdr(clock, "B-1", customer_phone="13700001111", customer_name="赵六", customer_role="driver"),
        cdr(clock, "B-2", customer_phone="137-0000-1111"),  # the same new caller: one customer
        cdr(clock, "B-3", offered_at="2026-11-23 09:00"),  # no offset
        {"channel": "phone", "offered_at": clock.now().isoformat(), "outcome": "answered"},  # no call_id
        cdr(clock, "B-5", outcome="未接通"),
        cdr(clock, "B-6", business_line="waimai", customer_phone=None, customer_email="Wangfang@Example.cn"),
        cdr(clock, "B-1"),  # twice in the batch: the first one wins
        "not a record",
        cdr(clock, "B-9", customer_phone="15011112222", customer_email="lina.rider@example.cn"),  # 李娜
        cdr(clock, "B-10", customer_phone=None, customer_email=None),  # caller ID withheld
    ]
    r = client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": batch})
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 5, "duplicates": 2, "errors": [
        {"index": 3, "field": "offered_at", "message": "needs a time zone offset, e.g. 2026-11-23T09:15:00+08:00"},
        {"index": 4, "field": "call_id", "message": "is required"},
        {"index": 5, "field": "outcome",
         "message": "must be 'answered', 'abandoned', 'callback_requested' or 'deflected'"},
        {"index": 8, "field": None, "message": "a record must be a JSON object"},
    ]}
    zhao = db.scalars(select(Customer).where(Customer.phone == "13700001111")).all()
    assert [(c.name, c.role) for c in zhao] == [("赵六", "driver")]
    assert stored(db, "B-2").customer_id == zhao[0].id and stored(db, "B-2").customer_role == "driver"
    wang = db.scalar(select(Customer).where(Customer.email == "wangfang@example.cn"))
    assert wang.name == "wangfang" and stored(db, "B-6").customer_id == wang.id
    li_na = world.customers[2]
    db.refresh(li_na)
    assert stored(db, "B-9").customer_id == li_na.id and li_na.email == "15011112222@example.cn"  # kept
    assert stored(db, "B-10").customer_id is None

    resent = client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": batch})
    assert resent.json()["created"] == 0 and resent.json()["duplicates"] == 7
    assert db.scalar(select(func.count()).select_from(Contact)) == 6
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.phone == "13700001111")) == 1


def test_a_known_caller_learns_the_email_the_record_brings(client, world, db, clock):
    customer = world.customers[0]
    customer.email = None
    db.commit()
    r = client.post(f"{API}/contacts/bulk", headers=world.headers("admin"),
                    json={"contacts": [cdr(clock, "L-1", customer_email="zhangwei@example.cn")]})
    assert r.json()["created"] == 1
    db.refresh(customer)
    assert customer.email == "zhangwei@example.cn"


def test_bulk_takes_10000_records_and_refuses_more(client, world, db, clock):
    h = world.headers("admin")
    batch = [cdr(clock, f"BIG-{i}", minutes=i % 600, customer_phone=f"139{i:08d}", customer_name=f"顾客{i}")
             for i in range(10_000)]
    r = client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": batch})
    assert r.status_code == 200, r.text[:300]
    assert r.json() == {"created": 10_000, "duplicates": 0, "errors": []}
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.name.like("顾客%"))) == 10_000
    # the whole batch again, a new call last (a client retrying after a timeout): the stored calls are refused
    # from the first row on, the new one is still stored (PostgreSQL: the direct COPY gives way mid-stream)
    r = client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": [*batch[1:], cdr(clock, "BIG-NEW")]})
    assert r.json() == {"created": 1, "duplicates": 9_999, "errors": []}
    assert stored(db, "BIG-NEW") is not None
    assert db.scalar(select(func.count()).select_from(Contact).where(Contact.external_id.like("BIG-%"))) == 10_001
    r = client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": batch + [cdr(clock, "BIG-X")]})
    assert r.status_code == 413 and r.json()["field"] == "contacts"
    assert stored(db, "BIG-X") is None


def test_bulk_body_must_be_a_list_of_contacts(client, world):
    h = world.headers("admin")
    assert client.post(f"{API}/contacts/bulk", headers=h, json={"calls": []}).status_code == 422
    r = client.post(f"{API}/contacts/bulk", headers={**h, "Content-Type": "application/json"}, content=b"{not json")
    assert r.status_code in (400, 422)


def test_telephony_api_key_may_send_records_its_account_may_not(client, world, db, clock):
    admin = world.users["admin"]
    secret, _ = accounts.create_api_key(db, actor=Actor(user_id=admin.id, username="admin", role="admin",
                                                        team_id=None, now=clock.now()),
                                        name="呼叫中心CDR推送", user=world.users["agent2"])
    db.commit()
    body = {"contacts": [cdr(clock, "KEY-1")]}
    assert client.post(f"{API}/contacts/bulk", headers=world.headers("agent2"), json=body).status_code == 403
    r = client.post(f"{API}/contacts/bulk", headers={"Authorization": f"Bearer {secret}"}, json=body)
    assert r.status_code == 200 and r.json()["created"] == 1
    # a key writes contacts; it does not read them unless its account may
    assert client.get(f"{API}/contacts", headers={"Authorization": f"Bearer {secret}"}).status_code == 403


def test_list_filters_and_time_window(client, world, db, clock):
    h = world.headers("admin")
    batch = [cdr(clock, f"W-{i}", minutes=10 * i, queue="外卖热线" if i % 2 else "阅读热线",
                 outcome="answered" if i % 3 else "abandoned", answered_at=None if i % 3 == 0 else
                 (clock.now() + timedelta(minutes=10 * i, seconds=15)).isoformat(),
                 category="refund" if i < 5 else "login", agent="agent" if i % 3 else None)
             for i in range(12)]
    assert client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": batch}).json()["created"] == 12

    def ids(**params):
        r = client.get(f"{API}/contacts", headers=world.headers("supervisor"), params=params)
        assert r.status_code == 200, r.text
        return [c["call_id"] for c in r.json()["data"]], r.json()["count"]

    assert ids() == ([f"W-{i}" for i in range(11, -1, -1)], 12)  # newest offered first
    assert ids(limit=5) == ([f"W-{i}" for i in range(11, 6, -1)], 12)
    window = {"offered_from": (clock.now() + timedelta(minutes=20)).isoformat(),
              "offered_to": (clock.now() + timedelta(minutes=50)).isoformat()}
    assert ids(**window) == (["W-4", "W-3", "W-2"], 3)
    # the same instant written in Shanghai time
    assert ids(offered_from="2026-11-23T10:20:00+08:00", offered_to="2026-11-23T10:50:00+08:00")[0] == \
        ["W-4", "W-3", "W-2"]
    assert ids(outcome="abandoned")[0] == ["W-9", "W-6", "W-3", "W-0"]
    assert ids(queue="阅读热线", category_id=world.categories["login"].id)[0] == ["W-10", "W-8", "W-6"]
    assert ids(agent_id=world.users["agent"].id, offered_to=window["offered_to"])[0] == ["W-4", "W-2", "W-1"]
    assert ids(channel="email") == ([], 0)
    assert ids(customer_id=world.customers[0].id)[1] == 12
    assert ids(business_line_id=world.lines["reading"].id)[1] == 7
    r = client.get(f"{API}/contacts", headers=h, params={"offered_from": "2026-11-23T10:00:00"})
    assert r.status_code == 422 and r.json()["field"] == "offered_from"
    assert client.get(f"{API}/contacts/999999", headers=h).status_code == 404


def test_count_stops_at_the_cap(client, world, clock):
    h = world.headers("admin")
    batch = [cdr(clock, f"CAP-{i}", minutes=i) for i in range(1_005)]
    assert client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": batch}).json()["created"] == 1_005
    body = client.get(f"{API}/contacts", headers=h, params={"limit": 10}).json()
    assert body["count"] == 1_000 and body["count_capped"] is True
    last = client.get(f"{API}/contacts", headers=h, params={"limit": 10, "offset": 1_000}).json()
    assert [c["call_id"] for c in last["data"]] == ["CAP-4", "CAP-3", "CAP-2", "CAP-1", "CAP-0"]
    assert last["count"] == 1_005 and last["count_capped"] is False


def test_bulk_one_malformed_record_among_good_ones_is_reported_and_the_rest_stored(client, world, db, clock):
    """The whole body is checked in one call; a single bad record sends it down the record-at-a-time path,
    which still stores the good ones and names the bad one's index and field."""
    h = world.headers("admin")
    batch = [cdr(clock, f"M-{i}", minutes=i, customer_phone=f"1360000{i:04d}", customer_name=f"孙悟空{i}")
             for i in range(50)]
    batch[17] = {**batch[17], "hold_seconds": "三十秒"}
    batch[33] = {**batch[33], "ended_at": "2026-11-23T18:00:00"}  # no offset
    r = client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": batch})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["created"] == 48 and got["duplicates"] == 0
    assert [(e["index"], e["field"]) for e in got["errors"]] == [(17, "hold_seconds"), (33, "ended_at")]
    assert got["errors"][1]["message"] == "needs a time zone offset, e.g. 2026-11-23T09:15:00+08:00"
    assert stored(db, "M-17") is None and stored(db, "M-33") is None
    m16 = stored(db, "M-16")
    assert m16 is not None and db.get(Customer, m16.customer_id).name == "孙悟空16"
    assert db.get(Customer, stored(db, "M-49").customer_id).phone == "13600000049"


def test_bulk_fast_path_stores_times_customers_and_codes_as_one_record_would(client, world, db, clock):
    """A clean body (checked in one call, rows written through the driver) stores what the single-record
    endpoint stores: the same instant whatever the offset, new customers with their own ids, the codes."""
    h = world.headers("admin")
    one = cdr(clock, "F-1", minutes=-60, customer_phone="13900001111", customer_name="唐三藏", category="refund",
              agent="agent")
    assert client.post(f"{API}/contacts", headers=h, json=one).status_code == 201
    shanghai = "2026-11-23T10:00:00.250000+08:00"  # 02:00:00.25 UTC
    batch = [cdr(clock, f"F-{i}", customer_phone=f"1390000{i:04d}", customer_name=f"猪八戒{i}", category="refund",
                 agent="agent", offered_at=shanghai, answered_at="2026-11-23T02:00:10.250000Z",
                 ended_at="2026-11-23T03:00:40.250000+01:00") for i in range(2, 40)]
    r = client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": [one, *batch]})
    assert r.json() == {"created": 38, "duplicates": 1, "errors": []}
    for i in (2, 21, 39):
        c = client.get(f"{API}/contacts/{stored(db, f'F-{i}').id}", headers=h).json()
        assert c["customer"]["name"] == f"猪八戒{i}" and c["category"]["code"] == "refund"
        assert c["business_line"]["name"] == "外卖" and c["agent"]["name"] == "王小明"
        assert c["offered_at"].startswith("2026-11-23T02:00:00.25") and c["talk_seconds"] == 30
        assert c["answered_at"].startswith("2026-11-23T02:00:10.25") and c["ended_at"].startswith("2026-11-23T02:00:40")
    ids = [stored(db, f"F-{i}").customer_id for i in range(2, 40)]
    assert len(set(ids)) == 38 and stored(db, "F-1").customer_id not in ids
    window = {"offered_from": "2026-11-23T10:00:00+08:00", "offered_to": "2026-11-23T02:00:01Z"}
    assert client.get(f"{API}/contacts", headers=h, params=window).json()["count"] == 38


def test_bulk_body_that_is_not_json_or_not_a_list_is_refused_clearly(client, world, db):
    h = {**world.headers("admin"), "Content-Type": "application/json"}
    r = client.post(f"{API}/contacts/bulk", headers=h, content="{\"contacts\": [{\"call_id\": \"坏\"".encode())
    assert r.status_code == 422 and "not JSON" in r.json()["detail"], r.text
    r = client.post(f"{API}/contacts/bulk", headers=h, content=b'{"contacts": {"call_id": "X"}}')
    assert r.status_code == 422 and r.json()["field"] == "contacts" and "array" in r.json()["detail"], r.text
    r = client.post(f"{API}/contacts/bulk", headers=h, content=b"[]")
    assert r.status_code == 422 and '{"contacts": [...]}' in r.json()["detail"], r.text
    assert db.scalar(select(func.count()).select_from(Contact)) == 0


def test_bulk_request_body_is_documented(client):
    spec = client.get("/openapi.json").json()
    body = spec["paths"][f"{API}/contacts/bulk"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["contacts"]["items"] == {"$ref": "#/components/schemas/ContactRecord"}
    assert body["properties"]["contacts"]["maxItems"] == 10_000 and body["required"] == ["contacts"]
    assert "ContactRecord" in spec["components"]["schemas"]


def test_bulk_leaves_the_cycle_collector_running_after_a_batch_good_or_refused(client, world, clock):
    import gc

    h = world.headers("admin")
    assert gc.isenabled()
    r = client.post(f"{API}/contacts/bulk", headers=h, json={"contacts": [cdr(clock, "GC-1", customer_name="白骨精")]})
    assert r.json()["created"] == 1 and gc.isenabled()
    r = client.post(f"{API}/contacts/bulk", headers={**h, "Content-Type": "application/json"}, content=b"[1, 2")
    assert r.status_code == 422 and gc.isenabled()
    too_many = {"contacts": [cdr(clock, f"GC-{i}") for i in range(10_001)]}
    r = client.post(f"{API}/contacts/bulk", headers=h, json=too_many)
    assert r.status_code == 413 and gc.isenabled()

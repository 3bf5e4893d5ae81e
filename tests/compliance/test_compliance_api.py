"""POST /api/v1/compliance/check: every rule through HTTP with its offsets, ``blocked``, and bad bodies refused
(422) naming the field. Which roles may call it is in tests/api/test_authz.py."""

from __future__ import annotations

import pytest

URL = "/api/v1/compliance/check"
GREETED = [{"role": "customer", "text": "在吗?外卖超时了"}, {"role": "agent", "text": "您好,很高兴为您服务。"}]
ID = "11010519491231002X"


def post(client, world, body, who="agent"):
    return client.post(URL, headers=world.headers(who), json=body)


@pytest.mark.parametrize(("body", "rule", "span", "blocking"), [
    ({"text": "我帮您提交给站点"}, "forbidden_wording", "提交", False),
    ({"text": "已经退款了!!"}, "exclamation", "!", False),
    ({"text": "请问您的订单号是多少呢?", "context": [*GREETED, {"role": "agent", "text": "您的订单号是多少?"}]},
     "repeated_question", "请问您的订单号是多少呢?", False),
    ({"text": "请问有什么问题?", "context": [{"role": "customer", "text": "在吗"}]}, "missing_opening", "", False),
    ({"text": "好的。", "closing": True}, "missing_closing", "", False),
    ({"text": "商家电话13987654321"}, "pii_leak", "13987654321", True),
    ({"text": "身份证" + ID}, "pii_leak", ID, True),
    ({"text": "见 http://crm.corp/t/1"}, "internal_leak", "http://crm.corp/t/1", True),
    ({"text": "内部备注:注意话术"}, "internal_leak", "内部备注", True),
    ({"text": "您这是无理取闹"}, "judging_customer", "无理取闹", False),
])
def test_each_rule_through_http(client, world, body, rule, span, blocking):
    body = {"context": GREETED, **body}
    r = post(client, world, body)
    assert r.status_code == 200, r.text
    result = r.json()
    (v,) = [v for v in result["violations"] if v["rule"] == rule]
    assert body["text"][v["start"]:v["end"]] == span
    assert v["blocking"] is blocking and v["severity"] == ("block" if blocking else "warn")
    assert v["message"] and set(v) == {"rule", "start", "end", "message", "suggestion", "severity", "blocking"}
    assert result["blocked"] is blocking


def test_clean_message_and_suggestion(client, world):
    r = post(client, world, {"text": "感谢您的耐心等待,已经为您催促骑手。", "context": GREETED})
    assert r.json() == {"violations": [], "blocked": False}
    (v,) = post(client, world, {"text": "帮您递交", "context": GREETED}).json()["violations"]
    assert v["suggestion"] == "我们会为您反馈给相关人员或相关部门核实确认的"


def test_customers_own_number_repeated_is_only_a_warning(client, world):
    context = [{"role": "customer", "text": "我手机13812345678"}, *GREETED[1:]]
    result = post(client, world, {"text": "跟您核对手机13812345678", "context": context}).json()
    assert [(v["rule"], v["blocking"], v["suggestion"]) for v in result["violations"]] == [
        ("pii_leak", False, "138****5678")]
    assert result["blocked"] is False


@pytest.mark.parametrize(("body", "field"), [
    ({}, "text"),
    ({"text": ""}, "text"),
    ({"text": "好" * 5001}, "text"),
    ({"text": "好", "context": "在吗"}, "context"),
    ({"text": "好", "context": [{"role": "boss", "text": "在吗"}]}, "context.0.role"),
    ({"text": "好", "context": [{"role": "customer"}]}, "context.0.text"),
    ({"text": "好", "context": [{"role": "customer", "text": "x"}] * 501}, "context"),
    ({"text": "好", "closing": "maybe"}, "closing"),
])
def test_bad_body_is_refused_naming_the_field(client, world, body, field):
    r = post(client, world, body)
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]], r.text


def test_signed_out_and_not_permitted(client, world):
    assert client.post(URL, json={"text": "您好"}).status_code == 401
    assert post(client, world, {"text": "您好"}, who="listener").status_code == 403
    assert post(client, world, {"text": "您好"}, who="qa").status_code == 200

"""The etiquette checker as plain functions: each rule with Chinese agent messages that should and should not be
flagged, the offsets, the ID-card and Luhn checks, masked PII, the transcript checker and the rules file."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kefu.compliance import Message, RulesError, blocked, check, check_transcript, load_rules
from kefu.compliance.checker import question_tokens, similarity
from kefu.compliance.pii import find_pii, id_checksum_ok, luhn_ok

GREETED = [Message("agent", "您好,很高兴为您服务,请问有什么可以帮到您?")]


def rules_of(text, context=GREETED, **kw):
    return [v.rule for v in check(text, context, **kw)]


def only(text, rule, context=GREETED, **kw):
    found = [v for v in check(text, context, **kw) if v.rule == rule]
    return found


# forbidden wording ------------------------------------------------------------------------------------------

def test_submit_is_forbidden_with_the_seed_wording_as_suggestion():
    text = "您的问题我这边帮您提交给技术部门。"
    (v,) = only(text, "forbidden_wording")
    assert text[v.start:v.end] == "提交"
    assert v.suggestion == "我们会为您反馈给相关人员或相关部门核实确认的"
    assert "递交/提交" in v.message and not v.blocking and v.severity == "warn"


def test_each_forbidden_word_is_found_where_it_is():
    text = "我已经递交了,这个不归我们管。"
    spans = [(text[v.start:v.end], v.rule) for v in check(text, GREETED)]
    assert spans == [("递交", "forbidden_wording"), ("不归我们管", "forbidden_wording")]


def test_polite_reply_has_no_forbidden_wording():
    assert rules_of("我们会为您反馈给相关人员核实确认的,请您耐心等待。") == []


# exclamation marks ------------------------------------------------------------------------------------------

def test_one_exclamation_mark_is_fine():
    assert rules_of("感谢您的耐心等待!已经为您处理好了。") == []


def test_two_exclamation_marks_full_or_half_width_are_flagged():
    text = "已经为您退款了!请注意查收！"
    (v,) = only(text, "exclamation")
    assert (v.start, v.end) == (len(text) - 1, len(text))
    assert text[v.start] == "！" and "2 个感叹号" in v.message


# repeated question ------------------------------------------------------------------------------------------

SAME = [
    ("请问您的订单号是多少?", "您的订单号是多少呢?"),
    ("请问是哪一天下的单?", "您是哪天下的单呢?"),
    ("请问您的收货地址是哪里?", "麻烦您提供一下收货地址好吗?"),
    ("您收到的餐品是哪里有问题?", "请问餐品具体是哪里有问题呢?"),
    ("请问您的手机号码是多少?", "麻烦您提供一下手机号码好吗?"),
]
DIFFERENT = [
    ("请问您的订单号是多少?", "请问您的手机号是多少?"),
    ("请问您的订单是什么时候下的?", "请问订单里少了什么菜品?"),
    ("请问骑手是几点送达的?", "请问骑手有没有联系您?"),
    ("请问您是用微信支付的吗?", "请问退款到账了吗?"),
    ("请问您的收货地址是哪里?", "请问商家的名称是什么?"),
]


@pytest.mark.parametrize(("before", "now"), SAME)
def test_the_same_question_asked_again_is_flagged(before, now):
    context = [*GREETED, Message("agent", before), Message("customer", "嗯")]
    text = f"好的。{now}"
    (v,) = only(text, "repeated_question", context)
    assert text[v.start:v.end] == now
    assert before in v.message


@pytest.mark.parametrize(("before", "now"), DIFFERENT)
def test_a_different_question_is_not_a_repeat(before, now):
    context = [*GREETED, Message("agent", before), Message("customer", "好的")]
    assert only(now, "repeated_question", context) == []


def test_only_the_agents_own_questions_count():
    context = [*GREETED, Message("customer", "你们要我的订单号是多少?")]
    assert only("请问您的订单号是多少?", "repeated_question", context) == []


def test_statements_and_scripted_check_ins_are_not_repeats():
    context = [*GREETED, Message("agent", "请问您还有其他问题吗?"), Message("agent", "订单号是12345。")]
    assert only("请问您还有其他问题需要咨询吗?", "repeated_question", context) == []
    assert only("订单号是12345。", "repeated_question", context) == []


def test_similarity_of_question_tokens():
    assert similarity(question_tokens("请问您的订单号是多少?"), question_tokens("订单号是多少呢")) == 1.0
    assert similarity(question_tokens("请问您的订单号是多少?"), question_tokens("手机号是多少?")) == 0.0
    assert similarity(frozenset(), question_tokens("订单号")) == 0.0


# opening and closing ----------------------------------------------------------------------------------------

def test_first_agent_message_needs_an_opening():
    (v,) = only("请问有什么问题?", "missing_opening", [Message("customer", "在吗")])
    assert (v.start, v.end) == (0, 0) and "很高兴为您服务" in v.suggestion
    assert only("您好,欢迎咨询外卖客服,请问有什么可以帮您?", "missing_opening", [Message("customer", "在吗")]) == []


def test_later_messages_need_no_opening_unless_told():
    assert only("正在为您查询,请您稍等。", "missing_opening") == []
    assert only("正在为您查询,请您稍等。", "missing_opening", first=True) != []


def test_the_closing_message_needs_a_closing_phrase():
    text = "好的,那先这样。"
    (v,) = only(text, "missing_closing", closing=True)
    assert (v.start, v.end) == (len(text), len(text))
    assert only("感谢您的咨询,祝您生活愉快,再见。", "missing_closing", closing=True) == []
    assert only(text, "missing_closing") == []


# personal data ----------------------------------------------------------------------------------------------

ID = "11010519491231002X"  # GB 11643 sample number
CARD = "6222020200001234562"  # passes Luhn


def test_id_checksum_and_luhn():
    assert id_checksum_ok(ID) and id_checksum_ok(ID.lower())
    assert not id_checksum_ok("110105194912310021") and not id_checksum_ok("1101051949")
    assert luhn_ok("4111111111111111") and luhn_ok(CARD)
    assert not luhn_ok("4111111111111112") and not luhn_ok("4111-1111")


@pytest.mark.parametrize(("text", "kind", "raw"), [
    ("手机13812345678", "mobile", "13812345678"),
    ("请拨+86 138-1234-5678", "mobile", "+86 138-1234-5678"),
    ("电话 138 1234 5678 ", "mobile", "138 1234 5678"),
    ("座机010-62345678", "landline", "010-62345678"),
    ("身份证" + ID, "id_card", ID),
    ("卡号6222 0202 0000 1234 562", "bank_card", "6222 0202 0000 1234 562"),
    ("邮箱 zhang.wei@example.cn 已收到", "email", "zhang.wei@example.cn"),
])
def test_personal_data_is_found(text, kind, raw):
    (f,) = find_pii(text)
    assert (f.kind, text[f.start:f.end]) == (kind, raw)


@pytest.mark.parametrize("text", [
    "您的手机号138****5678已验证", "身份证1101**********002X", "订单号2026112300012345", "卡号6222020200001234563",
    "退款38.5元将在1-3个工作日内到账", "110105194912310021", "金额12345678",
])
def test_masked_and_ordinary_numbers_are_not_personal_data(text):
    assert find_pii(text) == []
    assert only(text, "pii_leak") == []


def test_another_customers_number_blocks_sending():
    text = "您好,商家电话是13987654321,身份证" + ID
    found = only(text, "pii_leak")
    assert [text[v.start:v.end] for v in found] == ["13987654321", ID]
    assert all(v.blocking and v.severity == "block" for v in found) and blocked(found)


def test_customers_own_number_repeated_in_full_is_a_warning_with_the_masked_form():
    context = [Message("customer", "我的手机是138-1234-5678"), *GREETED]
    (v,) = only("和您核对一下,手机号是13812345678对吗?", "pii_leak", context)
    assert not v.blocking and v.suggestion == "138****5678"
    assert only("和您核对一下,手机号是138****5678对吗?", "pii_leak", context) == []


def test_a_number_from_an_agent_message_is_not_the_customers():
    context = [*GREETED, Message("agent", "商家电话13987654321")]
    (v,) = only("商家电话13987654321", "pii_leak", context)
    assert v.blocking


def test_the_centers_public_numbers_may_be_sent(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[pii]\nallowed = ["01062345678"]\n', encoding="utf-8")
    assert only("客服电话010-62345678", "pii_leak", rules=load_rules(path)) == []


# internal data ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "span"), [
    ("详情见 http://crm.corp/ticket/88 谢谢", "http://crm.corp/ticket/88"),
    ("后台地址是admin.kefu.example.cn/orders,请勿外传", "admin.kefu.example.cn/orders"),
    ("接口 http://10.2.3.4:8080/api 已恢复", "http://10.2.3.4:8080/api"),
    ("内部备注:该用户多次投诉,注意话术", "内部备注"),
    ("【内部】已升级给组长", "【内部】"),
    ("这是后台截图,书籍被屏蔽原因是违规", "后台截图"),
])
def test_internal_data_blocks(text, span):
    found = only(text, "internal_leak")
    assert span in [text[v.start:v.end] for v in found]
    assert all(v.blocking for v in found)


def test_public_links_are_fine():
    assert only("您可以在 https://help.example.cn/faq 查看退款说明", "internal_leak") == []
    assert only("请发邮件到 kefu@example.cn", "internal_leak") == []


# judging the customer ---------------------------------------------------------------------------------------

def test_judging_or_mocking_the_customer_is_flagged():
    text = "呵呵,您这就是无理取闹。"
    found = only(text, "judging_customer")
    assert [text[v.start:v.end] for v in found] == ["呵呵", "无理取闹"]
    assert only("非常理解您的心情,我们马上为您处理。", "judging_customer") == []


# several rules, transcripts, the rules file -----------------------------------------------------------------

def test_violations_come_sorted_by_position_with_their_offsets():
    text = "你懂不懂!我已经帮你提交了!!"
    assert [(v.rule, text[v.start:v.end]) for v in check(text, GREETED)] == [
        ("judging_customer", "你懂不懂"), ("forbidden_wording", "提交"), ("exclamation", "!!")]


def test_context_may_be_dicts_or_pairs():
    assert rules_of("好的", [{"role": "agent", "text": "您好"}]) == rules_of("好的", [("agent", "您好")]) == []


TRANSCRIPT = [
    ("customer", "在吗?外卖超时一个小时了"),
    ("agent", "请问您的订单号是多少?"),
    ("customer", "2026112300012345"),
    ("agent", "好的,正在为您查询,请您稍等。"),
    ("agent", "您的订单号是多少呢?"),
    ("customer", "刚才不是说了吗"),
    ("agent", "抱歉,已经为您催促骑手了,会提交给站点。"),
]


def test_transcript_checks_each_agent_message_in_its_context():
    result = {i: [v.rule for v in vs] for i, vs in check_transcript(TRANSCRIPT)}
    assert result == {1: ["missing_opening"], 4: ["repeated_question"], 6: ["forbidden_wording", "missing_closing"]}


def test_an_unfinished_transcript_needs_no_closing():
    result = {i: [v.rule for v in vs] for i, vs in check_transcript(TRANSCRIPT, ended=False)}
    assert result[6] == ["forbidden_wording"]


def test_a_centers_file_replaces_only_its_tables(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[[forbidden_wording]]\nwords = ["亲"]\nsuggestion = "您"\nmessage = "不用网络称呼"\n',
                    encoding="utf-8")
    rules = load_rules(path)
    assert only("亲,已经提交了", "forbidden_wording", rules=rules)[0].suggestion == "您"
    assert len(only("亲,已经提交了", "forbidden_wording", rules=rules)) == 1
    assert only("呵呵", "judging_customer", rules=rules) != []


@pytest.mark.parametrize(("content", "error"), [
    ("[exclamation]\nmax = -1\nmessage = 'x'\n", "[exclamation] max"),
    ("[[forbidden_wording]]\nwords = [1]\nmessage = 'x'\n", "[forbidden_wording] words"),
    ("not toml = = 1", "not valid TOML"),
])
def test_a_bad_rules_file_is_refused_naming_the_key(tmp_path, content, error):
    path = tmp_path / "rules.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RulesError, match=error.replace("[", r"\[").replace("]", r"\]")):
        load_rules(path)
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.toml")


def test_the_checker_imports_no_web_framework_or_database():
    code = ("import sys, kefu.compliance; "
            "print(sorted(m for m in ('fastapi', 'starlette', 'sqlalchemy', 'typer', 'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("label", ["订单号", "订单号：", "订单编号 ", "您的运单号是", "退款单号#", "交易号:",
                                   "Order No. "])
def test_an_order_number_that_passes_luhn_is_not_a_bank_card(label):
    text = f"{label}{CARD}，请您核对"
    assert luhn_ok(CARD)
    assert find_pii(text) == []
    assert only(text, "pii_leak") == []


@pytest.mark.parametrize("text", [f"卡号{CARD}", f"订单已退回到{CARD}", f"{CARD}", f"订单号已发您，卡号{CARD}"])
def test_the_same_digits_without_an_order_label_are_a_card(text):
    assert [f.kind for f in find_pii(text)] == ["bank_card"]

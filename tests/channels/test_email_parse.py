"""Reading Chinese e-mail: every common charset and transfer encoding, mislabelled GB2312, raw 8-bit headers,
HTML reduced to safe text, quoted replies trimmed, ticket numbers, threading ids, loop detection."""

from __future__ import annotations

import base64

import pytest

from channels.mail import chinese_mail
from kefu.channels.email.parse import html_to_text, parse, stable_id, ticket_number, trim_quoted

SIMPLIFIED = ("外卖超时两小时未送达,要求退款",
              "您好:\n我在美团点的外卖等了两个小时还没送到,骑手电话也打不通。\n请尽快处理,谢谢!")
TRADITIONAL = ("外賣超時兩小時未送達,要求退款",
               "您好:\n我點的外賣等了兩個小時還沒送到,騎手電話也打不通。\n請盡快處理,謝謝!")


@pytest.mark.parametrize("charset_name", ["gb2312", "gbk", "gb18030", "utf-8", "big5"])
@pytest.mark.parametrize("transfer", ["base64", "qp"])
def test_chinese_subject_sender_and_body_in_every_common_charset(charset_name, transfer):
    subject, body = TRADITIONAL if charset_name == "big5" else SIMPLIFIED
    raw = chinese_mail(subject=subject, body=body, charset_name=charset_name, transfer=transfer,
                       sender=("張偉" if charset_name == "big5" else "张伟", "13812345678@example.cn"))
    assert f"charset=\"{charset_name}\"".encode() in raw or f"charset={charset_name}".encode() in raw
    mail = parse(raw)
    assert mail.subject == subject
    assert mail.body == body
    assert mail.sender == "13812345678@example.cn" and mail.sender_name in ("张伟", "張偉")
    assert mail.message_id == "<m1@mail.example.cn>" and mail.loop_reason is None


def _b64(text: str, codec: str) -> str:
    return base64.b64encode(text.encode(codec)).decode()


def test_gb2312_label_on_gbk_text_is_read_as_gb18030():
    """Outlook and Foxmail label GBK text gb2312; 喆, 镕 and 堃 are not in GB2312 but appear in names."""
    raw = (
        "From: =?gb2312?B?" + _b64("王喆", "gbk") + "?= <wangzhe@example.cn>\r\n"
        "To: kefu@kefu.example.cn\r\n"
        "Subject: =?gb2312?B?" + _b64("王喆:退款申请(朱镕基路店)", "gbk") + "?=\r\n"
        "Message-ID: <gbk-1@foxmail.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + _b64("王喆、李堃两位用户的订单都没有送到。", "gbk") + "\r\n"
    ).encode()
    mail = parse(raw)
    assert mail.sender_name == "王喆" and mail.subject == "王喆:退款申请(朱镕基路店)"
    assert mail.body == "王喆、李堃两位用户的订单都没有送到。"


def test_raw_8bit_gbk_headers_and_body_from_an_old_client():
    raw = (b"From: " + "李娜".encode("gbk") + b" <15011112222@example.cn>\r\n"
           b"Subject: " + "骑手把餐送错地址了".encode("gbk") + b"\r\n"
           b"Message-ID: <old-client-1@163.com>\r\n"
           b"Content-Type: text/plain\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n"
           + "地址是北京市朝阳区建国路88号,送到了隔壁小区。".encode("gbk") + b"\r\n")
    mail = parse(raw)
    assert (mail.sender_name, mail.subject) == ("李娜", "骑手把餐送错地址了")
    assert mail.body == "地址是北京市朝阳区建国路88号,送到了隔壁小区。"


def test_encoded_words_split_inside_a_utf8_character_are_joined():
    text = "会员充值没到账".encode()
    head, tail = base64.b64encode(text[:4]).decode(), base64.b64encode(text[4:]).decode()
    raw = (f"From: reader@example.cn\r\nSubject: =?UTF-8?B?{head}?=\r\n =?UTF-8?B?{tail}?=\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n充值 30 元未到账\r\n").encode()
    assert parse(raw).subject == "会员充值没到账"


def test_html_only_body_becomes_visible_text_without_any_markup():
    html = ("<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
            "<p>您好,<b>订单 2026112300123</b> 一直没有送到。</p><img src=x onerror=\"fetch('/api')\">"
            "<div>请回电&nbsp;谢谢 &lt;紧急&gt;</div><script>document.cookie</script></body></html>")
    mail = parse(chinese_mail(subject="外卖未送达", body="", html=html, charset_name="gbk"))
    assert mail.body == "您好,订单 2026112300123 一直没有送到。\n\n请回电 谢谢 <紧急>"
    for bad in ("script", "alert", "onerror", "fetch", "cookie", "color:red", "<p>", "<img"):
        assert bad not in mail.body


def test_text_plain_is_preferred_over_html():
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    msg = MIMEMultipart("alternative")
    msg.attach(MIMEText("纯文本:骑手态度很差", "plain", "utf-8"))
    msg.attach(MIMEText("<p>HTML:骑手态度很差</p>", "html", "utf-8"))
    msg["From"], msg["Subject"], msg["Message-ID"] = "a@example.cn", "投诉骑手", "<alt-1@x.cn>"
    mail = parse(msg.as_bytes())
    assert mail.body == "纯文本:骑手态度很差" and mail.attachments == []


def test_quoted_previous_messages_are_trimmed():
    qq = "还是没有收到退款。\n\n------------------ 原始邮件 ------------------\n发件人: 客服中心\n您好,已为您催单"
    outlook = "好的,谢谢。\n\n发件人: 客服中心 <kefu@kefu.example.cn>\n发送时间: 2026年11月23日 10:00\n主题: 回复"
    gmail = "收到了。\n\n在 2026年11月23日 周一 10:00,客服中心 <kefu@kefu.example.cn> 写道:\n> 您好"
    apple = "Still nothing.\n\nOn Mon, Nov 23, 2026 at 10:00 AM 客服中心 wrote:\n> hello"
    assert [trim_quoted(t) for t in (qq, outlook, gmail, apple)] == [
        "还是没有收到退款。", "好的,谢谢。", "收到了。", "Still nothing."]
    assert trim_quoted("> 只有引用\n> 没有新内容") == "> 只有引用\n> 没有新内容"  # nothing new: keep it all


@pytest.mark.parametrize("subject, number", [
    ("Re: [工单#123] 外卖超时未送达", 123), ("回复:[#45]退款", 45), ("工单#7 还没处理", 7), ("工单号:88 催一下", 88),
    ("工单号：901 催一下", 901), ("［工单＃12］", 12), ("[工单＃12] 全角井号", 12), ("订单#2026112300123", None),
    ("外卖超时", None), ("回覆:[工單#31] 外賣", 31)])
def test_ticket_number_in_the_subject(subject, number):
    assert ticket_number(subject) == number


def test_threading_ids_and_a_stable_id_without_message_id():
    raw = chinese_mail(subject="Re: 退款", body="还没到账", message_id=None, in_reply_to="<k2@kefu.example.cn>",
                       references="<a1@mail.example.cn> <k1@kefu.example.cn>\r\n <k2@kefu.example.cn>")
    mail = parse(raw)
    assert mail.thread_ids == ["<k2@kefu.example.cn>", "<k1@kefu.example.cn>", "<a1@mail.example.cn>"]
    assert mail.message_id == stable_id(raw) == parse(raw).message_id
    assert mail.message_id != parse(raw + b"\r\n").message_id


@pytest.mark.parametrize("extra, sender, reason", [
    ({"Auto-Submitted": "auto-replied"}, "13812345678@example.cn", "Auto-Submitted: auto-replied"),
    ({"Precedence": "bulk"}, "13812345678@example.cn", "Precedence: bulk"),
    ({"Precedence": "auto_reply"}, "13812345678@example.cn", "Precedence: auto_reply"),
    ({"X-Autoreply": "yes"}, "13812345678@example.cn", "x-autoreply"),
    ({}, "MAILER-DAEMON@mx.example.cn", "sender mailer-daemon"),
    ({}, "postmaster@example.cn", "sender postmaster"),
])
def test_auto_replies_and_bounces_are_recognised(extra, sender, reason):
    raw = chinese_mail(subject="自动回复:我正在休假", body="我正在休假,11月30日回来。", extra=extra,
                       sender=("张伟", sender))
    assert parse(raw).loop_reason == reason
    assert parse(chinese_mail(subject="x", body="y", extra={"Auto-Submitted": "no"})).loop_reason is None


def test_a_delivery_status_report_is_a_bounce():
    raw = (b"From: Mail Delivery System <bounces@mx.example.cn>\r\nSubject: Undelivered Mail\r\n"
           b"Message-ID: <dsn-1@mx.example.cn>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n"
           b"--XX\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
           b"--XX\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.cn\r\n\r\n"
           b"Final-Recipient: rfc822; nobody@example.cn\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--XX--\r\n")
    assert parse(raw).loop_reason == "delivery status report"


def test_attachments_keep_their_chinese_names_and_bytes():
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    raw = chinese_mail(subject="订单截图", body="见附件", attachments=[("订单截图.png", "image/png", png),
                                                                 ("发票.pdf", "application/pdf", b"%PDF-1.4 x")])
    mail = parse(raw)
    assert [(a.filename, a.content_type, a.data) for a in mail.attachments] == [
        ("订单截图.png", "image/png", png), ("发票.pdf", "application/pdf", b"%PDF-1.4 x")]
    assert mail.body == "见附件"


def test_html_to_text_keeps_line_breaks():
    assert html_to_text("第一行<br>第二行<p>第三段</p>") == "第一行\n第二行\n第三段"

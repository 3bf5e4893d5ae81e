"""Chinese e-mail as real clients send it, built with the stdlib ``email`` package (and raw bytes)."""

from __future__ import annotations

from datetime import datetime
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from zoneinfo import ZoneInfo

START = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def charset(name: str, encoding) -> Charset:
    cs = Charset(name)
    cs.header_encoding = cs.body_encoding = encoding
    cs.output_charset = name
    cs.input_codec = cs.output_codec = name
    return cs


def chinese_mail(*, subject: str, body: str, charset_name: str = "utf-8", transfer: str = "base64",
                 sender: tuple[str, str] = ("张伟", "13812345678@example.cn"), to: str = "kefu@kefu.example.cn",
                 message_id: str | None = "<m1@mail.example.cn>", html: str | None = None,
                 in_reply_to: str | None = None, references: str | None = None, extra: dict | None = None,
                 attachments: list[tuple[str, str, bytes]] = ()) -> bytes:
    """A message in ``charset_name`` with ``transfer`` (base64 | qp) for headers and body."""
    cs = charset(charset_name, BASE64 if transfer == "base64" else QP)
    text = MIMEText(body, "plain", cs) if html is None else None
    if html is not None:
        text = MIMEText(html, "html", cs)
    if attachments:
        msg = MIMEMultipart("mixed")
        msg.attach(text)
        for filename, ctype, data in attachments:
            part = MIMEApplication(data, _subtype=ctype.split("/")[1])
            part.replace_header("Content-Type", ctype)
            part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
            msg.attach(part)
    else:
        msg = text
    msg["Subject"] = Header(subject, cs)
    msg["From"] = formataddr(sender, charset=cs)
    msg["To"] = to
    msg["Date"] = format_datetime(START)
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for key, value in (extra or {}).items():
        msg[key] = value
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))  # on the wire: CRLF

"""An RFC 5322 message as kefu reads it: sender, subject, plain-text body, attachments, threading, loops.

Pure functions over bytes (no database). Chinese mail comes in every charset clients ever used: GB2312
(very often really GBK or GB18030 — so every GB charset is decoded as GB18030, their superset), Big5
(decoded as Big5-HKSCS), UTF-8, in quoted-printable or base64, with RFC 2047 encoded-words in the headers
and, from old clients, raw 8-bit GBK in the headers. text/plain is preferred; an HTML-only body is
reduced to its visible text (no markup at all survives, so no script, style or event handler can).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser

BODY_CHARS = 100_000
# the ticket number in a subject: kefu writes "[工单#123]"; people type "[#123]", "工单#123", "工单号:123"
# (or 工單 in traditional characters)
TICKET_IN_SUBJECT = re.compile(r"\[\s*(?:工[单單])?\s*[#＃]\s*(\d{1,9})\s*\]|工[单單]號?号?\s*[#＃:：]\s*(\d{1,9})")
_MSGID = re.compile(r"<[^<>\s]{1,250}>")
_GB = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "euc-cn", "euccn", "x-euc-cn", "gb_2312-80", "csgb2312",
       "chinese", "gb18030", "hz-gb-2312"}
_BIG5 = {"big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "big5-hkscs", "cp950"}
_LOOP_SENDERS = ("mailer-daemon", "postmaster")
_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}


class NoSender(ValueError):
    """The message names no sender address: there is no customer to answer."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str  # the Message-ID, or a stable id made from the raw bytes
    sender: str  # lower-case address
    sender_name: str | None
    subject: str
    body: str
    date: datetime | None
    thread_ids: list[str] = field(default_factory=list)  # In-Reply-To, then References (newest first)
    ticket_hint: int | None = None
    attachments: list[Attachment] = field(default_factory=list)
    loop_reason: str | None = None  # set for auto-replies and bounces: recorded, never answered


# -- charsets -------------------------------------------------------------------
def codec_for(charset: str | None) -> str | None:
    """The codec to read ``charset`` with: GB charsets as GB18030, Big5 as Big5-HKSCS."""
    name = (charset or "").strip().strip('"').lower()
    if not name or name in ("us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        return None
    if name in _GB:
        return "gb18030"
    if name in _BIG5:
        return "big5hkscs"
    if name in ("utf8", "utf-8"):
        return "utf-8"
    return name


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from ``data`` in ``charset``; undeclared or unknown charsets are tried as UTF-8, then GB18030."""
    codec = codec_for(charset)
    if codec:
        try:
            return data.decode(codec)
        except LookupError:
            pass  # an unknown name: guess below
        except UnicodeDecodeError:
            return data.decode(codec, errors="replace") if codec != "utf-8" else _guess(data)
    return _guess(data)


def _guess(data: bytes) -> str:
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def decode_header_value(raw: str | None) -> str:
    """A header as text: RFC 2047 encoded-words in any charset, and raw 8-bit bytes (old clients)."""
    if not raw:
        return ""
    raw = re.sub(r"\r?\n[ \t]", " ", str(raw))
    if any("\udc80" <= ch <= "\udcff" for ch in raw):  # 8-bit bytes the parser kept as surrogates
        raw = _guess(raw.encode("ascii", "surrogateescape"))
    try:
        parts = decode_header(raw)
    except Exception:  # a malformed encoded-word: keep the text as it is
        return raw
    out = []
    for chunk, charset in parts:
        out.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset))
    return "".join(out)


def one_line(text: str) -> str:
    """Header text on one line: CR, LF and other control characters become spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", text).split())


# -- HTML -----------------------------------------------------------------------
class _Text(HTMLParser):
    """Visible text of an HTML body; script, style, head and template contents are dropped."""

    SKIP = {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg"}
    BREAK = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(unescape(line).split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# -- quoted earlier messages ----------------------------------------------------
_QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:原始邮件|Original Message|转发邮件)\s*-{2,}"
    r"|在\s*.{4,80}写道\s*[:：]?\s*$|On .{4,200} wrote:\s*$"
    r"|(?:发件人|From)\s*[:：].+\n\s*(?:发送时间|日期|Sent|Date)\s*[:：])",
    re.IGNORECASE | re.MULTILINE,
)


def trim_quoted(text: str) -> str:
    """The new part of a reply: from the first quote header (原始邮件, 在…写道, On … wrote:, an Outlook
    发件人/发送时间 block) on, and trailing '>' lines, are cut — unless nothing would be left."""
    match = _QUOTE_START.search(text)
    kept = text[: match.start()] if match else text
    lines = kept.rstrip().splitlines()
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    kept = "\n".join(lines).strip()
    return kept if kept else text.strip()


# -- the message ------------------------------------------------------------------
def stable_id(raw: bytes) -> str:
    return f"<sha256.{hashlib.sha256(raw).hexdigest()[:48]}@kefu.invalid>"


def message_id_of(msg: Message, raw: bytes) -> str:
    value = one_line(_raw_header(msg, "message-id"))
    found = _MSGID.search(value)
    if found:
        return found.group(0)
    if value and len(value) <= 250:
        return value
    return stable_id(raw)


def _raw_header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name:
            return str(value)
    return ""


def _raw_headers(msg: Message, name: str) -> list[str]:
    return [str(value) for key, value in msg.raw_items() if key.lower() == name]


def loop_reason(msg: Message, sender: str) -> str | None:
    """Why this message must not be answered (an auto-reply, a bounce, a list), or None."""
    auto = one_line(_raw_header(msg, "auto-submitted")).lower().split(";")[0].strip()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = one_line(_raw_header(msg, "precedence")).lower()
    if precedence in _PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if _raw_header(msg, header):
            return header
    if sender.split("@")[0] in _LOOP_SENDERS:
        return f"sender {sender.split('@')[0]}"
    if msg.get_content_type() == "multipart/report":
        return "delivery status report"
    if _raw_header(msg, "return-path").strip() == "<>":
        return "empty Return-Path (a bounce)"
    return None


def _sender(msg: Message) -> tuple[str, str | None]:
    decoded = [decode_header_value(v) for v in _raw_headers(msg, "from")] or \
        [decode_header_value(v) for v in _raw_headers(msg, "sender")]
    for name, address in getaddresses(decoded):
        address = address.strip().lower()
        if "@" in address and len(address) <= 200:
            name = one_line(name)[:100] or None
            return address, name
    raise NoSender("the message names no sender address (From)")


def _date(msg: Message) -> datetime | None:
    try:
        when = parsedate_to_datetime(one_line(_raw_header(msg, "date")))
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _thread_ids(msg: Message) -> list[str]:
    ids = _MSGID.findall(_raw_header(msg, "in-reply-to"))
    refs = _MSGID.findall(_raw_header(msg, "references"))
    ordered = ids + list(reversed(refs))[:20]
    return list(dict.fromkeys(ordered))


def _text_of(part: Message) -> str:
    data = part.get_payload(decode=True) or b""
    text = decode_bytes(data, part.get_content_charset())
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return text.replace("\r\n", "\n")


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name and any("\udc80" <= ch <= "\udcff" for ch in name):
        name = _guess(name.encode("ascii", "surrogateescape"))
    if name and "=?" in name:
        name = decode_header_value(name)
    return one_line(name) if name else None


def _parts(msg: EmailMessage) -> tuple[Message | None, list[Attachment]]:
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        body = None
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart() or part is body:
            continue
        ctype = part.get_content_type()
        name = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if ctype in ("text/plain", "text/html") and not name and disposition != "attachment":
            continue  # the other alternative of the body
        if ctype in ("message/delivery-status", "message/rfc822-headers"):
            continue
        data = part.get_payload(decode=True) or b""
        extension = {"text/plain": ".txt", "text/html": ".html"}.get(ctype, "")
        attachments.append(Attachment(filename=name or f"附件{len(attachments) + 1}{extension}",
                                      content_type=ctype, data=data))
    return body, attachments


def ticket_number(subject: str) -> int | None:
    match = TICKET_IN_SUBJECT.search(subject)
    return int(match.group(1) or match.group(2)) if match else None


def parse(raw: bytes) -> ParsedMail:
    """Read one message. Raises ``NoSender`` when there is no one to answer."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    sender, name = _sender(msg)
    subject = one_line(decode_header_value(_raw_header(msg, "subject")))[:500]
    body_part, attachments = _parts(msg)
    body = trim_quoted(_text_of(body_part)) if body_part is not None else ""
    return ParsedMail(message_id=message_id_of(msg, raw), sender=sender, sender_name=name, subject=subject,
                      body=body[:BODY_CHARS], date=_date(msg), thread_ids=_thread_ids(msg),
                      ticket_hint=ticket_number(subject), attachments=attachments,
                      loop_reason=loop_reason(msg, sender))

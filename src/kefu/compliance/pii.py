"""Personal data inside free text: mobile and landline numbers, ID-card numbers (GB 11643 checksum), bank cards
(Luhn, 16–19 digits), e-mail addresses; and internal hosts (intranet URLs, private addresses).

Masked forms (``138****5678``, ``1101**********1234``) are not found: a masked digit breaks the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(number: str) -> bool:
    """An 18-character 居民身份证号码 whose last character is the GB 11643 (ISO 7064 MOD 11-2) check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check every bank card number passes."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass(frozen=True)
class Found:
    kind: str  # mobile | landline | id_card | bank_card | email
    start: int
    end: int
    value: str  # normalized: digits only (upper-case X for IDs), e-mail lower-cased


_NUM = r"(?<![0-9A-Za-z@._-])"
_END = r"(?![0-9A-Za-z@])"
_DIGITS_RE = re.compile(
    _NUM + r"(?:"
    r"(?P<id>[1-9]\d{16}[\dXx])"
    r"|(?P<card>\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?|\d{16,19})"
    r"|(?P<mobile>(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4})"
    r"|(?P<landline>\(?0\d{2,3}\)?[ -]?[2-9]\d{6,7}(?:-\d{1,5})?)"
    r")" + _END
)
_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ANY_DIGIT = re.compile(r"\d")
_NOT_DIGIT = re.compile(r"[^\dXx]")


# an order, waybill or transaction number right before the digits: "订单号：2026…", "运单号 #…", "order no. …";
# such numbers are 16–19 digits too and one in ten passes Luhn, but they are what agents must read back
_ORDER_LABEL = re.compile(r"(?:(?:订单|运单|快递单|交易单?|支付单?|流水|工单|退款单?|单)(?:编号|号码|号|id|ID)"
                          r"|order\s*(?:no\.?|number|id|#))\s*(?:是|为)?\s*[:：#＃]?\s*$", re.IGNORECASE)


def _after_order_label(text: str, start: int) -> bool:
    return _ORDER_LABEL.search(text, max(0, start - 16), start) is not None


def _normal(kind: str, raw: str) -> str:
    digits = _NOT_DIGIT.sub("", raw).upper()
    if kind == "mobile":
        return digits[-11:]
    return digits


def find_pii(text: str) -> list[Found]:
    """Every piece of personal data in ``text``, in order. A digit run is an ID number only if its check
    character is right, a bank card only if it passes Luhn; an 18-digit run failing both is nothing."""
    found: list[Found] = []
    if _ANY_DIGIT.search(text):
        for m in _DIGITS_RE.finditer(text):
            kind = m.lastgroup or ""
            raw = m.group()
            value = _normal(kind, raw)
            if kind == "id" and not id_checksum_ok(value):
                kind = "card" if luhn_ok(value) else ""
            elif kind == "card" and (not luhn_ok(value) or _after_order_label(text, m.start())):
                kind = ""  # not a card: fails Luhn, or it is an order/waybill number that happens to pass
            if kind:
                name = {"id": "id_card", "card": "bank_card"}.get(kind, kind)
                found.append(Found(name, m.start(), m.end(), value))
    if "@" in text:
        found += [Found("email", m.start(), m.end(), m.group().lower()) for m in _EMAIL_RE.finditer(text)]
        found.sort(key=lambda f: f.start)
    return found


def customer_values(texts: list[str]) -> set[str]:
    """The normalized personal data a customer wrote in these messages (their own)."""
    return {f.value for t in texts for f in find_pii(t)}


_URL_RE = re.compile(  # starts at a word's start and never backtracks into a run: linear on any text
    r"(?<![A-Za-z0-9.@_-])(?:(?:https?|ftp)://)?"
    r"(?P<host>localhost|[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)+)"
    r"(?::\d{1,5})?(?:/[^\s\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]*+)?",
    re.IGNORECASE,
)
_TRAILING = frozenset(",.;:!?)]'\"")
_PRIVATE_IP = re.compile(r"(?:10|127)\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+")


def find_internal_hosts(text: str, *, suffixes: tuple[str, ...], prefixes: tuple[str, ...]) -> list[tuple[int, int]]:
    """Spans of URLs or host names of the intranet: a private address, localhost, or a host name ending in one
    of ``suffixes`` / starting with one of ``prefixes``. Public URLs are left alone."""
    if "." not in text and "localhost" not in text.lower():
        return []
    spans = []
    for m in _URL_RE.finditer(text):
        host = m.group("host").lower()
        if "@" in text[max(0, m.start() - 1):m.start()]:
            continue  # the domain of an e-mail address
        if host == "localhost" or _PRIVATE_IP.fullmatch(host) or host.endswith(suffixes) or host.startswith(prefixes):
            end = m.end()
            while text[end - 1] in _TRAILING:  # a sentence's punctuation after the URL
                end -= 1
            spans.append((m.start(), end))
    return spans

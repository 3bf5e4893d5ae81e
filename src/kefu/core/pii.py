"""Masking of customer PII (phones, emails, addresses, ID numbers, openids).

Masked forms keep just enough to recognise a customer on the phone:
``138****5678``, ``z***@example.com``, ``北京市朝阳区****``, ``1101**********1234``.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) >= 11:
        return f"{digits[-11:-8]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-2:]}"
    return "****"


def mask_email(email: str | None) -> str | None:
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_address(address: str | None) -> str | None:
    if not address:
        return address
    keep = max(1, min(6, len(address) // 3))
    return address[:keep] + "****"


def mask_id_number(number: str | None) -> str | None:
    if not number:
        return number
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_openid(openid: str | None) -> str | None:
    if not openid:
        return openid
    return openid[:4] + "****"


# a mobile number, also written +86 138 1234 5678 or 138-1234-5678
_PHONE_IN_TEXT = re.compile(r"(?<!\d)((?:\+?86[- ]?)?)(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{4})(\d{10})(\d{3}[\dXx])(?![0-9A-Za-z])")


def scrub_text(text: str) -> str:
    """Mask mobile numbers and ID numbers inside free text (used for logs)."""
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 10 + m.group(3), text)
    return _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(4)}", text)


_EMAIL_IN_TEXT = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def mask_text(text: str) -> str:
    """E-mail addresses, mobile and ID numbers in free text masked (what staff read of a customer's words)."""
    return scrub_text(_EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text))

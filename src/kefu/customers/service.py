"""Customers and how their PII is shown: masked unless revealed (an audited act)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kefu.audit.service import record
from kefu.core import pii
from kefu.core.context import Actor
from kefu.core.db import advisory_xact_locks, begin_write
from kefu.core.errors import Invalid, NotFound
from kefu.customers.models import CUSTOMER_ROLES, Customer

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,30}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PII_FIELDS = ("phone", "email", "address", "id_number", "wechat_openid")
TITLES = ("ms", "mr")  # 女士 / 先生, for the scripts' {称呼}


def _check(data: dict) -> None:
    if data.get("title") is not None and data["title"] not in TITLES:
        raise Invalid(f"title must be one of {', '.join(TITLES)}", field="title")
    if "role" in data and data["role"] not in CUSTOMER_ROLES:
        raise Invalid(f"role must be one of {', '.join(CUSTOMER_ROLES)}", field="role")
    if data.get("phone") and not PHONE_RE.match(data["phone"]):
        raise Invalid("phone is not a phone number", field="phone")
    if data.get("email") and not EMAIL_RE.match(data["email"]):
        raise Invalid("email is not an email address", field="email")
    if "name" in data and not (data["name"] or "").strip():
        raise Invalid("name must not be empty", field="name")


def create_customer(session: Session, *, actor: Actor, data: dict) -> Customer:
    _check(data)
    customer = Customer(**data, created_at=actor.now, updated_at=actor.now)
    session.add(customer)
    session.flush()
    record(session, actor=actor, action="customer.create", target_type="customer", target_id=customer.id)
    return customer


def normalize_phone(phone: str | None) -> str | None:
    """``+86 138-1234-5678`` and ``13812345678`` are the same customer: digits only, China's +86/0086 dropped."""
    if not phone:
        return None
    digits = phone if phone.isascii() and phone.isdigit() else re.sub(r"[^0-9]", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits or None


KEY_LOCKS = 0x6B6563  # 'kec': the first key of the advisory locks taken before creating customers
KEY_LOCK_SLOTS = 1024  # keys share this many locks (a batch of thousands of new callers takes at most these)


def lock_new_keys(session: Session, keys: Iterable[tuple[str, str]]) -> bool:
    """Before creating customers for ``(column, value)`` keys no stored customer has: wait for every other
    writer that may be creating a customer with one of them, and make later ones wait for this transaction, so
    that two requests bringing the same new phone (e-mail, openid) end with one customer (customers may share a
    phone, so no unique index can say so). True when the keys must be looked up again (another writer may have
    created them meanwhile).

    PostgreSQL: a transaction-scoped advisory lock per key's slot (a hash of the key), in slot order, so no two
    writers deadlock. SQLite: the write transaction begun, if it was not yet (one writer at a time)."""
    if session.get_bind().dialect.name == "sqlite":
        return begin_write(session)
    slots = {zlib.crc32(f"{column}:{value}".encode()) % KEY_LOCK_SLOTS for column, value in keys}
    advisory_xact_locks(session, KEY_LOCKS, slots)
    return bool(slots)


def match_or_create(session: Session, *, now, phone: str | None = None, email: str | None = None,
                    openid: str | None = None, name: str | None = None, role: str | None = None) -> Customer:
    """The customer a channel's sender is: found by WeChat openid, then phone, then e-mail (the most specific
    key first); created when none matches. A match learns keys it did not have (an e-mail sender who later
    calls is one customer once the phone is known)."""
    phone, email = normalize_phone(phone), (email or "").strip().lower() or None
    keys = [(column, value) for column, value in (("wechat_openid", openid), ("phone", phone), ("email", email))
            if value]
    found = _first_match(session, keys)
    if found is None and keys and lock_new_keys(session, keys):
        found = _first_match(session, keys)  # created by another request while this one waited
    if found is None:
        role = role if role in CUSTOMER_ROLES else "consumer"
        label = name or (pii.mask_phone(phone) if phone else None) or (email.split("@")[0] if email else None)
        found = Customer(name=(label or "访客")[:100], role=role, phone=phone, email=email, wechat_openid=openid,
                         created_at=now, updated_at=now)
        session.add(found)
        session.flush()
        return found
    for attr, value in (("phone", phone), ("email", email), ("wechat_openid", openid)):
        if value and not getattr(found, attr):
            setattr(found, attr, value)
            found.updated_at = now
    return found


def _first_match(session: Session, keys: list[tuple[str, str]]) -> Customer | None:
    for column, value in keys:
        found = session.scalar(select(Customer).where(getattr(Customer, column) == value).order_by(Customer.id)
                               .limit(1))
        if found is not None:
            return found
    return None


def update_customer(session: Session, *, actor: Actor, customer: Customer, changes: dict) -> Customer:
    _check(changes)
    for key, value in changes.items():
        setattr(customer, key, value)
    customer.updated_at = actor.now
    # field names only: the audit log must not hold the PII itself
    record(session, actor=actor, action="customer.update", target_type="customer", target_id=customer.id,
           detail={"fields": sorted(changes)})
    return customer


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    return customer


def search_customers(session: Session, *, q: str | None, role: str | None, limit: int, offset: int):
    stmt = select(Customer)
    if q:
        digits = re.sub(r"\D", "", q)
        conds = [Customer.name.contains(q)]
        if len(digits) >= 4:
            conds.append(Customer.phone.contains(digits))
        if "@" in q:
            conds.append(Customer.email == q)
        stmt = stmt.where(or_(*conds))
    if role:
        stmt = stmt.where(Customer.role == role)
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(Customer.id.desc()).limit(limit).offset(offset)).all()
    return rows, count


def masked_view(customer: Customer) -> dict:
    return {
        "id": customer.id,
        "name": customer.name,
        "role": customer.role,
        "title": customer.title,
        "phone": pii.mask_phone(customer.phone),
        "email": pii.mask_email(customer.email),
        "wechat_openid": pii.mask_openid(customer.wechat_openid),
        "address": pii.mask_address(customer.address),
        "id_number": pii.mask_id_number(customer.id_number),
        "masked": True,
        "created_at": customer.created_at,
    }


def reveal(session: Session, *, actor: Actor, customer: Customer, reason: str) -> dict:
    """The full record, for a role that may see it; written to the audit log."""
    if not reason.strip():
        raise Invalid("a reason is required to reveal customer details", field="reason")
    record(session, actor=actor, action="pii.reveal", target_type="customer", target_id=customer.id,
           detail={"reason": reason[:200], "fields": list(PII_FIELDS)})
    view = masked_view(customer)
    view.update({f: getattr(customer, f) for f in PII_FIELDS}, masked=False)
    return view

"""Formatting for the pages: local times, money, and the ticket history as readable lines.

Plain functions over plain data (no web framework, no database), tested on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from kefu.core.settings import get_settings
from kefu.web.i18n import translate


def local_time(value: datetime | None, tz: tzinfo | None = None) -> str:
    """``2026-11-23 10:00`` in the center's zone (Asia/Shanghai unless configured)."""
    if value is None:
        return "—"
    return value.astimezone(tz or get_settings().tz).strftime("%Y-%m-%d %H:%M")


def parse_local(value: str, tz: tzinfo | None = None) -> datetime | None:
    """A ``datetime-local`` input (``2026-11-23T14:30``) read in the center's zone; None if empty or bad."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return naive.replace(tzinfo=tz or get_settings().tz) if naive.tzinfo is None else naive


def yuan(fen: int | None) -> str:
    return f"{(fen or 0) / 100:.2f}"


@dataclass
class HistoryLine:
    at: datetime
    kind: str
    text: str
    body: str | None = None  # the reply or note text, shown under the line
    internal: bool = False


@dataclass
class HistoryContext:
    """What the lines need to name things: user names and message bodies by id."""

    users: Mapping[int, str]
    messages: Mapping[int, tuple[str, bool]]  # id -> (body, internal)
    tz: tzinfo | None = None
    categories: Mapping[int, str] = field(default_factory=dict)  # id -> '外卖 / 配送问题'
    teams: Mapping[int, str] = field(default_factory=dict)


def _label(prefix: str, value, lang: str) -> str:
    key = f"{prefix}.{value}"
    text = translate(key, lang)
    return str(value) if text == key else text


def _reason(data: dict, lang: str) -> str:
    reason = (data.get("reason") or "").strip()
    return translate("ev.reason", lang).format(reason=reason) if reason and reason != "merged" else ""


_ENUM_FIELDS = {"priority": "priority", "channel": "channel", "complaint_type": "complaint", "status": "status"}
_SHOWN_TEXT = 60  # characters of a changed subject shown in the line
# the order changed fields are named in (a JSON column need not keep the order they were stored in)
_FIELD_ORDER = ("subject", "description", "customer_id", "business_line_id", "category_id", "channel", "priority",
                "complaint_type", "assignee_id", "team_id")


def _field_rank(name: str) -> tuple[int, str]:
    return (_FIELD_ORDER.index(name) if name in _FIELD_ORDER else len(_FIELD_ORDER), name)


def _value(name: str, value, lang: str, ctx: HistoryContext) -> str:
    if value is None or value == "":
        return translate("field.none", lang)
    if name in _ENUM_FIELDS:
        return _label(_ENUM_FIELDS[name], value, lang)
    names = {"assignee_id": ctx.users, "category_id": ctx.categories, "team_id": ctx.teams}.get(name)
    if names is not None:
        return names.get(value, f"#{value}")
    text = str(value)
    return text if len(text) <= _SHOWN_TEXT else text[:_SHOWN_TEXT] + "…"


def _change(name: str, pair, lang: str, ctx: HistoryContext) -> str:
    """``优先级「普通」→「紧急」`` for one changed field; long texts (description) by name only."""
    label_key = "field.assignee" if name == "assignee_id" else f"field.{name.removesuffix('_id')}"
    label = translate(label_key, lang)
    if name in ("description", "customer_id", "business_line_id") or not isinstance(pair, list | tuple) \
            or len(pair) != 2:
        return label
    old, new = pair
    return translate("ev.change", lang).format(field=label, old=_value(name, old, lang, ctx),
                                               new=_value(name, new, lang, ctx))


def describe(kind: str, data: dict, actor: str, lang: str, ctx: HistoryContext) -> str:
    """One event as a sentence, e.g. ``李组长 升级 组长 → 投诉专员:原因 …``."""
    t = lambda key, **kw: translate(key, lang).format(actor=actor, **kw)  # noqa: E731
    if kind == "status":
        return t("ev.status", old=_label("status", data.get("old"), lang),
                 new=_label("status", data.get("new"), lang)) + _reason(data, lang)
    if kind in ("escalated", "deescalated"):
        return t(f"ev.{kind}", old=_label("tier", data.get("from_tier"), lang),
                 new=_label("tier", data.get("to_tier"), lang)) + _reason(data, lang)
    if kind in ("created", "reply", "note", "email_sent"):
        return t(f"ev.{kind}")
    if kind == "email_failed":
        if data.get("attempts"):
            return t("ev.email_given_up", attempts=data["attempts"], error=data.get("error", ""))
        return t("ev.email_failed", error=data.get("error", ""))
    if kind in ("channel_sent", "channel_failed"):
        args = {"channel": _label("channel", data.get("channel"), lang),
                "what": _label("what", data.get("purpose", "reply"), lang), "error": data.get("error", "")}
        if kind == "channel_failed" and data.get("attempts"):
            return t("ev.channel_given_up", attempts=data["attempts"], **args)
        return t(f"ev.{kind}", **args)
    if kind == "survey_invited":
        return t("ev.survey_invited", channel=_label("channel", data.get("channel"), lang))
    if kind == "survey_failed":
        return t("ev.survey_failed", error=data.get("error", ""))
    if kind == "updated":
        changes = sorted(data.get("changes", {}).items(), key=lambda item: _field_rank(item[0]))
        sep = ", " if lang == "en" else "、"
        return t("ev.updated", fields=sep.join(_change(name, pair, lang, ctx) for name, pair in changes))
    if kind == "merged_into":
        return t("ev.merged_into", id=data.get("target_id")) + _reason(data, lang)
    if kind == "merged_from":
        return t("ev.merged_from", id=data.get("source_id")) + _reason(data, lang)
    if kind == "attachment":
        return t("ev.attachment", name=data.get("filename", ""))
    if kind == "callback_created":
        due = datetime.fromisoformat(data["due_at"]) if data.get("due_at") else None
        owner = ctx.users.get(data.get("owner_id"), translate("field.unassigned", lang))
        return t("ev.callback_created", id=data.get("callback_id"), due=local_time(due, ctx.tz), owner=owner)
    if kind == "callback_reassigned":
        due = datetime.fromisoformat(data["due_at"]) if data.get("due_at") else None
        owner = ctx.users.get(data.get("owner_id"), translate("field.unassigned", lang))
        return t("ev.callback_reassigned", id=data.get("callback_id"), due=local_time(due, ctx.tz), owner=owner)
    if kind == "callback_done":
        return t("ev.callback_done", id=data.get("callback_id"),
                 outcome=_label("outcome", data.get("outcome"), lang))
    if kind == "compensation":
        return t("ev.compensation", kind=_label("comp", data.get("kind"), lang),
                 amount=yuan(data.get("amount_fen")),
                 reason=_label("reason", data.get("reason"), lang))
    if kind == "sla_breached":
        return t("ev.sla_breached", which=_label("sla", data.get("which"), lang))
    if kind in ("regulator_case", "regulator_reply"):
        due = datetime.fromisoformat(data["reply_due_at"]) if data.get("reply_due_at") else None
        return t(f"ev.{kind}", source=translate(f"cmp.source.{data.get('source')}", lang),
                 number=data.get("case_number") or "", due=local_time(due, ctx.tz))
    if kind == "internal_feedback":
        return t("ev.internal_feedback", id=data.get("original_ticket_id") or "—")
    if kind == "internal_feedback_raised":
        return t("ev.internal_feedback_raised", id=data.get("feedback_ticket_id"))
    return t("ev.other", kind=kind)


def history(events, lang: str, ctx: HistoryContext) -> list[HistoryLine]:
    """Readable lines for TicketEvent-like rows (``at``, ``kind``, ``data``, ``actor_name``), oldest first."""
    lines = []
    for event in sorted(events, key=lambda e: (e.at, e.id)):
        data = event.data or {}
        text = describe(event.kind, data, event.actor_name, lang, ctx)
        line = HistoryLine(at=event.at, kind=event.kind, text=text)
        if event.kind in ("reply", "note") and data.get("message_id") in ctx.messages:
            line.body, line.internal = ctx.messages[data["message_id"]]
        lines.append(line)
    return lines

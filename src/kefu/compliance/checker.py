"""The etiquette checker (话术与服务礼仪 compliance): one agent message, in the context of the conversation so far.

``check(text, context)`` returns the violations, each with the character span (Python ``str`` indices into
``text``) it is about; ``check_transcript(messages)`` checks every agent message of a finished conversation.
Used live (the agent sees the warnings before sending; a ``blocking`` violation stops the message) and over
transcripts for QA. Pure: no web framework, no database.

Personal data (``pii_leak``): a number or e-mail the customer wrote earlier in *this* conversation is theirs;
repeating it back in full is still a warning (say it masked, 138****5678); any other — another customer's,
or one from the back office — blocks sending. Masked forms are never flagged. The center's public numbers
(``[pii] allowed``) are never flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from kefu.compliance.pii import find_internal_hosts, find_pii
from kefu.compliance.rules import RuleSet, default_rules

RULES = ("forbidden_wording", "exclamation", "repeated_question", "missing_opening", "missing_closing", "pii_leak",
         "internal_leak", "judging_customer")
BLOCKING = frozenset({"pii_leak", "internal_leak"})
Role = Literal["customer", "agent", "system"]

_PII_NAMES = {"mobile": "手机号码", "landline": "固定电话号码", "id_card": "身份证号码", "bank_card": "银行卡号",
              "email": "电子邮箱"}


@dataclass(frozen=True)
class Message:
    role: Role
    text: str


@dataclass(frozen=True)
class Violation:
    rule: str
    start: int
    end: int
    message: str
    suggestion: str | None = None
    blocking: bool = False

    @property
    def severity(self) -> str:
        return "block" if self.blocking else "warn"

    def as_dict(self) -> dict:
        return {**asdict(self), "severity": self.severity}


def _as_message(m: Message | dict | tuple) -> Message:
    if isinstance(m, Message):
        return m
    if isinstance(m, dict):
        return Message(m["role"], m["text"])
    return Message(*m)


def check(text: str, context: Iterable[Message | dict | tuple] = (), *, first: bool | None = None,
          closing: bool = False, rules: RuleSet | None = None) -> list[Violation]:
    """The violations of the agent message ``text``, sorted by position.

    ``context`` is the conversation before it (``Message``, ``{"role", "text"}`` or ``(role, text)``).
    ``first``: whether this is the agent's first message (default: no agent message in ``context``);
    ``closing``: whether it ends the conversation (then it needs a closing phrase).
    """
    rules = rules or default_rules()
    history = [_as_message(m) for m in context]
    if first is None:
        first = not any(m.role == "agent" for m in history)
    found = _words(text, rules)
    found += _exclamations(text, rules)
    found += _pii(text, history, rules)
    found += _hosts(text, rules)
    found += _repeated(text, history, rules)
    if first and not rules.opening_re.search(text):
        found.append(Violation("missing_opening", 0, 0, rules.opening.message, rules.opening.suggestion))
    if closing and not rules.closing_re.search(text):
        found.append(Violation("missing_closing", len(text), len(text), rules.closing.message,
                               rules.closing.suggestion))
    found.sort(key=lambda v: (v.start, v.end, v.rule))
    return found


def blocked(violations: Iterable[Violation]) -> bool:
    return any(v.blocking for v in violations)


def check_transcript(messages: Sequence[Message | dict | tuple], *, rules: RuleSet | None = None,
                     ended: bool = True) -> list[tuple[int, list[Violation]]]:
    """Every agent message of a conversation checked in the context of those before it: ``[(index,
    violations)]`` for the agent messages with any. The last agent message must close the conversation when
    ``ended``. Ready for the chat to store each contact's violations for QA (not stored yet)."""
    rules = rules or default_rules()
    history = [_as_message(m) for m in messages]
    agent_at = [i for i, m in enumerate(history) if m.role == "agent"]
    last = agent_at[-1] if agent_at and ended else None
    out = []
    for n, i in enumerate(agent_at):
        violations = check(history[i].text, history[:i], first=n == 0, closing=i == last, rules=rules)
        if violations:
            out.append((i, violations))
    return out


def _words(text: str, rules: RuleSet) -> list[Violation]:
    out = []
    for m in rules.words_re.finditer(text):
        rule, entry = rules.word_kind[m.group().lower()]
        message = f"{entry.message}：“{m.group()}”"
        out.append(Violation(rule, m.start(), m.end(), message, entry.suggestion, rule in BLOCKING))
    return out


_EXCLAMATION = re.compile(r"[!！]")


def _exclamations(text: str, rules: RuleSet) -> list[Violation]:
    if "!" not in text and "！" not in text:
        return []
    marks = [m.start() for m in _EXCLAMATION.finditer(text)]
    if len(marks) <= rules.exclamation_max:
        return []
    message = f"{rules.exclamation.message}（本条有 {len(marks)} 个感叹号，最多 {rules.exclamation_max} 个）"
    return [Violation("exclamation", marks[rules.exclamation_max], marks[-1] + 1, message,
                      rules.exclamation.suggestion)]


def _pii(text: str, history: list[Message], rules: RuleSet) -> list[Violation]:
    found = [f for f in find_pii(text) if f.value not in rules.pii_allowed]
    if not found:
        return []
    theirs = {f.value for m in history if m.role == "customer" for f in find_pii(m.text)}
    out = []
    for f in found:
        name = _PII_NAMES[f.kind]
        if f.value in theirs:
            out.append(Violation("pii_leak", f.start, f.end, f"请勿完整复述客户的{name}，请使用掩码",
                                 _masked(f.kind, f.value), False))
        else:
            out.append(Violation("pii_leak", f.start, f.end,
                                 f"不能向客户发送{name}：不是本次对话中客户本人提供的，可能是其他客户或后台的信息",
                                 "删除该号码；如需核对，请客户本人提供", True))
    return out


def _masked(kind: str, value: str) -> str:
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "mobile":
        return f"{value[:3]}****{value[-4:]}"
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def _hosts(text: str, rules: RuleSet) -> list[Violation]:
    spans = find_internal_hosts(text, suffixes=rules.host_suffixes, prefixes=rules.host_prefixes)
    return [Violation("internal_leak", s, e, f"{rules.internal.message}：内部网址“{text[s:e]}”",
                      rules.internal.suggestion, True) for s, e in spans]


_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]*")
_STRIP = re.compile(r"[\s\W_]+")


def _questions(text: str, rules: RuleSet) -> list[tuple[int, int, str]]:
    """The question sentences of ``text``: (start, end, sentence)."""
    out = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group().rstrip()
        if (rules.question_end_re.search(sentence.rstrip("。；;，, ")) or "请问" in sentence) \
                and not rules.exempt_re.search(sentence):
            out.append((m.start(), m.start() + len(sentence), sentence))
    return out


def question_tokens(sentence: str, rules: RuleSet | None = None) -> frozenset[str]:
    """The content of a question: function words removed, each remaining run of characters cut into bigrams
    (a one-character run is kept whole)."""
    rules = rules or default_rules()
    tokens: set[str] = set()
    for run in _STRIP.split(rules.function_re.sub(" ", sentence.lower())):
        if len(run) == 1:
            tokens.add(run)
        tokens.update(run[i:i + 2] for i in range(len(run) - 1))
    return frozenset(tokens)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two token sets, |A∩B| / min(|A|, |B|); 0 when either is empty."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _repeated(text: str, history: list[Message], rules: RuleSet) -> list[Violation]:
    asked = _questions(text, rules)
    if not asked:
        return []
    earlier = [(q, question_tokens(q, rules)) for m in history if m.role == "agent"
               for _s, _e, q in _questions(m.text, rules)]
    out = []
    for start, end, sentence in asked:
        tokens = question_tokens(sentence, rules)
        match = next((q for q, t in earlier if similarity(tokens, t) >= rules.repeat_threshold), None)
        if match is not None:
            out.append(Violation("repeated_question", start, end, f"{rules.repeated.message}（已问过：“{match}”）",
                                 rules.repeated.suggestion))
    return out

"""/compliance/check: the etiquette checker over HTTP, for the agent workspace (warn before sending, block a
leak) and for QA tools. Checks only; stores nothing."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from kefu.compliance import checker
from kefu.core.deps import Principal, require
from kefu.core.roles import Perm
from kefu.core.routing import Router

router = Router(prefix="/compliance", tags=["compliance"])
Checker = Annotated[Principal, require(Perm.compliance_check)]
MAX_TEXT = 5000
MAX_CONTEXT = 500


class ContextMessage(BaseModel):
    role: Literal["customer", "agent", "system"]
    text: Annotated[str, Field(max_length=MAX_TEXT)]


class CheckRequest(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT, description="the agent's message")]
    context: Annotated[list[ContextMessage], Field(max_length=MAX_CONTEXT,
                                                   description="the conversation before it, oldest first")] = []
    first: bool | None = Field(None, description="the agent's first message (default: no agent message in context)")
    closing: bool = Field(False, description="the message ends the conversation (needs a closing phrase)")


class ViolationPublic(BaseModel):
    rule: Literal["forbidden_wording", "exclamation", "repeated_question", "missing_opening", "missing_closing",
                  "pii_leak", "internal_leak", "judging_customer"]
    start: int
    end: int
    message: str
    suggestion: str | None
    severity: Literal["warn", "block"]
    blocking: bool


class CheckResult(BaseModel):
    violations: list[ViolationPublic]
    blocked: bool


@router.post("/check", response_model=CheckResult)
def check(body: CheckRequest, _: Checker):
    """The violations of one agent message in its conversation; ``start``/``end`` are character offsets into
    ``text``. ``blocked`` is true when any violation (``pii_leak`` of data the customer did not give,
    ``internal_leak``) must stop the message from being sent. Pure CPU work, run off the event loop (a
    context of hundreds of messages is allowed)."""
    found = checker.check(body.text, [(m.role, m.text) for m in body.context], first=body.first,
                          closing=body.closing)
    return {"violations": [v.as_dict() for v in found], "blocked": checker.blocked(found)}

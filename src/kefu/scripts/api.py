"""/scripts: the script library (话术库). Everyone who talks to customers reads and renders scripts;
supervisors and admins edit them (``Perm.scripts_write``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from kefu.core.deps import ClockDep, Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page, not_null
from kefu.scripts import service
from kefu.scripts.models import CATEGORIES, SHORTCUT_PATTERN

router = Router(prefix="/scripts", tags=["scripts"])
Reader = Annotated[Principal, require(Perm.scripts_read)]
Writer = Annotated[Principal, require(Perm.scripts_write)]
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Language = Literal["zh-CN", "en"]
CODE = r"^[A-Za-z0-9_.\-]+$"


class ScriptPublic(Out):
    id: int
    code: str
    category: str
    title: str
    body: str
    shortcut: str | None
    language: str
    sort_order: int
    is_active: bool
    updated_by_id: int | None
    updated_at: datetime


class ScriptCreate(BaseModel):
    code: str = Field(min_length=1, max_length=60, pattern=CODE)
    category: Category
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=2000)
    shortcut: str | None = Field(None, pattern=SHORTCUT_PATTERN)
    language: Language = "zh-CN"
    sort_order: int = 0
    is_active: bool = True


class ScriptUpdate(BaseModel):
    code: str | None = Field(None, min_length=1, max_length=60, pattern=CODE)
    category: Category | None = None
    title: str | None = Field(None, min_length=1, max_length=100)
    body: str | None = Field(None, min_length=1, max_length=2000)
    shortcut: str | None = Field(None, pattern=SHORTCUT_PATTERN)  # null removes the shortcut
    language: Language | None = None
    sort_order: int | None = None
    is_active: bool | None = None

    no_nulls = not_null("code", "category", "title", "body", "language", "sort_order", "is_active")


class RenderRequest(BaseModel):
    ticket_id: int | None = None
    customer_id: int | None = None  # else the ticket's customer


class Rendered(BaseModel):
    script_id: int
    text: str


@router.get("", response_model=Page[ScriptPublic])
def list_scripts(session: SessionDep, _: Reader, category: Category | None = None, q: str | None = None,
                 active: bool | None = True, language: Language | None = None):
    rows = service.list_scripts(session, category=category, q=q, active=active, language=language)
    return {"data": rows, "count": len(rows)}


@router.post("", response_model=ScriptPublic, status_code=201)
def create_script(body: ScriptCreate, session: SessionDep, principal: Writer):
    return service.create_script(session, actor=principal.actor, data=body.model_dump())


@router.get("/{script_id}", response_model=ScriptPublic)
def get_script(script_id: int, session: SessionDep, _: Reader):
    return service.get_script(session, script_id)


@router.patch("/{script_id}", response_model=ScriptPublic)
def update_script(script_id: int, body: ScriptUpdate, session: SessionDep, principal: Writer):
    script = service.get_script(session, script_id)
    service.update_script(session, actor=principal.actor, script=script, changes=body.model_dump(exclude_unset=True))
    session.flush()
    return script


@router.post("/{script_id}/render", response_model=Rendered)
def render_script(script_id: int, body: RenderRequest, session: SessionDep, clock: ClockDep, principal: Reader):
    """The script filled in for a ticket's customer (surname and title only) and the calling agent."""
    script = service.get_script(session, script_id)
    text = service.render_script(session, script=script, agent=principal.user, now=clock.now(),
                                 ticket_id=body.ticket_id, customer_id=body.customer_id)
    return {"script_id": script.id, "text": text}

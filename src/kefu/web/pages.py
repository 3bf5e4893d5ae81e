"""Shared plumbing of the web pages: templates and their filters, ``render()``, the signed-in user."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from kefu.core.deps import CurrentUser, Principal
from kefu.core.errors import Forbidden
from kefu.core.roles import Perm, can
from kefu.core.settings import get_settings
from kefu.web import fmt
from kefu.web.i18n import LANGUAGES, translate

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["local"] = fmt.local_time
TEMPLATES.env.filters["yuan"] = fmt.yuan
LANG_COOKIE = "kefu_lang"


def language(request: Request, principal: Principal | None = None) -> str:
    lang = request.cookies.get(LANG_COOKIE)
    if lang in LANGUAGES:
        return lang
    if principal and principal.user.language in LANGUAGES:
        return principal.user.language
    return get_settings().default_language


def render(request: Request, template: str, principal: Principal | None, status_code: int = 200,
           lang: str | None = None, **context):
    """``lang``: a page for someone without a login or cookie (the survey link) may name its language."""
    lang = lang if lang in LANGUAGES else language(request, principal)
    context.update(request=request, me=principal, lang=lang, t=lambda key: translate(key, lang),
                   csrf=principal.auth.csrf_token if principal and principal.auth else "",
                   Perm=Perm)
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


@dataclass
class PageUser:
    id: int
    username: str
    display_name: str
    role: str
    language: str | None


@dataclass
class PageAuth:
    csrf_token: str


@dataclass
class PagePrincipal:
    """What an error page needs of the signed-in user, still readable after the session has closed."""

    user: PageUser
    auth: PageAuth | None

    def can(self, perm: Perm) -> bool:
        return can(self.user.role, perm)


def snapshot(principal: Principal) -> PagePrincipal:
    u = principal.user
    return PagePrincipal(user=PageUser(id=u.id, username=u.username, display_name=u.display_name, role=u.role,
                                       language=u.language),
                         auth=PageAuth(principal.auth.csrf_token) if principal.auth else None)


def web_user(perm: Perm | None = None):
    """The signed-in user (CSRF already checked on POST), refused with 403 unless the role holds ``perm``."""

    def check(request: Request, principal: CurrentUser) -> Principal:
        request.state.principal = snapshot(principal)
        if perm is not None and not principal.can(perm):
            raise Forbidden(f"your role ({principal.user.role}) may not {perm.value}")
        return principal

    return Depends(check)


Staff = Annotated[Principal, web_user()]

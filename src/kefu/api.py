"""All API routers, gathered under /api/v1."""

from __future__ import annotations

from kefu.accounts import api as accounts
from kefu.audit import api as audit
from kefu.callbacks import api as callbacks
from kefu.catalog import api as catalog
from kefu.channels import complaints_api, dead_letters, wechat, weibo
from kefu.compliance import api as compliance
from kefu.contacts import api as contacts
from kefu.core.routing import Router
from kefu.customers import api as customers
from kefu.kb import api as kb
from kefu.notifications import api as notifications
from kefu.scripts import api as scripts
from kefu.sla import api as sla
from kefu.tickets import api as tickets

router = Router(prefix="/api/v1")
for r in (accounts.auth, accounts.users, accounts.teams, accounts.keys, accounts.flags, customers.router,
          catalog.router, catalog.lines, tickets.router, tickets.attachments, callbacks.router, sla.policies,
          sla.calendars, audit.router, notifications.router, contacts.router, scripts.router):
    router.include_router(r)
# signed webhooks, one module per pushed channel (kefu.channels.webhook); regulator and internal complaints
for r in (wechat.router, weibo.router, complaints_api.router, dead_letters.router):
    router.include_router(r)
router.include_router(compliance.router)  # the etiquette checker (kefu.compliance), pure: checks, stores nothing
router.include_router(kb.router)  # the knowledge base (kefu.kb): articles, search, suggestions, dictionary
for r in (kb.public, kb.bot):  # the help center and the self-service bot: anyone, like the chat widget
    router.include_router(r)

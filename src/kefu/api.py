"""All API routers, gathered under /api/v1."""

from __future__ import annotations

from kefu.accounts import api as accounts
from kefu.alerts import api as alerts
from kefu.audit import api as audit
from kefu.callbacks import api as callbacks
from kefu.catalog import api as catalog
from kefu.channels import complaints_api, dead_letters, wechat, weibo
from kefu.chat import api as chat_api
from kefu.chat import qa_api
from kefu.compliance import api as compliance
from kefu.contacts import api as contacts
from kefu.core.routing import Router
from kefu.customers import api as customers
from kefu.kb import api as kb
from kefu.notifications import api as notifications
from kefu.reports import api as reports
from kefu.satisfaction import api as satisfaction
from kefu.scripts import api as scripts
from kefu.sla import api as sla
from kefu.tickets import api as tickets
from kefu.wfm import adherence_api as wfm_adherence
from kefu.wfm import api as wfm
from kefu.wfm import forecast_api as wfm_forecast
from kefu.wfm import rosters_api as wfm_rosters
from kefu.wfm import states_api as wfm_states

router = Router(prefix="/api/v1")
for r in (accounts.auth, accounts.users, accounts.teams, accounts.keys, accounts.flags, customers.router,
          catalog.router, catalog.lines, tickets.router, tickets.attachments, callbacks.router, sla.policies,
          sla.calendars, audit.router, notifications.router, contacts.router, scripts.router):
    router.include_router(r)
# signed webhooks, one module per pushed channel (kefu.channels.webhook); regulator and internal complaints
for r in (wechat.router, weibo.router, complaints_api.router, dead_letters.router):
    router.include_router(r)
router.include_router(compliance.router)  # the etiquette checker (kefu.compliance), pure: checks, stores nothing
router.include_router(wfm.router)  # workforce planning (kefu.wfm): Erlang staffing, scheduling; computes only
router.include_router(wfm_adherence.router)  # /wfm/adherence: logged states against the schedule
router.include_router(wfm_rosters.router)  # /wfm/rosters (publish), GET /wfm/adherence from the stored roster and log
router.include_router(wfm_forecast.router)  # /wfm/forecast (kefu.wfm.forecasting), pure: computes, stores nothing
router.include_router(wfm_states.router)  # /agents/states: the agents' state log (telephony, chat, API)
for r in (alerts.router, alerts.rules_router):  # complaint-spike alerts (上报预警, M6)
    router.include_router(r)
# analytics (kefu.reports) and the satisfaction system (kefu.satisfaction)
router.include_router(reports.router)
router.include_router(satisfaction.router)
# the agent workspace's reads beside the chat socket
router.include_router(chat_api.router)
router.include_router(chat_api.admin)  # /chat-queues: hours, concurrency, timings, skill and team of each queue
router.include_router(chat_api.qa)  # /contacts/{id}/violations: the etiquette warnings kept for QA
router.include_router(qa_api.router)  # /qa: those warnings across chats, their counts, a chat's marked transcript
router.include_router(kb.router)  # the knowledge base (kefu.kb): articles, search, suggestions, dictionary
for r in (kb.public, kb.bot):  # the help center and the self-service bot: anyone, like the chat widget
    router.include_router(r)

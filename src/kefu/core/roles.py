"""Roles (one per user) and what each may do.

The table below is the single source of truth for authorization; routes ask
``require(Perm.X)`` and the authorization-matrix test walks every role against
every endpoint using the same table.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    trainee = "trainee"  # 新员工
    agent = "agent"  # 一线客服
    team_lead = "team_lead"  # 组长
    complaint_specialist = "complaint_specialist"  # 投诉处理专员
    supervisor = "supervisor"  # 督导 / 经理
    analyst = "analyst"  # 数据分析
    qa = "qa"  # 质检
    listener = "listener"  # 客服听音 (product teams)
    admin = "admin"


ROLE_LABELS_ZH = {
    Role.trainee: "新员工",
    Role.agent: "一线客服",
    Role.team_lead: "组长",
    Role.complaint_specialist: "投诉处理专员",
    Role.supervisor: "督导",
    Role.analyst: "数据分析",
    Role.qa: "质检",
    Role.listener: "客服听音",
    Role.admin: "管理员",
}


class Perm(StrEnum):
    tickets_read = "tickets.read"
    tickets_write = "tickets.write"
    tickets_escalate = "tickets.escalate"
    tickets_assign = "tickets.assign"  # assign to anyone, merge
    tickets_export = "tickets.export"
    customers_read = "customers.read"
    customers_write = "customers.write"
    pii_reveal = "pii.reveal"
    callbacks_read = "callbacks.read"
    callbacks_write = "callbacks.write"
    compensation_grant = "compensation.grant"
    compensation_read = "compensation.read"
    categories_write = "categories.write"
    users_read = "users.read"
    users_write = "users.write"
    sla_read = "sla.read"
    sla_write = "sla.write"
    audit_read = "audit.read"
    sessions_flags = "sessions.flags"
    complaints_regulator = "complaints.regulator"  # file a case passed on by 12315 / 市场监管
    complaints_internal = "complaints.internal"  # raise internal feedback (what the front line could not solve)
    complaints_reply = "complaints.reply"  # record the reply sent back to the regulator
    compliance_check = "compliance.check"  # run the etiquette checker on a message (reads and stores nothing)
    contacts_read = "contacts.read"
    contacts_write = "contacts.write"  # also any API key (an integration: the telephony system, gateways)
    channels_dead_letters = "channels.dead_letters"  # see and re-process messages a channel could not take
    scripts_read = "scripts.read"  # the script library (话术库): read and render scripts
    scripts_write = "scripts.write"  # edit the script library
    wfm_plan = "wfm.plan"  # workforce planning (预测排班): staffing, schedules, adherence; stores nothing
    wfm_publish = "wfm.publish"  # publish a roster (排班表) to the agents it names
    alerts_read = "alerts.read"  # complaint-spike alerts (上报预警): see them, live
    alerts_handle = "alerts.handle"  # acknowledge and resolve alerts
    alerts_rules = "alerts.rules"  # edit the alert rules
    reports_read = "reports.read"  # KPIs, TOP10 reasons, satisfaction figures, the wallboard, exports (M7)
    voc_write = "reports.voc_write"  # suggested fixes (建议改进措施) in the weekly VOC report
    ratings_write = "ratings.write"  # record a satisfaction rating for a contact (also any API key: IVR)
    grades_write = "grades.write"  # give a ticket its resolution-power grade (解决力)
    chat_serve = "chat.serve"  # take online chats on a seat (the agent workspace) and see the chat's customer
    chat_observe = "chat.observe"  # see every open chat and follow any of them, read-only (team leads and up)
    chat_queues = "chat.queues"  # edit the chat queues: hours, concurrency, idle times, skill, team
    kb_read = "kb.read"  # the knowledge base (知识库), internal-only articles too; search and suggestions
    kb_write = "kb.write"  # write and edit draft articles, submit them for review
    kb_publish = "kb.publish"  # review: publish, reject, archive; edit published articles, dictionary, synonyms
    kb_metrics_read = "kb.metrics.read"  # self-service deflection and article feedback figures
    qa_read = "qa.read"  # 质检: the etiquette warnings kept on chats, their counts, each chat's transcript (masked)


R = Role
_FRONT = {R.trainee, R.agent, R.team_lead, R.complaint_specialist, R.supervisor, R.admin}
_LEADS = {R.team_lead, R.complaint_specialist, R.supervisor, R.admin}
_ALL = set(Role)

PERMISSIONS: dict[Perm, frozenset[Role]] = {
    Perm.tickets_read: frozenset(_ALL),
    Perm.tickets_write: frozenset(_FRONT),
    Perm.tickets_escalate: frozenset(_FRONT),
    Perm.tickets_assign: frozenset(_LEADS),
    Perm.tickets_export: frozenset({R.supervisor, R.analyst, R.admin}),
    Perm.customers_read: frozenset(_ALL),
    Perm.customers_write: frozenset(_FRONT),
    Perm.pii_reveal: frozenset(_LEADS),
    Perm.callbacks_read: frozenset(_FRONT),
    Perm.callbacks_write: frozenset(_FRONT),
    Perm.compensation_grant: frozenset({R.agent, R.team_lead, R.complaint_specialist, R.supervisor, R.admin}),
    Perm.compensation_read: frozenset(_FRONT | {R.analyst}),
    Perm.categories_write: frozenset({R.admin}),
    Perm.users_read: frozenset({R.team_lead, R.supervisor, R.admin}),
    Perm.users_write: frozenset({R.admin}),
    Perm.sla_read: frozenset({R.team_lead, R.supervisor, R.admin}),
    Perm.sla_write: frozenset({R.admin}),
    Perm.audit_read: frozenset({R.supervisor, R.admin}),
    Perm.sessions_flags: frozenset({R.supervisor, R.admin}),
    Perm.complaints_regulator: frozenset({R.complaint_specialist, R.supervisor, R.admin}),
    Perm.complaints_internal: frozenset(_FRONT - {R.trainee}),
    Perm.complaints_reply: frozenset({R.complaint_specialist, R.supervisor, R.admin}),
    # every seat that sends messages to customers, and QA who review them; analysts work on figures and
    # listeners (product teams) only hear recordings: neither writes to customers nor scores etiquette
    Perm.compliance_check: frozenset(_FRONT | {R.qa}),
    Perm.contacts_read: frozenset({R.team_lead, R.supervisor, R.analyst, R.qa, R.admin}),
    Perm.contacts_write: frozenset({R.admin}),
    Perm.channels_dead_letters: frozenset({R.admin}),
    # everyone who talks to customers, and QA who score against the standard wording; supervisors (督导) own
    # service etiquette and train agents on it, so they edit the wording along with admins
    Perm.scripts_read: frozenset(_FRONT | {R.qa}),
    Perm.scripts_write: frozenset({R.supervisor, R.admin}),
    # planners: supervisors (督导) staff the center, analysts (数据分析) forecast and schedule it
    Perm.wfm_plan: frozenset({R.supervisor, R.analyst, R.admin}),
    Perm.wfm_publish: frozenset({R.supervisor, R.analyst, R.admin}),
    # alerts go to team leaders and supervisors (组长, 督导), who acknowledge and resolve them; analysts read
    # them; the thresholds are the supervisors' and admins' to set
    Perm.alerts_read: frozenset(_LEADS | {R.analyst}),
    Perm.alerts_handle: frozenset(_LEADS),
    Perm.alerts_rules: frozenset({R.supervisor, R.admin}),
    # figures are for those who run the center and analyse it; agents see their own work elsewhere
    Perm.reports_read: frozenset({R.team_lead, R.complaint_specialist, R.supervisor, R.analyst, R.qa, R.admin}),
    # the weekly voice-of-customer report's suggested fixes are written by analysts (数据分析) and supervisors
    Perm.voc_write: frozenset({R.supervisor, R.analyst, R.admin}),
    Perm.ratings_write: frozenset({R.admin}),
    Perm.grades_write: frozenset({R.team_lead, R.supervisor, R.qa, R.admin}),
    # the roles the agent socket lets on a seat (kefu.chat.ws.SERVING) and those who may observe (OBSERVING)
    Perm.chat_serve: frozenset(_FRONT),
    Perm.chat_observe: frozenset({R.team_lead, R.supervisor, R.admin}),
    Perm.chat_queues: frozenset({R.admin}),
    # everyone on staff reads the knowledge base; agents who know an app version write it down (drafts),
    # team leads, supervisors and admins review and publish what customers and the bot will read
    Perm.kb_read: frozenset(_ALL),
    Perm.kb_write: frozenset(_FRONT - {R.trainee}),
    Perm.kb_publish: frozenset({R.team_lead, R.supervisor, R.admin}),
    Perm.kb_metrics_read: frozenset({R.team_lead, R.supervisor, R.analyst, R.admin}),
    # 质检 reviews agents' chats against the etiquette rules with the team leads and supervisors who coach them;
    # analysts work on figures and read no one's conversations
    Perm.qa_read: frozenset({R.team_lead, R.supervisor, R.qa, R.admin}),
}


def can(role: str | Role, perm: Perm) -> bool:
    return Role(role) in PERMISSIONS[perm]

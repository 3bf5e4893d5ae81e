"""Service errors in the user's language.

Domain and service functions raise ``DomainError``s with English messages; the API returns them as
they are. Pages show them through :func:`error_text`, which matches the message against the rules
below and fills a zh-CN or English sentence. A message no rule knows still comes out in the user's
language: a generic sentence by status code that names the field (``「电话」:输入有误``).

Each rule is ``(pattern, zh-CN, en, labels)``. The pattern must match the whole English message; its
named groups fill the sentences, after ``labels`` turns a group's value into a UI label (``status`` →
``status.open`` → 处理中). ``{field}`` is always the label of the error's field. The captured values
(user data such as a policy name) go into ``str.format`` arguments only, never into the template, and
pages escape them like any other text. ``tests/web/test_errors.py`` checks that every message the
services raise has a rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kefu.core.errors import DomainError
from kefu.web.calendar_input import WEEKDAYS
from kefu.web.i18n import translate


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    zh: str
    en: str
    labels: dict[str, str] = field(default_factory=dict)


def _r(pattern: str, zh: str, en: str, **labels: str) -> Rule:
    return Rule(re.compile(pattern, re.DOTALL), zh, en, labels)


NAME = r"(?P<name>'.*'|\".*\")"  # a Python repr() of user text, e.g. '紧急4小时'
RULES: tuple[Rule, ...] = (
    # generic shapes shared by several services
    _r(r"no [\w ]+ with id (?P<id>.+)", "{field}编号 {id} 不存在", "{field}: there is no record with id {id}"),
    _r(r"no (?P<what>ticket|customer|callback|user|notification|category|business line|API key|SLA policy) "
       r"#?(?P<id>.+)", "{what} #{id} 不存在", "{what} #{id} does not exist", what="thing"),
    _r(r"no team named (?P<name>.+)", "班组 {name} 不存在", "There is no team named {name}"),
    _r(r"[\w ]+ must be one of .+", "「{field}」的取值无效", "{field}: not one of the allowed values"),
    _r(r"\w+ must not be empty", "「{field}」不能为空", "{field} must not be empty"),
    _r(r"cannot change (?P<fields>.+)", "不能修改:{fields}", "These fields cannot be changed: {fields}"),
    _r(r"(?:category code|business line|policy|calendar|team) " + NAME + " exists",
       "「{field}」{name} 已存在,请换一个", "{field} {name} already exists; choose another"),
    _r(r"username " + NAME + " is taken", "用户名 {name} 已被使用", "The username {name} is taken"),
    _r(r"unknown role .+", "「{field}」的取值无效", "{field}: unknown role"),
    # who may do what
    _r(r"your role \((?P<role>\w+)\) may not [\w.]+", "您的角色({role})无权执行此操作",
       "Your role ({role}) may not do this", role="role"),
    _r(r"the form is stale or forged \(CSRF check failed\); reload the page",
       "页面已过期或表单来源不明(CSRF 校验失败),请刷新页面后重试",
       "The form is stale or forged (CSRF check failed); reload the page"),
    _r(r"only team leads and above assign tickets to others", "只有组长及以上角色可以把工单指派给他人",
       "Only team leads and above assign tickets to others"),
    _r(r"only team leads and specialists send tickets back down", "只有组长和投诉专员可以退回工单",
       "Only team leads and complaint specialists send tickets back down"),
    _r(r"only the owner or a team lead completes this callback", "只有负责人或组长可以完成此回访",
       "Only the owner or a team lead completes this callback"),
    _r(r"you cannot deactivate your own account", "不能停用自己的账号", "You cannot deactivate your own account"),
    # tickets
    _r(r"a (?P<old>\w+) ticket cannot become (?P<new>\w+)", "「{old}」的工单不能直接改为「{new}」",
       "A ticket that is {old} cannot become {new}", old="status", new="status"),
    _r(r"use escalate to raise a ticket's tier", "请使用「升级工单」提升工单层级",
       "Use Escalate to raise a ticket's tier"),
    _r(r"a closed ticket cannot be changed", "工单已关闭,不能再修改", "A closed ticket cannot be changed"),
    _r(r"a closed ticket takes no more messages", "工单已关闭,不能再回复或添加备注",
       "A closed ticket takes no more replies or notes"),
    _r(r"a closed ticket takes no compensation", "工单已关闭,不能再发放补偿", "A closed ticket takes no compensation"),
    _r(r"a reason is required to escalate", "升级工单必须填写原因", "A reason is required to escalate"),
    _r(r"a reason is required to de-escalate", "退回工单必须填写原因", "A reason is required to send a ticket back"),
    _r(r"a (?P<status>\w+) ticket cannot be escalated", "「{status}」的工单不能升级",
       "A ticket that is {status} cannot be escalated", status="status"),
    _r(r"a (?P<status>\w+) ticket cannot be de-escalated", "「{status}」的工单不能退回",
       "A ticket that is {status} cannot be sent back", status="status"),
    _r(r"the ticket is already at the top tier", "工单已在最高层级(投诉专员)", "The ticket is already at the top tier"),
    _r(r"the ticket is already at tier 1", "工单已在一线", "The ticket is already at tier 1"),
    _r(r"the ticket's team has no leader to escalate to", "工单所在班组没有组长,无法升级",
       "The ticket's team has no leader to escalate to"),
    _r(r"no complaints team is set up to take tier-3 tickets", "尚未设置投诉处理组,无法升级至投诉专员",
       "No complaints team is set up to take tier-3 tickets"),
    _r(r"the message is empty", "内容不能为空", "The message is empty"),
    _r(r"a ticket cannot be merged into itself", "工单不能合并到自身", "A ticket cannot be merged into itself"),
    _r(r"ticket #(?P<id>\d+) is closed and cannot take a merge", "工单 #{id} 已关闭,不能再合并进来",
       "Ticket #{id} is closed and cannot take a merge"),
    _r(r"ticket #(?P<id>\d+) is already closed", "工单 #{id} 已关闭", "Ticket #{id} is already closed"),
    _r(r"the file is larger than (?P<n>\d+) bytes", "文件超过大小上限({n} 字节)",
       "The file is larger than the limit ({n} bytes)"),
    _r(r"the file is empty", "文件是空的", "The file is empty"),
    _r(r"files of type (?P<type>.+) are not accepted", "不接受此类型的文件:{type}",
       "Files of type {type} are not accepted"),
    _r(r"nothing to change", "没有需要保存的修改", "Nothing changed"),
    # compensation
    _r(r"amount must be more than zero", "金额必须大于零", "The amount must be more than zero"),
    _r(r"the amount is not a number of yuan", "「{field}」请填写以元为单位的数字", "{field}: enter a number of yuan"),
    _r(r"your role may grant at most ¥(?P<limit>[\d.]+); escalate for more",
       "您的角色单笔最多可发放 ¥{limit},超出请升级处理", "Your role may grant at most ¥{limit}; escalate for more"),
    # callbacks
    _r(r"a callback needs the customer's phone number", "回访需要客户的电话号码",
       "A callback needs the customer's phone number"),
    _r(r"the due time must be in the future", "回访时间必须晚于现在", "The due time must be in the future"),
    _r(r"the due time is missing or not a date and time", "请填写有效的回访时间",
       "The due time is missing or not a date and time"),
    _r(r"callback #(?P<id>\d+) is already (?P<status>\w+)", "回访 #{id} 已是「{status}」状态",
       "Callback #{id} is already {status}", status="cbstatus"),
    # customers
    _r(r"phone is not a phone number", "电话号码格式不正确", "The phone is not a phone number"),
    _r(r"email is not an email address", "邮箱地址格式不正确", "The email is not an email address"),
    _r(r"a reason is required to reveal customer details", "查看完整信息必须填写原因",
       "A reason is required to reveal customer details"),
    _r(r"(?P<what>[\w ]+) is too long \(at most (?P<n>\d+) characters\)", "「{field}」过长,最多 {n} 个字符",
       "{field} is too long (at most {n} characters)"),
    # users, categories (admin)
    _r(r"password must be at least (?P<n>\d+) characters", "密码至少需要 {n} 个字符",
       "The password must be at least {n} characters"),
    _r(r"username may use letters, digits, '_', '.', '-' \(2–64\)", "用户名只能使用字母、数字、_ . -(2–64 个字符)",
       "The username may use letters, digits, '_', '.', '-' (2–64)"),
    _r(r"team kind is frontline or complaints", "班组类型只能是一线或投诉处理",
       "The team kind is frontline or complaints"),
    _r(r"a category cannot be its own ancestor", "分类不能成为自己的上级", "A category cannot be its own ancestor"),
    _r(r"code and name are required", "编码和名称都必须填写", "Code and name are required"),
    # SLA policies and calendars
    _r(r"the policy needs a name", "策略必须有名称", "The policy needs a name"),
    _r(r"choose a calendar", "请选择日历", "Choose a calendar"),
    _r(r"\w+ must be a number of hours", "「{field}」请填写小时数", "{field} must be a number of hours"),
    _r(r"\w+ must be between 0 and 8760 hours", "「{field}」必须大于 0 且不超过 8760 小时",
       "{field} must be more than 0 and at most 8760 hours"),
    _r(r"unknown time zone (?P<zone>.+)", "未知的时区 {zone}", "Unknown time zone {zone}"),
    _r(r"(?P<day>\w+) hours (?P<value>.+) are not HH:MM-HH:MM ranges",
       "{day}的工作时间 {value} 格式不对,请写成 09:00-18:00,多段用逗号分隔",
       "{day} hours {value} are not HH:MM-HH:MM ranges (e.g. 09:00-18:00, several separated by commas)",
       day="weekday"),
    _r(r"(?P<day>\w+) hours (?P<value>.+) overlap", "{day}的工作时间 {value} 有重叠",
       "{day} hours {value} overlap", day="weekday"),
    _r(r"(?P<value>.+) is not a date \(YYYY-MM-DD\)", "「{field}」中的 {value} 不是日期(格式 2026-10-01)",
       "{field}: {value} is not a date (YYYY-MM-DD)"),
    _r(r"(?P<value>.+) is not a date range", "「{field}」中的 {value} 不是有效的日期范围(如 2026-10-01~2026-10-07)",
       "{field}: {value} is not a date range (e.g. 2026-10-01~2026-10-07)"),
    _r(r"too many dates \(at most (?P<n>\d+)\)", "「{field}」日期过多(最多 {n} 天)",
       "{field}: too many dates (at most {n})"),
    _r(r"(?P<date>[\d-]+) is both a holiday and an extra workday", "{date} 既是节假日又是调休上班日",
       "{date} is both a holiday and an extra workday"),
    _r(r"a business-hours calendar needs working hours on at least one weekday",
       "「工作时间」日历至少要有一天的工作时间",
       "A business-hours calendar needs working hours on at least one weekday"),
    _r(r"a 24x7 calendar has no holidays or extra workdays",
       "7×24 日历全年无休,不设节假日和调休;需要节假日请选择「工作时间」日历",
       "A 24×7 calendar has no holidays or extra workdays; choose business hours for those"),
    _r(r"extra_workdays given but no hours for them.*", "调休上班日按周一的工作时间计,但周一没有工作时间",
       "Make-up working days use Monday's hours, but Monday has none"),
    _r(r"hours.*", "「{field}」设置有误", "{field}: invalid working hours"),
    # regulator complaints and internal feedback
    _r(r"the (?:regulator's case number|complaint's content|feedback's content|complainant's name) is required",
       "「{field}」为必填项", "{field} is required"),
    _r(r"the time is missing or not a date and time", "「{field}」请填写有效的日期和时间",
       "{field}: the time is missing or not a date and time"),
    _r(r"the received time is in the future", "「{field}」不能晚于当前时间", "{field} is in the future"),
    _r(r"the reply due time must be after the received time", "回复期限必须晚于监管受理时间",
       "The reply due time must be after the received time"),
    _r(r"(?P<source>.+) case (?P<number>.+) is already filed", "「{field}」{source} {number} 已登记,请勿重复登记",
       "{field}: {source} case {number} is already filed"),
    _r(r"this complaint was already filed", "该投诉已登记,请勿重复登记", "This complaint was already filed"),
    _r(r"no [\w ]+ with code (?P<code>.+)", "「{field}」{code} 不存在",
       "{field} {code} does not exist"),
    _r(r"internal feedback needs a ticket or a customer with a phone, e-mail or openid",
       "内部反馈须填写原工单号,或有电话、邮箱或微信的客户", "Internal feedback needs the original ticket, or a "
       "customer with a phone, e-mail or WeChat openid"),
    _r(r"no complaint case .+|ticket .+ has no regulator case", "监管案件不存在", "There is no such regulator case"),
    _r(r"internal feedback has no regulator to reply to", "内部反馈无需回复监管部门",
       "Internal feedback has no regulator to reply to"),
    _r(r"case (?P<number>.+) was already replied to", "监管案件 {number} 已回复过",
       "Case {number} was already replied to"),
    _r(r"the reply is empty", "回复内容不能为空", "The reply is empty"),
    # the script library
    _r(r"unknown placeholder (?P<names>.+) in the body",
       "「{field}」含有未知的占位符 {names};可用:{{称呼}} {{坐席}} {{中心}} {{工单号}} {{时间}}",
       "{field} has an unknown placeholder {names}; use {{称呼}} {{坐席}} {{中心}} {{工单号}} {{时间}}"),
    _r(r"(?:code|shortcut) " + NAME + " is taken", "「{field}」{name} 已被使用,请换一个",
       "{field} {name} is taken; choose another"),
    _r(r"code may use letters, digits, '_', '.', '-' \(1–60\)", "「{field}」只能使用字母、数字、_ . -(最多 60 个字符)",
       "{field} may use letters, digits, '_', '.', '-' (at most 60)"),
    _r(r"a shortcut starts with / or ; then 1–15 letters, digits, '_' or '-'",
       "「{field}」须以 / 或 ; 开头,后跟 1–15 个字母、数字、_ 或 -(如 /kc)",
       "{field} starts with / or ; then 1–15 letters, digits, '_' or '-' (e.g. /kc)"),
    _r(r"\w+ must be a whole number", "「{field}」请填写整数",
       "{field} must be a whole number"),
    _r(r"no script (?P<id>.+)", "话术 #{id} 不存在", "Script #{id} does not exist"),
    # reports and the survey link (kefu.reports, kefu.satisfaction)
    _r(r"dates are YYYY-MM-DD", "日期格式应为 2026-11-23", "Dates are YYYY-MM-DD"),
    _r(r"to is before from", "结束日期早于开始日期", "The last day is before the first"),
    _r(r"at most (?P<n>\d+) days at a time", "一次最多查询 {n} 天", "At most {n} days at a time"),
    _r(r"this survey link is not valid", "评价链接无效", "This survey link is not valid"),
    _r(r"this survey link has expired", "评价链接已过期", "This survey link has expired"),
    _r(r"no active business line", "没有在用的业务线", "No active business line"),
    _r(r"too many requests; try again in (?P<seconds>\d+) s", "您发送得太频繁了,请 {seconds} 秒后再试",
       "Too many requests; please try again in {seconds} s"),
    # the chat workspace
    _r(r"no chat (?P<id>.+)", "在线会话 #{id} 不存在", "Chat #{id} does not exist"),
    _r(r"no chat queue (?P<id>.+)", "在线队列 #{id} 不存在", "Chat queue #{id} does not exist"),
    _r(r"a queue code uses a-z, 0-9 and _ \(1–40\)", "「{field}」只能使用小写字母、数字和 _(最多 40 个字符)",
       "{field} uses a-z, 0-9 and _ (at most 40)"),
    _r(r"concurrency is 1 to 20 chats per agent", "「{field}」为每位坐席 1–20 个会话",
       "{field} is 1 to 20 chats per agent"),
    _r(r"\w+ is 1 to 86400 seconds, or empty for the default", "「{field}」为 1–86400 秒,留空则使用系统默认值",
       "{field} is 1 to 86400 seconds, or empty for the default"),
    _r(r"no contact (?P<id>.+)", "联络记录 #{id} 不存在", "Contact #{id} does not exist"),
    _r(r"this chat is not yours", "这不是您接待的会话", "This chat is not yours"),
    _r(r"only the chat's agent or a lead files a ticket for it", "只有接待坐席或组长可以为会话建工单",
       "Only the chat's agent or a lead files a ticket for it"),
    _r(r"this chat already has ticket #(?P<id>.+)", "本会话已关联工单 #{id}", "This chat already has ticket #{id}"),
    _r(r"link a ticket \(ticket_id\) or create one \(subject\)", "请填写工单标题新建工单,或选择要关联的工单(二选一)",
       "Enter a subject to create a ticket, or pick a ticket to link (one of the two)"),
    _r(r"that ticket belongs to another customer", "该工单属于其他客户,不能关联",
       "That ticket belongs to another customer"),
)

GENERIC = {  # status code -> (zh, en) when no rule matches
    403: ("无权执行此操作", "You may not do this"),
    404: ("未找到", "Not found"),
    409: ("「{field}」与当前状态冲突,请刷新后重试", "{field} conflicts with the current state; reload and retry"),
}
GENERIC_INPUT = ("「{field}」输入有误", "{field}: invalid input")
GENERIC_NO_FIELD = ("操作未能完成", "The action could not be done")

# error field -> UI label key, where ``field.<name>`` is not the right one
FIELD_LABELS = {
    "customer_id": "field.customer", "category_id": "field.category", "assignee_id": "ticket.assignee",
    "team_id": "field.team", "team": "field.team", "business_line_id": "field.business_line",
    "owner_id": "field.owner", "ticket_id": "col.ticket", "calendar_id": "field.calendar",
    "parent_id": "field.parent", "severity_class": "field.severity", "tier": "col.tier",
    "phone": "customer.phone", "email": "customer.email", "wechat_openid": "customer.wechat_openid",
    "address": "customer.address", "id_number": "customer.id_number", "body": "field.body",
    "leader_id": "field.leader",
    "source": "cmp.source", "case_number": "cmp.case_number", "received_at": "cmp.received_at",
    "reply_due_at": "cmp.reply_due_at", "customer_name": "cmp.customer_name", "content": "cmp.content",
    "category_code": "field.category", "business_line_code": "cmp.business_line",
    "original_ticket_id": "cmp.original_ticket", "replied_at": "cmp.status.replied",
    "script_id": "admin.scripts",
}


def field_label(name: str | None, lang: str, labels: dict[str, str] | None = None) -> str:
    """The UI label of an error's field; ``labels`` overrides the label key where a page names it otherwise."""
    if not name:
        return ""
    for key in ((labels or {}).get(name), FIELD_LABELS.get(name), f"field.{name}",
                f"field.{name.removesuffix('_id')}"):
        if key and (text := translate(key, lang)) != key:
            return text
    if name.startswith("hours_") and name[6:].isdigit() and int(name[6:]) < len(WEEKDAYS):
        return translate(f"weekday.{WEEKDAYS[int(name[6:])]}", lang)
    return name


def _label(prefix: str, value: str, lang: str) -> str:
    key = f"{prefix}.{value.replace(' ', '_')}"
    text = translate(key, lang)
    return value if text == key else text


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def match(message: str) -> tuple[Rule, dict[str, str]] | None:
    """The first rule matching the whole message, and its groups; ``None`` when no rule does."""
    for rule in RULES:
        if found := rule.pattern.fullmatch(message):
            return rule, {k: v for k, v in found.groupdict().items() if v is not None}
    return None


def error_text(exc: DomainError, lang: str, labels: dict[str, str] | None = None) -> str:
    """The error as a sentence in ``lang`` (zh-CN or en), naming the field where it has one."""
    label = field_label(exc.field, lang, labels)
    found = match(exc.message)
    if found is None:
        zh, en = GENERIC.get(exc.status_code) or (GENERIC_INPUT if exc.field else GENERIC_NO_FIELD)
        if "{field}" in zh and not label:
            zh, en = GENERIC_NO_FIELD
        return (en if lang == "en" else zh).format(field=label)
    rule, groups = found
    values = {k: _label(rule.labels[k], v, lang) if k in rule.labels else _unquote(v) for k, v in groups.items()}
    template = rule.en if lang == "en" else rule.zh
    return template.format(field=label or "", **values)

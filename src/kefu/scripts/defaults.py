"""The default scripts, in the wording of the hotline scripts agents are trained on (热线基本话术) and the
online seats' idle flow (3.5 分钟流程). ``{中心}`` is filled with ``KEFU_CENTER_NAME`` when a script is
rendered, so the defaults name the configured center without being rewritten.

Pure data: the migration that creates ``scripts`` inserts these rows (``insert_defaults``), and
``kefu demo`` shows them.
"""

from __future__ import annotations

# (code, category, title, body, shortcut, language, sort_order)
DEFAULT_SCRIPTS: tuple[tuple[str, str, str, str, str, str, int], ...] = (
    ("opening", "opening", "开场白(热线)",
     "您好!欢迎致电{中心},我是客服代表{坐席},很高兴为您服务,请问有什么可以帮到您?", "/kc", "zh-CN", 10),
    ("opening_online", "opening", "开场白(在线)",
     "您好,{中心}很高兴为您服务,我是客服代表{坐席},请问有什么可以帮您?", "/kcz", "zh-CN", 20),
    ("hold_short", "hold_short", "短时等待", "{称呼},正在为您查询,请您稍等。", "/dd", "zh-CN", 10),
    ("hold_long", "hold_long", "长时间等待",
     "{称呼},您的情况我们需要为您查询确认,可能需要等待1—2分钟,请您稍等不要挂机,我会尽快回来为您服务,谢谢!",
     "/cd", "zh-CN", 10),
    ("hold_thanks", "hold_thanks", "查询结束后", "{称呼},感谢您的耐心等待。", "/gx", "zh-CN", 10),
    ("closing", "closing", "结束语", "{称呼},请问您还有其他的问题需要咨询吗?", "/js", "zh-CN", 10),
    ("closing_goodbye", "closing", "道别", "感谢您的支持和配合,祝您生活愉快,再见!", "/zj", "zh-CN", 20),
    ("survey_invite", "survey_invite", "满意度评价邀请",
     "感谢您致电{中心},为了提高服务质量,能耽误您一点时间为我刚才的服务进行评价吗?", "/py", "zh-CN", 10),
    ("idle_prompt", "idle_prompt", "用户无响应询问",
     "{称呼},请问您还有其他问题吗?您还在电脑边吗?", "/zx", "zh-CN", 10),
    ("idle_close", "idle_close", "会话结束语(用户无响应)",
     "{称呼},由于您长时间没有回复,本次会话将结束。感谢您联系{中心},如有其他问题欢迎随时咨询,祝您生活愉快,再见!",
     "/gb", "zh-CN", 10),
    ("apology", "apology", "致歉", "{称呼},非常抱歉给您带来不便,我们会为您反馈给相关人员或相关部门核实确认的。",
     "/bq", "zh-CN", 10),
    ("transfer", "transfer", "转接专员", "{称呼},您的问题需要专员为您进一步处理,现在为您转接,请您稍等不要挂机。",
     "/zjz", "zh-CN", 10),
    ("follow_up", "follow_up", "稍后回访",
     "{称呼},您的问题我们还在查询当中,请您留下联系方式,稍后会有专员为您回访。您的工单号是{工单号}。",
     "/hf", "zh-CN", 10),
    ("opening_en", "opening", "Opening",
     "Hello, welcome to {中心}. This is {坐席}, how may I help you?", "/ekc", "en", 10),
    ("hold_short_en", "hold_short", "Short hold", "{称呼}, I am checking this for you, one moment please.",
     "/edd", "en", 10),
    ("hold_long_en", "hold_long", "Long hold",
     "{称呼}, we need to look into this for you, which may take 1–2 minutes. Please stay on the line; "
     "I will be right back. Thank you!", "/ecd", "en", 10),
    ("hold_thanks_en", "hold_thanks", "After the hold", "{称呼}, thank you for waiting.", "/egx", "en", 10),
    ("closing_en", "closing", "Closing", "{称呼}, is there anything else I can help you with?", "/ejs", "en", 10),
    ("survey_invite_en", "survey_invite", "Survey invitation",
     "Thank you for contacting {中心}. To help us improve, would you take a moment to rate my service?",
     "/epy", "en", 10),
    ("idle_prompt_en", "idle_prompt", "Idle prompt",
     "{称呼}, is there anything else I can help with? Are you still there?", "/ezx", "en", 10),
    ("idle_close_en", "idle_close", "Idle closing",
     "As we have not heard from you for a while, this chat will now close. Thank you for contacting {中心}; "
     "you are welcome to contact us again at any time. Goodbye!", "/egb", "en", 10),
)


def default_rows(now) -> list[dict]:
    return [
        {"code": code, "category": category, "title": title, "body": body, "shortcut": shortcut,
         "language": language, "sort_order": order, "is_active": True, "updated_by_id": None, "updated_at": now}
        for code, category, title, body, shortcut, language, order in DEFAULT_SCRIPTS
    ]

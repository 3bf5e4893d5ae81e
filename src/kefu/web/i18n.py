"""UI strings in zh-CN (default) and English. A missing key falls back to zh-CN, then to the key."""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app.name": {"zh-CN": "客服工作台", "en": "kefu service desk"},
    "login.title": {"zh-CN": "登录", "en": "Sign in"},
    "login.username": {"zh-CN": "用户名", "en": "Username"},
    "login.password": {"zh-CN": "密码", "en": "Password"},
    "login.submit": {"zh-CN": "登录", "en": "Sign in"},
    "login.failed": {"zh-CN": "用户名或密码错误", "en": "Wrong username or password"},
    "nav.tickets": {"zh-CN": "工单", "en": "Tickets"},
    "nav.callbacks": {"zh-CN": "回访", "en": "Callbacks"},
    "nav.admin": {"zh-CN": "管理", "en": "Admin"},
    "nav.logout": {"zh-CN": "退出", "en": "Sign out"},
    "nav.notifications": {"zh-CN": "通知", "en": "Notifications"},
    "lang.switch": {"zh-CN": "English", "en": "中文"},
    "error.title": {"zh-CN": "出错了", "en": "Something went wrong"},
    "error.back": {"zh-CN": "返回", "en": "Go back"},
}


def translate(key: str, lang: str) -> str:
    entry = STRINGS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry.get("zh-CN") or key

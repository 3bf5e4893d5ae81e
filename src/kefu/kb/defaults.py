"""The platform's own words and synonyms every store starts with (admins edit them: ``/api/v1/kb/words``,
``/api/v1/kb/synonyms``). Inserted by migration 0015."""

from __future__ import annotations

from datetime import datetime

WORDS: dict[str, list[str]] = {
    "term": ["红包", "免单", "发票", "登录", "账号", "订单", "会员", "骑手",
             "神券", "膨胀券", "准时宝", "配送费", "满减", "超级会员", "会员日", "团购券", "核销",
             "网约车", "顺风车", "书币", "阅读币", "自动续费", "连续包月", "电子发票", "增值税专用发票", "实名认证",
             "验证码", "骑手", "外卖小哥", "商家版", "骑手App", "退款", "退钱", "到账", "扣款", "预订单", "拼好饭",
             "代金券", "余额", "钱包", "支付密码", "小程序", "鸿蒙", "爽约", "取消费", "等待费", "高速费", "夜间服务费",
             "漏送", "洒漏", "错送", "少送", "餐损", "催单", "改地址", "备注", "无法登录", "登不上", "登录不了",
             "账号冻结", "注销账号", "换绑", "手机号", "评价", "差评", "投诉", "保价", "超时赔付", "免密支付"],
    "merchant": ["张记小笼包", "老街烧烤", "鲜果时光", "川味小馆", "麦香汉堡", "一点点奶茶"],
    "campaign": ["周末免单节", "天天神券", "超级会员日", "红包雨", "新人专享", "双11狂欢节", "暑期畅读卡"],
}

SYNONYMS: list[list[str]] = [
    ["退款", "退钱", "退费", "返款", "钱退回"],
    ["无法登录", "登不上", "登录不了", "登陆不了", "登录失败", "进不去"],
    ["配送超时", "送餐超时", "送得太慢", "迟迟没送到", "还没送到", "外卖超时"],
    ["骑手", "外卖小哥", "外卖员", "送餐员", "配送员"],
    ["红包", "优惠券", "神券"],
    ["发票", "开票"],
    ["取消订单", "撤单", "不想要了"],
    ["验证码", "短信码", "校验码"],
    ["扣款", "扣钱", "扣费"],
    ["自动续费", "自动扣费", "连续包月"],
    ["司机", "师傅"],
    ["手机号", "手机号码", "电话号码"],
    ["到账", "收到钱"],
    ["漏送", "少送", "缺了"],
    ["洒漏", "洒了", "漏了"],
    ["注销账号", "注销帐号", "删除账号"],
    ["账号", "帐号"],
]


def word_rows(now: datetime) -> list[dict]:
    seen: dict[str, str] = {}
    for kind, words in WORDS.items():
        for w in words:
            seen.setdefault(w, kind)
    return [{"word": w, "kind": kind, "created_at": now} for w, kind in seen.items()]


def synonym_rows(now: datetime) -> list[dict]:
    return [{"words": group, "created_at": now} for group in SYNONYMS]

"""The words of the demo: shops, dishes, books…, channel openings, agents' notes and reasons."""

from __future__ import annotations

import random

from kefu.demo.people import CITIES, ROADS

SHOPS = (
    "黄焖鸡米饭(望京店)",
    "老乡鸡(中关村店)",
    "喜茶(三里屯店)",
    "麦当劳(西单店)",
    "沙县小吃(五道口店)",
    "杨国福麻辣烫(回龙观店)",
    "正新鸡排(天通苑店)",
    "瑞幸咖啡(科技园店)",
    "肯德基(大悦城店)",
    "张亮麻辣烫(人民路店)",
    "袁记云饺(徐家汇店)",
    "蜜雪冰城(大学城店)",
    "海底捞(国贸店)",
    "西贝莜面村(万达店)",
)
DISHES = (
    "黄焖鸡套餐",
    "麻辣烫",
    "奶茶",
    "汉堡套餐",
    "酸菜鱼",
    "盖浇饭",
    "小龙虾",
    "水饺",
    "炸鸡",
    "牛肉面",
    "披萨",
    "螺蛳粉",
    "烤鱼",
    "煲仔饭",
)
BOOKS = (
    "诡秘之主",
    "大奉打更人",
    "夜的命名术",
    "宿命之环",
    "深海余烬",
    "我的1979",
    "道诡异仙",
    "灵境行者",
    "赤心巡天",
    "光阴之外",
    "全职高手",
    "凡人修仙传",
)
HOTELS = ("如家酒店", "汉庭酒店", "全季酒店", "亚朵酒店", "维也纳酒店", "锦江之星")
MOVIES = ("流浪地球3", "哪吒之魔童闹海", "熊出没·重启未来", "唐探1900", "封神第二部")
PHONE_MODELS = ("iPhone 15", "华为Mate 60", "小米14", "OPPO Reno11", "vivo X100", "荣耀Magic6", "红米K70")
ITEMS = ("手机", "钱包", "雨伞", "笔记本电脑", "身份证", "行李箱")
EVENTS = ("双十一书友狂欢", "月票翻倍", "新书打榜", "年度书单投票")

CHANNEL_WEIGHTS = {
    "phone": 38,
    "chat": 30,
    "wechat": 11,
    "email": 6,
    "weibo": 4,
    "self_service": 6,
    "regulator": 1.2,
    "internal": 2.5,
}
CHANNEL_PREFIX = {
    "phone": "用户来电反映:",
    "chat": "用户在线咨询:",
    "wechat": "用户通过公众号留言:",
    "email": "用户来信:",
    "weibo": "用户在微博@官方客服投诉:",
    "self_service": "用户在自助服务中反馈:",
    "regulator": "12315平台转办投诉:",
    "internal": "一线客服反馈(内部投诉):",
}
ASKS = (
    "希望尽快处理。",
    "要求给个说法。",
    "请尽快回电。",
    "希望平台核实后给予补偿。",
    "用户情绪比较激动,要求今天内答复。",
    "用户表示如果处理不好会继续投诉。",
    "",
)
NOTES = (
    "已查询后台订单记录,与用户描述一致。",
    "用户情绪激动,已安抚,注意回访语气。",
    "已联系商家核实,等待商家回复。",
    "已联系骑手站点,站点负责人表示会尽快核实。",
    "用户为老客户,近三个月投诉2次,注意跟进。",
    "已告知用户处理时效,用户表示同意等待。",
    "需要技术组协助排查,已在群里同步。",
    "已向组长反映,组长同意按方案处理。",
)
PENDING_REASONS = (
    "等待用户补充截图",
    "等待商家核实",
    "等待骑手站点反馈",
    "等待技术排查结果",
    "等待用户确认方案",
)
ESCALATE_T2 = (
    "用户要求组长处理",
    "超出一线处理权限,需线下升级",
    "用户不接受补偿方案",
    "需要协调商家与骑手站点",
    "用户多次来电仍未解决",
)
ESCALATE_T3 = (
    "用户表示要向12315投诉",
    "涉及赔付金额超出组长权限",
    "用户要求投诉处理专员跟进",
    "存在微博曝光风险",
    "需要跨部门核实处理",
)
PREFERRED = ("今天18:00前", "明天上午", "晚上8点以后", "工作日白天", "随时可以")


def fill(rng: random.Random, text: str) -> str:
    """A template with its ``{placeholders}`` filled (every value is drawn, used or not)."""
    city = rng.choice(list(CITIES))
    values = {
        "min": rng.randint(40, 130),
        "shop": rng.choice(SHOPS),
        "dish": rng.choice(DISHES),
        "tail": f"{rng.randrange(10**4):04d}",
        "amt": rng.choice((f"{rng.randint(12, 199)}", f"{rng.randint(12, 199)}.{rng.randint(1, 9)}")),
        "days": rng.randint(2, 12),
        "floor": rng.randint(6, 28),
        "address_short": f"{city}{rng.choice(CITIES[city])}{rng.choice(ROADS)}{rng.randint(1, 200)}号",
        "city": city.removesuffix("市"),
        "hotel": rng.choice(HOTELS),
        "movie": rng.choice(MOVIES),
        "book": rng.choice(BOOKS),
        "chapter": rng.randint(12, 1400),
        "phone_model": rng.choice(PHONE_MODELS),
        "ver": f"7.{rng.randint(8, 12)}.{rng.randint(0, 9)}",
        "n": rng.randint(3, 10),
        "hours": rng.randint(1, 3),
        "orders": rng.randint(180, 420),
        "km": rng.randint(6, 15),
        "item": rng.choice(ITEMS),
        "event": rng.choice(EVENTS),
    }
    return text.format(**values)


def greeting(rng: random.Random, sal: str) -> str:
    """An agent's first reply."""
    opening = rng.choice(("您好", "您好,很高兴为您服务", "您好,感谢您的耐心等待"))
    middle = rng.choice(("您反映的问题我们已经记录", "您的情况我们已经了解", "关于您反馈的问题"))
    tail = rng.choice(
        (
            "正在为您查询,请您稍等。",
            "我们会为您反馈给相关人员核实确认,请您耐心等待。",
            "我们会尽快为您处理,处理结果会第一时间通知您。",
        )
    )
    return f"{sal}{opening},{middle},{tail}"

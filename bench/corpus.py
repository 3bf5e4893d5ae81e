"""Realistic Chinese ticket text for the benchmarks, shared by the kefu seeder, the peer seeder and the
load client so that both systems hold and receive the same kind of tickets.

Issues are weighted so that search words have very different frequencies: 退款 and 骑手 appear in a
large share of tickets, 超时未送达 in a medium share, 会员充值 and 发票 in a few percent, 食物中毒 and
账号被盗 rarely. No third-party data: everything is generated from the templates below.
"""

from __future__ import annotations

import random

SHOPS = ["老王黄焖鸡", "沙县小吃", "兰州拉面", "杨国福麻辣烫", "肯德基", "麦当劳", "喜茶", "瑞幸咖啡", "海底捞外送",
         "西贝莜面村", "必胜客", "张亮麻辣烫", "蜜雪冰城", "华莱士", "袁记云饺", "绝味鸭脖", "正新鸡排", "老乡鸡",
         "吉野家", "味千拉面", "大米先生", "和府捞面", "南城香", "庆丰包子铺"]
DISHES = ["宫保鸡丁", "鱼香肉丝", "麻辣香锅", "黄焖鸡米饭", "牛肉拉面", "酸菜鱼", "珍珠奶茶", "生煎包", "炸鸡套餐",
          "小龙虾", "煲仔饭", "水饺", "凉皮", "肉夹馍", "螺蛳粉", "过桥米线", "寿司拼盘", "咖喱饭", "汉堡套餐"]
CITIES = ["北京市朝阳区", "上海市浦东新区", "广州市天河区", "深圳市南山区", "杭州市西湖区", "成都市武侯区",
          "武汉市洪山区", "南京市鼓楼区", "西安市雁塔区", "重庆市渝中区", "天津市南开区", "苏州市工业园区"]
BOOKS = ["斗破苍穹", "凡人修仙传", "诡秘之主", "庆余年", "大奉打更人", "全职高手", "雪中悍刀行", "三体"]
FEELINGS = ["非常不满意", "很着急", "希望尽快处理", "已经等了很久", "要求给个说法", "第二次反馈了", "态度很差",
            "请尽快回电", "希望平台重视", "不接受敷衍的答复"]

# (weight, subject templates, description sentences)
ISSUES: list[tuple[int, list[str], list[str]]] = [
    (22, ["申请退款未到账", "订单退款{amount}元迟迟未退", "要求全额退款", "退款被驳回要求复核", "部分退款金额不对"],
     ["用户申请退款后{days}天仍未到账。", "商家已同意退款但款项未原路返回。", "用户称退款金额少了{amount}元。",
      "订单取消后要求退款到原支付账户。"]),
    (16, ["骑手态度恶劣", "骑手未送达却点了送达", "骑手私自拆开餐品", "骑手要求加价", "骑手送错地址"],
     ["骑手电话联系不上,用户在楼下等了{minutes}分钟。", "用户反映骑手配送过程中态度恶劣并辱骂用户。",
      "骑手把餐放在门卫处没有告知。", "骑手提前点击了送达,实际并未送到。"]),
    (12, ["订单超时未送达", "超时未送达要求赔付", "预计送达时间已过仍未送达", "配送严重超时"],
     ["订单超时未送达,已超出预计时间{minutes}分钟。", "用户下单后{minutes}分钟仍未收到餐品,要求超时赔付。",
      "配送超时,餐品已经凉了。"]),
    (10, ["餐品少送漏送", "收到的餐品洒漏", "餐品与描述不符", "吃出异物", "餐品变质有异味"],
     ["用户收到的{dish}洒漏严重,包装破损。", "少送了一份{dish},商家不承认。", "餐品中发现头发,要求商家道歉。",
      "用户称{dish}有异味疑似变质。"]),
    (8, ["会员充值未生效", "会员充值重复扣费", "自动续费未提醒", "充值书币未到账"],
     ["用户会员充值{amount}元后权益未生效。", "会员充值被重复扣费两次。", "用户在阅读《{book}》时充值书币未到账。",
      "自动续费前没有收到任何提醒,要求退还本期费用。"]),
    (8, ["无法登录账号", "验证码收不到", "账号被封申诉", "登录后闪退"],
     ["用户反映收不到短信验证码,无法登录。", "App 登录后闪退,已重装仍然如此。", "账号因异常被封,用户申诉要求解封。",
      "用户在阅读《{book}》时频繁掉线。"]),
    (6, ["优惠券无法使用", "满减活动未生效", "红包过期要求补发", "价格与页面不一致"],
     ["下单时满减未生效,多付了{amount}元。", "优惠券显示可用但结算时无法使用。", "活动页面价格与实际扣款不一致。"]),
    (5, ["申请开具发票", "发票抬头错误", "电子发票未收到"],
     ["用户需要开具发票用于报销,金额{amount}元。", "发票抬头填写错误,申请重开。", "电子发票一直没有收到。"]),
    (4, ["商家拒绝接单", "商家私自取消订单", "商家出餐太慢"],
     ["商家接单后又私自取消订单。", "商家出餐慢导致配送超时。", "商家电话无人接听。"]),
    (3, ["隐私号码泄露", "收到骚扰电话", "个人信息被泄露"],
     ["用户称下单后收到大量骚扰电话,怀疑隐私号码泄露。", "用户要求删除其个人信息。"]),
    (2, ["疑似食物中毒", "吃后腹泻就医"],
     ["用户食用{dish}后出现腹泻呕吐,已去医院就诊,疑似食物中毒,要求商家赔偿医药费。"]),
    (1, ["账号被盗", "账号被盗刷"],
     ["用户称账号被盗,被人下了{n}笔订单,涉及金额{amount}元。"]),
    (3, ["投诉处理不满意", "要求升级投诉", "向消协投诉"],
     ["用户对上次处理结果不满意,要求升级投诉。", "用户表示已向12315投诉,要求平台给出书面答复。"]),
]
_WEIGHTS = [w for w, _, _ in ISSUES]
SEARCH_WORDS = ["退款", "骑手", "超时未送达", "会员充值", "发票", "优惠券", "食物中毒", "账号被盗",
                "黄焖鸡", "态度恶劣", "退款 骑手", "螺蛳粉"]


def _fill(template: str, rnd: random.Random) -> str:
    return template.format(amount=rnd.choice([5, 12, 18.5, 25, 38, 66, 99, 128, 258, 520]),
                           days=rnd.randint(2, 15), minutes=rnd.choice([20, 35, 45, 60, 90, 120]),
                           dish=rnd.choice(DISHES), book=rnd.choice(BOOKS), n=rnd.randint(2, 9))


def ticket_text(rnd: random.Random) -> tuple[int, str, str]:
    """(issue index, subject, description) for one ticket."""
    idx = rnd.choices(range(len(ISSUES)), weights=_WEIGHTS)[0]
    _, subjects, sentences = ISSUES[idx]
    subject = _fill(rnd.choice(subjects), rnd)
    if rnd.random() < 0.3:
        subject = f"{rnd.choice(SHOPS)}:{subject}"
    parts = [f"订单号{rnd.randint(10**15, 10**16 - 1)},地址{rnd.choice(CITIES)},商家{rnd.choice(SHOPS)}。"]
    parts += [_fill(s, rnd) for s in rnd.sample(sentences, k=min(len(sentences), rnd.randint(1, 2)))]
    if rnd.random() < 0.25:  # a second issue mentioned in passing
        other = ISSUES[rnd.choices(range(len(ISSUES)), weights=_WEIGHTS)[0]][2]
        parts.append(_fill(rnd.choice(other), rnd))
    parts.append(f"用户{rnd.choice(FEELINGS)}。")
    return idx, subject, "".join(parts)

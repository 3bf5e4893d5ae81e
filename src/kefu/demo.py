"""``kefu demo``: a believable demo contact center (演示数据).

Builds the business lines, the category tree of SPEC M6 (severe / general /
intermittent classes) plus the food-delivery and local-services trees, three
teams with their leaders, thirty staff across every role, two thousand
customers with Chinese names, the SLA calendars and policies, and about a month
of tickets at realistic volumes (evening peak 19:00–22:00, quiet nights,
busier weekends, two incident spikes).

Tickets are not written as finished rows: every ticket is driven through the
real services (create, reply, note, pending, escalate, callback, compensation,
resolve, close, merge) by actors whose ``now`` moves forward with a simulated
clock, and the durable timers are fired as the clock passes them, so SLA due
times, breaches, notifications, overdue callbacks and event histories are the
ones the product itself would have produced. Everything is deterministic for a
given seed and ``now``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

DEMO_PASSWORD = "kefu-demo-2026"
TICK = timedelta(minutes=10)  # how often the simulated timer worker runs
IDLE = timedelta(hours=4)  # a ticket left alone longer than this is dropped from the session meanwhile

# --------------------------------------------------------------------------- static data

BUSINESS_LINES = [
    ("waimai", "外卖"),
    ("daodian", "到店"),
    ("daojia", "到家"),
    ("lvxing", "旅行"),
    ("chuxing", "出行"),
    ("jinrong", "金融"),
    ("dianying", "电影"),
    ("yuedu", "阅读"),
]
# share of the ticket volume per business line
LINE_WEIGHTS = {
    "waimai": 46,
    "yuedu": 15,
    "daodian": 11,
    "chuxing": 9,
    "daojia": 5,
    "lvxing": 5,
    "jinrong": 4,
    "dianying": 5,
}


@dataclass(frozen=True)
class Leaf:
    """A leaf category: how often it is reported, by whom, and how people word it."""

    weight: float
    subjects: tuple[str, ...]
    details: tuple[str, ...]
    fixes: tuple[str, ...]
    roles: tuple[str, ...] = ("consumer",)
    comp: tuple[str, str, int, int] | None = None  # kind, reason, min yuan, max yuan
    escalate: float = 0.10  # chance of an offline escalation (线下升级)
    priority: str = "normal"


C = "consumer"
# (code, name, severity class, children or Leaf); roots carry their business line
TREE: list[tuple[str, list]] = [
    (
        "waimai",
        [
            (
                "waimai.delivery",
                "配送问题",
                "none",
                [
                    (
                        "waimai.delivery.late",
                        "超时未送达",
                        "none",
                        Leaf(
                            14,
                            (
                                "外卖超时{min}分钟未送达",
                                "订单显示已送达但未收到餐",
                                "骑手迟迟不取餐,订单超时",
                                "预计送达时间一再延后",
                            ),
                            (
                                "{shop}的订单(尾号{tail})下单后等了{min}分钟仍未送达,联系骑手电话无人接听。",
                                "订单(尾号{tail})App显示已送达,用户在楼下等了半小时没有见到骑手,餐品{dish}未收到。",
                                "晚高峰下单{dish},预计送达时间从30分钟延后到{min}分钟,用户表示饭都凉了。",
                            ),
                            (
                                "已联系骑手站点核实,骑手因运力紧张超时送达",
                                "经核实订单确实超时,已按超时赔付规则处理",
                                "已联系骑手重新配送,餐品已送达用户手中",
                            ),
                            comp=("red_packet", "service_failure", 3, 15),
                            escalate=0.08,
                        ),
                    ),
                    (
                        "waimai.delivery.spill",
                        "餐品洒漏",
                        "none",
                        Leaf(
                            5,
                            ("收到的{dish}汤汁洒漏", "餐品包装破损洒了一袋", "奶茶送到时洒了一半"),
                            (
                                "{shop}的{dish}送到时包装袋里全是汤汁,已拍照留存。",
                                "餐盒盖子没有封好,{dish}洒了一半,无法食用。",
                            ),
                            ("已核实照片,确认配送过程中洒漏", "已联系商家重新制作并安排配送"),
                            comp=("free_order", "service_failure", 15, 60),
                            escalate=0.10,
                        ),
                    ),
                    (
                        "waimai.delivery.rider",
                        "骑手态度",
                        "none",
                        Leaf(
                            5,
                            ("骑手态度恶劣,辱骂用户", "骑手要求用户下楼取餐", "骑手私自点击已送达"),
                            (
                                "用户反映骑手送餐时态度很差,还骂了人,订单尾号{tail}。",
                                "骑手打电话让用户自己到小区门口取餐,用户住{floor}楼不方便。",
                                "骑手未送达就点击了已送达,用户打电话过去骑手说马上到,又等了{min}分钟。",
                            ),
                            (
                                "已将情况反馈给骑手所属站点,站点将对骑手进行批评教育",
                                "已核实骑手违规操作,按规定处理并向用户致歉",
                            ),
                            comp=("red_packet", "service_failure", 5, 20),
                            escalate=0.22,
                            priority="high",
                        ),
                    ),
                    (
                        "waimai.delivery.address",
                        "送错地址",
                        "none",
                        Leaf(
                            3,
                            ("餐送到了别的楼", "骑手送错地址,餐品丢失"),
                            ("用户地址是{address_short},骑手送到了隔壁小区,找不到餐了。",),
                            ("已联系骑手取回餐品重新送达", "已确认餐品丢失,为用户办理全额退款"),
                            comp=("refund", "service_failure", 20, 80),
                            escalate=0.12,
                        ),
                    ),
                ],
            ),
            (
                "waimai.refund",
                "退款问题",
                "none",
                [
                    (
                        "waimai.refund.unused_7d",
                        "7天未消费退款",
                        "none",
                        Leaf(
                            5,
                            ("团购券7天未消费申请退款", "未使用的代金券退款没到账", "7天未消费退款被拒"),
                            (
                                "用户{days}天前购买了{shop}的{amt}元套餐券,一直未使用,申请7天未消费退款。",
                                "用户申请的7天未消费退款已经{days}天了还没到账,金额{amt}元。",
                            ),
                            (
                                "已核实券码未使用,按7天未消费退款为用户办理退款,1-3个工作日原路退回",
                                "退款已处理,款项已原路退回用户支付账户",
                            ),
                            comp=("refund", "unused_7_days", 30, 300),
                            escalate=0.12,
                        ),
                    ),
                    (
                        "waimai.refund.expired",
                        "过期退款",
                        "none",
                        Leaf(
                            4,
                            ("团购券过期了能否退款", "过期包退申请未处理"),
                            ("用户购买的{shop}团购券已过期{days}天,金额{amt}元,要求按过期包退规则退款。",),
                            (
                                "已核实券码过期未使用,按过期退款规则办理退款",
                                "已为用户办理过期退款,款项原路退回",
                            ),
                            comp=("refund", "expired", 30, 260),
                            escalate=0.10,
                        ),
                    ),
                    (
                        "waimai.refund.progress",
                        "退款进度",
                        "none",
                        Leaf(
                            6,
                            (
                                "退款申请{days}天未到账",
                                "取消订单后退款迟迟不到",
                                "退款显示成功但银行卡没收到",
                            ),
                            (
                                "订单(尾号{tail})取消后申请退款{amt}元,已经{days}天还没到账。",
                                "App显示退款成功,用户查银行卡没有收到{amt}元。",
                            ),
                            (
                                "已查询退款记录,款项已退回,银行入账需要1-3个工作日",
                                "已加急处理退款,今日内到账",
                            ),
                            escalate=0.06,
                        ),
                    ),
                ],
            ),
            (
                "waimai.merchant",
                "商户问题",
                "none",
                [
                    (
                        "waimai.merchant.quality",
                        "餐品质量",
                        "none",
                        Leaf(
                            7,
                            ("{dish}里吃出异物", "餐品变质有异味", "{dish}分量太少与图片不符"),
                            (
                                "用户反映{shop}的{dish}里有头发,已拍照。",
                                "{dish}送到时有酸味,用户怀疑变质,要求退款。",
                                "实际收到的{dish}分量比商品图片少一半。",
                            ),
                            (
                                "已联系商家核实并为用户办理退款",
                                "已将问题反馈给商家,商家同意退款并致歉",
                                "已记录商家食品安全问题并交由商户运营跟进",
                            ),
                            comp=("refund", "service_failure", 10, 80),
                            escalate=0.16,
                            priority="high",
                        ),
                    ),
                    (
                        "waimai.merchant.missing",
                        "少送漏送",
                        "none",
                        Leaf(
                            6,
                            ("少送了一份{dish}", "饮料漏送", "备注要求商家未照做"),
                            (
                                "订单(尾号{tail})点了两份{dish},只收到一份。",
                                "订单里的饮料没有送,餐具也没给。",
                            ),
                            ("已联系商家确认漏送,为用户部分退款", "商家承认漏送,已补送"),
                            comp=("red_packet", "service_failure", 3, 12),
                            escalate=0.06,
                        ),
                    ),
                    (
                        "waimai.merchant.rejected",
                        "商户拒单",
                        "none",
                        Leaf(
                            3,
                            ("商家接单后又取消订单", "下单半小时商家拒单"),
                            ("用户在{shop}下单,商家接单{min}分钟后以食材不足为由取消。",),
                            ("已核实商家取消原因,款项已全额退回", "已对商家违规取消订单进行记录处理"),
                            escalate=0.05,
                        ),
                    ),
                    (
                        "waimai.merchant.settlement",
                        "商家结算",
                        "none",
                        Leaf(
                            3,
                            ("商家货款结算延迟", "平台扣点与合同不符", "商家活动补贴未结算"),
                            (
                                "{shop}反映上周货款{amt}元还未结算到账。",
                                "商家反映本月账单扣点比合同多了一个百分点。",
                            ),
                            (
                                "已联系商户运营核实,结算款将在下一个结算周期到账",
                                "已核对账单,差额将于本周补结",
                            ),
                            roles=("merchant",),
                            escalate=0.15,
                        ),
                    ),
                ],
            ),
            (
                "waimai.promo",
                "红包/免单活动",
                "general",
                [
                    (
                        "waimai.promo.red_packet",
                        "红包无法使用",
                        "general",
                        Leaf(
                            5,
                            ("红包显示不可用", "满减红包下单时无法抵扣", "新人红包没有到账"),
                            (
                                "用户领取的{amt}元红包在{shop}下单时提示不可用。",
                                "新用户注册后没有收到新人红包。",
                            ),
                            (
                                "经核实红包使用门槛为指定商家,已向用户解释",
                                "系统原因导致红包未发放,已为用户补发",
                            ),
                        ),
                    ),
                    (
                        "waimai.promo.free_order",
                        "免单未到账",
                        "general",
                        Leaf(
                            3,
                            ("免单活动中奖未返现", "消费不满意免单未处理"),
                            ("用户参与免单活动,页面显示中奖,但{days}天了免单金额{amt}元没有返还。",),
                            ("已核实中奖记录,免单金额已返还至用户账户", "活动规则为次月返还,已向用户说明"),
                            comp=("free_order", "other", 10, 50),
                            escalate=0.08,
                        ),
                    ),
                ],
            ),
            (
                "waimai.account",
                "账号安全",
                "severe",
                [
                    (
                        "waimai.account.stolen",
                        "账号被盗",
                        "severe",
                        Leaf(
                            2,
                            ("账号被盗刷下单", "账号异地登录,余额被使用"),
                            ("用户发现账号在{city}有陌生下单记录,共{amt}元,本人未操作。",),
                            (
                                "已冻结账号并重置密码,异常订单已拦截退款",
                                "已协助用户找回账号,被盗金额按规定赔付",
                            ),
                            escalate=0.30,
                            priority="urgent",
                        ),
                    ),
                    (
                        "waimai.account.rebind",
                        "手机号换绑",
                        "none",
                        Leaf(
                            3,
                            ("旧手机号停用无法换绑", "收不到换绑验证码"),
                            ("用户原手机号已停用,无法接收验证码,申请人工换绑。",),
                            ("已核实用户身份,为用户完成手机号换绑",),
                            escalate=0.04,
                        ),
                    ),
                ],
            ),
            (
                "waimai.payment",
                "支付问题",
                "none",
                [
                    (
                        "waimai.payment.double",
                        "重复扣款",
                        "none",
                        Leaf(
                            3,
                            ("支付一次扣了两次款", "订单未生成但已扣款"),
                            (
                                "用户支付{amt}元,银行卡被扣了两次。",
                                "支付时提示失败,但微信支付已扣款{amt}元,订单没有生成。",
                            ),
                            ("已核实重复扣款,多扣金额将原路退回", "异常扣款已自动退回,预计24小时内到账"),
                            escalate=0.10,
                            priority="high",
                        ),
                    ),
                ],
            ),
            (
                "waimai.rider",
                "骑手服务",
                "none",
                [
                    (
                        "waimai.rider.income",
                        "骑手收入结算",
                        "none",
                        Leaf(
                            3,
                            ("骑手本周收入少结算", "恶劣天气补贴未发放"),
                            (
                                "骑手反映本周跑了{orders}单,收入比实际少{amt}元。",
                                "骑手反映雨天补贴没有发到账户。",
                            ),
                            ("已联系站点核对,差额将于下周补发", "已核实补贴规则并向骑手说明"),
                            roles=("rider",),
                            escalate=0.12,
                        ),
                    ),
                    (
                        "waimai.rider.dispatch",
                        "派单异常",
                        "none",
                        Leaf(
                            2,
                            ("骑手被派了超远距离订单", "骑手无法接单"),
                            (
                                "骑手反映系统派了{km}公里外的订单,无法按时送达。",
                                "骑手App一直显示离线,无法接单。",
                            ),
                            ("已反馈调度组调整派单范围", "已协助骑手重新登录,恢复接单"),
                            roles=("rider",),
                            escalate=0.08,
                        ),
                    ),
                ],
            ),
        ],
    ),
    (
        "daodian",
        [
            (
                "daodian.voucher",
                "团购券使用",
                "none",
                [
                    (
                        "daodian.voucher.refused",
                        "商家不认券",
                        "none",
                        Leaf(
                            4,
                            ("到店后商家不认团购券", "商家要求补差价才能用券"),
                            ("用户到{shop}消费,商家说团购券不能用,要求加{amt}元。",),
                            ("已联系商家核实,商家同意按团购券内容提供服务", "已为用户办理退款并记录商家违规"),
                            comp=("refund", "service_failure", 20, 150),
                            escalate=0.18,
                        ),
                    ),
                    (
                        "daodian.voucher.booking",
                        "预约问题",
                        "none",
                        Leaf(
                            3,
                            ("团购套餐无法预约", "预约后到店被告知没有位置"),
                            ("用户提前{days}天预约,到店时商家说没有记录。",),
                            ("已联系商家为用户重新安排", "商家原因无法履约,已为用户全额退款"),
                        ),
                    ),
                ],
            ),
            (
                "daodian.review",
                "评价申诉",
                "none",
                [
                    (
                        "daodian.review.appeal",
                        "恶意差评申诉",
                        "none",
                        Leaf(
                            3,
                            ("商家申诉恶意差评", "差评内容与事实不符"),
                            ("{shop}反映有用户多次发布不实差评,要求平台处理。",),
                            ("已提交评价审核组复核,违规评价已隐藏", "经核实评价为真实消费,已向商家说明规则"),
                            roles=("merchant",),
                            escalate=0.10,
                        ),
                    ),
                ],
            ),
        ],
    ),
    (
        "daojia",
        [
            (
                "daojia.service",
                "上门服务",
                "none",
                [
                    (
                        "daojia.service.late",
                        "服务人员迟到",
                        "none",
                        Leaf(
                            3,
                            ("保洁阿姨迟到{hours}小时", "维修师傅爽约未上门"),
                            (
                                "用户预约了上午10点的上门保洁,师傅迟到{hours}小时。",
                                "用户预约的维修师傅没有上门,电话也不接。",
                            ),
                            ("已联系服务商致歉并重新安排上门", "已为用户退还服务费并补偿"),
                            comp=("red_packet", "service_failure", 5, 20),
                            escalate=0.12,
                        ),
                    ),
                    (
                        "daojia.service.quality",
                        "服务质量",
                        "none",
                        Leaf(
                            2,
                            ("保洁不干净要求返工", "家电清洗后出现故障"),
                            ("用户反映保洁结束后厨房仍然很脏。", "空调清洗后不制冷,用户怀疑师傅操作不当。"),
                            ("已安排服务商免费返工", "已协调服务商上门检修"),
                            escalate=0.15,
                        ),
                    ),
                ],
            ),
        ],
    ),
    (
        "lvxing",
        [
            (
                "lvxing.hotel",
                "酒店预订",
                "none",
                [
                    (
                        "lvxing.hotel.no_room",
                        "到店无房",
                        "none",
                        Leaf(
                            3,
                            ("到酒店被告知没有房间", "预订的房型与实际不符"),
                            (
                                "用户预订了{city}{hotel}的房间,晚上到店前台说满房。",
                                "用户订的是大床房,到店后只给安排双床房。",
                            ),
                            ("已协调酒店升级房型入住", "已为用户安排同级酒店并承担差价"),
                            comp=("refund", "service_failure", 50, 300),
                            escalate=0.25,
                            priority="high",
                        ),
                    ),
                    (
                        "lvxing.hotel.cancel",
                        "退改政策",
                        "none",
                        Leaf(
                            3,
                            ("酒店订单无法取消", "景区门票退票被扣手续费"),
                            ("用户行程变更,想取消{city}{hotel}的订单,页面显示不可取消。",),
                            ("已联系酒店协商,同意免费取消", "已按退改规则向用户解释"),
                            escalate=0.08,
                        ),
                    ),
                ],
            ),
        ],
    ),
    (
        "chuxing",
        [
            (
                "chuxing.ride",
                "打车出行",
                "none",
                [
                    (
                        "chuxing.ride.cancel",
                        "司机取消订单",
                        "none",
                        Leaf(
                            3,
                            ("司机接单后私自取消", "司机让乘客取消订单"),
                            ("乘客在{city}叫车,司机接单后让乘客自己取消,还被扣了取消费。",),
                            (
                                "已免除取消费并记录司机违规",
                                "已核实司机因特殊情况取消,已向乘客说明并退还取消费",
                            ),
                            roles=("passenger",),
                            escalate=0.08,
                        ),
                    ),
                    (
                        "chuxing.ride.fare",
                        "车费争议",
                        "none",
                        Leaf(
                            3,
                            ("车费比预估多了一倍", "司机绕路多收费"),
                            ("乘客反映预估车费{amt}元,实际扣了两倍多,怀疑司机绕路。",),
                            (
                                "已核实行程轨迹确有绕路,多收部分已退还",
                                "经核实因拥堵改道,费用合理,已向乘客解释",
                            ),
                            roles=("passenger",),
                            comp=("refund", "service_failure", 5, 60),
                            escalate=0.10,
                        ),
                    ),
                    (
                        "chuxing.ride.lost",
                        "物品遗失",
                        "none",
                        Leaf(
                            2,
                            ("手机落在车上", "行李遗忘在后备箱"),
                            ("乘客下车后发现{item}落在车上,联系不上司机。",),
                            ("已联系司机,物品已归还乘客", "已将司机联系方式以隐私号形式转接乘客"),
                            roles=("passenger",),
                            escalate=0.15,
                            priority="high",
                        ),
                    ),
                    (
                        "chuxing.driver.income",
                        "司机收入",
                        "none",
                        Leaf(
                            2,
                            ("司机账单流水不对", "司机提现失败"),
                            ("司机反映昨天流水{amt}元,账户只显示一半。",),
                            ("已核对流水,差额将于次日补发", "已协助司机重新绑定银行卡完成提现"),
                            roles=("driver",),
                            escalate=0.10,
                        ),
                    ),
                ],
            ),
        ],
    ),
    (
        "jinrong",
        [
            (
                "jinrong.loan",
                "借款还款",
                "none",
                [
                    (
                        "jinrong.loan.repay",
                        "还款异常",
                        "none",
                        Leaf(
                            3,
                            ("已还款仍显示逾期", "自动扣款失败产生罚息"),
                            ("用户已于{days}天前还款{amt}元,账单仍显示逾期。",),
                            ("已核实还款记录,逾期状态已更正", "已为用户减免系统原因产生的罚息"),
                            roles=("consumer", "merchant"),
                            escalate=0.12,
                            priority="high",
                        ),
                    ),
                ],
            ),
        ],
    ),
    (
        "dianying",
        [
            (
                "dianying.ticket",
                "电影票",
                "none",
                [
                    (
                        "dianying.ticket.fail",
                        "出票失败",
                        "none",
                        Leaf(
                            3,
                            ("电影票出票失败但已扣款", "选座后提示座位已售"),
                            ("用户购买《{movie}》电影票{amt}元,显示出票失败但已扣款。",),
                            ("已核实出票失败,票款已原路退回", "已联系影院补出票"),
                        ),
                    ),
                    (
                        "dianying.ticket.refund",
                        "退改签",
                        "none",
                        Leaf(
                            2,
                            ("电影票能否退改签", "影院临时取消场次"),
                            ("用户购买的《{movie}》场次被影院取消,要求退款。",),
                            ("已为用户全额退款", "已按影院规则为用户改签"),
                            escalate=0.05,
                        ),
                    ),
                ],
            ),
        ],
    ),
    (
        "yuedu",
        [
            (
                "yuedu.tech",
                "技术故障",
                "none",
                [
                    (
                        "yuedu.login",
                        "登录访问",
                        "severe",
                        Leaf(
                            5,
                            (
                                "App登录失败提示网络异常",
                                "微信授权登录后自动退出",
                                "收不到登录验证码",
                                "打开App一直转圈",
                            ),
                            (
                                "用户使用{phone_model},App版本{ver},登录时提示网络异常,切换网络后仍然不行。",
                                "用户用微信授权登录,进入后几秒自动退出。",
                                "用户连续获取{n}次验证码都没有收到。",
                            ),
                            (
                                "已确认为服务端故障,现已修复,请用户重新登录",
                                "已指导用户清除缓存后重新登录成功",
                            ),
                            escalate=0.10,
                            priority="high",
                        ),
                    ),
                    (
                        "yuedu.payment",
                        "付费充值",
                        "severe",
                        Leaf(
                            5,
                            (
                                "充值{amt}元起点币未到账",
                                "订阅章节重复扣费",
                                "自动续费未经同意扣款",
                                "苹果内购充值失败",
                            ),
                            (
                                "用户充值{amt}元,支付成功但账户起点币没有增加。",
                                "用户订阅《{book}》最新章节被扣了两次起点币。",
                                "用户没有开通自动续费,却被扣了会员费{amt}元。",
                            ),
                            (
                                "已核实充值记录,起点币已补发到账",
                                "重复扣除的起点币已退还",
                                "已为用户关闭自动续费并退还本期费用",
                            ),
                            comp=("refund", "service_failure", 5, 60),
                            escalate=0.12,
                            priority="high",
                        ),
                    ),
                    (
                        "yuedu.reader",
                        "阅读障碍",
                        "severe",
                        Leaf(
                            4,
                            ("《{book}》章节打不开", "已订阅章节又提示付费", "阅读页白屏乱码"),
                            (
                                "用户阅读《{book}》第{chapter}章时一直加载失败。",
                                "用户已订阅的章节在换手机后又提示需要付费。",
                                "用户打开书籍后页面白屏,{phone_model}。",
                            ),
                            ("已修复章节数据,用户可正常阅读", "已恢复用户的订阅记录"),
                            escalate=0.08,
                            priority="high",
                        ),
                    ),
                    (
                        "yuedu.props",
                        "道具使用",
                        "general",
                        Leaf(
                            3,
                            ("月票投出后未显示", "推荐票数量不对", "打赏道具未到账"),
                            (
                                "用户给《{book}》投了{n}张月票,作品页没有显示。",
                                "用户打赏的道具没有出现在打赏记录里。",
                            ),
                            ("已核实数据同步延迟,月票已正常计入", "已补发道具"),
                        ),
                    ),
                    (
                        "yuedu.rare",
                        "小概率问题",
                        "general",
                        Leaf(
                            2,
                            ("书架书籍顺序错乱", "阅读进度不同步"),
                            ("用户在手机和平板上的阅读进度不一致。", "书架上的书籍顺序每次打开都会变。"),
                            ("已提交技术排查,建议用户更新到最新版本", "已指导用户手动同步"),
                            escalate=0.05,
                            priority="low",
                        ),
                    ),
                    (
                        "yuedu.minor",
                        "非主要功能",
                        "general",
                        Leaf(
                            2,
                            ("书评发布不了", "夜间模式无法切换", "听书功能卡顿"),
                            ("用户在《{book}》书评区发帖一直提示失败。", "用户听书时每隔几分钟就卡一下。"),
                            ("已反馈产品团队排查", "已指导用户切换播放音源"),
                            escalate=0.03,
                            priority="low",
                        ),
                    ),
                    (
                        "yuedu.events",
                        "其他活动",
                        "general",
                        Leaf(
                            3,
                            ("活动奖励未发放", "签到奖励没有领到", "新人礼包领取失败"),
                            ("用户参加了{event}活动,奖励一直没有到账。", "用户连续签到{n}天,奖励没有发放。"),
                            ("已核实活动记录,奖励已补发", "活动奖励将在活动结束后统一发放,已向用户说明"),
                        ),
                    ),
                    (
                        "yuedu.intermittent",
                        "陆续反馈需排查",
                        "intermittent",
                        Leaf(
                            2,
                            ("偶发章节加载缓慢", "个别安卓机型闪退", "搜索书名结果为空"),
                            (
                                "用户{phone_model}偶尔打开章节很慢,已有多位用户陆续反馈。",
                                "用户搜索《{book}》搜不到结果。",
                            ),
                            ("已汇总反馈提交技术排查", "技术已定位问题,将在下个版本修复"),
                            escalate=0.04,
                        ),
                    ),
                ],
            ),
            (
                "yuedu.content",
                "作品与账号",
                "none",
                [
                    (
                        "yuedu.content.blocked",
                        "书籍屏蔽咨询",
                        "none",
                        Leaf(
                            2,
                            ("正在追的书被下架", "书籍显示暂不可见"),
                            ("用户追读的《{book}》突然搜索不到了,要求说明原因。",),
                            ("已向用户说明作品状态调整,具体原因不便透露", "已告知用户作品恢复后会通知"),
                        ),
                    ),
                    (
                        "yuedu.launch",
                        "重点项目上线反馈",
                        "none",
                        Leaf(
                            1,
                            ("新版本上线后书架不见了", "新版阅读器翻页方式改变"),
                            (
                                "用户更新到{ver}后,书架里的书全部消失。",
                                "新版阅读器翻页不习惯,用户要求恢复旧版。",
                            ),
                            ("已收集反馈并同步给项目组", "已指导用户在设置中切换翻页方式"),
                        ),
                    ),
                ],
            ),
        ],
    ),
]

SURNAMES = (
    "王" * 10
    + "李" * 10
    + "张" * 9
    + "刘" * 8
    + "陈" * 7
    + "杨" * 5
    + "黄" * 4
    + "赵" * 4
    + "吴" * 3
    + "周" * 3
    + "徐" * 3
    + "孙" * 3
    + "马" * 2
    + "朱" * 2
    + "胡" * 2
    + "郭" * 2
    + "何" * 2
    + "高" * 2
    + "林" * 2
    + "罗" * 2
    + "郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆"
    "汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林峰建国志文博晨阳亮"
FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪琳颖倩欣怡佳悦慧蕾璐莹秀英兰桂萍红梅丹晶"
CITIES = {
    "北京市": ("朝阳区", "海淀区", "丰台区", "昌平区"),
    "上海市": ("浦东新区", "徐汇区", "闵行区", "静安区"),
    "广州市": ("天河区", "海珠区", "白云区"),
    "深圳市": ("南山区", "福田区", "宝安区"),
    "杭州市": ("西湖区", "滨江区", "余杭区"),
    "成都市": ("武侯区", "锦江区", "高新区"),
    "武汉市": ("洪山区", "江汉区"),
    "郑州市": ("金水区", "二七区"),
    "新乡市": ("红旗区", "卫滨区"),
    "南京市": ("鼓楼区", "江宁区"),
    "西安市": ("雁塔区", "未央区"),
    "重庆市": ("渝北区", "江北区"),
}
ROADS = (
    "人民路",
    "建设路",
    "解放路",
    "中山路",
    "望京街",
    "科技园路",
    "文化路",
    "学院路",
    "和平路",
    "滨江大道",
)
PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
CUSTOMER_ROLE_WEIGHTS = {"consumer": 72, "merchant": 9, "rider": 8, "passenger": 8, "driver": 3}

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
# local hour → relative volume: quiet nights, lunch bump, evening peak 19:00–22:00
HOUR_WEIGHTS = (
    1.6,
    1.0,
    0.6,
    0.4,
    0.35,
    0.5,
    1.0,
    2.2,
    3.6,
    5.0,
    5.8,
    6.8,
    7.2,
    6.0,
    4.8,
    4.6,
    4.9,
    5.8,
    7.0,
    9.2,
    9.8,
    9.0,
    6.2,
    3.4,
)
WEEKDAY_FACTOR = (0.95, 0.92, 0.93, 0.95, 1.02, 1.18, 1.12)

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

# 2026 public holidays (法定节假日) and the weekend days worked instead (调休上班), State Council notice
HOLIDAYS_2026 = (
    ["2026-01-01", "2026-01-02", "2026-01-03"]
    + [f"2026-02-{d:02d}" for d in range(15, 24)]
    + ["2026-04-04", "2026-04-05", "2026-04-06"]
    + [f"2026-05-0{d}" for d in range(1, 6)]
    + ["2026-06-19", "2026-06-20", "2026-06-21", "2026-09-25", "2026-09-26", "2026-09-27"]
    + [f"2026-10-0{d}" for d in range(1, 8)]
)
WORKDAYS_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]

# (username, display name, role, team index or None)
STAFF = [
    ("admin", "系统管理员", "admin", None),
    ("supervisor1", "周建华", "supervisor", None),
    ("supervisor2", "孙丽", "supervisor", None),
    ("analyst1", "吴思远", "analyst", None),
    ("analyst2", "郑佳", "analyst", None),
    ("qa1", "冯晓梅", "qa", None),
    ("qa2", "蒋涛", "qa", None),
    ("listener1", "韩雪", "listener", None),
    ("listener2", "唐宇", "listener", None),
    ("lead1", "王芳", "team_lead", 0),
    ("lead2", "李强", "team_lead", 1),
    ("lead3", "陈静", "team_lead", 2),
    ("agent1", "王小明", "agent", 0),
    ("agent2", "刘婷", "agent", 0),
    ("agent3", "张磊", "agent", 0),
    ("agent4", "赵敏", "agent", 0),
    ("agent5", "黄俊", "agent", 0),
    ("agent6", "杨欣怡", "agent", 0),
    ("agent7", "侯丹丹", "agent", 1),
    ("agent8", "李仁", "agent", 1),
    ("agent9", "徐鹏", "agent", 1),
    ("agent10", "马悦", "agent", 1),
    ("agent11", "朱浩", "agent", 1),
    ("trainee1", "何晨", "trainee", 0),
    ("trainee2", "林雪", "trainee", 0),
    ("trainee3", "郭帆", "trainee", 1),
    ("specialist1", "杨震", "complaint_specialist", 2),
    ("specialist2", "罗慧", "complaint_specialist", 2),
    ("specialist3", "谢文博", "complaint_specialist", 2),
    ("specialist4", "宋佳", "complaint_specialist", 2),
]
TEAMS = [("一线客服一组", "frontline"), ("一线客服二组", "frontline"), ("投诉处理组", "complaints")]
LOGIN_USERS = (
    "admin",
    "supervisor1",
    "lead1",
    "agent1",
    "trainee1",
    "specialist1",
    "analyst1",
    "qa1",
    "listener1",
)


def demo_logins() -> list[tuple[str, str, str]]:
    """One sign-in per role: (username, password, role)."""
    roles = {u: r for u, _, r, _ in STAFF}
    return [(u, DEMO_PASSWORD, roles[u]) for u in LOGIN_USERS]


# --------------------------------------------------------------------------- simulation plan


@dataclass
class Step:
    at: datetime
    kind: str
    actor: Any  # kefu.core.context.Actor (without the time)
    args: dict = field(default_factory=dict)


@dataclass
class Plan:
    steps: list[Step]
    ticket: Any = None
    ticket_id: int | None = None
    callback: Any = None


@dataclass
class _Cust:
    id: int
    name: str
    sal: str  # how an agent addresses them: 王女士 / 李先生
    role: str


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth for small means, normal approximation above
    if lam > 40:
        return max(0, round(rng.gauss(lam, lam**0.5)))
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _minutes(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(seconds=round(rng.uniform(lo, hi) * 60))


def _hours(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(seconds=round(rng.uniform(lo, hi) * 3600))


class _Builder:
    def __init__(self, session: Session, rng: random.Random, now: datetime, tz: ZoneInfo) -> None:
        self.s, self.rng, self.now, self.tz = session, rng, now, tz
        self.counts: dict[str, int] = {}

    # ---------------------------------------------------------------- reference data
    def reference_data(self) -> None:
        from kefu.accounts.models import Team, User
        from kefu.accounts.security import hash_password
        from kefu.catalog.models import BusinessLine, Category
        from kefu.core.context import Actor
        from kefu.sla.models import SlaCalendar, SlaPolicy

        s, created = self.s, self.now - timedelta(days=400)
        self.lines = {}
        for code, name in BUSINESS_LINES:
            self.lines[code] = BusinessLine(code=code, name=name, is_active=True)
            s.add(self.lines[code])
        s.flush()
        self.categories: dict[str, Category] = {}
        self.leaves: list[tuple[Category, Leaf, str]] = []

        def add(node, line_code: str, parent: Category | None, order: int) -> None:
            code, name, severity, body = node
            cat = Category(
                code=code,
                name=name,
                parent_id=parent.id if parent else None,
                severity_class=severity,
                business_line_id=self.lines[line_code].id,
                sort_order=order,
                is_active=True,
            )
            s.add(cat)
            s.flush()
            self.categories[code] = cat
            if isinstance(body, Leaf):
                self.leaves.append((cat, body, line_code))
            else:
                for i, child in enumerate(body):
                    add(child, line_code, cat, i)

        for line_code, roots in TREE:
            for i, root in enumerate(roots):
                add(root, line_code, None, i)

        self.teams = [Team(name=name, kind=kind, created_at=created) for name, kind in TEAMS]
        s.add_all(self.teams)
        s.flush()
        pw = hash_password(DEMO_PASSWORD)  # argon2 is slow: once for everybody
        self.users: dict[str, User] = {}
        for username, display, role, team in STAFF:
            user = User(
                username=username,
                display_name=display,
                password_hash=pw,
                role=role,
                team_id=self.teams[team].id if team is not None else None,
                email=f"{username}@kefu-demo.example",
                language="zh-CN",
                is_active=True,
                created_at=created,
            )
            s.add(user)
            self.users[username] = user
        s.flush()
        for i, lead in enumerate(("lead1", "lead2", "lead3")):
            self.teams[i].leader_id = self.users[lead].id
        self.actors = {
            u: Actor(
                user_id=x.id,
                username=u,
                role=x.role,
                team_id=x.team_id,
                now=self.now,
                display_name=x.display_name,
            )
            for u, x in self.users.items()
        }
        self.system = Actor.system(self.now)
        self.frontline = [[u for u, _, r, t in STAFF if t == i and r in ("agent", "trainee")] for i in (0, 1)]
        self.specialists = [u for u, _, r, _ in STAFF if r == "complaint_specialist"]
        self.leads = ["lead1", "lead2", "lead3"]

        always = SlaCalendar(
            name="7×24小时", timezone=self.tz.key, always_open=True, hours={}, holidays=[], extra_workdays=[]
        )
        office = SlaCalendar(
            name="工作日 9:00-18:00",
            timezone=self.tz.key,
            always_open=False,
            hours={str(d): [[540, 1080]] for d in range(5)},
            holidays=list(HOLIDAYS_2026),
            extra_workdays=list(WORKDAYS_2026),
        )
        s.add_all([always, office])
        s.flush()
        h = 3600
        policies = [
            SlaPolicy(
                name="默认:72小时解决",
                first_response_seconds=4 * h,
                resolution_seconds=72 * h,
                calendar_id=always.id,
                rank=0,
            ),
            SlaPolicy(
                name="外部投诉(12315/工商)",
                complaint_type="external",
                first_response_seconds=1 * h,
                resolution_seconds=24 * h,
                calendar_id=always.id,
                rank=10,
            ),
            SlaPolicy(
                name="紧急工单",
                priority="urgent",
                first_response_seconds=15 * 60,
                resolution_seconds=8 * h,
                calendar_id=always.id,
                rank=6,
            ),
            SlaPolicy(
                name="内部投诉(工作时间)",
                complaint_type="internal",
                first_response_seconds=4 * h,
                resolution_seconds=48 * h,
                calendar_id=office.id,
                rank=5,
            ),
            SlaPolicy(
                name="账号安全",
                category_id=self.categories["waimai.account"].id,
                first_response_seconds=30 * 60,
                resolution_seconds=24 * h,
                calendar_id=always.id,
                rank=3,
            ),
        ]
        s.add_all(policies)
        s.flush()
        self.counts.update(
            business_lines=len(self.lines),
            categories=len(self.categories),
            teams=len(self.teams),
            users=len(self.users),
            sla_calendars=2,
            sla_policies=len(policies),
        )

    # ---------------------------------------------------------------- customers
    def customers(self, n: int) -> None:
        from kefu.customers.models import Customer

        rng, phones = self.rng, set()
        roles, weights = zip(*CUSTOMER_ROLE_WEIGHTS.items(), strict=True)
        self.customers_by_role: dict[str, list[_Cust]] = {r: [] for r in roles}
        rows = []
        for _ in range(n):
            male = rng.random() < 0.5
            pool = MALE if male else FEMALE
            given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.6 else "")
            surname = rng.choice(SURNAMES)
            name = surname + given
            role = rng.choices(roles, weights)[0] if len(rows) >= len(roles) else roles[len(rows)]
            while True:
                phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                if phone not in phones:
                    phones.add(phone)
                    break
            city = rng.choice(list(CITIES))
            address = None
            if role in ("merchant", "consumer") and rng.random() < (0.9 if role == "merchant" else 0.45):
                address = (
                    f"{city}{rng.choice(CITIES[city])}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
                    f"{rng.randint(1, 20)}号楼{rng.randint(1, 6)}单元"
                    f"{rng.randint(1, 30)}{rng.randint(1, 4):02d}"
                )
            email = None
            if rng.random() < 0.22:
                email = rng.choice(
                    (
                        f"{rng.randrange(10**6, 10**10)}@qq.com",
                        f"{name_pinyin_stub(rng)}{rng.randint(1, 9999)}@163.com",
                        f"{name_pinyin_stub(rng)}{rng.randint(1, 999)}@126.com",
                    )
                )
            openid = None
            if rng.random() < 0.4:
                openid = "o" + "".join(
                    rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                    for _ in range(27)
                )
            created = self.now - timedelta(days=rng.uniform(31, 900))
            rows.append(
                Customer(
                    name=name,
                    role=role,
                    phone=phone,
                    email=email,
                    wechat_openid=openid,
                    address=address,
                    created_at=created,
                    updated_at=created,
                )
            )
            self.customers_by_role[role].append(_Cust(0, name, surname + ("先生" if male else "女士"), role))
        self.s.add_all(rows)
        self.s.flush()
        idx = dict.fromkeys(roles, 0)
        for row in rows:
            self.customers_by_role[row.role][idx[row.role]].id = row.id
            idx[row.role] += 1
        self.counts["customers"] = n

    # ---------------------------------------------------------------- tickets
    def ticket_times(self, days: int) -> list[tuple[datetime, str | None]]:
        """Arrival times (with an optional forced leaf code for incident spikes), oldest first."""
        rng, now = self.rng, self.now
        today = now.astimezone(self.tz).date()
        out: list[tuple[datetime, str | None]] = []
        daily = 140.0
        total_w = sum(HOUR_WEIGHTS)
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            factor = WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.9, 1.1)
            for hour in range(24):
                start = datetime(day.year, day.month, day.day, hour, tzinfo=self.tz)
                for _ in range(_poisson(rng, daily * factor * HOUR_WEIGHTS[hour] / total_w)):
                    t = (start + timedelta(seconds=rng.randrange(3600))).astimezone(UTC)
                    if t < now - timedelta(minutes=2):
                        out.append((t, None))
        # incident spikes (3+ customers with the same issue at once → report to the team leader)
        incidents = [
            (min(3, days - 1), 20, 10, "yuedu.login", 22, 40),
            (min(6, days - 1), 18, 30, "waimai.delivery.late", 30, 120),
        ]
        for back, hour, minute, code, count, span in incidents:
            day = today - timedelta(days=back)
            start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz).astimezone(UTC)
            for _ in range(count):
                t = start + timedelta(seconds=rng.randrange(span * 60))
                if t < now - timedelta(minutes=2):
                    out.append((t, code))
        out.sort(key=lambda x: x[0])
        return out

    def _fill(self, text: str) -> str:
        rng = self.rng
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

    def plan(self, t0: datetime, forced: str | None) -> Plan:
        rng, now = self.rng, self.now
        if forced:
            cat, leaf, line = next(x for x in self.leaves if x[0].code == forced)
        else:
            line = rng.choices(list(LINE_WEIGHTS), list(LINE_WEIGHTS.values()))[0]
            options = [x for x in self.leaves if x[2] == line]
            cat, leaf, _ = rng.choices(options, [x[1].weight for x in options])[0]
        channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        if forced:
            channel = rng.choice(("phone", "chat", "chat", "wechat"))
        role = rng.choice(leaf.roles)
        pool = self.customers_by_role[role] or self.customers_by_role["consumer"]
        cust = rng.choice(pool)
        complaint = "external" if channel == "regulator" else "internal" if channel == "internal" else "none"
        if complaint == "none" and channel in ("phone", "chat") and rng.random() < 0.04:
            complaint = "internal"
        priority = leaf.priority
        roll = rng.random()
        if priority == "normal":
            priority = (
                "low" if roll < 0.12 else "high" if roll > 0.85 else "urgent" if roll > 0.84 else "normal"
            )
        elif priority == "high" and roll > 0.9:
            priority = "urgent"
        if complaint == "external":
            priority = "high" if priority in ("low", "normal") else priority
        subject = self._fill(rng.choice(leaf.subjects))
        if complaint == "external":
            subject = "【12315】" + subject
        elif forced:
            subject = subject + "(多人反馈)"
        description = CHANNEL_PREFIX[channel] + self._fill(rng.choice(leaf.details)) + rng.choice(ASKS)
        team_idx = 0 if rng.random() < 0.52 else 1
        agent = rng.choice(self.frontline[team_idx])
        if agent.startswith("trainee") and rng.random() < 0.5:  # trainees take fewer contacts
            agent = rng.choice(self.frontline[team_idx])
        lead = self.leads[team_idx]
        team_id = self.teams[team_idx].id
        data = {
            "subject": subject,
            "description": description,
            "customer_id": cust.id,
            "category_id": cat.id,
            "channel": channel,
            "priority": priority,
            "complaint_type": complaint,
        }
        steps: list[Step] = []
        t = t0

        def at(delta: timedelta) -> datetime:
            nonlocal t
            t = t + max(delta, timedelta(seconds=1))
            return t

        live = channel in ("phone", "chat", "wechat", "internal")
        if live:
            steps.append(Step(t0, "create", agent, {"data": data}))
        else:
            steps.append(Step(t0, "create", None, {"data": data | {"team_id": team_id}}))
            late = rng.random() < 0.06
            if channel == "email":
                pick = _hours(rng, 0.3, 3.5)
            elif channel == "regulator":
                pick = _minutes(rng, 10, 50)
            else:
                pick = _minutes(rng, 5, 90)
            steps.append(Step(at(pick + (_hours(rng, 4, 9) if late else timedelta())), "assign", agent))
        holder = agent  # who has the ticket now
        quick = live and complaint == "none" and not forced and rng.random() < 0.42
        if quick:  # answered on the call or in the chat: the answer itself is the first response
            target = t + _minutes(rng, 1, 12)
        else:
            slow = rng.random() < 0.03
            first = _minutes(rng, 0.5, 4) if channel in ("phone", "chat") else _minutes(rng, 2, 25)
            steps.append(
                Step(
                    at(first + (_hours(rng, 4, 7) if slow else timedelta())),
                    "reply",
                    agent,
                    {"body": self._greeting(cust, leaf)},
                )
            )
            target = t0 + self._resolution_time(rng, complaint, priority)
        if forced:
            steps.append(
                Step(
                    at(_minutes(rng, 1, 5)),
                    "note",
                    agent,
                    {"body": "同一时间3个以上用户反映相同问题,已上报组长及督导。"},
                )
            )
        elif not quick and rng.random() < 0.35:
            steps.append(Step(at(_minutes(rng, 2, 40)), "note", agent, {"body": rng.choice(NOTES)}))
        tier = 1
        escalate = leaf.escalate * (2.5 if complaint == "internal" else 1)
        if complaint == "external" or (not quick and rng.random() < escalate):
            steps.append(
                Step(
                    at(_minutes(rng, 10, 180)),
                    "escalate",
                    holder,
                    {
                        "reason": "12315转办投诉,需投诉处理专员跟进"
                        if complaint == "external"
                        else rng.choice(ESCALATE_T2)
                    },
                )
            )
            holder, tier = lead, 2
            steps.append(
                Step(
                    at(_minutes(rng, 5, 60)), "note", holder, {"body": "组长已接手,已电话联系用户了解情况。"}
                )
            )
            if complaint == "external" or rng.random() < 0.38:
                steps.append(
                    Step(
                        at(_minutes(rng, 10, 40) if complaint == "external" else _hours(rng, 0.5, 6)),
                        "escalate",
                        holder,
                        {"reason": rng.choice(ESCALATE_T3)},
                    )
                )
                holder, tier = rng.choice(self.specialists), 3
                steps.append(Step(at(_minutes(rng, 10, 120)), "claim", holder))
                steps.append(
                    Step(
                        at(_minutes(rng, 5, 60)),
                        "reply",
                        holder,
                        {
                            "body": f"{cust.sal}您好,我是投诉处理专员,您的问题由我负责跟进,"
                            "我们会为您反馈给相关人员核实确认,请您保持电话畅通。"
                        },
                    )
                )
            target = max(target, t + _hours(rng, 1, 30))
        if not quick and rng.random() < 0.2:
            steps.append(
                Step(at(_minutes(rng, 10, 120)), "pending", holder, {"reason": rng.choice(PENDING_REASONS)})
            )
            if rng.random() < 0.75:
                steps.append(Step(at(_hours(rng, 1, 20)), "resume", holder))
        callback_due = None
        callback_fate = None
        if not quick and rng.random() < (0.35 if tier > 1 else 0.1):
            owner = holder if tier > 1 or rng.random() < 0.6 else rng.choice(self.specialists)
            created = at(_minutes(rng, 1, 15))
            callback_due = created + _hours(rng, 2, 24)
            callback_fate = rng.choices(("ontime", "late", "never"), (0.72, 0.12, 0.16))[0]
            steps.append(
                Step(
                    created,
                    "callback",
                    holder,
                    {
                        "owner": owner,
                        "due_at": callback_due,
                        "preferred_time": rng.choice(PREFERRED),
                        "note": "用户希望" + rng.choice(PREFERRED) + "回电,回访确认处理结果。",
                    },
                )
            )
            if callback_fate != "never":
                done_at = (
                    created + (callback_due - created) * rng.uniform(0.2, 0.95)
                    if callback_fate == "ontime"
                    else callback_due + _hours(rng, 0.5, 10)
                )
                steps.append(
                    Step(
                        at(done_at - t),
                        "callback_done",
                        owner,
                        {
                            "outcome": rng.choices(
                                ("resolved", "no_answer", "needs_followup"), (0.7, 0.18, 0.12)
                            )[0]
                        },
                    )
                )
                target = max(target, t + _minutes(rng, 5, 60))
        if leaf.comp and not quick and rng.random() < 0.45:
            kind, reason, lo, hi = leaf.comp
            limit = {1: 20, 2: 100, 3: 500}[tier]
            granter = holder
            if holder.startswith("trainee"):
                granter = lead
                limit = 100
            amount = min(rng.randint(lo, hi), limit)
            steps.append(
                Step(
                    at(_minutes(rng, 2, 30)),
                    "compensate",
                    granter,
                    {
                        "kind": kind,
                        "reason": reason,
                        "amount_fen": amount * 100,
                        "note": f"补偿{amount}元,用户表示认可",
                    },
                )
            )
        if callback_fate == "never":
            target = None  # still waiting for the promised call back
        if target is not None:
            fix = self._fill(rng.choice(leaf.fixes))
            steps.append(
                Step(
                    at(max(target - t, _minutes(rng, 1, 5))),
                    "resolve",
                    holder,
                    {"body": f"{cust.sal}您好,{fix},给您带来不便深表歉意。请问您还有其他问题需要咨询吗?"},
                )
            )
            if rng.random() < 0.025:
                steps.append(
                    Step(at(_hours(rng, 2, 20)), "reopen", holder, {"reason": "用户再次来电表示问题仍未解决"})
                )
                steps.append(
                    Step(
                        at(_hours(rng, 1, 8)),
                        "resolve",
                        holder,
                        {"body": f"{cust.sal}您好,已再次为您核实处理,{fix}。"},
                    )
                )
            steps.append(Step(at(_hours(rng, 24, 72)), "close", None, {"reason": "用户无异议,自动关闭"}))
        # never act in the future
        return Plan([s for s in steps if s.at <= now])

    def _greeting(self, cust: _Cust, leaf: Leaf) -> str:
        opening = self.rng.choice(("您好", "您好,很高兴为您服务", "您好,感谢您的耐心等待"))
        middle = self.rng.choice(("您反映的问题我们已经记录", "您的情况我们已经了解", "关于您反馈的问题"))
        tail = self.rng.choice(
            (
                "正在为您查询,请您稍等。",
                "我们会为您反馈给相关人员核实确认,请您耐心等待。",
                "我们会尽快为您处理,处理结果会第一时间通知您。",
            )
        )
        return f"{cust.sal}{opening},{middle},{tail}"

    @staticmethod
    def _resolution_time(rng: random.Random, complaint: str, priority: str) -> timedelta:
        r = rng.random()
        if complaint == "external":
            return _hours(rng, 3, 22) if r < 0.85 else _hours(rng, 25, 40)
        if priority == "urgent":
            return _hours(rng, 0.5, 7) if r < 0.85 else _hours(rng, 8.5, 16)
        if complaint == "internal":
            return _hours(rng, 3, 60) if r < 0.9 else _hours(rng, 80, 120)
        if r < 0.5:
            return _hours(rng, 0.3, 10)
        if r < 0.82:
            return _hours(rng, 10, 48)
        if r < 0.955:
            return _hours(rng, 48, 70)
        return _hours(rng, 74, 130)

    def duplicates(self, plans: list[Plan]) -> list[Plan]:
        """A few customers contact twice about the same thing: the second ticket is merged into the first."""
        rng, extra = self.rng, []
        for plan in plans:
            first = plan.steps[0]
            if rng.random() >= 0.015 or first.args["data"]["complaint_type"] == "external":
                continue
            t = first.at + _minutes(rng, 10, 90)
            merge_at = t + _minutes(rng, 5, 60)
            if merge_at > self.now:
                continue
            agent = rng.choice(self.frontline[rng.randrange(2)])
            data = dict(first.args["data"])
            data.pop("team_id", None)
            data["channel"] = rng.choice(("phone", "chat"))
            data["description"] = "用户再次来电催促:" + data["description"].split(":", 1)[-1]
            extra.append(
                Plan(
                    [
                        Step(t, "create", agent, {"data": data}),
                        Step(merge_at, "merge", agent, {"target": plan, "reason": "同一用户重复反馈"}),
                    ]
                )
            )
        return extra

    # ---------------------------------------------------------------- running the plans
    def run(self, plans: list[Plan], factory, console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        import kefu.worker  # noqa: F401  (registers the timer handlers)
        from kefu.callbacks import service as callbacks
        from kefu.callbacks.models import Callback
        from kefu.compensation import service as compensation
        from kefu.core.clock import FrozenClock
        from kefu.tickets import service as tickets
        from kefu.tickets.models import Ticket
        from kefu.timers.service import run_due

        s = self.s
        events = sorted(
            ((step.at, i, j) for i, p in enumerate(plans) for j, step in enumerate(p.steps)),
            key=lambda e: (e[0], e[1], e[2]),
        )
        first = events[0][0] if events else self.now
        next_tick = first.replace(second=0, microsecond=0) + TICK

        def fire_until(limit: datetime) -> None:
            nonlocal next_tick
            s.commit()
            fired_any = False
            while next_tick <= limit:
                while (fired := run_due(factory, FrozenClock(next_tick), batch=500)) > 0:
                    fired_any = True
                    if fired < 500:
                        break
                next_tick += TICK
            if fired_any:  # the worker changed tickets and callbacks behind this session
                for obj in list(s.identity_map.values()):
                    if isinstance(obj, Ticket | Callback):
                        s.expire(obj)

        def actor(name: str | None, when: datetime):
            return replace(self.system if name is None else self.actors[name], now=when)

        with (
            _ReferenceCache(s),
            Progress(
                TextColumn("[bold]生成工单[/bold]"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                disable=console is None,
                transient=False,
            ) as progress,
        ):
            task = progress.add_task("tickets", total=len(events))
            for n, (when, i, j) in enumerate(events):
                if when >= next_tick:
                    fire_until(when)
                plan, step = plans[i], plans[i].steps[j]
                a = actor(step.actor, when)
                kind, args = step.kind, step.args
                ticket = plan.ticket
                if ticket is None and plan.ticket_id is not None:
                    ticket = s.get(Ticket, plan.ticket_id)
                if kind == "create":
                    plan.ticket = tickets.create_ticket(s, actor=a, data=dict(args["data"]))
                    plan.ticket_id = plan.ticket.id
                elif kind == "assign":
                    tickets.update_ticket(s, actor=a, ticket=ticket, changes={"assignee_id": a.user_id})
                elif kind == "claim":
                    tickets.update_ticket(s, actor=a, ticket=ticket, changes={"assignee_id": a.user_id})
                elif kind in ("reply", "note"):
                    if ticket.status != "closed":
                        tickets.add_message(
                            s, actor=a, ticket=ticket, body=args["body"], internal=kind == "note"
                        )
                elif kind == "escalate":
                    tickets.escalate(s, actor=a, ticket=ticket, reason=args["reason"])
                elif kind == "pending":
                    if ticket.status in ("new", "open", "escalated"):
                        tickets.change_status(
                            s, actor=a, ticket=ticket, status="pending", reason=args["reason"]
                        )
                elif kind == "resume":
                    if ticket.status == "pending":
                        tickets.change_status(
                            s, actor=a, ticket=ticket, status="open", reason="用户已补充信息"
                        )
                elif kind == "callback":
                    plan.callback = callbacks.create_callback(
                        s,
                        actor=a,
                        ticket_id=ticket.id,
                        customer_id=None,
                        due_at=args["due_at"],
                        owner_id=self.actors[args["owner"]].user_id,
                        preferred_time=args["preferred_time"],
                        note=args["note"],
                    )
                elif kind == "callback_done":
                    outcome = args["outcome"]
                    note = {
                        "resolved": "已回访,用户认可处理结果",
                        "no_answer": "回访电话无人接听",
                        "needs_followup": "用户仍有疑问,需继续跟进",
                    }[outcome]
                    callbacks.complete(s, actor=a, callback=plan.callback, outcome=outcome, note=note)
                elif kind == "compensate":
                    if ticket.status != "closed":
                        compensation.grant(
                            s,
                            actor=a,
                            ticket=ticket,
                            kind=args["kind"],
                            reason=args["reason"],
                            amount_fen=args["amount_fen"],
                            note=args["note"],
                        )
                elif kind == "resolve":
                    if ticket.status != "closed":
                        tickets.add_message(s, actor=a, ticket=ticket, body=args["body"], internal=False)
                        if ticket.status != "resolved":
                            tickets.change_status(
                                s, actor=a, ticket=ticket, status="resolved", reason="已解决"
                            )
                elif kind == "reopen":
                    if ticket.status == "resolved":
                        tickets.change_status(s, actor=a, ticket=ticket, status="open", reason=args["reason"])
                elif kind == "close":
                    if ticket.status == "resolved":
                        tickets.change_status(
                            s, actor=a, ticket=ticket, status="closed", reason=args["reason"]
                        )
                elif kind == "merge":
                    target = s.get(Ticket, args["target"].ticket_id)
                    if target is not None and target.status != "closed" and ticket.status != "closed":
                        tickets.merge(s, actor=a, source=ticket, target=target, reason=args["reason"])
                if kind != "create":
                    plan.ticket = ticket
                if j == len(plan.steps) - 1 or plan.steps[j + 1].at - when > IDLE:
                    # not worked on for a while: let the session forget it (ORM updates scan the identity map)
                    plan.ticket = None
                if j == len(plan.steps) - 1:
                    plan.callback = None
                if n % 50 == 49:
                    progress.update(task, completed=n + 1)
            progress.update(task, completed=len(events))
        fire_until(self.now)


class _ReferenceCache:
    """Serve repeated reads of reference rows (categories, teams, SLA policies) from memory.

    The services look these up again on every SLA recomputation; while the demo runs nobody changes
    them, so the first answer to each distinct statement is kept and replayed (SQLAlchemy's
    ``do_orm_execute`` re-execution hook). Only installed on the demo's own session, only while it runs.
    """

    def __init__(self, session: Session) -> None:
        from kefu.accounts.models import Team
        from kefu.catalog.models import BusinessLine, Category
        from kefu.sla.models import SlaCalendar, SlaPolicy

        self.session = session
        self.static = {m.__mapper__ for m in (Team, BusinessLine, Category, SlaCalendar, SlaPolicy)}
        self.results: dict[Any, Any] = {}

    def __enter__(self) -> _ReferenceCache:
        event.listen(self.session, "do_orm_execute", self._execute)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.session, "do_orm_execute", self._execute)

    def _execute(self, state):
        if not state.is_select or not state.all_mappers or not set(state.all_mappers) <= self.static:
            return None
        ck = state.statement._generate_cache_key()
        if ck is None:
            return None
        key = (ck.key, tuple(repr(b.effective_value) for b in ck.bindparams), repr(state.parameters))
        frozen = self.results.get(key)
        if frozen is None:
            frozen = self.results[key] = state.invoke_statement().freeze()
        return frozen()


def name_pinyin_stub(rng: random.Random) -> str:
    """An ASCII mailbox name (people pick their own, pinyin-ish)."""
    syllables = (
        "wang",
        "li",
        "zhang",
        "liu",
        "chen",
        "yang",
        "xiao",
        "ming",
        "hua",
        "jing",
        "lei",
        "fang",
        "ting",
        "hao",
        "yu",
        "xin",
        "jun",
        "mei",
    )
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3)))


def _demo_present(session: Session) -> bool:
    from kefu.accounts.models import Team, User
    from kefu.catalog.models import BusinessLine

    return bool(
        session.scalar(
            select(func.count()).select_from(User).where(User.username.in_([u for u, *_ in STAFF]))
        )
        or session.scalar(select(func.count()).select_from(Team).where(Team.name.in_([n for n, _ in TEAMS])))
        or session.scalar(
            select(func.count())
            .select_from(BusinessLine)
            .where(BusinessLine.code.in_([c for c, _ in BUSINESS_LINES]))
        )
    )


def _summary(session: Session, builder: _Builder, seconds: float) -> dict:
    from kefu.callbacks.models import Callback
    from kefu.compensation.models import Compensation
    from kefu.notifications.models import Notification
    from kefu.tickets.models import Ticket, TicketEvent, TicketMessage

    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    by_status = dict(session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
    today = datetime.combine(builder.now.astimezone(builder.tz).date(), datetime.min.time(), builder.tz)
    out = dict(builder.counts)
    out.update(
        tickets=count(Ticket),
        tickets_by_status={
            k: by_status.get(k, 0) for k in ("new", "open", "pending", "escalated", "resolved", "closed")
        },
        tickets_today=count(Ticket, Ticket.created_at >= today),
        carried_over=count(
            Ticket, Ticket.created_at < today, Ticket.status.in_(("new", "open", "pending", "escalated"))
        ),
        tier2=count(Ticket, Ticket.tier == 2),
        tier3=count(Ticket, Ticket.tier == 3),
        external_complaints=count(Ticket, Ticket.complaint_type == "external"),
        internal_complaints=count(Ticket, Ticket.complaint_type == "internal"),
        resolution_breached=count(Ticket, Ticket.resolution_breached.is_(True)),
        first_response_breached=count(Ticket, Ticket.first_response_breached.is_(True)),
        merged=count(Ticket, Ticket.merged_into_id.is_not(None)),
        messages=count(TicketMessage),
        events=count(TicketEvent),
        callbacks=count(Callback),
        callbacks_overdue=count(Callback, Callback.overdue.is_(True), Callback.status == "pending"),
        compensations=count(Compensation),
        notifications=count(Notification),
        seconds=round(seconds, 1),
    )
    return out


def build_demo(
    url: str,
    *,
    days: int = 30,
    customers: int = 2000,
    seed: int = 7,
    if_empty: bool = False,
    console=None,
    now: datetime | None = None,
) -> dict | None:
    """Load the demo center into the (already migrated) database at ``url``; a summary of what was made.

    With ``if_empty``, a database that already has users is left alone (returns ``None``).
    """
    from kefu.accounts.models import User
    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.core.errors import Conflict
    from kefu.core.settings import get_settings

    if days < 1 or customers < 10:
        raise ValueError("the demo needs at least 1 day and 10 customers")
    started = time.perf_counter()
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    tz = ZoneInfo(get_settings().timezone)
    engine = make_engine(url)
    try:
        factory = make_sessionmaker(engine)
        with factory() as session:
            if if_empty and session.scalar(select(User.id).limit(1)) is not None:
                return None
            if _demo_present(session):
                raise Conflict("demo data is already present in this database; use an empty one")
            rng = random.Random(seed)
            builder = _Builder(session, rng, now, tz)
            builder.reference_data()
            builder.customers(customers)
            session.commit()
            plans = [builder.plan(t, forced) for t, forced in builder.ticket_times(days)]
            plans += builder.duplicates(plans)
            plans = [p for p in plans if p.steps]
            builder.run(plans, factory, console)
            session.commit()
            summary = _summary(session, builder, time.perf_counter() - started)
        if console is not None:
            st = summary["tickets_by_status"]
            console.print(
                f"[green]demo center ready[/green] in {summary['seconds']}s: {summary['users']} users, "
                f"{summary['customers']} customers, {summary['tickets']} tickets "
                f"(open {st['new'] + st['open'] + st['pending'] + st['escalated']}, "
                f"resolved/closed {st['resolved'] + st['closed']}), "
                f"{summary['resolution_breached']} SLA breaches, {summary['callbacks']} callbacks"
            )
        return summary
    finally:
        engine.dispose()

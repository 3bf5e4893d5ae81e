"""The demo's business lines and category tree (SPEC M6), with how customers word each issue.

Pure data. Every leaf category carries its report weight, the Chinese subject / detail / fix
templates (``{shop}``, ``{dish}``… are filled by ``texts.fill``), which customer roles report it,
the compensation it may earn, its chance of an offline escalation (线下升级) and its priority.
"""

from __future__ import annotations

from dataclasses import dataclass

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
                        "waimai.merchant.food_safety",
                        "食品安全",
                        "none",
                        Leaf(
                            1,
                            ("吃了{shop}的{dish}后腹泻呕吐", "疑似食物中毒", "{dish}里吃出虫子"),
                            (
                                "用户称昨晚在{shop}点的{dish},全家食用后腹泻呕吐,已去医院就诊,要求商家赔偿。",
                                "订单(尾号{tail})的{dish}里发现活虫,用户已拍照留证,情绪激动。",
                            ),
                            (
                                "已下架涉事商品并暂停商家营业,协助用户保留就医凭证并办理赔付",
                                "已将商家食品安全问题报送商户运营与食安团队核查,并为用户全额退款",
                            ),
                            comp=("refund", "service_failure", 30, 300),
                            escalate=0.5,
                            priority="urgent",
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

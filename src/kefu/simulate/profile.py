"""What a large consumer platform's service center sees: shapes, mixes and distributions (pure data).

All figures are relative weights or distribution parameters; ``model`` turns them into rates. The
category codes are the demo center's leaf categories (``kefu.demo.catalog``), so simulated contacts land
on real categories there; a test keeps the two lists equal.
"""

from __future__ import annotations

from dataclasses import dataclass

CHANNELS = ("phone", "chat", "wechat", "email", "weibo", "self_service")
ROLES = ("consumer", "merchant", "rider", "driver", "passenger")
OUTCOMES = ("answered", "abandoned", "callback_requested", "deflected")

# share of contacts per business line (外卖 dominates)
LINES = {"waimai": 46, "yuedu": 13, "daodian": 11, "chuxing": 10, "daojia": 5, "lvxing": 6, "jinrong": 4,
         "dianying": 5}

# contacts per hour of day, local time (index = hour). Food: lunch 11–13 and dinner 17–20 peaks, an
# afternoon trough, quiet night. Reading and cinema: an evening that runs late. Others: the working day.
HOUR_SHAPES = {
    "meals": (0.9, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.8, 3.0, 3.8, 5.2, 8.2,
              9.6, 8.4, 4.6, 3.6, 3.9, 6.2, 8.6, 9.2, 7.8, 5.2, 3.4, 1.8),
    "evening": (3.2, 1.8, 0.8, 0.4, 0.3, 0.3, 0.6, 1.6, 2.8, 3.6, 4.0, 4.2,
                4.6, 4.4, 4.2, 4.2, 4.4, 4.8, 5.6, 6.6, 7.4, 7.8, 7.2, 5.0),
    "day": (0.8, 0.4, 0.3, 0.2, 0.2, 0.4, 1.2, 3.0, 5.4, 6.8, 7.0, 6.6,
            6.0, 6.2, 6.6, 6.4, 6.0, 5.8, 5.4, 4.8, 4.0, 3.2, 2.2, 1.4),
}
LINE_SHAPE = {"waimai": "meals", "daodian": "meals", "yuedu": "evening", "dianying": "evening",
              "daojia": "day", "lvxing": "day", "chuxing": "day", "jinrong": "day"}

# Monday … Sunday: weekends order more food and read more; finance and merchants are quieter
WEEKDAY = (0.95, 0.92, 0.93, 0.95, 1.03, 1.16, 1.12)

# channel shares per business line (phone, chat, wechat, email, weibo, self_service)
CHANNEL_MIX = {
    "default": (0.40, 0.28, 0.10, 0.04, 0.03, 0.15),
    "waimai": (0.42, 0.30, 0.08, 0.02, 0.02, 0.16),
    "yuedu": (0.15, 0.35, 0.10, 0.10, 0.05, 0.25),
    "jinrong": (0.55, 0.20, 0.08, 0.08, 0.01, 0.08),
}


@dataclass(frozen=True)
class ChannelModel:
    """How one channel is served: handle time (log-normal: median and sigma of its log), hold and wrap,
    sessions per agent, the service-level target the staffing plan aims at and customers' patience."""

    talk_median: float  # seconds
    talk_sigma: float
    hold_share: float = 0.0
    hold_median: float = 40.0
    hold_sigma: float = 0.6
    wrap_median: float = 25.0
    wrap_sigma: float = 0.5
    concurrency: int = 1  # sessions an agent handles at once (chat 3)
    sl_target: float = 0.8  # share answered within sl_seconds
    sl_seconds: float = 20.0
    patience_mean: float = 100.0  # exponential patience, seconds
    queued: bool = True  # False: answered later without a live queue (e-mail) or never (self-service)


CHANNEL_MODELS = {
    "phone": ChannelModel(240, 0.55, hold_share=0.35, patience_mean=180),
    "chat": ChannelModel(480, 0.6, concurrency=3, wrap_median=20, sl_seconds=30, patience_mean=300),
    "wechat": ChannelModel(360, 0.7, concurrency=4, wrap_median=20, sl_seconds=120, patience_mean=1800),
    "weibo": ChannelModel(420, 0.7, concurrency=4, wrap_median=30, sl_seconds=120, patience_mean=1800),
    "email": ChannelModel(540, 0.6, wrap_median=60, queued=False),
    "self_service": ChannelModel(150, 0.8, wrap_median=0, queued=False),
}
EMAIL_REPLY_MEDIAN, EMAIL_REPLY_SIGMA = 3 * 3600.0, 0.8  # e-mail answered hours later, never abandoned
CALLBACK_OFFER_SECONDS = 45.0  # the IVR offers a callback (回拨) to callers still waiting then
CALLBACK_ACCEPT = 0.3  # share of those who take it instead of holding on
STAFFING_FACTOR = 1.0  # agents on the plan per agent the Erlang-C requirement asks for (below 1: understaffed)
MAX_OCCUPANCY = 0.97  # beyond this offered load per server the queue is treated as overloaded (fluid)


@dataclass(frozen=True)
class CategoryMix:
    code: str
    line: str
    weight: float  # within its business line
    roles: tuple[str, ...] = ("consumer",)


CATEGORIES = (
    CategoryMix("waimai.delivery.late", "waimai", 14),
    CategoryMix("waimai.delivery.spill", "waimai", 5),
    CategoryMix("waimai.delivery.rider", "waimai", 5),
    CategoryMix("waimai.delivery.address", "waimai", 3),
    CategoryMix("waimai.refund.unused_7d", "waimai", 5),
    CategoryMix("waimai.refund.expired", "waimai", 4),
    CategoryMix("waimai.refund.progress", "waimai", 8),
    CategoryMix("waimai.merchant.quality", "waimai", 7),
    CategoryMix("waimai.merchant.food_safety", "waimai", 1),
    CategoryMix("waimai.merchant.missing", "waimai", 6),
    CategoryMix("waimai.merchant.rejected", "waimai", 3),
    CategoryMix("waimai.merchant.settlement", "waimai", 4, ("merchant",)),
    CategoryMix("waimai.promo.red_packet", "waimai", 5),
    CategoryMix("waimai.promo.free_order", "waimai", 3),
    CategoryMix("waimai.account.stolen", "waimai", 1.5),
    CategoryMix("waimai.account.rebind", "waimai", 3),
    CategoryMix("waimai.payment.double", "waimai", 3),
    CategoryMix("waimai.rider.income", "waimai", 4, ("rider",)),
    CategoryMix("waimai.rider.dispatch", "waimai", 3, ("rider",)),
    CategoryMix("daodian.voucher.refused", "daodian", 4),
    CategoryMix("daodian.voucher.booking", "daodian", 4),
    CategoryMix("daodian.review.appeal", "daodian", 3, ("merchant",)),
    CategoryMix("daojia.service.late", "daojia", 3),
    CategoryMix("daojia.service.quality", "daojia", 2),
    CategoryMix("lvxing.hotel.no_room", "lvxing", 3),
    CategoryMix("lvxing.hotel.cancel", "lvxing", 4),
    CategoryMix("chuxing.ride.cancel", "chuxing", 3, ("passenger",)),
    CategoryMix("chuxing.ride.fare", "chuxing", 3, ("passenger",)),
    CategoryMix("chuxing.ride.lost", "chuxing", 2, ("passenger",)),
    CategoryMix("chuxing.driver.income", "chuxing", 2, ("driver",)),
    CategoryMix("jinrong.loan.repay", "jinrong", 3, ("consumer", "merchant")),
    CategoryMix("dianying.ticket.fail", "dianying", 3),
    CategoryMix("dianying.ticket.refund", "dianying", 2),
    CategoryMix("yuedu.login", "yuedu", 5),
    CategoryMix("yuedu.payment", "yuedu", 5),
    CategoryMix("yuedu.reader", "yuedu", 4),
    CategoryMix("yuedu.props", "yuedu", 3),
    CategoryMix("yuedu.rare", "yuedu", 1.5),
    CategoryMix("yuedu.minor", "yuedu", 2),
    CategoryMix("yuedu.events", "yuedu", 3),
    CategoryMix("yuedu.intermittent", "yuedu", 1),
    CategoryMix("yuedu.content.blocked", "yuedu", 2),
    CategoryMix("yuedu.launch", "yuedu", 1),
)
# 1,000,000 distinct customers at most in a year of traffic; repeat contacts come from the same pool
CUSTOMERS_PER_DAILY_CONTACT = 25
PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                  "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "185", "186", "187",
                  "188", "189", "191", "198", "199")

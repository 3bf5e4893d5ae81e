"""Small scheduling plans for the tests: a hotline open 08:00–22:00 with a morning and an afternoon peak."""

from __future__ import annotations

import copy

EARLY = {"name": "早班", "minutes": 540, "starts": ["08:00", "08:30", "09:00", "09:30"],
         "breaks": [{"name": "小休", "minutes": 15, "earliest": 90, "latest": 150},
                    {"name": "午餐", "minutes": 60, "paid": False, "earliest": 180, "latest": 270},
                    {"name": "小休2", "minutes": 15, "earliest": 360, "latest": 420}]}
LATE = {"name": "晚班", "minutes": 540, "starts": ["12:30", "13:00"],
        "breaks": [{"name": "小休", "minutes": 15, "earliest": 90, "latest": 150},
                   {"name": "晚餐", "minutes": 60, "paid": False, "earliest": 180, "latest": 270},
                   {"name": "小休2", "minutes": 15, "earliest": 360, "latest": 420}]}
PART = {"name": "兼职4小时", "minutes": 240, "starts": ["08:00", "10:00", "14:00", "18:00"],
        "breaks": [{"name": "小休", "minutes": 15, "earliest": 60, "latest": 150}]}
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴婷", "徐明", "孙丽"]


def day_requirement(scale: float = 1.0) -> list[float]:
    """Agents needed per half hour from midnight: 2 all day, 5 at 10:00–12:00 and 4 at 14:00–17:00."""
    req = [0.0] * 48
    for t in range(16, 44):  # 08:00–22:00
        req[t] = 2.0
    for t in range(20, 24):
        req[t] = 5.0
    for t in range(28, 34):
        req[t] = 4.0
    return [round(v * scale) for v in req]


def plan(days: int = 3, agents: int = 10, **rules) -> dict:
    return {
        "start": "2026-12-07",
        "rules": {"interval": 30, "time_limit": 8, "max_days_per_week": 5} | rules,
        "days": [{"requirement": day_requirement(), "open": "08:00", "close": "22:00"} for _ in range(days)],
        "shifts": copy.deepcopy([EARLY, LATE, PART]),
        "agents": [{"id": f"A{i:02d}", "name": NAMES[i % len(NAMES)]} for i in range(agents)],
    }


def minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)

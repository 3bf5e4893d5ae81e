"""An independent check of a solved schedule (``kefu.wfm.schedule_output.result``) against its plan: every
rule a roster must keep, read from the output alone, so that a faster solver cannot quietly break one.
Returns the violations as plain sentences (an empty list: the schedule is valid)."""

from __future__ import annotations

from collections import defaultdict

from kefu.wfm.schedule import Plan


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def violations(plan: Plan, out: dict) -> list[str]:
    iv, bad = plan.rules.interval, []
    templates = {t.name: t for t in plan.shifts}
    index = {day.date.isoformat(): d for d, day in enumerate(plan.days)}
    grid = [[0] * plan.slots for _ in plan.days]  # agent-minutes on the phones
    for agent, row in zip(plan.agents, out["agents"], strict=True):
        who = agent.id
        worked, spans = [], []  # spans: (day, end in minutes from the plan's first midnight)
        for w in row["days"]:
            d = index[w["date"]]
            day, tpl = plan.days[d], templates.get(w["shift"])
            if tpl is None or (agent.shifts is not None and tpl.name not in agent.shifts):
                bad.append(f"{who} {w['date']}: shift {w['shift']} not allowed")
                continue
            start = _minutes(w["start"])
            end = start + tpl.minutes
            if start not in tpl.starts or _minutes(w["end"]) != (end - 1440 if end > 1440 else end) or bool(
                    w.get("ends_next_day")) != (end > 1440):
                bad.append(f"{who} {w['date']}: {w['start']}–{w['end']} is not a start and length of {tpl.name}")
            after = plan.days[d + 1] if d + 1 < len(plan.days) else None
            if start < day.open or min(end, 1440) > day.close or (end > 1440 and after is not None and (
                    after.open > 0 or end - 1440 > after.close)):
                bad.append(f"{who} {w['date']}: outside opening hours")
            if d in agent.days_off or (end > 1440 and d + 1 in agent.days_off):
                bad.append(f"{who} {w['date']}: a day off")
            if spans and spans[-1][0] == d - 1 and start + d * 1440 - spans[-1][1] < plan.rules.min_rest_minutes:
                bad.append(f"{who} {w['date']}: less than {plan.rules.min_rest_minutes} minutes of rest")
            if spans and spans[-1][0] == d - 1 and start + d * 1440 < spans[-1][1]:
                bad.append(f"{who} {w['date']}: starts before the last shift ends")
            spans.append((d, d * 1440 + end))
            windows, later = agent.available.get(d), agent.available.get(d + 1)
            if windows is not None and not any(a <= start and min(end, 1440) <= b for a, b in windows) or (
                    end > 1440 and later is not None and not any(a == 0 and end - 1440 <= b for a, b in later)):
                bad.append(f"{who} {w['date']}: outside availability")
            if w["paid_minutes"] != tpl.paid_minutes:
                bad.append(f"{who} {w['date']}: paid minutes {w['paid_minutes']} ≠ {tpl.paid_minutes}")
            if [b["name"] for b in w["breaks"]] != [r.name for r in tpl.breaks]:
                bad.append(f"{who} {w['date']}: breaks {[b['name'] for b in w['breaks']]} ≠ the template's")
                continue
            on = defaultdict(int)
            for t in range(start // iv, end // iv):
                on[t] += iv
            for b, rule in zip(w["breaks"], tpl.breaks, strict=True):
                b0 = _minutes(b["start"])
                b0 += 1440 if b0 < start else 0  # a break after midnight, in a shift that crosses it
                if not rule.earliest <= b0 - start <= rule.latest or b0 + rule.minutes > end:
                    bad.append(f"{who} {w['date']}: {rule.name} at {b['start']} outside its window")
                if b["paid"] != rule.paid:
                    bad.append(f"{who} {w['date']}: {rule.name} paid flag wrong")
                for t in range(b0 // iv, -(-(b0 + rule.minutes) // iv)):
                    on[t] -= max(0, min(b0 + rule.minutes, (t + 1) * iv) - max(b0, t * iv))
            for t, m in on.items():
                if d + t // plan.slots < len(plan.days):
                    grid[d + t // plan.slots][t % plan.slots] += m
            worked.append(d)
        if len(set(worked)) != len(worked):
            bad.append(f"{who}: two shifts on one day")
        cap = agent.max_days_per_week if agent.max_days_per_week is not None else plan.rules.max_days_per_week
        for w0 in range(0, len(plan.days), 7):
            if sum(1 for d in worked if w0 <= d < w0 + 7) > cap:
                bad.append(f"{who}: more than {cap} days in the week from {plan.days[w0].date}")
        limit = agent.max_consecutive_days or plan.rules.max_consecutive_days
        run = agent.worked_before
        for d in range(len(plan.days)):
            run = run + 1 if d in worked else 0
            if run > limit:
                bad.append(f"{who}: more than {limit} days in a row at {plan.days[d].date}")
    scheduled = out["coverage"]["scheduled"]
    for d in range(len(plan.days)):
        for t in range(plan.slots):
            if abs(grid[d][t] / iv - scheduled[d][t]) > 1e-3:
                bad.append(f"coverage {plan.days[d].date} slot {t}: the roster gives {grid[d][t] / iv}, "
                           f"the output {scheduled[d][t]}")
    short = sum(max(0.0, day.requirement[t] - grid[d][t] / iv) for d, day in enumerate(plan.days)
                for t in range(plan.slots))
    if abs(short - out["summary"]["shortfall"]) > 1e-3:
        bad.append(f"shortfall {out['summary']['shortfall']} ≠ {short} from the roster")
    return bad

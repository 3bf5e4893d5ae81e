"""Self-service figures: conversations resolved by the bot, handed over (and why), and the articles that
deflect most and least (of the conversations an article was offered in, how many it resolved)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.kb.models import Article, BotSession, BotTurn

MIN_OFFERED = 1


def deflection(session: Session, *, since: datetime, until: datetime, top: int = 5) -> dict:
    in_period = (BotSession.created_at >= since, BotSession.created_at < until)
    by_status = dict(session.execute(select(BotSession.status, func.count()).where(*in_period)
                                     .group_by(BotSession.status)).all())
    reasons = dict(session.execute(select(BotSession.handoff_reason, func.count())
                                   .where(*in_period, BotSession.status == "handed_off")
                                   .group_by(BotSession.handoff_reason)).all())
    resolved, handed = by_status.get("resolved", 0), by_status.get("handed_off", 0)
    offered: Counter = Counter()
    rows = session.execute(select(BotTurn.session_id, BotTurn.article_ids).join(
        BotSession, BotSession.id == BotTurn.session_id).where(*in_period, BotTurn.kind.in_(("answer", "options"))))
    seen = set()
    for session_id, ids in rows:
        for aid in ids or []:
            if (session_id, aid) not in seen:
                seen.add((session_id, aid))
                offered[aid] += 1
    solved = Counter(dict(session.execute(select(BotSession.resolved_article_id, func.count())
                                          .where(*in_period, BotSession.resolved_article_id.is_not(None))
                                          .group_by(BotSession.resolved_article_id)).all()))
    titles = dict(session.execute(select(Article.id, Article.title).where(Article.id.in_(list(offered)))).all())
    articles = [{"id": aid, "title": titles.get(aid, ""), "offered": n, "resolved": solved.get(aid, 0),
                 "deflection_rate": round(solved.get(aid, 0) / n, 3)}
                for aid, n in offered.items() if n >= MIN_OFFERED]
    articles.sort(key=lambda a: (-a["deflection_rate"], -a["offered"], a["id"]))
    ended = resolved + handed
    return {"sessions": sum(by_status.values()), "resolved": resolved, "handed_off": handed,
            "abandoned": by_status.get("abandoned", 0), "open": by_status.get("open", 0),
            "deflection_rate": round(resolved / ended, 3) if ended else None, "handoff_reasons": reasons,
            "deflect_most": articles[:top],
            "deflect_least": sorted(articles, key=lambda a: (a["deflection_rate"], -a["offered"], a["id"]))[:top]}

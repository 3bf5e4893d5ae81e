"""The weekly voice-of-customer report (客户之声周报, ``kefu.reports.voc.weekly``) as a PDF: the KPIs, the TOP10
reasons with their change against the week before, the week's alerts and the masked verbatims. Chinese text is
set in reportlab's built-in CID font STSong-Light (the reader's own Song typeface), so no font file is needed on
the server. Pure: a report dict in, PDF bytes out."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
KPI_NAMES = {"answer_rate": "接通率", "abandonment_rate": "放弃率", "service_level": "服务水平",
             "asa_seconds": "平均应答时长", "aht_seconds": "平均处理时长", "satisfaction_rate": "满意度"}
_registered = False


def _font() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True


def _kpi(name: str, value) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} 秒" if name.endswith("_seconds") else f"{value * 100:.1f}%"


def _table(rows: list[list], widths: list[float]) -> Table:
    t = Table([[Paragraph(escape(str(c)), _STYLES["cell"]) for c in row] for row in rows], colWidths=widths,
              repeatRows=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


_STYLES = {
    "title": ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=6),
    "h2": ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK"),
    "body": ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK"),
}


def _kpis(report: dict) -> list:
    t = report["totals"]
    rows = [["指标", "本周"], ["呼入量", t["offered"]]]
    rows += [[label, _kpi(k, t.get(k))] for k, label in KPI_NAMES.items()]
    rows.append(["评价数", t["rated"]])
    return [Paragraph("本周指标", _STYLES["h2"]), _table(rows, [60 * mm, 50 * mm])]


def _top(report: dict) -> list:
    rows = [["排名", "问题分类", "本周", "上周", "变化"]]
    rows += [[r["rank"], r["name"], r["count"], r["previous"], f"{r['change']:+d}"] for r in report["top"]["data"]]
    if len(rows) == 1:
        rows.append(["", "本周没有记录", "", "", ""])
    return [Paragraph("TOP10 问题(对比上周)", _STYLES["h2"]),
            _table(rows, [14 * mm, 70 * mm, 22 * mm, 22 * mm, 22 * mm])]


def _alerts(report: dict) -> list:
    rows = [["类别", "级别", "规则", "窗口", "数量", "状态"]]
    rows += [[a["category"], a["level"], a["rule"], a["window"], a["count"], a["status"]] for a in report["alerts"]]
    if len(rows) == 1:
        rows.append(["本周没有预警", "", "", "", "", ""])
    return [Paragraph("本周预警", _STYLES["h2"]),
            _table(rows, [50 * mm, 20 * mm, 30 * mm, 20 * mm, 20 * mm, 30 * mm])]


def _verbatims(report: dict) -> list:
    out: list = [Paragraph("客户原声", _STYLES["h2"])]
    for q in report["verbatims"]:
        head = " · ".join(x for x in (q["level_name"], q.get("category"), q.get("reason")) if x)
        out.append(Paragraph(f"<b>{escape(head)}</b>:{escape(q['comment'] or '')}", _STYLES["body"]))
    if len(out) == 1:
        out.append(Paragraph("本周没有带留言的评价", _STYLES["body"]))
    return out


def _fixes(fixes: list[dict]) -> list:
    out: list = [Paragraph("建议改进措施", _STYLES["h2"])]
    rows = [["问题", "建议措施", "负责人"]] + [[f.get("topic") or "", f["text"], f.get("owner") or ""]
                                            for f in fixes]
    if len(rows) == 1:
        out.append(Paragraph("暂无", _STYLES["body"]))
    else:
        out.append(_table(rows, [40 * mm, 105 * mm, 30 * mm]))
    return out


def render(report: dict, fixes: list[dict] | None = None) -> bytes:
    """The PDF of a ``voc.weekly`` report; ``fixes`` (建议改进措施: ``{topic, text, owner}``) when given."""
    _font()
    buf = io.BytesIO()
    line = report["line"]["name"]
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"客户之声周报 {line} {report['from']}",
                            author="kefu", subject="客户之声周报")
    story: list = [Paragraph(escape(f"客户之声周报:{line} {report['from']} 至 {report['to']}"), _STYLES["title"])]
    for part in (_kpis, _top, _alerts, _verbatims):
        story += part(report)
    if fixes is not None:
        story += _fixes(fixes)
    story.append(Spacer(1, 4 * mm))
    doc.build(story)
    return buf.getvalue()

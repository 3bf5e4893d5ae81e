"""Tables as CSV (UTF-8 with BOM, so Excel reads the Chinese) and Excel (xlsx, openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

RATE_COLUMNS = {"answer_rate", "abandonment_rate", "service_level", "satisfaction_rate", "very_satisfied_share",
                "satisfied_share", "share", "change_rate", "fcr", "resolution_72h_rate", "occupancy"}


def _cell(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet must not run a name as a formula
    return value


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else _cell(r.get(c)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[dict], columns: Sequence[str], *, title: str = "报表") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([_cell(r.get(c)) if isinstance(r.get(c), str) else r.get(c) for c in columns])
    for i, c in enumerate(columns, 1):
        if c in RATE_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "0.00%"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


KPI_COLUMNS = ("key", "label", "contacts", "offered", "answered", "abandoned", "answer_rate", "abandonment_rate",
               "service_level", "asa_seconds", "aht_seconds", "rated", "satisfaction_rate", "occupancy")
TOP_COLUMNS = ("rank", "category_id", "name", "count", "share", "previous", "change", "change_rate")

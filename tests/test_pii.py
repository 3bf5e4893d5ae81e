"""Customer PII masking, and logs that never carry a phone or ID number."""

from __future__ import annotations

import io
import logging

import pytest

from kefu.core import pii
from kefu.core.logging import PiiScrubber


@pytest.mark.parametrize(
    "raw,masked",
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("+8613812345678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("010-6552123", "010****23"),
        ("12345", "****"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_phone(raw, masked):
    assert pii.mask_phone(raw) == masked


def test_mask_other_fields():
    assert pii.mask_email("zhangwei@example.cn") == "z***@example.cn"
    assert pii.mask_email("没有at") == "***"
    assert pii.mask_address("北京市朝阳区建国路88号") == "北京市朝****"  # a third is kept, at most six
    assert pii.mask_address("广东省深圳市南山区科技园科苑路15号") == "广东省深圳市****"
    assert pii.mask_address("上海") == "上****"
    assert pii.mask_id_number("110101199003071234") == "1101**********1234"
    assert pii.mask_id_number("11010119900307123X") == "1101**********123X"
    assert pii.mask_id_number("1234567") == "*******"
    assert pii.mask_openid("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") == "oUpF****"
    for fn in (pii.mask_email, pii.mask_address, pii.mask_id_number, pii.mask_openid):
        assert fn(None) is None and fn("") == ""


@pytest.mark.parametrize(
    "text,clean",
    [
        ("顾客张伟电话13812345678要求回电", "顾客张伟电话138****5678要求回电"),
        ("phone=13812345678;id=110101199003071234", "phone=138****5678;id=1101**********1234"),
        ("身份证11010119900307123X已核实", "身份证1101**********123X已核实"),
        ("回拨 +8613812345678 未接通", "回拨 +86138****5678 未接通"),
        ("来电 138 1234 5678,又打 138-1234-5678", "来电 138****5678,又打 138****5678"),
        ("订单号 202611230001234567890 不是电话", "订单号 202611230001234567890 不是电话"),
        ("金额 12.50 元", "金额 12.50 元"),
    ],
)
def test_scrub_text(text, clean):
    assert pii.scrub_text(text) == clean


@pytest.fixture
def captured():
    """A logger whose handler scrubs, writing to a buffer we can read."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(PiiScrubber())
    log = logging.getLogger("kefu.test.pii")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    yield log, buf
    log.removeHandler(handler)


def test_log_record_goes_out_scrubbed(captured):
    log, buf = captured
    log.info("回访顾客 %s,身份证 %s", "13812345678", "110101199003071234")
    log.warning("顾客电话13998765432投诉骑手")
    out = buf.getvalue()
    assert "13812345678" not in out and "110101199003071234" not in out and "13998765432" not in out
    assert "回访顾客 138****5678,身份证 1101**********1234" in out
    assert "顾客电话139****5432投诉骑手" in out


def test_plain_log_record_is_untouched(captured):
    log, buf = captured
    log.info("工单 %d 已升级至%s", 42, "组长")
    assert buf.getvalue().strip() == "INFO 工单 42 已升级至组长"


def test_exception_text_in_logs_is_scrubbed_too(captured):
    log, buf = captured
    try:
        raise ValueError("INSERT 失败: phone=13812345678 id_number=110101199003071234")
    except ValueError:
        log.exception("写入顾客失败")
    out = buf.getvalue()
    assert "写入顾客失败" in out and "Traceback" in out and "ValueError" in out
    assert "13812345678" not in out and "110101199003071234" not in out
    assert "phone=138****5678" in out


def test_setup_installs_the_scrubber_once():
    from kefu.core.logging import setup

    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        setup("INFO")
        setup("INFO")
        added = [h for h in root.handlers if h not in before]
        assert len(added) <= 1
        assert any(isinstance(f, PiiScrubber) for h in root.handlers for f in h.filters)
    finally:
        for h in [h for h in root.handlers if h not in before]:
            root.removeHandler(h)
        root.setLevel(level)


def test_server_access_log_is_scrubbed():
    """uvicorn's access log line for a search by phone number goes out masked."""
    import logging.config

    from kefu.core.logging import uvicorn_log_config

    config = uvicorn_log_config("INFO")
    logging.config.dictConfig(config)
    access = logging.getLogger("uvicorn.access")
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    keep = Keep()
    keep.setFormatter(access.handlers[0].formatter)  # uvicorn's access formatter reads record.args
    for f in access.handlers[0].filters:
        keep.addFilter(f)
    access.addHandler(keep)
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/api/v1/customers?q=13812345678", "1.1",
                    200)
    finally:
        access.removeHandler(keep)
    assert records and "13812345678" not in records[0] and "138****5678" in records[0]

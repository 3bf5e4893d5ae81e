"""Files handed to the CLI in either encoding a Chinese user's tools write."""

from __future__ import annotations

import pytest

from kefu.core.textfiles import TextFileError, read_chinese_text

TEXT = "时间,类别\n2026-11-23T10:00:00+08:00,登录访问\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_utf8_with_or_without_bom_and_gb18030_read_the_same(tmp_path, encoding):
    path = tmp_path / "事件.csv"
    path.write_bytes(TEXT.encode(encoding))
    assert read_chinese_text(path) == TEXT


def test_neither_encoding_or_a_missing_file_is_named(tmp_path):
    bad = tmp_path / "乱码.csv"
    bad.write_bytes(b"\xff\xfe\x00\x81\x30")
    with pytest.raises(TextFileError, match="乱码.csv is neither UTF-8 nor GB18030"):
        read_chinese_text(bad)
    with pytest.raises(TextFileError, match="cannot read .*不存在.csv"):
        read_chinese_text(tmp_path / "不存在.csv")

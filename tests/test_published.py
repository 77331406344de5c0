"""domain.published: a row of 排名 as published, and the digest that tells a cell changed by hand."""

from __future__ import annotations

from decimal import Decimal

from kjjr_excel.domain.published import (
    ROW_DIGESTS,
    digest_of,
    kept_digests,
    published_labels,
    published_row_of,
    row_digest,
)

CELLS = {
    "序号": 1,
    "排名": 1,
    "编号": "QD01",
    "名称": "市南区科技金融服务分中心",
    "依托单位": "市南区科学技术局",
    "总分": 90,
    "等次": "优秀",
    "补助金额（万元）": 20,
    "标记": "",
}


def test_a_row_reads_the_same_written_or_read_back():
    """What rank writes (ints) and what a spreadsheet program saves back (floats) give one row and one digest;
    a grade typed over gives another."""
    written = published_row_of(CELLS, "总分", "补助金额（万元）")
    read_back = published_row_of(
        {**CELLS, "序号": 1.0, "排名": 1.0, "总分": 90.0}, "总分", "补助金额（万元）"
    )
    assert written == read_back and written.total == Decimal("90.00") and written.subsidy == Decimal("20.00")
    assert row_digest(written) == row_digest(read_back)
    typed_over = published_row_of({**CELLS, "等次": "不合格"}, "总分", "补助金额（万元）")
    assert row_digest(typed_over) != row_digest(written)
    assert published_labels("总分", "补助金额（万元）")[5:8] == ["总分", "等次", "补助金额（万元）"]


def test_digests_kept_over_several_meta_cells_are_found_by_row():
    meta = {f"{ROW_DIGESTS}1": "aaaaaaaabbbbbbbb", f"{ROW_DIGESTS}2": "cccccccc", "kind": "ranking"}
    digests = kept_digests(meta)
    assert [digest_of(digests, n) for n in (1, 2, 3, 4, 0)] == ["aaaaaaaa", "bbbbbbbb", "cccccccc", "", ""]

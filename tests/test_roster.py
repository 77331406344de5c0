"""read.roster: a 名录 in .csv (UTF-8 or GB18030, as Excel and WPS save it) or a workbook; columns found by
their titles wherever the header row is; every unusable roster a RosterError naming the file (and the row)."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from kjjr_excel.domain.scheme import RosterEntry
from kjjr_excel.errors import RosterError
from kjjr_excel.read.roster import read_roster


def csv_file(tmp_path: Path, text: str, encoding: str = "utf-8-sig", name: str = "名录.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_every_column_is_read_in_file_order(tmp_path):
    path = csv_file(
        tmp_path,
        "序号,编号,名称,依托单位,联系人,电话,邮箱\n"
        "1,QD02,市北区分中心,市北区科技局,王伟,13800000000,a@example.cn\n"
        "2,QD01,市南区分中心,市南区科技局,,,\n",
    )
    assert read_roster(path) == (
        RosterEntry("QD02", "市北区分中心", "市北区科技局", "1", "王伟", "13800000000", "a@example.cn"),
        RosterEntry("QD01", "市南区分中心", "市南区科技局", "2"),
    )


def test_the_header_is_found_below_a_title_and_by_its_other_names(tmp_path):
    path = csv_file(
        tmp_path,
        "2019年度分中心名录,,\n,,\n代码,分中心名称,依托单位\nGD01,广州分中心,广州市科技局\n",
    )
    # 分中心名称 is a name column because the scheme calls its centers 分中心 (identity.aliases)
    assert read_roster(str(path), center_label="分中心") == (
        RosterEntry("GD01", "广州分中心", "广州市科技局"),
    )


def test_a_gb18030_csv_from_wps_is_read(tmp_path):
    path = csv_file(tmp_path, "编号,名称,依托单位\nQD01,崂山区分中心,崂山区科技局\n", encoding="gb18030")
    assert read_roster(path)[0].name == "崂山区分中心"


def test_rows_without_a_name_are_skipped_and_a_missing_code_is_the_name(tmp_path):
    path = csv_file(tmp_path, "编号,名称,依托单位\n,,\nQD09,,\n,黄岛区分中心,黄岛区科技局\n")
    assert read_roster(path) == (RosterEntry("黄岛区分中心", "黄岛区分中心", "黄岛区科技局"),)


def test_a_code_twice_names_the_row_of_the_second(tmp_path):
    # Codes compare as names do: the full-width Ｑ０１ is QD01's twin.
    path = csv_file(tmp_path, "编号,名称,依托单位\nQD01,甲中心,甲局\nＱＤ０１,乙中心,乙局\n")
    with pytest.raises(RosterError) as raised:
        read_roster(path)
    assert str(raised.value) == f"名录文件 {path} 第3行：编号“ＱＤ０１”重复，请修改后重试。"


def test_without_a_name_column_the_message_says_which_columns_a_roster_has(tmp_path):
    path = csv_file(tmp_path, "编号,单位\nQD01,甲局\n")
    with pytest.raises(RosterError, match="找不到“名称”列") as raised:
        read_roster(path)
    assert str(path) in str(raised.value)


def test_a_header_without_rows_is_an_empty_roster(tmp_path):
    path = csv_file(tmp_path, "编号,名称,依托单位\n")
    with pytest.raises(RosterError, match="没有任何名单"):
        read_roster(path)


def test_bytes_that_are_no_text_are_refused(tmp_path):
    path = tmp_path / "名录.csv"
    path.write_bytes(b"\xff\xfe\x00\xd8\x00\xdc" * 50)
    with pytest.raises(RosterError, match="编码无法识别"):
        read_roster(path)


def test_a_missing_file_is_a_roster_error_not_a_traceback(tmp_path):
    with pytest.raises(RosterError, match="无法读取") as raised:
        read_roster(tmp_path / "没有这个文件.csv")
    assert "没有这个文件.csv" in str(raised.value)


def test_an_xlsx_roster_reads_its_first_sheet(tmp_path):
    path = tmp_path / "名录.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名录")
    for row, values in enumerate(
        [["编号", "名称", "依托单位"], ["GD01", "广州分中心", "广州市科技局"], [7, "数字编号中心", ""]]
    ):
        sheet.write_row(row, 0, values)
    book.add_worksheet("其他").write_row(0, 0, ["编号", "名称"])
    book.close()
    assert read_roster(path) == (
        RosterEntry("GD01", "广州分中心", "广州市科技局"),
        RosterEntry("7", "数字编号中心", ""),
    )


def test_a_workbook_that_is_no_workbook_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "名录.xlsx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(RosterError, match="无法读取") as raised:
        read_roster(path)
    assert str(path) in str(raised.value)


def test_the_host_unit_is_read_under_its_other_names(tmp_path):
    """An office's own roster calls the host unit 承建单位, 运营单位…: read as 依托单位, not dropped."""
    path = csv_file(tmp_path, "序号,代码,服务站名称,承建单位\n1,WF01,潍坊服务站,潍坊市科技局\n")
    assert read_roster(path, center_label="服务站")[0].host_unit == "潍坊市科技局"

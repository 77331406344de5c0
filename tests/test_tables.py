"""The one header-table reader (read/tables.py): opening behind the guards, finding the header row by aliases,
rows that carry their cells; and the readers built on it (roster, history, assessor tables)."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from kjjr_excel.domain.identity import Cell
from kjjr_excel.domain.scheme import RosterEntry, load_scheme
from kjjr_excel.errors import RosterError
from kjjr_excel.read.history import load_history
from kjjr_excel.read.roster import read_roster
from kjjr_excel.read.tables import (
    Sheet,
    TableSpec,
    Undecodable,
    Unreadable,
    find_header,
    identity_roles,
    open_sheets,
    read_tables,
    table_rows,
)
from kjjr_excel.write.template import write_assessment

QD = load_scheme("qingdao")


def xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    wb.close()
    return path


# ---------------------------------------------------------------------------------------------- headers


def test_header_found_by_aliases_and_rows_carry_their_cells():
    grid = [
        ["2017年度考核结果"],
        ["序号", "代码", "分中心名称", "得分"],
        [1, "QD01", "甲", 80],
        [],
        ["", None, ""],
        [2, "QD02"],
    ]
    spec = TableSpec(identity_roles("分中心"), needs=(("name",),))
    header = find_header([Sheet("S", grid)], spec)
    assert header is not None and header.index == 1
    assert dict(header.columns) == {"code": 1, "name": 2}
    rows = table_rows(header, "t.xlsx")
    assert [r.index for r in rows] == [2, 5]  # empty rows are left out, the row index stays the sheet's
    first, last = rows
    assert (first.file, first.sheet) == ("t.xlsx", "S")
    assert first.role("name") == Cell("甲", "C3") and first.cells["得分"] == Cell(80, "D3")
    assert last.role("name") == Cell(None, "C6")  # past the row's end: no value, still a cell to point at
    assert last.identity().code == "QD02"


def test_the_first_alias_present_wins_then_the_leftmost_column():
    grid = [["总分", "名称", "综合得分", "名称"], [1, "甲", 2, "乙"]]
    spec = TableSpec({"score": ("综合得分", "总分"), "name": ("名称",)}, needs=(("name",),))
    header = find_header([Sheet("S", grid)], spec)
    assert dict(header.columns) == {"score": 2, "name": 1}


def test_header_rules_needs_required_texts_and_scan_rows():
    grid = [[], [], ["名称", "一票否决", "备注"], ["甲", "否", ""]]
    sheets = [Sheet("封面", [["说明"]]), Sheet("评分", grid)]
    assert find_header(sheets, TableSpec(required=("名称", "一票否决"))).sheet.name == "评分"
    # a required text is its column's key, whatever spelling the cell has
    spaced = [Sheet("S", [["名 称", "一票否决"], ["甲", "是"]])]
    header = find_header(spaced, TableSpec(required=("名称", "一票否决")))
    assert list(table_rows(header, "f")[0].cells) == ["名称", "一票否决"]
    assert find_header(sheets, TableSpec(required=("名称", "不存在"))) is None
    assert find_header(sheets, TableSpec(identity_roles(), needs=(("name",),), scan_rows=2)) is None
    assert find_header(sheets, TableSpec(identity_roles(), needs=(("name",),), scan_rows=3)) is not None
    assert find_header(sheets, TableSpec(identity_roles(), needs=(("name",), ("code",)))) is None


# ---------------------------------------------------------------------------------------------- opening


def test_open_sheets_csv_workbook_and_refusals(tmp_path):
    csv = tmp_path / "名录.csv"
    csv.write_text("编号,名称\nQD01,甲\n", encoding="gb18030")
    assert open_sheets(csv, limit=2**20, sniff=False) == [Sheet("名录", [["编号", "名称"], ["QD01", "甲"]])]
    book = xlsx(tmp_path / "b.xlsx", {"一": [["名称"], ["甲"]], "二": [["x"]]})
    assert [s.name for s in open_sheets(book, limit=2**20, sniff=True)] == ["一", "二"]
    # sniff: a workbook saved as .csv is read as the workbook it is; an empty file is refused
    disguised = tmp_path / "历年.csv"
    disguised.write_bytes(book.read_bytes())
    assert open_sheets(disguised, limit=2**20, sniff=True)[0].rows == [["名称"], ["甲"]]
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(Unreadable, match="0字节"):
        open_sheets(tmp_path / "empty.csv", limit=2**20, sniff=True)
    (tmp_path / "latin.csv").write_bytes(b"\xff\xfe\x00\xd8 bad")
    with pytest.raises(Undecodable):
        open_sheets(tmp_path / "latin.csv", limit=2**20, sniff=False)
    (tmp_path / "open.csv").write_text('名称\n"甲\n', encoding="utf-8")
    with pytest.raises(Unreadable, match="CSV文件第"):
        open_sheets(tmp_path / "open.csv", limit=2**20, sniff=False)
    with pytest.raises(Unreadable, match="超出上限|上限"):
        open_sheets(csv, limit=4, sniff=False)
    (tmp_path / "junk.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(Unreadable):
        open_sheets(tmp_path / "junk.xlsx", limit=2**20, sniff=False)


# ---------------------------------------------------------------------------------------------- its readers


def test_roster_name_column_is_the_schemes_own_label(tmp_path):
    path = tmp_path / "名录.csv"
    path.write_text("编号,服务站名称,依托单位,邮箱\nS1,东站,东单位,a@b.cn\n", encoding="utf-8")
    assert read_roster(path, center_label="服务站") == (RosterEntry("S1", "东站", "东单位", email="a@b.cn"),)
    with pytest.raises(RosterError, match="找不到“名称”列"):
        read_roster(path)  # 服务站名称 is no name column for a scheme whose centers are not 服务站


def test_roster_duplicate_code_names_its_row_in_the_file(tmp_path):
    path = xlsx(
        tmp_path / "名录.xlsx", {"名录": [["名录"], [], ["编号", "名称"], ["A", "甲"], [], ["a", "乙"]]}
    )
    with pytest.raises(RosterError, match="第6行：编号“a”重复"):
        read_roster(path)


def test_history_and_assessor_tables_use_the_same_header_reader(tmp_path):
    """A history table under the scheme's own name column, and an assessor table: the same aliases."""
    from kjjr_excel.domain.identity import CenterRef

    past = xlsx(
        tmp_path / "历年.xlsx",
        {
            "结果": [
                ["服务站名称", "年度", "等次", "排名"],
                ["东站", "2016年", "优秀", 1],
                ["西站", 2016, "合格", 2],
            ]
        },
    )
    centers = [CenterRef("code:s1", "S1", "东站"), CenterRef("code:s2", "S2", "西站")]
    history = load_history([past], centers, year=2017, center_label="服务站")
    assert [(r.key, r.year, r.cell) for r in history.rows] == [
        ("code:s1", 2016, "A2"),
        ("code:s2", 2016, "A3"),
    ]
    assert [f.code for f in history.findings] == []
    unlabelled = load_history([past], centers, year=2017)
    assert [f.code for f in unlabelled.findings] == ["history-unreadable"]

    table = tmp_path / "考核评价表.xlsx"
    write_assessment(table, QD, roster=[RosterEntry("QD01", "甲")], rows={"QD01": {"major_errors": 1}})
    read = read_tables(QD, [(table, table.name)], strict_kind=True)
    rows = read.tables[0].rows
    assert [r.identity().code for r in rows] == ["QD01"]
    assert rows[0].file == table.name and rows[0].role("code").ref.startswith("A")

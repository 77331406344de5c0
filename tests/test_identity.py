"""Center keys, roster matching, the alias table and the one year parser (domain/identity.py)."""

from __future__ import annotations

import pytest

from kjjr_excel.domain.identity import (
    ALIASES,
    Cell,
    CenterIdentity,
    CenterResolver,
    RosterIndex,
    TableRow,
    aliases,
    center_identity,
    center_key,
    match_center,
    missing_centers,
    parse_year,
    submission_key,
    year_in_text,
)
from kjjr_excel.domain.model import Submission
from kjjr_excel.domain.scheme import RosterEntry

ROSTER = (
    RosterEntry("GD01", "汕头分中心", "汕头科技金融超市"),
    RosterEntry("GD02", "珠海分中心"),
    RosterEntry("GD03", "佛山分中心", "佛山依托"),
)


def sub(code: str = "", name: str = "", host: str = "") -> Submission:
    return Submission(file="a.xlsx", sha256="", center_code=code, center_name=name, host_unit=host)


# ---------------------------------------------------------------------------------------------- years


@pytest.mark.parametrize(
    "value, year",
    [
        (2018, 2018),
        (2018.0, 2018),
        ("2018", 2018),
        ("2018.0", 2018),
        ("2018年", 2018),
        ("2018年度", 2018),
        ("2018度", 2018),
        (" 2018 年 度 ", 2018),
        ("２０１８年", 2018),
        (1900, 1900),
        (2999, 2999),
    ],
)
def test_a_year_cell_is_read_in_every_way_a_clerk_types_it(value, year):
    assert parse_year(value) == year


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        2018.5,
        1899,
        3000,
        float("nan"),
        float("inf"),
        1e30,
        "",
        "二〇一八",
        "2018-01",
        "18年",
    ],
)
def test_what_is_not_a_year_is_none(value):
    assert parse_year(value) is None


def test_the_range_of_a_year_is_the_callers():
    assert parse_year(1989, earliest=1990, latest=2100) is None
    assert parse_year("2101年", earliest=1990, latest=2100) is None
    assert parse_year("1990", earliest=1990, latest=2100) == 1990
    assert parse_year("2101", earliest=1990, latest=2100) is None and parse_year("1899") is None


def test_a_year_in_a_title():
    assert year_in_text("青岛市2017年度科技金融服务分中心考核结果") == 2017
    assert year_in_text("２０１６ 年度") == 2016
    assert year_in_text("考核结果（2017）") is None
    assert year_in_text(None) is None


# ---------------------------------------------------------------------------------------------- aliases


def test_one_alias_table_and_the_schemes_own_center_label():
    assert aliases("code") == ALIASES["code"] == ("编号", "代码", "code")
    names = ("名称", "中心名称", "单位名称", "机构名称", "name")  # an office's own table: 单位名称
    assert aliases("name") == names
    assert aliases("name", "服务站") == (*names, "服务站名称")
    assert aliases("year", "服务站") == ("年度", "考核年度", "评估年度", "年份")  # only names carry the label


def test_a_table_row_says_who_it_is_about():
    keys = {0: "编号", 1: "分中心名称", 2: "备注"}
    row = TableRow("t.xlsx", "S", 3, ["QD01", "甲 ", ""], {"code": 0, "name": 1}, keys)
    ident = row.identity()
    assert (ident.code, ident.name, ident.cell) == ("QD01", "甲", "B4")
    assert row.cells == {
        "编号": Cell("QD01", "A4"),
        "分中心名称": Cell("甲 ", "B4"),
        "备注": Cell(None, "C4"),
    }
    assert row.role("year") is None and row.text("year") == "" and row.value("year") is None
    short = TableRow("t.xlsx", "S", 3, [7], {"code": 0, "name": 1}, keys)
    assert short.identity().code == "7" and short.identity().cell == "B4"  # past the row's end
    assert short.role("name") == Cell(None, "B4")


# ---------------------------------------------------------------------------------------------- centers


def test_center_key_is_the_code_else_the_normalised_name():
    assert center_key("GD01", "汕头分中心") == "code:gd01"
    assert center_key("", "汕头 分中心") == "name:汕头分中心"
    assert center_key("ＧＤ０１", "") == "code:gd01"


def test_match_center_by_code_then_name_with_a_list_or_an_index():
    index = RosterIndex(ROSTER)
    for roster in (ROSTER, index):
        assert match_center(sub("gd02", "随便"), roster).code == "GD02"
        assert match_center(sub("", "佛山 分中心"), roster).code == "GD03"
        assert match_center(sub("X9", "不存在"), roster) is None
        # name and code of two different centers: which one it is cannot be told
        assert match_center(sub("GD01", "珠海分中心"), roster) is None
    assert match_center(sub("GD01"), ()) is None


def test_the_first_of_two_roster_entries_with_one_code_wins():
    first, second = RosterEntry("GD01", "甲"), RosterEntry("gd01", "乙")
    assert RosterIndex([first, second]).by_code["gd01"] is first
    assert match_center(sub("GD01"), [first, second]) is first


def test_center_identity_from_the_roster_else_the_submission():
    assert center_identity(sub("gd01", "汕头", "自填单位"), ROSTER) == CenterIdentity(
        "code:gd01", "GD01", "汕头分中心", "汕头科技金融超市"
    )
    # the roster has no host unit for GD02: the submission's own is kept
    assert center_identity(sub("GD02", "", "自填单位"), ROSTER).host_unit == "自填单位"
    assert center_identity(sub("X9", "外地", "某单位")) == CenterIdentity("code:x9", "X9", "外地", "某单位")
    assert center_identity(sub("", "外地")).ref.key == "name:外地"
    assert submission_key(sub("", "佛山分中心"), RosterIndex(ROSTER)) == "code:gd03"


def test_missing_centers_in_roster_order():
    assert missing_centers(ROSTER, ["code:gd02"]) == [ROSTER[0], ROSTER[2]]
    assert missing_centers(RosterIndex(ROSTER), []) == list(ROSTER)


def test_a_table_row_resolves_to_a_submitting_center_first_then_the_roster():
    identities = [
        CenterIdentity("code:gd01", "GD01", "汕头分中心", ""),
        CenterIdentity("name:同名", "", "同名", ""),
        CenterIdentity("name:同名2", "", "同名", ""),
    ]
    resolve = CenterResolver(identities, ROSTER)
    assert resolve("gd01", "别的名字") == "code:gd01"
    assert resolve("", "汕头 分中心") == "code:gd01"
    assert resolve("", "同名") is None  # two submitting centers share the name: not guessed
    assert resolve("GD02", "") == "code:gd02"  # on the roster, without a submission
    assert resolve("", "佛山分中心") == "code:gd03"
    assert resolve("X9", "不存在") is None

"""History files (plain tables and our own ranking workbooks) and the 摘牌 rule across years."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from kjjr_excel.domain.identity import CenterRef
from kjjr_excel.domain.model import CenterInput, CenterScore, HistoryRecord, RankedCenter, RunResult
from kjjr_excel.domain.rank import rank_centers
from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.domain.score import score_all
from kjjr_excel.read.history import History, load_history
from kjjr_excel.write.ranking import write_history_sheet

QD = load_scheme("qingdao")
TABLE = ("年度", "编号", "名称", "等次", "排名")
BOOK = ("排名", "编号", "名称", "依托单位", "总分", "等次", "补助金额（万元）", "标记")
DELIST_FAIL = "摘牌（连续两年不合格）"
DELIST_LAST = "摘牌（连续两年排名最后）"


# ---------------------------------------------------------------------------------------------- helpers


def center(code: str, points: int, *, name: str = "", veto: bool = False) -> CenterInput:
    """A Qingdao center whose total is 36 + points (0 ≤ points ≤ 29); below 24 points it fails (< 60)."""
    policies = min(points, 10)
    products = min((points - policies) // 3, 5)
    staff = points - policies - 3 * products
    assert 0 <= staff <= 4
    values = {
        "enterprise_info": Decimal(30),
        "financing_needs": Decimal(100),
        "monthly_reports": Decimal(12),
        "finance_events": Decimal(12),
        "policies_implemented": Decimal(policies),
        "new_policies_products": Decimal(products),
        "fulltime_staff": Decimal(staff),
        "major_errors": Decimal(0),
        "major_accident": veto,
        "major_contribution": Decimal(0),
    }
    return CenterInput(
        key=code,
        code=code,
        name=name or f"{code}分中心",
        values=values,
        assessed=True,
        vetoes=("有重大责任事故，评定为不合格",) if veto else (),
    )


def keys(centers: list[CenterInput]) -> list[CenterRef]:
    return [CenterRef(c.key, c.code, c.name) for c in centers]


def run(centers: list[CenterInput], history: History, year: int) -> dict[str, RankedCenter]:
    ranked = rank_centers(QD, score_all(QD, centers), history=history.records, year=year)
    return {r.center.key: r for r in ranked}


def write_table(path: Path, rows: list[tuple], headers: tuple = TABLE, sheet: str = "历年结果") -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    ws.write_row(0, 0, headers)
    for n, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(n, col, value)
            else:
                ws.write_number(n, col, value)
    wb.close()
    return path


def write_book(
    path: Path,
    year: int,
    rows: list[tuple[int | None, str, str, str]],
    *,
    explain: bool = True,
    title: str | None = None,
    year_label: str = "考核年度",
) -> Path:
    """Our ranking workbook's shape: 排名 (title row 1, headers row 2) and 说明 (the year label, year)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("排名")
    ws.write_string(0, 0, title if title is not None else f"{year}年度青岛市科技金融服务分中心考核结果")
    ws.write_row(1, 0, BOOK)
    for n, (rank, code, name, grade) in enumerate(rows, start=2):
        if rank is not None:
            ws.write_number(n, 0, rank)
        ws.write_string(n, 1, code)
        ws.write_string(n, 2, name)
        ws.write_number(n, 4, 50)
        ws.write_string(n, 5, grade)
    if explain:
        info = wb.add_worksheet("说明")
        info.write_row(0, 0, ("项目", "内容"))
        info.write_string(1, 0, "考核方案")
        info.write_string(1, 1, QD.name)
        info.write_string(2, 0, year_label)
        info.write_number(2, 1, year)
    wb.close()
    return path


def book_from(path: Path, year: int, ranked: dict[str, RankedCenter]) -> Path:
    rows = [(r.rank, r.center.code, r.center.name, r.grade) for r in ranked.values()]
    return write_book(path, year, rows)


# what a history lacks for the run (the year before, a center's record of it): tested on their own below
GAPS = ("history-year-missing", "history-center-missing", "history-rank-gap")


def codes(history: History) -> list[str]:
    return [f.code for f in history.findings if f.code not in GAPS]


# ---------------------------------------------------------------------------------------------- 摘牌


def test_two_years_failing_is_delisted(tmp_path: Path) -> None:
    centers = [center("QD01", 10), center("QD02", 5), center("QD03", 28)]
    past = write_table(
        tmp_path / "h.xlsx",
        [(2017, "QD01", "QD01分中心", "不合格", 2), (2017, "QD02", "QD02分中心", "合格", 1)],
    )
    history = load_history([past], keys(centers), year=2018)
    assert codes(history) == []
    assert history.records["QD01"] == [HistoryRecord(2017, "不合格", 2, last=True, failing=True)]
    out = run(centers, history, 2018)
    assert out["QD01"].grade == "不合格"
    assert DELIST_FAIL in out["QD01"].flags
    # QD02 was first in 2017 and fails now while last: this year only
    assert out["QD02"].rank == 3
    assert "摘牌预警" in out["QD02"].flags
    assert not any(f.startswith("摘牌（") for f in out["QD02"].flags)
    assert out["QD03"].flags == ()


def test_one_failing_year_is_a_warning(tmp_path: Path) -> None:
    centers = [center("QD01", 10), center("QD02", 28), center("QD03", 29)]
    past = write_table(tmp_path / "h.xlsx", [(2017, "QD01", "QD01分中心", "合格", 1)])
    out = run(centers, load_history([past], keys(centers), year=2018), 2018)
    assert out["QD01"].flags == ("排名最后", "摘牌预警")
    # no history at all is the same: this year only
    out = run(centers, load_history([], keys(centers), year=2018), 2018)
    assert out["QD01"].flags == ("排名最后", "摘牌预警")


def test_gap_year_gives_only_a_warning(tmp_path: Path) -> None:
    centers = [center("QD01", 10), center("QD02", 28)]
    past = write_table(tmp_path / "h.xlsx", [(2016, "QD01", "QD01分中心", "不合格", 2)])
    history = load_history([past], keys(centers), year=2018)
    assert history.years == [2016]
    assert history.records["QD01"][0].failing
    out = run(centers, history, 2018)
    assert "摘牌预警" in out["QD01"].flags
    assert DELIST_FAIL not in out["QD01"].flags


def test_renamed_center_matched_by_code(tmp_path: Path) -> None:
    centers = [center("QD01", 10, name="崂山区科技金融服务分中心"), center("QD02", 28)]
    past = write_table(tmp_path / "h.xlsx", [(2017, "QD01", "崂山区科技金融分中心（旧名）", "不合格", 2)])
    history = load_history([past], keys(centers), year=2018)
    assert codes(history) == []
    assert [r.year for r in history.records["QD01"]] == [2017]
    assert DELIST_FAIL in run(centers, history, 2018)["QD01"].flags


def test_name_with_full_width_brackets_and_spaces_matched(tmp_path: Path) -> None:
    centers = [center("QD01", 10, name="崂山区(科技金融)服务分中心"), center("QD02", 28, name="市南区分中心")]
    past = write_table(
        tmp_path / "h.xlsx",
        [(2017, "崂山区（科技金融） 服务分中心", "不合格", 2), (2017, "市南区　分中心", "合格", 1)],
        headers=("年度", "名称", "等次", "排名"),
    )
    history = load_history([past], keys(centers), year=2018)
    assert codes(history) == []
    assert history.records["QD01"][0].grade == "不合格"
    assert history.records["QD01"][0].last  # rank 2 of 2 ranked
    assert history.records["QD02"][0].rank == 1


def test_ambiguous_name_is_a_finding_but_code_still_matches(tmp_path: Path) -> None:
    centers = [center("QD01", 10, name="市南区分中心"), center("QD02", 28, name="市南区分中心")]
    past = write_table(
        tmp_path / "h.xlsx",
        [(2017, "", "市南区分中心", "不合格", 2), (2017, "QD02", "市南区分中心", "合格", 1)],
    )
    history = load_history([past], keys(centers), year=2018)
    assert codes(history) == ["history-ambiguous"]
    f = history.findings[0]
    assert (f.sheet, f.cell, f.center) == ("历年结果", "C2", "市南区分中心")
    assert "2017年" in f.message and "编号" in f.message
    assert "QD01" not in history.records
    assert history.records["QD02"][0].grade == "合格"


def test_unmatched_row_is_a_finding(tmp_path: Path) -> None:
    centers = [center("QD01", 10), center("QD02", 28)]
    past = write_table(
        tmp_path / "h.xlsx",
        [(2017, "QD09", "已撤销分中心", "不合格", 3), (2017, "QD01", "QD01分中心", "合格", 1)],
    )
    history = load_history([past], keys(centers), year=2018)
    assert codes(history) == ["history-unmatched"]
    unmatched = next(f for f in history.findings if f.code == "history-unmatched")
    assert unmatched.cell == "C2" and "已撤销分中心" in unmatched.message
    # the unmatched row still counts for who was last that year: QD01 (rank 1) is not last
    assert history.records["QD01"][0].last is False
    assert [r.last for r in history.rows] == [True, False]


def test_ties_for_last_are_all_last_and_delisted_the_next_year(tmp_path: Path) -> None:
    first = [center("QD01", 25), center("QD02", 25), center("QD03", 29)]
    y2017 = run(first, load_history([], keys(first), year=2017), 2017)
    assert [y2017[k].rank for k in ("QD03", "QD01", "QD02")] == [1, 2, 2]
    for k in ("QD01", "QD02"):
        assert y2017[k].grade == "合格"
        assert y2017[k].flags == ("排名最后", "摘牌预警")
    assert y2017["QD03"].flags == ()

    book = book_from(tmp_path / "2017.xlsx", 2017, y2017)
    second = [center("QD01", 24), center("QD02", 24), center("QD03", 26)]
    history = load_history([book], keys(second), year=2018)
    assert codes(history) == []
    assert [history.records[k][0].last for k in ("QD01", "QD02", "QD03")] == [True, True, False]
    y2018 = run(second, history, 2018)
    for k in ("QD01", "QD02"):
        assert y2018[k].flags == ("排名最后", DELIST_LAST)
    assert y2018["QD03"].flags == ()


def test_a_veto_year_counts_as_failing(tmp_path: Path) -> None:
    book = write_book(
        tmp_path / "2017.xlsx",
        2017,
        [
            (1, "QD02", "QD02分中心", "合格"),
            (2, "QD03", "QD03分中心", "合格"),
            (None, "QD01", "QD01分中心", "不合格"),
        ],
    )
    centers = [center("QD01", 5), center("QD02", 28), center("QD03", 29)]
    history = load_history([book], keys(centers), year=2018)
    assert history.records["QD01"] == [HistoryRecord(2017, "不合格", None, score=Decimal(50), failing=True)]
    assert DELIST_FAIL in run(centers, history, 2018)["QD01"].flags

    # and the other way round: failing last year, vetoed this year (no rank, never 排名最后)
    past = write_table(tmp_path / "h.xlsx", [(2017, "QD04", "QD04分中心", "不合格", 3)])
    centers = [center("QD04", 28, veto=True), center("QD02", 28), center("QD03", 29)]
    out = run(centers, load_history([past], keys(centers), year=2018), 2018)
    assert out["QD04"].rank is None and out["QD04"].grade == "不合格"
    assert DELIST_FAIL in out["QD04"].flags
    assert "排名最后" not in out["QD04"].flags


def test_fewer_than_two_ranked_means_nobody_last(tmp_path: Path) -> None:
    book = write_book(
        tmp_path / "2017.xlsx",
        2017,
        [(1, "QD01", "QD01分中心", "合格"), (None, "QD02", "QD02分中心", "不合格")],
    )
    centers = [center("QD01", 24), center("QD02", 28, veto=True)]
    history = load_history([book], keys(centers), year=2018)
    assert history.records["QD01"][0].last is False
    out = run(centers, history, 2018)
    assert out["QD01"].rank == 1 and out["QD01"].flags == ()
    assert DELIST_FAIL in out["QD02"].flags


# ---------------------------------------------------------------------------------------------- reading


def test_year_from_the_title_when_there_is_no_explanation_sheet(tmp_path: Path) -> None:
    book = write_book(
        tmp_path / "old.xlsx",
        2016,
        [(1, "QD01", "QD01分中心", "合格"), (2, "QD02", "QD02分中心", "不合格")],
        explain=False,
        title="青岛市科技金融服务分中心2016年度考核结果",
    )
    history = load_history([book], keys([center("QD01", 1), center("QD02", 1)]), year=2018)
    assert history.years == [2016]
    assert history.records["QD02"] == [
        HistoryRecord(2016, "不合格", 2, last=True, score=Decimal(50), failing=True)
    ]


def test_a_provisional_ranking_as_history_makes_what_it_completes_wait(tmp_path: Path) -> None:
    """Last year's ranking made without the assessor table (its title says 初步结果): its 不合格 and last
    place may not have been that year's, so the 摘牌 they complete is 摘牌待定, with a warning."""
    book = write_book(
        tmp_path / "old.xlsx",
        2016,
        [(1, "QD01", "QD01分中心", "合格"), (2, "QD02", "QD02分中心", "不合格")],
        explain=False,
        title="青岛市科技金融服务分中心2016年度考核结果（初步结果，未经考核评价）",
    )
    centers = [center("QD01", 29), center("QD02", 1)]
    history = load_history([book], keys(centers), year=2017)
    assert all(r.pending for rs in history.records.values() for r in rs)
    warning = next(f for f in history.findings if f.code == "history-provisional")
    assert warning.severity.value == "警告" and "“初步结果，未经考核评价”" in warning.message
    ranked = rank_centers(QD, score_all(QD, centers), history=history.records, year=2017)
    flags = next(r.flags for r in ranked if r.center.key == "QD02")
    assert any(f.startswith("摘牌待定") for f in flags) and not any(f.startswith("摘牌（") for f in flags)


def test_a_history_without_the_year_before_or_without_a_center_says_so(tmp_path: Path) -> None:
    """A 2015 file given for a 2017 run: nothing consecutive can be told (a warning, not silence); a 2016 file
    without QD02: QD02 is judged as new, said with a 提示 naming it."""
    old = write_book(tmp_path / "2015.xlsx", 2015, [(1, "QD01", "QD01分中心", "不合格")])
    centers = [center("QD01", 1), center("QD02", 1)]
    history = load_history([old], keys(centers), year=2017)
    gap = [f for f in history.findings if f.code in GAPS]
    assert [(f.code, f.severity.value) for f in gap] == [("history-year-missing", "警告")]
    assert "没有2016年度的结果（读到的年度：2015）" in gap[0].message
    last = write_book(tmp_path / "2016.xlsx", 2016, [(1, "QD01", "QD01分中心", "不合格")])
    history = load_history([last], keys(centers), year=2017)
    gap = [f for f in history.findings if f.code in GAPS]
    assert [(f.code, f.center) for f in gap] == [("history-center-missing", "QD02分中心")]
    assert load_history([], keys(centers), year=2017).findings == []
    # worded with the scheme's label, and no number of years (a scheme may delist after three)
    history = load_history([last], keys(centers), year=2017, center_label="服务站")
    said = next(f.message for f in history.findings if f.code == "history-center-missing")
    assert "如该服务站那一年参加了考核" in said and "两年" not in said and "分中心那一年" not in said


def test_the_year_is_read_under_the_scheme_s_label(tmp_path: Path) -> None:
    """说明 names the year by the scheme's label (Guangdong: 评估年度); its parameter 方案默认… is not the run's."""
    book = write_book(
        tmp_path / "b.xlsx", 2019, [(1, "QD01", "QD01分中心", "合格")], title="结果", year_label="评估年度"
    )
    assert load_history([book], keys([center("QD01", 1)]), year=2020).years == [2019]


def test_explanation_sheet_wins_over_the_title(tmp_path: Path) -> None:
    book = write_book(
        tmp_path / "b.xlsx", 2017, [(1, "QD01", "QD01分中心", "合格")], title="2015年度考核结果（复制）"
    )
    history = load_history([book], keys([center("QD01", 1)]), year=2018)
    assert history.years == [2017]


def test_ranking_book_without_any_year_is_unreadable(tmp_path: Path) -> None:
    book = write_book(
        tmp_path / "b.xlsx", 2017, [(1, "QD01", "QD01分中心", "合格")], explain=False, title="考核结果"
    )
    history = load_history([book], keys([center("QD01", 1)]), year=2018)
    assert codes(history) == ["history-unreadable"]
    assert "考核年度" in history.findings[0].message
    assert history.records == {}


def test_current_and_later_years_are_ignored_with_a_finding(tmp_path: Path) -> None:
    past = write_table(
        tmp_path / "h.xlsx",
        [
            (2018, "QD01", "QD01分中心", "不合格", 1),
            (2019, "QD01", "QD01分中心", "不合格", 1),
            (2018, "QD02", "QD02分中心", "合格", 2),
            (2017, "QD02", "QD02分中心", "合格", 1),
        ],
    )
    history = load_history([past], keys([center("QD01", 1), center("QD02", 1)]), year=2018)
    assert codes(history) == ["history-year-ignored", "history-year-ignored"]
    assert "2018年" in history.findings[0].message and "2019年" in history.findings[1].message
    assert list(history.records) == ["QD02"]
    assert history.years == [2017]


def test_table_on_a_later_sheet_with_text_years_ranks_and_a_bad_year(tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("封面").write_string(0, 0, "历年考核结果汇总")
    ws = wb.add_worksheet("汇总")
    ws.write_string(0, 0, "青岛市科技金融服务分中心历年考核结果")
    ws.write_row(2, 0, ("年度", "名称", "考核等次", "名次", "总分"))
    ws.write_row(3, 0, ("２０１６年度", "QD01分中心", " 不合格 ", "第2名", "55.5"))
    ws.write_row(4, 0, ("2016年", "QD02分中心", "合格", "1", "70"))
    ws.write_row(5, 0, ("去年", "QD02分中心", "合格", "1", "70"))
    ws.write_row(6, 0, ("", "注：名次按总分排列", "", "", ""))
    wb.close()
    history = load_history([path], keys([center("QD01", 1), center("QD02", 1)]), year=2018)
    assert codes(history) == ["history-bad-year"]
    assert (history.findings[0].sheet, history.findings[0].cell) == ("汇总", "A6")
    assert history.records["QD01"] == [
        HistoryRecord(2016, "不合格", 2, last=True, score=Decimal("55.5"), failing=True)
    ]


def test_csv_table(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(
        "名称,年度,编号,等次,排名\nQD01分中心,2017,,不合格,2\n,2017,QD02,合格,1\n".encode("gb18030")
    )
    history = load_history([path], keys([center("QD01", 1), center("QD02", 1)]), year=2018)
    assert codes(history) == []
    assert history.records["QD01"][0].last and history.records["QD02"][0].rank == 1


def test_conflicting_records_count_as_none_whatever_the_order(tmp_path: Path) -> None:
    # the first one read won, so --history a --history b delisted and b a did not (a helper's report)
    a = write_table(tmp_path / "a.xlsx", [(2017, "QD01", "QD01分中心", "不合格", 2)])
    b = write_table(tmp_path / "b.xlsx", [(2017, "QD01", "QD01分中心", "合格", 1)])
    same = write_table(tmp_path / "c.xlsx", [(2017, "QD01", "QD01分中心", "不合格", 2)])
    for order in ([a, b, same], [b, same, a]):
        history = load_history(order, keys([center("QD01", 1), center("QD02", 2)]), year=2018)
        assert set(codes(history)) == {"history-conflict"}  # each record that differs from the first read
        said = next(f.message for f in history.findings if f.code == "history-conflict")
        assert "无法判断哪一条正确" in said and "不据此判断摘牌" in said
        assert "QD01" not in history.records and history.years == [2017]


def _zip_bomb(path: Path) -> Path:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("xl/worksheets/sheet1.xml", "w") as fh,
    ):
        chunk = b"\0" * (1 << 20)
        for _ in range(20):
            fh.write(chunk)
    return path


def test_broken_files_are_findings_and_the_others_still_load(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04 this is not really a zip")
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    html = tmp_path / "fake.xls"
    html.write_bytes(b"<html><body>not a workbook</body></html>")
    not_book = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(not_book, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    no_headers = write_table(tmp_path / "plain.xlsx", [(1, 2, 3)], headers=("甲", "乙", "丙"))
    bomb = _zip_bomb(tmp_path / "bomb.xlsx")
    good = write_table(tmp_path / "good.xlsx", [(2017, "QD01", "QD01分中心", "不合格", 1)])
    bad = [garbage, empty, html, not_book, no_headers, bomb, tmp_path / "missing.xlsx"]
    history = load_history([*bad, good], keys([center("QD01", 1)]), year=2018)
    assert codes(history) == ["history-unreadable"] * len(bad)
    assert [f.file for f in history.findings] == [str(p) for p in bad]
    assert "安全" in history.findings[bad.index(bomb)].message
    assert history.records["QD01"][0].failing


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0"]))
def test_random_bytes_never_crash(tmp_path: Path, data: bytes, prefix: bytes) -> None:
    path = tmp_path / "random.xlsx"
    path.write_bytes(prefix + data)
    history = load_history([path], keys([center("QD01", 1)]), year=2018)
    assert codes(history) == ["history-unreadable"]


# ---------------------------------------------------------------------------------------------- 历年结果


def read_sheet(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_history_sheet_absolute_scheme(tmp_path: Path) -> None:
    past = write_table(
        tmp_path / "h.xlsx",
        [
            (2016, "QD01", "QD01分中心", "合格", 1),
            (2017, "QD01", "QD01分中心", "不合格", 3),
            (2017, "QD02", "QD02分中心", "合格", 1),
        ],
    )
    centers = [center("QD01", 20), center("QD02", 10), center("QD03", 28, name="=HYPERLINK(1)")]
    history = load_history([past], keys(centers), year=2018)
    ranked = list(run(centers, history, 2018).values())
    result = RunResult(QD, 2018, ranked, [], [], [], [], history_years=history.years)
    out = tmp_path / "out.xlsx"
    wb = xlsxwriter.Workbook(str(out))
    write_history_sheet(wb, result)
    wb.close()
    rows = read_sheet(out, "历年结果")
    assert rows[0] == [
        "编号",
        "名称",
        "2016年等次",
        "2016年排名",
        "2017年等次",
        "2017年排名",
        "2018年等次",
        "2018年排名",
        "排名变化",
    ]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["QD01"] == ["QD01", "QD01分中心", "合格", 1.0, "不合格", 3.0, "不合格", 2.0, 1.0]
    assert by_code["QD02"][4:] == ["合格", 1.0, "不合格", 3.0, -2.0]
    assert by_code["QD03"] == ["QD03", "=HYPERLINK(1)", "", "", "", "", "合格", 1.0, ""]
    assert [r[0] for r in rows[1:]] == ["QD03", "QD01", "QD02"]  # the ranking's order


def test_history_sheet_relative_scheme_shows_scores_and_their_change(tmp_path: Path) -> None:
    gd = load_scheme("guangdong")

    def ranked(code: str, rank: int | None, grade: str, total: str, history: tuple) -> RankedCenter:
        c = CenterInput(key=code, code=code, name=f"{code}中心")
        s = CenterScore(c, (), Fraction(total), None, Fraction(total))
        return RankedCenter(s, Decimal(total), rank, grade, Decimal(0), (), history)

    rows = [
        ranked("GD01", 1, "优秀", "80.5", (HistoryRecord(2018, "良好", 3, score=Decimal("70.25")),)),
        ranked("GD02", None, "不合格", "60", (HistoryRecord(2018, "优秀", 1, score=Decimal("90")),)),
    ]
    result = RunResult(gd, 2019, rows, [], [], [], [], history_years=[2018])
    out = tmp_path / "out.xlsx"
    wb = xlsxwriter.Workbook(str(out))
    write_history_sheet(wb, result)
    wb.close()
    data = read_sheet(out, "历年结果")
    assert data[0] == [
        "编号",
        "名称",
        "2018年等次",
        "2018年排名",
        "2018年得分",
        "2019年等次",
        "2019年排名",
        "2019年得分",
        "排名变化",
        "得分变化",
    ]
    assert data[1] == ["GD01", "GD01中心", "良好", 3.0, 70.25, "优秀", 1.0, 80.5, 2.0, pytest.approx(10.25)]
    assert data[2] == ["GD02", "GD02中心", "优秀", 1.0, 90.0, "不合格", "", 60.0, "", pytest.approx(-30.0)]


# ---------------------------------------------------------------------------------------------- end to end


def ranking_run(tmp_path: Path, centers: list[CenterInput], year: int, past: list[Path]) -> tuple:
    """One real year: score_all + rank_centers + report.write_ranking; returns (result, workbook path)."""
    from kjjr_excel.write.ranking import write_ranking

    history = load_history(past, keys(centers), year=year)
    assert codes(history) == []
    ranked = rank_centers(QD, score_all(QD, centers), history=history.records, year=year)
    result = RunResult(QD, year, ranked, [], [], [], [], assessed=True, history_years=history.years)
    return result, write_ranking(result, tmp_path / f"{year}年度考核结果.xlsx")


def test_our_own_ranking_workbooks_feed_the_next_years(tmp_path: Path) -> None:
    r2017, book2017 = ranking_run(
        tmp_path,
        [center("QD01", 10), center("QD02", 28), center("QD03", 29), center("QD04", 29, veto=True)],
        2017,
        [],
    )
    flags = {r.center.key: r.flags for r in r2017.ranked}
    assert flags["QD01"] == ("排名最后", "摘牌预警")
    assert "摘牌预警" in flags["QD04"]

    # 2018: QD01 passes but is last again; QD02 was renamed and is matched by its code
    r2018, book2018 = ranking_run(
        tmp_path,
        [
            center("QD01", 24),
            center("QD02", 28, name="QD02新名称分中心"),
            center("QD03", 29),
            center("QD04", 28),
        ],
        2018,
        [book2017],
    )
    by_key = {r.center.key: r for r in r2018.ranked}
    assert r2018.history_years == [2017]
    assert by_key["QD01"].flags == ("排名最后", DELIST_LAST)
    assert by_key["QD01"].history == (
        HistoryRecord(2017, "不合格", 3, last=True, score=Decimal(46), failing=True),
    )
    assert by_key["QD02"].history[0].rank == 2
    assert by_key["QD04"].history[0].failing and by_key["QD04"].history[0].rank is None
    assert by_key["QD04"].flags == ()

    # 2019: QD04 (vetoed in 2017, 合格 in 2018) fails and is last: only a warning; QD03 vetoed after a 合格
    r2019, _ = ranking_run(
        tmp_path,
        [center("QD01", 26), center("QD02", 28), center("QD03", 29, veto=True), center("QD04", 5)],
        2019,
        [book2017, book2018],
    )
    by_key = {r.center.key: r for r in r2019.ranked}
    assert r2019.history_years == [2017, 2018]
    assert by_key["QD04"].flags == ("排名最后", "摘牌预警")
    assert by_key["QD03"].flags[-1] == "摘牌预警"
    assert by_key["QD01"].flags == ()

    out = tmp_path / "history_sheet.xlsx"
    wb = xlsxwriter.Workbook(str(out))
    write_history_sheet(wb, r2019)
    wb.close()
    rows = {r[0]: r for r in read_sheet(out, "历年结果")[1:]}
    assert rows["QD01"] == ["QD01", "QD01分中心", "不合格", 3.0, "合格", 4.0, "合格", 2.0, 2.0]
    assert rows["QD04"][2:] == ["不合格", "", "合格", 2.0, "不合格", 3.0, -1.0]


def test_a_year_where_every_ranked_center_tied_has_nobody_last(tmp_path: Path) -> None:
    book = write_book(
        tmp_path / "2017.xlsx",
        2017,
        [(1, "QD01", "QD01分中心", "合格"), (1, "QD02", "QD02分中心", "合格")],
    )
    centers = [center("QD01", 24), center("QD02", 28)]
    history = load_history([book], keys(centers), year=2018)
    assert history.records["QD01"][0].last is False and history.records["QD02"][0].last is False
    out = run(centers, history, 2018)
    assert "排名最后" in out["QD01"].flags and not any(f.startswith("摘牌（") for f in out["QD01"].flags)


def test_an_earlier_ranking_s_flags_say_which_results_were_unsettled(tmp_path: Path) -> None:
    """The demo: 胶州's 2017 不合格 rested on a figure in error (标记 数据有误 on that year's 排名). Ranked again as
    2018's history, its record is pending, so 2018's second 不合格 gives 摘牌待定, not 摘牌."""
    from kjjr_excel.app import run_rank
    from kjjr_excel.write.ranking import write_ranking

    samples = Path(__file__).resolve().parents[1] / "sample_inputs" / "qingdao"
    roster = samples / "名录.csv"
    first = run_rank(QD, [samples / "inbox"], roster_path=roster, assessments=[samples / "考核评价表.xlsx"])
    jiaozhou = next(r for r in first.ranked if "胶州" in r.center.name)
    assert jiaozhou.grade == "不合格" and any(f.startswith("数据有误") for f in jiaozhou.flags)
    book = write_ranking(first, tmp_path / "2017.xlsx")
    second = run_rank(QD, [samples / "inbox_2018"], roster_path=roster, history=[book], year=2018)
    later = next(r for r in second.ranked if "胶州" in r.center.name)
    assert later.grade == "不合格"
    assert [f for f in later.flags if f.startswith("摘牌")] == [
        "摘牌待定（连续两年不合格，待数据更正后确定）"
    ]


def test_a_history_missing_places_cannot_say_who_was_last(tmp_path: Path) -> None:
    """A typed 2016 table without the centers delisted that year: ranks 1, 2, 4 (第3名 missing, no tie explains
    it). QD04, ranked 4th there, may not have been last: its 摘牌 waits (摘牌待定), with a warning; a tie
    (1, 2, 2, 4) misses nothing."""
    rows = [
        (1, "QD01", "QD01分中心", "合格"),
        (2, "QD02", "QD02分中心", "合格"),
        (4, "QD04", "QD04分中心", "合格"),
    ]
    book = write_book(tmp_path / "old.xlsx", 2016, rows)
    centers = [center("QD01", 29), center("QD02", 20), center("QD04", 1)]
    history = load_history([book], keys(centers), year=2017)
    gap = next(f for f in history.findings if f.code == "history-rank-gap")
    assert gap.severity.value == "警告" and "2016年度的排名不连续（没有第3名）" in gap.message
    assert history.records["QD04"][0].last_unknown and not history.records["QD01"][0].last_unknown
    flags = run(centers, history, 2017)["QD04"].flags
    assert any(f.startswith("摘牌待定") for f in flags) and not any(f.startswith("摘牌（") for f in flags)
    tied = write_book(tmp_path / "tied.xlsx", 2016, [*rows[:2], (2, "QD03", "QD03分中心", "合格"), rows[2]])
    assert not [
        f for f in load_history([tied], keys(centers), year=2017).findings if f.code == "history-rank-gap"
    ]


def test_the_same_result_given_twice_once_provisional_counts_as_final_in_any_order(tmp_path: Path) -> None:
    """2016's final ranking and a provisional copy of it (初步结果) with the same grades and places: the final one
    decides, whichever file is given first; a 摘牌待定 flag of that year is its delisting waiting, not its
    grade (两年不合格: 摘牌)."""
    rows = [(1, "QD01", "QD01分中心", "合格"), (2, "QD02", "QD02分中心", "不合格")]
    final = write_book(tmp_path / "final.xlsx", 2016, rows)
    draft = write_book(
        tmp_path / "draft.xlsx", 2016, rows, title="2016年度考核结果（初步结果，未经考核评价）"
    )
    centers = [center("QD01", 29), center("QD02", 1)]
    for order in ([final, draft], [draft, final]):
        history = load_history(order, keys(centers), year=2017)
        assert not history.records["QD02"][0].pending, order


def test_a_delisting_that_waited_does_not_make_that_year_s_grade_wait(tmp_path: Path) -> None:
    """2016's 标记 摘牌待定 (its delisting waited on 2015) leaves 2016's own 不合格 settled: two years 不合格 is
    摘牌 in 2017; 数据有误 or 等次待定 beside a grade makes it wait."""
    headers = ("年度", "编号", "名称", "等次", "排名", "标记")
    centers = [center("QD01", 29), center("QD02", 1)]
    for flag, pending in (("摘牌待定：…", False), ("数据有误：F12", True), ("等次待定：…", True)):
        rows = [(2016, "QD01", "QD01分中心", "合格", 1, ""), (2016, "QD02", "QD02分中心", "不合格", 2, flag)]
        history = load_history([write_table(tmp_path / "h.xlsx", rows, headers)], keys(centers), year=2017)
        assert history.records["QD02"][0].pending is pending, flag


def test_a_year_whose_rows_name_no_center_of_this_run_is_there_not_missing(tmp_path: Path) -> None:
    """Every 2016 row names a center not in this run (other names, no codes): each is history-unmatched and
    every center lacks its record, but 2016 is not said to be missing from the file (读到的年度：无)."""
    past = write_table(
        tmp_path / "h.xlsx", [(2016, "", "甲中心", "合格", 1), (2016, "", "乙中心", "不合格", 2)]
    )
    history = load_history([past], keys([center("QD01", 10), center("QD02", 20)]), year=2017)
    assert history.years == [2016]
    found = {f.code for f in history.findings}
    assert "history-year-missing" not in found and {"history-unmatched", "history-center-missing"} <= found


def test_an_earlier_ranking_edited_by_hand_is_not_trusted_for_delisting(tmp_path: Path) -> None:
    """2017's ranking with 莱西's 等次 typed over (不合格 -> 合格, its 总分 left): the row's digest in _meta no
    longer matches, so that row decides nothing: 2018's 摘牌 waits (摘牌待定, with a warning naming the row)
    instead of following the edit; the file as written is trusted (摘牌, no warning)."""
    import openpyxl

    from kjjr_excel.app import run_rank
    from kjjr_excel.write.ranking import write_ranking

    samples = Path(__file__).resolve().parents[1] / "sample_inputs" / "qingdao"
    roster = samples / "名录.csv"
    first = run_rank(QD, [samples / "inbox"], roster_path=roster, assessments=[samples / "考核评价表.xlsx"])
    book = write_ranking(first, tmp_path / "2017.xlsx")

    def delisting(history: Path) -> tuple[list[str], list]:
        later = run_rank(QD, [samples / "inbox_2018"], roster_path=roster, history=[history], year=2018)
        flags = next(r.flags for r in later.ranked if r.center.code == "QD10")
        return [f for f in flags if f.startswith("摘牌")], [
            f for f in later.findings if f.code == "history-edited"
        ]

    assert delisting(book) == (["摘牌（连续两年不合格）"], [])
    edited = openpyxl.load_workbook(book)
    sheet = edited["排名"]
    header = [c.value for c in sheet[2]]
    row = next(r for r in sheet.iter_rows(min_row=3) if r[header.index("编号")].value == "QD10")
    row[header.index("等次")].value = "合格"
    edited.save(tmp_path / "edited.xlsx")
    flags, said = delisting(tmp_path / "edited.xlsx")
    assert flags and all(f.startswith("摘牌待定") for f in flags)
    assert len(said) == 1 and f"第{row[0].row}行" in said[0].message and said[0].severity.value == "警告"

"""Assessor workbooks (Qingdao) and reviewer sheets (Guangdong): rows -> values, totals, vetoes, findings."""

import re
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest

from kjjr_excel.domain.assess import read_assessments, read_reviews
from kjjr_excel.domain.findings import CODES
from kjjr_excel.domain.scheme import RosterEntry, load_scheme
from kjjr_excel.read.tables import read_tables
from kjjr_excel.write.ranking import write_ranking
from kjjr_excel.write.template import write_assessment

QD = load_scheme("qingdao")
GD = load_scheme("guangdong")
KNOWN = {"code:qd01": "code:qd01", "code:qd02": "code:qd02"}


def resolve(code, name):
    return KNOWN.get(f"code:{code.lower()}") if code else None


def table(path: Path, scheme=QD):
    """The tables of one file, read as a run reads them (same reader and guards as submissions)."""
    read = read_tables(scheme, [(path, path.name)], strict_kind=True)
    assert not read.findings and not read.unusable
    return read.tables


def test_qingdao_assessment_values_verified_counts_and_unknown_rows(tmp_path):
    roster = [
        RosterEntry("QD01", "甲分中心"),
        RosterEntry("QD02", "乙分中心"),
        RosterEntry("QD09", "丙分中心"),
    ]
    path = tmp_path / "考核评价表.xlsx"
    write_assessment(
        path,
        QD,
        roster=roster,
        rows={
            "QD01": {
                "major_errors": 2,
                "major_accident": "否",
                "major_contribution": 7.5,
                "enterprise_info": 28,
            },
            "QD02": {"major_accident": "是"},
            "QD09": {"major_errors": 1},
        },
    )
    read = read_assessments(QD, table(path), resolve)
    by_key, findings = read.by_center, read.findings
    a = by_key["code:qd01"]
    assert a.values == {"major_errors": 2, "major_accident": False, "major_contribution": Fraction(15, 2)}
    assert a.verified == {"enterprise_info": 28}
    assert by_key["code:qd02"].values == {"major_accident": True}
    assert [f.code for f in findings] == ["assessment-unknown-center"]
    assert findings[0].cell and "丙分中心" in findings[0].message


def test_qingdao_assessment_bad_values_are_findings(tmp_path):
    path = tmp_path / "a.xlsx"
    write_assessment(path, QD, roster=[RosterEntry("QD01", "甲")], rows={"QD01": {"major_errors": "两次"}})
    read = read_assessments(QD, table(path), resolve)
    by_key, findings = read.by_center, read.findings
    assert "major_errors" not in by_key["code:qd01"].values
    assert [f.code for f in findings] == ["value-not-number"]


def test_assessor_numbers_typed_as_text_are_read_with_a_note(tmp_path):
    """'1' typed as text, '无' and '３' are read (with the note the same cells give on a submission); this used to
    stop the whole run (Finding.make got 'value' twice)."""
    path = tmp_path / "a.xlsx"
    roster = [RosterEntry("QD01", "甲"), RosterEntry("QD02", "乙")]
    rows = {"QD01": {"major_errors": "1", "enterprise_info": "３"}, "QD02": {"major_errors": "无"}}
    write_assessment(path, QD, roster=roster, rows=rows)
    read = read_assessments(QD, table(path), resolve)
    by_key, findings = read.by_center, read.findings
    assert by_key["code:qd01"].values["major_errors"] == 1 and by_key["code:qd02"].values["major_errors"] == 0
    assert by_key["code:qd01"].verified["enterprise_info"] == 3
    assert {f.code for f in findings} == {"value-text-number", "value-normalised", "value-zero-word"}
    for f in findings:
        assert f.sheet and f.cell and f.value in ("1", "无", "３") and f.file == path.name
        assert "major_errors" not in f.message and "{" not in f.message and "缺少" not in f.message


def test_the_same_assessment_file_given_twice_is_read_once(tmp_path):
    path = tmp_path / "a.xlsx"
    write_assessment(path, QD, roster=[RosterEntry("QD01", "甲")], rows={"QD01": {"major_errors": 1}})
    (tmp_path / "inbox").mkdir()
    copy = tmp_path / "inbox" / "a.xlsx"
    copy.write_bytes(path.read_bytes())
    tables = table(path) + table(copy)
    read = read_assessments(QD, tables, resolve)
    by_key, findings, uses = read.by_center, read.findings, read.uses
    assert findings == [] and by_key["code:qd01"].values["major_errors"] == 1
    assert [(u.used, u.note) for u in uses] == [(True, ""), (False, "与a.xlsx内容相同，只计一次")]


def test_a_note_in_the_assessor_s_remarks_is_said_not_scored(tmp_path):
    """备注 '发生重大责任事故一起' with 重大责任事故 blank: 备注 scores nothing (the blank is 否), so a 提示 names
    the cell and the columns such a note may belong in."""
    path = tmp_path / "a.xlsx"
    write_assessment(
        path, QD, roster=[RosterEntry("QD01", "甲")], rows={"QD01": {"note": "发生重大责任事故一起"}}
    )
    read = read_assessments(QD, table(path), resolve)
    note = next(f for f in read.findings if f.code == "assessment-note")
    assert (
        note.severity.value == "提示" and note.cell and "“发生重大责任事故一起”：备注不计分" in note.message
    )
    assert (
        "较大失误次数、重大责任事故" in note.message
        and "major_accident" not in read.by_center["code:qd01"].values
    )


def test_one_table_giving_a_center_twice_otherwise_uses_neither_row(tmp_path):
    """市南 twice in one 考核评价表, once with a 较大失误 and once without: neither row is the correction (the
    last one used to be), so the center is not assessed (an error naming both cells); rows that agree are one."""
    import openpyxl

    path = tmp_path / "a.xlsx"
    two = [RosterEntry("QD01", "甲"), RosterEntry("QD02", "乙")]
    write_assessment(path, QD, roster=two, rows={"QD01": {"major_errors": 1}, "QD02": {"major_errors": 0}})
    book = openpyxl.load_workbook(path)
    ws = book["考核评价"]
    row = next(r for r in ws.iter_rows() if r[0].value == "QD02")
    row[0].value, row[1].value = "QD01", "甲"  # the second row retyped as the first center's
    book.save(path)
    read = read_assessments(QD, table(path), resolve)
    conflict = [f for f in read.findings if f.code == "assessment-conflict"]
    assert conflict and "code:qd01" not in read.by_center
    assert re.search(r"a\.xlsx（B\d+、B\d+） 中的考核评价不同", conflict[0].message)


def test_duplicate_assessment_rows_agreeing_are_one_and_two_tables_disagreeing_are_neither(tmp_path):
    """The same center in two tables: with the same values it is assessed once (a warning); with different
    ones no order of the files tells which is final (the file name decided it), so neither is used."""
    first, same, other = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    write_assessment(first, QD, roster=[RosterEntry("QD01", "甲")], rows={"QD01": {"major_errors": 1}})
    both = [RosterEntry("QD01", "甲"), RosterEntry("QD02", "乙")]  # another file, the same row for 甲
    write_assessment(same, QD, roster=both, rows={"QD01": {"major_errors": 1}})
    write_assessment(other, QD, roster=[RosterEntry("QD01", "甲")], rows={"QD01": {"major_errors": 2}})
    read = read_assessments(QD, table(first) + table(same), resolve)
    assert [f.code for f in read.findings] == ["assessment-duplicate"]
    assert read.by_center["code:qd01"].values["major_errors"] == 1
    dup = read.findings[0]
    assert "“甲”出现了2次" in dup.message and "code:" not in dup.message  # the name, not an internal key
    assert dup.file == same.name and dup.sheet and dup.cell
    for order in ((first, other), (other, first)):
        read = read_assessments(QD, table(order[0]) + table(order[1]), resolve)
        assert [f.code for f in read.findings] == ["assessment-conflict"]
        assert "code:qd01" not in read.by_center
        assert "a.xlsx、c.xlsx" in read.findings[0].message or "c.xlsx、a.xlsx" in read.findings[0].message


def test_a_table_row_whose_code_and_name_are_two_centers_is_given_to_neither(tmp_path):
    """乙区's row typed with 甲区's code (A01): it was applied to 甲区, whose grade changed unsaid. Neither gets
    it; the error names both; the run is provisional, each center without a row said so."""
    from click.testing import CliRunner
    from kjjr_fixtures import good_values, real_submission

    from kjjr_excel.cli import cli

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "甲.xlsx", QD, center=("A01", "甲区分中心"), values=good_values(QD))
    real_submission(inbox / "乙.xlsx", QD, center=("A02", "乙区分中心"), values=good_values(QD))
    real_submission(inbox / "丙.xlsx", QD, center=("A03", "丙区分中心"), values=good_values(QD))
    roster = [
        RosterEntry("A01", "甲区分中心"),
        RosterEntry("A01", "乙区分中心"),
        RosterEntry("A03", "丙区分中心"),
    ]
    rows = {"A01": {"major_errors": 0}, "A03": {"major_errors": 0}}
    write_assessment(tmp_path / "考核.xlsx", QD, roster=roster, rows=rows)
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(
        cli, ["rank", "qingdao", str(inbox), "--assessment", str(tmp_path / "考核.xlsx"), "-o", str(out)]
    )
    assert "考核评价不完整" in result.output
    import openpyxl

    wb = openpyxl.load_workbook(out)
    found = {r[1]: r[8] for r in wb["校验问题"].iter_rows(min_row=2, values_only=True) if r[0] == "错误"}
    assert "“甲区分中心”的编号，名称却是“乙区分中心”" in found["table-code-name-conflict"]
    assert "考核评价表中没有“乙区分中心”的一行" in found["assessment-missing"]
    assert "初步结果，考核评价不完整" in wb["排名"]["A1"].value


def review_file(tmp_path, name, rows, reviewer=None):
    path = tmp_path / name
    write_assessment(path, GD, roster=GD.roster[:3], rows=rows, reviewer=reviewer or path.stem)
    return table(path, GD)


def full(total):
    return {p.id: float(p.max) * total / 100 for p in GD.parts}


def gd_resolve(code, name):
    return {"GD01": "k1", "GD02": "k2"}.get(code)


def test_review_totals_partial_rows_over_max_veto_and_unknown(tmp_path):
    rows = {
        "GD01": {**full(80), "veto": "是", "veto_reason": "考核材料弄虚作假"},
        "GD02": {GD.parts[0].id: 20},  # partly filled
        "GD03": full(50),  # not a center of this run
    }
    tables = review_file(tmp_path, "评审人1.xlsx", rows)
    tables += review_file(
        tmp_path, "评审人2.xlsx", {"GD01": full(60), "GD02": {**full(100), GD.parts[0].id: 31}}
    )
    tables += review_file(tmp_path, "评审人3.xlsx", {"GD02": {**full(100), GD.parts[0].id: "优"}})
    read = read_reviews(GD, tables, gd_resolve)
    by_key, findings = read.by_center, read.findings
    assert sorted(r.total for r in by_key["k1"]) == [60, 80]
    assert [r.veto for r in by_key["k1"]] == [True, False]
    # k2's rows are all in error: none is counted, each marks the center 数据有误
    assert [(r.total, r.error) for r in by_key["k2"]] == [(None, True)] * 3
    codes = sorted(f.code for f in findings)
    assert codes == [
        "review-not-number",
        "review-over-max",
        "review-partial",
        "review-row-empty",  # 评审人3 scored only GD02: GD01's row left blank
        "review-unknown-center",
        "review-veto",
    ]
    empty = next(f for f in findings if f.code == "review-row-empty")
    assert empty.file == "评审人3.xlsx" and "这一行空着" in empty.message
    word = next(f for f in findings if f.code == "review-not-number")
    assert "填写为“优”，不是 0–" in word.message and "超过满分" not in word.message
    over = next(f for f in findings if f.code == "review-over-max")
    assert over.message.endswith("超过满分 30。这一行未计入。请改为0–30之间的分数后重新提交。")  # what to do
    veto = next(f for f in findings if f.code == "review-veto")
    assert "评审人1.xlsx" in veto.message and "弄虚作假" in veto.message
    assert veto.message.endswith(
        "评定为不合格，不参与排名。"
    )  # what the veto does, not only that it was cast


def test_a_center_s_row_deleted_from_one_reviewer_s_sheet_is_said(tmp_path):
    """评审人2 deleted GD02's row (it is not left empty, it is gone): GD02's score is 评审人1's alone, as for an
    empty row, and a 提示 says whose sheet lacks it; GD01, on both sheets, gets none."""
    import openpyxl

    tables = review_file(tmp_path, "评审人1.xlsx", {"GD01": full(80), "GD02": full(70)})
    path = tmp_path / "评审人2.xlsx"
    write_assessment(path, GD, roster=GD.roster[:3], rows={"GD01": full(60)}, reviewer="评审人2")
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[1]
    ws.delete_rows(next(r[0].row for r in ws.iter_rows() if r[0].value == "GD02"))
    book.save(path)
    read = read_reviews(GD, tables + table(path, GD), gd_resolve)
    missing = [f for f in read.findings if f.code == "review-row-missing"]
    assert [(f.file, f.center, f.severity.value) for f in missing] == [
        ("评审人2.xlsx", GD.roster[1].name, "提示")
    ]
    assert "没有“" in missing[0].message and [r.total for r in read.by_center["k2"]] == [70]


def test_a_total_typed_over_the_formula_is_said_alone_or_beside_parts_that_differ(tmp_path):
    """A reviewer typed 95 in 合计 for GD01 and left its parts blank: the row is in error (review-total-only),
    not 'left empty'. For GD02 the parts add to 70 while 合计 says 99: the parts count, with a warning."""
    import openpyxl

    path = tmp_path / "评审人1.xlsx"
    write_assessment(path, GD, roster=GD.roster[:3], rows={"GD02": full(70)}, reviewer="评审人1")
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[1]
    header = next(r for r in ws.iter_rows() if any(c.value == "合计" for c in r))
    total = next(c.column for c in header if c.value == "合计")
    for r in ws.iter_rows(min_row=header[0].row + 1):
        if r[0].value == "GD01":
            ws.cell(r[0].row, total).value = 95
        if r[0].value == "GD02":
            ws.cell(r[0].row, total).value = 99
    book.save(path)
    read = read_reviews(GD, table(path, GD), gd_resolve)
    said = {f.code: f for f in read.findings}
    assert (
        said["review-total-only"].severity.value == "错误"
        and "只在“合计”中填写了 95" in said["review-total-only"].message
    )
    assert [(r.total, r.error) for r in read.by_center["k1"]] == [(None, True)]
    assert "各项评分之和为 70" in said["review-total-differs"].message
    assert [r.total for r in read.by_center["k2"]] == [70] and "review-row-empty" not in said


def inbox_of(folder: Path, scheme, entries) -> Path:
    """A folder of complete submissions (5 of everything) from the real template, one per center."""
    from kjjr_excel.write.template import write_submission

    folder.mkdir()
    for entry in entries:
        values = {i.id: 5 for i in scheme.self_indicators}
        write_submission(folder / f"{entry.code}.xlsx", scheme, center=entry, values=values)
    return folder


def test_review_missing_is_reported_by_the_pipeline(tmp_path):
    from kjjr_excel.app import run_rank

    inbox = inbox_of(tmp_path / "inbox", GD, GD.roster[:2])
    review = tmp_path / "r.xlsx"
    write_assessment(review, GD, roster=GD.roster[:2], rows={"GD01": full(90)}, reviewer="王五")
    result = run_rank(GD, [inbox], assessments=[review])
    codes = {(f.code, f.center) for f in result.findings}
    assert ("review-missing", GD.roster[1].name) in codes


def test_every_finding_code_is_emitted_by_the_package_and_named_in_a_test():
    root = Path(__file__).resolve().parents[1]
    package = "".join(
        p.read_text(encoding="utf-8") for p in (root / "kjjr_excel").rglob("*.py") if p.name != "findings.py"
    )
    # the example corpus's expected.toml files test findings too
    tests = "".join(
        p.read_text(encoding="utf-8") for p in (root / "tests").rglob("*") if p.suffix in (".py", ".toml")
    )
    for code in CODES:
        assert re.search(rf"[\"']{re.escape(code)}[\"']", package), f"{code} is never emitted"
        assert code in tests, f"{code} has no test"


def test_a_hand_made_assessment_table_is_read_by_its_headers(tmp_path):
    import xlsxwriter

    path = tmp_path / "自制考核表.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    rows = [
        ["编号", "名称", "较大失误次数（次）", "重大责任事故", "重大贡献", "征集科技型中小企业信息（核定）"],
        ["QD01", "甲", 2, "否", 3, 31],
        ["QD02", "乙", None, "是", None, None],
    ]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v)
    wb.close()
    read = read_assessments(QD, table(path), resolve)
    by_key, findings = read.by_center, read.findings
    assert not findings
    assert by_key["code:qd01"].values == {"major_errors": 2, "major_accident": False, "major_contribution": 3}
    assert by_key["code:qd01"].verified == {"enterprise_info": 31}
    assert by_key["code:qd02"].values == {"major_accident": True}


# ---------------------------------------------------------------------------------------------- the corpus

EXAMPLES = Path(__file__).parent / "examples"
CASES = sorted(
    p.parent.name
    for p in EXAMPLES.glob("*/expected.toml")
    if "cli" in tomllib.loads(p.read_text(encoding="utf-8"))
)


def _sheet(path: Path, name: str) -> list[list]:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


@pytest.mark.parametrize("case", CASES)
def test_assessment_examples(case, tmp_path, monkeypatch):
    """The corpus cases of assessor tables and review sheets (made from the real templates, saved by LibreOffice
    or Gnumeric) through `kjjr rank`: exit status, 排名, 校验问题, 说明 and 得分明细 as their [[cli]] say
    (test_examples checks the same cases' figures through run_rank)."""
    from click.testing import CliRunner

    from kjjr_excel.cli import cli

    folder = EXAMPLES / case
    expected = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))
    monkeypatch.chdir(folder)  # the arguments are relative to the case, as an analyst types them there
    assert len(CASES) >= 14
    for n, run in enumerate(expected["cli"]):
        out = tmp_path / f"{n}.xlsx"
        result = CliRunner().invoke(cli, [*run["args"], "-o", str(out)])
        assert result.exit_code == run["exit_code"], result.output
        lines = result.output.splitlines()
        assert [line for line in run.get("output", []) if line not in lines] == [], result.output
        ranking = _sheet(out, "排名")
        if "title" in run:
            assert ranking[0][0] == run["title"]
        header = ranking[1]
        code = header.index("编号")  # the table's rows carry their 序号; the foot block below does not
        rows = {r[code]: dict(zip(header, r, strict=False)) for r in ranking[2:] if isinstance(r[0], float)}
        money = next(h for h in header if h.endswith("金额（万元）"))
        total = header[header.index("等次") - 1]
        for code, want in run.get("centers", {}).items():
            got = rows[code]
            seen = {"rank": got["排名"], "total": got[total], "grade": got["等次"], "subsidy": got[money]}
            seen["flags"] = got["标记"]
            assert {k: seen[k] for k in want} == want, code
        codes = {row[1] for row in _sheet(out, "校验问题")[1:]}
        assert set(run.get("findings", [])) <= codes
        assert not set(run.get("no_findings", [])) & codes
        notes = {str(v) for row in _sheet(out, "说明") for v in row[:2]}
        assert set(run.get("notes", [])) <= notes
        if "details" in run:
            assert run["details"] in {str(v) for row in _sheet(out, "得分明细") for v in row}


# ---------------------------------------------------------------------------------------------- identity


def test_the_reviewer_is_read_beside_its_label_or_after_it():
    from kjjr_excel.domain.assess import Reviewer, reviewer_of

    grid = [["定性评分表", "", "评审人", "张三"], ["编号", "名称", "一票否决"]]
    assert reviewer_of(grid, 1) == Reviewer("张三", "D1")
    assert reviewer_of([["评审人： 李四"], ["编号", "名称"]], 1) == Reviewer("李四", "A1")
    assert reviewer_of([["定性评分表", "评审人", ""], ["编号"]], 1) == Reviewer("", "C1")
    # a sign block under the table is not the reviewer's name
    assert reviewer_of([["编号", "名称"], ["评审人", "王五"]], 0) == Reviewer("", "")


def test_copies_whose_order_cannot_be_told_are_not_counted(tmp_path):
    from datetime import datetime

    saved = datetime(2020, 3, 1, 9)
    tables = []
    for name, total in (("a.xlsx", 60), ("b.xlsx", 90)):
        path = tmp_path / name
        rows = {"GD01": full(total)}
        write_assessment(path, GD, roster=GD.roster[:2], rows=rows, reviewer="张三", created=saved)
        tables += table(path, GD)
    read = read_reviews(GD, tables, gd_resolve)
    by_key, findings, uses = read.by_center, read.findings, read.uses
    assert by_key == {}
    assert [f.code for f in findings] == ["review-reviewer-unclear"]
    assert "a.xlsx、b.xlsx" in findings[0].message
    assert [(u.file, u.used) for u in uses] == [("a.xlsx", False), ("b.xlsx", False)]


@pytest.mark.parametrize("mark", ["", "×", "否"])
def test_a_veto_reason_without_a_veto_keeps_the_center_out_of_the_money(tmp_path, mark):
    """A reviewer wrote 否决原因 (有重大不良诚信记录，建议否决) but left 一票否决 blank, or put × or 否 in it: whether
    the center is vetoed nobody can tell, so it is neither ranked nor paid, and the finding names the cell."""
    from kjjr_excel.app import run_rank

    inbox = inbox_of(tmp_path / "inbox", GD, GD.roster[:2])
    review = tmp_path / "r.xlsx"
    rows = {
        "GD01": {**full(90), "veto": mark, "veto_reason": "有重大不良诚信记录，建议否决"},
        "GD02": full(80),
    }
    write_assessment(review, GD, roster=GD.roster[:2], rows=rows, reviewer="王五")
    result = run_rank(GD, [inbox], assessments=[review])
    gd01 = next(r for r in result.ranked if r.center.code == "GD01")
    assert gd01.rank is None and gd01.subsidy == 0
    unclear = next(f for f in result.findings if f.code == "review-veto-unclear")
    assert unclear.cell and "有重大不良诚信记录" in unclear.message and unclear.severity.value == "错误"


def test_an_unreadable_veto_keeps_the_center_out_of_the_money(tmp_path):
    """一票否决 typed '待定' on a review sheet, 重大责任事故 '不清楚' on an assessor's table: nobody can tell whether
    the center fails, so it is neither ranked nor paid, and says why."""
    from kjjr_excel.app import run_rank
    from kjjr_excel.write.template import write_submission

    inbox = inbox_of(tmp_path / "inbox", GD, GD.roster[:2])
    review = tmp_path / "r.xlsx"
    rows = {"GD01": {**full(90), "veto": "待定"}, "GD02": full(80)}
    write_assessment(review, GD, roster=GD.roster[:2], rows=rows, reviewer="王五")
    result = run_rank(GD, [inbox], assessments=[review])
    gd01 = next(r for r in result.ranked if r.center.code == "GD01")
    assert gd01.rank is None and gd01.subsidy == 0 and gd01.grade == ""
    assert "一票否决填写有误，无法确定，未参加排名" in gd01.flags
    assert "value-bool" in {f.code for f in result.findings}

    qd_inbox = tmp_path / "qd"
    qd_inbox.mkdir()
    entries = [RosterEntry("QD01", "甲"), RosterEntry("QD02", "乙")]
    for entry in entries:
        write_submission(
            qd_inbox / f"{entry.code}.xlsx", QD, center=entry, values={i.id: 5 for i in QD.self_indicators}
        )
    assessment = tmp_path / "a.xlsx"
    write_assessment(assessment, QD, roster=entries, rows={"QD01": {"major_accident": "不清楚"}})
    result = run_rank(QD, [qd_inbox], assessments=[assessment])
    qd01 = next(r for r in result.ranked if r.center.code == "QD01")
    assert qd01.rank is None and qd01.subsidy == 0
    assert any("重大责任事故填写有误" in f for f in qd01.flags)
    assert "数据有误：重大责任事故（E3）" in qd01.flags


def test_a_table_of_the_wrong_kind_is_unusable_and_worded_for_the_analyst(tmp_path):
    from kjjr_excel.write.template import write_submission

    sub = write_submission(tmp_path / "填报表.xlsx", QD, center=RosterEntry("QD01", "甲"))
    review = write_assessment(tmp_path / "评审表.xlsx", GD, roster=GD.roster[:1], reviewer="王五")
    read = read_tables(QD, [(sub, sub.name), (review, review.name)], strict_kind=True)
    assert read.unusable and not read.tables
    assert [f.code for f in read.findings] == ["table-unusable", "table-unusable"]
    first, second = read.findings
    assert "这是填报表，不是考核评价表" in first.message and "--allow-missing-assessment" in first.message
    assert "guangdong-2019" in second.message and "再报送" not in second.message
    # among the inputs, a table of another scheme is only an error finding: it cannot decide these grades
    read = read_tables(QD, [(review, review.name)], strict_kind=False)
    assert not read.unusable and [f.code for f in read.findings] == ["wrong-scheme"]


def test_a_table_of_another_year_is_not_used_and_the_same_file_twice_counts_once(tmp_path):
    old = write_assessment(tmp_path / "2016.xlsx", QD, roster=[RosterEntry("QD01", "甲")], year=2016)
    read = read_tables(QD, [(old, old.name)], strict_kind=True, year=2017)
    assert read.unusable and [f.code for f in read.findings] == ["table-unusable"]
    assert "这是2016年度的考核评价表，本次考核年度为2017年" in read.findings[0].message

    path = tmp_path / "r.xlsx"
    write_assessment(path, GD, roster=GD.roster[:2], rows={"GD01": full(70)}, reviewer="王五")
    copy = tmp_path / "inbox"
    copy.mkdir()
    (copy / "r.xlsx").write_bytes(path.read_bytes())
    tables = table(path, GD) + read_tables(GD, [(copy / "r.xlsx", "inbox/r.xlsx")], strict_kind=False).tables
    read = read_reviews(GD, tables, gd_resolve)
    by_key, findings, uses = read.by_center, read.findings, read.uses
    # the second center's row left blank by the only reviewer: that is review-missing's to say, not this
    assert [r.total for r in by_key["k1"]] == [70] and findings == []
    assert [(u.file, u.used) for u in uses] == [("inbox/r.xlsx", True), ("r.xlsx", False)]


def test_review_sheets_attached_to_a_saved_mail_are_used(tmp_path):
    """A reviewer mails their sheet and the analyst saves the mail (.eml) into the inbox: the attachment is
    read as the review sheet it is, like a file in the folder."""
    from email.message import EmailMessage

    from kjjr_excel.app import run_rank

    inbox = inbox_of(tmp_path / "inbox", GD, GD.roster[:2])
    sheet = write_assessment(
        tmp_path / "r.xlsx",
        GD,
        roster=GD.roster[:2],
        rows={"GD01": full(80), "GD02": full(60)},
        reviewer="王五",
    )
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "wang@example.com", "office@example.com", "定性评分表"
    mail.set_content("附件是定性评分表。")
    xlsx = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    mail.add_attachment(sheet.read_bytes(), maintype=xlsx[0], subtype=xlsx[1], filename="定性评分表.xlsx")
    (inbox / "评审表.eml").write_bytes(bytes(mail))
    result = run_rank(GD, [inbox])
    assert [(u.file, u.used, u.reviewer) for u in result.tables] == [
        ("评审表.eml › 定性评分表.xlsx", True, "王五")
    ]
    assert sorted(r.score.qualitative for r in result.ranked) == [60, 80]
    assert not result.provisional and not result.table_unusable


def _edit_rows(path: Path, sheet: str, cells: dict[str, object]) -> Path:
    """The table as an assessor leaves it after typing into cells (a row added, a name retyped)."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        book[sheet][ref] = value
    book.save(path)
    return path


def test_a_total_row_under_the_centers_is_no_center(tmp_path):
    qd = _edit_rows(
        write_assessment(tmp_path / "q.xlsx", QD, roster=QD_TWO, rows={"QD01": {"major_errors": 1}}),
        "考核评价",
        {"B5": "合计", "D5": 1, "A6": "平 均", "D6": 0.5},
    )
    assert read_assessments(QD, table(qd), resolve).findings == []
    gd = _edit_rows(
        write_assessment(
            tmp_path / "g.xlsx", GD, roster=GD.roster[:1], rows={"GD01": full(80)}, reviewer="王五"
        ),
        "定性评分",
        {"B4": "平均分", "D4": 24, "E4": 32, "F4": 12, "G4": 12},
    )
    read = read_reviews(GD, table(gd, GD), gd_resolve)
    assert read.findings == [] and [r.total for r in read.by_center["k1"]] == [80]


QD_TWO = [RosterEntry("QD01", "甲分中心", "甲区科技局"), RosterEntry("QD02", "乙分中心", "乙区科技局")]


def test_a_row_of_values_for_no_known_center_makes_the_result_provisional(tmp_path):
    """The assessor retyped 乙分中心's name and left out its code: its 重大责任事故 finds no center, and 乙 goes
    unassessed with its money; a row for a center that did not submit changes nobody's result."""
    from kjjr_excel.app import run_rank

    inbox = inbox_of(tmp_path / "inbox", QD, QD_TWO)
    rows = {"QD01": {"major_errors": 1}, "QD02": {"major_accident": "是"}}
    path = write_assessment(tmp_path / "a.xlsx", QD, roster=QD_TWO, rows=rows)
    retyped = _edit_rows(path, "考核评价", {"A4": None, "B4": "乙区分中心"})
    result = run_rank(QD, [inbox], assessments=[retyped], jobs=1)
    assert "assessment-unknown-center" in {f.code for f in result.findings}
    assert result.provisional and result.table_unusable
    ranking = _sheet(write_ranking(result, tmp_path / "r.xlsx"), "排名")
    title, flags = ranking[0][0], {row[3]: row[10] for row in ranking[2:4]}
    assert "考核评价不完整" in title  # the meeting sees which center the assessor's table did not reach
    assert flags["乙分中心"].startswith("未经考核评价；") and "未经考核评价" not in flags["甲分中心"]
    other = write_assessment(tmp_path / "b.xlsx", QD, roster=QD_TWO, rows=rows)
    other = _edit_rows(other, "考核评价", {"A5": "QD09", "B5": "丙分中心", "D5": 2})
    result = run_rank(QD, [inbox], assessments=[other], jobs=1)
    assert "assessment-unknown-center" in {f.code for f in result.findings}
    assert not result.provisional and not result.table_unusable


def test_a_review_workbook_with_a_sheet_per_reviewer_counts_every_sheet(tmp_path):
    """The office collects the reviewers' scores into one workbook, a copy of the sheet per reviewer: each
    sheet is a review sheet with its own reviewer, none is silently left out."""
    import openpyxl

    path = write_assessment(
        tmp_path / "汇总.xlsx", GD, roster=GD.roster[:1], rows={"GD01": full(80)}, reviewer="张三"
    )
    book = openpyxl.load_workbook(path)
    for name, total in (("李四", 60), ("王五", 70)):
        sheet = book.copy_worksheet(book["定性评分"])
        sheet.title, sheet["K1"] = name, name
        for part, column in zip(GD.parts, "DEFG", strict=True):
            sheet[f"{column}3"] = float(part.max) * total / 100
    book.save(path)
    tables = table(path, GD)
    assert [(t.sheet, t.reviewer) for t in tables] == [
        ("定性评分", "张三"),
        ("李四", "李四"),
        ("王五", "王五"),
    ]
    read = read_reviews(GD, tables, gd_resolve)
    assert sorted(r.total for r in read.by_center["k1"]) == [60, 70, 80]
    assert [u.reviewer for u in read.uses if u.used] == ["张三", "李四", "王五"]


def test_a_review_row_for_no_known_center_makes_the_result_provisional(tmp_path):
    """A reviewer typed a short name without the code: that center's qualitative score would be the other
    reviewer's alone, a different figure and amount, so the result is provisional until the sheet is fixed."""
    from kjjr_excel.app import run_rank

    entries = GD.roster[:2]
    inbox = inbox_of(tmp_path / "inbox", GD, entries)
    rows = {e.code: full(70) for e in entries}
    first = write_assessment(tmp_path / "张三.xlsx", GD, roster=entries, rows=rows, reviewer="张三")
    second = write_assessment(tmp_path / "李四.xlsx", GD, roster=entries, rows=rows, reviewer="李四")
    result = run_rank(GD, [inbox], assessments=[first, second], jobs=1)
    assert not result.provisional and not result.table_unusable
    short = _edit_rows(first, "定性评分", {"A4": None, "B4": entries[1].name[:2]})
    result = run_rank(GD, [inbox], assessments=[short, second], jobs=1)
    assert "review-unknown-center" in {f.code for f in result.findings}
    assert result.provisional and result.table_unusable

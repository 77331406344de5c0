"""Assessor workbooks (Qingdao) and reviewer sheets (Guangdong): rows -> values, totals, vetoes, findings."""

import re
from fractions import Fraction
from pathlib import Path

from kjjr_excel.assess import read_assessments, read_reviews
from kjjr_excel.findings import CODES
from kjjr_excel.ingest import read_table
from kjjr_excel.scheme import RosterEntry, load_scheme
from kjjr_excel.template import write_assessment

QD = load_scheme("qingdao")
GD = load_scheme("guangdong")
KNOWN = {"code:qd01": "code:qd01", "code:qd02": "code:qd02"}


def resolve(code, name):
    return KNOWN.get(f"code:{code.lower()}") if code else None


def table(path: Path, required):
    rows, findings, sheet = read_table(path, path.name, required=required)
    assert not findings
    return [(path.name, sheet, rows)]


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
    by_key, findings = read_assessments(QD, table(path, ["名称"]), resolve)
    a = by_key["code:qd01"]
    assert a.values == {"major_errors": 2, "major_accident": False, "major_contribution": Fraction(15, 2)}
    assert a.verified == {"enterprise_info": 28}
    assert by_key["code:qd02"].values == {"major_accident": True}
    assert [f.code for f in findings] == ["assessment-unknown-center"]
    assert findings[0].cell and "丙分中心" in findings[0].message


def test_qingdao_assessment_bad_values_are_findings(tmp_path):
    path = tmp_path / "a.xlsx"
    write_assessment(path, QD, roster=[RosterEntry("QD01", "甲")], rows={"QD01": {"major_errors": "两次"}})
    by_key, findings = read_assessments(QD, table(path, ["名称"]), resolve)
    assert "major_errors" not in by_key["code:qd01"].values
    assert [f.code for f in findings] == ["value-not-number"]


def test_assessor_numbers_typed_as_text_are_read_with_a_note(tmp_path):
    """'1' typed as text, '无' and '３' are read (with the note the same cells give on a submission); this used to
    stop the whole run (Finding.make got 'value' twice)."""
    path = tmp_path / "a.xlsx"
    roster = [RosterEntry("QD01", "甲"), RosterEntry("QD02", "乙")]
    rows = {"QD01": {"major_errors": "1", "enterprise_info": "３"}, "QD02": {"major_errors": "无"}}
    write_assessment(path, QD, roster=roster, rows=rows)
    by_key, findings = read_assessments(QD, table(path, ["名称"]), resolve)
    assert by_key["code:qd01"].values["major_errors"] == 1 and by_key["code:qd02"].values["major_errors"] == 0
    assert by_key["code:qd01"].verified["enterprise_info"] == 3
    assert {f.code for f in findings} == {"value-text-number", "value-normalised", "value-zero-word"}
    for f in findings:
        assert f.sheet and f.cell and f.value in ("1", "无", "３") and f.file == path.name
        assert "major_errors" not in f.message and "{" not in f.message and "缺少" not in f.message


def test_duplicate_assessment_rows_keep_the_last(tmp_path):
    path = tmp_path / "a.xlsx"
    write_assessment(path, QD, roster=[RosterEntry("QD01", "甲")], rows={"QD01": {"major_errors": 1}})
    tables = table(path, ["名称"]) * 2
    _, findings = read_assessments(QD, tables, resolve)
    assert [f.code for f in findings] == ["assessment-duplicate"]
    dup = findings[0]
    assert "“甲”出现了2次" in dup.message and "code:" not in dup.message  # the name, not an internal key
    assert dup.file == path.name and dup.sheet and dup.cell


def review_file(tmp_path, name, rows):
    path = tmp_path / name
    write_assessment(path, GD, roster=GD.roster[:3], rows=rows)
    return table(path, ["名称", "一票否决"])


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
    by_key, findings = read_reviews(GD, tables, gd_resolve)
    assert sorted(r.total for r in by_key["k1"]) == [60, 80]
    assert [r.veto for r in by_key["k1"]] == [True, False]
    assert "k2" not in by_key
    codes = sorted(f.code for f in findings)
    assert codes == [
        "review-not-number",
        "review-over-max",
        "review-partial",
        "review-unknown-center",
        "review-veto",
    ]
    word = next(f for f in findings if f.code == "review-not-number")
    assert "填写为“优”，不是 0–" in word.message and "超过满分" not in word.message
    veto = next(f for f in findings if f.code == "review-veto")
    assert "评审人1.xlsx" in veto.message and "弄虚作假" in veto.message
    assert veto.message.endswith(
        "评定为不合格，不参与排名。"
    )  # what the veto does, not only that it was cast


def test_review_missing_is_reported_by_the_pipeline(tmp_path):
    from kjjr_excel.pipeline import run_rank
    from kjjr_excel.template import write_submission

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for entry in GD.roster[:2]:
        write_submission(
            inbox / f"{entry.code}.xlsx", GD, center=entry, values={i.id: 5 for i in GD.indicators}
        )
    review = tmp_path / "r.xlsx"
    write_assessment(review, GD, roster=GD.roster[:2], rows={"GD01": full(90)})
    result = run_rank(GD, [inbox], assessments=[review])
    codes = {(f.code, f.center) for f in result.findings}
    assert ("review-missing", GD.roster[1].name) in codes


def test_every_finding_code_is_emitted_by_the_package_and_named_in_a_test():
    root = Path(__file__).resolve().parents[1]
    package = "".join(
        p.read_text(encoding="utf-8") for p in (root / "kjjr_excel").glob("*.py") if p.name != "findings.py"
    )
    tests = "".join(p.read_text(encoding="utf-8") for p in (root / "tests").rglob("*.py"))
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
    by_key, findings = read_assessments(QD, table(path, ["名称"]), resolve)
    assert not findings
    assert by_key["code:qd01"].values == {"major_errors": 2, "major_accident": False, "major_contribution": 3}
    assert by_key["code:qd01"].verified == {"enterprise_info": 31}
    assert by_key["code:qd02"].values == {"major_accident": True}

"""Schemes no code was written for (tests/schemes/) run the whole flow: templates written from the scheme,
filled and saved by LibreOffice as a clerk and the reviewers would, ranked, and every figure checked against
the hand computation written here."""

from __future__ import annotations

import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest
from lo_fill import fill_with_libreoffice  # noqa: E402
from python_calamine import CalamineWorkbook

from kjjr_excel.app import run_rank
from kjjr_excel.domain.layout import layout
from kjjr_excel.domain.parse import a1
from kjjr_excel.domain.scheme import RosterEntry, load_scheme
from kjjr_excel.errors import SchemeError
from kjjr_excel.write.ranking import write_ranking
from kjjr_excel.write.template import assessment_sheet_name, generate

SCHEMES = Path(__file__).parent / "schemes"
needs_lo = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
HEADER = {"filler_name": "王五", "filler_phone": "0532-88888888", "fill_date": "2022-01-10"}


def _submission_cells(scheme, values: dict[str, object]) -> list[tuple[str, str, object]]:
    lay = layout(scheme)
    cells = [(lay.sheet, lay.header_cell(f), v) for f, v in HEADER.items()]
    return cells + [(lay.sheet, lay.value_cell(iid), v) for iid, v in values.items()]


def _table_cells(
    path: Path, sheet: str, rows: dict[str, dict[str, object]], reviewer: str = ""
) -> list[tuple[str, str, object]]:
    """Cells of an assessor or reviewer table by its printed headers (row 2) and the centers' codes; a
    reviewer's sheet also gets the reviewer's name, right of its 评审人 label."""
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    header_row = next(n for n, row in enumerate(grid) if row and row[0] == "编号")
    headers = {str(h): c for c, h in enumerate(grid[header_row])}
    at = {str(row[0]): n for n, row in enumerate(grid) if n > header_row and row and row[0]}
    out = []
    label = next(((n, c) for n in range(header_row) for c, v in enumerate(grid[n]) if v == "评审人"), None)
    if label is not None:
        out.append((sheet, a1(label[0], label[1] + 1), reviewer))
    for code, data in rows.items():
        for header, value in data.items():
            column = next(c for h, c in headers.items() if h == header or h.startswith(f"{header}（"))
            out.append((sheet, a1(at[code], column), value))
    return out


def _filled_inbox(tmp_path: Path, scheme, roster, values, tables) -> tuple[Path, list[Path]]:
    """Templates from the scheme; each center's template and each table filled by LibreOffice."""
    templates = generate(scheme, tmp_path / "templates", roster=roster, per_center=True, assessment=True)
    table_template = templates[-1]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    jobs = []
    for entry in roster:
        template = next(p for p in templates if f"_{entry.code}_" in p.name)
        jobs.append((template, inbox / f"{entry.code}.xlsx", _submission_cells(scheme, values[entry.code])))
    filled_tables = []
    for n, rows in enumerate(tables, 1):
        target = tmp_path / f"table_{n}.xlsx"
        jobs.append(
            (
                table_template,
                target,
                _table_cells(table_template, assessment_sheet_name(scheme), rows, reviewer=f"评审专家{n}"),
            )
        )
        filled_tables.append(target)
    fill_with_libreoffice(jobs, tmp_path)
    return inbox, filled_tables


def _by_code(result):
    return {r.center.code: r for r in result.ranked}


def _explanation(path: Path) -> dict[str, str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("说明").to_python()
    return {str(r[0]): str(r[1]) for r in rows if len(r) > 1 and r[0]}


# ---------------------------------------------------------------------------------------------- Qingdao 2018

QD_ROSTER = (
    RosterEntry("QA01", "市南区分中心", "市南区科技局"),
    RosterEntry("QA02", "市北区分中心", "市北区科技局"),
    RosterEntry("QA03", "李沧区分中心", "李沧区科技局"),
    RosterEntry("QA04", "崂山区分中心", "崂山区科技局"),
)
QD_IDS = tuple(
    i.id for i in load_scheme(SCHEMES / "qingdao-2018.toml").self_indicators
)  # the 2017 seven + credit
QD_VALUES = {
    "QA01": dict(zip(QD_IDS, (40, 100, 12, 15, 6, 5, 4, 5), strict=True)),
    "QA02": dict(zip(QD_IDS, (60, 120, 12, 17, 10, 5, 4, 3), strict=True)),
    "QA03": dict(zip(QD_IDS, (40, 100, 10, 12, 2, 1, 2, 0), strict=True)),
    "QA04": dict(zip(QD_IDS, (38, 90, 12, 12, 3, 2, 2, 4), strict=True)),
}
# By hand, with target 40 (not 30) and the new indicator (1 point a 家, at most 5):
#   QA01: 5 + 0.25×(40−40)=5, 5, 6, 10+3×3=19, 6, 3×5=15, 4, 5        -> 65; 工作落实 10, 重大贡献 10 -> 85.00
#   QA02: 5+0.25×20=10, 5+0.25×20=10, 6, 10+3×5=25, 10, 15, 4, 3      -> 83; 10 − 1 = 9, 0          -> 92.00
#   QA03: 5, 5, 6−0.5×2=5, 10, 2, 3, 2, 0                             -> 32; 10, 0 (left blank)     -> 42.00
#   QA04: 核定 36: 5+0.25×(36−40)=4, 5−0.25×10=2.5, 6, 10, 3, 6, 2, 4 -> 37.5; 10, 0               -> 47.50
# Grades 85/70/60: 85.00 is 优秀 at the bound (it was 良好 under 2017's 90); 20 万元 for each passing grade.
QD_EXPECTED = {
    "QA02": (1, D("92.00"), "优秀", D(20)),
    "QA01": (2, D("85.00"), "优秀", D(20)),
    "QA04": (3, D("47.50"), "不合格", D(0)),
    "QA03": (4, D("42.00"), "不合格", D(0)),
}


@pytest.mark.libreoffice
@needs_lo
def test_qingdao_2018_revision_runs_end_to_end(tmp_path):
    scheme = load_scheme(SCHEMES / "qingdao-2018.toml")
    assert scheme.total_max == 105 and scheme.delisting_years == 3 and QD_IDS[-1] == "credit_evaluation"
    assessed = {
        "QA01": {"较大失误次数": 0, "重大贡献认定分": 10},
        "QA02": {"较大失误次数": 1},
        "QA04": {"核定数：征集科技型中小企业信息": 36},
    }
    inbox, (assessment,) = _filled_inbox(tmp_path, scheme, QD_ROSTER, QD_VALUES, [assessed])
    history = tmp_path / "history.csv"
    history.write_text(
        "年度,编号,名称,等次,排名\n"
        "2016,QA03,李沧区分中心,不合格,3\n2017,QA03,李沧区分中心,不合格,4\n"
        "2017,QA04,崂山区分中心,不合格,3\n2017,QA01,市南区分中心,良好,1\n",
        encoding="utf-8",
    )
    result = run_rank(scheme, [inbox], assessments=[assessment], history=[history])
    assert result.year == 2018
    by = _by_code(result)
    assert {code: (r.rank, r.total, r.grade, r.subsidy) for code, r in by.items()} == QD_EXPECTED
    credit = next(i for i in by["QA01"].score.items if i.indicator == "credit_evaluation")
    assert credit.score == 5 and credit.derivation == "5家：1×5 = 5.00"
    target = next(i for i in by["QA01"].score.items if i.indicator == "enterprise_info")
    assert target.derivation == "40家：5 + 0.25×(40−40) = 5.00"
    # three years running 不合格 is 摘牌; two years (this one and 2017) is only a warning
    assert "摘牌（连续三年不合格）" in by["QA03"].flags
    assert "摘牌预警" in by["QA04"].flags and not any(f.startswith("摘牌（") for f in by["QA04"].flags)
    assert not any("摘牌" in f for f in by["QA01"].flags + by["QA02"].flags)

    notes = _explanation(write_ranking(result, tmp_path / "ranking.xlsx"))
    assert notes["满分"] == "105"
    assert notes["等次：优秀"] == "85分（含）以上" and notes["等次：良好"] == "70分（含）以上"
    assert notes["摘牌"] == "连续三年不合格或连续三年排名最后一名"
    assert notes["计分规则：基础服务／征集科技型中小企业信息"] == "5 + 0.25×(n−40)，0–10分"
    assert notes["计分规则：信用服务／企业信用评价"] == "1×n，0–5分"


# ---------------------------------------------------------------------------------------------- relative

HX_IDS = ("matched_finance", "matched_deals", "guaranteed_firms", "matchmaking_events")
HX_VALUES = {
    "HX01": dict(zip(HX_IDS, (1000, 10, 5, 0), strict=True)),
    "HX02": dict(zip(HX_IDS, (800, 8, 5, 2), strict=True)),
    "HX03": dict(zip(HX_IDS, (600, 6, 5, 4), strict=True)),
    "HX04": dict(zip(HX_IDS, (400, 4, 5, 6), strict=True)),
    "HX05": dict(zip(HX_IDS, (200, 2, 5, 8), strict=True)),
    "HX06": dict(zip(HX_IDS, (100, 1, 5, 10), strict=True)),
    "HX07": dict(zip(HX_IDS, (5000, 50, 9, 20), strict=True)),  # vetoed: must not move the benchmarks
}
# Reviewer totals (工作成效 + 工作计划), four reviewers, so no highest/lowest is dropped (trim_at = 5).
HX_REVIEWS = {
    "HX01": [(50, 30), (60, 40), (40, 20), (55, 35)],  # 80, 100, 60, 90 -> mean 82.5 (trimmed would be 85)
    "HX02": [(40, 30)] * 4,  # 70
    "HX03": [(35, 25)] * 4,  # 60
    "HX04": [(50, 40)] * 4,  # 90
    "HX05": [(30, 20)] * 4,  # 50
    "HX06": [(25, 15)] * 4,  # 40
    "HX07": [(50, 30)] * 4,
}
# By hand. Benchmarks over HX01–HX06 (HX07 vetoed), PERCENTILE.INC at 0.9 of six values = x[4] + 0.5×(x[5]−x[4]):
#   融资金额 100…1000 -> 800 + 0.5×200 = 900; 笔数 1…10 -> 9; 担保 all 5 -> 5; 活动 0…10 -> 9.
# Quantitative = 40×min(1,x/900) + 20×min(1,x/9) + 20×min(1,x/5) + 20×min(1,x/9):
#   HX01 40+20+20+0 = 80; HX02 320/9+160/9+20+40/9 = 700/9; HX03 620/9; HX04 60; HX05 460/9; HX06 420/9.
# Final = 0.5 × quantitative + 0.5 × qualitative:
#   HX01 40+41.25 = 81.25; HX02 350/9+35 = 73.888… -> 73.89; HX03 310/9+30 = 64.444… -> 64.44;
#   HX04 30+45 = 75.00; HX05 230/9+25 = 50.555… -> 50.56; HX06 210/9+20 = 43.333… -> 43.33.
# Grades by shares of the 6 ranked: A级 round(0.3×6) = 2, A+B round(0.7×6) = 4, the rest C级.
HX_EXPECTED = {
    "HX01": (1, D("81.25"), "A级", D(30)),
    "HX04": (2, D("75.00"), "A级", D(30)),
    "HX02": (3, D("73.89"), "B级", D(20)),
    "HX03": (4, D("64.44"), "B级", D(20)),
    "HX05": (5, D("50.56"), "C级", D(5)),
    "HX06": (6, D("43.33"), "C级", D(5)),
    "HX07": (None, None, "D级", D(0)),
}


@pytest.mark.libreoffice
@needs_lo
def test_relative_scheme_with_p90_and_four_reviewers_runs_end_to_end(tmp_path):
    scheme = load_scheme(SCHEMES / "relative-p90.toml")
    assert [e.code for e in scheme.roster] == list(HX_VALUES)
    reviewers = []
    for n in range(4):
        rows = {
            code: {"工作成效": marks[n][0], "工作计划": marks[n][1]} for code, marks in HX_REVIEWS.items()
        }
        if n == 1:
            rows["HX07"].update({"一票否决": "是", "否决原因": "材料弄虚作假"})
        reviewers.append(rows)
    inbox, review_files = _filled_inbox(tmp_path, scheme, scheme.roster, HX_VALUES, reviewers)
    result = run_rank(scheme, [inbox], assessments=review_files)
    by = _by_code(result)
    got = {
        code: (r.rank, r.total if r.rank is not None else None, r.grade, r.subsidy) for code, r in by.items()
    }
    assert got == HX_EXPECTED
    assert [r.center.code for r in result.ranked][-1] == "HX07"
    assert any("材料弄虚作假" in f for f in by["HX07"].flags)
    veto = next(f for f in result.findings if f.code == "review-veto")
    assert (
        "原因：材料弄虚作假。该服务站评定为D级，不参与排名。" in veto.message
    )  # the scheme's words, not 分中心/不合格
    assert not any("分中心" in f.message or "不合格" in f.message for f in result.findings)
    finance = next(i for i in by["HX02"].score.items if i.indicator == "matched_finance")
    assert finance.derivation.startswith("800万元：40 × min(1, 800÷900.00)")
    assert float(by["HX01"].score.qualitative) == 82.5

    notes = _explanation(write_ranking(result, tmp_path / "ranking.xlsx"))
    assert notes["定量计分方法"].startswith("以第90百分位数")
    assert notes["综合得分"] == "定量得分×0.5 + 定性得分×0.5"
    assert notes["等次：A级"].startswith("前30%") and notes["等次：B级"].startswith("其后40%")
    assert notes["奖励金额（万元）：A级"] == "30"


# ---------------------------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("name", "key", "fragment"),
    [
        ("typo.toml", "validation.outlier_treshold", "outlier_treshold = 9.9"),
        ("overlapping-grades.toml", "grading.grades[2].max", '{ name = "合格", min = 60, max = 75 }'),
    ],
)
def test_broken_schemes_are_refused_with_key_and_line(name, key, fragment):
    path = SCHEMES / name
    line = next(
        n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in text
    )
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert exc.value.key == key and exc.value.line == line
    assert f"{key}（第{line}行）" in str(exc.value)

"""End to end through the CLI: template -> fill -> rank, in tmp_path, both schemes."""

import re
import shutil
from datetime import datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from kjjr_excel.cli import cli
from kjjr_excel.domain.scheme import RosterEntry, load_scheme
from kjjr_excel.write.template import write_assessment, write_submission

QD = load_scheme("qingdao")
GD = load_scheme("guangdong")

# (code, name, raw values); expected totals hand-computed from Annex 2 with neutral assessor fields (10 + 0)
QD_CASES = {
    # 5+0.25*(50-30)=10, 5+0.25*(120-100)=10, 6, 10+3*(17-12)=25, 10, 15, 4 -> 80 + 10 = 90 exactly: 优秀
    "QD01": dict(
        enterprise_info=50,
        financing_needs=120,
        monthly_reports=12,
        finance_events=17,
        policies_implemented=10,
        new_policies_products=5,
        fulltime_staff=4,
    ),
    # 5, 5, 6, 10, 3, 6, 3 -> 38 + 10 = 48 -> 不合格
    "QD02": dict(
        enterprise_info=30,
        financing_needs=100,
        monthly_reports=12,
        finance_events=12,
        policies_implemented=3,
        new_policies_products=2,
        fulltime_staff=3,
    ),
    # 10, 10, 6, 25, 10, 15, 4 -> 80 ; text "１２" in monthly_reports normalised -> same as QD01: 90
    "QD03": dict(
        enterprise_info=60,
        financing_needs=150,
        monthly_reports="１２",
        finance_events=20,
        policies_implemented=12,
        new_policies_products=6,
        fulltime_staff=5,
    ),
    # 7.5 (40), 0 (financing "约100" is an error), 6, 10+3*(14-12)=16, 5, 9, 4 -> 47.5 + 10 = 57.5 不合格
    "QD04": dict(
        enterprise_info=40,
        financing_needs="约100",
        monthly_reports=12,
        finance_events=14,
        policies_implemented=5,
        new_policies_products=3,
        fulltime_staff=4,
    ),
}


def fill_qingdao(inbox: Path) -> list[RosterEntry]:
    roster = [RosterEntry(code=c, name=f"{c}分中心", host_unit=f"{c}依托单位") for c in QD_CASES]
    inbox.mkdir(parents=True, exist_ok=True)
    for entry in roster:
        write_submission(inbox / f"{entry.code}.xlsx", QD, center=entry, values=QD_CASES[entry.code])
    return roster


def read_sheet(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def ranking_rows(path: Path) -> dict[str, dict[str, object]]:
    rows = read_sheet(path, "排名")
    header = rows[1]
    # the table ends where 序号 does: the foot block (grading rule, 等次汇总, issuer) follows it
    table = [r for r in rows[2:] if isinstance(r[0], int | float) and not isinstance(r[0], bool)]
    return {r[header.index("编号")]: dict(zip(header, r, strict=False)) for r in table}


def test_template_command_writes_the_files(tmp_path):
    roster = tmp_path / "名录.csv"
    roster.write_text(
        "编号,名称,依托单位\nQD01,市南区分中心,市南区科技局\nQD02,=1+1,市北区科技局\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli,
        [
            "template",
            "qingdao",
            "--roster",
            str(roster),
            "--per-center",
            "--assessment",
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "out").glob("*.xlsx"))
    assert len(files) == 4  # blank + 2 per-center + assessment
    assert any("考核评价表" in f for f in files)


def test_qingdao_round_trip_without_assessment(tmp_path):
    fill_qingdao(tmp_path / "inbox")
    out = tmp_path / "rank.xlsx"
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(tmp_path / "inbox"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = ranking_rows(out)
    assert rows["QD01"]["总分"] == 90 and rows["QD01"]["等次"] == "优秀"
    assert rows["QD03"]["总分"] == 90 and rows["QD03"]["排名"] == rows["QD01"]["排名"] == 1
    assert rows["QD04"]["总分"] == 57.5 and rows["QD04"]["等次"] == "不合格" and rows["QD04"]["排名"] == 3
    # 标记 says the flag; the cell and what to do are on 校验问题
    # 57.5 with a figure in error that could lift it to 合格: its grade and its money wait for the correction
    assert rows["QD04"]["标记"] == "数据有误；等次待定；摘牌预警（待数据更正后确定）；补助暂缓"
    assert rows["QD02"]["总分"] == 48 and rows["QD02"]["等次"] == "不合格"
    assert rows["QD02"]["补助金额（万元）"] == 0 and rows["QD01"]["补助金额（万元）"] == 20
    # provisional: said once, in the title, not in every row
    assert read_sheet(out, "排名")[0][0].endswith("考核结果（初步结果，未经考核评价）")
    assert not any("未经考核评价" in r["标记"] for r in rows.values())
    findings = read_sheet(out, "校验问题")
    assert any(r[1] == "value-not-number" and r[4] == "F13" for r in findings[1:])


def test_qingdao_assessment_veto_and_verified_count(tmp_path):
    roster = fill_qingdao(tmp_path / "inbox")
    assessment = tmp_path / "考核评价表.xlsx"
    write_assessment(
        assessment,
        QD,
        roster=roster,
        rows={
            "QD01": {"major_accident": "是"},
            "QD02": {"major_errors": 3, "major_contribution": 10},  # 48 - 3 + 10 = 55
            "QD03": {"enterprise_info": 30},  # verified 30 instead of 60: 10 -> 5, total 85
        },
    )
    out = tmp_path / "rank.xlsx"
    result = CliRunner().invoke(
        cli, ["rank", "qingdao", str(tmp_path / "inbox"), "--assessment", str(assessment), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = ranking_rows(out)
    assert rows["QD01"]["排名"] in ("", None) and rows["QD01"]["等次"] == "不合格"
    assert "重大责任事故" in rows["QD01"]["标记"] and rows["QD01"]["总分"] == 90
    assert rows["QD02"]["总分"] == 55
    assert rows["QD03"]["总分"] == 85 and rows["QD03"]["等次"] == "良好" and rows["QD03"]["排名"] == 1
    assert "核定数" in rows["QD03"]["标记"]
    assert not any("未经考核评价" in str(r["标记"]) for r in rows.values())
    order = [r[2] for r in read_sheet(out, "排名")[2:] if isinstance(r[0], int | float)]
    assert order[-1] == "QD01"  # vetoed centers are listed after the ranked ones
    # the assessor's findings name the table's sheet and cell, as every finding does
    found = {r[1]: r for r in read_sheet(out, "校验问题")[1:]}
    for code in ("veto", "verified-differs"):
        _, _, file, sheet, cell, *_ = found[code]
        assert file == assessment.name and sheet and re.fullmatch(r"[A-Z]+\d+", cell), found[code]


def test_unknown_center_and_missing_roster_centers(tmp_path):
    fill_qingdao(tmp_path / "inbox")
    roster = tmp_path / "名录.csv"
    roster.write_text(
        "编号,名称,依托单位\nQD01,QD01分中心,a\nQD02,QD02分中心,b\nQD03,QD03分中心,c\nQD09,平度分中心,d\n",
        encoding="utf-8",
    )
    out = tmp_path / "rank.xlsx"
    result = CliRunner().invoke(
        cli, ["rank", "qingdao", str(tmp_path / "inbox"), "--roster", str(roster), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = ranking_rows(out)
    assert "QD04" not in rows
    missing = read_sheet(out, "未提交")
    assert [r[1] for r in missing[1:] if r[1]] == ["QD09"]
    codes = [r[1] for r in read_sheet(out, "校验问题")[1:]]
    assert "center-unknown" in codes and "center-missing" in codes


def test_ranking_is_the_same_whatever_the_file_names_and_order(tmp_path):
    fill_qingdao(tmp_path / "a")
    b = tmp_path / "b" / "sub"
    b.mkdir(parents=True)
    for n, src in enumerate(sorted((tmp_path / "a").glob("*.xlsx"), reverse=True)):
        shutil.copy(src, b / f"{9 - n}_附件.xlsx")
    outs = []
    for folder in ("a", "b"):
        out = tmp_path / f"{folder}.xlsx"
        assert (
            CliRunner().invoke(cli, ["rank", "qingdao", str(tmp_path / folder), "-o", str(out)]).exit_code
            == 0
        )
        outs.append(out)
    for sheet in ("排名", "得分明细"):
        assert read_sheet(outs[0], sheet) == read_sheet(outs[1], sheet)


def gd_values(n: int) -> dict[str, object]:
    return {ind.id: (n + 1) * 10 for ind in GD.indicators}


def test_guangdong_reviews_trimmed_mean_veto_and_missing(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    centers = GD.roster[:6]
    for n, entry in enumerate(centers):
        write_submission(inbox / f"{entry.code}.xlsx", GD, center=entry, values=gd_values(n))
    reviews = []
    parts = [p.id for p in GD.parts]
    for r, total in enumerate((60, 70, 80, 90, 100)):
        rows = {}
        for entry in centers[:-1]:  # the last center gets no review at all
            scale = total / 100
            rows[entry.code] = {pid: float(p.max) * scale for pid, p in zip(parts, GD.parts, strict=True)}
        if r == 2:
            rows[centers[0].code]["veto"] = "是"
            rows[centers[0].code]["veto_reason"] = "考核材料弄虚作假"
        path = tmp_path / f"评审人{r + 1}.xlsx"
        write_assessment(path, GD, rows=rows, reviewer=f"专家{r + 1}")
        reviews.append(path)
    out = tmp_path / "gd.xlsx"
    args = ["rank", "guangdong", str(inbox), "-o", str(out)]
    for p in reviews:
        args += ["--assessment", str(p)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    rows = ranking_rows(out)
    best = rows[centers[5].code]  # values 60 everywhere: the benchmark for every indicator
    assert best["定量得分"] == 100
    assert "定性评分缺失" in best["标记"]
    assert best["综合得分"] == 60  # 0.6 × 100 + 0.4 × 0
    # its review can move the others' quota grades: the console says so before anything is published
    assert "其他分中心的等次和支持金额也可能改变" in result.output
    second = rows[centers[4].code]  # values 50: 50/60 of every weight
    assert second["定量得分"] == pytest.approx(83.33, abs=0.005)
    assert second["定性得分"] == 80  # 60..100 with the highest and lowest dropped
    assert second["综合得分"] == pytest.approx(0.6 * 250 / 3 + 0.4 * 80, abs=0.005)
    vetoed = rows[centers[0].code]
    assert vetoed["排名"] in ("", None) and vetoed["等次"] == "不合格" and vetoed["支持金额（万元）"] == 0
    assert vetoed["标记"] == "一票否决"  # the file that marked it is named on 校验问题
    vetoes = [r for r in read_sheet(out, "校验问题")[1:] if r[1] == "review-veto"]
    assert any("评审人3" in r[2] and r[5] == vetoed["名称"] for r in vetoes)
    ranked = [r for r in rows.values() if r["排名"] not in ("", None)]
    assert len(ranked) == 5
    # 5 ranked: 1 优秀 (5 × 0.2 = 1), 3 优秀+良好 (5 × 0.6 = 3)
    assert sorted(r["等次"] for r in ranked) == sorted(["优秀", "良好", "良好", "合格", "合格"])
    missing = [r[1] for r in read_sheet(out, "未提交")[1:] if r[1]]
    assert len(missing) == 32 - 6


def test_guangdong_without_reviews_final_is_quantitative(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n, entry in enumerate(GD.roster[:3]):
        write_submission(inbox / f"{entry.code}.xlsx", GD, center=entry, values=gd_values(n))
    out = tmp_path / "gd.xlsx"
    assert CliRunner().invoke(cli, ["rank", "guangdong", str(inbox), "-o", str(out)]).exit_code == 0
    for row in ranking_rows(out).values():
        assert row["综合得分"] == row["定量得分"]
        assert row["定性得分"] in ("", None)
    notes = [r[1] for r in read_sheet(out, "说明") if len(r) > 1]
    assert any("综合得分即定量得分" in str(n) for n in notes)


def test_validate_exit_codes(tmp_path):
    fill_qingdao(tmp_path / "inbox")
    result = CliRunner().invoke(
        cli, ["validate", "qingdao", str(tmp_path / "inbox"), "-o", str(tmp_path / "v.xlsx")]
    )
    assert result.exit_code == 1  # QD04 has an error
    (tmp_path / "inbox" / "QD04.xlsx").unlink()
    result = CliRunner().invoke(
        cli, ["validate", "qingdao", str(tmp_path / "inbox"), "-o", str(tmp_path / "v.xlsx")]
    )
    assert result.exit_code == 0, result.output


def test_receipts_command(tmp_path):
    fill_qingdao(tmp_path / "inbox")
    result = CliRunner().invoke(
        cli, ["receipts", "qingdao", str(tmp_path / "inbox"), "-o", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "r").glob("*.xlsx"))) == 4


def test_demo_runs_on_generated_samples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no sample_inputs here: the demo builds them
    result = CliRunner().invoke(cli, ["demo", "-o", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "青岛_2017年度考核结果.xlsx").is_file()
    assert (tmp_path / "demo" / "广东_2019年度监测评估结果.xlsx").is_file()


def test_print_fit_is_explicit_for_every_reader(tmp_path):
    """openpyxl (and some WPS versions) read a missing fitToWidth as 'none'; we write it."""
    import openpyxl

    fill_qingdao(tmp_path / "inbox")
    out = tmp_path / "rank.xlsx"
    assert (
        CliRunner().invoke(cli, ["rank", "qingdao", str(tmp_path / "inbox"), "-o", str(out)]).exit_code == 0
    )
    ws = openpyxl.load_workbook(out)["排名"]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$2:$2"
    sub = openpyxl.load_workbook(tmp_path / "inbox" / "QD01.xlsx")[QD.submission["sheet"]]
    assert int(sub.page_setup.fitToWidth) == 1 and int(sub.page_setup.fitToHeight) == 1


def test_strict_leaves_erroneous_centers_out_of_ranking_and_benchmark(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    a, b, c = GD.roster[:3]
    write_submission(inbox / "a.xlsx", GD, center=a, values=gd_values(0))  # 10 everywhere
    write_submission(inbox / "b.xlsx", GD, center=b, values=gd_values(1))  # 20 everywhere
    bad = {**gd_values(9), "roadshow_events": "若干"}  # 100 everywhere but one unreadable cell
    write_submission(inbox / "c.xlsx", GD, center=c, values=bad)
    out = tmp_path / "gd.xlsx"
    result = CliRunner().invoke(cli, ["rank", "guangdong", str(inbox), "--strict", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = ranking_rows(out)
    assert rows[c.code]["排名"] in ("", None) and "数据有误" in rows[c.code]["标记"]
    assert rows[b.code]["排名"] == 1 and rows[b.code]["定量得分"] == 100  # the best of those ranked
    assert rows[a.code]["定量得分"] == 50


def test_year_is_the_schemes_never_the_majority_of_files(tmp_path):
    inbox = tmp_path / "inbox"
    roster = fill_qingdao(inbox)
    for entry in roster[:3]:  # three of four clerks reused next year's form by mistake
        write_submission(
            inbox / f"{entry.code}.xlsx", QD, center=entry, year=2018, values=QD_CASES[entry.code]
        )
    out = tmp_path / "rank.xlsx"
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(inbox), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "考核年度：2017年（取自考核方案" in result.output
    assert "有 3 份填报的是 2018 年度" in result.output and "--year 2018" in result.output
    assert set(ranking_rows(out)) == {"QD04"}  # the one right file is ranked
    wrong = [r for r in read_sheet(out, "校验问题")[1:] if r[1] == "wrong-year"]
    assert len(wrong) == 3 and all(r[0] == "错误" for r in wrong)
    notes = [str(c) for row in read_sheet(out, "说明") for c in row]
    assert any("考核年度：2017年（取自考核方案" in c for c in notes)
    # --year says otherwise: the 2018 files are the assessment, the 2017 one a finding
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(inbox), "--year", "2018", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "考核年度：2018年（按 --year 指定）" in result.output
    assert set(ranking_rows(out)) == {"QD01", "QD02", "QD03"}


def test_an_inbox_with_nothing_readable_ranks_nothing_and_says_so(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "说明.docx").write_bytes(b"x")
    (inbox / "坏.xlsx").write_bytes(b"PK\x03\x04broken")
    out = tmp_path / "rank.xlsx"
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(inbox), "-o", str(out)])
    assert result.exit_code == 3
    assert "没有可以排名的填报表" in result.output and "坏.xlsx" in result.output
    assert not out.exists()
    result = CliRunner().invoke(cli, ["validate", "qingdao", str(inbox), "-o", str(tmp_path / "v.xlsx")])
    assert result.exit_code == 1 and "没有读取到任何填报表" in result.output
    # every file of another year: nothing is ranked, and the message offers the year the files carry
    write_submission(inbox / "QD01.xlsx", QD, center=RosterEntry("QD01", "QD01分中心", ""), year=2018)
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(inbox), "-o", str(out)])
    assert result.exit_code == 3 and "--year 2018" in result.output and not out.exists()


def _many_submissions(inbox: Path, n: int) -> None:
    """n Qingdao submissions, every fifth with a figure typed as text: enough files for several processes."""
    inbox.mkdir(parents=True)
    for k in range(n):
        entry = RosterEntry(code=f"QD{k:03d}", name=f"第{k}分中心", host_unit=f"第{k}依托单位")
        values = {**QD_CASES["QD01"], "enterprise_info": 30 + k, "finance_events": 12 + k % 9}
        if k % 5 == 0:
            values["financing_needs"] = f"约{100 + k}"
        write_submission(inbox / f"{entry.code}.xlsx", QD, center=entry, values=values)


def workbook_values(path: Path) -> dict[str, list[list]]:
    """Every sheet's cell values, the run time masked (it is the only thing two runs may differ in): to the
    second, and to the minute as a receipt's 读取时间 gives it (two runs on either side of a minute failed CI)."""
    book = CalamineWorkbook.from_path(str(path))
    stamp = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?|\d{4}年\d{1,2}月\d{1,2}日")
    return {
        name: [[stamp.sub("<time>", v) if isinstance(v, str) else v for v in row] for row in rows]
        for name in book.sheet_names
        for rows in [book.get_sheet_by_name(name).to_python()]
    }


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("many") / "inbox"
    _many_submissions(inbox, 60)
    return inbox


def test_jobs_1_and_jobs_2_rank_the_same(many, tmp_path):
    books = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"rank_{jobs}.xlsx"
        result = CliRunner().invoke(cli, ["rank", "qingdao", str(many), "--jobs", jobs, "-o", str(out)])
        assert result.exit_code == 0, result.output
        books[jobs] = workbook_values(out)
    assert books["1"] == books["2"]
    assert len(ranking_rows(tmp_path / "rank_1.xlsx")) == 60
    assert any("<time>" in str(row) for row in books["1"]["说明"])  # the mask hides the run time only
    for jobs in ("1", "2"):
        result = CliRunner().invoke(
            cli, ["validate", "qingdao", str(many), "--jobs", jobs, "-o", str(tmp_path / "v.xlsx")]
        )
        assert result.exit_code == 1 and "错误 12 条" in result.output, result.output


def test_jobs_1_and_jobs_2_write_the_same_receipts(many, tmp_path):
    from kjjr_excel.app import Inbox, write_receipts

    folders = {}
    for jobs in (1, 2):
        folders[jobs] = tmp_path / f"receipts_{jobs}"
        written = write_receipts(Inbox(QD, (many,), jobs=jobs), folders[jobs])
        assert written.receipts == 60
    names = sorted(p.name for p in folders[1].iterdir())
    assert names == sorted(p.name for p in folders[2].iterdir()) and len(names) == 60
    for name in names:
        assert workbook_values(folders[1] / name) == workbook_values(folders[2] / name), name


@pytest.mark.parametrize("command", ["rank", "validate", "template"])
def test_jobs_must_be_at_least_one(command, tmp_path):
    args = [command, "qingdao"] + ([] if command == "template" else [str(tmp_path)])
    result = CliRunner().invoke(cli, [*args, "--jobs", "0"])
    assert result.exit_code == 2 and "--jobs" in result.output and "取值无效" in result.output
    assert "进程数" in CliRunner().invoke(cli, [command, "--help"]).output


def test_template_per_center_without_roster_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["template", "qingdao", "--per-center", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "--per-center 需要名录" in result.output and "用法" in result.output


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_rank_pdf_comes_after_the_summary(tmp_path):
    fill_qingdao(tmp_path / "inbox")
    out = tmp_path / "out" / "rank.xlsx"
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(tmp_path / "inbox"), "-o", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    lines = result.output.splitlines()
    assert lines[-2:] == [f"已生成：{out}", f"已生成：{pdf}"]


@pytest.mark.parametrize("variable", [None, "LibreOfficePortable/soffice.exe"])
def test_rank_pdf_without_libreoffice_still_ranks(tmp_path, variable):
    """Nothing on PATH nor in the install places (or KJJR_SOFFICE naming a file that is not there, which
    wins over the soffice on PATH): the workbook is written, exit 0, and the last line says what to do."""
    fill_qingdao(tmp_path / "inbox")
    out = tmp_path / "out" / "rank.xlsx"
    named = str(tmp_path / variable) if variable else None
    env = {"KJJR_SOFFICE": named} if named else {"KJJR_SOFFICE": None, "PATH": str(tmp_path / "no-programs")}
    args = ["rank", "qingdao", str(tmp_path / "inbox"), "-o", str(out), "--pdf"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert out.is_file() and not out.with_suffix(".pdf").exists()
    last = result.output.splitlines()[-1]
    assert last.startswith("未生成PDF：") and last.endswith("也可以在Excel中打印“排名”表。")
    if named is None:
        assert "未找到 LibreOffice。请安装 LibreOffice" in last and "KJJR_SOFFICE" in last
    else:
        assert f"环境变量 KJJR_SOFFICE 指定的“{named}”不存在" in last


def test_jobs_1_and_jobs_2_write_the_same_templates(tmp_path):
    from kjjr_excel.write.template import CENTERS_PER_JOB

    n = 2 * CENTERS_PER_JOB + 3  # enough for two processes
    roster = tmp_path / "名录.csv"
    lines = ["编号,名称,依托单位"] + [f"QD{k:03d},第{k}分中心,第{k}依托单位" for k in range(n)]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    names = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"templates_{jobs}"
        args = [
            "template",
            "qingdao",
            "--roster",
            str(roster),
            "--per-center",
            "--assessment",
            "--jobs",
            jobs,
        ]
        result = CliRunner().invoke(cli, [*args, "-o", str(out)])
        assert result.exit_code == 0, result.output
        names[jobs] = sorted(p.name for p in out.iterdir())
    assert names["1"] == names["2"] and len(names["1"]) == n + 2
    for name in names["1"]:
        assert workbook_values(tmp_path / "templates_1" / name) == workbook_values(
            tmp_path / "templates_2" / name
        )


def test_a_form_sent_back_blank_is_no_submission_and_never_replaces_the_real_one(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    a, b, c, d = GD.roster[:4]
    old = datetime(2020, 3, 1)
    for n, entry in enumerate((a, b, c)):
        write_submission(inbox / f"{entry.code}.xlsx", GD, center=entry, values=gd_values(n), created=old)
    alone = tmp_path / "alone.xlsx"
    assert CliRunner().invoke(cli, ["rank", "guangdong", str(inbox), "-o", str(alone)]).exit_code == 0
    # a's form again, blank and saved later (a 催报's attachment saved into the inbox): newest, yet nothing in it
    write_submission(inbox / f"{a.code}-催报附件.xlsx", GD, center=a, created=datetime(2020, 4, 1))
    # d sent back the form the office mailed, untouched
    forms = tmp_path / "forms"
    made = CliRunner().invoke(cli, ["template", "guangdong", "--per-center", "-o", str(forms)])
    assert made.exit_code == 0, made.output
    shutil.copy(next(forms.glob(f"*_{d.code}_*.xlsx")), inbox / f"{d.code}.xlsx")
    out = tmp_path / "gd.xlsx"
    result = CliRunner().invoke(cli, ["rank", "guangdong", str(inbox), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = ranking_rows(out)
    assert set(rows) == {a.code, b.code, c.code}  # four ranked would shift the shares each grade gets
    before = ranking_rows(alone)
    for code in rows:  # a's own figures, not the blank form's zeros; nobody's grade or money moved
        assert [rows[code][k] for k in ("定量得分", "等次", "排名")] == [
            before[code][k] for k in ("定量得分", "等次", "排名")
        ]
    missing = [r[1] for r in read_sheet(out, "未提交")[1:]]
    assert d.code in missing and a.code not in missing
    empty = [r for r in read_sheet(out, "校验问题") if "一项也没有填写" in " ".join(map(str, r))]
    assert sorted(next(v for v in r if str(v).endswith(".xlsx")) for r in empty) == sorted(
        [f"{a.code}-催报附件.xlsx", f"{d.code}.xlsx"]
    )


def test_a_budget_too_small_for_the_floors_is_said_on_the_console(tmp_path):
    """The notice: 合格及以上等次的分中心给予20万元以上的补助. A budget of 30 万元 for two 优秀 centers cannot
    give each its 20 万元: it is shared evenly (15 each), and only the 排名 foot said so; the console of
    kjjr rank said nothing, and the analyst went on to publish and pay."""
    roster = fill_qingdao(tmp_path / "inbox")
    assessment = tmp_path / "考核评价表.xlsx"
    write_assessment(assessment, QD, roster=roster, rows={"QD02": {"major_contribution": 10}})
    copy = tmp_path / "qd-budget.toml"
    assert CliRunner().invoke(cli, ["scheme", "new", "--from", "qingdao", "-o", str(copy)]).exit_code == 0
    copy.write_text(re.sub(r"(?m)^budget = 0\b", "budget = 30", copy.read_text("utf-8")), "utf-8")
    out = tmp_path / "rank.xlsx"
    args = ["rank", str(copy), str(tmp_path / "inbox"), "--assessment", str(assessment), "-o", str(out)]
    result = CliRunner().invoke(cli, args, color=True)
    assert result.exit_code == 0, result.output
    rows = ranking_rows(out)
    assert rows["QD01"]["补助金额（万元）"] == rows["QD03"]["补助金额（万元）"] == 15
    said = click.style(
        "注意：补助总额 30 万元不足以给合格及以上的 2 个分中心每个保底 20 万元，已按总额平均分配（每个 15 万元），"
        "达不到“合格及以上等次的分中心给予20万元以上的补助”。请核对考核方案中的补助总额（[subsidy] budget）"
        "后重新排名，再公示和发放。",
        fg="yellow",
    )
    assert said in result.output, result.output


def test_a_copy_of_the_scheme_made_after_the_forms_went_out_reads_them(tmp_path):
    """The 市科技局 sets the subsidy budget after the assessment: the analyst copies the shipped scheme
    (kjjr scheme new), sets the budget and ranks the forms and the assessor's table made from the shipped
    scheme. The copy's forms are the same (same layout), so they are read, and the budget is what is paid:
    floor 20 each, the rest in proportion to score, 0.01 万元 by largest remainder."""
    roster = fill_qingdao(tmp_path / "inbox")
    assessment = tmp_path / "考核评价表.xlsx"
    write_assessment(assessment, QD, roster=roster, rows={"QD02": {"major_contribution": 10}})
    copy = tmp_path / "qd-budget.toml"
    result = CliRunner().invoke(cli, ["scheme", "new", "--from", "qingdao", "-o", str(copy)])
    assert result.exit_code == 0, result.output
    copy.write_text(re.sub(r"(?m)^budget = 0\b", "budget = 100", copy.read_text("utf-8")), "utf-8")
    out = tmp_path / "rank.xlsx"
    args = ["rank", str(copy), str(tmp_path / "inbox"), "--assessment", str(assessment), "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    rows = ranking_rows(out)
    assert sorted(rows) == ["QD01", "QD02", "QD03", "QD04"]
    assert not any(r[1] == "wrong-scheme" for r in read_sheet(out, "校验问题")[1:])
    # QD01 and QD03 90 (优秀), QD02 48 + 10 = 58 and QD04 57.5 不合格: 100 − 2×20 = 60 shared 90:90
    assert rows["QD01"]["补助金额（万元）"] == rows["QD03"]["补助金额（万元）"] == 50
    assert rows["QD02"]["补助金额（万元）"] == rows["QD04"]["补助金额（万元）"] == 0


def test_a_run_hands_every_object_back_to_the_garbage_collector(tmp_path):
    """run_rank and rank's write keep what was read out of the collector's passes while they allocate
    (gc.freeze); a program calling them finds nothing left frozen, its own garbage collected as before."""
    import gc

    from kjjr_excel.app import read_kept

    fill_qingdao(tmp_path / "inbox")
    assert gc.get_freeze_count() == 0
    result = CliRunner().invoke(
        cli, ["rank", "qingdao", str(tmp_path / "inbox"), "-o", str(tmp_path / "r.xlsx")]
    )
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == 0
    with pytest.raises(ValueError), read_kept():
        assert gc.get_freeze_count() > 0
        raise ValueError
    assert gc.get_freeze_count() == 0

"""read/submission.py: one reader per run reads each file as a fresh one would; what came by mail remembers
its mail, readable or not."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from kjjr_fixtures import build_submission, good_values, real_submission

from kjjr_excel.domain.layout import layout
from kjjr_excel.domain.model import MailOrigin
from kjjr_excel.domain.scheme import load_scheme, resolve_scheme_path
from kjjr_excel.read.mail import MemberFile
from kjjr_excel.read.submission import READ, UNREADABLE, SubmissionReader, read_submission

GD = load_scheme("guangdong-2019")
QD = load_scheme("qingdao-2017")


def test_a_clean_file_is_read_by_position(tmp_path):
    path = real_submission(tmp_path / "a.xlsx", GD, values=good_values(GD))
    outcome = read_submission(path, "a.xlsx", GD)
    assert outcome.file.status == READ and outcome.findings == []
    sub = outcome.submission
    assert sub.recognised_by == "meta" and sub.sheet == layout(GD).sheet
    assert set(sub.values) == {ind.id for ind in GD.self_indicators}


def test_one_reader_reads_several_schemes_files_apart(tmp_path):
    """A reader belongs to its scheme: a Qingdao file read by a Guangdong reader is the wrong scheme, and a
    reader that saw it reads its own scheme's files as a fresh one does."""
    gd = real_submission(tmp_path / "gd.xlsx", GD, values=good_values(GD))
    qd = real_submission(tmp_path / "qd.xlsx", QD, values=good_values(QD))
    reader = SubmissionReader(GD)
    wrong = reader.read(qd, "qd.xlsx")
    assert wrong.submission is None and [f.code for f in wrong.findings] == ["wrong-scheme"]
    assert reader.read(gd, "gd.xlsx") == SubmissionReader(GD).read(gd, "gd.xlsx")


def test_a_copy_of_the_scheme_reads_the_shipped_forms_unless_it_changed_them(tmp_path):
    """A copy (kjjr scheme new) that changes the scoring only reads the forms made from the shipped scheme; one
    that changed the form does not, and says which scheme by its id too, the titles being the same."""
    path = real_submission(tmp_path / "qd.xlsx", QD, values=good_values(QD))
    text = resolve_scheme_path("qingdao").read_text(encoding="utf-8")
    scoring = tmp_path / "budget.toml"
    scoring.write_text(
        text.replace('id = "qingdao-2017"', 'id = "qd-budget"').replace("budget = 0", "budget = 200")
    )
    outcome = read_submission(path, "qd.xlsx", load_scheme(scoring))
    assert outcome.file.status == READ and outcome.findings == []
    assert outcome.submission.values["enterprise_info"].value == good_values(QD)["enterprise_info"]
    form = tmp_path / "form.toml"
    form.write_text(text.replace('id = "qingdao-2017"', 'id = "qd-form"').replace("人员配备", "专职人员配备"))
    outcome = read_submission(path, "qd.xlsx", load_scheme(form))
    assert outcome.submission is None and [f.code for f in outcome.findings] == ["wrong-scheme"]
    assert outcome.findings[0].message.startswith(
        "这是“青岛市科技金融服务分中心考核（方案 qingdao-2017）”的模板，"
        "不是本次考核“青岛市科技金融服务分中心考核（方案 qd-form）”的模板。"
    )


def test_a_mail_attachment_remembers_its_mail_readable_or_not(tmp_path):
    origin = MailOrigin("m.eml", "a@example.cn", "张三")
    good = build_submission(tmp_path / "g.xlsx", GD, values=good_values(GD))
    read = read_submission(MemberFile("m.eml › g.xlsx", "g.xlsx", good.read_bytes(), origin), "g", GD)
    assert read.submission.origins == (origin,) and read.file.origin == origin
    assert read.file.status == READ and read.file.size == good.stat().st_size
    broken = read_submission(MemberFile("m.eml › b.xlsx", "b.xlsx", b"PK\x03\x04broken", origin), "b", GD)
    assert broken.submission is None and broken.file.status == UNREADABLE and broken.file.origin == origin
    assert broken.file.sha256 and [f.code for f in broken.findings] == ["file-corrupt"]


def test_an_unreadable_path_is_a_finding(tmp_path):
    outcome = read_submission(tmp_path / "gone.xlsx", "gone.xlsx", GD)
    assert outcome.submission is None and outcome.file.status == UNREADABLE
    assert len(outcome.findings) == 1 and outcome.findings[0].file == "gone.xlsx"


EXAMPLES = Path(__file__).parent / "examples"


def test_a_renamed_data_sheet_is_said_to_be_renamed_not_restructured(tmp_path):
    """The clerk renamed 考核指标 in LibreOffice (_meta intact, no row or column touched): the finding says the
    sheet was renamed, a 提示, not that rows or columns were inserted or deleted; the figures are all read."""
    path = EXAMPLES / "qd-data-sheet-renamed" / "inbox" / "崂山分中心.xlsx"
    outcome = read_submission(path, "崂山分中心.xlsx", QD)
    assert [(f.code, f.severity.value, f.sheet) for f in outcome.findings] == [
        ("sheet-renamed", "提示", "崂山分中心数据")
    ]
    assert "“崂山分中心数据”（模板中为“考核指标”）" in outcome.findings[0].message
    assert set(outcome.submission.values) == {ind.id for ind in QD.self_indicators}
    # rows inserted as well as the sheet renamed: still the structure's finding
    moved = tmp_path / "moved.xlsx"
    book = openpyxl.load_workbook(path)
    book["崂山分中心数据"].insert_rows(11)
    book.save(moved)
    assert [f.code for f in read_submission(moved, "moved.xlsx", QD).findings] == ["layout-tampered"]


def test_a_figure_typed_in_the_unit_column_is_named_and_never_used():
    """F12 left empty and 50 typed into G12 (the unit column, protection removed in LibreOffice): the error
    says G12 holds the figure and to move it to F12, and the figure is not used."""
    path = EXAMPLES / "qd-figure-in-unit-column" / "inbox" / "崂山分中心.xlsx"
    outcome = read_submission(path, "崂山分中心.xlsx", QD)
    assert [(f.code, f.cell, f.indicator) for f in outcome.findings] == [
        ("value-beside", "F12", "enterprise_info")
    ]
    message = outcome.findings[0].message
    assert "F12 单元格未填写，右侧的 G12 单元格却填写了“50”" in message and "请把数字移到 F12" in message
    assert outcome.submission.values["enterprise_info"].value is None


def test_a_figure_typed_elsewhere_on_its_row_is_named_and_never_used(tmp_path):
    """F12 left empty and 50 typed over the 预计得分 formula in H12 (LibreOffice): the error names H12 and asks
    for the figure in F12, never "未填写" alone, and 50 is not used. The same figure in Guangdong's 填报提示
    column, or just left of the value cell (over 分值), is named too; 序号 and the label are never taken."""
    path = EXAMPLES / "qd-figure-over-score-formula" / "inbox" / "崂山分中心.xlsx"
    outcome = read_submission(path, "崂山分中心.xlsx", QD)
    assert [(f.code, f.cell, f.indicator) for f in outcome.findings] == [
        ("value-in-row", "F12", "enterprise_info")
    ]
    assert "同一行的 H12 单元格却填写了“50”" in outcome.findings[0].message
    assert outcome.submission.values["enterprise_info"].value is None
    book = openpyxl.load_workbook(real_submission(tmp_path / "gd.xlsx", GD, values=good_values(GD)))
    sheet = book[layout(GD).sheet]
    sheet["C13"], sheet["E13"] = None, 11
    book.save(tmp_path / "hint.xlsx")
    found = read_submission(tmp_path / "hint.xlsx", "hint.xlsx", GD).findings
    assert [(f.code, f.cell, f.value) for f in found] == [("value-in-row", "C13", "")]
    assert "同一行的 E13 单元格却填写了“11”" in found[0].message
    qd = openpyxl.load_workbook(path)
    qd["考核指标"]["H12"], qd["考核指标"]["E12"] = None, 50  # over 分值 (0-10), left of F12
    qd.save(tmp_path / "left.xlsx")
    found = read_submission(tmp_path / "left.xlsx", "left.xlsx", QD).findings
    assert [(f.code, f.cell) for f in found] == [("value-in-row", "F12")] and "E12" in found[0].message
    qd["考核指标"]["E12"] = (
        "0-10"  # nothing typed anywhere on the row: only 未填写 (序号 1 in A12 is no figure)
    )
    qd.save(tmp_path / "empty.xlsx")
    found = read_submission(tmp_path / "empty.xlsx", "empty.xlsx", QD).findings
    assert [(f.code, f.cell) for f in found] == [("value-missing", "F12")]


def test_a_value_cell_covered_by_a_merge_is_an_error_not_a_hidden_figure(tmp_path):
    """F14:F15 merged in LibreOffice, F15's 17 kept but shown nowhere: not scored, an error naming the range;
    the first cell of a merge (F14, shown) is read as usual. The same in a Guangdong form saved as .xls."""
    path = EXAMPLES / "qd-value-cells-merged" / "inbox" / "崂山分中心.xlsx"
    outcome = read_submission(path, path.name, QD)
    assert [(f.code, f.cell, f.value) for f in outcome.findings] == [("value-merged", "F15", "17")]
    assert outcome.submission.values["finance_events"].value is None
    assert outcome.submission.values["monthly_reports"].value == 12
    book = openpyxl.load_workbook(real_submission(tmp_path / "gd.xlsx", GD, values=good_values(GD)))
    book[layout(GD).sheet].merge_cells("C13:C14")  # openpyxl keeps C14's value out of sight too
    book.save(tmp_path / "merged.xlsx")
    found = read_submission(tmp_path / "merged.xlsx", "merged.xlsx", GD).findings
    assert [(f.code, f.cell) for f in found] == [("value-merged", "C14")]
    assert "被合并到 C13:C14 中" in found[0].message


def test_a_merge_too_wide_to_list_cell_by_cell_still_hides_the_cells_it_covers(tmp_path):
    """A merge over more cells than a batch lists (BookCache.COVERED_CELLS) is looked at per wanted cell: the
    same finding, whether the batch has seen the ranges before or not."""
    book = openpyxl.load_workbook(real_submission(tmp_path / "gd.xlsx", GD, values=good_values(GD)))
    book[layout(GD).sheet].merge_cells("C13:J999")
    book.save(tmp_path / "wide.xlsx")
    found = read_submission(tmp_path / "wide.xlsx", "wide.xlsx", GD).findings
    merged = [f for f in found if f.code == "value-merged"]
    assert merged and {f.cell for f in merged} >= {"C14", "C15"}
    assert all("被合并到 C13:J999 中" in f.message for f in merged)


def test_a_blank_form_sheet_beside_a_filled_copy_reads_the_copy():
    """考核指标 copied to 考核指标 (2) in LibreOffice, the copy filled and the original left blank: the copy is
    the form (a 提示), and the blank original is no second form in conflict with it."""
    path = EXAMPLES / "qd-sheet-copy-filled" / "inbox" / "崂山分中心.xlsx"
    outcome = read_submission(path, path.name, QD)
    assert [(f.code, f.sheet) for f in outcome.findings] == [("sheet-copy-filled", "考核指标 (2)")]
    assert outcome.submission.center_code == "QD01" and outcome.submission.sheet == "考核指标 (2)"
    assert outcome.submission.values["enterprise_info"].value == 50


def test_a_formula_linking_another_workbook_is_a_warning():
    """F12 linked to 市北's file in LibreOffice (an external link, [1]考核指标!F12 in the .xlsx): its saved figure
    is read, with a warning that it comes from another file, not the plain formula-cached 提示."""
    path = EXAMPLES / "qd-formula-other-file" / "inbox" / "崂山分中心.xlsx"
    outcome = read_submission(path, path.name, QD)
    assert [(f.code, f.cell, f.severity.value) for f in outcome.findings] == [
        ("formula-external", "F12", "警告")
    ]
    assert outcome.submission.values["enterprise_info"].value == 40


@pytest.mark.parametrize(
    ("formula", "external"),
    [
        ("=[1]考核指标!F12", True),
        ("='[1]Sheet 1'!A1", True),
        ("='C:\\报表\\[市北.xlsx]考核指标'!F12", True),
        ("='file:///tmp/shibei.xlsx'#$考核指标.F12", True),
        ("=SUM(表1[2017])", False),  # a table's column, not a link
        ("=表1[[#Totals],[2017]]", False),
        ('=HYPERLINK("http://kjj.qingdao.gov.cn",4)', False),
        ("='考核指标 (2)'!F12", False),
        ("=SUM(F12:F13)*2", False),
    ],
)
def test_only_a_link_to_another_workbook_is_an_external_formula(formula, external):
    from kjjr_excel.read.submission import _EXTERNAL_REFERENCE

    assert bool(_EXTERNAL_REFERENCE.search(formula)) is external


def test_another_center_s_sheet_in_the_workbook_is_said_and_not_compared():
    """崂山's workbook with the data sheet copied as 市北 and filled in for 市北 (LibreOffice): 崂山's figures
    are read as usual, not made errors by 市北's; a warning says the sheet is another center's and unread."""
    path = EXAMPLES / "qd-two-centers-one-workbook" / "inbox" / "崂山分中心和市北分中心.xlsx"
    outcome = read_submission(path, path.name, QD)
    assert [(f.code, f.severity.value, f.center) for f in outcome.findings] == [
        ("sheet-other-center", "警告", "崂山区科技金融服务分中心")
    ]
    assert "“市北”中的数据没有读取" in outcome.findings[0].message
    assert not any(v.error for v in outcome.submission.values.values())
    assert outcome.submission.center_code == "QD01"


def test_a_header_typed_as_label_and_value_in_one_cell_is_read_with_a_note(tmp_path):
    """A3 retyped in LibreOffice as 分中心名称：崂山区科技金融服务分中心, C3 left empty: the name is read from A3
    with a 提示 naming the cell, by position (_meta kept) and by labels (_meta deleted) alike."""
    path = EXAMPLES / "qd-name-in-label-cell" / "inbox" / "崂山分中心.xlsx"
    book = openpyxl.load_workbook(path)
    del book["_meta"]
    no_meta = tmp_path / "no-meta.xlsx"
    book.save(no_meta)
    for source, other in ((path, []), (no_meta, ["recognised-by-labels"])):
        outcome = read_submission(source, "崂山分中心.xlsx", QD)
        assert outcome.submission.center_name == "崂山区科技金融服务分中心"
        assert outcome.submission.header_cells["center_name"] == "A3"
        assert sorted(f.code for f in outcome.findings) == sorted(["header-inline", *other])
        note = next(f for f in outcome.findings if f.code == "header-inline")
        assert (note.severity.value, note.cell, note.value) == (
            "提示",
            "A3",
            "分中心名称：崂山区科技金融服务分中心",
        )
        assert "已按“崂山区科技金融服务分中心”读取" in note.message
        assert set(outcome.submission.values) == {ind.id for ind in QD.self_indicators}


def test_a_reporting_unit_is_read_as_the_name_only_where_it_names_a_center():
    """A clerk's own table headed 填报单位 (no 分中心名称): 填报单位：崂山区科技金融服务分中心 in one cell is the
    center's name, read with a 提示; 市北区科技局 (the host unit) names no center: a warning says why it was not
    used, and the name stays missing (the center is still known by its 编号)."""
    inbox = EXAMPLES / "qd-retyped-reporting-unit" / "inbox"
    laoshan = read_submission(inbox / "崂山分中心自填表.xlsx", "崂山分中心自填表.xlsx", QD)
    assert laoshan.submission.center_name == "崂山区科技金融服务分中心"
    assert [(f.code, f.cell) for f in laoshan.findings] == [
        ("recognised-by-labels", ""),
        ("header-reporting-unit", "A1"),
    ]
    shibei = read_submission(inbox / "市北分中心自填表.xlsx", "市北分中心自填表.xlsx", QD)
    assert (shibei.submission.center_name, shibei.submission.center_code) == ("", "QD02")
    unclear = shibei.findings[-1]
    assert (unclear.code, unclear.cell, unclear.severity.value) == (
        "header-reporting-unit-unclear",
        "B1",
        "警告",
    )
    assert "“市北区科技局”不是分中心的名称" in unclear.message


def _own_table(path: Path, labels: dict[str, str]) -> Path:
    """Qingdao's table typed by a clerk: label and figure per row, each label as given or the form's own."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "考核指标"
    ws.append(["分中心名称", "崂山区科技金融服务分中心"])
    ws.append(["考核年度", 2017])
    for n, ind in enumerate(QD.self_indicators):
        ws.append([labels.get(ind.id, ind.input_label), 10 + n])
    wb.save(path)
    return path


def test_a_retyped_label_in_a_unit_of_the_same_meaning_or_with_other_commas_is_read(tmp_path):
    path = _own_table(
        tmp_path / "own.xlsx",
        {
            "monthly_reports": "按时提报统计信息的月数（月）",  # the form: （0-12）, unit 个月
            "finance_events": "举办项目路演，专题培训；讲座,论坛等科技金融活动（次）",  # 、 retyped; unit 场
            "fulltime_staff": "实际到位的科技金融专职人员（人）",  # unit 名
        },
    )
    outcome = read_submission(path, "own.xlsx", QD)
    assert [f.code for f in outcome.findings] == ["recognised-by-labels"]
    values = outcome.submission.values
    assert [values[i].value for i in ("monthly_reports", "finance_events", "fulltime_staff")] == [12, 13, 16]


def test_a_retyped_label_in_another_unit_is_not_read_and_says_so(tmp_path):
    path = _own_table(tmp_path / "own.xlsx", {"enterprise_info": "本年度新增录入科技型企业信息（条）"})  # 家
    outcome = read_submission(path, "own.xlsx", QD)
    wrong = [f for f in outcome.findings if f.code == "value-row-unit"]
    assert [(f.cell, f.indicator, f.severity.value) for f in wrong] == [("A3", "enterprise_info", "错误")]
    assert "写明的单位是“条”（A3 单元格），与本项的单位“家”不同" in wrong[0].message
    assert outcome.submission.values["enterprise_info"].error


def test_an_indicators_own_label_wins_over_another_unit_of_the_same_meaning(tmp_path):
    """A scheme whose two rows differ only in a count unit (…（个） and …（项）, 项 and 个 meaning the same in a
    retyped label): each label as the form prints it names its own row, never both."""
    text = resolve_scheme_path("qingdao").read_text(encoding="utf-8")
    text = text.replace("推动落实的科技金融专项政策（项）", "专项政策（个）").replace(
        "依托机构发布的新政策或特色产品（项）", "专项政策（项）"
    )
    custom = tmp_path / "units.toml"
    custom.write_text(text.replace('id = "qingdao-2017"', 'id = "qd-units"'), encoding="utf-8")
    scheme = load_scheme(custom)
    rows = {i.id: i.input_label for i in scheme.self_indicators}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["分中心名称", "崂山区科技金融服务分中心"])
    ws.append(["考核年度", 2017])
    for n, ind in enumerate(scheme.self_indicators):
        ws.append([rows[ind.id], 10 + n])
    wb.save(tmp_path / "own.xlsx")
    outcome = read_submission(tmp_path / "own.xlsx", "own.xlsx", scheme)
    values = outcome.submission.values
    assert (values["policies_implemented"].cell, values["new_policies_products"].cell) == ("B7", "B8")
    assert not any(f.code.startswith("value-row") for f in outcome.findings)


def _gd_own_table(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["名称", "汕头分中心"], ["编号", "GD01"], ["评估年度", "2019年"], *rows]:
        ws.append(row)
    wb.save(path)
    return path


def test_a_unit_written_beside_a_figure_is_checked_like_one_after_its_label(tmp_path):
    """元 in the unit column beside 5000000 where the row counts 万元 was read as 5000000 万元 (500亿元), with
    no word: the row is now not read and the error names the unit's cell. A unit that agrees, or means the
    same (万 for 万元, 个 for 家), and a note that is no unit, leave the figure read."""
    path = _gd_own_table(
        tmp_path / "own.xlsx",
        [
            ["二级指标", "数量", "单位"],
            ["入驻银行机构", 12, "个"],
            ["撮合贷款金额", 5000000, "元"],
            ["撮合贷款项目数量", 200, "项"],
            ["撮合投资金额", 3000, "万"],
            ["撮合投资项目数量", 30, "（项）"],
            ["入驻创投机构", 4, "含2家新入驻"],
        ],
    )
    outcome = read_submission(path, "own.xlsx", GD)
    values = outcome.submission.values
    wrong = [(f.code, f.cell, f.indicator) for f in outcome.findings if f.code == "value-row-unit"]
    assert wrong == [("value-row-unit", "C6", "loan_amount")]
    assert values["loan_amount"].error and values["loan_amount"].value is None
    read = ("loan_banks", "loan_projects", "vc_amount", "vc_projects", "vc_institutions")
    assert [values[i].value for i in read] == [12, 200, 3000, 30, 4]


def test_a_label_in_wan_for_wan_yuan_is_read(tmp_path):
    path = _gd_own_table(
        tmp_path / "own.xlsx", [["撮合贷款金额（万）", 2500], ["撮合贷款项目数量（项）", 20]]
    )
    values = read_submission(path, "own.xlsx", GD).submission.values
    assert (values["loan_amount"].value, values["loan_amount"].cell) == (2500, "B4")


def test_a_unit_between_a_label_and_its_figure_is_checked_too(tmp_path):
    path = _gd_own_table(
        tmp_path / "own.xlsx",
        [
            ["二级指标", "单位", "数量"],
            ["撮合贷款金额", "元", 5000000],
            ["撮合贷款项目数量", "单位：项", 200],
        ],
    )
    outcome = read_submission(path, "own.xlsx", GD)
    assert [(f.code, f.cell) for f in outcome.findings if f.code == "value-row-unit"] == [
        ("value-row-unit", "B5")
    ]
    assert outcome.submission.values["loan_projects"].value == 200


def test_a_count_unit_in_tens_of_thousands_beside_a_figure_is_not_the_row_s_unit(tmp_path):
    """撮合贷款项目数量 | 2 | 万项: 2 was read as 2 项 with no word (万条, 百家, 万人次 were not known as units);
    now it is the unit-beside error, the row not read, the money held."""
    path = _gd_own_table(
        tmp_path / "own.xlsx",
        [["二级指标", "数量", "单位"], ["撮合贷款金额", 2500, "万元"], ["撮合贷款项目数量", 2, "万项"]],
    )
    outcome = read_submission(path, "own.xlsx", GD)
    assert [(f.code, f.cell) for f in outcome.findings if f.code == "value-row-unit"] == [
        ("value-row-unit", "C6")
    ]
    assert outcome.submission.values["loan_projects"].value is None
    assert outcome.submission.values["loan_amount"].value == 2500


def test_a_retyped_table_with_a_column_a_year_is_read_in_the_assessed_year_s_column(tmp_path):
    """二级指标 | 2018年 | 2019年: the first figure column was read, last year's figures scored with no word
    (a helper's clerk test: 16 points for 67.5). The column headed by the table's year is read."""
    path = _gd_own_table(
        tmp_path / "own.xlsx",
        [["二级指标", "2018年", "2019年"], ["入驻银行机构", 3, 12], ["撮合贷款金额", 1000, 2500]],
    )
    outcome = read_submission(path, "own.xlsx", GD)
    values = outcome.submission.values
    assert (values["loan_amount"].value, values["loan_amount"].cell) == (2500, "C6")
    assert not [f for f in outcome.findings if f.code == "value-column-ambiguous"]


@pytest.mark.parametrize("heads", [["目标数", "完成数"], ["2017年", "2018年"]])
def test_figure_columns_whose_headers_do_not_tell_this_year_s_are_not_read(tmp_path, heads):
    """目标数 | 完成数, or two years neither of which is assessed: which column is this year's cannot be told,
    so no row is read (the money is held) and each says so, naming the headers."""
    path = _gd_own_table(
        tmp_path / "own.xlsx",
        [["二级指标", *heads], ["入驻银行机构", 3, 12], ["撮合贷款金额", 1000, 2500]],
    )
    outcome = read_submission(path, "own.xlsx", GD)
    found = [f for f in outcome.findings if f.code == "value-column-ambiguous"]
    assert {f.indicator for f in found} >= {"loan_amount"} and all(f.cell == "B4" for f in found)
    assert f"B4“{heads[0]}”、C4“{heads[1]}”" in found[0].message
    assert outcome.submission.values["loan_amount"].value is None


def test_a_figure_column_beside_a_score_column_without_headers_is_read_as_before(tmp_path):
    """No header over the figures: the first figure column, as before (what a clerk's 得分 column beside
    it is cannot be told, and no year is involved)."""
    path = _gd_own_table(tmp_path / "own.xlsx", [["入驻银行机构", 12, 3.5], ["撮合贷款金额", 2500, 6.25]])
    values = read_submission(path, "own.xlsx", GD).submission.values
    assert values["loan_amount"].value == 2500

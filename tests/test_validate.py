"""validate(): headers, year, roster, duplicates, cross-field checks, outliers; and the finding-code inventory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from kjjr_excel.domain.findings import CODES, Severity
from kjjr_excel.domain.identity import match_center
from kjjr_excel.domain.model import CellValue, Submission
from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.domain.validate import validate

GD = load_scheme("guangdong-2019")
QD = load_scheme("qingdao-2017")
ROSTER = GD.roster


def sub(
    file: str, code: str = "GD01", name: str = "汕头分中心", *, year=2019, saved=None, **values
) -> Submission:
    vals = {i.id: Decimal(10) for i in GD.self_indicators}
    vals.update({k: (None if v is None else Decimal(str(v))) for k, v in values.items()})
    cells = {
        k: CellValue(k, "" if v is None else str(v), v, "定量指标", f"C{12 + n}", v is None)
        for n, (k, v) in enumerate(vals.items())
    }
    return Submission(
        file=file,
        sha256="0" * 64,
        center_code=code,
        center_name=name,
        year=year,
        values=cells,
        saved_at=saved,
        sheet="定量指标",
        header_cells={"center_name": "B3", "report_year": "B6"},
    )


def flat(findings, *keys):
    return sorted(tuple(getattr(f, k) for k in keys) for f in findings)


def test_clean_batch_has_only_missing_centers():
    subs = [sub(f"{e.code}.xlsx", e.code, e.name) for e in ROSTER[:3]]
    accepted, findings = validate(GD, subs, roster=ROSTER, year=2019)
    assert [s.center_code for s in accepted] == [e.code for e in ROSTER[:3]]
    assert {f.code for f in findings} == {"center-missing"}
    assert len(findings) == len(ROSTER) - 3
    # the roster code is in the message; nothing was typed, so 填写内容 (value) stays empty
    first = ROSTER[3]
    assert findings[0].message == f"名录中的“{first.name}”（编号 {first.code}）没有报送有效的填报表，请催报。"
    assert all(f.value == "" for f in findings)


def test_match_center_by_code_then_name():
    assert match_center(sub("a", "gd02", "随便"), ROSTER).code == "GD02"
    assert match_center(sub("a", "", "佛山分中心"), ROSTER).code == "GD03"
    assert match_center(sub("a", "", "佛山 分中心"), ROSTER).code == "GD03"
    assert match_center(sub("a", "X9", "不存在"), ROSTER) is None


def test_header_missing_wrong_year_unknown_center_are_kept_out():
    subs = [sub("noname.xlsx", "", ""), sub("old.xlsx", "GD02", year=2018), sub("who.xlsx", "X1", "某某中心")]
    accepted, findings = validate(GD, subs, roster=ROSTER, year=2019)
    assert accepted == []
    got = flat([f for f in findings if f.code != "center-missing"], "code", "file", "cell")
    assert got == [
        ("center-unknown", "who.xlsx", "B3"),
        ("header-missing", "noname.xlsx", "B3"),
        ("wrong-year", "old.xlsx", "B6"),
    ]


def test_a_year_cell_that_contradicts_the_template_keeps_the_file_out_either_way():
    # the clerk unlocked 评估年度 and typed another year, on this year's template or on last year's
    retyped_old = replace(sub("a.xlsx", "GD01"), typed_year=2018)
    retitled_old = replace(sub("b.xlsx", "GD02", year=2018), typed_year=2019)
    accepted, findings = validate(GD, [retyped_old, retitled_old], roster=ROSTER, year=2019)
    assert accepted == []
    conflicts = [f for f in findings if f.code not in ("center-missing",)]
    assert flat(conflicts, "code", "file", "cell", "severity") == [
        ("year-conflict", "a.xlsx", "B6", Severity.ERROR),
        ("year-conflict", "b.xlsx", "B6", Severity.ERROR),
    ]
    assert conflicts[0].message == (
        "“评估年度”在 B6 单元格填写为 2018 年，但这份填报模板是 2019 年度的，无法确定填报的是哪一年的数据，"
        "本表未计分。请使用 2019 年度的填报模板填写 2019 年度的数据后重新报送。"
    )


def test_duplicates_keep_newest_saved_then_file_name():
    a = sub("a.xlsx", saved=datetime(2020, 5, 2))
    b = sub("b.xlsx", saved=datetime(2020, 5, 1))
    accepted, findings = validate(GD, [b, a], roster=ROSTER, year=2019)
    assert [s.file for s in accepted] == ["a.xlsx"]
    dup = [f for f in findings if f.code == "duplicate-submission"]
    assert sorted(f.file for f in dup) == ["a.xlsx", "b.xlsx"]
    assert "采用 a.xlsx（保存时间最新）" in dup[0].message and "2份" in dup[0].message


def test_a_form_with_nothing_typed_is_kept_out_and_replaces_nothing():
    filled = sub("a.xlsx", saved=datetime(2020, 5, 1))
    blank = sub("b.xlsx", saved=datetime(2020, 5, 2), **{i.id: None for i in GD.self_indicators})
    accepted, findings = validate(GD, [blank, filled], roster=ROSTER, year=2019)
    assert [s.file for s in accepted] == ["a.xlsx"]  # not the newer, blank one
    empty = [f for f in findings if f.code == "submission-empty"]
    assert [(f.file, f.severity) for f in empty] == [("b.xlsx", Severity.ERROR)]
    assert not any(f.code == "duplicate-submission" for f in findings)
    # one figure typed is a submission (its empty cells are value-missing errors, scored 0)
    one = replace(
        blank,
        values={**blank.values, "loan_banks": CellValue("loan_banks", "3", Decimal(3), "定量指标", "C12")},
    )
    accepted, findings = validate(GD, [one], roster=ROSTER, year=2019)
    assert [s.file for s in accepted] == ["b.xlsx"] and not any(
        f.code == "submission-empty" for f in findings
    )
    # rows not found at all are their own finding, not "nothing typed"
    lost = replace(blank, values={k: v._replace(cell="") for k, v in blank.values.items()})
    assert validate(GD, [lost], roster=ROSTER, year=2019)[0] == [lost]


def _dups(*subs):
    accepted, findings = validate(GD, list(subs), roster=ROSTER, year=2019)
    return [s.file for s in accepted], [f for f in findings if f.code.startswith("duplicate")]


def test_a_copy_named_for_another_center_is_not_ordered_by_time():
    """佛山分中心.xlsx holding 汕头's name and code, saved after 汕头's own file: it may be 佛山's form with the
    wrong header, so its time does not make it 汕头's final version (neither is scored, the reason said); the
    same figures twice, or a name that names 汕头 too, are decided as before."""
    own = sub("汕头分中心.xlsx", saved=datetime(2020, 5, 1))
    astray = sub("佛山分中心.xlsx", saved=datetime(2020, 5, 2), loan_banks=12)
    kept, found = _dups(own, astray)
    assert kept == [] and {f.code for f in found} == {"duplicate-undecided"}
    assert "佛山分中心.xlsx 的文件名是“佛山分中心”的，表中填写的却是“汕头分中心”" in found[0].message
    kept, _ = _dups(own, replace(astray, values=own.values))
    assert kept == ["佛山分中心.xlsx"]
    kept, _ = _dups(own, replace(astray, file="汕头分中心（佛山转报）.xlsx"))
    assert kept == ["汕头分中心（佛山转报）.xlsx"]
    # a longer name written otherwise (市 added) holds a shorter one's name: still its own correction
    fanyu = next(e for e in ROSTER if e.name == "广州番禺区分中心")
    first = sub("广州番禺区分中心.xlsx", fanyu.code, fanyu.name, saved=datetime(2020, 5, 1))
    fixed = sub(
        "广州市番禺区分中心（更正）.xlsx", fanyu.code, fanyu.name, saved=datetime(2020, 5, 2), loan_banks=12
    )
    assert _dups(first, fixed)[0] == ["广州市番禺区分中心（更正）.xlsx"]


def test_a_name_s_core_is_what_a_file_name_holds():
    from kjjr_excel.domain.identity import name_core

    assert [name_core(n) for n in ("崂山区科技金融服务分中心", "胶州市科技金融服务分中心", "汕头分中心")] == [
        "崂山",
        "胶州",
        "汕头",
    ]
    assert name_core("中山火炬高新区分中心") == "中山火炬高新" and name_core("分中心") == ""


def test_duplicates_without_a_saved_time_fall_back_to_file_time_then_names():
    # a 更正 copy without docProps/core.xml must not lose to the original because it has no saved time
    original = replace(sub("报表.xlsx", saved=datetime(2020, 5, 2)), modified_at=datetime(2020, 5, 2, 9))
    fixed = replace(sub("报表（更正）.xlsx", loan_banks=12), modified_at=datetime(2020, 5, 3, 9))
    kept, found = _dups(original, fixed)
    assert kept == ["报表（更正）.xlsx"] and "按文件修改时间最新" in found[0].message
    # the name says 更正, the file times say the other one was saved later (the attachments saved in reverse
    # order, a Gnumeric .xls carries no saved time): nothing can tell, and neither is scored
    kept, found = _dups(
        replace(sub("报表.xlsx", saved=datetime(2020, 5, 2)), modified_at=datetime(2020, 5, 3, 9)),
        replace(sub("报表（更正）.xls", loan_banks=12), modified_at=datetime(2020, 5, 3, 8)),
    )
    assert kept == [] and {f.code for f in found} == {"duplicate-undecided"}
    assert "文件名表明 报表（更正）.xls 是更正版，文件修改时间却是 报表.xlsx 最新" in found[0].message
    # no file times either (files copied together): the name decides, and says so
    kept, found = _dups(sub("报表.xlsx"), sub("报表（更正）.xlsx", loan_banks=12))
    assert kept == ["报表（更正）.xlsx"] and "按文件名" in found[0].message
    for older, newer in [
        ("表v1.xlsx", "表v2.xlsx"),
        ("表.xlsx", "表 (1).xlsx"),
        ("表(1).xlsx", "表(2).xlsx"),
    ]:
        kept, found = _dups(sub(newer, loan_banks=12), sub(older))
        assert kept == [newer], (older, newer)
    # nothing tells them apart and the figures differ: an error, neither is scored
    kept, found = _dups(sub("甲.xlsx"), sub("乙.xlsx", loan_banks=12))
    assert kept == [] and {f.code for f in found} == {"duplicate-undecided"}
    assert all(f.severity.value == "错误" for f in found) and len(found) == 2
    # ...unless they are the same figures twice
    kept, found = _dups(sub("甲.xlsx"), sub("乙.xlsx"))
    assert kept == ["甲.xlsx"] and "数字相同" in found[0].message  # the name sorting last


def test_name_and_code_of_two_different_roster_centers():
    shunde = sub("顺德.xlsx", "GD05", "顺德分中心")  # 江门分中心's code
    jiangmen = sub("江门.xlsx", "GD05", "江门分中心")
    accepted, findings = validate(GD, [shunde, jiangmen], roster=ROSTER, year=2019)
    assert [s.file for s in accepted] == ["江门.xlsx"]
    assert not [f for f in findings if f.code.startswith("duplicate")]
    mismatch = [f for f in findings if f.code == "center-name-code-mismatch"]
    assert [(f.file, f.severity.value) for f in mismatch] == [("顺德.xlsx", "错误")]
    assert "顺德分中心" in mismatch[0].message and "江门分中心" in mismatch[0].message
    assert "GD04" in mismatch[0].message and "GD05" in mismatch[0].message
    # a name on no roster entry beside a roster code: counted by the code, with a warning saying so
    typo = sub("江门2.xlsx", "GD05", "江门市分中心")
    accepted, findings = validate(GD, [typo], roster=ROSTER, year=2019)
    assert [s.file for s in accepted] == ["江门2.xlsx"]
    differs = [f for f in findings if f.code == "center-name-differs"]
    assert [f.severity.value for f in differs] == ["警告"] and "江门分中心" in differs[0].message


def test_cross_field_checks():
    s = sub(
        "a.xlsx",
        loan_amount=500,
        loan_projects=0,
        roadshow_attendees=80,
        roadshow_events=0,
        vc_amount=9_000_000,
        vc_projects=3,
    )
    t = sub("b.xlsx", "GD02", "中山火炬高新区分中心", loan_amount="0.5", loan_projects=5)
    _, findings = validate(GD, [s, t], roster=ROSTER, year=2019)
    got = flat([f for f in findings if f.code.startswith("cross")], "code", "file", "indicator")
    assert got == [
        ("cross-paired", "a.xlsx", "loan_amount"),
        ("cross-requires", "a.xlsx", "roadshow_attendees"),
        ("cross-unit-suspect", "a.xlsx", "vc_amount"),
        ("cross-unit-suspect", "b.xlsx", "loan_amount"),
    ]
    unit = {f.file: f.message for f in findings if f.code == "cross-unit-suspect"}
    assert "偏大" in unit["a.xlsx"] and "按“元”而不是“万元”填写" in unit["a.xlsx"]
    assert (
        "偏小" in unit["b.xlsx"] and "按“亿元”而不是“万元”填写" in unit["b.xlsx"] and "0.1" in unit["b.xlsx"]
    )


def test_error_values_are_not_cross_checked():
    s = sub("a.xlsx", loan_amount=None, loan_projects=0)
    _, findings = validate(GD, [s], roster=ROSTER, year=2019)
    assert not [f for f in findings if f.code.startswith("cross")]


def test_outliers_robust_and_only_with_enough_centers():
    subs = [sub(f"{e.code}.xlsx", e.code, e.name, loan_banks=10 + n) for n, e in enumerate(ROSTER[:6])]
    subs[-1] = sub(f"{ROSTER[5].code}.xlsx", ROSTER[5].code, ROSTER[5].name, loan_banks=500)
    _, findings = validate(GD, subs, roster=ROSTER, year=2019)
    out = [f for f in findings if f.code == "value-outlier"]
    assert [(f.file, f.indicator, f.severity.value) for f in out] == [
        (f"{ROSTER[5].code}.xlsx", "loan_banks", "警告")
    ]
    assert "中位数为 12.5" in out[0].message
    _, findings = validate(GD, subs[2:], roster=ROSTER, year=2019)  # 4 centers < outlier_min_centers
    assert not [f for f in findings if f.code == "value-outlier"]


def test_a_figure_a_thousand_times_below_the_others_is_an_outlier_too():
    """3 typed for 3亿元 in a 万元 field, the others 20,000 to 40,000: within one median of it, so no z-score
    flags it; a thousand times below the median does (a warning). 0, and a figure only ten times smaller, not."""
    amounts = [20000, 25000, 30000, 35000, 40000, 28000, 3, 0, 2650]
    subs = [
        sub(f"{e.code}.xlsx", e.code, e.name, loan_amount=a)
        for e, a in zip(ROSTER[: len(amounts)], amounts, strict=True)
    ]
    _, findings = validate(GD, subs, roster=ROSTER, year=2019)
    out = [(f.file, f.indicator) for f in findings if f.code == "value-outlier"]
    assert out == [(f"{ROSTER[6].code}.xlsx", "loan_amount")]


def test_without_roster_every_center_is_accepted_and_nobody_missing():
    s = sub("q.xlsx", "", "崂山分中心")
    accepted, findings = validate(GD, [s], year=2019)
    assert accepted == [s] and findings == []


# ---------------------------------------------------------------------------------------------- inventory

# Every code ingest/validate can emit -> the test that produces it.
FIXTURES = {
    "mail-unreadable": "test_mail.py::test_garbage_named_eml_is_a_finding_not_a_crash",
    "mail-no-attachment": "test_mail.py::test_mail_without_attachment_is_a_finding_naming_sender_and_subject",
    "mail-unsafe": "test_mail.py::test_a_mail_with_too_many_attachments_is_read_in_part",
    "mail-nested-too-deep": "test_mail.py::test_forwarded_mail_is_read_one_level_deep",
    "mail-draft": "test_mail.py::test_our_own_draft_saved_into_the_inbox_is_not_a_submission",
    "mail-mailbox": "test_mail.py::test_a_mailbox_of_several_mails_is_read_mail_by_mail",
    "attachment-duplicate": "test_mail.py::test_same_attachment_in_two_mails_is_one_submission_naming_both",
    "file-skipped": "test_ingest.py::test_collect_files_skips_lock_hidden_and_non_spreadsheets",
    "file-other-format": "test_inbox.py::test_a_form_in_a_format_not_read_is_a_warning_that_says_how_to_resave",
    "file-not-workbook": "test_ingest.py::test_format_by_first_bytes",
    "file-corrupt": "test_ingest.py::test_truncated_zip_is_corrupt",
    "file-missing": "test_guards.py::test_each_os_error_has_its_own_finding",
    "file-no-permission": "test_guards.py::test_each_os_error_has_its_own_finding",
    "file-io-error": "test_guards.py::test_each_os_error_has_its_own_finding",
    "file-not-regular": "test_guards.py::test_fifo_in_the_inbox_is_its_own_finding_and_never_waited_on",
    "file-link-loop": "test_guards.py::test_read_input_refuses_what_is_not_a_regular_file",
    "file-name-encoding": "test_guards.py::test_file_name_not_utf8_is_shown_decoded_and_read",
    "sheet-too-large": "test_guards.py::test_far_cell_on_the_data_sheet_is_a_finding_not_an_abort",
    "csv-malformed": "test_guards.py::test_csv_rows_is_strict",
    "folder-unreadable": "test_guards.py::test_unreadable_folder_is_a_finding_and_the_rest_is_read",
    "folder-too-deep": "test_guards.py::test_folders_nested_deeper_than_any_inbox_are_a_finding",
    "folder-link": "test_guards.py::test_a_link_to_a_folder_elsewhere_is_a_finding_not_a_silent_loss",
    "file-empty": "test_ingest.py::test_format_by_first_bytes",
    "file-encrypted": "test_ingest.py::test_encrypted_workbook",
    "archive-member-encrypted": "test_inbox.py::test_a_member_under_a_zip_password_is_said_to_be_so",
    "file-unsafe": "test_ingest.py::test_zip_bomb_part_refused",
    "file-extension-mismatch": "test_ingest.py::test_format_by_first_bytes",
    "file-no-extension": "test_inbox.py::test_a_file_whose_name_lost_its_extension_is_read_by_its_content",
    "file-macros-ignored": "test_ingest.py::test_xlsm_macros_ignored",
    "not-template": "test_ingest.py::test_not_template",
    "recognised-by-labels": "test_ingest.py::test_labels_fallback_tells_the_two_firms_served_rows_apart",
    "ranking-workbook": "test_notice.py::test_a_ranking_workbook_in_the_inbox_is_not_read_as_a_submission",
    "own-output": "test_receipts.py::test_our_own_feedback_workbooks_in_an_inbox_are_said_to_be_ours",
    "wrong-scheme": "test_ingest.py::test_meta_checks_wrong_scheme_old_version_tampered",
    "wrong-year": "test_validate.py::test_header_missing_wrong_year_unknown_center_are_kept_out",
    "value-row-ambiguous": "test_ingest.py::test_a_label_under_two_categories_without_its_category_is_neither_guessed_nor_called_missing",
    "value-column-ambiguous": "test_submission.py::test_figure_columns_whose_headers_do_not_tell_this_year_s_are_not_read",
    "year-conflict": "test_validate.py::test_a_year_cell_that_contradicts_the_template_keeps_the_file_out_either_way",
    "old-template-version": "test_ingest.py::test_meta_checks_wrong_scheme_old_version_tampered",
    "layout-tampered": "test_ingest.py::test_meta_checks_wrong_scheme_old_version_tampered",
    "sheet-renamed": "test_submission.py::test_a_renamed_data_sheet_is_said_to_be_renamed_not_restructured",
    "header-missing": "test_validate.py::test_header_missing_wrong_year_unknown_center_are_kept_out",
    "header-reporting-unit": "test_submission.py::test_a_reporting_unit_is_read_as_the_name_only_where_it_names_a_center",
    "header-reporting-unit-unclear": "test_submission.py::test_a_reporting_unit_is_read_as_the_name_only_where_it_names_a_center",
    "header-inline": "test_submission.py::test_a_header_typed_as_label_and_value_in_one_cell_is_read_with_a_note",
    "submission-empty": "test_validate.py::test_a_form_with_nothing_typed_is_kept_out_and_replaces_nothing",
    "center-unknown": "test_validate.py::test_header_missing_wrong_year_unknown_center_are_kept_out",
    "center-missing": "test_validate.py::test_clean_batch_has_only_missing_centers",
    "duplicate-submission": "test_validate.py::test_duplicates_keep_newest_saved_then_file_name",
    "duplicate-undecided": "test_validate.py::test_duplicates_without_a_saved_time_fall_back_to_file_time_then_names",
    "center-name-code-mismatch": "test_validate.py::test_name_and_code_of_two_different_roster_centers",
    "center-name-differs": "test_validate.py::test_name_and_code_of_two_different_roster_centers",
    "center-identity-conflict": "test_validate.py::test_without_a_roster_a_code_under_two_names_is_neither_merged_nor_ranked_twice",
    "time-in-future": "test_validate.py::test_a_copy_dated_after_the_run_by_a_wrong_clock_does_not_decide_which_is_newest",
    "center-code-from-name": "test_validate.py::test_without_a_roster_a_file_without_its_code_is_the_center_of_its_name",
    "value-missing": "test_ingest.py::test_dirty_values",
    "value-beside": "test_submission.py::test_a_figure_typed_in_the_unit_column_is_named_and_never_used",
    "value-in-row": "test_submission.py::test_a_figure_typed_elsewhere_on_its_row_is_named_and_never_used",
    "value-merged": "test_submission.py::test_a_value_cell_covered_by_a_merge_is_an_error_not_a_hidden_figure",
    "formula-external": "test_submission.py::test_a_formula_linking_another_workbook_is_a_warning",
    "sheet-copy-filled": "test_submission.py::test_a_blank_form_sheet_beside_a_filled_copy_reads_the_copy",
    "sheet-other-center": "test_submission.py::test_another_center_s_sheet_in_the_workbook_is_said_and_not_compared",
    "value-normalised": "test_ingest.py::test_dirty_values",
    "value-conflict": "test_ingest.py::test_a_copy_of_the_table_with_other_figures_makes_them_errors",
    "value-zero-word": "test_ingest.py::test_dirty_values",
    "value-text-number": "test_ingest.py::test_dirty_values",
    "value-not-number": "test_ingest.py::test_dirty_values",
    "value-too-large": "test_parse.py::test_a_figure_no_spreadsheet_holds_exactly_is_a_cell_error_not_a_refused_file",
    "value-date": "test_ingest.py::test_dirty_values",
    "value-negative": "test_ingest.py::test_dirty_values",
    "value-percent": "test_ingest.py::test_a_figure_shown_as_a_percentage_is_an_error",
    "value-not-integer": "test_ingest.py::test_dirty_values",
    "value-too-many-places": "test_ingest.py::test_month_count_over_bound_and_decimal_places",
    "value-unit-converted": "test_ingest.py::test_dirty_values",
    "value-unit-wrong": "test_ingest.py::test_dirty_values",
    "value-unit-inexact": "test_parse.py::test_counts_units_and_spaces",
    "value-row-missing": "test_ingest.py::test_retyped_table_labels_with_or_without_unit_and_a_missing_row",
    "value-row-unit": "test_submission.py::test_a_retyped_label_in_another_unit_is_not_read_and_says_so",
    "value-over-max": "test_ingest.py::test_month_count_over_bound_and_decimal_places",
    "value-under-min": "test_ingest.py::test_a_value_under_a_scheme_minimum_is_said_to_be_under_it",
    "formula-cached": "test_ingest.py::test_typed_formulas_with_and_without_cached_value",
    "formula-no-cache": "test_ingest.py::test_typed_formulas_with_and_without_cached_value",
    "formula-error": "test_ingest.py::test_a_formula_whose_result_is_an_error_value_says_so",
    "cross-paired": "test_validate.py::test_cross_field_checks",
    "cross-requires": "test_validate.py::test_cross_field_checks",
    "cross-unit-suspect": "test_validate.py::test_cross_field_checks",
    "value-outlier": "test_validate.py::test_outliers_robust_and_only_with_enough_centers",
}
# Codes owned by other stages (assessments, reviews, history, scoring); value-bool and value-yes-no-word are
# emitted only for bool indicators, which no shipped scheme lets a clerk fill (they are assessor fields, read by
# assess.py; test_parse.py has the yes/no words).
OTHER_PREFIXES = ("assessment-", "review-", "history-", "rank-", "score-", "template-", "output-")
OTHER_STAGES = {
    "assessment-unknown-center",
    "table-code-name-conflict",
    "assessment-duplicate",
    "verified-differs",
    "review-partial",
    "review-over-max",
    "review-not-number",
    "review-missing",
    "review-veto",
    "review-unknown-center",
    "veto",
    "not-submission",
    "table-unusable",
    "history-unreadable",
    "history-unmatched",
    "history-ambiguous",
    "value-bool",
    "value-yes-no-word",
}


def test_every_ingest_and_validate_code_has_a_fixture():
    import pathlib
    import re

    here = pathlib.Path(__file__).parent
    others = {c for c in CODES if c.startswith(OTHER_PREFIXES)} | OTHER_STAGES
    missing = set(CODES) - set(FIXTURES) - others
    assert not missing, f"codes without a fixture: {sorted(missing)}"
    for code, where in FIXTURES.items():
        assert code in CODES, code
        module, test = where.split("::")
        assert re.search(rf"^def {test}\(", (here / module).read_text(encoding="utf-8"), re.M), where


def test_without_a_roster_a_code_under_two_names_is_neither_merged_nor_ranked_twice():
    a = sub("a.xlsx", "QD01", "崂山分中心")
    b = sub("b.xlsx", "QD01", "市北分中心")  # another center typed with 崂山's code
    c = sub("c.xlsx", "QD02", "李沧分中心")
    d = sub("d.xlsx", "QD03", "李沧分中心")  # the same name under two codes
    e = sub("e.xlsx", "QD04", "城阳分中心")
    accepted, findings = validate(GD, [a, b, c, d, e], year=2019)
    assert [s.file for s in accepted] == ["e.xlsx"]
    conflicts = [f for f in findings if f.code == "center-identity-conflict"]
    assert sorted(f.file for f in conflicts) == ["a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"]
    assert "b.xlsx（市北分中心，QD01）" in next(f.message for f in conflicts if f.file == "a.xlsx")
    assert not [f for f in findings if f.code.startswith("duplicate")]
    # the same center twice (same name, same code) is still a duplicate, not a conflict
    accepted, findings = validate(GD, [a, replace(a, file="a2.xlsx")], year=2019)
    assert len(accepted) == 1 and {f.code for f in findings} == {"duplicate-submission"}


def test_a_copy_dated_after_the_run_by_a_wrong_clock_does_not_decide_which_is_newest():
    """李沧's draft came in a mail dated 2029 (the clerk's PC clock), the correction in one dated now: by mail
    time the draft won, and its figures were ranked. A time after the run is not used (a warning says so):
    the saved times then tell, the correction being saved later. Without `now`, times are taken as given."""
    from kjjr_excel.domain.model import MailOrigin

    now = datetime(2026, 12, 4, 10, 0)
    draft = replace(
        sub("d.xlsx", saved=datetime(2026, 11, 30)),
        origins=(MailOrigin("d.eml", "x@a.cn", sent_at=datetime(2029, 12, 1, 1), subject="报送"),),
    )
    fixed = replace(
        sub("f.xlsx", saved=datetime(2026, 12, 2), loan_banks=99),
        origins=(MailOrigin("f.eml", "x@a.cn", sent_at=datetime(2026, 12, 2, 1), subject="更正"),),
    )
    accepted, findings = validate(GD, [draft, fixed], year=2019, now=now)
    assert [s.file for s in accepted] == ["f.xlsx"]
    future = [f for f in findings if f.code == "time-in-future"]
    assert [(f.file, f.severity.value) for f in future] == [("d.xlsx", "警告")]
    assert "邮件“报送”的发送时间 2029-12-01 01:00 晚于本次运行的时间" in future[0].message
    assert "保存时间最新" in next(f.message for f in findings if f.code == "duplicate-submission")
    accepted, _ = validate(GD, [draft, fixed], year=2019)
    assert [s.file for s in accepted] == ["d.xlsx"]


def test_without_a_roster_a_file_without_its_code_is_the_center_of_its_name():
    """A correction sent without the code (高新区(蓝色硅谷)分中心 typed with half-width brackets and a space):
    it was a center of its own, ranked and paid beside the coded file. It is the same center, takes its code
    with a note, and the newer of the two is kept; a name under two codes is not guessed."""
    first = sub("a.xlsx", "QD09", "高新区（蓝色硅谷）分中心", saved=datetime(2018, 1, 3))
    again = sub("b.xlsx", "", "高新区(蓝色硅谷)分中心 ", saved=datetime(2018, 1, 5))
    accepted, findings = validate(GD, [first, again], year=2019)
    assert [(s.file, s.center_code) for s in accepted] == [("b.xlsx", "QD09")]
    note = next(f for f in findings if f.code == "center-code-from-name")
    assert (note.file, note.severity.value) == ("b.xlsx", "提示") and "编号 QD09" in note.message
    assert sum(f.code == "duplicate-submission" for f in findings) == 2
    # two codes under the name: which one the file is cannot be told, so it keeps none
    other = sub("c.xlsx", "QD10", "高新区（蓝色硅谷）分中心")
    _, findings = validate(GD, [first, other, again], year=2019)
    assert not any(f.code == "center-code-from-name" for f in findings)


def test_check_kinds_are_one_registry_and_say_the_same_words_everywhere(tmp_path):
    from dataclasses import replace

    import openpyxl

    from kjjr_excel.domain import checks
    from kjjr_excel.domain.layout import layout
    from kjjr_excel.domain.scheme import CHECK_KINDS, Check
    from kjjr_excel.write.template import write_submission

    assert set(checks.CHECKS) == set(CHECK_KINDS)
    # a paired check of three fields: validation and the template's hint both look at the third one
    three = Check(kind="paired", fields=("loan_amount", "loan_projects", "loan_firms_served"))
    scheme = replace(GD, checks=(three,))
    s = sub("a.xlsx", loan_amount=500, loan_projects=4, loan_firms_served=0)
    _, findings = validate(scheme, [s], roster=ROSTER, year=2019)
    paired = [f for f in findings if f.code == "cross-paired"]
    assert len(paired) == 1 and "“服务企业数量（家）”为 0" in paired[0].message
    title, warn = checks.hint(scheme, three)
    assert warn.removesuffix("，请核对") in paired[0].message
    lay = layout(scheme)
    path = write_submission(tmp_path / "t.xlsx", scheme, values={"loan_amount": 500, "loan_projects": 4})
    formulas = [
        c.value
        for row in openpyxl.load_workbook(path)[lay.sheet].iter_rows()
        for c in row
        if isinstance(c.value, str) and warn in c.value
    ]
    assert len(formulas) == 1 and all(lay.value_cell(f) in formulas[0] for f in three.fields)

"""Where things are on a submission sheet: rows, columns, header cells and the fingerprint kept in _meta."""

from dataclasses import replace

from kjjr_excel.domain.layout import HEADER_FIELDS, META_KEYS, TABLE_HEADER_ROW0, build_layout, layout
from kjjr_excel.domain.scheme import load_scheme

QD = load_scheme("qingdao")
GD = load_scheme("guangdong")


def test_self_reported_rows_first_then_the_assessors_preview_rows():
    lay = layout(QD)
    first = TABLE_HEADER_ROW0 + 1
    assert list(lay.rows) == [i.id for i in QD.self_indicators]
    assert list(lay.rows.values()) == list(range(first, first + len(QD.self_indicators)))
    assert list(lay.assessor_rows) == [i.id for i in QD.assessor_indicators]
    assert lay.last_indicator_row == first + len(QD.indicators) - 1
    assert lay.value_cell("enterprise_info") == "F12"  # the notice's first row, under 填报数
    assert lay.header_cell("center_name") == "C3" and lay.width == 9


def test_the_relative_method_has_no_score_column_and_its_values_in_c():
    lay = layout(GD)
    # the value column is headed as the scheme says ([submission] value_header: 数量)
    assert lay.columns == ("一级指标", "二级指标", GD.submission["value_header"], "单位", "填报提示")
    assert GD.submission["value_header"] == "数量"
    assert (lay.label_col, lay.category_col, lay.value_col, lay.header_value_col) == (1, 0, 2, 1)
    assert lay.value_cell(GD.indicators[0].id) == "C12" and lay.header_cell("center_name") == "B3"
    assert not lay.assessor_rows


def test_header_labels_are_the_schemes_words():
    lay = layout(QD)
    assert list(lay.header_rows) == [f for f, _ in HEADER_FIELDS]
    assert lay.header_labels["center_name"] == f"{QD.center_label}名称"
    assert lay.header_labels["report_year"] == QD.year_label
    assert "fingerprint" in META_KEYS


def test_the_fingerprint_changes_with_the_rows_and_only_with_them():
    lay = layout(QD)
    assert len(lay.fingerprint) == 16
    assert build_layout(load_scheme("qingdao")).fingerprint == lay.fingerprint
    moved = replace(QD, indicators=(QD.indicators[1], QD.indicators[0], *QD.indicators[2:]))
    assert layout(moved).fingerprint != lay.fingerprint
    assert layout(moved).rows[QD.indicators[1].id] == lay.rows[QD.indicators[0].id]
    renamed = replace(QD, result_title="另一个标题")
    assert layout(renamed).fingerprint == lay.fingerprint


def test_the_layout_is_worked_out_once_per_scheme_object():
    assert layout(QD) is layout(QD)
    # a scheme changed in place of another with the same id and version gets its own layout, never a stale one
    moved = replace(QD, indicators=QD.indicators[::-1])
    assert (moved.id, moved.version, moved.sha256) == (QD.id, QD.version, QD.sha256)
    assert layout(moved) is not layout(QD) and layout(moved) == build_layout(moved)

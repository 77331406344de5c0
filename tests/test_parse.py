"""cells.parse_value: what a clerk types -> a number, never a guess (units, grouping, full-width digits)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kjjr_excel.domain.findings import Finding
from kjjr_excel.domain.parse import MONEY_UNITS, MULTIPLIERS, UNITS, parse_value, unit_agrees

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def count(raw, unit="家"):
    return parse_value(raw, type="integer", unit=unit)


def money(raw):
    return parse_value(raw, type="decimal", places=2, unit="万元")


@pytest.mark.parametrize(
    ("raw", "value", "code"),
    [
        ("50000000元", Decimal(5000), "value-unit-converted"),
        ("0.5亿元", Decimal(5000), "value-unit-converted"),
        ("500千元", Decimal(50), "value-unit-converted"),
        ("1234567元", Decimal("123.4567"), "value-unit-converted"),  # exact: not rounded to 2 places
        ("5000万元", Decimal(5000), "value-normalised"),
        ("5000 万元", Decimal(5000), "value-normalised"),
        ("50万", Decimal(50), "value-normalised"),
        ("1,234.5", Decimal("1234.5"), "value-normalised"),
        ("30家", None, "value-unit-wrong"),
        ("约300万元", None, "value-not-number"),
        ("5亿", Decimal(50000), "value-unit-converted"),
        ("5千", None, "value-unit-wrong"),  # 5千元 or 5千万元: not told
        ("5千万元", None, "value-unit-wrong"),
        ("5000（万元）", Decimal(5000), "value-normalised"),
    ],
)
def test_money_units(raw, value, code):
    parsed = money(raw)
    assert (parsed.value, parsed.code) == (value, code)
    if code == "value-unit-converted":
        assert dict(parsed.fields)["unit"] == "万元"


@pytest.mark.parametrize(
    ("raw", "unit", "value", "code"),
    [
        ("30家", "家", Decimal(30), "value-normalised"),
        ("30 家", "家", Decimal(30), "value-normalised"),
        ("30（家）", "家", Decimal(30), "value-normalised"),
        ("30（项）", "家", None, "value-unit-wrong"),
        ("30项", "家", None, "value-unit-wrong"),  # only the field's own unit may be dropped
        ("3人", "名", Decimal(3), "value-normalised"),  # a unit of the same meaning: read, with a note
        ("12月", "个月", Decimal(12), "value-normalised"),
        ("3家", "名", None, "value-unit-wrong"),
        ("12个月", "个月", Decimal(12), "value-normalised"),
        ("1.2万人次", "人次", Decimal(12000), "value-unit-converted"),
        ("1.2万", "人次", Decimal(12000), "value-unit-converted"),
        ("3千", "人次", Decimal(3000), "value-unit-converted"),
        ("2万家", "家", Decimal(20000), "value-unit-converted"),
        ("1.23456万", "人次", None, "value-unit-inexact"),
        ("30元", "家", None, "value-unit-wrong"),
        ("12 3", "家", None, "value-not-number"),
        ("2 1", "家", None, "value-not-number"),
        ("1 2 3", "家", None, "value-not-number"),
        ("1,2345", "家", None, "value-not-number"),
        ("12,34", "家", None, "value-not-number"),
        ("1,200 000", "家", None, "value-not-number"),  # two kinds of separator
        ("1 200 000", "人次", Decimal(1200000), "value-normalised"),
        ("1\u00a0200", "人次", Decimal(1200), "value-normalised"),
        ("1\u3000200", "人次", Decimal(1200), "value-normalised"),
        ("1，200", "人次", Decimal(1200), "value-normalised"),
        ("30-40", "家", None, "value-not-number"),
        ("5e3", "家", None, "value-not-number"),
        ("2019-05", "家", None, "value-date"),
        ("２０１９年５月", "家", None, "value-date"),
        ("2019.5.1", "家", None, "value-date"),
        ("2019/5/1", "家", None, "value-date"),
        ("1250.5", "家", None, "value-not-integer"),  # a decimal in a count, not a date
        ("无", "家", Decimal(0), "value-zero-word"),
        ("——", "家", Decimal(0), "value-zero-word"),
        ("－－", "家", Decimal(0), "value-zero-word"),
        ("———", "家", None, "value-not-number"),
    ],
)
def test_counts_units_and_spaces(raw, unit, value, code):
    parsed = count(raw, unit)
    assert (parsed.value, parsed.code) == (value, code)


@pytest.mark.parametrize("raw", ["1250.5", "1250.50", "１２５０．５", "2019.12", "3000.8", "9999.99"])
def test_an_amount_with_four_digits_before_the_point_typed_as_text_is_no_date(raw):
    """A 万元 figure kept as text (a 文本 cell, pasted from another system) such as 1250.5 was refused as a
    date; only a year of 19xx/20xx with -, /, 年, or a day after two dots, is one."""
    parsed = parse_value(raw, type="decimal", places=2, unit="万元")
    assert parsed.value == Decimal(unicodedata.normalize("NFKC", raw)) and parsed.code in (
        "value-text-number",
        "value-normalised",
    )


def test_a_unit_is_never_taken_at_face_value_without_the_fields_unit():
    # a caller that knows no unit accepts none: "30家" is not silently 30 of something
    assert parse_value("30家", type="integer").code == "value-unit-wrong"


def _grouped(n: int, sep: str) -> str:
    text = f"{n:,}"
    return text.replace(",", sep)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from([",", " ", "\u00a0", "，", "\u3000"]))
def test_correct_grouping_reads_back_unchanged(n, sep):
    assert count(_grouped(n, sep), "人次").value == n


@given(st.integers(min_value=0, max_value=10**12))
def test_full_width_digits_read_back_unchanged(n):
    parsed = count(str(n).translate(FULL_WIDTH))
    assert parsed.value == n and parsed.code == "value-normalised"


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["家", "项", "场", "人次", "个月", "名"]))
def test_the_fields_own_unit_reads_back_unchanged(n, unit):
    assert count(f"{n}{unit}", unit).value == n
    assert count(f"{n} {unit}", unit).value == n


@given(st.integers(min_value=0, max_value=10**12))
def test_yuan_in_a_wan_yuan_field_is_divided_exactly(n):
    parsed = money(f"{n}元")
    assert parsed.value * 10000 == n and parsed.code == "value-unit-converted"


@given(st.integers(min_value=1000, max_value=10**9), st.data())
def test_digits_split_anywhere_but_by_three_are_an_error(n, data):
    digits = str(n)
    cut = data.draw(st.integers(min_value=1, max_value=len(digits) - 1))
    text = f"{digits[:cut]} {digits[cut:]}"
    if len(digits) - cut == 3 and cut <= 3:
        assert count(text, "人次").value == n  # "1 200": a correct group of three
    else:
        parsed = count(text, "人次")
        assert parsed.value is None and parsed.code == "value-not-number"


@given(
    st.sampled_from(["家", "项", "场", "人次", "名"]), st.sampled_from(["家", "项", "场", "人次", "名", "元"])
)
def test_another_unit_is_an_error_never_the_figure(own, other):
    parsed = count(f"30{other}", own)
    if own == other:
        assert parsed.value == 30
    else:
        assert parsed.value is None and parsed.code == "value-unit-wrong"


ANY_UNIT = sorted({*UNITS, *MONEY_UNITS, *MULTIPLIERS, "万人次", "千元", "亿"})


@given(
    st.integers(min_value=1, max_value=10**9),
    st.sampled_from(ANY_UNIT),
    st.sampled_from(["家", "项", "人次", "个月", "名", "万元"]),
)
def test_a_unit_other_than_the_fields_is_never_taken_at_face_value(n, suffix, own):
    kind = "decimal" if own == "万元" else "integer"
    parsed = parse_value(f"{n}{suffix}", type=kind, places=2, unit=own)
    if suffix == own or unit_agrees(suffix, own):
        assert parsed.value == n and parsed.code == "value-normalised"
    elif parsed.value is not None:
        assert parsed.code == "value-unit-converted" and parsed.value != n
    else:
        assert parsed.code in (
            "value-unit-wrong",
            "value-unit-inexact",
            "value-not-number",
            "value-too-large",
        )


def test_a1_references_are_the_ones_excel_uses():
    from xlsxwriter.utility import xl_rowcol_to_cell

    from kjjr_excel.domain.parse import a1

    assert (a1(0, 0), a1(9, 26), a1(2, 701), a1(0, 702), a1(1048575, 16383)) == (
        "A1",
        "AA10",
        "ZZ3",
        "AAA1",
        "XFD1048576",
    )
    for row, col in [(r, c) for r in (0, 1, 99, 65535) for c in range(0, 800, 7)]:
        assert a1(row, col) == xl_rowcol_to_cell(row, col)


@pytest.mark.parametrize(
    "raw", [1e28, 1e300, -1e20, "100000000000000000000000000000", "1,000,000,000,000,000", 10**15, 10**40]
)
@pytest.mark.parametrize("kind", ["integer", "decimal"])
def test_a_figure_no_spreadsheet_holds_exactly_is_a_cell_error_not_a_refused_file(raw, kind):
    """From 10^15 up a figure was not typed as an exact count; from 10^28 up rounding a count to a whole number
    raised decimal.InvalidOperation, and the whole file was refused as 文件已损坏 (found 2026-12-01)."""
    parsed = parse_value(raw, type=kind, places=2, unit="家")
    assert parsed.value is None and parsed.code in ("value-too-large", "value-negative")
    if parsed.code == "value-too-large":  # said as what it is: a figure, only far too large (not 不是数字)
        assert "大得不合常理" in Finding.make(parsed.code, label="人员", raw=str(raw), cell="F12").message


def test_the_largest_exact_figures_still_read():
    assert count(10**15 - 1).value == 10**15 - 1
    assert money("999999999999999").value == Decimal("999999999999999")


def test_a_yes_no_word_is_read_with_a_note_that_asks_for_yes_or_no():
    """'√', '无', '有' for 重大责任事故 or 一票否决: read as 是/否, and the note asks for 是 or 否, not for a number."""
    from kjjr_excel.domain.findings import Finding

    for raw, value in (("√", True), ("有", True), ("无", False), ("×", False)):
        parsed = parse_value(raw, type="bool")
        assert (parsed.value, parsed.code) == (value, "value-yes-no-word")
        message = Finding.make(parsed.code, label="重大责任事故", **dict(parsed.fields)).message
        assert message.endswith("以后请只填写“是”或“否”。") and "数字" not in message
    assert parse_value("是", type="bool").code == parse_value("否", type="bool").code == ""


def test_a_boolean_cell_in_a_count_is_quoted_as_the_spreadsheet_shows_it():
    """TRUE typed into a count: Excel, WPS and LibreOffice show TRUE/FALSE, so the error quotes that, not 是/否
    (which the clerk would look for in vain); in a yes/no indicator a boolean cell is the answer."""
    from kjjr_excel.domain.parse import screen_text

    for raw, shown in ((True, "TRUE"), (False, "FALSE")):
        parsed = parse_value(raw, type="integer")
        assert (parsed.value, parsed.code, dict(parsed.fields)["raw"]) == (None, "value-not-number", shown)
        assert screen_text(raw, "decimal") == shown
    assert parse_value(True, type="bool").value is True and screen_text(True, "bool") == "是"


@pytest.mark.parametrize(
    "text, known",
    [
        ("万条", True),
        ("百家", True),
        ("万人次", True),
        ("千万元", True),
        ("万万元", True),
        ("条", True),
        ("万", True),
        ("十分钟", False),
    ],
)
def test_a_count_in_a_larger_scale_is_a_unit(text: str, known: bool) -> None:
    from kjjr_excel.domain.parse import known_unit

    assert known_unit(text) is known

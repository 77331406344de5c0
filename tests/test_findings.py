"""Findings: stable codes, severities and Chinese templates in one table; a finding is data, sorted for 校验问题."""

import re

from kjjr_excel.domain.findings import CODES, Finding, Severity, has_errors, sorted_findings


def test_every_code_has_a_severity_and_a_chinese_template():
    assert CODES
    for code, (severity, template) in CODES.items():
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", code), code
        assert isinstance(severity, Severity)
        assert re.search(r"[\u4e00-\u9fff]", template), code


def test_make_fills_the_template_and_keeps_where():
    f = Finding.make("center-missing", center="甲中心", name="甲中心", roster_code="GD01")
    assert f.code == "center-missing" and f.severity is CODES["center-missing"][0]
    assert "甲中心" in f.message and "{" not in f.message
    assert f.center == "甲中心" and f.file == ""


def test_a_missing_field_never_hides_the_finding():
    f = Finding.make("center-missing")
    assert f.code == "center-missing" and "（缺少 " in f.message


def test_make_typed_keeps_the_value_as_typed():
    f = Finding.make_typed("header-missing", "１２", field="名称", value="12")
    assert f.value == "１２"


def test_severity_can_be_lowered_and_sorts_errors_first():
    warning = Finding.make("header-missing", field="考核年度", severity=Severity.WARNING, file="b.xlsx")
    error = Finding.make("header-missing", field="名称", file="b.xlsx", cell="C10")
    earlier_cell = Finding.make("header-missing", field="名称", file="b.xlsx", cell="C9")
    assert warning.severity is Severity.WARNING and error.severity is Severity.ERROR
    assert sorted_findings([warning, error, earlier_cell, error]) == [earlier_cell, error, warning]
    assert has_errors([warning, error]) and not has_errors([warning])
    assert warning.as_dict()["severity"] == "警告"

"""errors.py: what stops a command is a KjjrError (exit 3, a Chinese message); wrong usage is not one (exit 2)."""

from __future__ import annotations

from click.testing import CliRunner

from kjjr_excel.cli import cli
from kjjr_excel.errors import KjjrError, OutputError, RosterError, SchemeError, WrongUsage


def test_the_run_stopping_errors_are_kjjr_errors_and_usage_is_not():
    for kind in (SchemeError, RosterError, OutputError):
        assert issubclass(kind, KjjrError)
    assert not issubclass(WrongUsage, KjjrError)


def test_a_scheme_error_says_where():
    error = SchemeError("方案文件有误", path="x.toml", key="grades[0].min", line=12)
    assert (str(error), error.path, error.key, error.line) == ("方案文件有误", "x.toml", "grades[0].min", 12)


def test_a_kjjr_error_is_exit_3_with_its_message_and_no_traceback(tmp_path):
    missing = tmp_path / "没有这个方案.toml"
    result = CliRunner().invoke(cli, ["validate", str(missing), str(tmp_path)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and "没有这个方案" in result.output


def test_wrong_usage_is_exit_2(tmp_path):
    result = CliRunner().invoke(cli, ["template", "qingdao", "--per-center", "-o", str(tmp_path / "t")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output

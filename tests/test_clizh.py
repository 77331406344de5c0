"""clizh: click's own messages (usage errors, --help) come out in Chinese; what the table lacks stays as click
wrote it."""

from __future__ import annotations

import click
from click.testing import CliRunner

from kjjr_excel import clizh


def _command() -> click.Command:
    clizh.install()  # idempotent; before the decorators, which evaluate click's help texts

    @click.command()
    @click.argument("inbox")
    @click.option("--count", type=int, default=1)
    def cmd(inbox: str, count: int) -> None:
        click.echo(f"{inbox} {count}")

    return cmd


def test_usage_errors_are_chinese():
    result = CliRunner().invoke(_command(), [])
    assert result.exit_code == 2
    assert "用法：" in result.output and "错误：" in result.output and "缺少参数" in result.output
    assert "Usage:" not in result.output and "Missing argument" not in result.output


def test_a_bad_number_is_worded_in_chinese_with_the_value_as_typed():
    result = CliRunner().invoke(_command(), ["inbox", "--count", "三"])
    assert result.exit_code == 2
    assert "'三' 不是有效的整数。" in result.output


def test_help_is_chinese():
    result = CliRunner().invoke(_command(), ["--help"])
    assert result.exit_code == 0
    assert "选项" in result.output and "显示本帮助并退出。" in result.output
    assert "Show this message and exit." not in result.output


def test_the_lookups_fall_back_to_click_and_pick_singular_or_plural():
    assert clizh._gettext("A message the table lacks") == "A message the table lacks"
    singular = "Got unexpected extra argument ({args})"
    plural = "Got unexpected extra arguments ({args})"
    assert clizh._ngettext(singular, plural, 1) == clizh.ZH[singular]
    assert clizh._ngettext("one {n}", "many {n}", 2) == "many {n}"
    assert clizh._ngettext("one {n}", "many {n}", 1) == "one {n}"


def test_a_command_still_runs():
    result = CliRunner().invoke(_command(), ["收件箱", "--count", "3"])
    assert result.exit_code == 0, result.output
    assert result.output == "收件箱 3\n"

"""The command line: every command documented, Chinese messages, exit codes."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kjjr_excel.cli import cli


def all_commands():
    return sorted(cli.commands)


def test_expected_commands_exist():
    assert set(all_commands()) >= {"template", "validate", "rank", "receipts", "remind", "demo", "schemes"}


@pytest.mark.parametrize("name", all_commands())
def test_every_command_has_help(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert cli.commands[name].help and cli.commands[name].help.strip()
    assert "Usage" in result.output or "用法" in result.output


def test_top_level_help_and_version():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "科技金融" in result.output
    assert CliRunner().invoke(cli, ["--version"]).exit_code == 0


def test_schemes_lists_both():
    result = CliRunner().invoke(cli, ["schemes"])
    assert result.exit_code == 0
    assert "qingdao-2017" in result.output and "guangdong-2019" in result.output


def test_unknown_scheme_is_a_chinese_message_not_a_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["rank", "shanghai", str(tmp_path)])
    assert result.exit_code == 3
    assert "找不到考核方案" in result.output
    assert "Traceback" not in result.output


def test_wrong_usage_exits_2():
    assert CliRunner().invoke(cli, ["rank"]).exit_code == 2


def test_python_dash_m_works():
    out = subprocess.run(
        [sys.executable, "-m", "kjjr_excel", "schemes"], capture_output=True, text=True, check=True
    )
    assert "qingdao-2017" in out.stdout


def test_click_messages_are_chinese(tmp_path):
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(tmp_path), "--year", "abc"])
    assert result.exit_code == 2
    assert "取值无效" in result.output and "不是有效的整数" in result.output
    assert "用法" in result.output and "Usage" not in result.output
    help_text = CliRunner().invoke(cli, ["template", "--help"]).output
    assert "显示本帮助并退出" in help_text and "Show this message" not in help_text


def test_scheme_new_writes_a_commented_copy_that_checks(tmp_path):
    target = tmp_path / "qingdao-2018.toml"
    result = CliRunner().invoke(cli, ["scheme", "new", "--from", "qingdao", "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# 考核方案文件") and 'id = "qingdao-2018"' in text and "aliases" not in text
    # an edited bound would be printed as 通知原文 unless its section's source is changed: the guide says so
    assert 'source 改为 "default"' in text and "\nremarks = " not in text
    result = CliRunner().invoke(cli, ["scheme", "check", str(target)])
    assert result.exit_code == 0, result.output
    for words in (
        "qingdao-2018",
        "征集科技型中小企业信息",
        "5 + 0.25×(n−30)",
        "优秀：90分（含）以上",
        "摘牌",
        "补助",
    ):
        assert words in result.output
    again = CliRunner().invoke(cli, ["scheme", "new", "--from", "qingdao", "-o", str(target)])
    assert again.exit_code == 2 and "已存在" in again.output


def test_a_raised_target_reaches_the_template_clerks_read_and_scheme_check_says_so(tmp_path):
    import openpyxl

    target = tmp_path / "qingdao-2018.toml"
    assert CliRunner().invoke(cli, ["scheme", "new", "--from", "qingdao", "-o", str(target)]).exit_code == 0
    text = target.read_text(encoding="utf-8")
    text = text.replace(
        "step = 0.25, target = 30, min = 0, max = 10", "step = 0.25, target = 40, min = 0, max = 10"
    )
    target.write_text(text, encoding="utf-8")
    checked = CliRunner().invoke(cli, ["scheme", "check", str(target)])
    assert checked.exit_code == 0, checked.output
    assert "计分标准文字中的 30 已按计分规则（target = 40）改为 40" in checked.output
    made = CliRunner().invoke(cli, ["template", str(target), "-o", str(tmp_path / "t")])
    assert made.exit_code == 0, made.output
    assert "提示：指标“征集科技型中小企业信息”：计分标准文字中的 30" in made.output
    (book,) = (tmp_path / "t").glob("*.xlsx")
    texts = [c.value for ws in openpyxl.load_workbook(book) for row in ws.iter_rows() for c in row]
    said = [t for t in texts if isinstance(t, str) and "新增科技型企业信息" in t and t.startswith("每年收集")]
    assert said and all("每年收集40家" in t for t in said)


def test_scheme_check_refuses_a_typo_with_key_and_line(tmp_path):
    target = tmp_path / "mine.toml"
    CliRunner().invoke(cli, ["scheme", "new", "--from", "guangdong", "-o", str(target)])
    text = target.read_text(encoding="utf-8").replace("outlier_threshold", "outlier_treshold")
    target.write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "outlier_treshold" in t)
    result = CliRunner().invoke(cli, ["scheme", "check", str(target)])
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert (
        f"validation.outlier_treshold（第{line}行）" in result.output
        and "outlier_threshold？" in result.output
    )


def test_the_sample_generator_is_loaded_only_by_the_demo():
    code = (
        "import sys, kjjr_excel.cli, kjjr_excel.app, kjjr_excel.write.ranking, kjjr_excel.write.template, "
        "kjjr_excel.write.receipts; print(any(m.startswith('kjjr_excel.demo') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def walk(group, path=()):
    """Every command and subcommand, as the argument path that reaches it."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from walk(command, (*path, name))


@pytest.mark.parametrize("path", [p for p, _ in walk(cli)], ids=" ".join)
def test_every_command_and_subcommand_has_chinese_help(path):
    command = dict(walk(cli))[path]
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0 and "用法" in result.output
    assert re.search(r"[\u4e00-\u9fff]", command.help or ""), path
    for param in command.params:
        if isinstance(param, click.Option):
            assert re.search(r"[\u4e00-\u9fff]", param.help or ""), (path, param.name)


@pytest.mark.parametrize("name", ["rank", "publish"])
def test_pdf_help_names_the_variable_that_finds_libreoffice(name):
    from kjjr_excel.write.pdf import SOFFICE_VARIABLE

    text = " ".join(CliRunner().invoke(cli, [name, "--help"]).output.split())
    assert f"环境变量 {SOFFICE_VARIABLE} 指定 soffice.exe 的完整路径" in text


@pytest.mark.parametrize("verbose, expected", [([], "0"), (["-v"], "1")])
def test_rust_backtraces_are_off_unless_verbose(monkeypatch, verbose, expected):
    """A native reader's panic is a finding; the Rust backtrace RUST_BACKTRACE=1 would add on the console (and
    in every worker, which inherits the environment) is shown only with -v."""
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    result = CliRunner().invoke(cli, [*verbose, "schemes"])
    assert result.exit_code == 0, result.output
    assert os.environ["RUST_BACKTRACE"] == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["rank"], "缺少参数 SCHEME：请给出考核方案（qingdao、guangdong，或方案文件 .toml 的路径）。"),
        (["validate", "guangdong"], "缺少参数 INPUTS...：请给出报送文件或存放报送文件的文件夹。"),
        (["scheme", "check"], "缺少参数 FILE：请给出考核方案文件（.toml）的路径。"),
        (["scheme", "new", "--from", "qingdao"], "缺少选项 -o / --output：新方案文件（.toml）。"),
    ],
)
def test_a_missing_argument_is_said_in_chinese_with_what_to_give(args, expected):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert f"错误：{expected}" in result.output
    assert "'" not in result.output.splitlines()[-1] and "." not in result.output.splitlines()[-1][-1:]


def test_a_scheme_that_requires_a_roster_is_not_run_without_one(tmp_path):
    """roster_required = true was read and never used: a Qingdao copy asking for a roster ranked every file
    it was given. Without --roster it now stops, saying what to give; with one it runs."""
    from kjjr_fixtures import build_submission, good_values

    from kjjr_excel.domain.scheme import load_scheme

    target = tmp_path / "mine.toml"
    CliRunner().invoke(cli, ["scheme", "new", "--from", "qingdao", "-o", str(target)])
    text = target.read_text(encoding="utf-8").replace("roster_required = false", "roster_required = true")
    target.write_text(text, encoding="utf-8")
    scheme = load_scheme(target)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    build_submission(inbox / "a.xlsx", scheme, center=("QD01", "测试分中心"), values=good_values(scheme))
    out = tmp_path / "out.xlsx"
    for command in (["rank", str(target), str(inbox), "-o", str(out)], ["validate", str(target), str(inbox)]):
        result = CliRunner().invoke(cli, command)
        assert (
            result.exit_code == 2
            and "roster_required = true" in result.output
            and "--roster" in result.output
        )
    assert not out.exists()
    roster = tmp_path / "roster.csv"
    roster.write_text("编号,名称,依托单位\nQD01,测试分中心,测试单位\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["rank", str(target), str(inbox), "--roster", str(roster), "-o", str(out)]
    )
    assert result.exit_code == 0 and out.exists(), result.output


# ---------------------------------------------------------------------------------------------- the console


def console_inbox(tmp_path):
    """A good submission and a file that is not a workbook (a ✗ line, and exit 1 from validate)."""
    from kjjr_fixtures import good_values, real_submission

    from kjjr_excel.domain.scheme import load_scheme

    qd = load_scheme("qingdao")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "甲.xlsx", qd, center=("Q1", "甲中心"), values=good_values(qd))
    (inbox / "乙.xlsx").write_bytes(b"not a workbook")
    return inbox


def kjjr_process(tmp_path, *args, **kwargs) -> subprocess.Popen:
    env = {**os.environ, **kwargs.pop("env", {})}
    return subprocess.Popen(
        [sys.executable, "-m", "kjjr_excel", *args], cwd=tmp_path, env=env, stderr=subprocess.PIPE, **kwargs
    )


def test_a_gbk_console_shows_every_line_and_ends_with_the_commands_status(tmp_path):
    """On a GBK console (zh_CN.GBK; Windows' cp936 once output is redirected) validate's ✗ and ✓ ended the
    run in 程序内部错误：UnicodeEncodeError."""
    console_inbox(tmp_path)
    env = {"PYTHONIOENCODING": "gbk", "LANG": "zh_CN.GBK"}
    proc = kjjr_process(
        tmp_path, "validate", "qingdao", "inbox", "-o", "报告.xlsx", stdout=subprocess.PIPE, env=env
    )
    out, err = proc.communicate(timeout=120)
    text = out.decode("gbk") + err.decode("gbk")
    assert proc.returncode == 1, text
    assert "× 乙.xlsx：无法读取" in text and "√ 甲.xlsx：已读取" in text and "内部错误" not in text, text
    assert (tmp_path / "报告.xlsx").is_file()


def test_a_closed_pipe_on_stdout_does_not_stop_the_command(tmp_path):
    """`kjjr validate … | head -1`: the BrokenPipeError of the second line ended the command there with exit 0;
    it now finishes, prints nothing more and ends with its own status (1: a submission has an error)."""
    console_inbox(tmp_path)
    proc = kjjr_process(tmp_path, "validate", "qingdao", "inbox", "-o", "报告.xlsx", stdout=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert err == "" and (tmp_path / "报告.xlsx").is_file()


def test_validate_shows_the_findings_on_what_has_no_line_of_its_own(tmp_path):
    """A folder that could not be opened or followed counted in 合计：错误 1 条 with no line saying what it was."""
    inbox = console_inbox(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", inbox / "附件")
    result = CliRunner().invoke(cli, ["validate", "qingdao", str(inbox), "-o", str(tmp_path / "报告.xlsx")])
    assert result.exit_code == 1
    assert "  [错误] “附件”是指向其他文件夹的快捷方式" in result.output, result.output


def test_rank_says_which_history_file_it_could_not_use(tmp_path):
    """An earlier year's result that could not be read (here a FIFO) was only counted in 问题：错误 2 条; the
    assessment tables already had their 未使用 line."""
    inbox = console_inbox(tmp_path)
    os.mkfifo(tmp_path / "2016.xlsx")
    args = [
        "rank",
        "qingdao",
        str(inbox),
        "--history",
        str(tmp_path / "2016.xlsx"),
        "-o",
        str(tmp_path / "r.xlsx"),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "2016.xlsx（历年结果文件无法读取：这不是普通文件" in result.output, result.output
    assert result.output.startswith("未使用：")
    assert "使用往年结果：2016.xlsx（读到的年度：无）" in result.output  # which files the 摘牌 rule was given


def test_validate_of_a_folder_without_files_says_so(tmp_path):
    """共查看 0 个文件…（原因见上） pointed at reasons that were not there."""
    (tmp_path / "inbox" / "附件.xlsx").mkdir(parents=True)  # a folder named like a workbook is no file
    result = CliRunner().invoke(
        cli, ["validate", "qingdao", str(tmp_path / "inbox"), "-o", str(tmp_path / "r.xlsx")]
    )
    assert result.exit_code == 1
    assert (
        "没有读取到任何填报表：给出的文件夹中没有任何文件。" in result.output
        and "原因见上" not in result.output
    )


def test_stdout_on_a_full_disk_does_not_stop_the_command_or_blame_the_temp_folder(tmp_path):
    """`kjjr rank … > log.txt` with the log's disk full (here /dev/full): the ENOSPC of the first line ended the
    run as 磁盘空间不足：临时文件夹 /tmp 所在的磁盘已满，结果没有写成 — about a ranking that was written."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    console_inbox(tmp_path)
    with open("/dev/full", "w") as full:
        proc = kjjr_process(tmp_path, "validate", "qingdao", "inbox", "-o", "报告.xlsx", stdout=full)
        err = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 1 and err == "", err
    assert (tmp_path / "报告.xlsx").is_file()


def test_a_command_runs_with_no_stderr_at_all(tmp_path):
    """With stderr closed (a scheduled task, pythonw on Windows: sys.stderr is None) every command ended at
    once in 程序内部错误 on the check for a terminal; it now runs and ends with its own status."""
    console_inbox(tmp_path)
    code = "import sys; sys.stderr = None; from kjjr_excel.cli import main; main()"
    args = ["-c", code, "rank", "qingdao", "inbox", "-o", "排名.xlsx"]
    done = subprocess.run([sys.executable, *args], cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout.decode()
    assert (tmp_path / "排名.xlsx").is_file()


def test_running_out_of_memory_is_the_machines_limit_not_an_internal_error(tmp_path, monkeypatch):
    """Under a memory limit (ulimit -v 60000 on 600 submissions) rank ended in 程序内部错误：MemoryError: 。
    请…把输出发给技术支持."""
    from kjjr_excel import app

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(app, "rank_inbox", exhausted)
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(console_inbox(tmp_path))])
    assert result.exit_code == 3, result.output
    assert "内存不足" in result.output and "--jobs 1" in result.output and "内部错误" not in result.output


def test_a_finding_on_a_zip_with_no_line_of_its_own_names_the_zip(tmp_path):
    inbox = console_inbox(tmp_path)
    with zipfile.ZipFile(inbox / "附件包", "w") as zf:
        zf.writestr("说明.txt", "见表")
    result = CliRunner().invoke(cli, ["validate", "qingdao", str(inbox), "-o", str(tmp_path / "报告.xlsx")])
    assert (
        "  [提示] 附件包：文件名没有扩展名，已按文件内容作为压缩包读取。以后请在文件名后保留扩展名（如 .zip）"
        in result.output
    ), result.output


def test_the_output_workbook_is_always_named_xlsx(tmp_path):
    """-o r.csv wrote an .xlsx under a .csv name, -o result a file without an extension that opens in nothing
    on a double click: the first is refused in Chinese before anything is read, the second gets .xlsx."""
    inbox = Path(__file__).resolve().parents[1] / "sample_inputs" / "qingdao" / "inbox"
    refused = CliRunner().invoke(cli, ["rank", "qingdao", str(inbox), "-o", str(tmp_path / "r.csv")])
    assert refused.exit_code == 2 and "结果只能保存为 .xlsx 文件：请改为 r.xlsx" in refused.output
    assert not list(tmp_path.iterdir())
    named = CliRunner().invoke(cli, ["validate", "qingdao", str(inbox), "-o", str(tmp_path / "报告")])
    assert (tmp_path / "报告.xlsx").is_file() and not (tmp_path / "报告").exists(), named.output


def test_an_interrupt_never_ends_in_an_english_traceback(tmp_path):
    """Ctrl+C once left a ZipFile stopped inside its constructor, and its __del__ failed as the process
    ended: "Exception ignored in: <function ZipFile.__del__ …> AttributeError …" after 已中止。"""
    inbox = Path(__file__).resolve().parents[1] / "sample_inputs" / "qingdao" / "inbox"
    code = (
        "import kjjr_excel.app as app\n"
        "class Half:\n"
        "    def __del__(self):\n"
        "        raise AttributeError('half made')\n"
        "def interrupted(*args, **kwargs):\n"
        "    app.left_behind = Half()\n"
        "    raise KeyboardInterrupt\n"
        "app.validate_inbox = interrupted\n"
        "from kjjr_excel.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "validate", "qingdao", str(inbox)], capture_output=True, text=True
    )
    assert done.returncode == 130 and "已中止。" in done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr

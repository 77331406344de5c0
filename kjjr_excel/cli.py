"""Command line: parse options, call one library function, print in Chinese, exit.

Exit status: 0 output written; 1 `validate` found an error in a submission, or `rank` wrote provisional results
because an assessor table or review sheet could not be used (unless --allow-missing-assessment); 2 wrong usage;
3 no output could be written (the message says why); 4 an internal error (run with -v for the details); 130
stopped by Ctrl+C, SIGTERM or SIGHUP.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from kjjr_excel import __version__, clizh, lifecycle
from kjjr_excel.errors import KjjrError, WrongUsage

if TYPE_CHECKING:
    from kjjr_excel.app import Bars, Drafts, Inbox, Ranked, Validated, Written
    from kjjr_excel.domain.findings import Finding
    from kjjr_excel.domain.scheme import Scheme

clizh.install()  # before the decorators below evaluate click's help texts

EXIT_FINDINGS = 1
EXIT_NO_OUTPUT = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl+C

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
SCHEME_HELP = "考核方案：qingdao-2017、guangdong-2019（简称 qingdao、guangdong），或方案文件（.toml）的路径。"


# What each argument is, for the message when it is missing (click's own reads "缺少参数 'SCHEME'.": an
# English name in quotes and an ASCII full stop, hard-coded in click)
ARGUMENT_TEXT = {
    "SCHEME": "请给出考核方案（qingdao、guangdong，或方案文件 .toml 的路径）",
    "INPUTS...": "请给出报送文件或存放报送文件的文件夹",
    "FILE": "请给出考核方案文件（.toml）的路径",
    "RANKING": "请给出排名结果表（.xlsx）的路径",
}


def missing_text(exc: click.MissingParameter, ctx: click.Context) -> str:
    """A missing argument or option, in Chinese: which one, and what to give."""
    if exc.param is None:
        return exc.format_message()
    names = [hint.strip().strip("'\"") for hint in exc.param.get_error_hint(ctx).split(" / ")]
    kind = "选项" if isinstance(exc.param, click.Option) else "参数"
    text = f"缺少{kind} {' / '.join(names)}"
    what = ARGUMENT_TEXT.get(names[0]) or getattr(exc.param, "help", None)
    return f"{text}：{what.rstrip('。')}。" if what else f"{text}。"


class KjjrCommand(click.Command):
    """Turns KjjrError into a Chinese message and exit 3, and anything unexpected into exit 4."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.MissingParameter as exc:
            raise click.UsageError(missing_text(exc, ctx), ctx) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KjjrError as exc:
            click.secho(f"错误：{exc}", fg="red", err=True)
            # a writer stopped by a full disk may leave a ZipFile whose __del__ fails again as the process
            # ends: Python would print that in English ("Exception ignored in …") after our message
            sys.unraisablehook = lambda unraisable: None
            ctx.exit(EXIT_NO_OUTPUT)
        except KeyboardInterrupt:  # Ctrl+C, or SIGTERM/SIGHUP (lifecycle); click's own Abort exits 1, which
            # run_ranking.sh/.bat read as 排名结果已生成，但是暂定结果 (and validate as 有错误)
            click.echo("\n已中止。没有写完的文件已删除，原有的结果文件没有改动；已写完的文件保留。", err=True)
            # an object the interrupt left half made (a ZipFile stopped inside its constructor) fails in its
            # __del__ as the process ends: Python prints that, in English, as "Exception ignored in …"
            sys.unraisablehook = lambda unraisable: None
            ctx.exit(EXIT_INTERRUPTED)
        except WrongUsage as exc:
            raise click.UsageError(str(exc), ctx) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except MemoryError:  # the machine's limit, not a fault of the program to send to technical support
            click.secho(
                "错误：内存不足，没有完成（原有的结果文件没有改动）。请关闭其他程序后重试，"
                "或加 --jobs 1 只用一个进程；报送文件很多时，可以分几个文件夹分批校验。",
                fg="red",
                err=True,
            )
            ctx.exit(EXIT_NO_OUTPUT)
        except BrokenPipeError:  # output piped into head/more that closed early: nothing to report
            sys.stderr.close()
            ctx.exit(0)
        except Exception as exc:  # the analyst must never see a bare traceback
            from kjjr_excel.write.output import disk_full, disk_full_error

            full = disk_full(exc)
            if full is not None:  # a scratch file, wherever it was: still the disk, and exit 3
                click.secho(f"错误：{disk_full_error(full)}", fg="red", err=True)
                ctx.exit(EXIT_NO_OUTPUT)
            if ctx.find_root().params.get("verbose"):
                raise
            click.secho(
                f"程序内部错误：{type(exc).__name__}: {exc}。请加 -v 重新运行查看详情，并把输出发给技术支持。",
                fg="red",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


class KjjrGroup(click.Group):
    command_class = KjjrCommand


@click.group(cls=KjjrGroup, context_settings=CONTEXT)
@click.version_option(
    __version__, "-V", "--version", message="kjjr-excel %(version)s", help="显示版本号并退出。"
)
@click.option("-v", "--verbose", is_flag=True, help="出错时显示完整的技术信息（traceback）。")
def cli(verbose: bool) -> None:
    """科技金融服务中心考核工具：生成填报模板、汇总校验报送的Excel文件、计分排名、输出排名结果表。"""
    if not verbose:
        # a native reader's panic on a hostile file is this file's finding; without this, a machine with
        # RUST_BACKTRACE set printed a 60-line Rust backtrace on the console beside it (workers inherit it)
        os.environ["RUST_BACKTRACE"] = "0"


class _Path(click.Path):
    """click.Path that refuses an empty name (-o ''), which pathlib reads as the current folder."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("路径为空：请写出文件或文件夹的名称。", param, ctx)
        return super().convert(value, param, ctx)


def inbox_arguments(command: Callable) -> Callable:
    """SCHEME INPUTS... [--roster FILE] [--year YYYY]: what every command that reads an inbox takes."""
    command = click.option(
        "--year", type=click.IntRange(1990, 2100), help="考核年度（默认取考核方案中的年度）。"
    )(command)
    command = click.option(
        "--roster",
        type=_Path(exists=True, dir_okay=False, path_type=Path),
        help="名录文件（编号、名称、依托单位）。",
    )(command)
    command = inputs_argument(command)
    return click.argument("scheme", metavar="SCHEME")(command)


def inputs_argument(command: Callable) -> Callable:
    return click.argument(
        "inputs", nargs=-1, required=True, type=_Path(exists=True, readable=False, path_type=Path)
    )(command)


def jobs_option(command: Callable) -> Callable:
    """--jobs N: how many processes read (or write) the files."""
    return click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="同时使用的进程数，默认为本机核数；1 表示只用一个进程。",
    )(command)


def workbook_option(help: str) -> Callable[[Callable], Callable]:
    """-o/--output FILE.xlsx, as validate and rank take it: a name without an extension gets .xlsx (a file
    named "结果" opens in nothing on a double click); another extension (.csv, .xls) is refused, as the file
    would be an .xlsx under a name that says otherwise."""

    def xlsx(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
        if value is None or value.suffix.lower() == ".xlsx":
            return value
        if not value.suffix:
            return value.with_name(value.name + ".xlsx")
        raise click.BadParameter(
            f"{value.name} 的扩展名是 {value.suffix}，结果只能保存为 .xlsx 文件：请改为 {value.stem}.xlsx。"
        )

    return click.option(
        "-o", "--output", type=_Path(dir_okay=False, readable=False, path_type=Path), callback=xlsx, help=help
    )


def out_dir_option(default: Path, help: str) -> Callable[[Callable], Callable]:
    """-o/--output FOLDER, as template, receipts and demo take it."""
    return click.option(
        "-o",
        "--output",
        "out_dir",
        type=_Path(file_okay=False, readable=False, path_type=Path),
        default=default,
        show_default=True,
        help=help,
    )


def _scheme(value: str) -> Scheme:
    from kjjr_excel.domain.scheme import load_scheme

    return load_scheme(value)


def _inbox(
    scheme: str, inputs: tuple[Path, ...], roster: Path | None, year: int | None, jobs: int | None = None
) -> Inbox:
    from kjjr_excel.app import Inbox

    return Inbox(_scheme(scheme), tuple(inputs), roster=roster, year=year, jobs=jobs)


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal. It yields click's bar.update: callers report the number of items just
    finished (an increment), as ingest and template generation do."""
    if total < 20:
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _bars() -> Bars | None:
    """Progress bars on a terminal, nothing in a pipe (where nothing is counted for them either)."""
    return progress_bar if sys.stderr.isatty() else None


def natural_key(text: str) -> list:
    """'2-…' before '10-…', as a clerk numbers files."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)]


def _say_written(written: Written) -> None:
    """已生成 and where, after a note when the file had to go beside the name asked for."""
    _say_moved(written)
    click.echo(f"已生成：{written.path}")


def _say_moved(written: Written) -> None:
    """The note every command gives for an output written beside a name that is open or may not be replaced:
    the clerk would otherwise mail, print or pay from the old file."""
    if Path(written.path) != Path(written.wanted):
        click.secho(
            f"注意：{written.wanted} 无法替换（正在被其他程序（如Excel）占用，或没有修改它的权限），"
            f"结果已另存为 {written.path}",
            fg="yellow",
        )


def _summary(findings: list[Finding]) -> str:
    from kjjr_excel.domain.findings import Severity

    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    return "，".join(f"{s.value} {counts[s]} 条" for s in Severity)


# ---------------------------------------------------------------------------------------------- commands


@cli.command()
def schemes() -> None:
    """列出内置的考核方案。"""
    from kjjr_excel.domain.scheme import shipped_schemes

    for sid, aliases, name in shipped_schemes():
        alias = f"（简称：{'、'.join(aliases)}）" if aliases else ""
        click.echo(f"{sid}{alias}  {name}")


@cli.group(name="scheme", cls=KjjrGroup)
def scheme_group() -> None:
    """检查考核方案文件，或复制内置方案作为自己的方案。"""


@scheme_group.command(name="check")
@click.argument("file", metavar="FILE")
def scheme_check(file: str) -> None:
    """检查考核方案文件（TOML）并列出其指标、计分规则、等次、补助和摘牌规定。"""
    from kjjr_excel.app import scheme_summary

    for line in scheme_summary(file):
        click.echo(line)
    click.echo("方案文件检查通过。")


@scheme_group.command(name="new")
@click.option(
    "--from", "source", required=True, metavar="SCHEME", help="作为起点的内置方案（如 qingdao）或方案文件。"
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=_Path(dir_okay=False, path_type=Path),
    help="新方案文件（.toml）。",
)
def scheme_new(source: str, output: Path) -> None:
    """复制一个考核方案，附上中文修改说明，供本单位修改后使用。"""
    from kjjr_excel.app import new_scheme

    stem = new_scheme(source, output)
    click.echo(f"已生成：{output}（方案编号 {stem}）。修改后可用 kjjr scheme check {output} 检查。")


@cli.command()
@click.argument("scheme", metavar="SCHEME")
@click.option(
    "--roster",
    type=_Path(exists=True, dir_okay=False, path_type=Path),
    help="名录文件（xlsx 或 csv，列：编号、名称、依托单位）。",
)
@click.option("--year", type=click.IntRange(1990, 2100), help="考核年度（默认取方案中的年度）。")
@click.option("--per-center", is_flag=True, help="按名录为每个分中心各生成一份预填名称、编号的模板。")
@click.option("--assessment", is_flag=True, help="同时生成考核评价表（青岛）或定性评分表（广东）。")
@out_dir_option(Path("outputs"), "输出文件夹。")
@jobs_option
def template(
    scheme: str,
    roster: Path | None,
    year: int | None,
    per_center: bool,
    assessment: bool,
    out_dir: Path,
    jobs: int | None,
) -> None:
    """生成填报模板（以及考核评价表/定性评分表）。SCHEME 为考核方案。"""
    from kjjr_excel.app import TemplateOptions, make_templates

    options = TemplateOptions(_scheme(scheme), out_dir, roster, year, per_center, assessment, jobs)
    for note in options.scheme.wording_notes:  # what the templates print differs from the scheme's text
        click.echo(f"提示：{note}")
    written = make_templates(options, _bars())
    for w in written[:5]:
        _say_written(w)
    if len(written) > 5:
        for w in written[5:]:  # a template beside an open one is named, however far down the list
            _say_moved(w)
        click.echo(f"……共 {len(written)} 个文件，保存在 {out_dir}")


@cli.command()
@inbox_arguments
@workbook_option("校验报告（.xlsx）。")
@jobs_option
def validate(
    scheme: str,
    inputs: tuple[Path, ...],
    roster: Path | None,
    year: int | None,
    output: Path | None,
    jobs: int | None,
) -> None:
    """校验报送的文件，列出每个文件的问题。INPUTS 为文件或文件夹。有错误时退出码为 1。"""
    from kjjr_excel.app import validate_inbox
    from kjjr_excel.domain.findings import Severity

    validated = validate_inbox(_inbox(scheme, inputs, roster, year, jobs), output, _bars())
    checked = validated.checked
    _say_checked_files(validated)
    _say_written(validated.report)
    click.echo(f"合计：{_summary(checked.findings)}")
    if not checked.submissions:  # not a clean inbox: an empty one, said plainly
        why = (
            f"共查看 {len(checked.files)} 个文件，没有一份是可读取的填报表（原因见上）"
            if checked.files
            else "给出的文件夹中没有任何文件。请确认报送的文件已保存到这里"
        )
        click.secho(f"没有读取到任何填报表：{why}。", fg="yellow")
        sys.exit(EXIT_FINDINGS)
    if any(f.severity is Severity.ERROR and f.file for f in checked.findings):
        sys.exit(EXIT_FINDINGS)


def file_marks(encoding: str | None) -> tuple[str, str]:
    """The marks of a file with an error and of a clean one: ✗ and ✓, or × and √ where the console's encoding
    lacks those (GBK has × and √, not ✗ and ✓, which '?' would make one mark)."""
    try:
        "✗✓".encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "×", "√"
    return "✗", "✓"


def _say_checked_files(validated: Validated) -> None:
    """One line per file (✗ error, ! warning, i note, ✓ none), the year used, the inbox's own findings."""
    checked = validated.checked
    by_file: dict[str, list[Finding]] = {}
    for f in checked.findings:
        by_file.setdefault(f.file or "（汇总）", []).append(f)
    wrong, right = file_marks(getattr(sys.stdout, "encoding", None))
    for info in sorted(checked.files, key=lambda i: natural_key(i.file)):
        own = by_file.get(info.file, [])
        worst = min((f.severity.order for f in own), default=9)
        mark = {0: wrong, 1: "!", 2: "i"}.get(worst, right)
        click.echo(f"{mark} {info.file}：{info.status}" + (f"，{_summary(own)}" if own else ""))
    click.echo(checked.year_note)
    # the inbox's own findings, and those on what has no line of its own (a folder it could not open or follow)
    listed = {info.file for info in checked.files}
    for f in (f for name, own in by_file.items() if name not in listed for f in own):
        named = f.file and f.file not in f.message  # (a zip read without its extension: which one)
        click.echo(f"  [{f.severity.value}] " + (f"{f.file}：" if named else "") + f.message)
    if checked.missing:
        click.echo(f"未提交（{len(checked.missing)}）：" + "、".join(r.name for r in checked.missing))


@cli.command()
@inbox_arguments
@click.option(
    "--assessment",
    "assessments",
    multiple=True,
    type=_Path(exists=True, path_type=Path),
    help="考核评价表（青岛）或评审人定性评分表（广东，每位评审人一个文件）；可多次给出，也可以给文件夹。",
)
@click.option(
    "--history",
    multiple=True,
    type=_Path(exists=True, dir_okay=False, path_type=Path),
    help="往年结果：本工具往年生成的排名结果表，或含 年度、名称/编号、等次、排名 列的表格。",
)
@click.option(
    "--allow-missing-assessment",
    is_flag=True,
    help="有考核评价表或评审表无法使用时，仍以退出码0结束（结果照样标为暂定结果，补助金额暂不确定）。",
)
@click.option("--strict", is_flag=True, help="数据有误的分中心不参加排名（默认按0分计并标记）。")
@workbook_option("排名结果表（.xlsx）。")
@click.option(
    "--pdf",
    is_flag=True,
    help="同时把“排名”表打印为PDF（需要安装 LibreOffice；不在默认位置时，用环境变量 KJJR_SOFFICE 指定 soffice.exe 的完整路径）。",
)
@jobs_option
def rank(
    scheme: str,
    inputs: tuple[Path, ...],
    roster: Path | None,
    year: int | None,
    assessments: tuple[Path, ...],
    history: tuple[Path, ...],
    allow_missing_assessment: bool,
    strict: bool,
    output: Path | None,
    pdf: bool,
    jobs: int | None,
) -> None:
    """汇总报送文件，计分、排名，输出排名结果表。INPUTS 为文件或文件夹（其中的考核评价表、评审表按表中
    的标识自动识别并使用）。有考核评价表或评审表无法使用时，结果为暂定结果，退出码为 1。"""
    from kjjr_excel.app import RankOptions, rank_inbox

    inbox = _inbox(scheme, inputs, roster, year, jobs)
    ranked = rank_inbox(RankOptions(inbox, tuple(assessments), tuple(history), strict, output), _bars())
    _say_ranked(ranked)
    if history:  # which earlier results the 摘牌 rule used
        years = "、".join(str(y) for y in ranked.result.history_years) or "无"
        click.echo(f"使用往年结果：{'、'.join(p.name for p in history)}（读到的年度：{years}）")
    if pdf:
        _say_pdf(ranked.workbook.path)
    _say_tables(ranked, allow_missing_assessment)


def _say_ranked(ranked: Ranked) -> None:
    """The tables used, the year and why, what was read and ranked, and where the workbook is."""
    result = ranked.result
    _say_tables_used(ranked)
    for f in result.findings:  # an earlier year's result that could not be read: 摘牌 is judged without it
        if f.code == "history-unreadable":
            click.secho(f"未使用：{f.file}（{f.message.rstrip('。')}）", fg="red")
    count = sum(1 for r in result.ranked if r.rank is not None)
    click.echo(result.notes[0])  # the year used and why
    click.echo(
        f"{result.scheme.name}（{result.year}年度）：读取 {len(result.submissions)} 份，参加排名 {count} 个，"
        f"未提交 {len(result.missing)} 个；问题：{_summary(result.findings)}（详见“校验问题”表）。"
    )
    for warning in (result.unsettled, result.short_budget):
        if warning:
            click.secho(warning, fg="yellow")
    _say_written(ranked.workbook)


def _say_pdf(workbook: Path) -> None:
    from kjjr_excel.app import ranking_pdf

    pdf = ranking_pdf(workbook)
    if pdf.path is None:
        click.secho(pdf.note, fg="yellow")
    else:
        click.echo(f"已生成：{pdf.path}")


def _say_tables_used(ranked: Ranked) -> None:
    """Which assessor tables or review sheets were used as what, and which were not (and why)."""
    result = ranked.result
    for u in result.tables:
        if u.used:
            who = f"（评审人 {u.reviewer}）" if u.reviewer else ""
            click.echo(f"使用{u.kind}：{u.file}{who}，{u.centers} 个{result.scheme.center_label}")
        else:
            click.secho(f"未使用：{u.file}（{u.note}）", fg="red")


def _say_tables(ranked: Ranked, allow_missing: bool) -> None:
    """A table that could not be used: the results are provisional, and the run ends non-zero unless allowed."""
    result = ranked.result
    if not result.table_unusable:
        return
    message = (
        f"结果为暂定结果（{result.provisional}）：有考核评价表或评审表无法使用，详见“校验问题”表；"
        f"{result.scheme.money_label}暂不确定。"
    )
    if allow_missing:
        click.secho(f"注意：{message}（已按 --allow-missing-assessment 继续）", fg="yellow")
        return
    click.secho(
        f"错误：{message}核对这些文件后重新运行；确认不使用时加 --allow-missing-assessment。", fg="red"
    )
    sys.exit(EXIT_FINDINGS)


@cli.command()
@inbox_arguments
@out_dir_option(Path("outputs") / "回执", "回执输出文件夹。")
@click.option(
    "--mail",
    is_flag=True,
    help="同时在每份回执旁生成邮件草稿（.eml，收件人为来信地址或名录中的邮箱，附回执），双击即可在邮件程序中发送。",
)
def receipts(
    scheme: str, inputs: tuple[Path, ...], roster: Path | None, year: int | None, out_dir: Path, mail: bool
) -> None:
    """为每个分中心生成回执（收到了什么、哪个单元格要改），便于邮件反馈。"""
    from kjjr_excel.app import write_receipts

    written = write_receipts(_inbox(scheme, inputs, roster, year), out_dir, mail=mail, bars=_bars())
    for w in written.written:
        _say_moved(w)
    click.echo(f"已生成回执 {written.receipts} 份，保存在 {out_dir}")
    if mail:
        _say_drafts(written.drafts)


def _say_drafts(drafts: Drafts) -> None:
    unaddressed = drafts.unaddressed
    click.echo(f"已生成邮件草稿 {len(drafts.paths)} 份（.eml）：双击打开，核对后发送。")
    if unaddressed:
        names = "、".join(p.name for p in unaddressed[:5]) + ("等" if len(unaddressed) > 5 else "")
        click.secho(
            f"注意：{len(unaddressed)} 份草稿没有收件地址（{names}），请在邮件程序中填写收件人，"
            "或在名录中填写“邮箱”列后重新生成。",
            fg="yellow",
        )


@cli.command()
@click.argument("scheme", metavar="SCHEME")
@inputs_argument
@click.option(
    "--roster",
    type=_Path(exists=True, dir_okay=False, path_type=Path),
    help="名录文件（编号、名称、依托单位，可选 联系人、电话、邮箱）；方案自带名录时可省略。",
)
@click.option("--year", type=click.IntRange(1990, 2100), help="考核年度（默认为方案的年度）。")
@out_dir_option(Path("outputs") / "催报", "催报草稿和催报名单的输出文件夹。")
def remind(
    scheme: str, inputs: tuple[Path, ...], roster: Path | None, year: int | None, out_dir: Path
) -> None:
    """为名录中还没有有效报送的分中心生成催报邮件草稿（.eml，附预填的填报模板）和可打印的催报名单（.xlsx）。"""
    from kjjr_excel.app import write_reminders

    inbox = _inbox(scheme, inputs, roster, year)
    reminders = write_reminders(inbox, out_dir, _bars())
    if not reminders.drafts.paths:
        click.echo(f"名录中的{inbox.scheme.center_label}都已有效报送，无需催报。")
    else:
        _say_drafts(reminders.drafts)
    _say_moved(reminders.listing)
    click.echo(f"已生成催报名单：{reminders.listing.path}")


@cli.command()
@click.argument("scheme", metavar="SCHEME")
@click.argument("ranking", type=_Path(exists=True, dir_okay=False, path_type=Path))
@out_dir_option(Path("outputs") / "公示", "输出文件夹。")
@click.option(
    "--days",
    type=click.IntRange(1, 60),
    help="公示期（工作日，默认取考核方案中的设置，未设置为5个工作日）。",
)
def publish(scheme: str, ranking: Path, out_dir: Path, days: int | None) -> None:
    """根据本工具生成的排名结果表（RANKING.xlsx），生成公示（Word 和 PDF）和补助发放清单。PDF 需要安装
    LibreOffice；不在默认位置时，用环境变量 KJJR_SOFFICE 指定 soffice.exe 的完整路径。"""
    from kjjr_excel import app

    published = app.publish(_scheme(scheme), ranking, out_dir, days=days)
    for written in published.written:
        _say_written(written)
    for note in published.notes:
        click.secho(note, fg="yellow")


@cli.command()
@out_dir_option(Path("outputs") / "demo", "演示输出文件夹。")
@click.option(
    "--samples",
    type=_Path(file_okay=False, path_type=Path),
    help="示例报送文件所在文件夹（默认使用仓库中的 sample_inputs，没有则现场生成）。",
)
def demo(out_dir: Path, samples: Path | None) -> None:
    """用示例报送文件演示完整流程（两个考核方案）：模板、校验、回执、排名、公示和补助发放清单。"""
    from kjjr_excel.app import run_demo

    for line in run_demo(out_dir, samples):
        click.echo(line)


class DropWhenClosed:
    """sys.stdout that, once it cannot be written (the reader of its pipe has gone, `kjjr rank … | head -1`; a
    log file on a full disk, `kjjr rank … > log.txt`), sends the rest to the null device. The error of the next
    line printed used to end the command there: with exit 0 and no PDF after the summary, a demo stopped after
    its first step, validate's exit 1 lost; a full disk was even reported as 临时文件夹…已满，结果没有写成
    about a ranking that was written."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            self._drop()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            self._drop()

    def _drop(self) -> None:
        try:
            self._stream.fileno()
        except (OSError, ValueError):  # no file behind it: a stream of the null device instead
            self._stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the whole run)
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, self._stream.fileno())  # what is still buffered goes there too, at exit as well
        finally:
            os.close(null)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def console_streams() -> None:
    """stdout and stderr as the console entry point wants them: a character the console's encoding lacks (a
    GBK console: zh_CN.GBK, or Windows' cp936 once output is redirected to a file) is shown as '?' instead of
    ending the run in UnicodeEncodeError (a clerk's file name may hold any character); a closed pipe on stdout
    or an unwritable stdout is no reason to stop, nor one that is not there at all (closed, pythonw)."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (for the whole run)
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "")
        if isinstance(stream, io.TextIOWrapper) and not encoding.startswith("utf"):
            stream.reconfigure(errors="replace")
    if sys.stdout is not None and not isinstance(sys.stdout, DropWhenClosed):
        sys.stdout = DropWhenClosed(sys.stdout)


def main() -> None:
    """Console entry point: SIGTERM and SIGHUP stop a run as Ctrl+C does, full garbage collections are rare
    (lifecycle), the console streams never stop a run; the exit status is the command's."""
    lifecycle.stop_on_hangup_and_term()
    lifecycle.collect_old_objects_rarely()
    console_streams()
    cli(prog_name="kjjr")


if __name__ == "__main__":
    main()

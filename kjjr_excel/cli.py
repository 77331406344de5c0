"""Command line: parse options, call one library function, print in Chinese, exit.

Exit status: 0 output written; 1 `validate` found an error in a submission, or `rank` wrote provisional results
because an assessor table or review sheet could not be used (unless --allow-missing-assessment); 2 wrong usage;
3 no output could be written (the message says why); 4 an internal error (run with -v for the details).
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from kjjr_excel import __version__, clizh, lifecycle
from kjjr_excel.errors import KjjrError
from kjjr_excel.write.output import refuse_inputs

clizh.install()  # before the decorators below evaluate click's help texts

EXIT_FINDINGS = 1
EXIT_NO_OUTPUT = 3
EXIT_INTERNAL = 4

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
SCHEME_HELP = "考核方案：qingdao-2017、guangdong-2019（简称 qingdao、guangdong），或方案文件（.toml）的路径。"


class KjjrCommand(click.Command):
    """Turns KjjrError into a Chinese message and exit 3, and anything unexpected into exit 4."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KjjrError as exc:
            click.secho(f"错误：{exc}", fg="red", err=True)
            ctx.exit(EXIT_NO_OUTPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
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


def inbox_arguments(command: Callable) -> Callable:
    """SCHEME INPUTS... [--roster FILE] [--year YYYY]: what every command that reads an inbox takes."""
    command = click.option(
        "--year", type=click.IntRange(1990, 2100), help="考核年度（默认取考核方案中的年度）。"
    )(command)
    command = click.option(
        "--roster",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="名录文件（编号、名称、依托单位）。",
    )(command)
    command = click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))(
        command
    )
    return click.argument("scheme", metavar="SCHEME")(command)


def out_dir_option(default: Path, help: str) -> Callable[[Callable], Callable]:
    """-o/--output FOLDER, as template, receipts and demo take it."""
    return click.option(
        "-o",
        "--output",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=default,
        show_default=True,
        help=help,
    )


def _checked(scheme, inputs: tuple[Path, ...], roster: Path | None, year: int | None):
    """Read and validate an inbox with a progress bar (validate and receipts)."""
    from kjjr_excel.app import check_inbox

    with progress_bar("读取文件", _count_inputs(inputs)) as bar:
        return check_inbox(scheme, inputs, roster_path=roster, year=year, progress=bar)


def _scheme(value: str):
    from kjjr_excel.domain.scheme import load_scheme

    return load_scheme(value)


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal, nothing in a pipe. It yields click's bar.update: callers report the
    number of items just finished (an increment), as ingest and template generation do."""
    if not sys.stderr.isatty() or total < 20:
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _count_inputs(inputs: tuple[Path, ...]) -> int:
    """Files to read, for sizing the progress bar; only worth listing twice when a bar is shown."""
    if not sys.stderr.isatty():
        return 0
    from kjjr_excel.read.ingest import collect_files

    files, _, _ = collect_files(list(inputs))
    return len(files)


def natural_key(text: str) -> list:
    """'2-…' before '10-…', as a clerk numbers files."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)]


def _default_output(scheme, suffix: str) -> Path:
    return Path("outputs") / f"{scheme.name}_{suffix}.xlsx"


def _say_written(path: Path, wanted: Path) -> None:
    if Path(path) != Path(wanted):
        click.secho(f"注意：{wanted} 正在被其他程序（如Excel）占用，结果已另存为 {path}", fg="yellow")
    click.echo(f"已生成：{path}")


def _nothing_ranked(files, findings, year_note: str) -> str:
    """Why a ranking would be empty, in words a double-click user can act on (no blank sheet is written)."""
    lines = [
        f"没有可以排名的填报表，未生成排名结果表。共查看 {len(files)} 个文件，"
        "其中没有一份是可读取、可计分的填报表。",
        year_note,
    ]
    shown = [f for f in findings if f.file][:8]
    lines += [f"  {f.file}：[{f.severity.value}] {f.message}" for f in shown]
    if len(findings) > len(shown):
        lines.append("  ……（运行 kjjr validate 查看全部问题）")
    lines.append(
        "请把各分中心报送的填报表（.xlsx、.xlsm、.xls、.ods，或装有这些文件的 .zip）放入输入文件夹后重新运行。"
    )
    return "\n".join(lines)


def _summary(findings) -> str:
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
    from kjjr_excel.domain.describe import summary
    from kjjr_excel.domain.scheme import load_scheme

    for line in summary(load_scheme(file)):
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
    type=click.Path(dir_okay=False, path_type=Path),
    help="新方案文件（.toml）。",
)
def scheme_new(source: str, output: Path) -> None:
    """复制一个考核方案，附上中文修改说明，供本单位修改后使用。"""
    from kjjr_excel.domain.describe import commented_copy
    from kjjr_excel.domain.scheme import load_scheme, resolve_scheme_path
    from kjjr_excel.write.output import atomic_write

    origin = load_scheme(source)
    if output.exists():
        raise click.UsageError(f"{output} 已存在，未覆盖。请换一个文件名。")
    stem = output.stem if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", output.stem) else f"{origin.id}-copy"
    text = commented_copy(resolve_scheme_path(source).read_text(encoding="utf-8-sig"), origin.id, stem)
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(output, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    click.echo(f"已生成：{output}（方案编号 {stem}）。修改后可用 kjjr scheme check {output} 检查。")


@cli.command()
@click.argument("scheme", metavar="SCHEME")
@click.option(
    "--roster",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="名录文件（xlsx 或 csv，列：编号、名称、依托单位）。",
)
@click.option("--year", type=click.IntRange(1990, 2100), help="考核年度（默认取方案中的年度）。")
@click.option("--per-center", is_flag=True, help="按名录为每个分中心各生成一份预填名称、编号的模板。")
@click.option("--assessment", is_flag=True, help="同时生成考核评价表（青岛）或定性评分表（广东）。")
@out_dir_option(Path("outputs"), "输出文件夹。")
def template(
    scheme: str, roster: Path | None, year: int | None, per_center: bool, assessment: bool, out_dir: Path
) -> None:
    """生成填报模板（以及考核评价表/定性评分表）。SCHEME 为考核方案。"""
    from kjjr_excel.app import load_roster
    from kjjr_excel.write.template import generate

    sch = _scheme(scheme)
    entries = load_roster(sch, roster)
    if per_center and not entries:
        raise click.UsageError("--per-center 需要名录：请用 --roster 指定名录文件。")
    total = 1 + (len(entries) if per_center else 0) + (1 if assessment else 0)
    with progress_bar("生成模板", total) as bar:
        paths = generate(
            sch,
            out_dir,
            roster=entries,
            year=year,
            per_center=per_center,
            assessment=assessment,
            progress=bar,
        )
    for p in paths[:5]:
        click.echo(f"已生成：{p}")
    if len(paths) > 5:
        click.echo(f"……共 {len(paths)} 个文件，保存在 {out_dir}")


@cli.command()
@inbox_arguments
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="校验报告（.xlsx）。")
def validate(
    scheme: str, inputs: tuple[Path, ...], roster: Path | None, year: int | None, output: Path | None
) -> None:
    """校验报送的文件，列出每个文件的问题。INPUTS 为文件或文件夹。有错误时退出码为 1。"""
    from kjjr_excel.domain.findings import Severity
    from kjjr_excel.write.receipts import write_findings_report

    sch = _scheme(scheme)
    out = output or _default_output(sch, "校验报告")
    refuse_inputs(out, [*inputs, *([roster] if roster else [])])
    checked = _checked(sch, inputs, roster, year)
    by_file: dict[str, list] = {}
    for f in checked.findings:
        by_file.setdefault(f.file or "（汇总）", []).append(f)
    for info in sorted(checked.files, key=lambda i: natural_key(i.file)):
        own = by_file.get(info.file, [])
        worst = min((f.severity.order for f in own), default=9)
        mark = {0: "✗", 1: "!", 2: "i"}.get(worst, "✓")
        click.echo(f"{mark} {info.file}：{info.status}" + (f"，{_summary(own)}" if own else ""))
    click.echo(checked.year_note)
    for f in by_file.get("（汇总）", []):
        click.echo(f"  [{f.severity.value}] {f.message}")
    if checked.missing:
        click.echo(f"未提交（{len(checked.missing)}）：" + "、".join(r.name for r in checked.missing))
    written = write_findings_report(sch, checked.ingest_result, checked.findings, out, roster=checked.roster)
    _say_written(written, out)
    click.echo(f"合计：{_summary(checked.findings)}")
    if not checked.submissions:  # not a clean inbox: an empty one, said plainly
        click.secho(
            f"没有读取到任何填报表：共查看 {len(checked.files)} 个文件，没有一份是可读取的填报表（原因见上）。",
            fg="yellow",
        )
        sys.exit(EXIT_FINDINGS)
    if any(f.severity is Severity.ERROR and f.file for f in checked.findings):
        sys.exit(EXIT_FINDINGS)


@cli.command()
@inbox_arguments
@click.option(
    "--assessment",
    "assessments",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="考核评价表（青岛）或评审人定性评分表（广东，每位评审人一个文件）；可多次给出，也可以给文件夹。",
)
@click.option(
    "--history",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="往年结果：本工具往年生成的排名结果表，或含 年度、名称/编号、等次、排名 列的表格。",
)
@click.option(
    "--allow-missing-assessment",
    is_flag=True,
    help="有考核评价表或评审表无法使用时，仍以退出码0结束（结果照样标为暂定结果，补助金额暂不确定）。",
)
@click.option("--strict", is_flag=True, help="数据有误的分中心不参加排名（默认按0分计并标记）。")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="排名结果表（.xlsx）。")
@click.option("--pdf", is_flag=True, help="同时把“排名”表打印为PDF（需要安装 LibreOffice）。")
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
) -> None:
    """汇总报送文件，计分、排名，输出排名结果表。INPUTS 为文件或文件夹（其中的考核评价表、评审表按表中
    的标识自动识别并使用）。有考核评价表或评审表无法使用时，结果为暂定结果，退出码为 1。"""
    from kjjr_excel.app import run_rank
    from kjjr_excel.write.ranking import export_pdf, write_ranking

    sch = _scheme(scheme)
    read = [*inputs, *assessments, *history, *([roster] if roster else [])]
    if output is not None:
        refuse_inputs(output, read)  # before anything is read or written
    run_time = datetime.now()
    with progress_bar("读取文件", _count_inputs(inputs)) as bar:
        result = run_rank(
            sch,
            inputs,
            roster_path=roster,
            year=year,
            assessments=assessments,
            history=history,
            strict=strict,
            progress=bar,
        )
    if not result.ranked:
        raise KjjrError(_nothing_ranked(result.files, result.findings, result.notes[0]))
    out = output or _default_output(sch, f"{result.year}年度排名结果")
    refuse_inputs(out, read)
    written = write_ranking(result, out, run_time=run_time)
    _say_tables_used(result)
    ranked = sum(1 for r in result.ranked if r.rank is not None)
    click.echo(result.notes[0])  # the year used and why
    click.echo(
        f"{sch.name}（{result.year}年度）：读取 {len(result.submissions)} 份，参加排名 {ranked} 个，"
        f"未提交 {len(result.missing)} 个；问题：{_summary(result.findings)}（详见“校验问题”表）。"
    )
    _say_written(written, out)
    if pdf:
        pdf_path = export_pdf(written, written.parent)
        if pdf_path is None:
            click.secho(
                "未找到 LibreOffice，无法生成PDF。请安装 LibreOffice 后重试，或在Excel中打印“排名”表。",
                fg="yellow",
            )
        else:
            click.echo(f"已生成：{pdf_path}")
    _say_tables(result, allow_missing_assessment)


def _say_tables_used(result) -> None:
    """Which assessor tables or review sheets were used as what, and which were not (and why)."""
    for u in result.tables:
        if u.used:
            who = f"（评审人 {u.reviewer}）" if u.reviewer else ""
            click.echo(f"使用{u.kind}：{u.file}{who}，{u.centers} 个{result.scheme.center_label}")
        else:
            click.secho(f"未使用：{u.file}（{u.note}）", fg="red")


def _say_tables(result, allow_missing: bool) -> None:
    """A table that could not be used: the results are provisional, and the run ends non-zero unless allowed."""
    if not result.table_unusable:
        return
    message = (
        f"结果为暂定结果（{result.provisional}）：有考核评价表或评审表无法使用，详见“校验问题”表；"
        f"{result.scheme.subsidy_label.split('（')[0]}暂不确定。"
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
    from kjjr_excel.write.receipts import write_checked_receipts

    sch = _scheme(scheme)
    refuse_inputs(out_dir, [*inputs, *([roster] if roster else [])], folder=True)
    checked = _checked(sch, inputs, roster, year)
    paths = write_checked_receipts(sch, checked, out_dir, mail=mail)
    drafts = [p for p in paths if p.suffix == ".eml"]
    click.echo(f"已生成回执 {len(paths) - len(drafts)} 份，保存在 {out_dir}")
    if mail:
        _say_drafts(drafts)


def _say_drafts(drafts: list[Path]) -> None:
    from kjjr_excel.write.drafts import draft_recipients

    unaddressed = [p for p in drafts if not draft_recipients(p)]
    click.echo(f"已生成邮件草稿 {len(drafts)} 份（.eml）：双击打开，核对后发送。")
    if unaddressed:
        names = "、".join(p.name for p in unaddressed[:5]) + ("等" if len(unaddressed) > 5 else "")
        click.secho(
            f"注意：{len(unaddressed)} 份草稿没有收件地址（{names}），请在邮件程序中填写收件人，"
            "或在名录中填写“邮箱”列后重新生成。",
            fg="yellow",
        )


@cli.command()
@click.argument("scheme", metavar="SCHEME")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--roster",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="名录文件（编号、名称、依托单位，可选 联系人、电话、邮箱）；方案自带名录时可省略。",
)
@click.option("--year", type=click.IntRange(1990, 2100), help="考核年度（默认为方案的年度）。")
@out_dir_option(Path("outputs") / "催报", "催报草稿和催报名单的输出文件夹。")
def remind(
    scheme: str, inputs: tuple[Path, ...], roster: Path | None, year: int | None, out_dir: Path
) -> None:
    """为名录中还没有有效报送的分中心生成催报邮件草稿（.eml，附预填的填报模板）和一页催报名单（.xlsx）。"""
    from kjjr_excel.write.remind import write_reminders

    sch = _scheme(scheme)
    if roster is None and not sch.roster:
        raise click.UsageError("催报需要名录：请用 --roster 指定名录文件（编号、名称、依托单位、邮箱）。")
    checked = _checked(sch, inputs, roster, year)
    listing, drafts = write_reminders(sch, checked, out_dir)
    if not drafts:
        click.echo(f"名录中的{sch.center_label}都已有效报送，无需催报。")
    else:
        _say_drafts(drafts)
    click.echo(f"已生成催报名单：{listing}")


@cli.command()
@click.argument("scheme", metavar="SCHEME")
@click.argument("ranking", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@out_dir_option(Path("outputs") / "公示", "输出文件夹。")
@click.option(
    "--days",
    type=click.IntRange(1, 60),
    help="公示期（工作日，默认取考核方案中的设置，未设置为5个工作日）。",
)
def publish(scheme: str, ranking: Path, out_dir: Path, days: int | None) -> None:
    """根据本工具生成的排名结果表（RANKING.xlsx），生成公示（Word 和 PDF）和补助发放清单。"""
    from kjjr_excel.write.notice import publish as write_all

    paths, notes = write_all(_scheme(scheme), ranking, out_dir, days=days)
    for path in paths:
        click.echo(f"已生成：{path}")
    for note in notes:
        click.secho(note, fg="yellow")


@cli.command()
@out_dir_option(Path("outputs") / "demo", "演示输出文件夹。")
@click.option(
    "--samples",
    type=click.Path(file_okay=False, path_type=Path),
    help="示例报送文件所在文件夹（默认使用仓库中的 sample_inputs，没有则现场生成）。",
)
def demo(out_dir: Path, samples: Path | None) -> None:
    """用示例报送文件演示完整流程（两个考核方案）：模板、校验、回执、排名、公示和补助发放清单。"""
    from kjjr_excel.demo.samples import run_demo

    for line in run_demo(out_dir, samples):
        click.echo(line)


def main() -> None:
    """Console entry point. Ends the process without the interpreter's teardown: after a run over thousands
    of files, freeing every object one by one costs a tenth of a second and serves nobody (all output is
    written and closed by then; streams are flushed here). The cyclic garbage collector is off for the same
    reason."""
    # A run builds hundreds of thousands of small objects that live to its end and form no reference cycles
    # worth collecting (no openpyxl on the batch path; ElementTree keeps no parent links): the cyclic
    # collector only rescans them, about a second over 10,000 files. Peak memory is the same either way.
    gc.disable()
    lifecycle.stop_on_hangup_and_term()
    code = 0
    try:
        cli(prog_name="kjjr")
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if done.code is not None and not isinstance(done.code, int):
            print(done.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()

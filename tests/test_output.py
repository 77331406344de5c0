"""Outputs: never onto an input, every name unique, a sibling beside an open file, the umask, a full disk,
signals: the previous output intact and no temp file left anywhere."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from kjjr_fixtures import good_values, real_submission  # noqa: E402

from kjjr_excel.cli import cli  # noqa: E402
from kjjr_excel.domain.scheme import RosterEntry, load_scheme  # noqa: E402
from kjjr_excel.errors import OutputError  # noqa: E402
from kjjr_excel.write import output  # noqa: E402
from kjjr_excel.write.output import UniqueNames, atomic_write, file_name  # noqa: E402
from kjjr_excel.write.template import generate  # noqa: E402

QD = load_scheme("qingdao-2017")
ROOT = Path(__file__).parent.parent


def inbox_of(tmp_path: Path, centers=(("Q1", "甲中心"), ("Q2", "乙中心"))) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    for code, name in centers:
        real_submission(inbox / f"{code}自报表.xlsx", QD, center=(code, name), values=good_values(QD))
    return inbox


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    "command, target",
    [
        ("rank", "inbox/Q1自报表.xlsx"),  # the clerk's submission itself
        ("rank", "inbox/排名.xlsx"),  # inside the inbox being read
        ("validate", "inbox/Q1自报表.xlsx"),
        ("receipts", "inbox/回执"),
    ],
)
def test_output_onto_an_input_is_refused_before_anything_is_written(tmp_path, monkeypatch, command, target):
    inbox = inbox_of(tmp_path)
    before = snapshot(inbox)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [command, "qingdao", "inbox", "-o", target])
    assert result.exit_code == 3, result.output
    assert "正在读取的文件夹" in result.output or "输入文件" in result.output
    assert snapshot(inbox) == before
    assert not (tmp_path / "outputs").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("command", ["rank", "validate"])
def test_output_named_by_a_pipe_or_a_device_is_refused_and_left_alone(tmp_path, monkeypatch, command):
    # the move into place replaced a named pipe (as root, even /dev/null) with the workbook
    inbox_of(tmp_path)
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "pipe.xlsx")
    result = CliRunner().invoke(cli, [command, "qingdao", "inbox", "-o", "pipe.xlsx"])
    assert result.exit_code == 3, result.output
    assert "不是普通文件" in result.output and "pipe.xlsx" in result.output
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe.xlsx").st_mode)
    with pytest.raises(OutputError, match="不是普通文件"):
        atomic_write(Path(os.devnull), lambda tmp: tmp.write_bytes(b"x"))
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_output_through_another_spelling_of_the_input_is_refused(tmp_path, monkeypatch):
    inbox = inbox_of(tmp_path)
    os.symlink(inbox / "Q1自报表.xlsx", tmp_path / "link.xlsx")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["rank", "qingdao", "inbox/Q1自报表.xlsx", "-o", "link.xlsx"])
    assert result.exit_code == 3 and "输入文件" in result.output
    assert result.output.count("错误") == 1


# ---------------------------------------------------------------------------------------------- names


def test_file_name_is_short_enough_for_any_file_system_and_stays_unique():
    long_a = "创" * 70 + "甲.xlsx"
    long_b = "创" * 70 + "乙.xlsx"
    a, b = file_name(long_a), file_name(long_b)
    assert a != b and a.endswith(".xlsx") and b.endswith(".xlsx")
    assert len(a.encode()) <= output.MAX_NAME_BYTES and a.startswith("创" * 20)
    assert file_name("甲/乙:丙.xlsx") == "甲_乙_丙.xlsx"
    assert file_name("a\udcd6\udcd0.xlsx") == "a__.xlsx"  # bytes of a name that was not UTF-8


def test_unique_names_compare_as_windows_does():
    names = UniqueNames()
    assert [names.claim(n) for n in ("甲_乙.xlsx", "甲_乙.xlsx", "A.xlsx", "a.xlsx", "a_2.xlsx")] == [
        "甲_乙.xlsx",
        "甲_乙_2.xlsx",
        "A.xlsx",
        "a_2.xlsx",
        "a_2_2.xlsx",
    ]


def test_receipts_are_one_file_each_and_the_count_is_the_count_on_disk(tmp_path, monkeypatch):
    long = "科技金融服务分中心" * 5  # names equal in their first 40 characters
    inbox = inbox_of(tmp_path, (("Q1", "甲/乙"), ("Q2", "甲_乙"), ("Q3", long + "一"), ("Q4", long + "二")))
    for sub in ("一组", "二组"):  # the same stem in two sub-folders, neither recognised
        (inbox / sub).mkdir()
        (inbox / sub / "a.xlsx").write_bytes(b"not a workbook")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["receipts", "qingdao", "inbox", "-o", "回执"])
    assert result.exit_code == 0, result.output
    on_disk = sorted(p.name for p in (tmp_path / "回执").iterdir())
    assert f"已生成回执 {len(on_disk)} 份" in result.output
    assert len(on_disk) == 6
    assert not [n for n in on_disk if n.endswith(".tmp")]


def test_per_center_templates_for_codes_a_slash_1_and_a_1_are_two_files(tmp_path):
    roster = [
        RosterEntry("A/1", "甲中心", "x"),
        RosterEntry("A_1", "甲中心", "y"),
        RosterEntry("C1", "长" * 70, "z"),  # a name of 70 CJK characters: over 255 bytes as it is
        RosterEntry("C2", "长" * 69 + "短", "z"),
    ]
    paths = generate(QD, tmp_path, roster=roster, per_center=True)
    assert len(paths) == 5 and len({p.name for p in paths}) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    assert all(len(p.name.encode()) <= 255 for p in paths)


# ---------------------------------------------------------------------------------------------- locks


@pytest.mark.parametrize("lock", [".~lock.{}#", "~${}"], ids=["libreoffice", "excel"])
def test_target_open_in_an_office_suite_gets_a_sibling_and_a_message(tmp_path, monkeypatch, lock):
    inbox = inbox_of(tmp_path)
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "排名.xlsx").write_bytes(b"open in LibreOffice")
    os.chmod(out / "排名.xlsx", 0o444)
    (out / lock.format("排名.xlsx")).write_bytes(b"lock")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(inbox), "-o", "outputs/排名.xlsx"])
    assert result.exit_code == 0, result.output
    assert (out / "排名.xlsx").read_bytes() == b"open in LibreOffice"
    assert zipfile.is_zipfile(out / "排名 (2).xlsx")
    mask = os.umask(0)
    os.umask(mask)  # a new file: the umask's mode, not the read-only original's
    assert stat.S_IMODE(os.stat(out / "排名 (2).xlsx").st_mode) == 0o666 & ~mask
    assert "占用" in result.output and "排名 (2).xlsx" in result.output


def test_a_target_it_may_not_replace_is_not_said_to_be_open_in_excel(tmp_path, monkeypatch):
    """A target it has no permission to replace (someone else's file in a shared folder with the sticky bit;
    a read-only file on Windows) also gets a sibling, but the message said only 正在被其他程序（如Excel）占用."""
    inbox = inbox_of(tmp_path)
    (tmp_path / "排名.xlsx").write_bytes(b"someone else's")
    real_replace = os.replace

    def replace(source, target, *args, **kwargs):
        if (
            Path(target).name == "排名.xlsx"
        ):  # root replaces anything: the refusal is injected as the OS gives it
            raise PermissionError(errno.EPERM, "Operation not permitted")
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(inbox), "-o", "排名.xlsx"])
    assert result.exit_code == 0, result.output
    assert (
        "无法替换（正在被其他程序（如Excel）占用，或没有修改它的权限），结果已另存为 排名 (2).xlsx"
        in result.output
    )
    assert (tmp_path / "排名.xlsx").read_bytes() == b"someone else's"


def _ranking_of(tmp_path: Path) -> Path:
    """A final (assessed) ranking of the sample inbox, which publish accepts."""
    samples = ROOT / "sample_inputs" / "qingdao"
    ranking = tmp_path / "排名.xlsx"
    args = ["rank", "qingdao", str(samples / "inbox"), "--roster", str(samples / "名录.csv")]
    args += ["--assessment", str(samples / "考核评价表.xlsx"), "-o", str(ranking)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    return ranking


@pytest.mark.parametrize("command", ["template", "template-per-center", "publish", "remind", "receipts"])
def test_every_command_says_when_an_open_file_made_it_write_beside(tmp_path, monkeypatch, command):
    """template and publish wrote '… (2).xlsx' beside a file open in Excel and said only 已生成: the clerk
    then mailed, printed or paid from the old file, never told the new one was elsewhere."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    roster = tmp_path / "名录.csv"
    roster.write_text("编号,名称,依托单位\nQ1,甲中心,甲\nQ2,乙中心,乙\n", encoding="utf-8")
    if command == "publish":
        args = ["publish", "qingdao", str(_ranking_of(tmp_path)), "-o", str(out)]
        taken = "补助发放清单"
    elif command == "receipts":
        args = ["receipts", "qingdao", str(inbox_of(tmp_path)), "--mail", "-o", str(out)]
        taken = "回执_Q2"
    elif command == "remind":
        inbox = inbox_of(tmp_path, centers=(("Q1", "甲中心"),))
        args = ["remind", "qingdao", str(inbox), "--roster", str(roster), "-o", str(out)]
        taken = "催报名单"
    else:
        per_center = ["--per-center"] if command == "template-per-center" else []
        args = ["template", "qingdao", "--roster", str(roster), *per_center, "-o", str(out)]
        taken = "_Q2_乙中心" if per_center else "_填报模板"
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    [wanted] = [p for p in out.iterdir() if taken in p.name and p.suffix == ".xlsx"]
    (out / f"~${wanted.name}").write_bytes(b"lock")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    moved = output.sibling(wanted, 2)
    assert moved.is_file()
    assert f"注意：{wanted} 无法替换（正在被其他程序（如Excel）占用，或没有修改它的权限），" in result.output
    assert f"结果已另存为 {moved}" in result.output


# ---------------------------------------------------------------------------------------------- mode


def test_new_output_follows_the_umask_and_a_replaced_one_keeps_its_mode(tmp_path):
    old = os.umask(0o022)
    try:
        fresh = atomic_write(tmp_path / "new.xlsx", lambda p: p.write_bytes(b"x"))
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.xlsx"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        atomic_write(kept, lambda p: p.write_bytes(b"new"))
        assert kept.stat().st_mode & 0o777 == 0o640 and kept.read_bytes() == b"new"
    finally:
        os.umask(old)


# ---------------------------------------------------------------------------------------------- disk


def test_full_disk_while_the_workbook_is_stored_is_exit_3_and_leaves_nothing(tmp_path, monkeypatch):
    """ENOSPC injected where XlsxWriter writes the package (its zip file), as a full disk raises it."""
    inbox = inbox_of(tmp_path)
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "排名.xlsx").write_bytes(b"last year's ranking")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full)
    monkeypatch.setattr(zipfile.ZipFile, "write", full)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["rank", "qingdao", str(inbox), "-o", "outputs/排名.xlsx"])
    assert result.exit_code == 3, result.output
    assert "磁盘空间不足" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["排名.xlsx"]
    assert (out / "排名.xlsx").read_bytes() == b"last year's ranking"
    assert list(scratch.iterdir()) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KB tmpfs, where the system lets us mount one (root on Linux)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("this system does not let us mount a tmpfs")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("full", ["output", "tmpdir"])
def test_a_really_full_disk_is_exit_3_with_where(tmp_path, tiny_disk, full):
    inbox = inbox_of(tmp_path, [(f"Q{n}", f"第{n}中心") for n in range(8)])
    out_dir = tiny_disk if full == "output" else tmp_path / "outputs"
    out_dir.mkdir(exist_ok=True)
    scratch = tiny_disk / "t" if full == "tmpdir" else tmp_path / "scratch"
    scratch.mkdir()
    (out_dir / "排名.xlsx").write_bytes(b"previous")
    (tiny_disk / "filler").write_bytes(os.urandom(235_000))  # no room left for a ranking workbook
    env = {**os.environ, "TMPDIR": str(scratch)}
    done = subprocess.run(
        [sys.executable, "-m", "kjjr_excel", "rank", "qingdao", str(inbox), "-o", str(out_dir / "排名.xlsx")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 3, done.stderr
    assert "磁盘空间不足" in done.stderr and ("临时文件夹" in done.stderr) == (full == "tmpdir")
    assert (out_dir / "排名.xlsx").read_bytes() == b"previous"
    assert sorted(p.name for p in out_dir.iterdir() if p.name not in ("filler", "t")) == ["排名.xlsx"]
    assert list(scratch.iterdir()) == []


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_pdf_with_no_room_on_an_output_disk_under_the_temp_folder_names_that_disk(tmp_path, tiny_disk):
    # the output folder lay under the temp folder, on a disk of its own (tmp_path is under /tmp): by its path
    # the disk that filled up was taken for the temp folder's, and the message said 临时文件夹…已满，结果没有
    # 写成 beside "the workbook is written"
    inbox = inbox_of(tmp_path, [(f"Q{n}", f"第{n}中心") for n in range(8)])
    (tiny_disk / "filler").write_bytes(os.urandom(180_000))  # room for the workbook, not for its PDF
    target = tiny_disk / "排名.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "kjjr_excel", "rank", "qingdao", str(inbox), "-o", str(target), "--pdf"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert target.is_file() and not (tiny_disk / "排名.pdf").exists(), done.stderr
    assert "磁盘空间不足" in done.stderr and "临时文件夹" not in done.stderr, done.stderr
    assert f"无法在 {tiny_disk} 中写入 排名.pdf" in done.stderr and "已写好，可直接打印" in done.stderr


@pytest.mark.parametrize("command", ["receipts", "template"])
def test_a_disk_full_half_way_through_a_batch_says_what_was_written_and_where(tmp_path, tiny_disk, command):
    """receipts (one per center) and template --per-center stopped on a full disk with 磁盘空间不足 about the
    file being written only: the analyst could not tell which receipts were there to be mailed."""
    centers = [(f"Q{n}", f"第{n}中心") for n in range(12)]
    out = tiny_disk / "out"
    if command == "receipts":
        args = ["receipts", "qingdao", str(inbox_of(tmp_path, centers)), "-o", str(out)]
    else:
        roster = tmp_path / "名录.csv"
        roster.write_text("编号,名称\n" + "".join(f"{c},{n}\n" for c, n in centers), encoding="utf-8")
        args = ["template", "qingdao", "--roster", str(roster), "--per-center", "--jobs", "1", "-o", str(out)]
    room = 40_000 if command == "receipts" else 100_000  # a receipt is a few KB, a template some 15 KB
    (tiny_disk / "filler").write_bytes(os.urandom(256 * 1024 - room))  # room for a few files, not for twelve
    done = subprocess.run(
        [sys.executable, "-m", "kjjr_excel", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 3, done.stderr
    written = sorted(p for p in out.iterdir())
    assert 0 < len(written) < len(centers), written
    assert done.stderr.startswith("错误：磁盘空间不足"), done.stderr
    assert f"已写好的 {len(written)} 个文件保存在 {out} 中" in done.stderr.replace("\n", ""), done.stderr


def test_a_disk_with_no_room_at_all_gives_our_message_and_nothing_after_it(tmp_path, tiny_disk):
    """With not one block free, XlsxWriter's zip file fails as it is closed and again when it is dropped; the
    second failure used to print "Exception ignored in: ZipFile.__del__" and a traceback after our message."""
    inbox = inbox_of(tmp_path, [(f"Q{n}", f"第{n}中心") for n in range(3)])
    with open(tiny_disk / "filler", "wb", buffering=0) as filler, contextlib.suppress(OSError):
        while True:
            filler.write(os.urandom(4096))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kjjr_excel",
            "rank",
            "qingdao",
            str(inbox),
            "-o",
            str(tiny_disk / "排名.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("错误：磁盘空间不足"), done.stderr
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr, done.stderr
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


def test_a_file_size_limit_is_said_in_chinese(tmp_path):
    """EFBIG (a file-size limit: ulimit -f, a FAT32 stick) is named in Chinese, not in the system's English."""
    inbox = inbox_of(tmp_path, [(f"Q{n}", f"第{n}中心") for n in range(3)])
    code = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000)); "
        "sys.argv = ['kjjr', *sys.argv[1:]]; from kjjr_excel.cli import main; main()"
    )
    out = tmp_path / "outputs" / "排名.xlsx"
    done = subprocess.run(
        [sys.executable, "-c", code, "rank", "qingdao", str(inbox), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 3, done.stderr
    assert "文件超过了该磁盘或系统允许的大小" in done.stderr and "File too large" not in done.stderr, (
        done.stderr
    )
    assert "Traceback" not in done.stderr and list(out.parent.iterdir()) == []


# ---------------------------------------------------------------------------------------------- signals


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_clean_up_like_ctrl_c(tmp_path, signum):
    """The signal arrives while the workbook is being written (its temp file exists beside the target)."""
    inbox = inbox_of(tmp_path)
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "排名.xlsx").write_bytes(b"previous")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    code = textwrap.dedent(
        f"""
        import os, sys, time
        from kjjr_excel.write import ranking as report
        original = report._write_notes
        def write_notes(*args, **kwargs):
            original(*args, **kwargs)
            assert [p for p in os.listdir({str(out)!r}) if p.endswith(".tmp")]
            os.kill(os.getpid(), {int(signum)})
            time.sleep(60)  # never reached: the signal stops the run
        report._write_notes = write_notes
        sys.argv = ["kjjr", "rank", "qingdao", {str(inbox)!r}, "-o", {str(out / "排名.xlsx")!r}]
        from kjjr_excel.cli import main
        main()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode not in (0, -signum), done.stderr
    assert "Traceback" not in done.stderr
    # 130, not click's 1: run_ranking.sh read an interrupted run as 排名结果已生成，但是暂定结果
    assert done.returncode == 130 and done.stderr.strip().startswith("已中止。没有写完的文件已删除"), (
        done.stderr
    )
    assert sorted(p.name for p in out.iterdir()) == ["排名.xlsx"]
    assert (out / "排名.xlsx").read_bytes() == b"previous"
    assert list(scratch.iterdir()) == []


def test_reading_workers_die_with_their_parent(tmp_path):
    """A parent killed outright (SIGKILL: no clean-up can run) takes its forked reading workers with it."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    src = real_submission(tmp_path / "src.xlsx", QD, values=good_values(QD))
    for n in range(300):
        (inbox / f"{n:03}.xlsx").write_bytes(src.read_bytes())
    pids = tmp_path / "pids"
    pids.mkdir()
    code = textwrap.dedent(
        f"""
        import os, time
        from pathlib import Path
        from kjjr_excel.read import ingest, submission
        from kjjr_excel.domain.scheme import load_scheme
        parent = os.getpid()
        def read(reader, path, display):
            if os.getpid() != parent:
                Path({str(pids)!r}, str(os.getpid())).touch()
                time.sleep(600)
            return original(reader, path, display)
        original = submission.SubmissionReader.read
        submission.SubmissionReader.read = read
        ingest.ingest(load_scheme("qingdao"), [Path({str(inbox)!r})], jobs=3)  # two workers beside this process
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        for _ in range(600):  # until both workers have started (a hang guard, not a speed assertion)
            if len(list(pids.iterdir())) >= 2:
                break
            parent.wait(timeout=0.1) if parent.poll() is not None else _pause()
        workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2
    finally:
        parent.kill()
        parent.wait()
    for _ in range(600):
        if not [pid for pid in workers if _alive(pid)]:
            break
        _pause()
    assert not [pid for pid in workers if _alive(pid)]


def _pause() -> None:
    import time

    time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_output_error_for_a_folder_that_cannot_be_written_names_no_library_english(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(OutputError) as refused:
        atomic_write(blocker / "out.xlsx", lambda p: p.write_bytes(b"x"))
    assert "Errno" not in str(refused.value) and "请" in str(refused.value)


@pytest.mark.parametrize(
    "command",
    [
        ["template", "guangdong", "-o", "{out}"],
        ["demo", "-o", "{out}"],
        ["scheme", "new", "--from", "qingdao", "-o", "{out}/方案.toml"],
    ],
    ids=["template", "demo", "scheme-new"],
)
def test_an_output_folder_that_cannot_be_made_is_a_message_not_an_internal_error(tmp_path, command):
    """A folder output under a file (or on a read-only disk) used to end in 程序内部错误 with the system's
    English; it is exit 3 with what to do."""
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    args = [part.format(out=blocker / "sub") for part in command]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3, result.output
    assert "无法建立文件夹" in result.output and "程序内部错误" not in result.output, result.output
    assert "Errno" not in result.output and "-o" in result.output
    assert blocker.read_bytes() == b""


@pytest.mark.parametrize(
    "command",
    [
        ["demo", "-o", "{file}/sub"],  # away from the repository: the samples are built first
        ["rank", "qingdao", "inbox", "-o", "{file}/排名.xlsx"],
        ["validate", "qingdao", "inbox", "-o", "{file}/报告.xlsx"],
    ],
    ids=["demo", "rank", "validate"],
)
def test_an_output_under_a_file_says_so_from_any_folder(tmp_path, monkeypatch, command):
    """`kjjr demo` run where there is no sample_inputs/ ended in 程序内部错误 (NotADirectoryError, or
    PermissionError on a folder it may not write); `rank -o file/x.xlsx` said 系统错误."""
    inbox_of(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [part.format(file="file") for part in command])
    assert result.exit_code == 3, result.output
    assert "无法建立文件夹 file" in result.output and "程序内部错误" not in result.output, result.output
    assert "系统错误" not in result.output and "-o" in result.output
    assert blocker.read_bytes() == b"" and sorted(p.name for p in tmp_path.iterdir()) == ["file", "inbox"]


def test_demo_into_an_existing_folder_it_may_not_write_is_a_message(tmp_path, monkeypatch):
    """An existing -o folder on a read-only disk (or without write permission): the samples were built in it
    and the demo ended in 程序内部错误：OSError: [Errno 30]. The refusal is injected where the OS raises it
    (root may write anywhere)."""
    out = tmp_path / "演示"
    out.mkdir()
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self.absolute().parent == out:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "-o", "演示"])
    assert result.exit_code == 3, result.output
    assert "（磁盘或文件夹是只读的）" in result.output and "程序内部错误" not in result.output, result.output
    assert list(out.iterdir()) == []


def test_reminders_inside_the_inbox_are_refused(tmp_path, monkeypatch):
    """remind wrote its drafts, its 催报名单 and the centers' blank templates into an inbox given as -o: the next
    run read them back as submissions (8 errors a template)."""
    inbox = inbox_of(tmp_path)
    before = snapshot(inbox)
    roster = tmp_path / "名录.csv"
    roster.write_text("编号,名称,依托单位\nQ1,甲中心,甲\nQ2,乙中心,乙\nQ3,丙中心,丙\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ["remind", "qingdao", "inbox", "--roster", "名录.csv", "-o", "inbox/催报"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3, result.output
    assert "正在读取的文件夹" in result.output and snapshot(inbox) == before


@pytest.mark.parametrize(
    "command, taken",
    [
        (["rank", "qingdao", "inbox"], "青岛市科技金融服务分中心考核_2017年度排名结果.xlsx"),  # outputs/
        (["template", "qingdao", "-o", "out"], "青岛市科技金融服务分中心考核_2017_填报模板.xlsx"),
        (["receipts", "qingdao", "inbox", "-o", "out"], "回执_Q1_甲中心.xlsx"),
        (["receipts", "qingdao", "inbox", "-o", "out", "--mail"], "回执_Q1_甲中心.eml"),
    ],
    ids=["rank", "template", "receipt", "draft"],
)
def test_an_output_name_taken_by_a_folder_is_a_message(tmp_path, monkeypatch, command, taken):
    """A folder named as an output ended in 程序内部错误：IsADirectoryError once the file was written."""
    inbox_of(tmp_path)
    out = tmp_path / ("out" if "-o" in command else "outputs")  # rank without -o: its default folder
    (out / taken / "inside").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 3, result.output
    assert f"{taken}：已有同名的文件夹" in result.output and "程序内部错误" not in result.output
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in (out / taken).iterdir()] == ["inside"]


@pytest.mark.parametrize(
    "command",
    [
        ["rank", "qingdao", "inbox", "-o", "{name}.xlsx"],
        ["scheme", "new", "--from", "qingdao", "-o", "{name}.toml"],
    ],
    ids=["rank", "scheme-new"],
)
def test_an_output_name_too_long_for_the_disk_is_a_message(tmp_path, monkeypatch, command):
    """A name over the file system's 255 bytes (90 Chinese characters) ended in 程序内部错误：OSError: [Errno 36]
    once the workbook was written (scheme new: at once)."""
    inbox_of(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [part.format(name="长" * 90) for part in command])
    assert result.exit_code == 3, result.output
    assert "（文件名或路径过长）" in result.output and "程序内部错误" not in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox"]


def test_templates_on_a_full_disk_leave_no_half_written_file(tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full)
    with pytest.raises(OutputError, match="磁盘空间不足"):
        generate(QD, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_name_part_keeps_what_was_typed_but_no_file_system_stumbles_on_it():
    from kjjr_excel.write.output import name_part

    assert name_part("QD/02") == "QD_02"
    assert name_part('a:*?"<>|b') == "a_b"  # a run of bad characters is one '_'
    assert name_part(" .市南区. ") == "市南区"
    assert name_part("..", 20) == "未命名"
    assert (
        name_part("甲" * 50) == "甲" * 40
        and name_part("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 20) == "ABCDEFGHIJKLMNOPQRST"
    )


def test_temp_files_of_workers_ended_mid_write_are_removed_after_an_interrupt(tmp_path, monkeypatch):
    """A kill of the process group ends the per-center template workers at once (SIGTERM), each beside its
    half-written temp file: after the interrupt the finished templates stay and no temp file does."""
    from kjjr_excel.write import template

    folder = tmp_path / "模板"
    folder.mkdir()
    (folder / ".someone's.tmp").write_bytes(b"not ours")  # not of atomic_write's form: left alone

    def killed_mid_write(fn, items, **kwargs):
        (folder / "done.xlsx").write_bytes(b"finished")
        tempfile.mkstemp(dir=folder, prefix=".广东_GD0197_第197号.xlsx.", suffix=".tmp")
        raise KeyboardInterrupt

    monkeypatch.setattr(template, "parallel_map", killed_mid_write)
    roster = [RosterEntry(f"GD{n:02}", f"第{n}中心", "") for n in range(3)]
    with pytest.raises(KeyboardInterrupt):
        generate(load_scheme("guangdong"), folder, roster=roster, per_center=True)
    left = sorted(p.name for p in folder.iterdir() if not p.name.endswith("_填报模板.xlsx"))  # the blank one
    assert left == [".someone's.tmp", "done.xlsx"]


@pytest.mark.parametrize("command", [["rank", "qingdao"], ["validate", "qingdao"], ["template", "qingdao"]])
def test_an_empty_output_name_is_a_usage_error(tmp_path, command):
    """-o '' is the current folder to pathlib: a usage error (exit 2), never a traceback or files in the cwd."""
    inputs = [str(inbox_of(tmp_path))] if command[0] != "template" else []
    done = CliRunner().invoke(cli, [*command, *inputs, "-o", ""])
    assert done.exit_code == 2 and "路径为空" in done.output and "Traceback" not in done.output

"""write/pdf.py: finding LibreOffice's soffice (KJJR_SOFFICE, PATH, the install places, the Windows registry)
on each platform, and printing through it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kjjr_excel.write.pdf import (
    SOFFICE_VARIABLE,
    convert_to_pdf,
    find_soffice,
    install_places,
    registered_places,
)


def program(path: Path, *, runnable: bool = True) -> Path:
    """A stand-in for soffice at path: an existing file, with the execute bit unless told otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755 if runnable else 0o644)
    return path


@pytest.fixture
def empty_path(tmp_path: Path) -> str:
    """A PATH with one empty folder on it: nothing to be found there."""
    folder = tmp_path / "bin"
    folder.mkdir()
    return str(folder)


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch) -> None:
    """A registry that records no LibreOffice, whatever machine the tests run on (tests fill their own)."""
    monkeypatch.setitem(sys.modules, "winreg", FakeRegistry({}, {}))


# ---------------------------------------------------------------------------------------------- Windows


@pytest.mark.parametrize(
    ("variable", "below"),
    [
        ("ProgramFiles", ()),
        ("ProgramFiles(x86)", ()),  # 32-bit LibreOffice on 64-bit Windows
        ("ProgramW6432", ()),  # the 64-bit folder as a 32-bit Python sees it
        ("LOCALAPPDATA", ("Programs",)),  # installed for this user only
    ],
)
def test_windows_finds_the_installed_program_off_path(tmp_path, empty_path, variable, below) -> None:
    root = tmp_path / "drive" / variable
    # no execute bit: Windows has none, the name makes the program
    exe = program(root.joinpath(*below, "LibreOffice", "program", "soffice.exe"), runnable=False)
    environ = {"PATH": empty_path, variable: str(root)}
    assert find_soffice(environ, "win32").executable == str(exe)


def test_windows_prefers_64_bit_program_files(tmp_path, empty_path) -> None:
    x64 = program(tmp_path / "pf" / "LibreOffice" / "program" / "soffice.exe")
    program(tmp_path / "pf86" / "LibreOffice" / "program" / "soffice.exe")
    environ = {
        "PATH": empty_path,
        "ProgramFiles(x86)": str(tmp_path / "pf86"),
        "ProgramFiles": str(tmp_path / "pf"),
    }
    assert find_soffice(environ, "win32").executable == str(x64)


def test_program_files_are_looked_at_only_on_windows(tmp_path, empty_path) -> None:
    program(tmp_path / "pf" / "LibreOffice" / "program" / "soffice.exe")
    environ = {"PATH": empty_path, "ProgramFiles": str(tmp_path / "pf")}
    assert find_soffice(environ, "linux").executable is None
    assert find_soffice(environ, "win32").executable is not None


def test_path_comes_before_the_install_places(tmp_path) -> None:
    on_path = program(tmp_path / "bin" / "soffice.exe")
    program(tmp_path / "pf" / "LibreOffice" / "program" / "soffice.exe")
    environ = {"PATH": str(tmp_path / "bin"), "ProgramFiles": str(tmp_path / "pf")}
    assert find_soffice(environ, "win32").executable == str(on_path)


def test_windows_without_libreoffice_says_what_to_do(tmp_path, empty_path) -> None:
    environ = {
        "PATH": empty_path,
        "ProgramFiles": str(tmp_path / "pf"),
        "LOCALAPPDATA": str(tmp_path / "lad"),
    }
    found = find_soffice(environ, "win32")
    assert found.executable is None
    assert found.missing.startswith("未找到 LibreOffice。请安装 LibreOffice")
    example = os.path.join(str(tmp_path / "pf"), "LibreOffice", "program", "soffice.exe")
    assert f"请把环境变量 {SOFFICE_VARIABLE} 设为 soffice.exe 的完整路径（如 {example}）" in found.missing


def test_windows_places_follow_the_environment(tmp_path) -> None:
    environ = {"ProgramFiles": "P", "ProgramW6432": "P", "ProgramFiles(x86)": "X", "LOCALAPPDATA": "L"}
    exe = os.path.join("LibreOffice", "program", "soffice.exe")
    assert install_places(environ, "win32") == [
        os.path.join("P", exe),  # once, though two variables name it
        os.path.join("X", exe),
        os.path.join("L", "Programs", exe),
    ]
    assert install_places({}, "win32") == []  # nothing guessed: no C:\ written into the code


# ---------------------------------------------------------------------------------------------- registry


class FakeRegistry:
    """winreg's public functions over a dict {(hive, view, key): (value, type)}, as on a Windows machine."""

    HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE = 1, 2
    KEY_READ, KEY_WOW64_64KEY, KEY_WOW64_32KEY = 0x20019, 0x0100, 0x0200
    REG_SZ, REG_EXPAND_SZ = 1, 2

    def __init__(self, values: dict, environ: dict) -> None:
        self.values, self.environ = values, environ

    def OpenKey(self, hive, key, reserved, access):  # noqa: N802 (winreg's names)
        view = access & (self.KEY_WOW64_64KEY | self.KEY_WOW64_32KEY)
        if access & self.KEY_READ != self.KEY_READ or (hive, view, key) not in self.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return _Handle((hive, view, key))

    def QueryValueEx(self, handle, name):  # noqa: N802
        assert name == ""  # the default value
        return self.values[handle.where]

    def ExpandEnvironmentStrings(self, text):  # noqa: N802
        for name, value in self.environ.items():
            text = text.replace(f"%{name}%", value)
        return text


class _Handle:
    def __init__(self, where) -> None:
        self.where = where

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


APP_PATHS = r"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths\soffice.exe"
UNO = r"SOFTWARE\LibreOffice\UNO\InstallPath"


def test_windows_registry_app_paths_names_a_custom_install(tmp_path, empty_path, monkeypatch) -> None:
    exe = program(tmp_path / "D" / "办公软件" / "LibreOffice" / "program" / "soffice.exe")
    reg = FakeRegistry(
        {(2, 0x0200, APP_PATHS): ('"%KJJR_D%' + os.sep + os.path.join("办公软件", *exe.parts[-3:]) + '"', 2)},
        {"KJJR_D": str(tmp_path / "D")},
    )
    monkeypatch.setitem(sys.modules, "winreg", reg)
    assert registered_places() == [str(exe)]
    assert find_soffice({"PATH": empty_path}, "win32").executable == str(exe)


def test_windows_registry_uno_install_path_is_the_program_folder(tmp_path, empty_path, monkeypatch) -> None:
    folder = tmp_path / "LO" / "program"
    exe = program(folder / "soffice.exe")
    reg = FakeRegistry({(1, 0x0100, UNO): (str(folder), 1), (1, 0x0100, "other"): (3, 4)}, {})
    monkeypatch.setitem(sys.modules, "winreg", reg)
    assert find_soffice({"PATH": empty_path}, "win32").executable == str(exe)


def test_registry_entries_of_a_removed_libreoffice_are_passed_over(tmp_path, empty_path, monkeypatch) -> None:
    exe = program(tmp_path / "pf" / "LibreOffice" / "program" / "soffice.exe")
    reg = FakeRegistry({(2, 0x0100, APP_PATHS): (str(tmp_path / "gone" / "soffice.exe"), 1)}, {})
    monkeypatch.setitem(sys.modules, "winreg", reg)
    environ = {"PATH": empty_path, "ProgramFiles": str(tmp_path / "pf")}
    assert find_soffice(environ, "win32").executable == str(exe)


def test_no_registry_where_winreg_cannot_be_imported(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "winreg", None)  # import winreg raises ImportError, as off Windows
    assert registered_places() == []


# ---------------------------------------------------------------------------------------------- macOS


def test_macos_looks_in_the_applications_folders(tmp_path, empty_path) -> None:
    app = ("LibreOffice.app", "Contents", "MacOS", "soffice")
    environ = {"PATH": empty_path, "HOME": str(tmp_path)}
    assert install_places(environ, "darwin") == [
        os.path.join("/Applications", *app),
        os.path.join(str(tmp_path), "Applications", *app),
    ]
    assert install_places(environ, "linux") == []
    assert find_soffice(environ, "darwin").executable is None
    exe = program(tmp_path.joinpath("Applications", *app))
    assert find_soffice(environ, "darwin").executable == str(exe)
    assert find_soffice(environ, "linux").executable is None


def test_default_platform_and_environment_are_read_at_each_call(tmp_path, monkeypatch) -> None:
    app = tmp_path / "Applications" / "LibreOffice.app"
    exe = program(app / "Contents" / "MacOS" / "soffice")
    monkeypatch.setenv("PATH", "")  # shutil.which then stops before its own sys.platform test
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(SOFFICE_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert find_soffice().executable == str(exe)
    monkeypatch.setattr(sys, "platform", "win32")
    assert find_soffice().executable is None
    monkeypatch.setenv("ProgramFiles", str(tmp_path / "pf"))
    win = program(tmp_path / "pf" / "LibreOffice" / "program" / "soffice.exe")
    assert find_soffice().executable == str(win)


# ---------------------------------------------------------------------------------------------- KJJR_SOFFICE


@pytest.mark.parametrize("platform", ["win32", "darwin", "linux"])
def test_variable_naming_a_missing_file_says_so_and_finds_no_other(tmp_path, platform) -> None:
    installed = program(tmp_path / "pf" / "LibreOffice" / "program" / "soffice.exe")
    missing = tmp_path / "LibreOfficePortable" / "soffice.exe"
    environ = {
        "PATH": str(installed.parent),
        "ProgramFiles": str(tmp_path / "pf"),
        SOFFICE_VARIABLE: str(missing),
    }
    found = find_soffice(environ, platform)
    assert found.executable is None
    name = "soffice.exe" if platform == "win32" else "soffice"
    assert found.missing.startswith(
        f"环境变量 {SOFFICE_VARIABLE} 指定的“{missing}”不存在。请把它改为 {name} 的完整路径"
    )
    assert found.missing.endswith("或删除这个变量后重试。")


def test_variable_comes_first_and_may_carry_quotes(tmp_path) -> None:
    program(tmp_path / "bin" / "soffice")
    portable = program(
        tmp_path / "U盘" / "LibreOfficePortable" / "App" / "libreoffice" / "program" / "soffice.exe"
    )
    environ = {"PATH": str(tmp_path / "bin"), SOFFICE_VARIABLE: f' "{portable}" '}  # as 复制为路径 gives it
    assert find_soffice(environ, "win32").executable == str(portable)


@pytest.mark.parametrize(
    ("platform", "below"),
    [
        ("win32", ("soffice.exe",)),
        ("win32", ("program", "soffice.exe")),  # the install folder
        ("darwin", ("Contents", "MacOS", "soffice")),  # the .app
        ("linux", ("program", "soffice")),
    ],
)
def test_variable_may_name_the_folder(tmp_path, empty_path, platform, below) -> None:
    exe = program(tmp_path.joinpath("LO", *below))
    environ = {"PATH": empty_path, SOFFICE_VARIABLE: str(tmp_path / "LO")}
    assert find_soffice(environ, platform).executable == str(exe)


def test_variable_naming_a_folder_without_soffice(tmp_path, empty_path) -> None:
    (tmp_path / "LO").mkdir()
    found = find_soffice({"PATH": empty_path, SOFFICE_VARIABLE: str(tmp_path / "LO")}, "win32")
    assert found.executable is None
    assert f"指定的“{tmp_path / 'LO'}”是一个文件夹，其中没有 LibreOffice 的 soffice.exe。" in found.missing


def test_variable_naming_a_file_that_cannot_run(tmp_path, empty_path) -> None:
    plain = program(tmp_path / "soffice", runnable=False)
    found = find_soffice({"PATH": empty_path, SOFFICE_VARIABLE: str(plain)}, "linux")
    assert found.executable is None and "不是可以运行的程序" in found.missing


def test_an_empty_variable_counts_as_unset(tmp_path) -> None:
    exe = program(tmp_path / "bin" / "libreoffice")
    environ = {"PATH": str(tmp_path / "bin"), SOFFICE_VARIABLE: "  "}
    assert find_soffice(environ, "linux").executable == str(exe)


# ---------------------------------------------------------------------------------------------- printing


needs_lo = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)


@needs_lo
def test_this_machine_finds_its_libreoffice() -> None:
    found = find_soffice()
    assert found.executable is not None and Path(found.executable).samefile(shutil.which("soffice"))


@pytest.mark.libreoffice
@needs_lo
def test_prints_through_the_folder_the_variable_names(tmp_path, empty_path) -> None:
    # the real program's folder (program/soffice below it), with nothing on PATH
    folder = Path(os.path.realpath(shutil.which("soffice"))).parent.parent
    found = find_soffice({"PATH": empty_path, SOFFICE_VARIABLE: str(folder)}, sys.platform)
    assert found.executable == str(folder / "program" / "soffice")
    source = tmp_path / "文档.fodt"
    source.write_text(FODT, encoding="utf-8")
    pdf = convert_to_pdf(source, tmp_path / "out" / "文档.pdf", found.executable)
    assert pdf == tmp_path / "out" / "文档.pdf" and pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
        assert "考核结果的公示" in text


def test_a_program_that_fails_is_an_output_error(tmp_path) -> None:
    from kjjr_excel.errors import OutputError

    failing = program(tmp_path / "soffice")
    failing.write_text("#!/bin/sh\necho 'no filter for pdf' >&2\nexit 1\n")
    with pytest.raises(
        OutputError, match="用LibreOffice生成PDF失败（no filter for pdf）。.*已写好，可直接打印"
    ):
        convert_to_pdf(tmp_path / "x.docx", tmp_path / "x.pdf", str(failing))
    assert not (tmp_path / "x.pdf").exists()


FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"
 office:mimetype="application/vnd.oasis.opendocument.text">
 <office:body><office:text><text:p>关于2017年度考核结果的公示</text:p></office:text></office:body>
</office:document>
"""


# ---------------------------------------------------------------------------------------------- faults

# A stand-in for soffice that prints: it leaves a scratch file in its TMPDIR as LibreOffice does when it fails,
# and writes the PDF (300 KB) where --outdir says, or fails when told to.
PRINTING = """#!/bin/sh
: > "${TMPDIR:-/tmp}/lu_scratch_left_by_soffice"
[ -n "$SOFFICE_FAILS" ] && { echo 'Error: Please verify input parameters...' >&2; exit 1; }
for a; do last=$a; done
while [ $# -gt 0 ]; do [ "$1" = --outdir ] && out=$2; shift; done
name=$(basename "$last")
head -c 300000 /dev/zero > "$out/${name%.*}.pdf"
"""


def printing_program(path: Path) -> Path:
    program(path).write_text(PRINTING)
    return path


def test_soffice_leaves_nothing_in_the_temp_folder_even_when_it_fails(tmp_path, monkeypatch) -> None:
    """LibreOffice failing on a full TMPDIR left empty scratch files there, one per run; its TMPDIR is now a
    folder of ours, removed whatever happens."""
    from kjjr_excel.errors import OutputError

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)
    soffice = str(printing_program(tmp_path / "soffice"))
    assert convert_to_pdf(tmp_path / "x.docx", tmp_path / "x.pdf", soffice).stat().st_size == 300000
    monkeypatch.setenv("SOFFICE_FAILS", "1")
    with pytest.raises(OutputError, match="用LibreOffice生成PDF失败"):
        convert_to_pdf(tmp_path / "x.docx", tmp_path / "y.pdf", soffice)
    assert list(scratch.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "sendfile"), reason="shutil copies through os.sendfile on Linux only")
def test_a_pdf_that_fills_the_output_disk_blames_that_disk_and_says_the_source_is_written(
    tmp_path, monkeypatch
) -> None:
    """shutil.copyfile's ENOSPC names the source (the PDF LibreOffice made in the temp folder) first and the copy
    it was writing second: the message blamed TMPDIR, which had room, and said 结果没有写成 of a written ranking."""
    import errno

    from kjjr_excel.errors import OutputError

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "sendfile", full)
    soffice = str(printing_program(tmp_path / "soffice"))
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError) as raised:
        convert_to_pdf(tmp_path / "排名.xlsx", tmp_path / "out" / "排名.pdf", soffice)
    message = str(raised.value)
    assert message.startswith(f"磁盘空间不足：无法在 {tmp_path / 'out'} 中写入 排名.pdf"), message
    assert "临时文件夹" not in message and "排名.xlsx 已写好" in message
    assert list((tmp_path / "out").iterdir()) == []


# A stand-in for soffice as LibreOffice is: a launcher whose soffice.bin (here a sleep) runs as its child.
LAUNCHER = """#!/bin/sh
sleep 120 &
echo $! > "$SOFFICE_PIDFILE"
wait
"""


def _running(pid: int) -> bool:
    """True while a process runs (a zombie, killed and not yet reaped by init, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _launcher(tmp_path: Path, monkeypatch) -> tuple[str, Path]:
    soffice = program(tmp_path / "soffice")
    soffice.write_text(LAUNCHER)
    pidfile = tmp_path / "soffice.pid"
    monkeypatch.setenv("SOFFICE_PIDFILE", str(pidfile))
    return str(soffice), pidfile


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_sigterm_while_printing_stops_soffice_bin_too(tmp_path, monkeypatch) -> None:
    """`kill` (or a closed terminal) during --pdf stopped the launcher only: soffice.bin ran on, orphaned, and
    wrote its profile back into the temp folder we had just removed."""
    soffice, pidfile = _launcher(tmp_path, monkeypatch)
    code = (
        "import sys; from pathlib import Path; from kjjr_excel import lifecycle; "
        "from kjjr_excel.write.pdf import convert_to_pdf; lifecycle.stop_on_hangup_and_term(); "
        f"convert_to_pdf(Path('x.docx'), Path('x.pdf'), {soffice!r})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stderr=subprocess.PIPE)
    for _ in range(200):
        if pidfile.is_file() and pidfile.read_text().strip():
            break
        subprocess.run(["sleep", "0.05"])
    child = int(pidfile.read_text())
    proc.terminate()
    proc.communicate(timeout=30)
    for _ in range(100):
        if not _running(child):
            break
        subprocess.run(["sleep", "0.05"])
    assert not _running(child)


def test_soffice_that_never_finishes_is_stopped_with_a_message(tmp_path, monkeypatch) -> None:
    from kjjr_excel.errors import OutputError
    from kjjr_excel.write import pdf

    soffice, pidfile = _launcher(tmp_path, monkeypatch)
    monkeypatch.setattr(pdf, "PDF_TIMEOUT", 1)
    with pytest.raises(OutputError, match=r"用LibreOffice生成PDF失败（1 秒内没有完成）。.*x.docx 已写好"):
        convert_to_pdf(tmp_path / "x.docx", tmp_path / "x.pdf", soffice)
    assert not _running(int(pidfile.read_text()))

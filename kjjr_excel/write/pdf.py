"""Printing through LibreOffice headless, and finding LibreOffice's soffice to do it.

LibreOffice's Windows installer does not put soffice on PATH, nor does the macOS app; so after PATH the
standard install places are looked at (and, on Windows, what the registry records), and KJJR_SOFFICE names
the program when it is anywhere else (a portable copy, a second version).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kjjr_excel.errors import OutputError, os_error_text
from kjjr_excel.write.output import atomic_write

SOFFICE_VARIABLE = "KJJR_SOFFICE"
PDF_TIMEOUT = 300
# Windows: the folders an installer may choose, each + LibreOffice\program\soffice.exe. ProgramW6432 is the
# 64-bit Program Files even when a 32-bit Python sees the x86 one as ProgramFiles.
WINDOWS_ROOTS = ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")
# Windows registry: (key, what its default value is): the program itself, or the folder holding it.
REGISTRY_KEYS = (
    (r"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths\soffice.exe", "program"),
    (r"SOFTWARE\LibreOffice\UNO\InstallPath", "folder"),
)
MACOS_APP = ("LibreOffice.app", "Contents", "MacOS", "soffice")


@dataclass(frozen=True)
class Soffice:
    """LibreOffice's soffice for this run: the program to start, or None and, in `missing`, why there is
    none and what the user can do (Chinese)."""

    executable: str | None
    missing: str = ""


def find_soffice(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Soffice:
    """soffice named by KJJR_SOFFICE (a wrong one is reported, never passed over for another), else on PATH,
    else in the platform's standard install places."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    named = environ.get(SOFFICE_VARIABLE, "").strip().strip('"').strip()  # Windows' 复制为路径 adds quotes
    if named:
        return _named(named, environ, platform)
    for place in (*_on_path(environ, platform), *install_places(environ, platform)):
        if _runnable(place, platform):
            return Soffice(place)
    return Soffice(
        None,
        "未找到 LibreOffice。请安装 LibreOffice（免费软件，www.libreoffice.org）后重试；"
        f"已经安装在其他位置的，请把环境变量 {SOFFICE_VARIABLE} 设为 {_program(platform)} 的完整路径"
        f"（如 {_example(environ, platform)}）。",
    )


def install_places(environ: Mapping[str, str], platform: str) -> list[str]:
    """Where LibreOffice's installers put soffice on this platform, in the order looked at (existing or not)."""
    if platform == "win32":
        roots = [environ.get(name, "") for name in WINDOWS_ROOTS]
        local = environ.get("LOCALAPPDATA", "")  # a per-user install
        roots.append(os.path.join(local, "Programs") if local else "")
        places = [os.path.join(root, "LibreOffice", "program", "soffice.exe") for root in roots if root]
        return list(dict.fromkeys([*places, *registered_places()]))
    if platform == "darwin":
        home = environ.get("HOME", "")
        return [os.path.join("/Applications", *MACOS_APP)] + (
            [os.path.join(home, "Applications", *MACOS_APP)] if home else []
        )
    return []  # Linux and the BSDs: the packages put soffice on PATH


def registered_places() -> list[str]:
    """soffice.exe as the Windows registry records it (App Paths, LibreOffice's UNO InstallPath), per user
    and per machine, 64- and 32-bit views; [] where there is no registry."""
    try:
        import winreg
    except ImportError:
        return []
    found = []
    for hive in (winreg.HKEY_CURRENT_USER, winreg.HKEY_LOCAL_MACHINE):
        for view in (winreg.KEY_WOW64_64KEY, winreg.KEY_WOW64_32KEY):
            for key, holds in REGISTRY_KEYS:
                value = _registry_default(winreg, hive, key, view)
                if value:
                    found.append(value if holds == "program" else os.path.join(value, "soffice.exe"))
    return found


def _registry_default(winreg: Any, hive: int, key: str, view: int) -> str:
    """The default value of a registry key as a path ("" when the key is absent or holds no text)."""
    try:
        with winreg.OpenKey(hive, key, 0, winreg.KEY_READ | view) as handle:
            value, kind = winreg.QueryValueEx(handle, "")
    except OSError:
        return ""
    if not isinstance(value, str):
        return ""
    if kind == winreg.REG_EXPAND_SZ:
        value = winreg.ExpandEnvironmentStrings(value)
    return value.strip().strip('"')


def _named(named: str, environ: Mapping[str, str], platform: str) -> Soffice:
    """KJJR_SOFFICE: the program, or a folder holding it (the install folder, its program folder, the .app)."""
    if os.path.isdir(named):
        name = _program(platform)
        inside = [os.path.join(named, *below, name) for below in ((), ("program",), ("Contents", "MacOS"))]
        found = next((p for p in inside if _runnable(p, platform)), None)
        if found:
            return Soffice(found)
        problem = f"是一个文件夹，其中没有 LibreOffice 的 {name}"
    elif not os.path.isfile(named):
        problem = "不存在"
    elif not _runnable(named, platform):
        problem = "不是可以运行的程序"
    else:
        return Soffice(named)
    return Soffice(
        None,
        f"环境变量 {SOFFICE_VARIABLE} 指定的“{named}”{problem}。请把它改为 {_program(platform)} "
        f"的完整路径（如 {_example(environ, platform)}），或删除这个变量后重试。",
    )


def _on_path(environ: Mapping[str, str], platform: str) -> list[str]:
    names = ["soffice", "libreoffice"] + (["soffice.exe", "soffice.com"] if platform == "win32" else [])
    search = environ.get("PATH", os.defpath)
    return [found for found in (shutil.which(name, path=search) for name in names) if found]


def _runnable(path: str, platform: str) -> bool:
    # Windows has no execute bit: a file is a program by its name
    return os.path.isfile(path) and (platform == "win32" or os.access(path, os.X_OK))


def _program(platform: str) -> str:
    return "soffice.exe" if platform == "win32" else "soffice"


def _example(environ: Mapping[str, str], platform: str) -> str:
    """A full path to soffice as this platform's installer writes it, for the message."""
    if platform == "win32":
        root = environ.get("ProgramFiles") or r"C:\Program Files"
        return os.path.join(root, "LibreOffice", "program", "soffice.exe")
    if platform == "darwin":
        return os.path.join("/Applications", *MACOS_APP)
    return "/usr/lib/libreoffice/program/soffice"


def convert_to_pdf(source: Path, target: Path, soffice: str, *, shown: Path | None = None) -> Path:
    """`source` (a workbook or a Word document) printed to `target` by `soffice` headless, with a profile of
    its own. `shown`: the file the user has, named in an error."""
    shown = shown or source
    with tempfile.TemporaryDirectory(prefix="kjjr_pdf_") as work:
        work_dir = Path(work)
        profile = work_dir / "lo_profile"
        cmd = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work_dir),
            str(source),
        ]
        # LibreOffice's own scratch files go into our folder too: removed with it, even when it fails (a full
        # TMPDIR made it leave empty files there), and on the disk Python found room on
        scratch = {name: work for name in ("TMPDIR", "TMP", "TEMP")}
        try:
            returncode, said = _run_soffice(cmd, {**os.environ, **scratch})
        except OSError as exc:
            raise OutputError(
                f"用LibreOffice生成PDF失败（无法启动 {soffice}：{os_error_text(exc)}）。{shown} 已写好，可直接打印。"
            ) from None
        produced = work_dir / f"{Path(source).stem}.pdf"
        if returncode != 0 or not produced.is_file():
            detail = said.decode("utf-8", "replace").strip()[:200]
            raise OutputError(
                f"用LibreOffice生成PDF失败（{detail or '没有生成文件'}）。{shown} 已写好，可直接打印。"
            )
        try:
            return atomic_write(Path(target), lambda tmp: shutil.copyfile(produced, tmp))
        except OutputError as exc:  # a full disk, no permission: the PDF alone is missing
            raise OutputError(f"{exc}{shown} 已写好，可直接打印。") from None


def _run_soffice(cmd: list[str], env: dict[str, str]) -> tuple[int | None, bytes]:
    """Run soffice; its exit status (None when it ran out of time) and what it printed. It runs in a process
    group of its own, stopped as a whole on timeout, Ctrl+C or SIGTERM: soffice is a launcher that starts
    soffice.bin, and killing the launcher alone left soffice.bin running on, writing its profile back into
    our removed temp folder."""
    import subprocess  # here: only a PDF needs it, and its import costs every run

    posix = os.name == "posix"
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=posix
    )
    try:
        out, err = proc.communicate(timeout=PDF_TIMEOUT)
    except subprocess.TimeoutExpired:
        _stop(proc, posix)
        return None, f"{PDF_TIMEOUT} 秒内没有完成".encode()
    except BaseException:
        _stop(proc, posix)
        raise
    return proc.returncode, err or out


def _stop(proc: Any, posix: bool) -> None:
    with contextlib.suppress(OSError):
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    proc.wait()


__all__ = [
    "Soffice",
    "find_soffice",
    "install_places",
    "registered_places",
    "convert_to_pdf",
    "SOFFICE_VARIABLE",
]

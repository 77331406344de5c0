"""Write output files safely: never onto an input, never onto another output of the same run, never half.

A file goes to a temp file beside the target, then is moved into place: an existing output is never
half-overwritten. When the target is open (a LibreOffice `.~lock.NAME#` or Excel/WPS `~$NAME` beside it, or on
Windows a target that cannot be replaced), the output goes to a sibling 'name (2).xlsx', 'name (3).xlsx', ...
and the caller says so. A new file gets the mode the umask gives (mkstemp would leave 0600); a replaced file
keeps its own. A full disk is an OutputError that says 磁盘空间不足 and where, with nothing left behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import signal
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kjjr_excel.errors import OutputError, os_error_text

MAX_SIBLINGS = 99
# A name's budget in UTF-8 bytes: 255 is the limit of every common file system; the temp file adds a dot, a
# random part and '.tmp', and a sibling ' (99)'.
MAX_NAME_BYTES = 200
_WINDOWS_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$")
_NAME_PART_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


# ---------------------------------------------------------------------------------------------- names


def _cut(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` UTF-8 bytes (never half a character)."""
    return text.encode("utf-8", "replace")[:limit].decode(
        "utf-8", "ignore"
    )  # (a surrogate: a name's odd byte)


def file_name(text: str, limit: int = MAX_NAME_BYTES) -> str:
    """A file name safe on Windows, macOS and Linux: reserved characters replaced by '_', no trailing dot or
    space, no device name (CON, NUL, ...), a surrogate (a byte of a name that was not UTF-8) replaced, and at
    most `limit` UTF-8 bytes: a shortened name keeps its extension and ends with a short hash of the whole
    text, so two long names that share their start stay apart."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # surrogates -> '?', replaced just below
    clean = _WINDOWS_BAD.sub("_", unicodedata.normalize("NFC", text)).strip().rstrip(". ")
    if _RESERVED.match(clean):
        clean = f"_{clean}"
    clean = clean or "_"
    if len(clean.encode("utf-8")) <= limit:
        return clean
    stem, dot, ext = clean.rpartition(".")
    if not dot or len(ext) > 8:
        stem, ext = clean, ""
    mark = "~" + hashlib.sha256(clean.encode("utf-8")).hexdigest()[:8]
    tail = f"{mark}.{ext}" if ext else mark
    return _cut(stem, limit - len(tail.encode("utf-8"))).rstrip(". ") + tail


def name_part(text: str, limit: int = 40) -> str:
    """A piece of a file name taken from what a clerk typed (a center's code or name, a file's stem): each run
    of characters no file system takes becomes one '_', at most `limit` characters, '未命名' when nothing is
    left. file_name still makes the whole name safe."""
    text = _NAME_PART_BAD.sub("_", text).strip(" .")
    return text[:limit] or "未命名"


class UniqueNames:
    """The names given out in one folder in one run. A name equal to one already given (compared as Windows and
    macOS compare names: case-insensitive, Unicode-normalised) gets '_2', '_3', ... before its extension, so no
    output of the run overwrites another and the count printed is the count on disk."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    @staticmethod
    def _key(name: str) -> str:
        return unicodedata.normalize("NFC", name).casefold()

    def add(self, name: str) -> None:
        """Mark a name as used (a file actually written, which may be a sibling of the name claimed)."""
        self._taken.add(self._key(name))

    def claim(self, name: str) -> str:
        """`name`, or the first free 'stem_N.ext'; the result is marked as used."""
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 1
        while self._key(candidate) in self._taken:
            n += 1
            suffix = f"_{n}" + (f".{ext}" if ext else "")
            candidate = _cut(stem, MAX_NAME_BYTES - len(suffix.encode("utf-8"))) + suffix
        self.add(candidate)
        return candidate


def sibling(target: Path, n: int) -> Path:
    """'排名结果.xlsx' -> '排名结果 (2).xlsx'."""
    return target.with_name(f"{target.stem} ({n}){target.suffix}")


@dataclass(frozen=True)
class Written:
    """A file asked for at `wanted` and written at `path` (a sibling when `wanted` is open or may not be
    replaced): every command says so the same way (cli._say_written)."""

    path: Path
    wanted: Path


def lock_files(target: Path) -> tuple[Path, Path]:
    """The lock files an office suite keeps beside a workbook it has open: LibreOffice's `.~lock.NAME#` and
    Excel's (and WPS's) `~$NAME`."""
    return target.with_name(f".~lock.{target.name}#"), target.with_name(f"~${target.name}")


def is_open_elsewhere(target: Path) -> bool:
    """True when a lock file beside the target says it is open in LibreOffice, Excel or WPS."""
    return any(os.path.lexists(lock) for lock in lock_files(target))


# ---------------------------------------------------------------------------------------------- inputs


def refuse_inputs(target: Path, inputs: Iterable[Path], *, folder: bool = False) -> None:
    """Raise OutputError when an output path (a file, or with folder=True a folder outputs go into) is one
    of the inputs, or lies inside an input folder: checked before anything is written, so a mistyped -o never
    replaces a clerk's submission and a run's outputs are never read back as submissions."""
    if not folder:
        refuse_special(Path(target))
    where = _resolved(Path(target))
    for given in inputs:
        given = Path(given)
        source = _resolved(given)
        same = where == source or _same_file(Path(target), given)
        inside = given.is_dir() and (where == source or source in where.parents)
        if same or inside:
            kind = "输出文件夹" if folder else "输出文件"
            what = (
                "就是要读取的输入文件" if same and not given.is_dir() else f"位于正在读取的文件夹 {given} 中"
            )
            raise OutputError(
                f"{kind} {target} {what}，写入会覆盖或混入报送的文件，已停止，没有写入任何文件。"
                f"请用 -o 指定收件文件夹以外的位置后重试。"
            )


def refuse_special(target: Path) -> None:
    """Raise OutputError when an output file's name is taken by something that is neither a file nor a folder
    (a named pipe, a device such as /dev/null): the move into place would replace it with a workbook."""
    try:
        mode = os.stat(target).st_mode  # through a link: what it points to
    except (OSError, ValueError):  # nothing there (or a dangling link, which the move replaces)
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise OutputError(
            f"无法写入 {target}：这个名称已被一个不是普通文件的对象占用（如命名管道或设备），写入会把它替换掉，"
            f"已停止，没有写入任何文件。请用 -o 指定一个新的 .xlsx 文件名后重试。"
        )


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------- disk


def os_error_behind(exc: BaseException, errnos: tuple[int, ...] | None = None) -> OSError | None:
    """The OSError behind an exception (itself, its cause or context, or an argument: XlsxWriter wraps the
    OSError in its own FileCreateError), optionally only one with one of `errnos`; None if there is none."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and (errnos is None or current.errno in errnos):
            return current
        stack += [current.__cause__, current.__context__]
        stack += [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]
    return None


def disk_full(exc: BaseException) -> OSError | None:
    """The OSError of a full disk (or quota) behind an exception, if any."""
    return os_error_behind(exc, DISK_FULL)


def disk_full_error(exc: OSError, target: Path | None = None) -> OutputError:
    """磁盘空间不足, and where: the temp folder (TMPDIR: XlsxWriter's scratch files) or the output's folder. A
    write through an open file names no file; then the disk with less room left is the one that filled up."""
    temp = Path(tempfile.gettempdir())
    folder = Path(target).parent if target is not None else None
    # a copy's error names its source first and the file it was writing second (shutil.copyfile): the second
    # is on the disk that filled up, and the source may well lie in the temp folder
    # (a name may be a Path: shutil names the file it writes as it was opened, and ours are Paths)
    named = [os.fspath(name) for name in (exc.filename2, exc.filename) if isinstance(name, str | os.PathLike)]
    place = Path(named[0]) if named else None
    if place is not None:
        # by the disk it is on, not by its path: an output folder may lie under the temp folder on a disk of
        # its own (a mounted drive)
        disk = next((d for d in map(_device, (place, *place.parents)) if d is not None), None)
        if disk is None:
            in_temp = _resolved(temp) in (_resolved(place), *_resolved(place).parents)
        else:
            in_temp = disk == _device(temp) and (folder is None or disk != _device(folder))
    else:
        in_temp = folder is None or _free(temp) <= _free(folder)
    if in_temp and (folder is None or _device(temp) != _device(folder)):
        return OutputError(
            f"磁盘空间不足：临时文件夹 {temp} 所在的磁盘已满，结果没有写成，原有的结果文件没有改动。"
            f"请清理该磁盘，或把环境变量 TMPDIR（Windows 为 TEMP）设为空间充足的文件夹后重试。"
        )
    name = f" {Path(target).name}" if target is not None else "结果文件"
    kept = (
        "，原有的文件没有改动" if target is None or os.path.lexists(target) else "（没有留下写了一半的文件）"
    )
    return OutputError(
        f"磁盘空间不足：无法在 {folder or Path.cwd()} 中写入{name}{kept}。"
        f"请清理磁盘空间后重试，或用 -o 指定其他磁盘上的位置。"
    )


def batch_stopped(exc: OutputError, written: int, folder: Path) -> OutputError:
    """The error that stopped a batch of files (receipts, per-center templates) half-way, with how many were
    written before it and where: the analyst must know what is there to mail."""
    if not written:
        return exc
    return OutputError(
        f"{exc}已写好的 {written} 个文件保存在 {folder} 中，其余没有写成（重新运行时会全部重新生成）。"
    )


class Rewritten:
    """Which of some files a batch has written since it began: each is replaced by a rename (atomic_write),
    so a new file, or one of another inode or time than before, was written by it."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self._before = {Path(p): _identity(Path(p)) for p in paths}

    def count(self) -> int:
        return sum(1 for path, was in self._before.items() if _identity(path) not in (None, was))


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _free(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _device(folder: Path) -> int | None:
    try:
        return os.stat(folder).st_dev
    except OSError:
        return None


@contextlib.contextmanager
def private_tmpdir() -> Iterator[str]:
    """A temp folder of its own for a writer's scratch files (XlsxWriter's rows files), removed whatever
    happens: a full disk, an error or Ctrl+C leaves nothing in TMPDIR."""
    folder = tempfile.mkdtemp(prefix="kjjr-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _new_file_mode(target: Path) -> int:
    """The mode a written file gets: the existing target's own, else what the umask gives a new file."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


# ---------------------------------------------------------------------------------------------- writing


def make_folder(folder: Path) -> Path:
    """An output folder, made with its parents if missing; errors.OutputError (Chinese) when it cannot be."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise disk_full_error(exc, folder / "x") from None
        if isinstance(exc, FileExistsError) or exc.errno == errno.EEXIST:
            raise OutputError(
                f"无法建立文件夹 {folder}：同名的文件已存在。请用 -o 指定其他位置后重试。"
            ) from None
        raise OutputError(
            f"无法建立文件夹 {folder}（{os_error_text(exc)}）。请确认位置正确且有写入权限，或用 -o 指定其他位置后重试。"
        ) from None
    return folder


def atomic_write(target: Path, write: Callable[[Path], None]) -> Path:
    """write(tmp_path) into a temp file in target's folder, then move it onto target; return the path written.

    A target open in an office suite (a lock file beside it), or locked by Windows (PermissionError), sends the
    output to the first free sibling 'name (2).xlsx', ... The temp file is removed on any failure;
    errors.OutputError (Chinese) when nothing could be written, 磁盘空间不足 for a full disk.
    """
    target = Path(target)
    make_folder(target.parent)  # a file in the way is said as such, not as 系统错误
    refuse_special(target)
    if _is_folder(target):  # replacing it would fail after all the work
        raise OutputError(
            f"无法写入 {target}：已有同名的文件夹。请把该文件夹移走或改名后重试，或用 -o 指定其他位置。"
        )
    try:
        prefix = "." + _cut(target.name, 100) + "."
        with _signals_held():  # a Ctrl+C or SIGTERM now would leave the temp file behind: it waits a moment
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=".tmp")
            os.close(fd)
            tmp = Path(tmp_name)
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise disk_full_error(exc, target) from None
        raise OutputError(
            f"无法在文件夹 {target.parent} 中写入文件（{os_error_text(exc)}）。请确认文件夹存在且有写入权限，"
            f"或用 -o 指定其他位置后重试。"
        ) from exc
    try:
        try:
            write(tmp)
            os.chmod(tmp, _new_file_mode(target))
        except Exception as exc:
            _release(exc)
            full = disk_full(exc)
            if full is not None:
                raise disk_full_error(full, target) from None
            cause = None if isinstance(exc, OutputError) else os_error_behind(exc)
            if cause is None:
                raise
            raise OutputError(
                f"写入 {target} 时出错（{os_error_text(cause)}）。请确认磁盘空间充足、文件夹有写入权限后重试。"
            ) from exc
        return _move_into_place(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


_STOPPING_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl+C, SIGTERM and SIGHUP held back (where the system can: not Windows) until the block ends: a temp
    file is then either not made or known to the `finally` that removes it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


# the temp files atomic_write makes: ".{name}.{8 characters of tempfile's}.tmp"
_TEMP_FILE = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def remove_temp_files(folder: Path, since: float) -> None:
    """The temp files of atomic_write left in `folder` since `since` (time.time()) by a worker process that was
    ended mid-write (SIGTERM ends a worker at once): after an interrupt, nothing half-written stays."""
    with contextlib.suppress(OSError), os.scandir(folder) as listing:
        for entry in listing:
            with contextlib.suppress(OSError):
                if (
                    _TEMP_FILE.fullmatch(entry.name)
                    and entry.is_file()
                    and entry.stat().st_mtime >= since - 1
                ):
                    os.unlink(entry.path)


def _is_folder(path: Path) -> bool:
    """True for a folder itself (not a link to one); False for anything else, or a name the system refuses."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def _release(exc: BaseException) -> None:
    """Let go, now and quietly, of what a failed writer left open in the frames of its traceback (XlsxWriter's
    ZipFile over the temp file). Dropped later, its close would fail again on the full disk and Python would
    print "Exception ignored in: ZipFile.__del__" and a traceback after our message."""
    import gc
    import sys
    import traceback

    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        for error in (exc, exc.__cause__, exc.__context__):
            if error is not None:
                traceback.clear_frames(error.__traceback__)
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _move_into_place(tmp: Path, target: Path) -> Path:
    """Move the written temp file onto target, or beside it when target is open; return where it went."""
    locked: OSError | None = None
    if not is_open_elsewhere(target):
        try:
            os.replace(tmp, target)
            return target
        except PermissionError as exc:
            locked = exc
        except OSError as exc:  # a name longer than the file system takes, a folder made meanwhile...
            raise OutputError(
                f"无法写入 {target}（{os_error_text(exc)}）。请用 -o 指定其他位置或较短的文件名后重试。"
            ) from None
    # The target is open: a new name beside it. os.rename onto a name that does not exist yet never
    # overwrites anything (and is what Windows allows while the original stays open); link() refuses an
    # existing name outright where the system has it.
    for n in range(2, MAX_SIBLINGS + 1):
        candidate = sibling(target, n)
        if os.path.lexists(candidate) or is_open_elsewhere(candidate):
            continue
        try:
            os.chmod(tmp, _new_file_mode(candidate))  # a new file: the umask's mode, not the open one's
            os.rename(tmp, candidate)
            return candidate
        except (FileExistsError, PermissionError):
            continue
    raise OutputError(
        f"无法写入 {target}：文件正在Excel、WPS或LibreOffice中打开。请关闭该文件后重试，"
        f"或用 -o 指定其他文件名。"
    ) from locked

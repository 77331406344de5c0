"""Write output files atomically: a temp file beside the target, then moved into place.

An existing output is never half-overwritten. When the target cannot be replaced (on Windows: the file is open
in Excel or WPS), the output goes to a sibling 'name (2).xlsx', 'name (3).xlsx', ... and the caller says so.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import OutputError

MAX_SIBLINGS = 99


def sibling(target: Path, n: int) -> Path:
    """'排名结果.xlsx' -> '排名结果 (2).xlsx'."""
    return target.with_name(f"{target.stem} ({n}){target.suffix}")


def atomic_write(target: Path, write: Callable[[Path], None]) -> Path:
    """write(tmp_path) into a temp file in target's folder, then move it onto target; return the path written.

    A locked target (PermissionError) sends the output to the first free sibling 'name (2).xlsx', ... The
    temp file is removed on any failure; errors.OutputError (Chinese) when nothing could be written.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise OutputError(
            f"无法在文件夹 {target.parent} 中写入文件（{exc}）。请确认文件夹存在且有写入权限，"
            f"或用 -o 指定其他位置后重试。"
        ) from exc
    tmp = Path(tmp_name)
    try:
        try:
            write(tmp)
        except OSError as exc:
            raise OutputError(
                f"写入 {target} 时出错（{exc}）。请确认磁盘空间充足、文件夹有写入权限后重试。"
            ) from exc
        try:
            os.replace(tmp, target)
            return target
        except PermissionError as exc:
            locked = exc
        # The target is locked: a new name beside it. os.rename onto a name that does not exist yet never
        # overwrites anything (and is what Windows allows while the original stays open).
        for n in range(2, MAX_SIBLINGS + 1):
            candidate = sibling(target, n)
            if candidate.exists():
                continue
            try:
                os.rename(tmp, candidate)
                return candidate
            except FileExistsError:
                continue
            except PermissionError:
                continue
        raise OutputError(
            f"无法写入 {target}（{locked}）：文件可能正在Excel或WPS中打开。请关闭该文件后重试，"
            f"或用 -o 指定其他文件名。"
        ) from locked
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)

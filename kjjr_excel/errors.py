"""Exceptions for the cases where a run cannot continue. Data problems are findings, never exceptions."""

from __future__ import annotations

import errno

# What an OS error means, in the users' words (strerror is the system's English); for inputs and outputs alike
_OS_ERROR_TEXTS = {
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "磁盘或文件夹是只读的",
    errno.EFBIG: "文件超过了该磁盘或系统允许的大小",
    errno.EIO: "磁盘读写错误",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.ENOENT: "文件或文件夹不存在，或已被移走",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "该位置是一个文件夹",
}


def os_error_text(exc: OSError, fallback: str = "系统错误") -> str:
    """An OS error in Chinese."""
    return _OS_ERROR_TEXTS.get(exc.errno or 0, fallback)


class KjjrError(Exception):
    """Base of the errors that stop a command; the message is Chinese and meant for the user."""


class SchemeError(KjjrError):
    """A scheme file is missing, malformed or inconsistent; `key` and `line` say where, when known."""

    def __init__(self, message: str, *, path: str = "", key: str = "", line: int | None = None):
        super().__init__(message)
        self.path, self.key, self.line = path, key, line


class RosterError(KjjrError):
    """A roster file cannot be read or lacks the required columns."""


class OutputError(KjjrError):
    """An output file could not be written."""


class WrongUsage(Exception):
    """The command was given options that cannot go together (exit 2, like any usage error); not a
    KjjrError, which means the run itself could not be done (exit 3)."""

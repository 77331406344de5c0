"""Exceptions for the cases where a run cannot continue. Data problems are findings, never exceptions."""


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

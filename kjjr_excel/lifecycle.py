"""Process life: SIGTERM and SIGHUP stop a run as Ctrl+C does, and worker processes die with their parent.

A closed terminal (SIGHUP) or a `kill` (SIGTERM) used to end the process on the spot: temp files stayed beside
the output and in TMPDIR, and forked workers lived on. Raised as KeyboardInterrupt instead, they unwind through
the same `finally` blocks as Ctrl+C (temp files removed, workers stopped); a worker also asks the kernel to
end it if its parent dies without that chance (SIGKILL).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from types import FrameType

_STOPPING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop_on_hangup_and_term() -> None:
    """In the main process of a command: SIGTERM and SIGHUP raise KeyboardInterrupt, like SIGINT."""
    for signum in _STOPPING:
        with contextlib.suppress(ValueError, OSError):  # not the main thread, or not settable here
            signal.signal(signum, _interrupt)


def worker_started() -> None:
    """At the start of a forked worker: Ctrl+C is the parent's to handle (it stops the workers), SIGTERM ends
    the worker at once (how the parent stops it), and the worker dies with its parent (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in _STOPPING:
        signal.signal(signum, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):  # no libc to ask: the parent's finally blocks still stop us
            import ctypes

            pr_set_pdeathsig = 1
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)

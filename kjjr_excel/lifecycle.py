"""Process life: SIGTERM and SIGHUP stop a run as Ctrl+C does, worker processes die with their parent, and a
large batch is not slowed by full garbage collections.

A closed terminal (SIGHUP) or a `kill` (SIGTERM) used to end the process on the spot: temp files stayed beside
the output and in TMPDIR, and forked workers lived on. Raised as KeyboardInterrupt instead, they unwind through
the same `finally` blocks as Ctrl+C (temp files removed, workers stopped); a worker also asks the kernel to
end it if its parent dies without that chance (SIGKILL).
"""

from __future__ import annotations

import contextlib
import gc
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


# gc's third threshold: a full collection waits for this many collections of the middle generation (10 by
# default, and then only once the old generation has grown by a quarter since the last full one)
FULL_COLLECTION_AFTER = 100


def collect_old_objects_rarely() -> None:
    """In the main process of a command: full garbage collections become rare.

    A batch keeps every submission, finding and row until the workbook is written, so the heap only grows, and
    each full collection walks all of it: at 10,000 submissions eleven of them took about 1 s of a 10.5 s run
    (measured with gc.callbacks), at 1,000 about 0.02 s. Young garbage is still collected as often as before
    (a reader's reference cycles, an exception's traceback, die young), so memory stays where it was. The
    setting is inherited by forked workers."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, max(old, FULL_COLLECTION_AFTER))

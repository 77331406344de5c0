"""One process pool for the whole tool: `parallel_map(fn, items, jobs=...)` is `[fn(x) for x in items]`, on
several cores when there is enough work; `fork_call(fn)` runs one call in a forked child while this process
goes on (where the platform forks).

The pool uses the platform's own start method (fork on Linux, spawn on Windows and macOS), so `fn` must be a
module-level function and the items picklable; `functools.partial` of such a function is fine. Results come
back in the order of `items`, whatever the order the workers finish in, so the output never depends on
scheduling. A span whose worker died (out of memory, killed) is done again in this process: nothing is lost.

This process is one of the jobs: the pool is handed spans of items from the front, a few at a time, while this
process runs spans from the back, each cut from what is left, so neither side waits long for the other.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from kjjr_excel import lifecycle

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

MAX_JOBS = 61  # ProcessPoolExecutor's limit on Windows
# A span of items handed out is about what is left over SPANS_PER_JOB times the jobs, at most MAX_SPAN items:
# spans shrink as the two sides near each other, so the last ones are small and neither side waits long for
# the other (fixed spans of 1/32 of the work, three queued for the pool, left this process waiting for the
# pool's last three: 0.2 s of 1.0 at 1,000 files, 1.9 s of 11 at 10,000). Many spans cost little: a span
# sends the pickled function (about 18 KB for the submission reader, 0.3 ms to unpickle) and its items.
SPANS_PER_JOB = 4
MAX_SPAN = 64
QUEUED_PER_WORKER = 2  # spans handed to the pool a worker has not finished: one running, one waiting


def default_jobs() -> int:
    """The number of cores this process may run on (what `--jobs` means when it is not given)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # Windows and macOS have no affinity call
        return max(1, os.cpu_count() or 1)


def processes(jobs: int | None) -> int:
    """How many processes `jobs` asks for: None, every core (default_jobs); at least one, at most MAX_JOBS."""
    return min(MAX_JOBS, default_jobs() if jobs is None else max(1, jobs))


def _run_span(pickled_fn: bytes, span: Sequence[T]) -> list[R]:
    fn: Callable[[T], R] = pickle.loads(pickled_fn)
    return [fn(item) for item in span]


def parallel_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int | None = None,
    min_per_job: int = 20,
    progress: Callable[[int], None] | None = None,
) -> list[R]:
    """`[fn(x) for x in items]`, in `jobs` processes (default: every core; this one is one of them) when each
    gets at least `min_per_job` items; otherwise, and with `jobs=1`, in this process alone. `progress(n)` is called with the
    number of items just finished."""
    items = list(items)
    jobs = min(processes(jobs), len(items) // max(1, min_per_job))
    if jobs < 2:
        return _serial(fn, items, progress)
    # fn as it is now, before this process calls it: the pool pickles what it sends in a thread of its own,
    # later, while this process's calls may be changing fn's state (a reader's caches): pickling a dict that
    # another thread changes raises "dictionary changed size during iteration" and would end the batch
    pickled_fn = pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
    import multiprocessing  # here: a run in one process (--jobs 1, a small inbox) never needs the pool
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context()
    others = set(multiprocessing.active_children())  # processes this one had before the pool's
    with (
        _thread_failures() as failed,
        ProcessPoolExecutor(
            max_workers=jobs - 1, mp_context=context, initializer=lifecycle.worker_started
        ) as pool,
    ):
        try:
            shared = _Shared(pool, pickled_fn, items, progress, failed, jobs=jobs)
            shared.run_here(fn)
            shared.collect()
        except BaseException:  # Ctrl+C, SIGTERM, an error in fn: no span not yet begun is started
            _shut_down(pool, others, orphaned=failed.is_set())
            raise
        if failed.is_set():
            _shut_down(pool, others, orphaned=True)
    return shared.results(fn)


def _shut_down(pool: ProcessPoolExecutor, others: set, *, orphaned: bool) -> None:
    """Shut the pool down; when its manager thread has died (`orphaned`), end its workers too: nothing else
    would, and Python's exit waits for them."""
    import multiprocessing

    pool.shutdown(wait=not orphaned, cancel_futures=True)
    if orphaned:
        for worker in set(multiprocessing.active_children()) - others:
            worker.terminate()  # SIGTERM ends a worker at once (lifecycle.worker_started)
            worker.join()


@contextlib.contextmanager
def _thread_failures() -> Iterator[threading.Event]:
    """An event set when a thread dies of an exception while the pool runs. The pool's manager thread dies so
    when the system refuses it one more thread (\"can't start new thread\": a limit on memory or on processes):
    its futures then never finish and the run waited for ever, deaf to Ctrl+C and SIGTERM, after printing the
    thread's English traceback. Now it is silent and the spans left are done in this process."""
    failed = threading.Event()
    previous = threading.excepthook
    threading.excepthook = lambda args: failed.set()
    try:
        yield failed
    finally:
        threading.excepthook = previous


class _Shared(Generic[T, R]):
    """The items of one parallel_map, shared between the pool and this process. The pool is handed spans from
    the front, only a few more than its workers are running, and this process runs spans from the back, each
    one the pool was never handed, so both sides end about together whichever is the faster (a worker slow to
    start under spawn, a core busy with something else). A span is cut when it is handed out, from what is
    left (span_size), so the last ones are small. No handed span is ever taken back: cancelling a future made
    the pool's thread fail when a worker died (Python 3.11: InvalidStateError, with a traceback)."""

    def __init__(
        self,
        pool: ProcessPoolExecutor,
        pickled_fn: bytes,
        items: list[T],
        progress: Callable[[int], None] | None,
        failed: threading.Event,
        *,
        jobs: int,
    ):
        self.pool, self.pickled_fn, self.items, self.jobs = pool, pickled_fn, items, jobs
        self.progress, self.failed = progress, failed
        self.ahead = (jobs - 1) * QUEUED_PER_WORKER
        # the pool was handed items[:front]; this process has taken items[back:]
        self.front, self.back = 0, len(items)
        self.spans: dict[int, int] = {}  # start -> stop of every span handed out or taken
        self.done: dict[int, list[R]] = {}  # start -> results of the spans finished
        self.handed: dict[Future, int] = {}  # a span the pool runs -> its start
        self.broken = False  # a worker died or no pool could start: the spans not handed are done here
        self._top_up()

    def span_size(self) -> int:
        return min(MAX_SPAN, max(1, math.ceil((self.back - self.front) / (self.jobs * SPANS_PER_JOB))))

    def run_here(self, fn: Callable[[T], R]) -> None:
        """This process's share: spans from the back until it meets the pool's."""
        while self.front < self.back:
            stop = self.back
            self.back = start = max(self.front, stop - self.span_size())
            self.spans[start] = stop
            self.done[start] = _serial(fn, self.items[start:stop], self.progress)
            self._top_up()

    def collect(self) -> None:
        """The results of the spans the pool was handed, as they come, until all are in or the pool has failed
        (`failed`: its spans are then done afterwards, here)."""
        from concurrent.futures import FIRST_COMPLETED, wait

        while self.handed and not self.failed.is_set():
            finished, _ = wait(self.handed, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                self._take(future)

    def results(self, fn: Callable[[T], R]) -> list[R]:
        """Every result in the order of the items; a span whose worker died is done here first, so nothing is
        lost."""
        out: list[R] = []
        for start in sorted(self.spans):
            found = self.done.get(start)
            if found is None:
                found = _serial(fn, self.items[start : self.spans[start]], self.progress)
            out.extend(found)
        return out

    def _top_up(self) -> None:
        for future in [f for f in self.handed if f.done()]:
            self._take(future)
        stopped = self.broken or self.failed.is_set()
        while len(self.handed) < self.ahead and self.front < self.back and not stopped:
            start = self.front
            stop = min(self.back, start + self.span_size())
            try:
                future = self.pool.submit(_run_span, self.pickled_fn, self.items[start:stop])
            except RuntimeError:  # BrokenProcessPool (a worker died), or the system refused the pool a thread
                self.broken = stopped = True
                continue
            self.handed[future] = start
            self.spans[start] = self.front = stop

    def _take(self, future: Future) -> None:
        from concurrent.futures.process import BrokenProcessPool

        start = self.handed.pop(future)
        try:
            self.done[start] = future.result()
        except BrokenProcessPool:  # its worker died: done afterwards, here
            self.broken = True
            return
        if self.progress is not None:
            self.progress(self.spans[start] - start)


def _serial(fn: Callable[[T], R], items: Sequence[T], progress: Callable[[int], None] | None) -> list[R]:
    out = []
    for item in items:
        out.append(fn(item))
        if progress is not None:
            progress(1)
    return out


# ---------------------------------------------------------------------------------------------- one call apart


class Forked(Generic[R]):
    """A call running in a forked child (fork_call); result() waits for what it returned."""

    def __init__(self, process: Any, receive: Any):
        self._process, self._receive = process, receive

    def result(self) -> R | None:
        """The call's return value; None when the child failed (an exception, killed, out of memory)."""
        try:
            ok, value = self._receive.recv()
        except (EOFError, OSError):  # the child died before it could answer
            ok, value = False, None
        finally:
            self._receive.close()
            self._process.join()
        return value if ok else None

    def stop(self) -> None:
        """End the child without waiting for its answer (this process is stopping or failed)."""
        with contextlib.suppress(Exception):
            self._process.terminate()  # SIGTERM ends it at once (lifecycle.worker_started)
            self._process.join()
            self._receive.close()


def fork_call(fn: Callable[[], R]) -> Forked[R] | None:
    """fn() in a child process forked from this one, while this one goes on: the child inherits this
    process's memory, so nothing is pickled on the way in (its return value is, on the way back). None, and
    no child, where forking is not the platform's start method (Windows, macOS: the caller then calls fn
    itself) or when this process runs other threads (a fork copies only the calling thread, and a lock
    another thread held stays held in the child)."""
    import multiprocessing

    if multiprocessing.get_start_method() != "fork" or threading.active_count() > 1:
        return None
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):  # the child flushes its copy of what is buffered as it ends
        with contextlib.suppress(Exception):
            stream.flush()
    process = context.Process(target=_forked, args=(fn, send), daemon=True)
    try:
        process.start()
    except OSError:  # no more processes allowed, no memory to fork: the caller does it itself
        receive.close()
        send.close()
        return None
    send.close()
    return Forked(process, receive)


def _forked(fn: Callable[[], R], send: Any) -> None:
    lifecycle.worker_started()
    gc.freeze()  # the inherited heap is never collected here: its pages stay shared with the parent
    try:
        answer = (True, fn())
    except BaseException:  # the parent does the work itself
        answer = (False, None)
    with contextlib.suppress(Exception):
        send.send(answer)

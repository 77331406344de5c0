"""One process pool for the whole tool: `parallel_map(fn, items, jobs=...)` is `[fn(x) for x in items]`, on
several cores when there is enough work.

The pool uses the platform's own start method (fork on Linux, spawn on Windows and macOS), so `fn` must be a
module-level function and the items picklable; `functools.partial` of such a function is fine. Results come
back in the order of `items`, whatever the order the workers finish in, so the output never depends on
scheduling. A chunk whose worker died (out of memory, killed) is done again in this process: nothing is lost.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from kjjr_excel import lifecycle

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")

MAX_JOBS = 61  # ProcessPoolExecutor's limit on Windows


def default_jobs() -> int:
    """The number of cores this process may run on (what `--jobs` means when it is not given)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # Windows and macOS have no affinity call
        return max(1, os.cpu_count() or 1)


def _run_chunk(pickled_fn: bytes, chunk: Sequence[T]) -> list[R]:
    fn: Callable[[T], R] = pickle.loads(pickled_fn)
    return [fn(item) for item in chunk]


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
    jobs = min(MAX_JOBS, default_jobs() if jobs is None else max(1, jobs))
    jobs = min(jobs, len(items) // max(1, min_per_job))
    if jobs < 2:
        return _serial(fn, items, progress)
    # jobs - 1 workers share the first items while this process reads its own share, the last ones: it would
    # otherwise only wait, and what it reads need not be sent back through a pipe.
    own = len(items) // jobs
    pooled, here = items[: len(items) - own], items[len(items) - own :]
    size = max(1, math.ceil(len(pooled) / ((jobs - 1) * 4)))  # several chunks a worker, so they balance
    chunks = [pooled[n : n + size] for n in range(0, len(pooled), size)]
    done: list[list[R] | None] = [None] * len(chunks)
    # fn as it is now, before this process calls it: the pool pickles what it sends in a thread of its own,
    # later, while this process's calls may be changing fn's state (a reader's caches): pickling a dict that
    # another thread changes raises "dictionary changed size during iteration" and would end the batch
    pickled_fn = pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
    import multiprocessing  # here: a run in one process (--jobs 1, a small inbox) never needs the pool
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context()
    with ProcessPoolExecutor(
        max_workers=jobs - 1, mp_context=context, initializer=lifecycle.worker_started
    ) as pool:
        futures: dict[Future, int] = {
            pool.submit(_run_chunk, pickled_fn, chunk): n for n, chunk in enumerate(chunks)
        }
        try:
            mine = _serial(fn, here, progress)
            _collect(futures, chunks, done, progress)
        except BaseException:  # Ctrl+C, SIGTERM, an error in fn: no chunk not yet begun is started
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    for index, result in enumerate(done):
        if result is None:  # its worker died: done here, so nothing is lost
            done[index] = _serial(fn, chunks[index], progress)
    return [result for chunk in done for result in chunk] + mine  # type: ignore[union-attr]


def _collect(
    futures: dict[Future, int],
    chunks: list[list[T]],
    done: list[list[R] | None],
    progress: Callable[[int], None] | None,
) -> None:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    for future in as_completed(futures):
        index = futures[future]
        try:
            done[index] = future.result()
        except BrokenProcessPool:
            continue  # a worker died: its chunks are done afterwards, here
        if progress is not None:
            progress(len(chunks[index]))


def _serial(fn: Callable[[T], R], items: Sequence[T], progress: Callable[[int], None] | None) -> list[R]:
    out = []
    for item in items:
        out.append(fn(item))
        if progress is not None:
            progress(1)
    return out

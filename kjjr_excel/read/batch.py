"""One process pool for the whole tool: `parallel_map(fn, items, jobs=...)` is `[fn(x) for x in items]`, on
several cores when there is enough work.

The pool uses the platform's own start method (fork on Linux, spawn on Windows and macOS), so `fn` must be a
module-level function and the items picklable; `functools.partial` of such a function is fine. Results come
back in the order of `items`, whatever the order the workers finish in, so the output never depends on
scheduling. A chunk whose worker died (out of memory, killed) is done again in this process: nothing is lost.

This process is one of the jobs: the workers take chunks from the front and it takes them from the back, each
one no worker has been handed yet, so neither waits long for the other, whether a worker is slow to start
(spawn) or a core is busy with something else.
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
    chunks = [items[start:end] for start, end in chunk_bounds(len(items), jobs)]
    done: list[list[R] | None] = [None] * len(chunks)
    last = len(chunks) - 1  # this process's first chunk; the workers are handed the others from the front
    # One item here first, so the workers start from what it taught fn (a reader's caches, whose hits cannot
    # change a result: each chunk a worker runs begins from this state, not from a cold one). Then fn is
    # pickled as it is now, before this process calls it again: the pool pickles what it sends in a thread of
    # its own, later, while this process's calls may be changing fn's state: pickling a dict that another
    # thread changes raises "dictionary changed size during iteration" and would end the batch.
    warm = _serial(fn, chunks[last][:1], progress)
    pickled_fn = pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
    import multiprocessing  # here: a run in one process (--jobs 1, a small inbox) never needs the pool
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context()
    with ProcessPoolExecutor(
        max_workers=jobs - 1, mp_context=context, initializer=lifecycle.worker_started
    ) as pool:
        futures = [pool.submit(_run_chunk, pickled_fn, chunk) for chunk in chunks[:last]]
        try:
            done[last] = warm + _serial(fn, chunks[last][1:], progress)
            _share(fn, futures, chunks, done, progress)
            _collect(futures, chunks, done, progress)
        except BaseException:  # Ctrl+C, SIGTERM, an error in fn: no chunk not yet begun is started
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    for index, result in enumerate(done):
        if result is None:  # its worker died: done here, so nothing is lost
            done[index] = _serial(fn, chunks[index], progress)
    return [result for chunk in done for result in chunk]  # type: ignore[union-attr]


# Chunks a job gets at least (more, smaller chunks near where the workers and this process meet), and at most
# this many items' worth of any one: a worker is handed its next chunk while it runs one, so a first chunk far
# larger than the rest would be committed to a worker that is still starting (spawn, as on Windows, takes a
# second) while this process runs out of work.
CHUNKS_PER_JOB = 16
SMALLEST_PER_JOB = 64
SMALLEST = (
    16  # items: the last chunks on each side, whatever the count (what a worker still has when the two meet)
)


def chunk_bounds(count: int, jobs: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk, in the items' order. The workers' expected share (the first (jobs-1)/jobs of
    the items) is cut in chunks that shrink towards its end, this process's share (the rest) in chunks that
    shrink towards its start. The workers take chunks from the front and this process takes them from the
    back, so they meet among small chunks and finish close together, however the machine shares its cores."""
    largest = max(1, math.ceil(count / (jobs * CHUNKS_PER_JOB)))
    smallest = max(1, min(SMALLEST, count // (jobs * SMALLEST_PER_JOB)))
    meet = count - count // jobs
    front: list[tuple[int, int]] = []
    start = 0
    while start < meet:
        size = min(largest, max(smallest, math.ceil((meet - start) / (2 * (jobs - 1)))))
        front.append((start, min(meet, start + size)))
        start += size
    back: list[tuple[int, int]] = []
    end = count
    while end > meet:
        size = min(largest, max(smallest, math.ceil((end - meet) / 2)))
        back.append((max(meet, end - size), end))
        end -= size
    return front + back[::-1]


def _share(
    fn: Callable[[T], R],
    futures: list[Future],
    chunks: list[list[T]],
    done: list[list[R] | None],
    progress: Callable[[int], None] | None,
) -> None:
    """This process's part: chunks from the back, each one no worker has been handed (its future is cancelled
    here, so the pool never sends it), until it reaches one a worker has; every chunk before that one is the
    workers' too, as the pool hands them out in order."""
    for index in range(len(futures) - 1, -1, -1):
        if not futures[index].cancel():
            return
        done[index] = _serial(fn, chunks[index], progress)


def _collect(
    futures: list[Future],
    chunks: list[list[T]],
    done: list[list[R] | None],
    progress: Callable[[int], None] | None,
) -> None:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    pending = {future: index for index, future in enumerate(futures) if not future.cancelled()}
    for future in as_completed(pending):
        index = pending[future]
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

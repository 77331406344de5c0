"""read/batch.py: the one process pool gives what a plain loop gives, in the items' order."""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time

import pytest

from kjjr_excel.read import batch
from kjjr_excel.read.batch import default_jobs, parallel_map


def _square(x: int) -> int:
    return x * x


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def _slow_pid(x: int) -> tuple[int, int]:
    time.sleep(0.002)  # long enough that the worker has started before this process is through
    return os.getpid(), x


def _scaled(factor: int, x: int) -> int:
    return factor * x


def _dies_on(victim: int, parent: int, x: int) -> int:
    if x == victim and os.getpid() != parent:
        os._exit(9)  # a worker killed in the middle of a chunk
    return x + 1


def test_serial_equals_parallel_in_order():
    items = list(range(500))
    ticks: list[int] = []
    assert parallel_map(_square, items, jobs=2, min_per_job=1, progress=ticks.append) == [
        x * x for x in items
    ]
    assert sum(ticks) == len(items)
    assert parallel_map(_square, items, jobs=1) == [x * x for x in items]


def test_jobs_one_stays_in_this_process():
    pids = {pid for pid, _ in parallel_map(_pid_and_square, range(100), jobs=1)}
    assert pids == {os.getpid()}


def test_several_processes_when_asked():
    # jobs=2: one worker and this process, which takes chunks from the back while the worker takes the front
    pids = {pid for pid, _ in parallel_map(_slow_pid, range(400), jobs=2, min_per_job=1)}
    assert len(pids) == 2 and os.getpid() in pids


def _slower_in_workers(parent: int, x: int) -> tuple[int, int]:
    time.sleep(0.001 if os.getpid() == parent else 0.004)  # a worker on a busy core
    return os.getpid(), x


def test_the_faster_side_takes_more_chunks_and_the_order_is_kept():
    # the pool is handed spans from the front a few at a time and this process runs spans from the back: a
    # worker four times slower ends with far less than the half a fixed split gave it
    out = parallel_map(functools.partial(_slower_in_workers, os.getpid()), range(800), jobs=2, min_per_job=1)
    assert [x for _, x in out] == list(range(800))
    here = sum(1 for pid, _ in out if pid == os.getpid())
    assert 0.65 * 800 <= here < 800
    # this process's items are the last ones, the workers' the first: each side took its end of the list
    assert all(pid == os.getpid() for pid, _ in out[-here:])


class _PoolThatRecordsSpans:
    """A stand-in for the process pool that records the spans it is handed and answers each at once (a worker
    as fast as this process): the last spans it was handed are what this process would wait for."""

    def __init__(self) -> None:
        self.spans: list[list[int]] = []

    def submit(self, fn, pickled_fn, span):
        from concurrent.futures import Future

        self.spans.append(list(span))
        future: Future = Future()
        future.set_result(list(span))
        return future


def test_the_spans_left_to_the_pool_at_the_end_are_small():
    # spans are cut from what is left: when this process has met the pool's share, the spans the pool still
    # holds are a few items, not a fixed 1/32 of the work (three of those left this process waiting 0.2 s of
    # a 1 s read at 1,000 files, 1.9 s at 10,000)
    pool = _PoolThatRecordsSpans()
    items = list(range(10_000))
    shared = batch._Shared(pool, b"", items, None, threading.Event(), jobs=2)
    shared.run_here(lambda x: x)
    held = pool.spans[-batch.QUEUED_PER_WORKER :]
    assert sum(len(span) for span in held) <= 4
    assert max(len(span) for span in pool.spans) <= batch.MAX_SPAN
    assert shared.results(lambda x: x) == items  # each item once, in order


def test_small_work_is_not_spread():
    pids = {pid for pid, _ in parallel_map(_pid_and_square, range(10), jobs=4)}
    assert pids == {os.getpid()}


def test_partial_functions_travel():
    assert parallel_map(functools.partial(_scaled, 3), range(100), jobs=2, min_per_job=1) == [
        3 * x for x in range(100)
    ]


def test_a_dead_worker_loses_nothing():
    fn = functools.partial(_dies_on, 137, os.getpid())
    assert parallel_map(fn, range(300), jobs=2, min_per_job=1) == [x + 1 for x in range(300)]


def _dies_early(parent: int, x: int) -> int:
    if os.getpid() != parent:
        time.sleep(0.004)  # this process runs ahead, through chunks the worker was never handed
        if x == 20:
            os._exit(9)
    else:
        time.sleep(0.001)
    return x + 1


def test_a_dead_worker_leaves_no_traceback_and_no_worker_behind(monkeypatch):
    # when a worker dies, the pool's own thread marks every chunk not yet done as failed; a chunk this
    # process had cancelled to run it itself made that thread raise InvalidStateError (Python 3.11): a
    # traceback on the console, and the other workers never stopped
    raised: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    fn = functools.partial(_dies_early, os.getpid())
    assert parallel_map(fn, range(400), jobs=2, min_per_job=1) == [x + 1 for x in range(400)]
    assert raised == [] and multiprocessing.active_children() == []


@pytest.mark.skipif("spawn" not in multiprocessing.get_all_start_methods(), reason="no spawn here")
def test_spawn_start_method_as_on_windows(monkeypatch):
    spawn = multiprocessing.get_context("spawn")
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: spawn)
    assert parallel_map(_square, range(60), jobs=2, min_per_job=1) == [x * x for x in range(60)]


def test_default_jobs_is_a_core_count():
    assert 1 <= default_jobs() <= (os.cpu_count() or 1)


class _Remembers:
    """A function object with a cache it fills as it runs, as the submission reader does."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}

    def __call__(self, x: int) -> tuple[int, int, int]:
        time.sleep(0.001)  # this process is still busy with its own share when later chunks are sent
        for n in range(50):  # a cache growing while the pool's thread may be pickling it
            self.seen[x * 100 + n] = n
        return os.getpid(), len(self.seen), x


def test_workers_get_the_function_as_it_was_before_this_process_ran_it():
    fn = _Remembers()
    out = parallel_map(fn, range(400), jobs=2, min_per_job=1)
    assert [x for _, _, x in out] == list(range(400))
    here = os.getpid()
    # every chunk a worker ran started from the empty cache, however late the pool sent it; before the fix a
    # late chunk was pickled with this process's cache half filled, or the pickling raised RuntimeError
    assert {pid for pid, _, _ in out} != {here}
    assert max(seen for pid, seen, _ in out if pid != here) <= 100 * 50


def test_a_pool_refused_a_thread_by_the_system_is_done_here_and_does_not_hang():
    """When the system refuses one more thread (a limit on memory or processes: \"can't start new thread\"), the
    pool's manager thread died on starting its queue's feeder, its futures never finished and the run waited for
    ever — deaf to Ctrl+C and SIGTERM — after printing that thread's English traceback."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import threading
        from kjjr_excel.read.batch import parallel_map
        start = threading.Thread.start
        def refused(self):
            if self.name == "QueueFeederThread":
                raise RuntimeError("can't start new thread")
            return start(self)
        threading.Thread.start = refused
        print(parallel_map(abs, list(range(-200, 0)), jobs=2, min_per_job=1) == list(range(200, 0, -1)))
        """
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("parallel_map waited for ever on a pool without its feeder thread")
    assert done.returncode == 0 and done.stdout == "True\n", done.stderr
    assert done.stderr == ""


# ---------------------------------------------------------------------------------------------- fork_call


needs_fork = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="fork_call forks only where the platform does"
)


@needs_fork
def test_a_forked_call_sees_this_process_memory_and_answers():
    inherited = {"big": list(range(1000))}  # never pickled on the way in: a lambda could not be
    child = batch.fork_call(lambda: (os.getpid(), sum(inherited["big"])))
    assert child is not None
    pid, total = child.result()
    assert pid != os.getpid() and total == sum(range(1000))


@needs_fork
def test_a_forked_call_that_fails_or_dies_answers_none():
    def fails():
        raise ValueError("in the child")

    failed = batch.fork_call(fails)
    died = batch.fork_call(lambda: os._exit(3))
    assert failed is not None and failed.result() is None
    assert died is not None and died.result() is None


@needs_fork
def test_a_stopped_child_is_gone():
    child = batch.fork_call(lambda: time.sleep(60))
    assert child is not None
    started = time.monotonic()
    child.stop()
    assert time.monotonic() - started < 30  # it did not wait for the call
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_no_fork_while_other_threads_run_or_where_the_platform_spawns(monkeypatch):
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert batch.fork_call(lambda: 1) is None
    finally:
        stop.set()
        thread.join()
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda *a, **k: "spawn")
    assert batch.fork_call(lambda: 1) is None

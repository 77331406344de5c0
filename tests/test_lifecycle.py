"""lifecycle: SIGTERM and SIGHUP stop the main process as Ctrl+C does; a worker leaves Ctrl+C to its parent,
dies of SIGTERM and dies with its parent. Each case runs in a subprocess of its own: signal handlers are
process-wide."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_term_and_hangup_raise_keyboard_interrupt_in_the_main_process(signum):
    done = run(
        f"""
        import os
        from kjjr_excel import lifecycle

        lifecycle.stop_on_hangup_and_term()
        try:
            os.kill(os.getpid(), {int(signum)})
        except KeyboardInterrupt:
            print("unwound")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "unwound"


def test_without_the_handlers_the_signal_ends_the_process_on_the_spot():
    # The control for the test above: the same script without stop_on_hangup_and_term() never unwinds.
    done = run(
        """
        import os, signal
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except KeyboardInterrupt:
            print("unwound")
        """
    )
    assert done.returncode == -signal.SIGTERM
    assert "unwound" not in done.stdout


def test_outside_the_main_thread_the_handlers_are_left_alone():
    done = run(
        """
        import signal, threading
        from kjjr_excel import lifecycle

        errors = []

        def call():
            try:
                lifecycle.stop_on_hangup_and_term()
            except Exception as exc:
                errors.append(repr(exc))

        thread = threading.Thread(target=call)
        thread.start()
        thread.join()
        print(errors, signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] True"


def test_a_worker_leaves_ctrl_c_to_its_parent_and_dies_of_sigterm():
    done = run(
        """
        import os, signal
        from kjjr_excel import lifecycle

        lifecycle.stop_on_hangup_and_term()  # what the parent set before forking the worker
        lifecycle.worker_started()
        os.kill(os.getpid(), signal.SIGINT)
        print("alive after SIGINT", flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        print("alive after SIGTERM", flush=True)
        """
    )
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert done.stdout.splitlines() == ["alive after SIGINT"]


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in (b"Z", b"X")  # a zombie has died; only its exit status waits to be collected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_worker_dies_with_a_parent_killed_outright():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import os, sys, time
                from kjjr_excel import lifecycle

                pid = os.fork()
                if pid == 0:
                    lifecycle.worker_started()
                    print(os.getpid(), flush=True)
                    time.sleep(600)
                    os._exit(0)
                time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    worker = int(parent.stdout.readline())
    try:
        assert not _gone(worker)
        parent.kill()  # SIGKILL: no finally block of the parent runs
        parent.wait()
        # The kernel delivers the worker's SIGKILL as the parent exits; poll for it rather than assume a speed.
        for _ in range(600):
            if _gone(worker):
                break
            time.sleep(0.1)
        assert _gone(worker)
    finally:
        parent.stdout.close()
        if not _gone(worker):
            os.kill(worker, signal.SIGKILL)


FULL_COLLECTIONS = """
    import gc
    from kjjr_excel import lifecycle

    if {rarely}:
        lifecycle.collect_old_objects_rarely()
    full = []
    gc.callbacks.append(lambda phase, info: full.append(1) if phase == "stop" and info["generation"] == 2 else None)
    kept = [{{"row": n, "cells": [n, str(n)]}} for n in range(400_000)]  # a batch's results: they live on
    print(*gc.get_threshold(), len(full))
"""


def test_a_growing_batch_gets_few_full_collections():
    rarely = run(FULL_COLLECTIONS.format(rarely=True))
    default = run(FULL_COLLECTIONS.format(rarely=False))
    assert rarely.returncode == 0 and default.returncode == 0, rarely.stderr + default.stderr
    young, middle, old, full = map(int, rarely.stdout.split())
    default_young, default_middle, _, default_full = map(int, default.stdout.split())
    assert (young, middle) == (default_young, default_middle)  # young garbage is collected as often as before
    assert old >= 100
    assert full <= 1 < default_full


def test_the_console_entry_point_makes_full_collections_rare():
    done = run(
        """
        import gc, sys
        from kjjr_excel import cli

        sys.argv = ["kjjr", "--help"]
        try:
            cli.main()
        except SystemExit:
            pass
        print("threshold", gc.get_threshold()[2])
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "100"

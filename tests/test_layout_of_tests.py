"""One test module per module: every module of kjjr_excel/ (recursively) has tests/test_<module>.py, and every
test module names a module or is one of the acceptance suites that cut across modules."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "kjjr_excel"

# Modules still without a test module of their own. Empty this as they get one: the test below fails on an
# entry that has one (or no longer exists), so the list cannot go stale.
ALLOWLIST: set[str] = set()

# Test modules that name no module: acceptance suites over the whole tool, and this file.
ACCEPTANCE = {
    "examples",  # the corpus of real returned files, tests/examples/
    "schemes_end_to_end",  # templates filled by LibreOffice, ranked
    "fuzz",  # mutated workbooks never stop a batch
    "bundle",  # the offline bundle, tools/build_bundle.py
    "golden",  # the committed ranking workbooks, tests/golden/
    "fastpath",  # serial == parallel and the fast/plain writer switch, across read/ and write/
    "dependency_floors",  # pyproject's floors against .ci/floors.txt
    "layout_of_tests",
    "domain",  # the domain package imports no file format library nor read/ or write/
}


def modules() -> set[str]:
    # __init__ and __main__ hold no logic of their own to test (a version string, a call of cli.main).
    return {p.stem for p in PACKAGE.rglob("*.py") if not p.name.startswith("__")}


def covered() -> set[str]:
    """The modules tests/ has a test module for."""
    return {p.stem.removeprefix("test_") for p in (ROOT / "tests").glob("test_*.py")}


def test_every_module_has_a_test_module():
    missing = sorted(modules() - covered() - ALLOWLIST)
    assert not missing, f"modules without tests/test_<module>.py: {missing}"


def test_the_allowlist_holds_only_modules_still_without_one():
    stale = sorted(ALLOWLIST & covered())
    gone = sorted(ALLOWLIST - modules())
    assert not stale, f"remove from ALLOWLIST in tests/test_layout_of_tests.py (they have tests now): {stale}"
    assert not gone, f"remove from ALLOWLIST in tests/test_layout_of_tests.py (no such module): {gone}"


def test_every_test_module_names_a_module_or_is_an_acceptance_suite():
    orphans = sorted(covered() - modules() - ACCEPTANCE)
    assert not orphans, f"test modules that name no module of kjjr_excel/: {orphans}"


def test_module_names_are_what_the_tests_are_named_after():
    # The check above is by file name: were it to find nothing, every assertion here would pass vacuously.
    assert {"app", "cli", "batch", "ranking", "scheme"} <= modules()
    assert {"app", "cli", "batch", "ranking", "scheme"} <= covered()


def test_no_test_module_edits_sys_path():
    """Helpers are found through pyproject's pytest `pythonpath` (tests/fixtures), never a sys.path edit."""
    edits = [
        p.name
        for p in (ROOT / "tests").rglob("*.py")
        if p.name != Path(__file__).name
        and re.search(r"sys\.path\.(insert|append)", p.read_text(encoding="utf-8"))
    ]
    assert edits == []

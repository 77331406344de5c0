"""The domain package is pure: no module of it imports a file format library or the reading/writing code."""

import pkgutil
import subprocess
import sys

import pytest

import kjjr_excel.domain

FORBIDDEN = ("xlsxwriter", "python_calamine", "zipfile", "click", "kjjr_excel.read", "kjjr_excel.write")
MODULES = sorted(m.name for m in pkgutil.iter_modules(kjjr_excel.domain.__path__))


def test_every_domain_module_is_checked():
    assert {"scheme", "score", "rank", "validate", "parse", "layout", "methods", "checks"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_a_domain_module_imports_no_io(module):
    code = (
        f"import sys, kjjr_excel.domain.{module};"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m.startswith({FORBIDDEN!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_check_would_see_a_forbidden_import():
    code = (
        "import sys, kjjr_excel.read.inbox;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m.startswith({FORBIDDEN!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "kjjr_excel.read" in out

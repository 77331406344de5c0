"""pyproject's dependency floors are the versions CI installs for its floor run (.ci/floors.txt)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent.parent


def _floors_file() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"floors.txt pins exact versions: {line}"
        name = canonicalize_name(req.name)
        assert name not in pins, f"{name} pinned twice in floors.txt"
        pins[name] = spec.version
    return pins


def _pyproject_floors() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors: dict[str, str] = {}
    for text in project["dependencies"]:
        req = Requirement(text)
        lower = [s for s in req.specifier if s.operator == ">="]
        assert len(lower) == 1, f"a runtime dependency needs exactly one >= floor: {text}"
        floors[canonicalize_name(req.name)] = lower[0].version
    return floors


def test_every_runtime_floor_is_the_version_ci_installs():
    assert _pyproject_floors() == _floors_file()


def test_the_parsers_see_every_dependency():
    # A floors file or pyproject the parsers silently read as empty would make the comparison above vacuous.
    floors = _floors_file()
    assert {"xlsxwriter", "python-calamine", "openpyxl", "click"} <= floors.keys()
    assert all(version[0].isdigit() for version in floors.values())


def test_ci_installs_the_floors_file_and_ends_with_the_readme_test_command():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-c .ci/floors.txt" in run
    commands = [line.strip() for line in run.splitlines() if line.strip().startswith("python -m pytest")]
    assert commands[-1] == "python -m pytest -q"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`python -m pytest -q`" in readme

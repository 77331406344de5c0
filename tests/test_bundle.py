"""tools/build_bundle.py: the offline release an office unzips and double-clicks.

The wheels are fetched once into build/bundle-wheels (git-ignored; network to PyPI), then every bundle is
built from that cache with --no-index, in a network namespace of its own where the machine allows one.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from packaging.utils import canonicalize_name

from kjjr_excel.cli import cli

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "build_bundle.py"
CACHE = ROOT / "build" / "bundle-wheels"
BATS = ["run_ranking.bat", "生成模板.bat"]
LIMIT = 40 * 2**20
# The official python-3.12.x-embed-amd64.zip is about 11 MB; the stand-in holds none of it.
OFFICIAL_INTERPRETER = 12 * 2**20

spec = importlib.util.spec_from_file_location("build_bundle", TOOL)
build_bundle = importlib.util.module_from_spec(spec)
sys.modules["build_bundle"] = build_bundle  # dataclasses look their module up there
spec.loader.exec_module(build_bundle)

needs_lo = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)


def _offline() -> list[str]:
    """A command prefix that cuts the network off, where this machine lets us (root, unshare)."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return [unshare, "--net"]
    return []


def _build(out: Path, *args: str) -> Path:
    """Fetch into the cache (network), then build from the cache alone; returns the zip."""
    common = ["--wheel-cache", str(CACHE), "-o", str(out), *args]
    fetch = subprocess.run(
        [sys.executable, str(TOOL), "--download-only", *common], capture_output=True, text=True
    )
    assert fetch.returncode == 0, fetch.stderr
    done = subprocess.run(
        [*_offline(), sys.executable, str(TOOL), "--no-index", *common], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.split(" (")[0].strip())


def _standin_python(folder: Path) -> Path:
    """A stand-in for python-3.12.x-embed-amd64.zip: its layout and ._pth file, no real interpreter."""
    stdlib = io.BytesIO()
    with zipfile.ZipFile(stdlib, "w") as z:
        z.writestr("os.pyc", b"stand-in")
    path = folder / "standin-embed-amd64.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("python.exe", b"MZ stand-in")
        z.writestr("python312.dll", b"MZ stand-in")
        z.writestr("python312.zip", stdlib.getvalue())
        z.writestr(
            "python312._pth",
            "python312.zip\r\n.\r\n\r\n# Uncomment to run site.main() automatically\r\n#import site\r\n",
        )
    return path


@pytest.fixture(scope="module")
def linux_zip(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("linux"), "--platform", "manylinux", "--no-manual")


@pytest.fixture(scope="module")
def win_zip(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("win")
    manual = [] if shutil.which("soffice") else ["--no-manual"]
    return _build(
        work,
        "--platform",
        "win64",
        "--python-zip",
        str(_standin_python(work)),
        "--unverified-python",
        *manual,
    )


def _unzip(archive: Path, dest: Path) -> Path:
    """Unzip as an analyst would (Info-ZIP keeps the executable bits); returns the bundle folder."""
    dest.mkdir(parents=True)
    if shutil.which("unzip"):
        subprocess.run(["unzip", "-q", str(archive), "-d", str(dest)], check=True)
    else:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    (folder,) = dest.iterdir()
    return folder


def _without_kjjr(env: dict[str, str]) -> dict[str, str]:
    """The environment with no kjjr, no virtualenv and no PYTHONPATH: only the system's python3."""
    keep = [d for d in env["PATH"].split(os.pathsep) if d and not (Path(d) / "kjjr").exists()]
    keep = [d for d in keep if Path(d).resolve() != Path(sys.prefix, "bin").resolve()]
    out = {k: v for k, v in env.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    return {**out, "PATH": os.pathsep.join(keep), "CI": "1"}


def _values(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def _dependencies() -> list[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0] for d in meta["dependencies"]]


def _dists(names: list[str]) -> set[str]:
    return {
        canonicalize_name(n.split("/")[-2].split("-")[0]) for n in names if n.endswith(".dist-info/METADATA")
    }


# ---------------------------------------------------------------------------------------------- Linux


def test_linux_bundle_ranks_the_sample_inbox_with_no_kjjr_installed(linux_zip: Path, tmp_path: Path) -> None:
    folder = _unzip(linux_zip, tmp_path / "干净的 文件夹")
    env = _without_kjjr(dict(os.environ))
    assert shutil.which("kjjr", path=env["PATH"]) is None
    python3 = shutil.which("python3", path=env["PATH"])
    assert python3 is not None and not Path(python3).resolve().is_relative_to(Path(sys.prefix).resolve())
    probe = subprocess.run(
        [python3, "-c", "import kjjr_excel, xlsxwriter, python_calamine; print(kjjr_excel.__file__, xlsxwriter.__file__, sep=chr(10))"],
        capture_output=True, text=True, env={**env, "PYTHONPATH": str(folder / "lib")}, cwd=tmp_path,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    assert all(Path(p).is_relative_to(folder / "lib") for p in probe.stdout.splitlines()), probe.stdout

    samples = ROOT / "sample_inputs" / "qingdao" / "inbox"
    for f in samples.iterdir():
        shutil.copy2(f, folder / "inbox" / f.name)
    done = subprocess.run(
        ["bash", str(folder / "run_ranking.sh")], capture_output=True, text=True, env=env, cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "读取 10 份，参加排名 10 个" in done.stdout and "完成" in done.stdout
    produced = folder / "outputs" / "qingdao_排名结果.xlsx"

    expected = tmp_path / "expected.xlsx"
    ran = CliRunner().invoke(cli, ["rank", "qingdao", str(samples), "-o", str(expected)])
    assert ran.exit_code == 0, ran.output
    for sheet in ("排名", "得分明细", "校验问题"):
        assert _values(produced, sheet) == _values(expected, sheet), sheet
    assert len([r for r in _values(produced, "得分明细")[1:] if r[0] is not None]) == 10

    # A bundle made for another Python says so instead of failing on its compiled modules.
    (folder / "lib" / "PYTHON_VERSION").write_text("3.99\n", encoding="ascii")
    other = subprocess.run(
        ["bash", str(folder / "run_ranking.sh")],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert other.returncode == 1 and "这个发布包需要 Python 3.99" in other.stdout


def test_linux_bundle_is_small_and_has_exactly_the_runtime_dependencies(linux_zip: Path) -> None:
    assert linux_zip.name == "kjjr-excel-0.1.0-manylinux.zip"
    assert linux_zip.stat().st_size < LIMIT
    with zipfile.ZipFile(linux_zip) as zf:
        names = zf.namelist()
    dists = _dists(names)
    assert {canonicalize_name(d) for d in _dependencies()} | {"kjjr-excel"} <= dists
    assert not {"pandas", "numpy", "pytest", "setuptools"} & dists
    top = "kjjr-excel-0.1.0-manylinux/"
    assert f"{top}lib/kjjr_excel/schemes/qingdao-2017.toml" in names
    assert f"{top}run_ranking.sh" in names and f"{top}inbox/" in names
    assert not [n for n in names if "/bin/" in n or "__pycache__" in n]


# ---------------------------------------------------------------------------------------------- Windows


def test_windows_bundle_layout(win_zip: Path) -> None:
    assert win_zip.name == "kjjr-excel-0.1.0-win64-unverified.zip"  # a stand-in never passes for a release
    assert win_zip.stat().st_size + OFFICIAL_INTERPRETER < LIMIT
    top = "kjjr-excel-0.1.0-win64-unverified/"
    with zipfile.ZipFile(win_zip) as zf:
        names = set(zf.namelist())
        pth = zf.read(f"{top}python/python312._pth").decode()
        manifest = zf.read(f"{top}BUNDLE.txt").decode()
    assert pth.splitlines()[:3] == ["python312.zip", ".", "Lib\\site-packages"] and "#import site" in pth
    site = f"{top}python/Lib/site-packages/"
    for part in [
        "python/python.exe",
        "python/python312.zip",
        "run_ranking.bat",
        "生成模板.bat",
        "inbox/",
        "outputs/",
    ]:
        assert top + part in names, part
    assert (
        f"{site}kjjr_excel/__main__.py" in names and f"{site}kjjr_excel/schemes/guangdong-2019.toml" in names
    )
    assert f"{site}PYTHON_VERSION" in names
    for sub in ("templates", "sample_inputs"):
        for f in (ROOT / sub).rglob("*.xlsx"):
            assert f"{top}{f.relative_to(ROOT).as_posix()}" in names, f
    assert not [n for n in names if n.startswith(f"{site}bin/") or "__pycache__" in n]
    assert "NOT VERIFIED" in manifest and "python_calamine-" in manifest
    dists = _dists([n for n in names if n.startswith(site)])
    assert {canonicalize_name(d) for d in _dependencies()} | {"kjjr-excel"} <= dists
    assert "pandas" not in dists


def test_windows_wheels_are_win_amd64_or_pure_python(win_zip: Path) -> None:
    with zipfile.ZipFile(win_zip) as zf:
        wheel_files = {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/WHEEL")}
    tags = {n.split("/")[-2]: re.findall(r"^Tag: (\S+)\s*$", text, re.M) for n, text in wheel_files.items()}
    assert len(tags) >= len(_dependencies()) + 1
    for dist, found in tags.items():
        assert found and all(t.endswith("-win_amd64") or t.endswith("-none-any") for t in found), (
            dist,
            found,
        )
    binary = {d for d, found in tags.items() if any(t.endswith("-win_amd64") for t in found)}
    assert any(d.startswith("python_calamine-") for d in binary)  # the check saw a native wheel
    # ... and for the interpreter's version: CPython 3.12, its stable ABI, or any Python.
    for t in (t for found in tags.values() for t in found):
        interpreters, abi, _ = t.split("-")
        for interpreter in interpreters.split("."):  # a compressed tag set such as py2.py3
            assert interpreter in {"cp312", "py2", "py3"} or (abi == "abi3" and int(interpreter[3:]) <= 12), t


@needs_lo
def test_windows_bundle_has_a_one_page_chinese_manual(win_zip: Path, tmp_path: Path) -> None:
    top = "kjjr-excel-0.1.0-win64-unverified/"
    with zipfile.ZipFile(win_zip) as zf:
        pdf = zf.read(f"{top}使用说明.pdf")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1  # one page
    (tmp_path / "m.pdf").write_bytes(pdf)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the page count was checked, not the words")
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "m.pdf"), "-"], capture_output=True, text=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    for words in (
        "使用说明",
        "五个步骤",
        "run_ranking.bat",
        "生成模板.bat",
        "inbox",
        "outputs",
        "不需要管理员权限",
    ):
        assert words in flat, words


def test_bat_files_are_crlf_utf8_and_ascii_until_chcp(win_zip: Path) -> None:
    attributes = (ROOT / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert "*.bat text eol=crlf" in attributes
    with zipfile.ZipFile(win_zip) as zf:
        shipped = {n.split("/")[-1]: zf.read(n) for n in zf.namelist() if n.endswith(".bat")}
    assert sorted(shipped) == sorted(BATS)
    for name in BATS:
        raw = (ROOT / name).read_bytes()
        assert shipped[name] == raw
        assert not raw.startswith(b"\xef\xbb\xbf"), name  # a BOM would break the first line in cmd
        assert raw.count(b"\n") == raw.count(b"\r\n") and raw.endswith(b"\r\n"), name
        lines = raw.decode("utf-8").split("\r\n")
        chcp = next(i for i, line in enumerate(lines) if line.startswith("chcp 65001"))
        assert chcp < 4 and all(line.isascii() for line in lines[: chcp + 1]), name
        text = "\n".join(lines)
        assert 'set "PYTHONUTF8=1"' in text and "pushd" in text and "if not defined CI pause" in text
        # The order the issue asks for: the bundled interpreter, an installed kjjr, the Python launcher.
        order = [
            text.index(s)
            for s in ('"%~dp0python\\python.exe" -X utf8 -m kjjr_excel', "call kjjr", "py -3 -m kjjr_excel")
        ]
        assert order == sorted(order), name


# ---------------------------------------------------------------------------------------------- Wine


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    """Wine's cmd in a prefix of its own; its wineserver is stopped afterwards."""
    if shutil.which("wine") is None:
        pytest.skip("Wine is not installed (apt-get install wine)")
    env = {
        **os.environ,
        "WINEPREFIX": str(tmp_path_factory.mktemp("wineprefix")),
        "WINEDEBUG": "-all",
        "CI": "1",
    }
    env["WINEDLLOVERRIDES"] = "mscoree,mshtml="  # no Mono or Gecko installer dialogs
    env["TMPDIR"] = str(tmp_path_factory.mktemp("winetmp"))  # wine's server folder, out of the shared /tmp
    yield env
    if shutil.which("wineserver"):
        subprocess.run(["wineserver", "-k"], env=env, capture_output=True)


def _cmd(wine_env: dict, script: Path, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["wine", "cmd", "/c", script.name], cwd=script.parent, env={**wine_env, **extra}, capture_output=True,
        timeout=300,
    )  # fmt: skip


def test_run_ranking_bat_runs_under_wine_cmd(wine, win_zip: Path, tmp_path: Path) -> None:
    # A folder such as "新建文件夹 (2)": spaces, Chinese and a parenthesis that would end a ( ) block early.
    folder = _unzip(win_zip, tmp_path / "kjjr 发布包 (2)")
    script = folder / "run_ranking.bat"
    empty = _cmd(wine, script)
    assert empty.returncode == 1
    assert b"(2)" in empty.stdout and b"inbox" in empty.stdout  # says where to put the files

    shutil.copy2(next((ROOT / "sample_inputs" / "qingdao" / "inbox").iterdir()), folder / "inbox" / "a.xlsx")
    shutil.copy2(ROOT / "sample_inputs" / "qingdao" / "名录.csv", folder / "roster.csv")
    # The stand-in python.exe is no program: cmd's "not recognised" status comes back, never a success.
    failed = _cmd(wine, script)
    assert failed.returncode == 9009 % 256, failed.stdout
    assert b'python.exe" -X utf8 -m kjjr_excel rank qingdao inbox -o' in failed.stdout + failed.stderr

    # Without the bundled interpreter, an installed kjjr (a stub that records its arguments) is used.
    shutil.rmtree(folder / "python")
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "kjjr.bat").write_bytes(b'@echo off\r\necho ARGS: %*>> "%~dp0args.txt"\r\nexit /b 0\r\n')
    done = _cmd(wine, script, WINEPATH=f"Z:{stub}".replace("/", "\\"))
    assert done.returncode == 0, done.stdout
    calls = (stub / "args.txt").read_bytes().split(b"\r\n")
    # rank first, then the receipts with mail drafts and (a roster is there) the 催报 drafts
    assert (
        calls[0].startswith(b'ARGS: rank qingdao inbox -o "outputs\\qingdao_')
        and b'--roster "roster.csv"' in calls[0]
    )
    assert calls[1].startswith(b"ARGS: receipts qingdao inbox -o ") and b"--mail" in calls[1]
    assert calls[2].startswith(b"ARGS: remind qingdao inbox -o ") and b'--roster "roster.csv"' in calls[2]


def test_template_bat_runs_under_wine_cmd(wine, win_zip: Path, tmp_path: Path) -> None:
    folder = _unzip(win_zip, tmp_path / "模板 测试")
    shutil.rmtree(folder / "python")
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "kjjr.bat").write_bytes(b'@echo off\r\necho ARGS: %*> "%~dp0args.txt"\r\nexit /b 0\r\n')
    (folder / "roster.csv").write_bytes((ROOT / "sample_inputs" / "qingdao" / "名录.csv").read_bytes())
    done = _cmd(wine, folder / "生成模板.bat", WINEPATH=f"Z:{stub}".replace("/", "\\"))
    assert done.returncode == 0, done.stdout
    args = (stub / "args.txt").read_bytes()
    assert (
        args.startswith(b"ARGS: template qingdao -o ")
        and b'--roster "roster.csv" --per-center --assessment' in args
    )


# ---------------------------------------------------------------------------------------------- pins, resolution


def test_sha256_pins_are_the_published_ones() -> None:
    table = build_bundle.pinned_hashes()
    assert table == {
        "009d6bf7e3b2ddca3d784fa09f90fe54336d5b60f0e0f305c37f400bf83cfd3b": "python-3.11.9-embed-amd64.zip",
        "0d57bb6cb078b74d23dbfe91f77d6780d45bed328911609f1f7ee2ba1606bf44": "python-3.12.7-embed-amd64.zip",
        "4acbed6dd1c744b0376e3b1cf57ce906f9dc9e95e68824584c8099a63025a3c3": "python-3.12.10-embed-amd64.zip",
    }


def test_interpreter_zip_is_checked_against_the_pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    standin = _standin_python(tmp_path)
    with pytest.raises(build_bundle.BundleError, match="not an interpreter pinned"):
        build_bundle.check_python_zip(standin, unverified=False)
    line, verified = build_bundle.check_python_zip(standin, unverified=True)
    assert not verified and "NOT VERIFIED" in line
    # A file named like an official release whose bytes differ is refused, --unverified-python or not.
    fake = tmp_path / "python-3.12.10-embed-amd64.zip"
    shutil.copy(standin, fake)
    with pytest.raises(build_bundle.BundleError, match="is not the official python-3.12.10-embed-amd64.zip"):
        build_bundle.check_python_zip(fake, unverified=True)
    pins = tmp_path / "pins.sha256"
    pins.write_text(f"# test\n{build_bundle.sha256_of(standin)}  {standin.name}\n", encoding="utf-8")
    monkeypatch.setattr(build_bundle, "PINS", pins)
    line, verified = build_bundle.check_python_zip(standin, unverified=False)
    assert verified and build_bundle.sha256_of(standin) in line
    assert build_bundle.embed_target(fake).full_version == "3.12.10"
    assert build_bundle.embed_target(standin).python == (3, 12)


def _wheel(
    cache: Path, name: str, requires: list[str], tag: str = "py3-none-any", version: str = "1.0"
) -> None:
    path = cache / f"{name}-{version}-{tag}.whl"
    meta = "Metadata-Version: 2.1\nName: {}\nVersion: {}\n{}".format(
        name, version, "".join(f"Requires-Dist: {r}\n" for r in requires)
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{name}-{version}.dist-info/METADATA", meta)


def test_resolve_evaluates_markers_for_the_target(tmp_path: Path) -> None:
    """pip download judges markers on the building machine; the closure is judged for the target."""
    _wheel(
        tmp_path, "app", ['winonly; sys_platform == "win32"', 'linuxonly; sys_platform == "linux"', "native"]
    )
    _wheel(tmp_path, "winonly", [])
    _wheel(tmp_path, "linuxonly", [])
    _wheel(tmp_path, "native", [], tag="cp312-cp312-win_amd64")
    _wheel(tmp_path, "native", [], tag="cp312-cp312-manylinux_2_17_x86_64")
    win = build_bundle.Target("win64", (3, 12), "3.12.10", ("win_amd64",), "python/Lib/site-packages")
    got = [p.name for p in build_bundle.resolve(["app"], tmp_path, win, no_index=True)]
    assert got == [
        "app-1.0-py3-none-any.whl",
        "native-1.0-cp312-cp312-win_amd64.whl",
        "winonly-1.0-py3-none-any.whl",
    ]
    with pytest.raises(build_bundle.BundleError, match="no wheel of native"):
        build_bundle.resolve(
            ["app"], tmp_path, build_bundle.Target("win64", (3, 13), "3.13.0", ("win_amd64",), "x"), True
        )


def test_resolve_refuses_an_older_release_than_this_machine_gets(tmp_path: Path) -> None:
    """pip download for the target backtracks silently where the newest release has no wheel for it."""
    _wheel(tmp_path, "app", ["lib"])
    _wheel(tmp_path, "lib", [], version="1.0")
    _wheel(tmp_path, "lib", [], tag="cp312-cp312-manylinux_2_17_x86_64", version="2.0")
    win = build_bundle.Target("win64", (3, 12), "3.12.10", ("win_amd64",), "python/Lib/site-packages")
    with pytest.raises(
        build_bundle.BundleError,
        match=r"lib 2.0 .* has no wheel for win64 cp312; the bundle would get lib-1.0",
    ):
        build_bundle.resolve(["app"], tmp_path, win, no_index=True)
    assert [p.name for p in build_bundle.resolve(["app", "lib<2"], tmp_path, win, no_index=True)] == [
        "app-1.0-py3-none-any.whl",
        "lib-1.0-py3-none-any.whl",
    ]


def test_pandas_is_only_the_benchmarks_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "pandas" not in {canonicalize_name(d) for d in _dependencies()}
    assert any(d.startswith("pandas") for d in project["optional-dependencies"]["bench"])
    imported = set()
    for source in (ROOT / "kjjr_excel").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert "xlsxwriter" in imported and "pandas" not in imported

"""Build the offline release bundle: unzip, double-click, no install step.

    python tools/build_bundle.py --platform win64 --python-zip python-3.12.10-embed-amd64.zip
    python tools/build_bundle.py --platform manylinux

win64 puts the official embeddable CPython (checked against tools/python-embed.sha256) in python/ and the
project with its dependencies, as win_amd64 or pure-Python wheels unpacked, in python/Lib/site-packages;
manylinux puts the wheels in lib/ for the system's python3 (so the mechanism is tested on Linux). Both add
the blank templates, the sample inputs, the double-click scripts and a one-page 使用说明.pdf, and zip it all
as dist/kjjr-excel-<version>-<platform>.zip.

The dependency list is pyproject.toml's [project].dependencies. Wheels are fetched with `pip download`
into --wheel-cache; --no-index builds from that cache alone, without the network.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
PINS = Path(__file__).with_name("python-embed.sha256")
# glibc 2.17 and newer (CentOS 7, Debian 8 on): the family every dependency publishes wheels for.
MANYLINUX = ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]


class BundleError(Exception):
    """The bundle cannot be built; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """What the bundle runs on: wheel tags, marker environment, where the packages go."""

    platform: str  # "win64" | "manylinux"
    python: tuple[int, int]
    full_version: str
    pip_platforms: tuple[str, ...]
    site: str  # site-packages, relative to the bundle folder

    @property
    def version(self) -> str:
        return f"{self.python[0]}.{self.python[1]}"

    @property
    def tags(self) -> list[Tag]:
        return [
            *cpython_tags(self.python, platforms=self.pip_platforms),
            *compatible_tags(self.python, platforms=self.pip_platforms),
        ]

    @property
    def markers(self) -> dict[str, str]:
        windows = self.platform == "win64"
        return {
            "implementation_name": "cpython",
            "implementation_version": self.full_version,
            "os_name": "nt" if windows else "posix",
            "platform_machine": "AMD64" if windows else "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Windows" if windows else "Linux",
            "platform_version": "",
            "python_full_version": self.full_version,
            "python_version": self.version,
            "sys_platform": "win32" if windows else "linux",
        }

    def pip_args(self) -> list[str]:
        # the full version: pip reads "3.11" as 3.11.0, which a release needing 3.11.5 or newer refuses
        args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.full_version]
        for plat in self.pip_platforms:
            args += ["--platform", plat]
        return args


# ---------------------------------------------------------------------------------------------- interpreter


def pinned_hashes() -> dict[str, str]:
    """sha256 -> file name, from the pinned table (sha256sum format, # comments)."""
    table: dict[str, str] = {}
    for line in PINS.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            table[digest.lower()] = name.lstrip("*")
    return table


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_python_zip(path: Path, unverified: bool) -> tuple[str, bool]:
    """The zip's SHA-256 must be in the pinned table; returns a line saying what was checked, and whether
    it was verified."""
    digest = sha256_of(path)
    table = pinned_hashes()
    if digest in table:
        return f"{table[digest]} SHA-256 {digest} (pinned in tools/{PINS.name})", True
    by_name = {name: d for d, name in table.items()}
    if path.name in by_name:
        raise BundleError(
            f"{path} is not the official {path.name}: its SHA-256 is {digest}, the published one is "
            f"{by_name[path.name]}. Download it again from python.org."
        )
    if not unverified:
        raise BundleError(
            f"{path} (SHA-256 {digest}) is not an interpreter pinned in tools/{PINS.name}. Pass the official "
            "python-3.x.y-embed-amd64.zip, or add its published SHA-256 to that file after checking it; "
            "--unverified-python builds a test bundle with it anyway."
        )
    print(
        f"WARNING: {path.name} is not verified (SHA-256 {digest}); the bundle is for tests only",
        file=sys.stderr,
    )
    return f"{path.name} SHA-256 {digest} (NOT VERIFIED: a stand-in for tests)", False


def embed_target(python_zip: Path) -> Target:
    """The interpreter's version, from its pythonXY._pth (and the file name for the patch level)."""
    with zipfile.ZipFile(python_zip) as zf:
        names = zf.namelist()
    pth = [n for n in names if re.fullmatch(r"python3\d+\._pth", n)]
    if not pth or "python.exe" not in names:
        raise BundleError(
            f"{python_zip} is not an embeddable CPython: no python.exe and python3XY._pth in it"
        )
    minor = int(pth[0][len("python3") : -len("._pth")])
    m = re.search(r"python-(3\.\d+\.\d+)-embed", python_zip.name)
    full = m.group(1) if m and m.group(1).startswith(f"3.{minor}.") else f"3.{minor}.0"
    return Target("win64", (3, minor), full, ("win_amd64",), "python/Lib/site-packages")


def linux_target(python3: str) -> Target:
    out = subprocess.run(
        [python3, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    major, minor = (int(x) for x in out.split(".")[:2])
    return Target("manylinux", (major, minor), out, tuple(MANYLINUX), "lib")


def unpack_python(python_zip: Path, dest: Path, target: Target) -> None:
    """Unzip the embeddable interpreter and let its ._pth file see Lib/site-packages."""
    with zipfile.ZipFile(python_zip) as zf:
        zf.extractall(dest)
    pth = dest / f"python3{target.python[1]}._pth"
    lines = pth.read_text(encoding="utf-8").splitlines()
    # The ._pth file is the whole sys.path: environment variables and the registry are ignored, so the
    # bundle never mixes with a Python the office may have installed.
    if "Lib\\site-packages" not in lines:
        lines.insert(lines.index(".") + 1 if "." in lines else len(lines), "Lib\\site-packages")
    pth.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


# ---------------------------------------------------------------------------------------------- wheels


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BundleError(f"{' '.join(cmd)} failed:\n{(done.stderr or done.stdout).strip()[-3000:]}")


def cache_args(cache: Path, no_index: bool) -> list[str]:
    return ["--find-links", str(cache), *(["--no-index"] if no_index else [])]


def download(
    requirements: list[str], cache: Path, target: Target | None, no_index: bool, deps: bool = True
) -> None:
    """pip download into the cache (target None: for this machine, the build requirements)."""
    cache.mkdir(parents=True, exist_ok=True)
    extra = target.pip_args() if target else ["--only-binary=:all:"]
    pip("download", "--quiet", "--dest", str(cache), *cache_args(cache, no_index), *extra,
        *([] if deps else ["--no-deps"]), *requirements)  # fmt: skip


def wheel_sdists(requirements: list[str], cache: Path, deps: bool = True) -> None:
    """Wheels built here for the whole closure, sdist-only pure-Python dependencies included.

    pip download --only-binary=:all: cannot take an sdist: where the newest release of a dependency needs a
    package that publishes none (extract-msg needs red-black-tree-mod), it silently backtracks to an old
    release instead. With the wheels built here in the cache, it finds the newest one.
    """
    cache.mkdir(parents=True, exist_ok=True)
    pip("wheel", "--quiet", "--wheel-dir", str(cache), "--find-links", str(cache),
        *([] if deps else ["--no-deps"]), *requirements)  # fmt: skip


def wheels_in(cache: Path, target: Target) -> dict[str, list[tuple]]:
    """name -> [(version, tag rank, path)] of the cached wheels the target can install."""
    rank = {tag: i for i, tag in enumerate(target.tags)}
    found: dict[str, list[tuple]] = {}
    for path in cache.glob("*.whl"):
        name, version, _build, tags = parse_wheel_filename(path.name)
        best = min((rank[t] for t in tags if t in rank), default=None)
        if best is not None:
            found.setdefault(name, []).append((version, -best, path))
    return found


def _metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        return email.parser.BytesParser().parsebytes(zf.read(meta), headersonly=True)


def requires(wheel: Path) -> list[str]:
    return _metadata(wheel).get_all("Requires-Dist") or []


def runs_on(wheel: Path, target: Target) -> bool:
    """The wheel's Requires-Python admits the target's interpreter (wheels built here for this machine's
    Python, or fetched for it, may need a newer one: soupsieve 4 needs 3.11.5, Debian's python3 is 3.11.2)."""
    needed = _metadata(wheel).get("Requires-Python")
    return not needed or SpecifierSet(needed).contains(target.full_version, prereleases=True)


def resolve(roots: list[str], cache: Path, target: Target, no_index: bool) -> list[Path]:
    """The wheels of the dependency closure, with markers evaluated for the target.

    pip download evaluates markers for the machine it runs on, so a requirement for Windows only (say
    `colorama; sys_platform == "win32"`) is missing from its download; it is fetched here.
    """
    wanted: dict[str, SpecifierSet] = {}
    extras: dict[str, set[str]] = {}
    queue = [Requirement(r) for r in roots]
    chosen: dict[str, Path] = {}
    while queue:
        req = queue.pop()
        env = target.markers
        if req.marker and not req.marker.evaluate({**env, "extra": ""}):  # a root, or a dep already judged
            continue
        name = canonicalize_name(req.name)
        before = (wanted.get(name), extras.get(name))
        wanted[name] = wanted.get(name, SpecifierSet()) & req.specifier
        extras[name] = extras.get(name, set()) | req.extras
        if name in chosen and before == (wanted[name], extras[name]):
            continue
        path = best_wheel(name, wanted[name], cache, target)
        if path is None:
            if no_index:
                raise BundleError(
                    f"no wheel of {name}{wanted[name]} for {target.platform} cp{target.python[0]}{target.python[1]} "
                    f"in {cache}: build once without --no-index to fetch it"
                )
            try:
                download([f"{name}{wanted[name]}"], cache, target, no_index, deps=False)
            except BundleError:  # no wheel for the target at all: a pure-Python sdist builds one here
                wheel_sdists([f"{name}{wanted[name]}"], cache, deps=False)
            path = best_wheel(name, wanted[name], cache, target)
            if path is None:
                raise BundleError(
                    f"{name}{wanted[name]} has no wheel for {target.platform}, and its sdist does not build a "
                    "pure-Python one here: the bundle cannot carry it"
                )
        chosen[name] = path
        for line in requires(path):
            dep = Requirement(line)
            if dep.marker is None or any(
                dep.marker.evaluate({**env, "extra": e}) for e in extras[name] or {""}
            ):
                dep.marker = None
                queue.append(dep)
    for name, path in chosen.items():
        newer = newest_version(name, wanted[name], cache, target)
        if newer > parse_wheel_filename(path.name)[1]:
            raise BundleError(
                f"{name} {newer} (the release this machine installs) has no wheel for {target.platform} "
                f"cp{target.python[0]}{target.python[1]}; the bundle would get {path.name} instead. Pin "
                f"{name} in pyproject.toml, or wait for its {target.platform} wheel."
            )
    return sorted(chosen.values())


def newest_version(name: str, spec: SpecifierSet, cache: Path, target: Target):
    """The highest version of name in the cache that spec allows and the target's Python can run, whatever
    platform its wheel is for."""
    found = ((parse_wheel_filename(p.name), p) for p in cache.glob("*.whl"))
    return max(
        v
        for (n, v, _, _), path in found
        if n == name and spec.contains(v, prereleases=False) and runs_on(path, target)
    )


def best_wheel(name: str, spec: SpecifierSet, cache: Path, target: Target) -> Path | None:
    candidates = [
        c
        for c in wheels_in(cache, target).get(name, [])
        if spec.contains(c[0], prereleases=False) and runs_on(c[2], target)
    ]
    return max(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None


def build_project_wheel(cache: Path, out: Path) -> Path:
    """The project's own wheel, built from a copy of the source (no stale build/ in the tree), with the
    build requirements from the cache."""
    with tempfile.TemporaryDirectory(prefix="kjjr_src_") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "kjjr_excel", src / "kjjr_excel", ignore=shutil.ignore_patterns("__pycache__"))
        pip(
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(out),
            *cache_args(cache, no_index=True),
            str(src),
        )
    return next(out.glob("kjjr_excel-*.whl"))


def install(wheels: list[Path], site: Path, target: Target) -> None:
    """Unpack the wheels into site with pip itself, checking every wheel against the target's tags."""
    pip("install", "--quiet", "--no-deps", "--no-compile", "--no-index", "--target", str(site),
        *target.pip_args(), *(str(w) for w in wheels))  # fmt: skip
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts made for this machine, not the target


# ---------------------------------------------------------------------------------------------- the bundle


def copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("~$*", ".*", "__pycache__"))


MANUAL_STEPS = [
    ("解压", "把 {zip} 解压到本机一个有写入权限的文件夹（例如桌面），得到文件夹 {folder}。不要在压缩包里直接双击运行。"
     "不需要安装 Python，不需要联网，也不需要管理员权限。"),
    ("发模板", "templates 文件夹里是空白填报模板，可直接作为邮件附件发给各分中心。要按名录为每个分中心生成预填名称、编号的模板："
     "把名录（名录.xlsx 或 名录.csv，列：编号、名称、依托单位）放在 {script} 旁边，双击 {template}，模板写入“模板”文件夹。"),
    ("收文件", "把各分中心报回的附件全部保存到 inbox 文件夹（可以有子文件夹，文件改名也没关系）。考核评价表或各评审人的定性评分表"
     "放进 assessment 文件夹，往年结果表放进 history 文件夹。第一次使用可以先把 {samples} 里的示例文件复制到 inbox 试一试。"),
    ("双击 {script}", "窗口中显示读取了多少份、参加排名多少个、未提交多少个、发现多少问题，最后显示“完成”并自动打开 outputs 文件夹；"
     "按任意键关闭窗口。广东方案：用记事本打开 {script}，把 SCHEME=qingdao 改为 SCHEME=guangdong 后保存。"),
    ("看结果", "打开 outputs 文件夹里的排名结果表：“排名”表可直接打印（A4横向）；“校验问题”表列出哪个文件、哪个单元格有什么问题、怎么改；"
     "“未提交”表是催报名单；“得分明细”是每项指标的得分和计算过程。"),
]  # fmt: skip

MANUAL_FAQ = [
    ("窗口一闪就关了，或提示找不到程序", "确认是在解压后的文件夹里双击，且 {runtime} 文件夹还在。"),
    (
        "提示结果文件被占用",
        "结果表正在 Excel 或 WPS 中打开：关闭后重新运行；程序也会另存一个新文件名并在窗口中说明。",
    ),
    (
        "双击后出现“安全警告”",
        "从网上或邮件得到的压缩包会带这个提示：点“运行”；或在解压前右键压缩包 →“属性”→ 勾选“解除锁定”。",
    ),
    ("杀毒软件拦截", "本程序只读取 inbox 等文件夹中的表格，不联网、不修改报送文件；可把本文件夹加入信任区。"),
]


def write_manual(dest: Path, target: Target, zip_name: str, folder: str, version: str) -> Path:
    """使用说明.pdf: a flat ODT document printed to PDF by LibreOffice (one A4 page)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise BundleError(
            "LibreOffice (soffice) is needed to print 使用说明.pdf; install it, or pass --no-manual"
        )
    windows = target.platform == "win64"
    names = {
        "zip": zip_name,
        "folder": folder,
        "script": "run_ranking.bat" if windows else "run_ranking.sh",
        "template": "生成模板.bat"
        if windows
        else "生成模板（Linux 版：PYTHONPATH=lib python3 -m kjjr_excel template）",
        "runtime": "python" if windows else "lib",
        "samples": "sample_inputs\\qingdao\\inbox" if windows else "sample_inputs/qingdao/inbox",
    }

    def para(style: str, text: str) -> str:
        return f'<text:p text:style-name="{style}">{escape(text.format(**names))}</text:p>'

    body = [para("Title", "科技金融服务中心考核工具 使用说明"),
            para("Sub", f"离线版 {version}（{'Windows 64位' if windows else 'Linux'}）：解压即用，双击运行")]  # fmt: skip
    body.append(para("H", "五个步骤"))
    for i, (head, text) in enumerate(MANUAL_STEPS, 1):
        body.append(
            f'<text:p text:style-name="Step"><text:span text:style-name="B">{i}. {escape(head.format(**names))}：</text:span>'
            f"{escape(text.format(**names))}</text:p>"
        )
    body.append(para("H", "文件夹里有什么"))
    rows = [
        ("inbox", "放收到的报送文件"),
        ("outputs", "排名结果表写在这里"),
        ("templates", "空白填报模板、考核评价表、定性评分表"),
        ("sample_inputs", "示例报送文件（青岛、广东），用于试运行"),
        (names["runtime"], "程序本身，请勿改动或删除"),
    ]
    cells = "".join(
        f"<table:table-row>{''.join(f'<table:table-cell><text:p>{escape(c)}</text:p></table:table-cell>' for c in row)}"
        "</table:table-row>"
        for row in rows
    )
    body.append(
        '<table:table table:name="folders"><table:table-column table:number-columns-repeated="2"/>'
        f"{cells}</table:table>"
    )
    body.append(para("H", "常见问题"))
    for q, a in MANUAL_FAQ:
        body.append(
            f'<text:p text:style-name="Step"><text:span text:style-name="B">{escape(q)}：</text:span>'
            f"{escape(a.format(**names))}</text:p>"
        )
    body.append(para("Sub", "有问题的报送文件不会中断处理；输入文件只读不改。"))
    doc = FODT.replace("@BODY@", "\n".join(body))
    with tempfile.TemporaryDirectory(prefix="kjjr_manual_") as tmp:
        work = Path(tmp)
        src = work / "使用说明.fodt"
        src.write_text(doc, encoding="utf-8")
        cmd = [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(work), str(src)]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        pdf = work / "使用说明.pdf"
        if done.returncode != 0 or not pdf.is_file():
            raise BundleError(
                f"LibreOffice did not print 使用说明.pdf: {(done.stderr or done.stdout).strip()[:500]}"
            )
        return Path(shutil.copy2(pdf, dest / "使用说明.pdf"))


FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:font-face-decls>
 <style:font-face style:name="CJK" svg:font-family="'Noto Sans CJK SC'"/>
</office:font-face-decls>
<office:styles>
 <style:default-style style:family="paragraph">
  <style:paragraph-properties fo:margin-top="0cm" fo:margin-bottom="0.12cm" fo:line-height="122%"/>
  <style:text-properties style:font-name="CJK" style:font-name-asian="CJK" fo:font-size="10.5pt"
   style:font-size-asian="10.5pt" fo:language="zh" fo:country="CN" style:language-asian="zh" style:country-asian="CN"/>
 </style:default-style>
 <style:style style:name="Title" style:family="paragraph">
  <style:paragraph-properties fo:text-align="center" fo:margin-bottom="0.1cm"/>
  <style:text-properties fo:font-size="18pt" style:font-size-asian="18pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
 </style:style>
 <style:style style:name="Sub" style:family="paragraph">
  <style:paragraph-properties fo:text-align="center" fo:margin-bottom="0.3cm"/>
 </style:style>
 <style:style style:name="H" style:family="paragraph">
  <style:paragraph-properties fo:margin-top="0.3cm" fo:margin-bottom="0.15cm"/>
  <style:text-properties fo:font-size="13pt" style:font-size-asian="13pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
 </style:style>
 <style:style style:name="Step" style:family="paragraph">
  <style:paragraph-properties fo:text-align="justify"/>
 </style:style>
</office:styles>
<office:automatic-styles>
 <style:style style:name="B" style:family="text">
  <style:text-properties fo:font-weight="bold" style:font-weight-asian="bold"/>
 </style:style>
 <style:page-layout style:name="A4">
  <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" fo:margin-top="1.6cm"
   fo:margin-bottom="1.5cm" fo:margin-left="2.2cm" fo:margin-right="2.2cm"/>
 </style:page-layout>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="A4"/></office:master-styles>
<office:body><office:text>
@BODY@
</office:text></office:body>
</office:document>
"""


def zip_tree(folder: Path, out: Path) -> Path:
    """Zip folder (as the archive's top folder), executable bits kept, names in UTF-8, sorted."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted([folder, *folder.rglob("*")]):
            zf.write(path, path.relative_to(folder.parent).as_posix())
    os.replace(tmp, out)
    return out


def build(args: argparse.Namespace) -> Path | None:
    """The bundle's zip; None with --download-only (the wheels are then in the cache)."""
    meta = project()["project"]
    version = meta["version"]
    if args.platform == "win64":
        if args.python_zip is None:
            raise BundleError(
                "--platform win64 needs --python-zip python-3.x.y-embed-amd64.zip (from python.org)"
            )
        checked, verified = check_python_zip(args.python_zip, args.unverified_python)
        target = embed_target(args.python_zip)
    else:
        checked, verified = f"system python3 {args.python3}", True
        target = linux_target(args.python3)
    # A bundle around an unverified interpreter says so in its name: it is never mistaken for a release.
    stem = f"kjjr-excel-{version}-{target.platform}" + ("" if verified else "-unverified")
    cache = args.wheel_cache / f"{target.platform}-cp{target.python[0]}{target.python[1]}"
    if not args.no_index:
        wheel_sdists(meta["dependencies"], cache)
        download(meta["dependencies"], cache, target, no_index=False)
    wheels = resolve(meta["dependencies"], cache, target, args.no_index)
    download(project()["build-system"]["requires"], cache, None, args.no_index)
    if args.download_only:
        return None
    with tempfile.TemporaryDirectory(prefix="kjjr_bundle_") as tmp:
        stage = Path(tmp) / stem
        stage.mkdir()
        own = build_project_wheel(cache, Path(tmp) / "own")
        if target.platform == "win64":
            unpack_python(args.python_zip, stage / "python", target)
        site = stage / target.site
        install([own, *wheels], site, target)
        (site / "PYTHON_VERSION").write_text(target.version + "\n", encoding="ascii")
        scripts = ["run_ranking.bat", "生成模板.bat"] if target.platform == "win64" else ["run_ranking.sh"]
        for name in scripts:
            shutil.copy2(ROOT / name, stage / name)
        copy_tree(ROOT / "templates", stage / "templates")
        copy_tree(ROOT / "sample_inputs", stage / "sample_inputs")
        for empty in ("inbox", "outputs"):
            (stage / empty).mkdir()
        if not args.no_manual:
            write_manual(stage, target, f"{stem}.zip", stem, version)
        lines = [
            f"kjjr-excel {version} for {target.platform}, Python {target.full_version}",
            checked,
            "",
            "wheels:",
        ]
        lines += [f"  {w.name}  sha256 {sha256_of(w)}" for w in [own, *wheels]]
        (stage / "BUNDLE.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return zip_tree(stage, args.output / f"{stem}.zip")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", choices=["win64", "manylinux"], required=True)
    parser.add_argument("--python-zip", type=Path, help="win64: the official python-3.x.y-embed-amd64.zip")
    parser.add_argument("--unverified-python", action="store_true",
                        help="accept a --python-zip not in the pinned table (a stand-in for tests)")  # fmt: skip
    parser.add_argument("--python3", default=shutil.which("python3", path="/usr/bin") or "python3",
                        help="manylinux: the interpreter the bundle is for (default: the system python3)")  # fmt: skip
    parser.add_argument("--wheel-cache", type=Path, default=ROOT / "build" / "bundle-wheels",
                        help="where pip download keeps the wheels (default build/bundle-wheels, git-ignored)")  # fmt: skip
    parser.add_argument(
        "--no-index", action="store_true", help="use only the wheels already in --wheel-cache"
    )
    parser.add_argument(
        "--download-only", action="store_true", help="fill --wheel-cache and stop (needs the network)"
    )
    parser.add_argument("--no-manual", action="store_true", help="leave out 使用说明.pdf (needs LibreOffice)")
    parser.add_argument(
        "-o", "--output", type=Path, default=ROOT / "dist", help="folder for the zip (default dist/)"
    )
    args = parser.parse_args(argv)
    try:
        out = build(args)
    except BundleError as exc:
        print(f"build_bundle: {exc}", file=sys.stderr)
        return 1
    if out is None:
        print(f"wheels cached in {args.wheel_cache}")
    else:
        print(f"{out} ({out.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

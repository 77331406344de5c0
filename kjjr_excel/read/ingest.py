"""Read clerks' workbooks: every file under the inputs -> Submissions, findings, and a row per file looked at.

The one entry point of reading a batch. `inbox.collect_files` says what to read, `submission.SubmissionReader`
reads each file (through `book`, the one workbook reader behind the guards), `batch.parallel_map` spreads a
large inbox over the cores. Data problems become findings; nothing raises out of `ingest`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kjjr_excel.domain.findings import Finding
from kjjr_excel.domain.model import InputFile, Submission
from kjjr_excel.domain.scheme import Scheme
from kjjr_excel.read.batch import parallel_map
from kjjr_excel.read.inbox import Candidate, collect_files
from kjjr_excel.read.submission import Outcome, SubmissionReader

__all__ = ["IngestResult", "ingest"]

# A pool's start-up (a worker imports the package and unpickles the scheme: far more under spawn, as on
# Windows, than under fork) is worth it only from about this many files a worker.
FILES_PER_JOB = 100


@dataclass
class IngestResult:
    """What a batch of inputs yielded: one Submission per recognised file, findings, and every file looked at."""

    submissions: list[Submission] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[InputFile] = field(default_factory=list)


def ingest(
    scheme: Scheme,
    inputs: Sequence[Path],
    *,
    progress: Callable[[int], None] | None = None,
    jobs: int | None = None,
) -> IngestResult:
    """Read every workbook under `inputs`, in `jobs` processes (default: every core; 1: this process; a small
    inbox is always read here). `progress(n)` is called with the number of files just finished (an increment,
    like click's progressbar.update). Results are ordered by display name, whatever `jobs`."""
    collected = collect_files(inputs)
    files = collected.files
    result = IngestResult(findings=list(collected.findings), files=list(collected.skipped))
    read = functools.partial(_read_one, SubmissionReader(scheme))
    for outcome in parallel_map(read, files, jobs=jobs, min_per_job=FILES_PER_JOB, progress=progress):
        if outcome.submission is not None:
            result.submissions.append(outcome.submission)
        result.findings.extend(outcome.findings)
        result.files.append(outcome.file)
    _merge_same_attachments(result)
    result.files.sort(key=lambda f: f.file)
    return result


def _read_one(reader: SubmissionReader, candidate: Candidate) -> Outcome:
    """One file of the batch (module level, so a pool's workers can be given it)."""
    return reader.read(candidate.source, candidate.display)


def _merge_same_attachments(result: IngestResult) -> None:
    """The same file (same SHA-256) brought by more than one mail, or by a mail and saved into the folder
    too, is one submission: the first by name is kept, naming every mail; the copies' findings (the same
    ones, under another name) are dropped and their rows on 说明 say which file they repeat."""
    groups: dict[str, list[Submission]] = {}
    for sub in result.submissions:
        groups.setdefault(sub.sha256, []).append(sub)
    copies: dict[str, str] = {}  # file of a copy -> the file kept
    merged: dict[str, Submission] = {}
    for group in groups.values():
        if len(group) < 2 or not any(s.origins for s in group):
            continue
        group.sort(key=lambda s: s.file)
        kept = group[0]
        origins = sorted(
            {o for s in group for o in s.origins}, key=lambda o: (o.sent_utc or datetime.min, o.file)
        )
        merged[kept.file] = dataclasses.replace(kept, origins=tuple(origins))
        for sub in group[1:]:
            copies[sub.file] = kept.file
        places = [o.describe() for o in origins] + [s.file for s in group if not s.origins]
        result.findings.append(
            Finding.make(
                "attachment-duplicate",
                file=kept.file,
                count=len(group),
                mails="；".join(places),
            )
        )
    if not copies:
        return
    result.submissions = [merged.get(s.file, s) for s in result.submissions if s.file not in copies]
    result.findings = [f for f in result.findings if f.file not in copies]
    result.files = [
        dataclasses.replace(f, status=f"{f.status}（与 {copies[f.file]} 相同，按一份计）")
        if f.file in copies
        else f
        for f in result.files
    ]

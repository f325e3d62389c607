"""A batch scan from start to finish: walk → skip what the ledger has → dedupe → review in workers → record.

The scanning process walks and hashes, decides what needs a review, hands items to workers (a local
process pool, or a Dask cluster) and is the only writer of the ledger and of reports.jsonl, so resume
and exactly-once hold whichever engine reviews.

Local pool (pebble): each review has a hard time limit; a worker that hangs is stopped and one that dies
(a crash, the address-space cap) is replaced, and the file becomes an error row saying so.
Dask: tasks are batches of items; a batch whose worker died is retried item by item, so that only the
file that kills a worker becomes an error row.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from review import errors
from review.config import ScanConfig
from review.report import SEVERITY_ORDER, Report
from review.scan.ledger import Finished, Ledger, iter_reports
from review.scan.walk import Item, hashed, walk
from review.scan.work import review_batch, review_item, warm_up

log = logging.getLogger(__name__)


@dataclass
class ScanOptions:
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    dask_address: str | None = None  # tcp://scheduler:8786
    dask_local: int | None = None  # a LocalCluster with this many workers
    baseline: str | None = None  # an earlier reports.jsonl: only findings new against it count
    retry_errors: bool = False
    memory_limit_mb: int = 3072  # address-space cap per local worker process
    dask_batch: int = 16
    local_batch: int = 8  # files per task in the local pool
    max_zip_depth: int = 2
    # what a worker runs per item: a top-level function (pickled by name) taking (item, config) and
    # returning the report line; tests swap in one that crashes or hangs on purpose
    reviewer: Callable[[Item, ScanConfig], str] = review_item

    hard_timeout_seconds: float | None = None  # per review; None: timeout_seconds × 1.5 + 30 s

    def hard_timeout(self, config: ScanConfig) -> float:
        # intake stops itself at timeout_seconds; this catches what is stuck beyond that (a C library)
        return self.hard_timeout_seconds or config.timeout_seconds * 1.5 + 30


@dataclass
class ScanTally:
    """What this run did (the ledger holds the whole history)."""

    seen: int = 0
    reviewed: int = 0
    skipped: int = 0  # already in the ledger, unchanged
    duplicates: int = 0
    errors: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


Progress = Callable[[ScanTally, int], None]  # (tally, estimated total) -> None


def run_scan(roots: list[str], out_dir: str, config: ScanConfig, options: ScanOptions,
             progress: Progress | None = None) -> tuple[ScanTally, Ledger]:
    ledger = Ledger(out_dir)
    scan = _Scan(ledger, config, options, load_baseline(options.baseline), progress or (lambda tally, total: None))
    try:
        scan.total = count_files(roots)
        items = walk(roots, config, options.max_zip_depth, skip=out_dir)
        if options.dask_address or options.dask_local:
            scan.run_dask(items)
        else:
            scan.run_local(items)
        scan.flush(force=True)
        ledger.compact()
    except BaseException:
        scan.flush(force=True)  # what is finished is kept, even on Ctrl-C
        raise
    return scan.tally, ledger


def count_files(roots: list[str]) -> int:
    """A quick estimate of the work for the progress display (zip members are counted as found)."""
    total = 0
    for root in roots:
        if os.path.isfile(root):
            total += 1
            continue
        for _, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            total += sum(1 for f in files if not f.startswith("."))
    return total


def load_baseline(path: str | None) -> set[tuple[str, str]] | None:
    """(path, flag fingerprint) pairs of an earlier scan's reports."""
    if not path:
        return None
    return {(report["path"], flag["id"]) for report in iter_reports(path) for flag in report.get("flags") or []}


class _Scan:
    FLUSH_EVERY = 0.5  # seconds between ledger commits
    FLUSH_SIZE = 200  # or this many reports

    def __init__(self, ledger: Ledger, config: ScanConfig, options: ScanOptions,
                 baseline: set[tuple[str, str]] | None, progress: Progress):
        self.ledger, self.config, self.options, self.baseline = ledger, config, options, baseline
        self.progress = progress
        self.tally = ScanTally()
        self.total = 0
        self.pending: list[Finished] = []
        self.last_flush = time.monotonic()
        self.in_run: dict[str, str] = {}  # sha256 -> path of the item reviewed for it in this run
        self.reviewing: set[str] = set()  # paths handed to a worker and not finished yet
        self.waiting_twins: dict[str, list[Item]] = defaultdict(list)  # sha256 -> duplicates to write

    # -- deciding what to review -------------------------------------------------------------------
    def to_review(self, items: Iterator[Item]) -> Iterator[Item]:
        """Items that need a worker; everything else (done, duplicate, unreadable) is settled here."""
        for item in items:
            self.tally.seen += 1
            recorded = self.ledger.recorded(item.path)
            retry = self.options.retry_errors and recorded is not None and recorded.error_code is not None
            if recorded and not retry and (recorded.size, recorded.mtime) == (item.size, item.mtime):
                self.tally.skipped += 1
                self._tick()
                continue
            item = hashed(item)
            if recorded and not retry and recorded.sha256 and recorded.sha256 == item.sha256:
                self.tally.skipped += 1  # touched, not changed
                self._tick()
                continue
            if item.error:
                self.finish(item, review_item(item, self.config))
                continue
            twin = self.in_run.get(item.sha256) or self.ledger.original_with_sha256(item.sha256)
            if twin and twin != item.path:
                if twin in self.reviewing:
                    self.waiting_twins[item.sha256].append(item)  # its twin is still being reviewed
                else:
                    self.finish_duplicate(item, twin)
                continue
            self.in_run[item.sha256] = item.path
            self.reviewing.add(item.path)
            yield item

    # -- engines ---------------------------------------------------------------------------------
    def run_local(self, items: Iterator[Item]) -> None:
        """Items go to the pool in batches (one message each way per batch: the scanning process shares
        the cores with the workers, so its per-file work is kept small). A batch that fails or runs out
        of time is split, and its items are reviewed one by one, each with its own limit, so that only
        the file that crashes or hangs a worker becomes an error row."""
        from pebble import ProcessExpired, ProcessPool

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["review.pipeline"])
        limit = self.options.hard_timeout(self.config)
        with ProcessPool(max_workers=max(1, self.options.workers), context=context, initializer=warm_up,
                         initargs=(self.config, self.options.memory_limit_mb)) as pool:
            in_flight: dict = {}

            def schedule(batch: list[Item]) -> None:
                future = pool.schedule(review_batch, args=(batch, self.config, self.options.reviewer),
                                       timeout=limit * len(batch))
                in_flight[future] = batch

            for batch in batches(self.to_review(items), self.options.local_batch):
                schedule(batch)
                while len(in_flight) >= 2 * self.options.workers:
                    self._collect_local(in_flight, schedule, ProcessExpired, limit)
                self.flush()
            while in_flight:
                self._collect_local(in_flight, schedule, ProcessExpired, limit)
                self.flush()

    def _collect_local(self, in_flight: dict, schedule, process_expired: type, limit: float) -> None:
        done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
        for future in done:
            batch = in_flight.pop(future)
            try:
                lines = future.result()
            except Exception as exc:  # noqa: BLE001 - timeout, dead worker, pool trouble
                if len(batch) > 1:
                    for item in batch:  # find the culprit: one by one, each with its own limit
                        schedule([item])
                    continue
                lines = [self._failure_line(batch[0], exc, process_expired, limit)]
            for item, line in zip(batch, lines):
                self.finish(item, line)

    def _failure_line(self, item: Item, exc: Exception, process_expired: type, limit: float) -> str:
        if isinstance(exc, FutureTimeout):
            return _error_line(item, errors.TIMEOUT, f"the review took longer than {limit:g} s and was stopped")
        if isinstance(exc, process_expired):
            return _error_line(item, errors.WORKER_LOST,
                               f"the worker process died while reviewing this file (exit code {exc.exitcode}); "
                               f"it may need more than {self.options.memory_limit_mb} MB")
        return _error_line(item, errors.INTERNAL, f"internal error in the worker ({type(exc).__name__})")

    def run_dask(self, items: Iterator[Item]) -> None:
        from dask.distributed import Client, LocalCluster, as_completed

        cluster = None
        if self.options.dask_address:
            client = Client(self.options.dask_address)
        else:
            cluster = LocalCluster(n_workers=self.options.dask_local, threads_per_worker=1, processes=True,
                                   memory_limit=f"{self.options.memory_limit_mb}MB", dashboard_address=None)
            client = Client(cluster)
        try:
            client.run(warm_up, self.config)
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            pending = as_completed()
            in_flight: dict = {}

            def submit(batch: list[Item]) -> None:
                future = client.submit(review_batch, batch, self.config, self.options.reviewer, pure=False,
                                       retries=0)
                in_flight[future] = batch
                pending.add(future)

            def collect_one() -> None:
                future = next(pending)
                batch = in_flight.pop(future)
                try:
                    lines = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker died: find the culprit item by item
                    if len(batch) > 1:
                        for item in batch:
                            submit([item])
                        return
                    lines = [_error_line(batch[0], errors.WORKER_LOST,
                                         f"the Dask worker failed on this file ({type(exc).__name__})")]
                for item, line in zip(batch, lines):
                    self.finish(item, line)
                self.flush()

            for batch in batches(self.to_review(items), self.options.dask_batch):
                submit(batch)
                while pending.count() >= 3 * workers:
                    collect_one()
                self.flush()
            while pending.count():
                collect_one()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    # -- recording ---------------------------------------------------------------------------------
    def finish(self, item: Item, line: str) -> None:
        report = json.loads(line)
        self._record(item, report, line)
        self.reviewing.discard(item.path)
        self.tally.reviewed += 1
        self.tally.bytes += item.size
        if report.get("error"):
            self.tally.errors += 1
        for twin in self.waiting_twins.pop(item.sha256, []) if item.sha256 else []:
            self._finish_duplicate_from(twin, item.path, report)
        self._tick()

    def _record(self, item: Item, report: dict, line: str, twin: str | None = None) -> None:
        """Queue the report for the ledger, with its new findings (live, and not in the baseline)."""
        live = [f for f in report.get("flags") or [] if f.get("severity") != "info"]
        if self.baseline is not None:
            live = [f for f in live if (item.path, f["id"]) not in self.baseline]
        top = max((f["severity"] for f in live), key=SEVERITY_ORDER.get, default=None)
        self.pending.append(Finished(path=item.path, size=item.size, mtime=item.mtime, sha256=item.sha256 or None,
                                     line=(line + "\n").encode(), twin=twin, error_code=report.get("error_code"),
                                     top_severity=top, new_findings=len(live)))

    def finish_duplicate(self, item: Item, twin: str) -> None:
        line = self._twin_line(twin)
        if line is None:  # the twin's row went missing: review this one after all
            self.finish(item, review_item(item, self.config))
            return
        self._finish_duplicate_from(item, twin, json.loads(line))

    def _twin_line(self, twin: str) -> bytes | None:
        for done in self.pending:
            if done.path == twin:
                return done.line
        return self.ledger.report_line(twin)

    def _finish_duplicate_from(self, item: Item, twin: str, twin_report: dict) -> None:
        copy = dict(twin_report, path=item.path, duplicate_of=twin, timings={})
        self._record(item, copy, json.dumps(copy, ensure_ascii=False), twin=twin)
        self.tally.duplicates += 1
        self._tick()

    def flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.pending and (force or len(self.pending) >= self.FLUSH_SIZE or now - self.last_flush >= self.FLUSH_EVERY):
            self.ledger.record(self.pending)
            self.pending = []
            self.last_flush = now

    def _tick(self) -> None:
        self.progress(self.tally, max(self.total, self.tally.seen))


def batches(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _error_line(item: Item, code: str, message: str) -> str:
    return Report(path=item.path, sha256=item.sha256 or None, size=item.size or None, error=message,
                  error_code=code).to_json()

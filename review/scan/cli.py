"""`review scan PATH... --out DIR`: the batch scan of archives (see review.scan.runner)."""

from __future__ import annotations

import logging
import sys
import time

import click

EXIT_CLEAN, EXIT_NEW_FINDINGS, EXIT_USAGE = 0, 1, 2
FAIL_ON = {"high": ("high",), "medium": ("high", "medium"), "low": ("high", "medium", "low")}

log = logging.getLogger("review.scan")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="output folder: reports.jsonl, summary.csv/xlsx, report.html and the ledger")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="worker processes [default: all cores]")
@click.option("--dask", "dask_address", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://scheduler:8786")
@click.option("--dask-local", type=click.IntRange(min=1), metavar="N", help="run on a local Dask cluster of N workers")
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False),
              help="an earlier reports.jsonl: report only findings whose fingerprints are new")
@click.option("--fail-on", type=click.Choice(sorted(FAIL_ON)), help="exit 1 when new findings at or above this exist")
@click.option("--retry-errors", is_flag=True, help="review again the files that failed in an earlier run")
@click.option("--memory-limit", "memory_limit_mb", type=click.IntRange(min=256), default=3072, show_default=True,
              help="MB of address space per worker process")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def scan(paths: tuple[str, ...], out_dir: str, workers: int | None, dask_address: str | None,
         dask_local: int | None, baseline: str | None, fail_on: str | None, retry_errors: bool,
         memory_limit_mb: int, config_path: str | None) -> None:
    """Scan folders and .zip archives; resumable (re-run the same command after an interruption)."""
    from review.cli import load_config
    from review.scan.outputs import write_outputs
    from review.scan.runner import ScanOptions, run_scan

    if dask_address and dask_local:
        raise click.UsageError("--dask and --dask-local exclude each other")
    options = ScanOptions(dask_address=dask_address, dask_local=dask_local, baseline=baseline,
                          retry_errors=retry_errors, memory_limit_mb=memory_limit_mb)
    if workers:
        options.workers = workers
    config = load_config(config_path)
    with ProgressDisplay() as progress:
        tally, ledger = run_scan(list(paths), out_dir, config, options, progress.update)
    counts = ledger.counts()
    write_outputs(out_dir)
    rate = tally.reviewed / tally.seconds if tally.seconds else 0.0
    click.echo(f"{tally.seen} files seen: {tally.reviewed} reviewed, {tally.skipped} already done, "
               f"{tally.duplicates} duplicates, {tally.errors} errors in {tally.seconds:.1f} s ({rate:.1f} files/s)",
               err=True)
    click.echo(f"{out_dir}: {counts['documents']} documents, {counts['errors']} errors, "
               f"{counts['new_findings']} {'new ' if baseline else ''}findings", err=True)
    status = EXIT_CLEAN
    if fail_on and ledger.new_findings_at_or_above(FAIL_ON[fail_on]):
        status = EXIT_NEW_FINDINGS
    ledger.close()
    sys.exit(status)


class ProgressDisplay:
    """A rich progress bar on a terminal; a plain line every 10 s otherwise (logs, cron, CI)."""

    EVERY = 10.0

    def __init__(self):
        self.terminal = sys.stderr.isatty()
        self.bar = None
        self.last = 0.0

    def __enter__(self) -> "ProgressDisplay":
        if self.terminal:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            self.bar = Progress(TextColumn("scan"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[mb]:.1f} MB · {task.fields[rate]:.1f} files/s · "
                                           "{task.fields[errors]} errors"),
                                TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
            self.bar.start()
            self.task = self.bar.add_task("scan", total=None, mb=0.0, rate=0.0, errors=0)
        return self

    def update(self, tally, total: int) -> None:
        done = tally.reviewed + tally.skipped + tally.duplicates
        rate = tally.reviewed / tally.seconds if tally.seconds else 0.0
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total, mb=tally.bytes / 1e6, rate=rate,
                            errors=tally.errors)
            return
        now = time.monotonic()
        if now - self.last >= self.EVERY:
            self.last = now
            left = (total - done) / rate if rate else float("nan")
            click.echo(f"scan: {done}/{total} files, {tally.bytes / 1e6:.1f} MB, {rate:.1f} files/s, "
                       f"{tally.errors} errors, ETA {left:.0f} s", err=True)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

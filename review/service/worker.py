"""The background review worker inside the app. The queue is the submissions table itself:

    queued --claim--> reviewing --review_file--> reviewed | failed --retry--> queued

A claim is a conditional UPDATE (status still 'queued'), so no submission is reviewed by two threads.
At start-up every 'reviewing' row goes back to 'queued': those reviews died with the previous process.
That assumes one service process per database (run uvicorn with one worker process; the reviews
themselves run in a pool of `worker_processes` processes, which keeps the GIL away from the uploads).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from sqlalchemy import Row, select, update
from sqlalchemy.orm import sessionmaker

from review.config import ScanConfig
from review.service.exports import intake_lock
from review.service.store import Setting, Submission, one_writer, utcnow
from review.service.uploads import blob_path, named_link

log = logging.getLogger(__name__)

CRASHED = "E_WORKER"


def scan_config(sessions: sessionmaker) -> ScanConfig:
    """The shipped defaults plus the agency's rule switches the admin stored."""
    with sessions() as session:
        stored = session.get(Setting, "scan_config")
        return ScanConfig.model_validate(stored.value) if stored else ScanConfig()


def review_stored(path: str, filename: str, config_json: str) -> dict:
    """Review one stored file (in a pool process or a thread) and return the Report as JSON data."""
    from review.pipeline import review_file

    config = ScanConfig.model_validate_json(config_json)
    with named_link(Path(path), filename) as link:
        report = review_file(link, config, display_path=filename)
    return report.model_dump(mode="json")


REVIEW_NICENESS = 10  # reviews are background work: an upload or a page view gets the CPU first


def exit_with_parent(parent_pid: int) -> None:
    """In a pool process: yield the CPU to the web process (os.nice), and end when the app process is gone
    (a SIGKILLed app would otherwise leave its review processes running; their reviews are requeued at the
    next start anyway)."""
    try:
        os.nice(REVIEW_NICENESS)
    except OSError:  # not permitted here: reviews simply compete with requests as equals
        pass
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os._exit(0)
    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class ReviewWorker:
    def __init__(self, sessions: sessionmaker, blob_dir: Path, processes: int):
        self.sessions, self.blob_dir, self.processes = sessions, blob_dir, processes
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.pool: ProcessPoolExecutor | None = None
        self.pool_lock = threading.Lock()

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> None:
        resumed = self.requeue_interrupted()
        if resumed:
            log.info("resuming %d interrupted reviews", resumed)
        if self.processes > 0:
            self.pool = self._new_pool()
        for number in range(max(1, self.processes)):
            thread = threading.Thread(target=self._run, name=f"review-worker-{number}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()
        for thread in self.threads:
            thread.join(timeout=10)
        if self.pool:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def wake(self) -> None:
        self.wakeup.set()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the app process has threads (uvicorn, these workers) that fork would copy mid-step
        return ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=exit_with_parent, initargs=(os.getpid(),))

    # -- the queue --------------------------------------------------------------------------------
    def requeue_interrupted(self) -> int:
        with self.sessions() as session:
            result = session.execute(update(Submission).where(Submission.status == "reviewing")
                                     .values(status="queued"))
            session.commit()
            return result.rowcount

    def claim(self) -> Row | None:
        """The next queued submission's (id, sha256, filename), now 'reviewing'; None when the queue is empty.
        Plain rows, not ORM objects: this runs once per upload in the app process, beside the uploads."""
        with self.sessions() as session:
            while True:
                candidate = session.execute(select(Submission.id, Submission.sha256, Submission.filename)
                                            .where(Submission.status == "queued")
                                            .order_by(Submission.id).limit(1)).first()
                if candidate is None:
                    return None
                with one_writer(session):
                    claimed = session.execute(
                        update(Submission).where(Submission.id == candidate.id, Submission.status == "queued")
                        .values(status="reviewing", attempts=Submission.attempts + 1))
                    session.commit()
                if claimed.rowcount == 1:
                    return candidate

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                submission = self.claim()
            except Exception as exc:  # noqa: BLE001 - the database may be briefly unavailable; try again
                log.error("claiming a review failed: %s", type(exc).__name__)
                self.stopping.wait(2)
                continue
            if submission is None:
                self.wakeup.wait(timeout=2)
                self.wakeup.clear()
                continue
            self.process(submission)

    def process(self, submission: Row) -> None:
        path = str(blob_path(self.blob_dir, submission.sha256))
        config_json = scan_config(self.sessions).model_dump_json()
        try:
            if self.pool is None:
                with intake_lock:  # reviewing in this process: pdfium must not run in two threads
                    report = review_stored(path, submission.filename, config_json)
            else:
                report = self.pool.submit(review_stored, path, submission.filename, config_json).result()
        except BrokenProcessPool:
            log.error("review process died on submission %d", submission.id)
            with self.pool_lock:
                self.pool = self._new_pool()
            self.finish(submission.id, None, CRASHED, "审查进程异常退出，可重试 / the review process crashed; retry")
            return
        except Exception as exc:  # noqa: BLE001 - review_file never raises; this is the machinery failing
            log.error("review of submission %d failed: %s", submission.id, type(exc).__name__)
            self.finish(submission.id, None, CRASHED, f"审查失败 / review failed ({type(exc).__name__})")
            return
        self.finish(submission.id, report, report.get("error_code"), report.get("error"))

    def finish(self, submission_id: int, report: dict | None, error_code: str | None, error: str | None) -> None:
        status = "failed" if error else "reviewed"
        with self.sessions() as session, one_writer(session):
            session.execute(update(Submission)
                            .where(Submission.id == submission_id, Submission.status == "reviewing")
                            .values(status=status, report=report, error=error, error_code=error_code,
                                    reviewed_at=utcnow()))
            session.commit()
        flags = len(report.get("flags", [])) if report else 0
        log.info("submission %d %s: %d flags", submission_id, status, flags)

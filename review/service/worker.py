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
from typing import NamedTuple

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import sessionmaker

from review.config import ScanConfig
from review.service.exports import intake_lock
from review.service.store import EncodedJSON, Setting, Submission, utcnow, write_lock
from review.service.uploads import blob_path, named_link

log = logging.getLogger(__name__)

CRASHED = "E_WORKER"
# The worker keeps the scan config it read; the app tells it at once when its own routes save new rule
# switches (config_changed). A change written by anything else (a script, another app process) reaches
# the reviews within this many seconds.
CONFIG_MAX_AGE = 10.0


def scan_config(sessions: sessionmaker) -> ScanConfig:
    """The shipped defaults plus the agency's rule switches the admin stored."""
    with sessions() as session:
        stored = session.get(Setting, "scan_config")
        return ScanConfig.model_validate(stored.value) if stored else ScanConfig()


class Reviewed(NamedTuple):
    """What a review sends back to the app process: the Report already encoded as JSON (encoding it there,
    or unpickling it as a dict, would take the app's GIL from the uploads), and what the row needs besides."""
    report_json: str
    error_code: str | None
    error: str | None
    flags: int


def review_stored(path: str, filename: str, config_json: str) -> Reviewed:
    """Review one stored file (in a pool process or a thread)."""
    from review.pipeline import review_file

    config = ScanConfig.model_validate_json(config_json)
    with named_link(Path(path), filename) as link:
        report = review_file(link, config, display_path=filename)
    return Reviewed(report.model_dump_json(), report.error_code, report.error, len(report.flags))


# The queue's two writes, as Core statements on a connection: the ORM session and its unit of work cost
# three to five times as much CPU, in the app process, once per upload.
# Claim: the oldest queued submission becomes 'reviewing' in one statement. SKIP LOCKED lets two claimers
# on PostgreSQL take different rows; SQLite has one writer and ignores it.
_oldest_queued = (select(Submission.id).where(Submission.status == "queued").order_by(Submission.id).limit(1)
                  .with_for_update(skip_locked=True).scalar_subquery())
CLAIM = (update(Submission).where(Submission.id == _oldest_queued, Submission.status == "queued")
         .values(status="reviewing", attempts=Submission.attempts + 1)
         .returning(Submission.id, Submission.sha256, Submission.filename))
FINISH = (update(Submission).where(Submission.id == bindparam("submission_id"), Submission.status == "reviewing")
          .values(status=bindparam("status"), report=bindparam("report"), error=bindparam("error"),
                  error_code=bindparam("error_code"), reviewed_at=bindparam("reviewed_at")))


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
        self.engine, self.write_lock = sessions.kw["bind"], write_lock(sessions)
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.pool: ProcessPoolExecutor | None = None
        self.pool_lock = threading.Lock()
        self.config_json: str | None = None  # read again after config_changed() or CONFIG_MAX_AGE
        self.config_read_at = 0.0

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.stopping.clear()  # an app started again after a stop (tests open its lifespan more than once)
        self.threads = []
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

    def config_changed(self) -> None:
        """The admin stored new rule switches: reviews claimed from now on use them."""
        self.config_json = None

    def current_config_json(self) -> str:
        if self.config_json is None or time.monotonic() - self.config_read_at > CONFIG_MAX_AGE:
            self.config_json = scan_config(self.sessions).model_dump_json()
            self.config_read_at = time.monotonic()
        return self.config_json

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
        """The next queued submission's (id, sha256, filename), now 'reviewing'; None when the queue is empty."""
        with self.write_lock, self.engine.begin() as connection:
            return connection.execute(CLAIM).first()

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
        config_json = self.current_config_json()
        try:
            if self.pool is None:
                with intake_lock:  # reviewing in this process: pdfium must not run in two threads
                    reviewed = review_stored(path, submission.filename, config_json)
            else:
                reviewed = self.pool.submit(review_stored, path, submission.filename, config_json).result()
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
        self.finish(submission.id, EncodedJSON(reviewed.report_json), reviewed.error_code, reviewed.error,
                    reviewed.flags)

    def finish(self, submission_id: int, report: dict | EncodedJSON | None, error_code: str | None,
               error: str | None, flags: int = 0) -> None:
        status = "failed" if error else "reviewed"
        with self.write_lock, self.engine.begin() as connection:
            connection.execute(FINISH, {"submission_id": submission_id, "status": status, "report": report,
                                        "error": error, "error_code": error_code, "reviewed_at": utcnow()})
        log.info("submission %d %s: %d flags", submission_id, status, flags)

"""Uploads arriving together are committed together (store.GroupCommit): one transaction and one commit
for the group, every caller its own answer, duplicates recognised inside a group as across groups, and one
failing item fails only its own caller. On SQLite and, when reachable, PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from service_fixtures import *  # noqa: F403
from service_fixtures import backend_url, make_settings, notice_docx
from sqlalchemy import event, func, select

from review.service import flow
from review.service.accounts import create_user
from review.service.store import GroupCommit, Submission, make_engine, make_sessions, upgrade_to_head
from review.service.uploads import blob_path


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    settings = make_settings(tmp_path / "data", backend_url(request, tmp_path)).prepare()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade_to_head(engine)
    sessions = make_sessions(engine)
    with sessions() as session:
        drafter, _ = create_user(session, "drafter", "drafter", ["单位"], "a long password")
    yield settings, engine, sessions, drafter
    engine.dispose()


def count_commits(engine) -> list[int]:
    commits = [0]

    @event.listens_for(engine, "commit")
    def counted(_connection):
        commits[0] += 1
    return commits


def run_together(group: GroupCommit, calls: list) -> list:
    """Run each call in a thread while the group's leader lock is held, so that all of them are pending
    when it is released: they then form one group (deterministically, whatever the machine's speed)."""
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001 - the test looks at what each caller got
            results[index] = exc
    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    with group.leader:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(group.pending) < len(calls) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(group.pending) == len(calls)
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_uploads_arriving_together_share_one_commit(database):
    settings, engine, sessions, drafter = database
    files = [notice_docx(extra=f"第{n}份") for n in range(8)]
    files.append(files[0])  # the same file again (a docx made twice differs: it carries its creation time)

    def upload(data: bytes):
        def call():
            with sessions() as session:
                return flow.submit(session, settings, drafter, data, "notice.docx", None, None)
        return call

    group = sessions.kw["info"]["uploads"]
    commits = count_commits(engine)
    answers = run_together(group, [upload(data) for data in files])

    assert commits[0] == 1
    assert all(isinstance(answer, flow.Queued) for answer in answers), answers
    assert len({answer.id for answer in answers}) == 8 and answers[0].id == answers[8].id
    # whichever of the two came first in the group is new, the other its duplicate
    assert sorted(answer.duplicate for answer in (answers[0], answers[8])) == [False, True]
    assert not any(answer.duplicate for answer in answers[1:8])
    with sessions() as session:
        rows = session.execute(select(Submission.id, Submission.sha256, Submission.status)).all()
    assert sorted(row.id for row in rows) == sorted({answer.id for answer in answers})
    assert all(row.status == "queued" and blob_path(settings.blob_dir, row.sha256).is_file() for row in rows)


def test_a_repeat_in_a_later_group_answers_the_earlier_submission(database):
    settings, _engine, sessions, drafter = database
    data = notice_docx()
    with sessions() as session:
        first = flow.submit(session, settings, drafter, data, "a.docx", None, None)
    with sessions() as session:
        again = flow.submit(session, settings, drafter, data, "b.docx", "标题", None)
        assert session.scalar(select(func.count(Submission.id))) == 1
    assert not first.duplicate and again == flow.Queued(first.id, "queued", True)


def test_a_failing_item_fails_only_its_own_caller(database):
    _settings, _engine, sessions, _drafter = database

    def write(session, items):  # stands in for insert_submissions: one item cannot be written
        if "bad" in items:
            raise ValueError("cannot write this item")
        session.commit()
        return [f"written {item}" for item in items]

    group = GroupCommit()

    def call(item):
        def run():
            with sessions() as session:
                return group.run(session, item, write)
        return run

    answers = run_together(group, [call("one"), call("bad"), call("two")])
    assert answers[0] == "written one" and answers[2] == "written two"
    assert isinstance(answers[1], ValueError)


def test_claimers_in_several_threads_take_each_queued_submission_once(database):
    """The review queue's claim (one UPDATE … RETURNING of the oldest queued row; SKIP LOCKED on PostgreSQL):
    threads claiming at once never take the same submission, and together they take every one, oldest first
    per thread."""
    from sqlalchemy import insert

    from review.service.worker import ReviewWorker

    settings, _engine, sessions, drafter = database
    with sessions() as session:
        unit_id = drafter.units[0].id
        for number in range(40):
            session.execute(insert(Submission).values(unit_id=unit_id, submitter_id=drafter.id, filename="a.docx",
                                                      sha256=f"{number:064x}", size=1, status="queued", attempts=0))
        session.commit()
    worker = ReviewWorker(sessions, settings.blob_dir, processes=0)  # not started: only its claim is used
    claimed: list[list[int]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def claim_all(index: int) -> None:
        start.wait()
        while (row := worker.claim()) is not None:
            claimed[index].append(row.id)
    threads = [threading.Thread(target=claim_all, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [submission_id for ids in claimed for submission_id in ids]
    assert len(every) == 40 and len(set(every)) == 40
    assert all(ids == sorted(ids) for ids in claimed)
    with sessions() as session:
        rows = session.execute(select(Submission.status, Submission.attempts)).all()
    assert {(row.status, row.attempts) for row in rows} == {("reviewing", 1)}


def test_worker_sees_rule_switches_written_by_another_process(database, monkeypatch):
    """The worker keeps the scan config it read. Its own app tells it of a change (config_changed); a change
    written by anything else (here: another session, as a script or a second app process would) is read once
    the kept copy is CONFIG_MAX_AGE old."""
    from review.config import ScanConfig
    from review.service import worker as worker_module
    from review.service.accounts import save_disabled_rules

    settings, _engine, sessions, _drafter = database
    worker = worker_module.ReviewWorker(sessions, settings.blob_dir, processes=0)
    clock = [1000.0]
    monkeypatch.setattr(worker_module.time, "monotonic", lambda: clock[0])
    assert ScanConfig.model_validate_json(worker.current_config_json()).disable_rules == ()
    with sessions() as other_writer:
        save_disabled_rules(other_writer, ["personal.email"])
    clock[0] += worker_module.CONFIG_MAX_AGE - 1
    assert ScanConfig.model_validate_json(worker.current_config_json()).disable_rules == ()  # still kept
    clock[0] += 2
    assert ScanConfig.model_validate_json(worker.current_config_json()).disable_rules == ("personal.email",)
    with sessions() as other_writer:
        save_disabled_rules(other_writer, [])
    worker.config_changed()  # the app's own routes say so at once
    assert ScanConfig.model_validate_json(worker.current_config_json()).disable_rules == ()

"""Database tables (SQLAlchemy 2) and the engine. Called `store`, not `models`: `models/` holds trained models.

The schema itself is created by the Alembic migrations in `migrations/versions`; these classes must stay
in step with them (a test compares the two).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Callable

from sqlalchemy import (JSON, Column, Date, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint,
                        create_engine, event)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

ROLES = ("drafter", "approver", "admin")
STATUSES = ("queued", "reviewing", "reviewed", "failed", "decided")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # stored naive, always UTC


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


user_units = Table(
    "user_units", Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str] = mapped_column(String(64), doc="unit code used in the 索引号 (e.g. 统一社会信用代码)")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    units: Mapped[list[Unit]] = relationship(secondary=user_units, lazy="selectin")

    @property
    def unit_ids(self) -> set[int]:
        return {unit.id for unit in self.units}


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("unit_id", "sha256", name="uq_submission_unit_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str | None] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    proposed_attribute: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(20))
    report: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    unit: Mapped[Unit] = relationship(lazy="joined")
    submitter: Mapped[User] = relationship(lazy="joined")
    decision: Mapped["Decision | None"] = relationship(back_populates="submission", lazy="selectin")


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    attribute: Mapped[str] = mapped_column(String(20))
    suggested_attribute: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    flags: Mapped[list] = mapped_column(JSON, default=list, doc="[{id, rule, verdict, comment}]")
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    rereview_on: Mapped[dt.date | None] = mapped_column(Date)
    index_number: Mapped[str | None] = mapped_column(String(100), doc="索引号, for proactive documents")
    request_count: Mapped[int] = mapped_column(Integer, default=0, doc="依申请 requests received for it")
    catalog: Mapped[dict | None] = mapped_column(JSON, doc="the 公开目录 entry, fixed when sealed (proactive)")
    submission: Mapped[Submission] = relationship(back_populates="decision")
    approver: Mapped[User] = relationship(lazy="joined")


class DismissedFlag(Base):
    """The unit's baseline: a finding an approver dismissed stays cleared in later revisions."""

    __tablename__ = "dismissed_flags"
    __table_args__ = (UniqueConstraint("unit_id", "fingerprint", name="uq_dismissed_unit_fingerprint"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(100))
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    dismissed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """One link of the hash chain (see audit.py). prev_hash is unique: two appends racing on the same
    predecessor cannot both commit, so the chain never forks."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Setting(Base):
    """Agency configuration the admin edits (the scan configuration's rule switches)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)


# anyio's threadpool runs at most 40 sync routes at once; with a connection each none waits for one, and
# none is closed and reopened (SQLAlchemy closes overflow connections on return)
SQLITE_POOL_SIZE = 40


class EncodedJSON(str):
    """JSON text for a JSON column, encoded already (a Report comes from its review process as text):
    stored as it is instead of being encoded a second time."""


def encode_json(value) -> str:
    return value if isinstance(value, EncodedJSON) else json.dumps(value)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # hide_parameters: statements may be logged, their values (report JSON, document text) never
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True,
                               json_serializer=encode_json,
                               pool_size=SQLITE_POOL_SIZE, max_overflow=10)

        @event.listens_for(engine, "connect")
        def sqlite_pragmas(connection, _record):
            # WAL: readers do not block the writer; synchronous=FULL: a committed upload survives power loss
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True,
                         json_serializer=encode_json)


def make_sessions(engine: Engine) -> sessionmaker:
    # SQLite has one writer at a time. Threads of this process that write at once would otherwise wait in
    # SQLite's busy handler, which sleeps in steps growing to 100 ms and wakes late: under a burst of uploads
    # that sleeping, not the work, was most of an upload's time. A lock in the process wakes the next writer
    # as soon as the last one commits. PostgreSQL locks rows and needs none.
    lock = threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
    return sessionmaker(engine, expire_on_commit=False, info={"write_lock": lock, "uploads": GroupCommit()})


def write_lock(sessions: sessionmaker):
    """The lock of make_sessions, for writes that go through a Core connection instead of a session."""
    return sessions.kw.get("info", {}).get("write_lock") or contextlib.nullcontext()


def one_writer(session: Session):
    """Context manager around a session's writes (flush and commit) on the hot paths: uploads and the
    review queue (see make_sessions)."""
    return session.info.get("write_lock") or contextlib.nullcontext()


class GroupCommit:
    """Leader/follower group commit. Each caller's rows must be committed (the database's log fsynced)
    before it answers; one commit each, a burst of callers queues behind one fsync after another. Instead a
    caller adds its item to `pending` and takes the leader lock; whoever holds it writes every pending
    item in one transaction with one commit, and those that come after find theirs done. Under no load a
    batch is the caller's own item alone, as before.

    `write(session, items)` returns one result per item and commits; if it raises, the session is rolled
    back and each item of the batch is written again alone, so one bad item fails only its own caller (and
    a write that lost a race, a unique key say, sees the winner's row on its second try)."""

    def __init__(self):
        self.leader = threading.Lock()
        self.guard = threading.Lock()  # protects `pending`
        self.pending: list[_Pending] = []

    def run(self, session: Session, item, write: Callable[[Session, list], list]):
        mine = _Pending(item)
        with self.guard:
            self.pending.append(mine)
        with self.leader:
            if not mine.done:
                with self.guard:
                    batch, self.pending = self.pending, []
                self._write(session, batch, write)
        if mine.error is not None:
            raise mine.error
        return mine.result

    @staticmethod
    def _write(session: Session, batch: list["_Pending"], write: Callable[[Session, list], list]) -> None:
        try:
            with one_writer(session):
                results = write(session, [pending.item for pending in batch])
            for pending, result in zip(batch, results, strict=True):
                pending.result, pending.done = result, True
            return
        except Exception:  # noqa: BLE001 - retried item by item below, where each caller gets its own error
            session.rollback()
        for pending in batch:
            try:
                with one_writer(session):
                    pending.result = write(session, [pending.item])[0]
            except Exception as exc:  # noqa: BLE001 - handed to the caller whose item it is
                session.rollback()
                pending.error = exc
            pending.done = True


@dataclasses.dataclass
class _Pending:
    item: object
    result: object = None
    error: BaseException | None = None
    done: bool = False


def upgrade_to_head(engine: Engine) -> None:
    """Run the Alembic migrations (the app does this at start-up)."""
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    ini = resources.files("review.service") / "alembic.ini"
    config = Config(str(ini))
    config.set_main_option("script_location", str(resources.files("review.service") / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

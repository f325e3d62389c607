"""The scan's memory: a SQLite ledger beside reports.jsonl, so that a scan resumes and writes each document once.

reports.jsonl is append-only. A batch of finished reports is appended and fsync'ed first; then one
SQLite transaction records the items and the new committed length of reports.jsonl. At start-up the file
is cut back to that committed length: lines written by a run that was killed before its transaction
committed are dropped (their items were not recorded, so they are reviewed again). Whatever moment a
SIGKILL lands, every document ends up in reports.jsonl exactly once.

An item is keyed by its display path; size, mtime and sha256 tell whether the file changed since it was
recorded. A changed file (or an error retried with --retry-errors) is reviewed again and its new line
supersedes the old one; `compact()` then rewrites reports.jsonl without the superseded lines, crash-safe
through a marker in the ledger (the rename is redone or finished at the next start).
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    path TEXT PRIMARY KEY,       -- display path (relative to the scanned root; zip members as a.zip!/b)
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    sha256 TEXT,                 -- NULL when the item could not be read at all
    twin TEXT,                   -- path of the identical file whose review this row repeats
    offset INTEGER NOT NULL,     -- where its report line starts in reports.jsonl
    length INTEGER NOT NULL,     -- bytes, newline included
    error_code TEXT,
    top_severity TEXT,           -- highest live severity among its flags (new ones when a baseline is given)
    new_findings INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS items_sha256 ON items(sha256);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class Recorded:
    path: str
    size: int
    mtime: float
    sha256: str | None
    error_code: str | None


@dataclass
class Finished:
    """One report ready to be recorded."""

    path: str
    size: int
    mtime: float
    sha256: str | None
    line: bytes  # the report as one JSON line, newline included
    twin: str | None = None
    error_code: str | None = None
    top_severity: str | None = None
    new_findings: int = 0


class Ledger:
    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.reports_path = self.out_dir / "reports.jsonl"
        self.db = sqlite3.connect(self.out_dir / "ledger.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a committed batch survives power loss, not just SIGKILL
        self.db.executescript(SCHEMA)
        self._finish_interrupted_compaction()
        self.committed = int(self._meta("reports_bytes") or 0)
        self._cut_back_reports()
        self.reports = open(self.reports_path, "ab")  # noqa: SIM115 - kept open for the scan

    # -- reading ---------------------------------------------------------------------------------
    def recorded(self, path: str) -> Recorded | None:
        row = self.db.execute("SELECT path, size, mtime, sha256, error_code FROM items WHERE path = ?",
                              (path,)).fetchone()
        return Recorded(*row) if row else None

    def original_with_sha256(self, sha256: str) -> str | None:
        """A recorded, reviewed (not duplicate) item with this content."""
        row = self.db.execute("SELECT path FROM items WHERE sha256 = ? AND twin IS NULL ORDER BY path LIMIT 1",
                              (sha256,)).fetchone()
        return row[0] if row else None

    def report_line(self, path: str) -> bytes | None:
        row = self.db.execute("SELECT offset, length FROM items WHERE path = ?", (path,)).fetchone()
        if row is None:
            return None
        self.reports.flush()
        with open(self.reports_path, "rb") as handle:
            handle.seek(row[0])
            return handle.read(row[1])

    def counts(self) -> dict[str, int]:
        total, errors, twins, new = self.db.execute(
            "SELECT COUNT(*), COUNT(error_code), COUNT(twin), COALESCE(SUM(new_findings), 0) FROM items").fetchone()
        return {"documents": total, "errors": errors, "duplicates": twins, "new_findings": new}

    def new_findings_at_or_above(self, severities: tuple[str, ...]) -> int:
        marks = ",".join("?" * len(severities))
        return self.db.execute(f"SELECT COUNT(*) FROM items WHERE new_findings > 0 AND top_severity IN ({marks})",
                               severities).fetchone()[0]

    # -- writing ---------------------------------------------------------------------------------
    def record(self, batch: list[Finished]) -> None:
        """Append the batch's lines, make them durable, then commit the rows that point at them."""
        if not batch:
            return
        rows, offset = [], self.committed
        for done in batch:
            self.reports.write(done.line)
            rows.append((done.path, done.size, done.mtime, done.sha256, done.twin, offset, len(done.line),
                         done.error_code, done.top_severity, done.new_findings))
            offset += len(done.line)
        self.reports.flush()
        os.fsync(self.reports.fileno())
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO items VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            self._set_meta("reports_bytes", str(offset))
        self.committed = offset

    def superseded_bytes(self) -> int:
        live = self.db.execute("SELECT COALESCE(SUM(length), 0) FROM items").fetchone()[0]
        return self.committed - live

    def compact(self) -> None:
        """Rewrite reports.jsonl with one line per recorded item (dropping superseded lines)."""
        if self.superseded_bytes() <= 0:
            return
        self.reports.flush()
        temporary = self.reports_path.with_suffix(".jsonl.compact")
        new_offsets, offset = [], 0
        with open(self.reports_path, "rb") as source, open(temporary, "wb") as target:
            for path, old, length in self.db.execute("SELECT path, offset, length FROM items ORDER BY offset"):
                source.seek(old)
                target.write(source.read(length))
                new_offsets.append((offset, path))
                offset += length
            target.flush()
            os.fsync(target.fileno())
        with self._transaction():
            self.db.executemany("UPDATE items SET offset = ? WHERE path = ?", new_offsets)
            self._set_meta("reports_bytes", str(offset))
            self._set_meta("compacting", "1")  # from here on the new file is the truth
        self.reports.close()
        os.replace(temporary, self.reports_path)
        self._set_meta("compacting", "0")
        self.committed = offset
        self.reports = open(self.reports_path, "ab")  # noqa: SIM115

    def close(self) -> None:
        self.reports.close()
        self.db.close()

    # -- internals -------------------------------------------------------------------------------
    def _finish_interrupted_compaction(self) -> None:
        temporary = self.reports_path.with_suffix(".jsonl.compact")
        if self._meta("compacting") == "1":
            if temporary.exists():
                os.replace(temporary, self.reports_path)
            self._set_meta("compacting", "0")
        elif temporary.exists():
            temporary.unlink()  # the compaction never committed: the old file is still the truth

    def _cut_back_reports(self) -> None:
        if not self.reports_path.exists():
            return
        if self.reports_path.stat().st_size > self.committed:
            with open(self.reports_path, "r+b") as handle:
                handle.truncate(self.committed)
                handle.flush()
                os.fsync(handle.fileno())

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def _transaction(self):
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def iter_reports(path: str | Path):
    """Reports of a reports.jsonl as dicts (outputs are built from the file, not from memory)."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)

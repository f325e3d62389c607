"""The seal's audit trail: every decision is appended to a hash chain.

    hash_n = sha256(hash_{n-1} + "\\n" + canonical JSON of the decision's payload)

The payload holds the approver, the time, the document's sha256, the attribute (and the suggested one),
the reason and every flag verdict. Changing, deleting or reordering an entry breaks every later hash;
a decision row that no longer matches its entry is reported too. Truncating the tail is only visible
against a head hash kept elsewhere, so `verify` returns the head for the approver to note down.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from review.service.store import AuditEntry, Decision

GENESIS = "0" * 64


def canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link_hash(prev_hash: str, payload: dict) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(payload)}".encode()).hexdigest()


def decision_payload(decision: Decision, approver_name: str, document_sha256: str) -> dict:
    return {
        "decision": decision.id,
        "submission": decision.submission_id,
        "approver": approver_name,
        "time": decision.decided_at.isoformat(timespec="seconds") + "Z",
        "sha256": document_sha256,
        "attribute": decision.attribute,
        "suggested": decision.suggested_attribute,
        "reason": decision.reason,
        "flags": [{"id": f["id"], "verdict": f["verdict"], "comment": f.get("comment", "")} for f in decision.flags],
    }


def append(session: Session, payload: dict) -> AuditEntry:
    """Add the next link inside the caller's transaction. A concurrent append on the same predecessor
    fails at commit on the unique prev_hash; the caller retries its whole decision."""
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev_hash = last.hash if last else GENESIS
    entry = AuditEntry(prev_hash=prev_hash, hash=link_hash(prev_hash, payload), payload=payload)
    session.add(entry)
    return entry


def verify(session: Session) -> dict:
    """Walk the chain from the start. ok is False at the first broken link or mismatching decision."""
    expected_prev = GENESIS
    count = 0
    problems: list[dict] = []
    decided = {}
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.prev_hash != expected_prev:
            problems.append({"entry": entry.id, "problem": "prev_hash does not continue the chain"})
        if link_hash(entry.prev_hash, entry.payload) != entry.hash:
            problems.append({"entry": entry.id, "problem": "hash does not match the entry's content"})
        decided[entry.payload.get("decision")] = entry
        expected_prev = entry.hash
    for decision in session.scalars(select(Decision)):
        entry = decided.get(decision.id)
        if entry is None:
            problems.append({"decision": decision.id, "problem": "decision has no audit entry"})
        elif (entry.payload.get("attribute"), entry.payload.get("reason")) != (decision.attribute, decision.reason):
            problems.append({"decision": decision.id, "entry": entry.id,
                             "problem": "decision differs from its audit entry"})
    return {"ok": not problems, "entries": count, "head": expected_prev if count else None, "problems": problems}

"""The review flow, shared by the API and the web UI: submit, see, decide and seal.

Access rule: drafters and approvers see the submissions of their own units, nothing else; admins
manage users, units and rules and see no documents. Every function here checks it on the server.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review.service import audit
from review.service.problems import Problem, forbidden, not_found
from review.service.settings import Settings
from review.service.store import Decision, DismissedFlag, GroupCommit, Submission, Unit, User, utcnow
from review.service.uploads import check_upload, store_blob

FINAL_ATTRIBUTES = ("proactive", "on_request", "withheld")
ATTRIBUTE_NAMES = {"proactive": "主动公开", "on_request": "依申请公开", "withheld": "不予公开",
                   "needs_review": "待人工判断"}


class FlagVerdict(BaseModel):
    id: str = Field(max_length=64)
    verdict: Literal["confirmed", "dismissed"]
    comment: str = Field("", max_length=2000)


class DecisionIn(BaseModel):
    attribute: Literal["proactive", "on_request", "withheld"]
    reason: str = Field("", max_length=5000)
    flags: list[FlagVerdict] = Field([], max_length=5000)


# --- seeing ---------------------------------------------------------------------------------------
def visible_submissions(session: Session, user: User, status: str | None = None) -> list[Submission]:
    if user.role not in ("drafter", "approver"):
        raise forbidden()
    query = select(Submission).where(Submission.unit_id.in_(user.unit_ids)).order_by(Submission.id.desc())
    if status:
        query = query.where(Submission.status == status)
    return list(session.scalars(query))


def load_submission(session: Session, user: User, submission_id: int) -> Submission:
    """The submission if the user may see it; 404 otherwise (its existence is not revealed)."""
    if user.role not in ("drafter", "approver"):
        raise forbidden()
    submission = session.get(Submission, submission_id)
    if submission is None or submission.unit_id not in user.unit_ids:
        raise not_found()
    return submission


def cleared_fingerprints(session: Session, unit_id: int) -> dict[str, DismissedFlag]:
    """The unit's baseline: fingerprints an approver has dismissed before."""
    return {row.fingerprint: row for row in session.scalars(select(DismissedFlag)
                                                            .where(DismissedFlag.unit_id == unit_id))}


def submission_view(session: Session, submission: Submission) -> dict:
    """What GET /api/submissions/{id} answers: the record, its Report and the flags cleared earlier."""
    baseline = cleared_fingerprints(session, submission.unit_id) if submission.report else {}
    flags = (submission.report or {}).get("flags", [])
    decision = submission.decision
    return {
        "id": submission.id, "status": submission.status, "title": display_title(submission),
        "filename": submission.filename, "sha256": submission.sha256, "size": submission.size,
        "unit": submission.unit.name, "submitter": submission.submitter.name,
        "proposed_attribute": submission.proposed_attribute, "attempts": submission.attempts,
        "error": submission.error, "error_code": submission.error_code,
        "created_at": submission.created_at, "reviewed_at": submission.reviewed_at,
        "report": submission.report,
        "previously_dismissed": [{"id": f["id"], "decision": baseline[f["id"]].decision_id,
                                  "comment": baseline[f["id"]].comment}
                                 for f in flags if f["id"] in baseline],
        "decision": decision_view(decision) if decision else None,
    }


def decision_view(decision: Decision) -> dict:
    return {"attribute": decision.attribute, "suggested": decision.suggested_attribute, "reason": decision.reason,
            "flags": decision.flags, "approver": decision.approver.name, "decided_at": decision.decided_at,
            "rereview_on": decision.rereview_on, "index_number": decision.index_number,
            "request_count": decision.request_count}


def display_title(submission: Submission) -> str:
    report_title = ((submission.report or {}).get("metadata") or {}).get("title")
    return submission.title or report_title or submission.filename


# --- submitting -----------------------------------------------------------------------------------
class Queued(NamedTuple):
    """What an upload became: the submission's id and status, and whether it was already there."""
    id: int
    status: str
    duplicate: bool


def submit(session: Session, settings: Settings, user: User, data: bytes, filename: str, title: str | None,
           proposed_attribute: str | None, unit_name: str | None = None) -> Queued:
    """Check and store the file, then queue it. The same file submitted again by the same unit gives the
    earlier submission back (duplicate). The row is committed together with those of any uploads
    arriving at the same moment (store.GroupCommit): one fsync of the database log for all of them."""
    if user.role != "drafter":
        raise forbidden()
    unit = pick_unit(user, unit_name)
    if proposed_attribute and proposed_attribute not in FINAL_ATTRIBUTES:
        raise Problem(422, "bad_attribute", "拟定公开属性应为 proactive、on_request 或 withheld",
                      "proposed_attribute must be proactive, on_request or withheld")
    check_upload(data, filename, settings.max_upload_bytes)
    sha256 = store_blob(settings.blob_dir, data)  # on disk and synced before the row that points to it
    row = {"unit_id": unit.id, "submitter_id": user.id, "title": (title or "").strip()[:500] or None,
           "filename": filename[-500:] or "upload", "sha256": sha256, "size": len(data),
           "proposed_attribute": proposed_attribute or None, "status": "queued", "attempts": 0}
    uploads = session.info.get("uploads") or GroupCommit()  # a session not from make_sessions: a group of one
    return uploads.run(session, row, insert_submissions)


# built once: building a statement costs as much CPU as running it
SAME_FILE = select(Submission.id, Submission.status).where(Submission.unit_id == bindparam("unit_id"),
                                                           Submission.sha256 == bindparam("sha256"))
NEW_SUBMISSION = insert(Submission).returning(Submission.id)


def insert_submissions(session: Session, rows: list[dict]) -> list[Queued]:
    """Insert the new submissions of a group commit, each unless its unit has submitted the same file
    before (then the earlier one is the answer), and commit once."""
    results: list[Queued] = []
    by_file: dict[tuple[int, str], Queued] = {}
    connection = session.connection()  # Core statements: a third of the ORM's CPU, on every upload
    for row in rows:
        key = (row["unit_id"], row["sha256"])
        if key in by_file:  # the same file twice in one group
            results.append(by_file[key]._replace(duplicate=True))
            continue
        existing = connection.execute(SAME_FILE, {"unit_id": row["unit_id"], "sha256": row["sha256"]}).first()
        if existing:
            by_file[key] = Queued(existing.id, existing.status, True)
        else:
            by_file[key] = Queued(connection.scalar(NEW_SUBMISSION, row), "queued", False)
        results.append(by_file[key])
    session.commit()
    return results


def pick_unit(user: User, unit_name: str | None) -> Unit:
    units = sorted(user.units, key=lambda unit: unit.id)
    if unit_name:
        units = [unit for unit in units if unit.name == unit_name]
    if not units:
        raise Problem(422, "no_unit", "您不属于该单位", "you are not a member of that unit")
    return units[0]


def retry(session: Session, user: User, submission_id: int) -> Submission:
    submission = load_submission(session, user, submission_id)
    if submission.status != "failed":
        raise Problem(409, "not_failed", "只有审查失败的文件可以重试", "only a failed review can be retried")
    submission.status, submission.error, submission.error_code = "queued", None, None
    session.commit()
    return submission


# --- deciding -------------------------------------------------------------------------------------
def reason_required(attribute: str, suggested: str | None) -> bool:
    """条例: withholding or only answering on request must be argued, and so must overruling the suggestion."""
    return attribute in ("on_request", "withheld") or attribute != suggested


def decide(session: Session, settings: Settings, approver: User, submission_id: int, decision_in: DecisionIn,
           attempts: int = 3) -> Decision:
    """Record the approver's decision, extend the unit's baseline and seal it into the audit chain."""
    if approver.role != "approver":
        raise forbidden()
    for attempt in range(attempts):
        try:
            return _decide_once(session, settings, approver, submission_id, decision_in)
        except IntegrityError:  # another decision took the same audit predecessor: redo on the new head
            session.rollback()
            if attempt == attempts - 1:
                raise Problem(409, "busy", "系统繁忙，请重试", "concurrent decisions; please retry") from None
    raise AssertionError("unreachable")


def _decide_once(session: Session, settings: Settings, approver: User, submission_id: int,
                 decision_in: DecisionIn) -> Decision:
    submission = load_submission(session, approver, submission_id)
    if submission.status == "decided":
        raise Problem(409, "already_decided", "该文件已审定", "this submission has already been decided")
    if submission.status != "reviewed":
        raise Problem(409, "not_reviewed", "审查尚未完成，暂不能审定", "the review has not finished yet")
    report = submission.report or {}
    suggested = (report.get("attribute") or {}).get("suggested")
    reason = decision_in.reason.strip()
    if reason_required(decision_in.attribute, suggested) and not reason:
        raise Problem(422, "reason_required",
                      "依申请公开、不予公开或与建议不同的公开属性，必须填写理由",
                      "a written reason is required for on_request, withheld, or an attribute that differs "
                      "from the suggestion")
    flags_by_id = {flag["id"]: flag for flag in report.get("flags", [])}
    unknown = [verdict.id for verdict in decision_in.flags if verdict.id not in flags_by_id]
    if unknown:
        raise Problem(422, "unknown_flag", f"报告中没有这些标记：{', '.join(unknown[:5])}",
                      f"the report has no flags with these ids: {', '.join(unknown[:5])}")
    now = utcnow()
    decision = Decision(
        submission_id=submission.id, approver_id=approver.id, attribute=decision_in.attribute,
        suggested_attribute=suggested, reason=reason, decided_at=now.replace(microsecond=0),
        flags=[{"id": v.id, "rule": flags_by_id[v.id]["rule"], "verdict": v.verdict, "comment": v.comment}
               for v in decision_in.flags],
        rereview_on=None if decision_in.attribute == "proactive" else now.date() + dt.timedelta(settings.rereview_days),
        request_count=0)
    session.add(decision)
    session.flush()
    if decision.attribute == "proactive":
        from review.service.exports import catalog_entry  # exports builds on this module

        decision.index_number = next_index_number(session, settings, submission, now)
        decision.catalog = catalog_entry(settings, submission, decision)
    baseline = cleared_fingerprints(session, submission.unit_id)
    for verdict in decision_in.flags:
        if verdict.verdict == "dismissed" and verdict.id not in baseline:
            session.add(DismissedFlag(unit_id=submission.unit_id, fingerprint=verdict.id,
                                      rule=flags_by_id[verdict.id]["rule"], decision_id=decision.id,
                                      comment=verdict.comment))
    submission.status = "decided"
    audit.append(session, audit.decision_payload(decision, approver.name, submission.sha256))
    session.commit()
    return decision


def next_index_number(session: Session, settings: Settings, submission: Submission, now: dt.datetime) -> str:
    """索引号 after the configured scheme; seq counts the unit's proactive decisions of the year."""
    year_start = dt.datetime(now.year, 1, 1)
    count = session.scalar(select(func.count(Decision.id)).join(Submission)
                           .where(Submission.unit_id == submission.unit_id, Decision.attribute == "proactive",
                                  Decision.decided_at >= year_start, Decision.index_number.is_not(None)))
    unit = submission.unit
    return settings.index_scheme.format(unit_code=unit.code, unit=unit.name, year=now.year, seq=count + 1)


def record_request(session: Session, user: User, submission_id: int) -> Decision:
    """A 依申请公开 request for this document was received (counts towards conversion to proactive)."""
    if user.role != "approver":
        raise forbidden()
    submission = load_submission(session, user, submission_id)
    if submission.decision is None or submission.decision.attribute != "on_request":
        raise Problem(409, "not_on_request", "只有依申请公开的文件可以登记申请",
                      "requests are recorded for on_request documents only")
    submission.decision.request_count += 1
    session.commit()
    return submission.decision

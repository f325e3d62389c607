"""The JSON API (bearer tokens from POST /api/token). Each route names the roles it admits; unit
membership is checked in flow.py."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from review.report import Report
from review.service import audit, exports, flow
from review.service.accounts import create_user, disabled_rules, ensure_unit, save_disabled_rules
from review.service.auth import api_user, authenticate, db_session, issue_token, require, require_in_one_trip
from review.service.problems import Problem
from review.service.store import Unit, User

router = APIRouter(prefix="/api")
PROBLEMS = {status: {"description": text} for status, text in [
    (400, "bad request"), (401, "not authenticated"), (403, "role may not do this"), (404, "not found"),
    (409, "conflicts with the current state"), (413, "file too large"), (415, "unsupported file type"),
    (422, "invalid input"), (429, "too many failed logins")]}

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_CONTENT = {"content": {"application/json": {}, "text/csv": {}, XLSX_TYPE: {}}}

Approver = Depends(require("approver"))
Admin = Depends(require("admin"))
Member = Depends(require("drafter", "approver"))
Anyone = Depends(api_user)
TableFormat = Literal["json", "csv", "xlsx"]
SubmissionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a submission's id")]  # an INTEGER column
# the database keeps naive UTC; the API says so (RFC 3339 date-time needs the offset)
UTCDateTime = Annotated[dt.datetime, AfterValidator(lambda value: value if value.tzinfo
                                                    else value.replace(tzinfo=dt.timezone.utc))]


# --- response shapes (also what the OpenAPI schema promises; schemathesis holds us to it) ----------
class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class Accepted(BaseModel):
    id: int
    status: str
    duplicate: bool = False


class DecisionOut(BaseModel):
    attribute: str
    suggested: str | None
    reason: str
    flags: list[dict]
    approver: str
    decided_at: UTCDateTime
    rereview_on: dt.date | None
    index_number: str | None
    request_count: int


class Cleared(BaseModel):
    id: str
    decision: int
    comment: str


class SubmissionOut(BaseModel):
    id: int
    status: Literal["queued", "reviewing", "reviewed", "failed", "decided"]
    title: str
    filename: str
    sha256: str
    size: int
    unit: str
    submitter: str
    proposed_attribute: str | None
    attempts: int
    error: str | None
    error_code: str | None
    created_at: UTCDateTime
    reviewed_at: UTCDateTime | None
    report: Report | None
    previously_dismissed: list[Cleared] = Field(description="flags of this report the unit's approvers "
                                                            "dismissed before (the baseline)")
    decision: DecisionOut | None


class SubmissionSummary(BaseModel):
    id: int
    status: str
    title: str
    filename: str
    unit: str
    submitter: str
    created_at: UTCDateTime
    flags: int
    suggested: str | None


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["drafter", "approver", "admin"]
    units: list[str] = Field([], max_length=50)
    password: str | None = Field(None, min_length=8, max_length=200)


class UserOut(BaseModel):
    id: int
    name: str
    role: str
    units: list[str]
    password: str | None = Field(None, description="only when generated: shown once")


class UnitIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(None, min_length=1, max_length=64, description="code used in the 索引号")


class UnitOut(BaseModel):
    id: int
    name: str
    code: str


class RuleConfig(BaseModel):
    disable_rules: list[str] = Field([], max_length=1000, description="rule ids switched off for this agency")


class AuditResult(BaseModel):
    ok: bool
    entries: int
    head: str | None
    problems: list[dict]


# --- sign-in --------------------------------------------------------------------------------------
@router.post("/token", response_model=Token, responses=PROBLEMS)
def token(request: Request, form: OAuth2PasswordRequestForm = Depends(), session: Session = Depends(db_session)):
    user = authenticate(request, session, form.username, form.password)
    return Token(access_token=issue_token(request, user))


@router.get("/me", response_model=UserOut, responses=PROBLEMS)
def me(user: User = Anyone):
    return UserOut(id=user.id, name=user.name, role=user.role, units=[unit.name for unit in user.units])


# --- submissions ----------------------------------------------------------------------------------
@router.post("/submissions", status_code=202, response_model=Accepted, responses=PROBLEMS)
async def submit(request: Request, file: UploadFile = File(...), title: str | None = Form(None, max_length=500),
                 proposed_attribute: Literal["proactive", "on_request", "withheld"] | None = Form(None),
                 unit: str | None = Form(None, max_length=200, description="for drafters of several units"),
                 user: User = Depends(require_in_one_trip("drafter"))):
    # async, so that an upload takes one trip to the threadpool (the checked, fsynced and committed upload;
    # a second one only when the caller is not in RecentUsers) instead of one per sync dependency. Nothing
    # here blocks the event loop: the form is parsed already (a file over 1 MB was spooled to disk by a
    # thread) and the blocking work is in `accept`.
    settings = request.app.state.settings
    data = await file.read(settings.max_upload_bytes + 1)
    queued = await run_in_threadpool(accept, request.app.state.sessions, settings, user, data,
                                     file.filename or "upload", title, proposed_attribute, unit)
    if not queued.duplicate:
        request.app.state.worker.wake()
    return Accepted(id=queued.id, status=queued.status, duplicate=queued.duplicate)


def accept(sessions, settings, user: User, data: bytes, filename: str, title: str | None,
           proposed_attribute: str | None, unit: str | None) -> flow.Queued:
    """In the threadpool: check, store (fsynced) and commit the upload in a session of its own."""
    with sessions() as session:
        return flow.submit(session, settings, user, data, filename, title, proposed_attribute, unit)


@router.get("/submissions", response_model=list[SubmissionSummary], responses=PROBLEMS)
def list_submissions(status: Literal["queued", "reviewing", "reviewed", "failed", "decided"] | None = None,
                     user: User = Member, session: Session = Depends(db_session)):
    return [summary(s) for s in flow.visible_submissions(session, user, status)]


def summary(submission) -> SubmissionSummary:
    report = submission.report or {}
    return SubmissionSummary(id=submission.id, status=submission.status, title=flow.display_title(submission),
                             filename=submission.filename, unit=submission.unit.name,
                             submitter=submission.submitter.name, created_at=submission.created_at,
                             flags=len(report.get("flags", [])),
                             suggested=(report.get("attribute") or {}).get("suggested"))


@router.get("/submissions/{submission_id}", response_model=SubmissionOut, responses=PROBLEMS)
def get_submission(submission_id: SubmissionId, user: User = Member, session: Session = Depends(db_session)):
    return flow.submission_view(session, flow.load_submission(session, user, submission_id))


@router.post("/submissions/{submission_id}/retry", status_code=202, response_model=Accepted, responses=PROBLEMS)
def retry(request: Request, submission_id: SubmissionId, user: User = Member, session: Session = Depends(db_session)):
    submission = flow.retry(session, user, submission_id)
    request.app.state.worker.wake()
    return Accepted(id=submission.id, status=submission.status)


@router.post("/submissions/{submission_id}/decision", response_model=DecisionOut, responses=PROBLEMS)
def decide(request: Request, submission_id: SubmissionId, decision: flow.DecisionIn, user: User = Approver,
           session: Session = Depends(db_session)):
    return flow.decision_view(flow.decide(session, request.app.state.settings, user, submission_id, decision))


@router.post("/submissions/{submission_id}/requests", response_model=DecisionOut, responses=PROBLEMS)
def record_request(submission_id: SubmissionId, user: User = Approver, session: Session = Depends(db_session)):
    """Record one 依申请公开 request received for an on_request document."""
    return flow.decision_view(flow.record_request(session, user, submission_id))


@router.get("/submissions/{submission_id}/masked",
            responses={**PROBLEMS, 200: {"content": {"text/plain": {}, DOCX_TYPE: {}, "application/pdf": {},
                                                      "image/png": {}, "image/tiff": {}}}})
def masked(request: Request, submission_id: SubmissionId, format: Literal["txt", "docx", "pages"] = "txt",
           user: User = Member, session: Session = Depends(db_session)):
    """The publication copy of an approved document: hidden content dropped, confirmed flags masked.
    `pages` (PDFs and scans): every page as an image with the confirmed flags burnt in black, no text layer."""
    submission = flow.load_submission(session, user, submission_id)
    if format == "pages":
        data, media, extension = exports.approved_masked_pages(request.app.state.settings, submission)
        return Response(data, media_type=media, headers=attachment(f"submission-{submission_id}-masked.{extension}"))
    text = exports.approved_masked_text(request.app.state.settings, submission)
    if format == "docx":
        return Response(exports.docx_bytes(text), media_type=DOCX_TYPE,
                        headers=attachment(f"submission-{submission_id}-masked.docx"))
    return Response(text, media_type="text/plain; charset=utf-8",
                    headers=attachment(f"submission-{submission_id}-masked.txt"))


# --- registers ------------------------------------------------------------------------------------
@router.get("/ledger", responses={**PROBLEMS, 200: TABLE_CONTENT})
def ledger(request: Request, format: TableFormat = "json", user: User = Depends(require("approver", "admin")),
           session: Session = Depends(db_session)):
    """台账: documents not published proactively, with reasons, approver and re-review date."""
    rows = exports.ledger_rows(session, request.app.state.settings, user)
    return table_response(rows, exports.LEDGER_COLUMNS, format, "ledger", "台账")


@router.get("/catalog", responses={**PROBLEMS, 200: TABLE_CONTENT})
def catalog(format: TableFormat = "json", user: User = Anyone, session: Session = Depends(db_session)):
    """政府信息公开目录 of the documents approved for proactive publication."""
    return table_response(exports.catalog_rows(session), exports.CATALOG_COLUMNS, format, "catalog", "公开目录")


@router.get("/audit/verify", response_model=AuditResult, responses=PROBLEMS)
def verify_audit(user: User = Depends(require("approver", "admin")), session: Session = Depends(db_session)):
    return audit.verify(session)


@router.get("/decisions/export", responses={**PROBLEMS, 200: {"content": {"application/x-ndjson": {}}}})
def export_decisions(request: Request, user: User = Admin, session: Session = Depends(db_session)):
    """Decisions as training rows for `review train --data` (JSON lines)."""
    rows = exports.training_rows(session, request.app.state.settings)
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return Response(body, media_type="application/x-ndjson", headers=attachment("decisions.jsonl"))


# --- administration -------------------------------------------------------------------------------
@router.get("/users", response_model=list[UserOut], responses=PROBLEMS)
def list_users(user: User = Admin, session: Session = Depends(db_session)):
    return [UserOut(id=u.id, name=u.name, role=u.role, units=[unit.name for unit in u.units])
            for u in session.scalars(select(User).order_by(User.id))]


@router.post("/users", status_code=201, response_model=UserOut, responses=PROBLEMS)
def add_user(new: UserIn, user: User = Admin, session: Session = Depends(db_session)):
    created, password = create_user(session, new.name, new.role, new.units, new.password)
    return UserOut(id=created.id, name=created.name, role=created.role, units=[u.name for u in created.units],
                   password=None if new.password else password)


@router.get("/units", response_model=list[UnitOut], responses=PROBLEMS)
def list_units(user: User = Admin, session: Session = Depends(db_session)):
    return [UnitOut(id=u.id, name=u.name, code=u.code) for u in session.scalars(select(Unit).order_by(Unit.id))]


@router.post("/units", status_code=201, response_model=UnitOut, responses=PROBLEMS)
def add_unit(new: UnitIn, user: User = Admin, session: Session = Depends(db_session)):
    unit = ensure_unit(session, new.name.strip(), new.code)
    session.commit()
    return UnitOut(id=unit.id, name=unit.name, code=unit.code)


@router.get("/config", response_model=RuleConfig, responses=PROBLEMS)
def get_config(user: User = Admin, session: Session = Depends(db_session)):
    return RuleConfig(disable_rules=disabled_rules(session))


@router.put("/config", response_model=RuleConfig, responses=PROBLEMS)
def put_config(request: Request, config: RuleConfig, user: User = Admin, session: Session = Depends(db_session)):
    """Switch rules off for this agency; unknown rule ids are refused. Applies to reviews from now on."""
    saved = save_disabled_rules(session, config.disable_rules)
    request.app.state.worker.config_changed()
    return RuleConfig(disable_rules=saved)


# --- helpers --------------------------------------------------------------------------------------


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def table_response(rows: list[dict], columns: dict[str, str], format: str, name: str, sheet: str):
    if format == "csv":
        return Response(exports.csv_bytes(rows, columns), media_type="text/csv; charset=utf-8",
                        headers=attachment(f"{name}.csv"))
    if format == "xlsx":
        return Response(exports.xlsx_bytes(rows, columns, sheet), media_type=XLSX_TYPE,
                        headers=attachment(f"{name}.xlsx"))
    return rows

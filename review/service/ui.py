"""The web UI (Chinese, server-rendered with Jinja2): cookie sessions, a CSRF token in every form.

Pages: 登录, 提交与我的文件 (drafter), 待审队列 (approver), 审查页 (document text with every flag
highlighted in place, verdicts, attribute, seal), 台账, 公开目录, 审计, 管理 (admin: users, units, rules).
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from review.service import audit, exports, flow
from review.service.accounts import (create_user, disabled_rules, ensure_unit, save_disabled_rules,
                                     switchable_rules)
from review.service.api import DOCX_TYPE, XLSX_TYPE, SubmissionId, attachment
from review.service.auth import authenticate, check_csrf, csrf_token, db_session, start_ui_session, ui_user
from review.service.problems import Problem, not_found
from review.service.store import AuditEntry, Unit, User

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("review.service") / "templates"))

CATEGORY_NAMES = {"secret": "涉密", "personal": "个人信息", "negative_list": "负面清单", "hidden": "隐藏内容",
                  "redaction": "遮盖失效", "spam": "违规信息", "placeholder": "未完成内容", "consistency": "属性一致性"}
SEVERITY_NAMES = {"high": "高", "medium": "中", "low": "低", "info": "提示"}
STATUS_NAMES = {"queued": "排队中", "reviewing": "审查中", "reviewed": "待审定", "failed": "审查失败", "decided": "已审定"}
templates.env.globals.update(categories=CATEGORY_NAMES, severities=SEVERITY_NAMES, statuses=STATUS_NAMES,
                             attributes=flow.ATTRIBUTE_NAMES)


def page(request: Request, name: str, user, **context) -> Response:
    return templates.TemplateResponse(request, name, {"user": user, "csrf": csrf_token(request), **context})


def error_page(request: Request, status: int, message_zh: str, message_en: str) -> Response:
    return templates.TemplateResponse(request, "error.html", {"user": None, "status": status,
                                                              "message_zh": message_zh, "message_en": message_en},
                                      status_code=status)


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- sign-in --------------------------------------------------------------------------------------
@router.get("/")
def home(request: Request):
    return redirect("/submissions" if request.session.get("uid") else "/login")


@router.get("/login")
def login_form(request: Request):
    return templates.TemplateResponse(request, "login.html", {"user": None, "error": None})


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...),
          session: Session = Depends(db_session)):
    try:
        user = authenticate(request, session, username, password)
    except HTTPException as exc:
        return templates.TemplateResponse(request, "login.html", {"user": None, "error": exc.detail},
                                          status_code=exc.status_code)
    start_ui_session(request, user)
    return redirect("/ledger" if user.role == "admin" else "/submissions")


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    request.session.clear()
    return redirect("/login")


# --- submissions ----------------------------------------------------------------------------------
@router.get("/submissions")
def submissions(request: Request, session: Session = Depends(db_session)):
    user = ui_user(request, session, "drafter", "approver")
    rows = flow.visible_submissions(session, user)
    return page(request, "submissions.html", user, submissions=rows, title=flow.display_title)


@router.post("/submissions")
def submit(request: Request, file: UploadFile = File(...), title: str = Form(""), proposed_attribute: str = Form(""),
           csrf_token: str = Form(""), session: Session = Depends(db_session)):
    user = ui_user(request, session, "drafter")
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    data = file.file.read(settings.max_upload_bytes + 1)
    queued = flow.submit(session, settings, user, data, file.filename or "upload", title, proposed_attribute or None)
    if not queued.duplicate:
        request.app.state.worker.wake()
    return redirect(f"/submissions/{queued.id}" + ("?duplicate=1" if queued.duplicate else ""))


@router.get("/submissions/{submission_id}")
def review_page(request: Request, submission_id: SubmissionId, session: Session = Depends(db_session)):
    user = ui_user(request, session, "drafter", "approver")
    submission = flow.load_submission(session, user, submission_id)
    view = flow.submission_view(session, submission)
    report = submission.report or {}
    flags = report.get("flags", [])
    segments, visible_end = [], 0
    if submission.report and submission.status in ("reviewed", "decided"):
        document = exports.read_stored_document(request.app.state.settings, submission)
        segments, visible_end = highlight(document.text, flags, document.visible_end), document.visible_end
    cards = list({flag["id"]: flag for flag in reversed(flags)}.values())[::-1]  # one card per fingerprint
    verdicts = {f["id"]: f for f in (view["decision"] or {}).get("flags", [])}
    cleared = {item["id"]: item for item in view["previously_dismissed"]}
    return page(request, "review.html", user, submission=submission, view=view, report=report, flags=flags,
                cards=cards if segments else [], segments=segments, visible_end=visible_end, verdicts=verdicts, cleared=cleared,
                duplicate=request.query_params.get("duplicate") == "1",
                reason_needed_for=["on_request", "withheld"])


def highlight(text: str, flags: list[dict], visible_end: int) -> list[dict]:
    """The text cut into plain and flagged pieces, each with its offset; plain text is also cut at the
    end of the visible part, where the page puts the hidden content apart. Overlapping flags: the first
    keeps the overlap (every flag still has its card beside the text)."""
    pieces, position = [], 0

    def plain(start: int, end: int) -> None:
        for a, b in ((start, min(end, visible_end)), (max(start, visible_end), end)):
            if a < b:
                pieces.append({"text": text[a:b], "flag": None, "start": a})

    for flag in sorted((f for f in flags if f.get("start") is not None), key=lambda f: (f["start"], -f["end"])):
        start, end = flag["start"], min(flag["end"], len(text))
        if start < position or start >= end:
            continue
        plain(position, start)
        pieces.append({"text": text[start:end], "flag": flag, "start": start})
        position = end
    plain(position, len(text))
    return pieces


@router.post("/submissions/{submission_id}/decision")
async def decide(request: Request, submission_id: SubmissionId, session: Session = Depends(db_session)):
    """Form fields: attribute, reason, and for each flag verdict-<id> (confirmed|dismissed), comment-<id>."""
    user = ui_user(request, session, "approver")
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    verdicts = [{"id": key.removeprefix("verdict-"), "verdict": value,
                 "comment": form.get(f"comment-{key.removeprefix('verdict-')}", "")}
                for key, value in form.multi_items() if key.startswith("verdict-") and value]
    try:
        decision_in = flow.DecisionIn(attribute=form.get("attribute", ""), reason=form.get("reason", ""),
                                      flags=verdicts)
    except ValidationError:
        raise Problem(422, "bad_form", "请选择公开属性，并为每个标记选择确认或排除",
                      "choose an attribute and a verdict per flag") from None
    # deciding reads the document (catalog entry) and hashes: keep it off the event loop
    await run_in_threadpool(flow.decide, session, request.app.state.settings, user, submission_id, decision_in)
    return redirect(f"/submissions/{submission_id}")


@router.post("/submissions/{submission_id}/retry")
def retry(request: Request, submission_id: SubmissionId, csrf_token: str = Form(""), session: Session = Depends(db_session)):
    user = ui_user(request, session, "drafter", "approver")
    check_csrf(request, csrf_token)
    flow.retry(session, user, submission_id)
    request.app.state.worker.wake()
    return redirect(f"/submissions/{submission_id}")


@router.get("/submissions/{submission_id}/masked.{extension}")
def masked(request: Request, submission_id: SubmissionId, extension: str, session: Session = Depends(db_session)):
    user = ui_user(request, session, "drafter", "approver")
    if extension not in ("txt", "docx", "pages"):
        raise not_found()
    if extension == "pages":
        data, media, suffix = exports.approved_masked_pages(request.app.state.settings,
                                                            flow.load_submission(session, user, submission_id))
        return Response(data, media_type=media, headers=attachment(f"submission-{submission_id}-masked.{suffix}"))
    text = exports.approved_masked_text(request.app.state.settings, flow.load_submission(session, user, submission_id))
    name = f"submission-{submission_id}-masked.{extension}"
    if extension == "docx":
        return Response(exports.docx_bytes(text), media_type=DOCX_TYPE, headers=attachment(name))
    return Response(text, media_type="text/plain; charset=utf-8", headers=attachment(name))


# --- registers ------------------------------------------------------------------------------------
@router.get("/ledger")
def ledger(request: Request, session: Session = Depends(db_session)):
    user = ui_user(request, session, "approver", "admin")
    rows = exports.ledger_rows(session, request.app.state.settings, user)
    return page(request, "ledger.html", user, rows=rows, columns=exports.LEDGER_COLUMNS)


@router.get("/{register}/export.{extension}")
def register_export(request: Request, register: str, extension: str, session: Session = Depends(db_session)):
    """台账 and 公开目录 as CSV or XLSX for the signed-in user."""
    if register not in ("ledger", "catalog") or extension not in ("csv", "xlsx"):
        raise not_found()
    if register == "ledger":
        user = ui_user(request, session, "approver", "admin")
        rows, columns, sheet = exports.ledger_rows(session, request.app.state.settings, user), exports.LEDGER_COLUMNS, "台账"
    else:
        ui_user(request, session)
        rows, columns, sheet = exports.catalog_rows(session), exports.CATALOG_COLUMNS, "公开目录"
    if extension == "csv":
        return Response(exports.csv_bytes(rows, columns), media_type="text/csv; charset=utf-8",
                        headers=attachment(f"{register}.csv"))
    return Response(exports.xlsx_bytes(rows, columns, sheet), media_type=XLSX_TYPE,
                    headers=attachment(f"{register}.xlsx"))


@router.get("/catalog")
def catalog(request: Request, session: Session = Depends(db_session)):
    user = ui_user(request, session)
    return page(request, "catalog.html", user, rows=exports.catalog_rows(session), columns=exports.CATALOG_COLUMNS)


@router.get("/audit")
def audit_page(request: Request, session: Session = Depends(db_session)):
    user = ui_user(request, session, "approver", "admin")
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)))
    return page(request, "audit.html", user, result=audit.verify(session), entries=entries)


# --- administration -------------------------------------------------------------------------------
def admin_page(request: Request, session: Session, user, **context) -> Response:
    rules = sorted(switchable_rules().values(), key=lambda rule: rule.id)
    return page(request, "admin.html", user, users=list(session.scalars(select(User).order_by(User.id))),
                units=list(session.scalars(select(Unit).order_by(Unit.id))), rules=rules,
                disabled=set(disabled_rules(session)), **context)


@router.get("/admin")
def admin(request: Request, session: Session = Depends(db_session)):
    return admin_page(request, session, ui_user(request, session, "admin"))


@router.post("/admin/users")
def admin_add_user(request: Request, name: str = Form(""), role: str = Form(""), units: str = Form(""),
                   csrf_token: str = Form(""), session: Session = Depends(db_session)):
    """A new user with a generated password, shown once on the page that answers."""
    user = ui_user(request, session, "admin")
    check_csrf(request, csrf_token)
    unit_names = [unit.strip() for unit in units.replace("，", ",").replace("、", ",").split(",") if unit.strip()]
    created, password = create_user(session, name, role, unit_names)
    return admin_page(request, session, user, created=created.name, password=password)


@router.post("/admin/units")
def admin_add_unit(request: Request, name: str = Form(""), code: str = Form(""), csrf_token: str = Form(""),
                   session: Session = Depends(db_session)):
    ui_user(request, session, "admin")
    check_csrf(request, csrf_token)
    if not name.strip():
        raise Problem(422, "bad_name", "单位名称不能为空", "the unit name is empty")
    ensure_unit(session, name.strip(), code.strip() or None)
    session.commit()
    return redirect("/admin")


@router.post("/admin/rules")
def admin_rules(request: Request, enabled: list[str] = Form([]), csrf_token: str = Form(""),
                session: Session = Depends(db_session)):
    """Form: one checkbox `enabled` per rule id; unchecked rules are switched off for this agency."""
    ui_user(request, session, "admin")
    check_csrf(request, csrf_token)
    save_disabled_rules(session, sorted(set(switchable_rules()) - set(enabled)))
    request.app.state.worker.config_changed()
    return redirect("/admin")

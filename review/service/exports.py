"""What leaves the service: the 台账 (ledger), the 政府信息公开目录 (catalog), the masked copy for
publication, and the approvers' decisions as training rows for the attribute model (review/train.py).
"""

from __future__ import annotations

import csv
import io
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from review.config import ScanConfig
from review.detect.masking import mask
from review.document import Document
from review.service.flow import ATTRIBUTE_NAMES, display_title
from review.service.problems import Problem, forbidden
from review.service.settings import Settings
from review.service.store import Decision, Submission, User
from review.service.uploads import blob_path, named_link

# pypdfium2 is not thread-safe: documents are read one at a time inside the app process
intake_lock = threading.Lock()

LEDGER_COLUMNS = {"submission": "编号", "title": "信息名称", "doc_number": "文件编号", "unit": "单位",
                  "attribute": "公开属性", "reason": "理由", "approver": "审核人", "decided_on": "审核日期",
                  "rereview_on": "复审日期", "request_count": "依申请次数",
                  "convert_to_proactive": "建议转为主动公开"}
CATALOG_COLUMNS = {"index_number": "索引号", "title": "信息名称", "summary": "内容概述", "created_on": "生成日期",
                   "doc_number": "文件编号", "publisher": "发布机构", "published_on": "公开日期"}
SUMMARY_CHARS = 120


def read_stored_document(settings: Settings, submission: Submission) -> Document:
    from review.intake import read_document

    with intake_lock, named_link(blob_path(settings.blob_dir, submission.sha256), submission.filename) as link:
        return read_document(link, ScanConfig())


# --- masked copy ----------------------------------------------------------------------------------
def masked_value(flag: dict) -> str:
    """Personal data by its own masking convention; anything else confirmed is blanked out."""
    if flag["category"] == "personal":
        return mask(flag["type"], flag["text"])
    return "＊" * len(flag["text"])


def masked_text(document: Document, flags: list[dict], dismissed: set[str]) -> str:
    """The visible text (hidden content dropped) with every flag that was not dismissed masked."""
    text = document.visible_text
    spans = sorted((f["start"], f["end"], f) for f in flags
                   if f["id"] not in dismissed and f.get("start") is not None and f["end"] <= len(text))
    out, position = [], 0
    for start, end, flag in spans:
        if start < position:  # overlaps the previous masked span
            continue
        out.append(text[position:start])
        out.append(masked_value(flag))
        position = end
    out.append(text[position:])
    return "".join(out)


def _approved_decision(submission: Submission) -> Decision:
    decision = submission.decision
    if decision is None or decision.attribute != "proactive":
        raise Problem(409, "not_approved", "只有审定为主动公开的文件才能生成公开版本",
                      "a masked copy exists only for documents approved as proactive")
    return decision


def approved_masked_text(settings: Settings, submission: Submission) -> str:
    decision = _approved_decision(submission)
    dismissed = {f["id"] for f in decision.flags if f["verdict"] == "dismissed"}
    return masked_text(read_stored_document(settings, submission), submission.report.get("flags", []), dismissed)


def approved_masked_pages(settings: Settings, submission: Submission) -> tuple[bytes, str, str]:
    """The page-image copy of an approved PDF or scan: black boxes burnt into the pixels of every flag that was
    not dismissed, no text layer left (review.redact_image). Returns (bytes, media type, file extension)."""
    from review.redact_image import IMAGE_FORMATS, burn_in
    from review.report import Report

    decision = _approved_decision(submission)
    report = Report.model_validate(submission.report)
    if report.format != "pdf" and report.format not in IMAGE_FORMATS:
        raise Problem(409, "not_pages", "只有 PDF 和扫描图像可以生成图像遮盖版本，请使用 txt 或 docx 公开版本",
                      "a page-image copy is made of PDFs and scanned images; use the txt or docx copy")
    dismissed = {f["id"] for f in decision.flags if f["verdict"] == "dismissed"}
    confirmed = [flag.id for flag in report.flags if flag.id not in dismissed]
    extension = "pdf" if report.format == "pdf" else ("tiff" if (report.pages or 1) > 1 else "png")
    media = {"pdf": "application/pdf", "png": "image/png", "tiff": "image/tiff"}[extension]
    with (intake_lock, named_link(blob_path(settings.blob_dir, submission.sha256), submission.filename) as link,
          tempfile.TemporaryDirectory(prefix="review-mask-") as folder):
        out = Path(folder) / f"masked.{extension}"
        burn_in(link, report, confirmed, out)
        return out.read_bytes(), media, extension


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- catalog --------------------------------------------------------------------------------------
def catalog_entry(settings: Settings, submission: Submission, decision: Decision) -> dict:
    """The 公开目录 row, fixed when the document is sealed as proactive (summary from the masked text)."""
    metadata = (submission.report or {}).get("metadata") or {}
    dismissed = {f["id"] for f in decision.flags if f["verdict"] == "dismissed"}
    text = masked_text(read_stored_document(settings, submission), submission.report.get("flags", []), dismissed)
    title = display_title(submission)
    body = text.split("\n", 1)[1] if text.startswith(title) and "\n" in text else text
    summary = " ".join(body.split())[:SUMMARY_CHARS]
    return {"index_number": decision.index_number, "title": title, "summary": summary,
            "created_on": metadata.get("date"), "doc_number": metadata.get("doc_number"),
            "publisher": metadata.get("signature") or metadata.get("publisher") or submission.unit.name,
            "published_on": decision.decided_at.date().isoformat()}


def catalog_rows(session: Session) -> list[dict]:
    decisions = session.scalars(select(Decision).where(Decision.attribute == "proactive")
                                .order_by(Decision.decided_at.desc(), Decision.id.desc()))
    return [decision.catalog for decision in decisions if decision.catalog]


# --- ledger ---------------------------------------------------------------------------------------
def ledger_rows(session: Session, settings: Settings, user: User) -> list[dict]:
    """Non-proactive decisions of the approver's units (all units for an admin)."""
    if user.role not in ("approver", "admin"):
        raise forbidden()
    query = (select(Decision).join(Submission).where(Decision.attribute != "proactive")
             .order_by(Decision.decided_at.desc(), Decision.id.desc()))
    if user.role == "approver":
        query = query.where(Submission.unit_id.in_(user.unit_ids))
    rows = []
    for decision in session.scalars(query):
        submission = decision.submission
        metadata = (submission.report or {}).get("metadata") or {}
        rows.append({
            "submission": submission.id, "title": display_title(submission), "doc_number": metadata.get("doc_number"),
            "unit": submission.unit.name, "attribute": ATTRIBUTE_NAMES[decision.attribute],
            "reason": decision.reason, "approver": decision.approver.name,
            "decided_on": decision.decided_at.date().isoformat(),
            "rereview_on": decision.rereview_on.isoformat() if decision.rereview_on else None,
            "request_count": decision.request_count,
            "convert_to_proactive": decision.attribute == "on_request"
            and decision.request_count >= settings.frequent_request_count,
        })
    return rows


# --- table formats --------------------------------------------------------------------------------
def csv_bytes(rows: Iterable[dict], columns: dict[str, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns.values())
    for row in rows:
        writer.writerow(["" if row.get(key) is None else row[key] for key in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def xlsx_bytes(rows: Iterable[dict], columns: dict[str, str], sheet: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(list(columns.values()))
    for row in rows:
        worksheet.append([row.get(key) for key in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- training rows --------------------------------------------------------------------------------
def training_rows(session: Session, settings: Settings) -> Iterator[dict]:
    """Each decision as a row of the format review/train.py reads: text, attribute, doc_type, basis,
    approver, date, sha256. The text is the visible text as submitted (the model learns from drafts)."""
    for decision in session.scalars(select(Decision).order_by(Decision.id)):
        submission = decision.submission
        report = submission.report or {}
        reasons = [r["text"] for r in (report.get("attribute") or {}).get("reasons", [])
                   if (report.get("attribute") or {}).get("suggested") == decision.attribute]
        yield {"text": read_stored_document(settings, submission).visible_text, "attribute": decision.attribute,
               "doc_type": (report.get("metadata") or {}).get("doc_type"),
               "basis": decision.reason or "；".join(reasons), "approver": decision.approver.name,
               "date": decision.decided_at.date().isoformat(), "sha256": submission.sha256}

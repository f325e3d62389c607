"""What leaves the service: the 台账, the 公开目录, the masked copy, the training rows; and the review
page's highlighting."""

from __future__ import annotations

import csv
import io
import json
import re

import docx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from service_fixtures import *  # noqa: F403
from service_fixtures import PASSWORD, Service, id_number, make_settings, notice_docx

from review.detect.masking import mask_id_card
from review.service.app import create_app
from review.train import LABELS

UNIT = "示例县民政局"


@pytest.fixture
def decided(tmp_path):
    """One document sealed proactive (mobile dismissed, ID confirmed) and one sealed on_request."""
    settings = make_settings(tmp_path, index_scheme="{unit_code}/{year}-{seq:04d}", frequent_request_count=2)
    with TestClient(create_app(settings)) as client:
        service = Service(client)
        drafter = service.add_user("drafter", "drafter", [UNIT])
        approver = service.add_user("approver", "approver", [UNIT])
        public = service.upload(drafter, notice_docx(), title="关于发放临时救助金的通知")["id"]
        private = service.upload(drafter, notice_docx(extra="附：家庭收入明细。"))["id"]
        report = service.wait(drafter, public)["report"]
        service.wait(drafter, private)
        id_flag = next(f for f in report["flags"] if f["type"] == "id_card")
        mobile = next(f for f in report["flags"] if f["type"] == "mobile")
        response = client.post(f"/api/submissions/{public}/decision", headers=approver, json={
            "attribute": "proactive", "reason": "面向社会公布的救助结果",
            "flags": [{"id": id_flag["id"], "verdict": "confirmed"},
                      {"id": mobile["id"], "verdict": "dismissed", "comment": "民政办公开电话"}]})
        assert response.status_code == 200, response.text
        response = client.post(f"/api/submissions/{private}/decision", headers=approver,
                               json={"attribute": "on_request", "reason": "含家庭收入，仅向申请人提供"})
        assert response.status_code == 200, response.text
        yield service, drafter, approver, public, private


def test_masked_copy_masks_confirmed_flags_only(decided):
    service, drafter, _, public, private = decided
    text = service.client.get(f"/api/submissions/{public}/masked", headers=drafter).text
    assert id_number() not in text and mask_id_card(id_number()) in text
    assert "13800138000" in text  # dismissed: kept as written
    word = service.client.get(f"/api/submissions/{public}/masked?format=docx", headers=drafter)
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    assert "\n".join(paragraphs) == text
    refused = service.client.get(f"/api/submissions/{private}/masked", headers=drafter)
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "not_approved"


def test_catalog_lists_the_proactive_document(decided):
    service, drafter, _, public, _ = decided
    rows = service.client.get("/api/catalog", headers=drafter).json()
    assert len(rows) == 1
    row = rows[0]
    assert row["title"] == "关于发放临时救助金的通知"
    assert row["index_number"].endswith("-0001") and row["index_number"].startswith("U")
    assert row["created_on"] == "2025-03-01" and row["publisher"] == "示例县民政局"
    assert id_number() not in row["summary"] and row["summary"]
    table = service.client.get("/api/catalog?format=csv", headers=drafter)
    lines = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert lines[0] == ["索引号", "信息名称", "内容概述", "生成日期", "文件编号", "发布机构", "公开日期"]
    assert lines[1][0] == row["index_number"]


def test_ledger_lists_the_rest_and_flags_frequent_requests(decided):
    service, _, approver, _, private = decided
    rows = service.client.get("/api/ledger", headers=approver).json()
    assert [row["submission"] for row in rows] == [private]
    assert rows[0]["attribute"] == "依申请公开" and rows[0]["approver"] == "approver"
    assert rows[0]["rereview_on"] > rows[0]["decided_on"] and rows[0]["convert_to_proactive"] is False
    for _ in range(2):
        assert service.client.post(f"/api/submissions/{private}/requests", headers=approver).status_code == 200
    rows = service.client.get("/api/ledger", headers=approver).json()
    assert rows[0]["request_count"] == 2 and rows[0]["convert_to_proactive"] is True
    workbook = openpyxl.load_workbook(io.BytesIO(service.client.get("/api/ledger?format=xlsx", headers=approver)
                                                 .content))
    sheet = workbook.active
    assert sheet.title == "台账" and sheet.cell(1, 1).value == "编号" and sheet.cell(2, 1).value == private


def test_decisions_export_as_training_rows(decided):
    service, _, _, public, private = decided
    admin = service.add_user("admin", "admin")
    response = service.client.get("/api/decisions/export", headers=admin)
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert [row["attribute"] for row in rows] == ["proactive", "on_request"]
    for row in rows:
        assert set(row) == {"text", "attribute", "doc_type", "basis", "approver", "date", "sha256"}
        assert row["attribute"] in LABELS and row["text"].startswith("示例县民政局关于发放临时救助金的通知")
        assert row["doc_type"] == "通知" and row["basis"] and row["approver"] == "approver"


def test_review_page_highlights_every_flag_in_place(decided):
    service, _, _, public, _ = decided
    with TestClient(service.app) as client:
        client.post("/login", data={"username": "approver", "password": "correct horse battery"})
        page = client.get(f"/submissions/{public}").text
    report = service.client.get(f"/api/submissions/{public}", headers=service.login("approver")).json()["report"]
    for flag in report["flags"]:
        assert f'data-flag="{flag["id"]}"' in page
    assert f">{id_number()}</mark>" in page
    assert "已审定" in page and "masked.docx" in page


def test_admin_switches_rules_off(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as client:
        service = Service(client)
        admin = service.add_user("admin", "admin")
        drafter = service.add_user("drafter", "drafter", [UNIT])
        # a review before the change: the worker has read (and keeps) the configuration
        before = service.wait(drafter, service.upload(drafter, notice_docx())["id"])["report"]
        assert "id_card" in {flag["type"] for flag in before["flags"]}
        assert client.put("/api/config", headers=admin, json={"disable_rules": ["no.such.rule"]}).status_code == 422
        saved = client.put("/api/config", headers=admin, json={"disable_rules": ["personal.id_card"]})
        assert saved.json() == {"disable_rules": ["personal.id_card"]}
        report = service.wait(drafter, service.upload(drafter, notice_docx(extra="第二份"))["id"])["report"]
        assert "id_card" not in {flag["type"] for flag in report["flags"]}


def test_page_image_copy_of_an_approved_pdf_burns_confirmed_flags_and_keeps_no_text(tmp_path):
    import pypdfium2 as pdfium
    from pdf_fixtures import text_pdf

    source = text_pdf(tmp_path / "notice.pdf", [["示例县民政局关于发放临时救助金的通知", "各乡镇：",
                                                  f"申请人王某某，身份证号{id_number()}，已核准。"]])
    settings = make_settings(tmp_path / "service")
    with TestClient(create_app(settings)) as client:
        service = Service(client)
        drafter = service.add_user("drafter", "drafter", [UNIT])
        approver = service.add_user("approver", "approver", [UNIT])
        submission = service.upload(drafter, source.read_bytes(), filename="notice.pdf")["id"]
        report = service.wait(drafter, submission)["report"]
        id_flag = next(f for f in report["flags"] if f["type"] == "id_card")
        assert id_flag["location"]["bbox"] is not None
        early = client.get(f"/api/submissions/{submission}/masked?format=pages", headers=drafter)
        assert early.status_code == 409  # not approved yet
        response = client.post(f"/api/submissions/{submission}/decision", headers=approver, json={
            "attribute": "proactive", "reason": "救助结果依法公示",
            "flags": [{"id": f["id"], "verdict": "confirmed"} for f in report["flags"]]})
        assert response.status_code == 200, response.text
        copy = client.get(f"/api/submissions/{submission}/masked?format=pages", headers=drafter)
        assert copy.status_code == 200 and copy.headers["content-type"] == "application/pdf"
        masked = tmp_path / "masked.pdf"
        masked.write_bytes(copy.content)
        pdf = pdfium.PdfDocument(str(masked))
        assert len(pdf) == 1
        assert pdf[0].get_textpage().get_text_range().strip() == ""  # pixels only: nothing to copy out
        pdf.close()
        word = service.upload(drafter, notice_docx(), title="通知")["id"]
        service.wait(drafter, word)
        client.post(f"/api/submissions/{word}/decision", headers=approver,
                    json={"attribute": "proactive", "reason": "公开", "flags": []})
        refused = client.get(f"/api/submissions/{word}/masked?format=pages", headers=drafter)
        assert refused.status_code == 409 and refused.json()["detail"]["code"] == "not_pages"


def test_admin_page_adds_users_and_units_and_switches_rules(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as client:
        service = Service(client)
        service.add_user("admin", "admin")
        drafter = service.add_user("drafter", "drafter", [UNIT])
        assert client.post("/login", data={"username": "admin", "password": PASSWORD},
                           follow_redirects=False).status_code == 303
        page = client.get("/admin").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert "personal.id_card" in page and 'value="personal.id_card" checked' in page

        assert client.post("/admin/users", data={"name": "new", "role": "approver", "units": UNIT}).status_code == 403
        answer = client.post("/admin/users", data={"name": "new", "role": "approver", "units": f"{UNIT}，新单位",
                                                   "csrf_token": csrf})
        password = re.search(r'初始密码（仅显示这一次）：<code>([^<]+)</code>', answer.text).group(1)
        assert client.post("/api/token", data={"username": "new", "password": password}).status_code == 200
        assert "新单位" in answer.text

        client.post("/admin/units", data={"name": "第三个单位", "code": "C003", "csrf_token": csrf})
        assert "C003" in client.get("/admin").text

        from review.config import ScanConfig
        from review.rules import rules_for
        everything_but_ids = [rule for rule in rules_for(ScanConfig()).rules if rule != "personal.id_card"]
        client.post("/admin/rules", data={"enabled": everything_but_ids, "csrf_token": csrf})
        after = client.get("/admin").text
        assert 'value="personal.id_card" >' in after and 'value="personal.id_card" checked' not in after
        assert 'value="personal.mobile" checked' in after
        report = service.wait(drafter, service.upload(drafter, notice_docx())["id"])["report"]
        assert "id_card" not in {flag["type"] for flag in report["flags"]}

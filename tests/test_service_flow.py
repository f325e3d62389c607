"""The review flow through the API, on SQLite and (when reachable) PostgreSQL: submit, review in the
background, decide with verdicts and reasons, the dismissed-flag baseline, the audit chain."""

from __future__ import annotations

import hashlib

from service_fixtures import *  # noqa: F403 - the service fixture and helpers
from service_fixtures import id_number, notice_docx
from sqlalchemy import update

from review.service.store import AuditEntry, Decision, Submission
from review.service.uploads import blob_path

UNIT = "示例县民政局"


def test_submit_review_decide_and_seal(service):
    drafter = service.add_user("drafter", "drafter", [UNIT])
    approver = service.add_user("approver", "approver", [UNIT])
    data = notice_docx()

    accepted = service.upload(drafter, data, title="临时救助通知", proposed_attribute="proactive")
    assert accepted["status"] == "queued" and accepted["duplicate"] is False
    # stored content-addressed before the 202
    assert blob_path(service.app.state.settings.blob_dir, hashlib.sha256(data).hexdigest()).read_bytes() == data

    again = service.upload(drafter, data, filename="copy.docx")
    assert again == {"id": accepted["id"], "status": again["status"], "duplicate": True}

    body = service.wait(drafter, accepted["id"])
    assert body["status"] == "reviewed", body["error"]
    report = body["report"]
    assert report["sha256"] == hashlib.sha256(data).hexdigest()
    id_flag = next(f for f in report["flags"] if f["type"] == "id_card")
    assert id_flag["text"] == id_number()
    other_flags = [f for f in report["flags"] if f["id"] != id_flag["id"]]
    assert other_flags, "the notice also carries a mobile and a name"

    suggested = report["attribute"]["suggested"]
    other = "withheld" if suggested != "withheld" else "on_request"
    decision = {"attribute": other, "reason": "",
                "flags": [{"id": id_flag["id"], "verdict": "confirmed"},
                          {"id": other_flags[0]["id"], "verdict": "dismissed", "comment": "公开的单位电话"}]}
    url = f"/api/submissions/{accepted['id']}/decision"
    assert service.client.post(url, headers=drafter, json=decision).status_code == 403
    refused = service.client.post(url, headers=approver, json=decision)
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "reason_required"

    decision["reason"] = "涉及个人隐私，依申请公开（条例第十五条）"
    sealed = service.client.post(url, headers=approver, json=decision)
    assert sealed.status_code == 200, sealed.text
    assert sealed.json()["attribute"] == other and sealed.json()["suggested"] == suggested
    assert service.client.post(url, headers=approver, json=decision).status_code == 409

    verified = service.client.get("/api/audit/verify", headers=approver).json()
    assert verified["ok"] is True and verified["entries"] == 1

    # a revision of the same notice: the dismissed finding shows as cleared, the confirmed one does not
    revision = service.upload(drafter, notice_docx(extra="请各乡镇于3月10日前完成发放。"), filename="v2.docx")
    revised = service.wait(drafter, revision["id"])
    cleared = {item["id"] for item in revised["previously_dismissed"]}
    assert other_flags[0]["id"] in cleared and id_flag["id"] not in cleared

    listed = service.client.get("/api/submissions", headers=approver).json()
    assert {row["id"] for row in listed} == {accepted["id"], revision["id"]}


def test_reason_rules(service):
    drafter = service.add_user("d", "drafter", [UNIT])
    approver = service.add_user("a", "approver", [UNIT])
    submission = service.upload(drafter, notice_docx())
    report = service.wait(drafter, submission["id"])["report"]
    url = f"/api/submissions/{submission['id']}/decision"
    for attribute in ("on_request", "withheld"):
        response = service.client.post(url, headers=approver, json={"attribute": attribute, "reason": "  "})
        assert response.status_code == 422
        assert "必须填写理由" in response.json()["detail"]["message"]
    unknown = service.client.post(url, headers=approver, json={
        "attribute": "withheld", "reason": "x", "flags": [{"id": "0000000000000000", "verdict": "dismissed"}]})
    assert unknown.status_code == 422 and unknown.json()["detail"]["code"] == "unknown_flag"
    assert service.client.post(url, headers=approver, json={"attribute": "public"}).status_code == 422
    if report["attribute"]["suggested"] == "proactive":  # agreeing with a proactive suggestion needs no reason
        assert service.client.post(url, headers=approver, json={"attribute": "proactive"}).status_code == 200


def test_approver_of_another_unit_sees_nothing(service):
    drafter = service.add_user("d", "drafter", [UNIT])
    stranger = service.add_user("s", "approver", ["另一个单位"])
    other_drafter = service.add_user("od", "drafter", ["另一个单位"])
    submission = service.upload(drafter, notice_docx())
    service.wait(drafter, submission["id"])
    for headers in (stranger, other_drafter):
        assert service.client.get(f"/api/submissions/{submission['id']}", headers=headers).status_code == 404
        assert service.client.get("/api/submissions", headers=headers).json() == []
    response = service.client.post(f"/api/submissions/{submission['id']}/decision", headers=stranger,
                                   json={"attribute": "withheld", "reason": "x"})
    assert response.status_code == 404


def test_the_same_file_from_another_unit_is_its_own_submission(service):
    first = service.add_user("d1", "drafter", [UNIT])
    second = service.add_user("d2", "drafter", ["另一个单位"])
    data = notice_docx()
    assert service.upload(first, data)["id"] != service.upload(second, data)["id"]


def test_tampering_breaks_the_chain(service):
    drafter = service.add_user("d", "drafter", [UNIT])
    approver = service.add_user("a", "approver", [UNIT])
    ids = [service.upload(drafter, notice_docx(extra=str(n)))["id"] for n in range(2)]
    for submission_id in ids:
        service.wait(drafter, submission_id)
        response = service.client.post(f"/api/submissions/{submission_id}/decision", headers=approver,
                                       json={"attribute": "withheld", "reason": "涉及个人隐私"})
        assert response.status_code == 200
    assert service.client.get("/api/audit/verify", headers=approver).json()["ok"] is True

    with service.app.state.sessions() as session:  # someone edits a sealed decision in the database
        session.execute(update(Decision).where(Decision.submission_id == ids[0]).values(attribute="proactive"))
        session.commit()
    result = service.client.get("/api/audit/verify", headers=approver).json()
    assert result["ok"] is False and result["problems"][0]["problem"] == "decision differs from its audit entry"

    with service.app.state.sessions() as session:  # ... and then rewrites the log entry to match
        session.execute(update(Decision).where(Decision.submission_id == ids[0]).values(attribute="withheld"))
        entry = session.get(AuditEntry, 1)
        entry.payload = {**entry.payload, "reason": "改写过的理由"}
        session.commit()
    result = service.client.get("/api/audit/verify", headers=approver).json()
    assert result["ok"] is False
    assert {"entry": 1, "problem": "hash does not match the entry's content"} in result["problems"]


def test_failed_review_is_recorded_and_can_be_retried(service):
    drafter = service.add_user("d", "drafter", [UNIT])
    submission = service.upload(drafter, notice_docx())
    service.wait(drafter, submission["id"])
    with service.app.state.sessions() as session:  # as if the review had died: mark it failed
        session.execute(update(Submission).where(Submission.id == submission["id"])
                        .values(status="failed", error="审查进程异常退出", error_code="E_WORKER"))
        session.commit()
    failed = service.client.get(f"/api/submissions/{submission['id']}", headers=drafter).json()
    assert failed["status"] == "failed" and failed["error_code"] == "E_WORKER"
    retried = service.client.post(f"/api/submissions/{submission['id']}/retry", headers=drafter)
    assert retried.status_code == 202
    body = service.wait(drafter, submission["id"])
    assert body["status"] == "reviewed" and body["attempts"] == 2
    assert service.client.post(f"/api/submissions/{submission['id']}/retry", headers=drafter).status_code == 409

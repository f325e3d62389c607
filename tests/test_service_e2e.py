"""The web UI end to end in headless Chromium (Debian's, driven by Playwright; no browser download):
a drafter uploads a docx holding an ID number, the approver sees it highlighted, dismisses a false flag,
overrides the suggested attribute with a reason and seals; the ledger and the audit page show it.
Screenshots are saved in tests/artifacts/service-e2e/ (git-ignored), for CI to keep."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from service_fixtures import *  # noqa: F403
from service_fixtures import PASSWORD, id_number, make_settings, notice_docx

from review.service.accounts import create_user
from review.service.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
UNIT = "示例县民政局"
TITLE = "关于发放临时救助金的通知"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live_server(tmp_path):
    import uvicorn

    app = create_app(make_settings(tmp_path / "data"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    with app.state.sessions() as session:
        create_user(session, "起草人", "drafter", [UNIT], PASSWORD)
        create_user(session, "审核人", "approver", [UNIT], PASSWORD)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/submissions")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed")
def test_drafter_uploads_and_approver_seals(live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, shots = live_server, Path(__file__).resolve().parent / "artifacts" / "service-e2e"
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    upload = tmp_path / "救助通知.docx"
    upload.write_bytes(notice_docx())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            drafter = browser.new_context(locale="zh-CN").new_page()
            log_in(drafter, base, "起草人")
            drafter.set_input_files("input[type=file]", str(upload))
            drafter.fill("input[name=title]", TITLE)
            drafter.select_option("select[name=proposed_attribute]", "proactive")
            drafter.click("form.upload button[type=submit]")
            drafter.wait_for_url(f"{base}/submissions/*")
            submission_url = drafter.url
            drafter.screenshot(path=str(shots / "1-drafter-submitted.png"), full_page=True)

            approver = browser.new_context(locale="zh-CN").new_page()
            log_in(approver, base, "审核人")
            approver.click(f"text={TITLE}")
            deadline = time.monotonic() + 60
            while approver.locator("mark.flag").count() == 0 and time.monotonic() < deadline:
                time.sleep(0.3)
                approver.reload()
            id_mark = approver.locator("mark.flag", has_text=id_number())
            expect(id_mark).to_have_count(1)
            id_mark.click()  # shows its card: explanation and legal basis
            card = approver.locator(".card.active")
            expect(card).to_contain_text("身份证")
            expect(card.locator(".basis").first).to_contain_text("条")
            approver.screenshot(path=str(shots / "2-approver-highlighted.png"), full_page=True)

            mobile_card = approver.locator(".card", has=approver.locator("code", has_text="mobile"))
            mobile_card.locator("input[value=dismissed]").check()
            mobile_card.locator("input[name^=comment-]").fill("民政办公开的值班电话")
            suggested = approver.locator("#suggested").get_attribute("data-value")
            chosen = "on_request" if suggested != "on_request" else "withheld"
            approver.select_option("#attribute", chosen)
            expect(approver.locator("#reason")).to_have_attribute("required", "")
            approver.fill("#reason", "含申请人身份信息，改为依申请公开")
            approver.click("button.seal")
            expect(approver.locator("#sealed")).to_contain_text("已审定")
            expect(approver.locator("#status")).to_have_text("已审定")
            approver.screenshot(path=str(shots / "3-sealed.png"), full_page=True)

            approver.goto(f"{base}/ledger")
            row = approver.locator("#ledger tbody tr", has_text=TITLE)
            expect(row).to_contain_text("含申请人身份信息，改为依申请公开")
            expect(row).to_contain_text("审核人")
            approver.screenshot(path=str(shots / "4-ledger.png"), full_page=True)
            approver.goto(f"{base}/catalog")
            expect(approver.locator("#catalog")).not_to_contain_text(TITLE)  # not proactive: not in the catalog
            approver.goto(f"{base}/audit")
            expect(approver.locator("#audit-result")).to_contain_text("校验通过：1 条记录")
            approver.screenshot(path=str(shots / "5-audit.png"), full_page=True)

            drafter.goto(submission_url)
            expect(drafter.locator("#sealed")).to_contain_text("依申请公开" if chosen == "on_request" else "不予公开")
            expect(drafter.locator("button.seal")).to_have_count(0)  # drafters never see the seal
        finally:
            browser.close()
    print(f"screenshots: {shots}")
    assert len(list(shots.glob("*.png"))) == 5

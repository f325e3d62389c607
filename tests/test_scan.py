"""`review scan`: walk, dedupe, review in workers, ledger, resume, outputs, baselines."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from selectolax.lexbor import LexborHTMLParser as HTMLParser

import scan_fixtures as fx
from review.cli import main
from review.config import ScanConfig
from review.errors import TIMEOUT, WORKER_LOST
from review.scan.ledger import Finished, Ledger
from review.scan.outputs import write_outputs
from review.scan.runner import ScanOptions, run_scan


def reports_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "reports.jsonl").read_text(encoding="utf-8").splitlines()]


def by_path(out: Path) -> dict[str, dict]:
    rows = reports_of(out)
    paths = [r["path"] for r in rows]
    assert len(paths) == len(set(paths)), "a document appears twice in reports.jsonl"
    return {r["path"]: r for r in rows}


def scan(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["scan", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("archive")
    return root, fx.build_archive(root)


@pytest.fixture(scope="module")
def scanned(archive, tmp_path_factory) -> Path:
    root, _ = archive
    out = tmp_path_factory.mktemp("out")
    code, output = scan([str(root), "--out", str(out), "--workers", "2"])
    assert code == 0, output
    return out


def test_every_document_once_with_its_findings(archive, scanned):
    _, expected = archive
    reports = by_path(scanned)
    assert set(reports) == set(expected)
    for path, kind in expected.items():
        report = reports[path]
        if kind == "error":
            assert report["error"] and report["error_code"], path
        else:
            assert report["error"] is None, (path, report["error"])
        categories = {f["category"] for f in report["flags"] if f["severity"] != "info"}
        if kind in ("personal", "duplicate"):  # the duplicate carries its twin's findings
            assert "personal" in categories, path
    id_flags = [f for f in reports["名单/申请人.txt"]["flags"] if f["type"] == "id_card"]
    assert id_flags and id_flags[0]["text"] == fx.valid_id()


def test_a_duplicate_points_at_its_twin_and_is_not_reviewed_again(scanned):
    reports = by_path(scanned)
    pair = [reports["名单/申请人-副本.txt"], reports["名单/申请人.txt"]]  # walked in sorted order: 副本 first
    original, copy = sorted(pair, key=lambda r: r["duplicate_of"] is not None)
    assert original["duplicate_of"] is None and copy["duplicate_of"] == original["path"]
    assert copy["sha256"] == original["sha256"]
    assert copy["timings"] == {}  # no second review
    assert [f["id"] for f in copy["flags"]] == [f["id"] for f in original["flags"]]


def test_zip_members_are_labelled_never_extracted_by_name(archive, scanned):
    root, _ = archive
    reports = by_path(scanned)
    assert "旧档案.zip!/../逃逸.txt" in reports
    assert not (root.parent / "逃逸.txt").exists()
    nested = reports["旧档案.zip!/内层.zip!/深层/联系人.txt"]
    assert any(f["type"] == "mobile" for f in nested["flags"])


def test_summary_csv_and_xlsx_have_one_row_per_document(archive, scanned):
    _, expected = archive
    with open(scanned / "summary.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {row["path"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(expected)
    applicant = rows["名单/申请人.txt"]
    assert int(applicant["n_personal"]) >= 2
    assert fx.valid_id() not in applicant["top_flags"]  # the summary shows masked forms only
    assert rows["空文件.txt"]["error"]
    sheet = load_workbook(scanned / "summary.xlsx", read_only=True)["台账"]
    values = list(sheet.values)
    assert values[0][:3] == ("路径", "格式", "发文字号")
    assert len(values) == len(expected) + 1


def test_report_html_is_self_contained(scanned):
    page = (scanned / "report.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page and "plotly.js" in page.lower()
    tree = HTMLParser(page)
    assert not [node for node in tree.css("script, link, img, iframe") if node.attributes.get("src")
                or node.attributes.get("href")], "report.html loads something from outside itself"
    assert "名单/申请人.txt" in page
    assert fx.valid_id() not in page  # findings appear masked


@pytest.fixture
def working_copy(archive, tmp_path) -> Path:
    """A copy of the archive that a test may change."""
    work = tmp_path / "copy"
    shutil.copytree(archive[0], work)
    return work


def test_rerun_skips_what_is_done_and_picks_up_changes(archive, working_copy, tmp_path):
    _, expected = archive
    work = working_copy
    out = tmp_path / "out"
    assert scan([str(work), "--out", str(out), "--workers", "1"])[0] == 0
    code, output = scan([str(work), "--out", str(out), "--workers", "1"])
    assert code == 0 and f"0 reviewed, {len(expected)} already done" in output
    changed = work / "通知" / "通知1.txt"
    changed.write_text(fx.notice(1, "联系人王某某，手机13512345678。"), encoding="utf-8")
    os.utime(changed, (time.time() + 5, time.time() + 5))
    code, output = scan([str(work), "--out", str(out), "--workers", "1"])
    assert "1 reviewed" in output
    reports = by_path(out)  # the superseded line is gone: still one line per document
    assert len(reports) == len(expected)
    assert any(f["type"] == "mobile" for f in reports["通知/通知1.txt"]["flags"])


def test_baseline_reports_only_new_findings_and_fail_on_gates(working_copy, tmp_path):
    work = working_copy
    first = tmp_path / "first"
    assert scan([str(work), "--out", str(first), "--workers", "1"])[0] == 0
    code, output = scan([str(work), "--out", str(tmp_path / "same"), "--workers", "1",
                         "--baseline", str(first / "reports.jsonl"), "--fail-on", "medium"])
    assert code == 0, output
    assert "0 new findings" in output
    (work / "新增.txt").write_text(fx.notice(3, f"身份证号{fx.valid_id('44030619851203001')}"), encoding="utf-8")
    later = tmp_path / "later"
    code, output = scan([str(work), "--out", str(later), "--workers", "1",
                         "--baseline", str(first / "reports.jsonl"), "--fail-on", "high"])
    assert code == 1, output
    ledger = Ledger(later)
    assert ledger.new_findings_at_or_above(("high",)) == 1
    ledger.close()


def test_a_crashing_or_hanging_file_becomes_an_error_row_and_the_scan_goes_on(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    for name in ("a.txt", "crash.txt", "hang.txt", "z.txt"):
        (root / name).write_text(fx.notice(len(name), name), encoding="utf-8")
    config = ScanConfig(timeout_seconds=1)
    options = ScanOptions(workers=2, reviewer=fx.crash_or_hang, hard_timeout_seconds=4.0)
    tally, ledger = run_scan([str(root)], str(tmp_path / "out"), config, options)
    ledger.close()
    reports = by_path(tmp_path / "out")
    assert set(reports) == {"a.txt", "crash.txt", "hang.txt", "z.txt"}
    assert reports["crash.txt"]["error_code"] == WORKER_LOST and "exit code 7" in reports["crash.txt"]["error"]
    assert reports["hang.txt"]["error_code"] == TIMEOUT
    assert reports["a.txt"]["error"] is None and reports["z.txt"]["error"] is None
    assert tally.errors == 2


def test_ledger_cuts_back_lines_whose_batch_never_committed(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.record([Finished(path="a", size=1, mtime=1.0, sha256="x", line=b'{"path": "a"}\n')])
    ledger.close()
    with open(tmp_path / "reports.jsonl", "ab") as handle:  # a run killed after writing, before committing
        handle.write(b'{"path": "b"}\n{"path": "c"')
    ledger = Ledger(tmp_path)
    assert (tmp_path / "reports.jsonl").read_bytes() == b'{"path": "a"}\n'
    assert ledger.recorded("b") is None and ledger.recorded("a").sha256 == "x"
    ledger.close()


@pytest.mark.slow
def test_sigkill_at_any_moment_then_rerun_gives_every_document_exactly_once(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    for n in range(120):
        (root / f"doc{n:03}.txt").write_text(fx.notice(n, f"手机1391234{n:04}。"), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "review.cli", "scan", str(root), "--out", str(out), "--workers", "2"]
    for wait_lines in (1, 40):  # kill early, then again later on the resumed run
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            reports = out / "reports.jsonl"
            if reports.exists() and reports.read_bytes().count(b"\n") >= wait_lines:
                break
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert subprocess.run(command, capture_output=True, timeout=300).returncode == 0
    reports = by_path(out)
    assert set(reports) == {f"doc{n:03}.txt" for n in range(120)}
    assert all(r["error"] is None for r in reports.values())


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_reports_and_resumes(archive, scanned, tmp_path):
    root, expected = archive
    out = tmp_path / "dask"
    code, output = scan([str(root), "--out", str(out), "--dask-local", "2"])
    assert code == 0, output
    local, distributed = by_path(scanned), by_path(out)
    assert set(distributed) == set(expected)
    for path in expected:
        assert [f["id"] for f in distributed[path]["flags"]] == [f["id"] for f in local[path]["flags"]], path
        assert distributed[path]["attribute"]["suggested"] == local[path]["attribute"]["suggested"]
    code, output = scan([str(root), "--out", str(out), "--dask-local", "1"])
    assert f"0 reviewed, {len(expected)} already done" in output


def test_outputs_of_an_empty_scan(tmp_path):
    (tmp_path / "in").mkdir()
    code, _ = scan([str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert code == 0
    write_outputs(tmp_path / "out")
    assert "没有发现问题" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_report_html_renders_in_chromium(scanned, tmp_path):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.goto((scanned / "report.html").as_uri())
        page.wait_for_selector("#chart-attributes .main-svg", timeout=15000)
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert page.locator("#n-documents").inner_text() == str(len(reports_of(scanned)))
        assert page.locator("#risk-table tbody tr").count() >= 3
        assert page.locator("#chart-rules .main-svg").count() >= 1
        browser.close()
    assert not problems
    assert (tmp_path / "report.png").stat().st_size > 20_000


def test_an_output_folder_inside_the_scanned_root_is_not_scanned(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_text(fx.notice(1), encoding="utf-8")
    for _ in range(2):  # the second run would otherwise review the first run's reports and summaries
        code, output = scan([str(root), "--out", str(root / "scan-out"), "--workers", "1"])
        assert code == 0, output
    assert set(by_path(root / "scan-out")) == {"a.txt"}

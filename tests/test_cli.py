"""`review check`: output formats and exit codes, through the installed console script."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import docx_fixtures as fx
from review.report import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    exe = shutil.which("review") or str(Path(sys.executable).parent / "review")
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    clean = fx.simple_docx(folder / "clean.docx", ["关于做好某项工作的通知", "各单位：请按要求做好相关工作。"])
    flagged = fx.rich_docx(folder / "flagged.docx")
    broken = folder / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot really")
    return {"clean": str(clean), "flagged": str(flagged), "broken": str(broken)}


def test_exit_0_when_clean(files):
    result = run("check", files["clean"])
    assert result.returncode == 0, result.stderr
    assert "no flags" in result.stdout


def test_exit_1_and_readable_summary_when_flagged(files):
    result = run("check", files["flagged"])
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "[隐藏内容 hidden]" in out and "hidden.comment" in out
    assert fx.COMMENT[:8] in out  # context snippet
    assert "依据: 《中华人民共和国政府信息公开条例》第十七条" in out
    assert "建议:" in out


def test_exit_3_when_a_document_fails_and_the_batch_goes_on(files):
    result = run("check", files["broken"], files["flagged"], "--format", "jsonl")
    assert result.returncode == 3
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["path"] for r in reports] == [files["broken"], files["flagged"]]  # path as given
    assert reports[0]["error"] and reports[0]["error_code"] == "D004"
    assert reports[1]["error"] is None and reports[1]["flags"]


def test_json_format_is_one_array(files):
    result = run("check", files["clean"], files["flagged"], "--format", "json")
    reports = json.loads(result.stdout)
    assert [r["schema_version"] for r in reports] == [SCHEMA_VERSION, SCHEMA_VERSION]


def test_usage_errors_exit_2(tmp_path, files):
    assert run("check").returncode == 2
    assert run("check", files["clean"], "--format", "xml").returncode == 2
    bad_config = tmp_path / "bad.yaml"
    bad_config.write_text("max_file_bytes: lots\n", encoding="utf-8")
    result = run("check", files["clean"], "--config", str(bad_config))
    assert result.returncode == 2 and "bad.yaml" in result.stderr
    broken_pack = tmp_path / "pack.yaml"
    broken_pack.write_text("pack: x\n", encoding="utf-8")
    config = tmp_path / "ok.yaml"
    config.write_text(f"rule_packs: ['{broken_pack}']\n", encoding="utf-8")
    result = run("check", files["clean"], "--config", str(config))
    assert result.returncode == 2 and "pack.yaml" in result.stderr


def test_folder_is_walked(files):
    folder = str(Path(files["clean"]).parent)
    result = run("check", folder, "--format", "jsonl")
    assert len(result.stdout.splitlines()) == 3


def test_bundled_samples_review_without_error():
    result = run("check", str(ROOT / "samples"), "--format", "jsonl")
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) >= 4
    assert all(r["error"] is None for r in reports), [r["error"] for r in reports]
    assert result.returncode == 1  # the samples carry findings to show

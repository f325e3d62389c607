"""The shared development set: every document gives a report without error, and the intake flags find
every hidden item and every failed redaction (scored by ../shared/eval/score.py, as CI's reviewers do)."""

import json
import subprocess
import sys

import pytest

from review.pipeline import review_file


@pytest.fixture(scope="module")
def devset_reports(shared_dir, tmp_path_factory):
    labels = [json.loads(line) for line in (shared_dir / "devset" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    reports = [review_file(str(shared_dir / "devset" / label["file"])) for label in labels]
    out = tmp_path_factory.mktemp("devset") / "reports.jsonl"
    out.write_text("".join(r.to_json() + "\n" for r in reports), encoding="utf-8")
    return labels, reports, out


def test_every_devset_document_is_read(devset_reports):
    labels, reports, _ = devset_reports
    assert len(reports) == len(labels) == 45
    assert [r.path for r in reports if r.error] == []


def test_devset_formats_and_encodings(devset_reports):
    labels, reports, _ = devset_reports
    for label, report in zip(labels, reports):
        assert report.format == label["format"], label["file"]
    encodings = {r.encoding for r in reports if r.format == "txt"}
    assert encodings == {"utf-8", "utf-8-sig", "gbk", "gb18030"}


def test_hidden_and_redaction_recall_is_complete(devset_reports, shared_dir):
    _, _, out = devset_reports
    result = subprocess.run([sys.executable, str(shared_dir / "eval" / "score.py"), "--labels",
                             str(shared_dir / "devset" / "labels.jsonl"), "--reports", str(out), "--json",
                             "--min-recall", "hidden=1.0", "--min-recall", "redaction=1.0"],
                            capture_output=True, text=True)
    figures = json.loads(result.stdout.splitlines()[0])
    assert figures["errors"] == 0
    assert figures["recall"]["hidden"] == 1.0 and figures["recall"]["redaction"] == 1.0, figures
    assert result.returncode == 0, result.stdout

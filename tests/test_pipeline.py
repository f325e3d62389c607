"""One document in, one Report out: bad input of every kind gives a report with a plain error, never an
exception; intake raises its own flags, each one explained."""

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import docx_fixtures as fx
from review import errors
from review.config import ScanConfig
from review.pipeline import review_file
from review.report import SCHEMA_VERSION, Report, fingerprint, report_json_schema

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rich_report(tmp_path_factory):
    path = fx.rich_docx(tmp_path_factory.mktemp("pipeline") / "rich.docx")
    return review_file(str(path))


def test_report_contract(rich_report):
    report = rich_report
    assert report.schema_version == SCHEMA_VERSION
    assert report.error is None and report.format == "docx" and len(report.sha256) == 64
    # the rich fixture prints 秘密★1年 in its page header: the marking decides, not the model
    assert report.attribute.suggested == "withheld"
    assert report.attribute.reasons[0].code == "secret_marking"
    assert report.attribute.reasons[0].legal_basis.article == "第十四条"
    assert {"read", "structure", "detect", "total"} <= set(report.timings)
    Report.model_validate_json(report.to_json())  # round trip


def test_intake_flags_explain_themselves(rich_report):
    by_rule = {}
    for flag in rich_report.flags:
        by_rule.setdefault(flag.rule, []).append(flag)
        assert flag.explanation.summary and flag.explanation.steps
        assert flag.legal_basis and all(b.article.startswith("第") for b in flag.legal_basis)
        assert flag.suggestion and flag.id == fingerprint(flag.rule, flag.text)
        assert flag.location.part
    assert [f.text for f in by_rule["hidden.comment"]] == [fx.COMMENT]
    assert [f.text for f in by_rule["hidden.tracked_deletion"]] == [fx.DELETED]
    assert [f.text for f in by_rule["hidden.tracked_insertion"]] == [fx.INSERTED]
    assert [f.text for f in by_rule["hidden.hidden_text"]] == [fx.HIDDEN]
    assert [f.text for f in by_rule["hidden.white_text"]] == [fx.WHITE]
    assert [f.text for f in by_rule["hidden.tiny_text"]] == [fx.TINY]
    assert sorted(f.text for f in by_rule["hidden.doc_property"]) == sorted(
        [fx.AUTHOR, fx.LAST_MODIFIED_BY, fx.COMPANY, fx.CUSTOM])
    assert [f.text for f in by_rule["hidden.embedded_object"]] == ["oleObject1.bin"]
    comment = by_rule["hidden.comment"][0]
    assert "王审核" in comment.explanation.summary  # who wrote it
    assert comment.severity == "high"


def test_default_account_names_are_not_flagged(tmp_path):
    path = fx.simple_docx(tmp_path / "plain.docx", ["关于做好某项工作的通知", "正文。"], author="Administrator")
    report = review_file(str(path))
    assert report.error is None
    assert not [f for f in report.flags if f.rule == "hidden.doc_property"]


def test_organ_as_author_is_info_only(tmp_path):
    path = fx.simple_docx(tmp_path / "organ.docx", ["关于做好某项工作的通知"], author="示例县农业农村局")
    flags = [f for f in review_file(str(path)).flags if f.rule == "hidden.doc_property"]
    assert len(flags) == 2  # creator and last modified by
    assert all(f.severity == "info" and f.explanation.steps[-1].detail == "is_government_organ" for f in flags)
    path = fx.simple_docx(tmp_path / "firm.docx", ["关于做好某项工作的通知"], author="某某信息技术有限公司")
    flags = [f for f in review_file(str(path)).flags if f.rule == "hidden.doc_property"]
    assert [f.severity for f in flags] == ["medium", "medium"]


def test_fingerprint_ignores_width_and_space():
    assert fingerprint("r.x", "１３９ 0000 0000") == fingerprint("r.x", "13900000000")
    assert fingerprint("r.x", "a") != fingerprint("r.y", "a")


def _write(tmp_path, name, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("name,data,code", [
    ("empty.txt", b"", errors.EMPTY),
    ("blank.txt", b" \n\r\n\t ", errors.EMPTY),
    ("picture.docx", b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02" * 400, errors.UNSUPPORTED),
    ("garbage.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 20, errors.CORRUPT),
    ("archive.zip", None, errors.UNSUPPORTED),
    ("missing.docx", None, errors.NOT_FOUND),
])
def test_bad_input_gives_an_error_report(tmp_path, name, data, code):
    if name == "archive.zip":
        import zipfile
        path = str(tmp_path / name)
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.txt", "x")
    elif data is None:
        path = str(tmp_path / name)
    else:
        path = _write(tmp_path, name, data)
    report = review_file(path)
    assert report.error_code == code, report.error
    assert report.error and "Traceback" not in report.error
    assert report.flags == []


def test_oversized_file(tmp_path):
    path = _write(tmp_path, "big.txt", "正文内容。\n".encode() * 1000)
    report = review_file(path, ScanConfig(max_file_bytes=1000))
    assert report.error_code == errors.TOO_LARGE and "limit" in report.error


def test_timeout(tmp_path):
    path = _write(tmp_path, "long.txt", "正文内容。\n".encode() * 20000)
    report = review_file(path, ScanConfig(timeout_seconds=0.0))
    assert report.error_code == errors.TIMEOUT


def test_mislabelled_file_is_read_by_content(tmp_path):
    docx_path = fx.simple_docx(tmp_path / "real.docx", ["关于做好某项工作的通知"])
    disguised = tmp_path / "looks-like.pdf"
    disguised.write_bytes(docx_path.read_bytes())
    report = review_file(str(disguised))
    assert report.error is None and report.format == "docx"
    assert any(".pdf" in w and "docx" in w for w in report.warnings)


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gb18030"), ("utf-16", "utf-16"),
])
def test_text_encodings(tmp_path, encoding, expected):
    text = "阳朔县人力资源和社会保障局关于事业单位拟聘用人员的公示\n经研究，现将拟聘用人员名单予以公示。\n"
    if encoding == "gb18030":
        text += "当事人：李䶮\n"  # U+4DAE (CJK Ext-A) is outside GBK
    path = _write(tmp_path, f"{encoding}.txt", text.encode(encoding))
    report = review_file(path)
    assert report.error is None and report.encoding == expected
    assert report.metadata.title is None or "公示" in report.metadata.title


def test_bad_rule_pack_is_named(tmp_path):
    from review.errors import RulePackError
    from review.rules import load_pack
    bad = tmp_path / "agency.yaml"
    bad.write_text("pack: agency\nversion: '1'\nrules:\n  - id: agency.x\n    category: nonsense\n    type: t\n"
                   "    severity: high\n    description: 测试规则说明\n    legal_basis: []\n    suggestion: s\n",
                   encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_pack(bad)
    assert "agency.yaml" in str(caught.value) and "agency.x" in str(caught.value)


def test_every_shipped_rule_explains_itself():
    from review.rules import load_rules
    for rule in load_rules().rules.values():
        assert rule.description and rule.legal_basis and rule.suggestion
        assert all(basis.quote for basis in rule.legal_basis), rule.id


def test_committed_schema_matches_the_model():
    committed = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
    assert committed == report_json_schema(), "regenerate: python -m review.report > docs/report.schema.json"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=3000), suffix=st.sampled_from([".txt", ".docx", ".pdf", ".html", ".ofd",
                                                                          ".xlsx", ".csv", ""]))
def test_random_bytes_always_give_a_report(tmp_path, data, suffix):
    path = _write(tmp_path, "random" + suffix, data)
    report = review_file(path)
    assert isinstance(report, Report)
    assert report.error is None or report.error_code != errors.INTERNAL, report.error
    os.remove(path)

"""Consistency checks on the disclosure attribute: each check decided on documents with a given suggestion
(pure functions), and every consistency rule's examples reviewed through the whole pipeline."""

import pytest

from review.config import ScanConfig
from review.consistency import (consistency_flags, declared_attribute_flags, general_reply_flags,
                                implementing_document_flags, is_general_reply, superior_reference)
from review.document import Document
from review.pipeline import analyse, review_document
from review.report import Attribute, AttributeReason, Report
from review.rules import load_rules

RULES = load_rules()
CONSISTENCY_RULES = [rule for rule in RULES.rules.values() if rule.category == "consistency"]


def analysed(text):
    document = Document.from_text(text, "draft.txt")
    metadata, flags, _ = analyse(document, ScanConfig())
    return document, metadata, flags


def suggested(value, code="model"):
    if value == "needs_review":  # unsure: the safer default, and the approver decides
        return Attribute(suggested="on_request", confidence=0.5, candidates=["proactive", "on_request"],
                         needs_review=True, reasons=[AttributeReason(code=code, text="test suggestion")])
    return Attribute(suggested=value, confidence=0.9, candidates=[value],
                     reasons=[AttributeReason(code=code, text="test suggestion")])


NOTICE = "泰州市海陵区农业农村局\n关于做好秋冬季农作物秸秆综合利用工作的通知\n各镇人民政府、街道办事处：\n" \
         "　　请各地落实秸秆还田和收储运体系建设任务。\n泰州市海陵区农业农村局\n2025年9月1日\n{note}"


# --- (a) the declaration against the suggestion -----------------------------------------------------
@pytest.mark.parametrize("note,suggestion,rule,severity", [
    ("（此件公开发布）", "withheld", "consistency.declared_more_open", "high"),
    ("（此件公开发布）", "on_request", "consistency.declared_more_open", "medium"),
    ("（此件依申请公开）", "withheld", "consistency.declared_more_open", "medium"),
    ("（此件不予公开）", "proactive", "consistency.declared_less_open", "medium"),
    ("（此件依申请公开）", "proactive", "consistency.declared_less_open", "low"),
    ("（此件不予公开）", "on_request", "consistency.declared_less_open", "low"),
])
def test_a_declaration_that_contradicts_the_suggestion_is_flagged(note, suggestion, rule, severity):
    document, metadata, flags = analysed(NOTICE.format(note=note))
    found = declared_attribute_flags(document, metadata, flags, suggested(suggestion), RULES)
    assert [(f.rule, f.severity) for f in found] == [(rule, severity)]
    flag = found[0]
    assert flag.category == "consistency" and flag.text == note
    assert document.visible_text[flag.start:flag.end] == note  # points at the 附注 itself
    assert flag.legal_basis and flag.suggestion and flag.explanation.steps


@pytest.mark.parametrize("note,suggestion", [("（此件公开发布）", "proactive"), ("（此件不予公开）", "withheld"),
                                             ("（此件公开发布）", "needs_review"), ("", "withheld")])
def test_agreement_review_or_no_declaration_raise_nothing(note, suggestion):
    document, metadata, flags = analysed(NOTICE.format(note=note))
    assert declared_attribute_flags(document, metadata, flags, suggested(suggestion), RULES) == []


def test_a_portal_declaration_is_found_on_its_line():
    document, metadata, flags = analysed(NOTICE.format(note="") + "\n公开方式：主动公开")
    found = declared_attribute_flags(document, metadata, flags, suggested("withheld"), RULES)
    assert found and found[0].severity == "high" and found[0].text.startswith("公开方式")


# --- (b) implementing documents ----------------------------------------------------------------------
IMPLEMENTING = "南通市崇川区人民政府办公室\n关于贯彻落实《江苏省数字经济促进条例》的实施方案\n各街道办事处，区各有关部门：\n" \
               "　　为加快数字经济发展，结合我区实际，制定本方案。\n南通市崇川区人民政府办公室\n2025年6月3日\n{note}"
BY_NUMBER = "宿迁市宿城区人民政府\n关于促进农业社会化服务发展的实施意见\n各乡镇人民政府：\n" \
            "　　为贯彻落实省政府有关部署（苏政发〔2024〕21号），推动农业社会化服务提质增效，提出如下意见。\n" \
            "宿迁市宿城区人民政府\n2025年2月8日\n{note}"
BY_CUE = "扬州市江都区人民政府\n关于加快发展银发经济的实施意见\n各镇人民政府：\n" \
         "　　为贯彻落实《江苏省关于发展银发经济增进老年人福祉的实施意见》，提出如下意见。\n扬州市江都区人民政府\n2025年3月8日"


def test_the_superior_document_is_found_in_the_title_in_the_opening_or_by_its_number():
    assert superior_reference(*analysed(IMPLEMENTING.format(note=""))[:2]) == "《江苏省数字经济促进条例》"
    assert superior_reference(*analysed(BY_CUE)[:2]) == "《江苏省关于发展银发经济增进老年人福祉的实施意见》"
    assert superior_reference(*analysed(BY_NUMBER.format(note=""))[:2]) == "苏政发〔2024〕21号"
    assert superior_reference(*analysed(NOTICE.format(note=""))[:2]) is None  # not an implementing title


@pytest.mark.parametrize("note,suggestion,severity", [
    ("（此件依申请公开）", "on_request", "medium"), ("（此件不予公开）", "withheld", "medium"),
    ("", "on_request", "low"), ("", "withheld", "low"),
])
def test_an_implementing_document_less_open_than_its_published_superior_is_flagged(note, suggestion, severity):
    document, metadata, flags = analysed(IMPLEMENTING.format(note=note))
    found = implementing_document_flags(document, metadata, flags, suggested(suggestion), RULES)
    assert [(f.rule, f.severity, f.text) for f in found] == \
        [("consistency.implementing_less_open", severity, "《江苏省数字经济促进条例》")]


@pytest.mark.parametrize("text,suggestion,code", [
    (IMPLEMENTING.format(note="（此件公开发布）"), "proactive", "model"),
    (IMPLEMENTING.format(note=""), "proactive", "model"),
    (IMPLEMENTING.format(note="（此件不予公开）"), "withheld", "secret_marking"),  # a marking withholds lawfully
    (IMPLEMENTING.format(note="（此件依申请公开）").replace("的实施方案\n", "的实施方案\n（征求意见稿）\n"), "on_request", "model"),
])
def test_proactive_lawfully_withheld_or_draft_implementing_documents_are_not_flagged(text, suggestion, code):
    document, metadata, flags = analysed(text)
    assert implementing_document_flags(document, metadata, flags, suggested(suggestion, code), RULES) == []


# --- (c) 复函 of general significance ----------------------------------------------------------------
REPLY = "镇江市财政局\n关于{subject}的复函\n{to}：\n　　你{you}《关于有关问题的请示》收悉。经研究，函复如下：\n" \
        "　　{body}\n　　此复。\n镇江市财政局\n2025年5月12日\n（此件依申请公开）"
GENERAL = dict(subject="行政事业单位资产处置收入上缴政策适用问题", to="丹阳市财政局", you="局",
               body="行政单位出租、出借资产取得的收入，扣除相关税费后上缴同级国库，纳入一般公共预算管理。")


def test_a_general_policy_reply_to_an_agency_not_proactive_is_flagged():
    document, metadata, flags = analysed(REPLY.format(**GENERAL))
    assert is_general_reply(document, metadata, flags)
    found = general_reply_flags(document, metadata, flags, suggested("on_request"), RULES)
    assert [(f.rule, f.severity) for f in found] == [("consistency.general_reply_not_proactive", "low")]
    assert found[0].text == metadata.title


@pytest.mark.parametrize("changes", [
    dict(to="镇江恒达商贸有限公司", you="公司"),                                      # a company's own request
    dict(subject="王建国同志退休待遇有关问题", to="丹阳市人力资源和社会保障局"),          # one person's matter
    dict(subject="年度工作安排", body="请按时报送材料。"),                                # no policy question
    dict(body="经研究，同意退还张秀英（身份证号320102198803154521）多缴的费用。"),           # names a private person
])
def test_a_reply_about_one_applicants_matter_is_not_general(changes):
    document, metadata, flags = analysed(REPLY.format(**{**GENERAL, **changes}))
    assert not is_general_reply(document, metadata, flags)
    assert general_reply_flags(document, metadata, flags, suggested("on_request"), RULES) == []


def test_a_general_reply_suggested_or_declared_proactive_is_not_flagged():
    document, metadata, flags = analysed(REPLY.format(**GENERAL))
    assert general_reply_flags(document, metadata, flags, suggested("proactive"), RULES) == []
    document, metadata, flags = analysed(REPLY.format(**GENERAL).replace("（此件依申请公开）", "（此件公开发布）"))
    assert general_reply_flags(document, metadata, flags, suggested("on_request"), RULES) == []


def test_a_disabled_rule_raises_nothing():
    document, metadata, flags = analysed(NOTICE.format(note="（此件公开发布）"))
    without = load_rules(disabled=("consistency.declared_more_open",))
    assert consistency_flags(document, metadata, flags, suggested("withheld"), without) == []


# --- the rules and the pipeline ----------------------------------------------------------------------
def test_every_consistency_rule_has_flag_and_ignore_examples():
    assert {rule.id for rule in CONSISTENCY_RULES} == {
        "consistency.declared_more_open", "consistency.declared_less_open", "consistency.implementing_less_open",
        "consistency.general_reply_not_proactive"}
    for rule in CONSISTENCY_RULES:
        assert rule.examples.ignore, rule.id
        # declared_less_open needs a proactive suggestion against the declaration, which the shipped model
        # does not give on invented documents; its firing is tested above with a given suggestion
        assert rule.examples.flag or rule.id == "consistency.declared_less_open", rule.id


CASES = [(rule.id, kind, text) for rule in CONSISTENCY_RULES for kind in ("flag", "ignore")
         for text in getattr(rule.examples, kind)]


@pytest.mark.parametrize("rule_id,kind,text", CASES, ids=[f"{r}-{k}-{i}" for i, (r, k, _) in enumerate(CASES)])
def test_consistency_rule_example(rule_id, kind, text):
    """Examples are whole documents, reviewed as the approver would get them (shipped model included)."""
    report = review_document(Document.from_text(text, "example.txt"), ScanConfig())
    fired = [f for f in report.flags if f.rule == rule_id and f.severity != "info"]
    if kind == "flag":
        assert fired, f"{rule_id} should flag its example (attribute {report.attribute.suggested})"
    else:
        assert not fired, f"{rule_id} should not flag: {[f.text for f in fired]}"


def test_the_pipeline_appends_consistency_flags_in_order(tmp_path):
    from review.pipeline import review_file
    path = tmp_path / "notice.txt"
    path.write_text("秘密★1年\n" + NOTICE.format(note="（此件公开发布）"), encoding="utf-8")
    report = Report.model_validate_json(review_file(str(path)).to_json())
    assert report.attribute.suggested == "withheld"
    rules = [f.rule for f in report.flags]
    assert "consistency.declared_more_open" in rules
    severities = [f.severity for f in report.flags]
    order = {"high": 3, "medium": 2, "low": 1, "info": 0}
    assert severities == sorted(severities, key=order.get, reverse=True)

"""The proactive-disclosure catalogue (rules/catalogue/proactive.yaml): its examples, and how a match
reaches the attribute as a feature and as a reason citing 条例第二十条."""

import pytest

from review.attribute import LABELS, decide, structural_features
from review.catalogue import load_catalogue, title_of
from review.report import GongwenMetadata

CATALOGUE = load_catalogue()
EXAMPLES = [(item.id, text, True) for item in CATALOGUE.items for text in item.examples.match] + \
           [(item.id, text, False) for item in CATALOGUE.items for text in item.examples.no_match]


def test_every_item_has_examples_and_a_legal_basis():
    for item in CATALOGUE.items:
        assert item.examples.match, item.id
        assert item.article in ("第二十条", "第二十一条") and item.quote
        assert CATALOGUE.basis(item).law == "《中华人民共和国政府信息公开条例》"


@pytest.mark.parametrize("item_id,title,expected", EXAMPLES, ids=[f"{i}:{t}" for i, t, _ in EXAMPLES])
def test_catalogue_examples(item_id, title, expected):
    found = CATALOGUE.match(title)
    if expected:
        assert found is not None and found.id == item_id
    else:
        assert found is None


@pytest.mark.parametrize("title", ["关于2025年部门预算编制的请示", "某市城市道路管理办法（征求意见稿）",
                                   "某县教育事业发展规划（讨论稿）", "县长办公会议纪要"])
def test_process_information_about_listed_subjects_is_not_catalogued(title):
    assert CATALOGUE.match(title) is None


def test_a_match_is_a_structural_feature_of_the_model():
    metadata = GongwenMetadata(title="某县2024年国民经济和社会发展统计公报")
    assert structural_features(metadata, [])["catalogue=art20.4"] == 1.0
    # no 公文 title found: the first line stands in
    assert title_of(GongwenMetadata(), "\n\n2024年度部门决算\n正文") == "2024年度部门决算"
    assert "catalogue=art20.7" in structural_features(GongwenMetadata(), [], "2024年度部门决算\n正文")
    assert not any(key.startswith("catalogue=") for key in structural_features(GongwenMetadata(), [], "会议通知"))


@pytest.mark.parametrize("proactive", [i / 20 for i in range(21)])
def test_the_suggestion_is_always_one_of_the_three_attributes(proactive):
    rest = 1.0 - proactive
    for share in (0.0, 0.3, 0.7, 1.0):
        probabilities = {"proactive": proactive, "on_request": rest * share, "withheld": rest * (1 - share)}
        decision = decide(probabilities, margin=0.2)
        assert decision.suggested in LABELS and len(decision.candidates) == 2
        if decision.suggested == "proactive":
            assert proactive >= 0.6  # publication is never the default of an unsure model


class FixedModel:
    margin = 0.0

    def __init__(self, probabilities):
        self.probabilities_ = probabilities

    def probabilities(self, row):
        return self.probabilities_


BUDGET = "示例县财政局2025年部门预算公开说明\n根据《预算法》，现将本部门2025年预算公开如下。\n一、收支总体情况。"


def attribute_for(text, probabilities):
    from review.attribute import suggest
    from review.config import ScanConfig
    from review.pipeline import analyse
    from review.train import text_document

    document = text_document(text, "t")
    metadata, flags, _ = analyse(document, ScanConfig())
    return suggest(document, metadata, flags, FixedModel(probabilities))


def test_a_proactive_suggestion_cites_the_catalogue_item():
    attribute = attribute_for(BUDGET, {"proactive": 0.98, "on_request": 0.01, "withheld": 0.01})
    assert attribute.suggested == "proactive"
    (reason,) = [r for r in attribute.reasons if r.code == "catalogue"]
    assert reason.legal_basis.article == "第二十条第（七）项" and reason.legal_basis.quote == "财政预算、决算信息"


def test_a_catalogued_document_not_suggested_proactive_is_pointed_out_to_the_approver():
    attribute = attribute_for(BUDGET, {"proactive": 0.1, "on_request": 0.8, "withheld": 0.1})
    assert attribute.suggested == "on_request"
    codes = [r.code for r in attribute.reasons]
    assert "catalogue_not_followed" in codes and "catalogue" not in codes


def test_an_uncatalogued_document_gets_no_catalogue_reason():
    attribute = attribute_for("关于召开季度工作例会的通知\n各科室：定于周五召开例会。",
                              {"proactive": 0.98, "on_request": 0.01, "withheld": 0.01})
    assert not any(r.code.startswith("catalogue") for r in attribute.reasons)

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

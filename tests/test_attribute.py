"""The attribute: legal rules first (never overridden by the model), then the cost matrix, and training
end to end on a tiny corpus of invented documents."""

import json

import pytest

from review.attribute import COSTS, LABELS, decide, expected_costs, suggest
from review.config import ScanConfig
from review.pipeline import analyse
from review.train import evaluate, text_document, train


class AlwaysProactive:
    """A model that would publish everything: the rules must still win."""
    margin = 0.0

    def probabilities(self, row):
        return {"proactive": 1.0, "on_request": 0.0, "withheld": 0.0}


def suggestion(text, model=AlwaysProactive()):
    document = text_document(text, "t")
    metadata, flags, _ = analyse(document, ScanConfig())
    return suggest(document, metadata, flags, model)


def test_a_secret_marking_is_never_proactive():
    attribute = suggestion("秘密★1年\n示例县人民政府办公室文件\n关于做好某项工作的通知\n各乡镇：\n请按要求办理。")
    assert attribute.suggested == "withheld"
    assert attribute.reasons[0].code == "secret_marking"
    assert attribute.reasons[0].legal_basis.article == "第十四条"


def test_stability_control_is_withheld_under_article_14():
    attribute = suggestion("关于某某项目信访情况的报告\n对多次进京上访的3户落实包保稳控措施。")
    assert attribute.suggested == "withheld"
    assert any(r.legal_basis and r.legal_basis.article == "第十四条" for r in attribute.reasons)


def test_bid_prices_are_withheld_under_article_15():
    attribute = suggestion("某某工程评标报告\n投标人示例建设有限公司1,936,552.20 60天")
    assert attribute.suggested == "withheld"
    assert any(r.legal_basis and r.legal_basis.article == "第十五条" for r in attribute.reasons)


def test_findings_only_in_hidden_content_do_not_withhold_the_document():
    document = text_document("关于做好春季防火工作的通知\n各乡镇：请做好防火工作。", "t")
    from review.document import HiddenInfo, Location
    document.blocks.clear()
    document.add("关于做好春季防火工作的通知", Location(part="body", line=1))
    document.add("各乡镇：请做好防火工作。", Location(part="body", line=2))
    document.add("内部掌握：对上访户落实包保稳控措施。", Location(part="hidden_text"), hidden=HiddenInfo(kind="hidden_text"))
    document.finish()
    metadata, flags, _ = analyse(document, ScanConfig())
    assert any(f.category == "negative_list" for f in flags)  # the hidden sentence is flagged...
    attribute = suggest(document, metadata, flags, AlwaysProactive())
    assert attribute.suggested == "proactive"  # ...but the published text decides, after the fix
    assert any(r.code == "publish_after_fixing" for r in attribute.reasons)


def test_without_a_model_the_attribute_is_left_to_the_approver():
    attribute = suggestion("关于做好春季防火工作的通知\n各乡镇：请做好防火工作。", model=None)
    assert attribute.suggested is None and attribute.reasons[0].code == "model_missing"


def test_cost_matrix_prefers_withholding_when_unsure():
    assert COSTS["withheld"]["proactive"] > COSTS["proactive"]["withheld"]
    suggested, candidates, _, _ = decide({"proactive": 0.6, "on_request": 0.1, "withheld": 0.3}, margin=0.0)
    assert suggested != "proactive"  # 60 % is not enough to risk a leak
    assert decide({"proactive": 0.97, "on_request": 0.02, "withheld": 0.01}, margin=0.0)[0] == "proactive"
    costs = expected_costs({"proactive": 0.5, "on_request": 0.5, "withheld": 0.0})
    decision = decide({"proactive": 0.5, "on_request": 0.5, "withheld": 0.0},
                      margin=abs(costs["on_request"] - costs["withheld"]) + 0.01)
    # too close to call: the approver decides, and the default meanwhile is the cheaper of the two
    assert decision.needs_review and decision.candidates == ["on_request", "withheld"]
    assert decision.suggested == "on_request"


PROACTIVE = ["示例县人民政府关于印发{n}号农田水利建设实施方案的通知\n各乡镇人民政府：现将方案印发给你们，请认真贯彻执行。\n（此件公开发布）",
             "示例县财政局关于公开{n}年部门预算的公告\n根据预算法，现将本部门预算予以公开，接受社会监督。",
             "示例县人力资源和社会保障局关于第{n}批公开招聘事业单位工作人员的公告\n报名时间、报名条件和考试安排如下。"]
ON_REQUEST = ["示例县住建局关于第{n}号小区维修资金使用的复函\n你小区业委会来函收悉，经核查，现函复如下。",
              "示例县信访局信访事项处理意见书（第{n}号）\n你反映的问题收悉，现答复如下，如不服可申请复查。",
              "示例县审计局关于第{n}号道路工程结算的审计报告\n审计发现多计工程量，建议核减结算款。"]
WITHHELD = ["示例县教育局党组会议纪要（第{n}期）\n会议酝酿了干部调整事项，研究了机关食堂承包事项。",
            "示例县水利局关于追加第{n}批排涝资金的请示\n妥否，请批示。",
            "关于某某同志的考察材料（第{n}号）\n民主推荐得票情况和个别谈话情况如下。"]


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attribute")
    rows = [{"text": template.format(n=n), "attribute": attribute}
            for attribute, templates in (("proactive", PROACTIVE), ("on_request", ON_REQUEST), ("withheld", WITHHELD))
            for template in templates for n in range(1, 5)]
    data = folder / "corpus.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return folder, data


def test_training_end_to_end_is_reproducible(tiny_corpus):
    folder, data = tiny_corpus
    first = train([str(data)], folder / "model-a")
    second = train([str(data)], folder / "model-b")
    assert first["cross_validation"] == second["cross_validation"]
    assert set(first["rows"]) == set(LABELS) and first["data"][0]["sha256"]
    assert (folder / "model-a" / "model.joblib").stat().st_size < 20 * 1024 * 1024
    card = (folder / "model-a" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Cross-validated figures" in card and first["data"][0]["sha256"][:16] in card

    from review.attribute import AttributeModel
    model = AttributeModel.load(folder / "model-a")
    row = {"text": "示例县人民政府关于印发9号农田水利建设实施方案的通知", "struct": {}}
    assert model.probabilities(row) == model.probabilities(row)  # deterministic
    assert max(model.probabilities(row), key=model.probabilities(row).get) == "proactive"


def test_eval_reports_confusion_and_leaks(tiny_corpus, tmp_path):
    folder, _ = tiny_corpus
    docs = tmp_path / "docs"
    docs.mkdir()
    labels = []
    for number, (text, attribute) in enumerate([(WITHHELD[1].format(n=7), "withheld"),
                                                 ("秘密★1年\n关于某事项的通知\n各单位：照此执行。", "withheld")]):
        (docs / f"{number}.txt").write_text(text, encoding="utf-8")
        labels.append({"file": f"docs/{number}.txt", "attribute": attribute})
    (tmp_path / "labels.jsonl").write_text("".join(json.dumps(l, ensure_ascii=False) + "\n" for l in labels),
                                          encoding="utf-8")
    result = evaluate(tmp_path, ScanConfig(attribute_model=str(folder / "model-a")))
    assert result["rows"] == 2 and result["leaks"] == 0
    assert result["confusion"].get("withheld->withheld", 0) >= 1


def test_shipped_model_loads_and_predicts_deterministically():
    from review.attribute import AttributeModel
    model = AttributeModel.load()
    assert model is not None, "models/attribute/model.joblib is shipped"
    assert model.meta["cross_validation"]["cost_matrix"]["leaks"] == 0
    row = {"text": "示例县人民政府办公室关于印发春季农田水利建设实施方案的通知\n各乡镇人民政府：现将方案印发给你们。", "struct": {}}
    first, second = model.probabilities(row), model.probabilities(row)
    assert first == second and abs(sum(first.values()) - 1.0) < 1e-6
    # whatever the shipped model says, a marking decides
    attribute = suggestion("秘密★6个月\n关于印发春季农田水利建设实施方案的通知\n各乡镇：照此执行。", model=model)
    assert attribute.suggested == "withheld"


def test_declared_attribute_is_weighed_not_obeyed():
    from review.attribute import _weigh_declaration
    weighed = _weigh_declaration({"proactive": 0.2, "on_request": 0.2, "withheld": 0.6}, "proactive")
    assert weighed["proactive"] > 0.2 and abs(sum(weighed.values()) - 1) < 1e-9
    assert decide(weighed, 0.0)[0] != "proactive"  # a declaration alone does not publish a likely-withheld draft


def test_a_hedge_the_model_does_not_believe_becomes_needs_review():
    # cheapest by cost is on_request, which the model gives 0 %: a person chooses between the real readings
    decision = decide({"proactive": 0.83, "on_request": 0.0, "withheld": 0.17}, 0.0)
    assert decision.needs_review and decision.candidates == ["proactive", "withheld"]
    # meanwhile the default is the cheapest answer, never the leak-prone one
    assert decision.suggested == "on_request" and decision.confidence == 0.0


def test_the_compiled_scorer_gives_predict_probas_numbers():
    """AttributeModel.probabilities skips scikit-learn's per-call checks (speed); the numbers must not move."""
    from review.attribute import AttributeModel, model_input
    model = AttributeModel.load()
    texts = [template.format(n=n) for template in PROACTIVE + ON_REQUEST + WITHHELD for n in (1, 2)]
    texts += ["", "全角ＡＢＣ　English words 123 与中文混排", "秘密★1年\n关于某事项的通知\n（此件不予公开）"]
    for text in texts:
        document = text_document(text, "t")
        metadata, flags, _ = analyse(document, ScanConfig())
        row = model_input(document.visible_text, metadata, flags)
        expected = dict(zip(model.pipeline.classes_, model.pipeline.predict_proba([row])[0]))
        compiled = model.probabilities(row)
        assert set(compiled) == set(LABELS)
        assert all(abs(compiled[label] - expected[label]) < 1e-9 for label in LABELS), text


def test_maskable_personal_data_is_not_a_feature_but_health_data_is():
    """Names and numbers are masked before publication (the policy's "proactive after masking"), so the model
    does not see them; a person's illness makes the document itself about private matters, so it does."""
    from review.attribute import MASKABLE_PERSONAL, structural_features
    from review.detect.validators import id_check_digit

    body = "11010519800101001"
    document = text_document("示例县民政局关于临时救助对象的公示\n申请人王秀兰，身份证号码" + body + id_check_digit(body) +
                             "，联系电话13800138000。户主因病致贫，患尿毒症需长期血液透析。", "t")
    metadata, flags, _ = analyse(document, ScanConfig())
    types = {flag.type for flag in flags if flag.category == "personal" and flag.severity != "info"}
    assert {"id_card", "mobile", "person_name", "health"} <= types
    features = structural_features(metadata, flags)
    assert not any(kind in key for key in features for kind in MASKABLE_PERSONAL)
    assert "flags:personal/health" in features and "flags:personal" in features

"""The disclosure attribute: legal rules first, then a calibrated classifier, then a cost matrix.

    rules      a secret marking → withheld (第十四条); a high negative-list finding → withheld under the
               article its rule cites; these are never overridden by the model
    model      scikit-learn: jieba words (rjieba, the same dictionary, measured 28× faster) and character
               n-grams of the text, plus structural features (文种, declared 附注, markings, flag counts by
               category and type, draft cues), calibrated probabilities (models/attribute, `review train`)
    decision   the attribute with the least expected cost under COSTS (suggesting proactive for a document
               that must not be published costs most); when the two cheapest are close: needs_review
    reasons    each with its article and a quote of 《政府信息公开条例》

Personal data in an otherwise public document gives "proactive after masking", with the flags to mask.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import NamedTuple
from importlib import resources
from pathlib import Path

from review.catalogue import load_catalogue, title_of
from review.document import Document
from review.report import Attribute, AttributeReason, Flag, GongwenMetadata, LegalBasis

LABELS = ("proactive", "on_request", "withheld")
TEXT_CHARS = 4000  # the head of a document carries its kind; long annexes add noise and cost

# COSTS[true][suggested]: a leak (proactive for a document that must not be published) is the worst
# mistake; withholding what could be published is a lesser one, corrected on request or on review.
COSTS = {
    "proactive": {"proactive": 0.0, "on_request": 1.0, "withheld": 2.0},
    "on_request": {"proactive": 6.0, "on_request": 0.0, "withheld": 1.0},
    "withheld": {"proactive": 10.0, "on_request": 3.0, "withheld": 0.0},
}

LAW = "《中华人民共和国政府信息公开条例》"
ARTICLES = {
    "第十四条": "依法确定为国家秘密的政府信息……以及公开后可能危及国家安全、公共安全、经济安全、社会稳定的政府信息，不予公开。",
    "第十五条": "涉及商业秘密、个人隐私等公开会对第三方合法权益造成损害的政府信息，行政机关不得公开。但是，第三方同意公开"
                "或者行政机关认为不公开会对公共利益造成重大影响的，予以公开。",
    "第十六条": "行政机关的内部事务信息……过程性信息以及行政执法案卷信息，可以不予公开。",
    "第十九条": "对涉及公众利益调整、需要公众广泛知晓或者需要公众参与决策的政府信息，行政机关应当主动公开。",
    "第二十条": "行政机关应当依照本条例第十九条的规定，主动公开本行政机关的下列政府信息",
    "第二十七条": "除行政机关主动公开的政府信息外，公民、法人或者其他组织可以……申请获取相关政府信息。",
    "第三十七条": "申请公开的信息中含有不应当公开……的内容，但是能够作区分处理的，行政机关应当向申请人提供可以公开的政府信息内容",
}


def basis(article: str) -> LegalBasis:
    return LegalBasis(law=LAW, article=article, quote=ARTICLES[article])


# negative-list finding type -> the article that withholds it
_ARTICLE_FOR_TYPE = {"stability_risk": "第十四条", "security_deployment": "第十四条", "economic_risk": "第十四条",
                     "trade_secret": "第十五条", "internal_personnel": "第十六条", "internal_affairs": "第十六条",
                     "internal_workflow": "第十六条", "process_info": "第十六条", "case_file": "第十六条"}
_NORMATIVE_TYPES = {"规定", "办法", "细则", "实施细则", "实施意见", "意见", "决定", "规划", "条例", "实施办法", "公告", "通告"}


# --- features ----------------------------------------------------------------------------------------
CATALOGUE_FEATURE = "catalogue="  # + the item's id


# Personal data that masking removes (names, numbers, addresses). The policy publishes a document holding
# them after masking (条例第十五条 protects the data, not the document), so the model must not learn them as a
# sign against publishing: counted, they tied 公示 and 公告 naming residents to the written on_request and
# withheld documents, where such data is common. Health and criminal records stay: a document about a
# person's illness or offences is about private matters. Cross-validated macro-F1 0.850 → 0.857, 0 leaks.
MASKABLE_PERSONAL = frozenset({"person_name", "id_card", "mobile", "landline", "email", "address", "bank_card",
                               "plate", "passport"})


def structural_features(metadata: GongwenMetadata, flags: list[Flag], text: str = "") -> dict[str, float]:
    """What a reviewer reads off a document before its wording: kind, declared attribute, the item of the
    proactive-disclosure catalogue its title falls under, findings (maskable personal data left out)."""
    features: dict[str, float] = {f"doc_type={metadata.doc_type or 'none'}": 1.0,
                                  f"declared={metadata.declared_attribute or 'none'}": 1.0}
    item = load_catalogue().match(title_of(metadata, text))
    if item:
        features[CATALOGUE_FEATURE + item.id] = 1.0
    if metadata.classification:
        features[f"marking={metadata.classification.level}"] = 1.0
    if metadata.draft_status:
        features["draft"] = 1.0
    if metadata.signer:
        features["signer"] = 1.0  # 签发人: an upward document (请示, 报告)
    live = [f for f in flags if f.severity != "info"
            and not (f.category == "personal" and f.type in MASKABLE_PERSONAL)]
    for flag in live:
        for key in (f"flags:{flag.category}", f"flags:{flag.category}/{flag.type}",
                    f"flags:{flag.category}@{flag.severity}"):
            features[key] = features.get(key, 0.0) + 1.0
    for key in [k for k in features if k.startswith("flags:")]:
        features[key] = math.log1p(features[key])
    return features


def model_input(text: str, metadata: GongwenMetadata, flags: list[Flag]) -> dict:
    return {"text": text[:TEXT_CHARS], "struct": structural_features(metadata, flags, text)}


# Module-level so that the pickled pipeline refers to them by name.
def column_text(rows):
    return [row["text"] for row in rows]


def column_struct(rows):
    return [row["struct"] for row in rows]


def words(text: str) -> list[str]:
    import rjieba
    return list(filter(str.strip, rjieba.cut(text)))  # white-space tokens dropped; filter() stays in C


# --- the model -----------------------------------------------------------------------------------------
class AttributeModel:
    def __init__(self, pipeline, meta: dict):
        self.pipeline = pipeline
        self.meta = meta
        self.margin = float(meta.get("needs_review_margin", 0.0))
        self.scorer = CompiledScorer(pipeline)

    @classmethod
    def load(cls, folder: Path | str | None = None) -> "AttributeModel | None":
        return _load(str(folder) if folder else None)

    def probabilities(self, row: dict) -> dict[str, float]:
        return self.scorer.probabilities(row)


class CompiledScorer:
    """The fitted pipeline's arithmetic for one document, without scikit-learn's per-call input checks,
    which cost more than the arithmetic itself (measured on 10 KB policy documents, on the shared 2-core
    machine under load: 20 ms of CPU per document through predict_proba, 8 ms here). The numbers are predict_proba's (tests/test_attribute.py compares
    them): TF-IDF of the word and character branches (sublinear tf, idf, l2 norm per branch) and the
    structural dict, then each calibration fold's logistic regression, one sigmoid per class, normalised,
    averaged over the folds — all folds in one product."""

    def __init__(self, pipeline):
        import numpy as np
        branches = dict(pipeline.named_steps["features"].transformer_list)
        words_tfidf, chars_tfidf = (branches[name].named_steps["tfidf"] for name in ("words", "chars"))
        for tfidf in (words_tfidf, chars_tfidf):
            assert tfidf.sublinear_tf and tfidf.norm == "l2" and not tfidf.binary, "TF-IDF settings changed"
        assert chars_tfidf.analyzer == "char" and chars_tfidf.ngram_range == (2, 3) and chars_tfidf.lowercase
        assert words_tfidf.tokenizer is words and words_tfidf.ngram_range == (1, 2) and not words_tfidf.lowercase \
            and words_tfidf.stop_words is None and words_tfidf.preprocessor is None, "word analyser changed"
        self.words = (words_tfidf.vocabulary_, words_tfidf.idf_, 0)
        offset = len(words_tfidf.vocabulary_)
        self.chars = CharGramCounter(chars_tfidf.vocabulary_, chars_tfidf.idf_, offset)
        offset += len(chars_tfidf.vocabulary_)
        self.struct_vocabulary, self.struct_offset = branches["struct"].named_steps["dict"].vocabulary_, offset
        classifier = pipeline.named_steps["classifier"]
        self.labels = [str(label) for label in classifier.classes_]
        folds = classifier.calibrated_classifiers_
        for fold in folds:
            assert fold.method == "sigmoid" and list(fold.estimator.classes_) == list(classifier.classes_)
        self.weights = np.hstack([fold.estimator.coef_.T for fold in folds])  # features x (folds * classes)
        self.intercepts = np.concatenate([fold.estimator.intercept_ for fold in folds])
        self.slopes = np.array([c.a_ for fold in folds for c in fold.calibrators])
        self.offsets = np.array([c.b_ for fold in folds for c in fold.calibrators])
        self.folds = len(folds)

    def vector(self, row: dict) -> tuple[list[int], list[float]]:
        """The non-zero features of one document: (column indices, values)."""
        from itertools import chain, repeat

        import numpy as np
        indices, values = [], []
        vocabulary, idf, offset = self.words
        tokens = words(row["text"])
        # the analyser's unigrams and space-joined bigrams, looked up with map() so the loop stays in C,
        # then counted as integers
        grams = chain(tokens, map(" ".join, zip(tokens, tokens[1:])))
        columns = np.fromiter(map(vocabulary.get, grams, repeat(-1)), dtype=np.int64)
        columns, counts = np.unique(columns[columns >= 0], return_counts=True)
        if len(columns):
            _append_tfidf(indices, values, columns + offset, counts.astype(np.float64), idf[columns])
        columns, tf = self.chars.count(row["text"])
        if len(columns):
            _append_tfidf(indices, values, columns + self.chars.offset, tf, self.chars.idf[columns])
        for key, value in row["struct"].items():
            if key in self.struct_vocabulary:
                indices.append(self.struct_offset + self.struct_vocabulary[key])
                values.append(float(value))
        return indices, values

    def probabilities(self, row: dict) -> dict[str, float]:
        import numpy as np
        indices, values = self.vector(row)
        scores = np.asarray(values) @ self.weights[indices] + self.intercepts
        per_class = 1.0 / (1.0 + np.exp(self.slopes * scores + self.offsets))  # expit(-(a*s + b))
        per_class = per_class.reshape(self.folds, len(self.labels))
        totals = per_class.sum(axis=1, keepdims=True)
        per_fold = np.divide(per_class, totals, out=np.full_like(per_class, 1 / len(self.labels)), where=totals != 0)
        per_fold[(per_fold > 1.0) & (per_fold <= 1.0 + 1e-5)] = 1.0
        return {label: float(p) for label, p in zip(self.labels, per_fold.mean(axis=0))}


def _append_tfidf(indices: list, values: list, columns, tf, idf) -> None:
    """Sublinear tf × idf, l2-normalised within the branch (TfidfVectorizer's arithmetic)."""
    import numpy as np
    weights = (1.0 + np.log(tf)) * idf
    indices.extend(columns.tolist())
    values.extend((weights / np.sqrt(weights @ weights)).tolist())


class CharGramCounter:
    """Counts the character 2- and 3-grams of a text that are in the vocabulary, as TfidfVectorizer's
    `char` analyser would (lower case, runs of white space made one space), but in numpy: every n-gram
    becomes one integer (21 bits per code point, a tag bit for 3-grams) looked up in the sorted
    vocabulary. Python's loop over 12,000 n-gram strings per 4,000 characters was a third of the
    attribute stage."""

    _white_space = re.compile(r"\s\s+")

    def __init__(self, vocabulary: dict[str, int], idf, offset: int):
        import numpy as np
        keys = np.array([self._key(gram) for gram in vocabulary], dtype=np.uint64)
        order = np.argsort(keys)
        self.keys = keys[order]
        self.columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))[order]
        self.idf, self.offset = idf, offset

    @staticmethod
    def _key(gram: str) -> int:
        codes = [ord(c) for c in gram]
        if len(codes) == 2:
            return codes[0] << 21 | codes[1]
        assert len(codes) == 3, gram
        return 1 << 63 | codes[0] << 42 | codes[1] << 21 | codes[2]

    def count(self, text: str):
        """(vocabulary columns, their counts) of the text's n-grams."""
        import numpy as np
        text = self._white_space.sub(" ", text.lower())
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        if len(codes) < 2:
            return np.empty(0, dtype=np.int64), np.empty(0)
        shift = np.uint64(21)
        pairs = codes[:-1] << shift | codes[1:]
        triples = (np.uint64(1 << 63) | codes[:-2] << np.uint64(42) | pairs[1:]) if len(codes) > 2 else pairs[:0]
        keys = np.concatenate([pairs, triples])
        places = np.searchsorted(self.keys, keys)
        places[places == len(self.keys)] = 0
        found = self.keys[places] == keys
        columns, counts = np.unique(self.columns[places[found]], return_counts=True)
        return columns, counts.astype(np.float64)


@lru_cache(maxsize=4)
def _load(folder: str | None) -> AttributeModel | None:
    import joblib
    path = Path(folder) if folder else Path(str(resources.files("review._models"))) / "attribute"
    if not (path / "model.joblib").is_file():
        return None
    return AttributeModel(joblib.load(path / "model.joblib"), json.loads((path / "meta.json").read_text("utf-8")))


def expected_costs(probabilities: dict[str, float]) -> dict[str, float]:
    return {choice: sum(probabilities.get(true, 0.0) * COSTS[true][choice] for true in LABELS) for choice in LABELS}


class Decision(NamedTuple):
    suggested: str  # always one of LABELS: the choice of least expected cost
    candidates: list[str]  # the two readings the approver chooses between
    confidence: float
    needs_review: bool  # the choice is not reliable: the approver must decide between the candidates


def decide(probabilities: dict[str, float], margin: float) -> Decision:
    """The attribute of least expected cost. It needs review when the two cheapest are within margin, or
    when the model hardly believes in the cheapest; the suggestion is still the cheapest (the safer of
    the two), so that an unreviewed default never leans towards publication."""
    costs = expected_costs(probabilities)
    ranked = sorted(LABELS, key=lambda label: costs[label])
    best, second = ranked[0], ranked[1]
    likeliest = max(LABELS, key=lambda label: probabilities[label])
    if costs[second] - costs[best] < margin:
        # unsure between publishing and not: the default until the approver decides is not to publish
        default = second if best == "proactive" else best
        return Decision(default, [best, second], probabilities[default], True)
    if probabilities[best] < HEDGE_FLOOR:
        # the cheapest answer is a hedge the model hardly believes in (on_request between a likely
        # proactive and a possible withheld): a person should choose between the two real readings
        others = [label for label in LABELS if label != likeliest]
        runner_up = max(others, key=lambda label: probabilities[label])
        return Decision(best, [likeliest, runner_up], probabilities[best], True)
    return Decision(best, [best, second], probabilities[best], False)


DECLARED_WEIGHT = 4.0
HEDGE_FLOOR = 0.2  # below this probability the cost-optimal answer is a hedge: needs_review


def _weigh_declaration(probabilities: dict[str, float], declared: str) -> dict[str, float]:
    weighted = {label: p * (DECLARED_WEIGHT if label == declared else 1.0) for label, p in probabilities.items()}
    total = sum(weighted.values()) or 1.0
    return {label: p / total for label, p in weighted.items()}


# --- the policy ----------------------------------------------------------------------------------------
def suggest(document: Document, metadata: GongwenMetadata, flags: list[Flag],
            model: AttributeModel | None) -> Attribute:
    live = [f for f in flags if f.severity != "info"]
    # What the published document says decides its attribute; hidden content (comments, deleted text...)
    # must be removed before publication anyway and is reported by its own flags.
    shown = [f for f in live if f.start is None or f.start < document.visible_end]
    reasons: list[AttributeReason] = []

    secrets = [f for f in shown if f.category == "secret" and f.severity == "high"]
    if secrets:
        marks = "、".join(sorted({f.text for f in secrets})[:3])
        reasons.append(AttributeReason(code="secret_marking", legal_basis=basis("第十四条"),
                                       text=f"文件含国家秘密或工作秘密标识/内容（{marks}），不予公开。"))
        return Attribute(suggested="withheld", confidence=0.99, candidates=["withheld"], reasons=reasons)

    exempt = [f for f in shown if f.category == "negative_list" and f.severity == "high"]
    if exempt:
        articles = sorted({_ARTICLE_FOR_TYPE.get(f.type, "第十六条") for f in exempt})
        for article in articles:
            kinds = "、".join(sorted({f.type for f in exempt if _ARTICLE_FOR_TYPE.get(f.type, "第十六条") == article}))
            reasons.append(AttributeReason(code=f"negative_list_{kinds}", legal_basis=basis(article),
                                           text=f"含负面清单事项（{kinds}），属{article}规定的不予公开情形。"))
        return Attribute(suggested="withheld", confidence=0.95, candidates=["withheld", "on_request"],
                         reasons=reasons)

    if model is None:
        return Attribute(reasons=[AttributeReason(
            code="model_missing", text="未找到公开属性模型（models/attribute）：请运行 `review train`，或由审核人人工认定。")])

    row = model_input(document.visible_text, metadata, flags)
    probabilities = model.probabilities(row)
    declared = metadata.declared_attribute
    if declared in LABELS:
        # 公开属性源头认定: the drafting unit's declaration is evidence (not proof) — weigh it in as a
        # likelihood ratio, so that the model must disagree clearly to overturn it.
        probabilities = _weigh_declaration(probabilities, declared)
        reasons.append(AttributeReason(code="declared", text=f"起草单位在附注或网页中标注的公开属性为 {declared}，作为证据计入（似然比 {DECLARED_WEIGHT:g}）。"))
    suggested, candidates, confidence, needs_review = decide(probabilities, model.margin)
    figures = "，".join(f"{label} {probabilities[label]:.2f}" for label in LABELS)
    reasons.append(AttributeReason(code="model", text=f"分类模型概率：{figures}；按误判代价矩阵取期望代价最小者。"))

    process = [f for f in shown if f.category == "negative_list"]
    if suggested == "proactive" and process and metadata.doc_type not in _NORMATIVE_TYPES:
        suggested, candidates, needs_review = "on_request", ["on_request", "proactive"], True
        reasons.append(AttributeReason(code="process_information", legal_basis=basis("第十六条"),
                                       text="含内部事务或过程性信息，除非属规范性文件或对外发生效力的决定，一般不主动公开。"))
    if suggested == "proactive":
        reasons.append(AttributeReason(code="public_interest", legal_basis=basis("第十九条"),
                                       text="属于需要公众广泛知晓或参与的政府信息，建议主动公开。"))
        to_mask = [f for f in live if f.category in ("personal", "hidden", "redaction", "spam", "placeholder")]
        if to_mask:
            kinds = "、".join(sorted({f.type for f in to_mask}))
            reasons.append(AttributeReason(code="publish_after_fixing", legal_basis=basis("第三十七条"),
                                           text=f"主动公开前须先处理 {len(to_mask)} 处标记（{kinds}）：遮盖个人信息、清除隐藏内容、补全占位符。"))
    elif suggested == "on_request":
        reasons.append(AttributeReason(code="on_request", legal_basis=basis("第二十七条"),
                                       text="不属于应当主动公开的范围，可依申请公开。"))
    elif suggested == "withheld":
        personal = [f for f in live if f.category == "personal"]
        article = "第十五条" if personal else "第十六条"
        reasons.append(AttributeReason(code="withheld_model", legal_basis=basis(article),
                                       text="内容主要涉及特定个人事项或内部、过程性信息，建议不予公开。"
                                       + ("如第三方同意或不公开会对公共利益造成重大影响，可依第十五条但书公开。"
                                          if personal else "")))
    # the catalogue item the title matched, as the model saw it (not matched a second time)
    item = next((load_catalogue().item(key.removeprefix(CATALOGUE_FEATURE)) for key in row["struct"]
                 if key.startswith(CATALOGUE_FEATURE)), None)
    if item and suggested == "proactive":
        reasons.append(AttributeReason(code="catalogue", legal_basis=load_catalogue().basis(item),
                                       text=f"标题显示属{item.article}{item.item}所列应当主动公开的信息"
                                            f"（{item.note or item.quote}）。"))
    elif item:
        reasons.append(AttributeReason(code="catalogue_not_followed", legal_basis=load_catalogue().basis(item),
                                       text=f"标题显示属{item.article}{item.item}所列主动公开事项（{item.quote}），但内容判断为"
                                            f"{suggested}；请审核人核实：能区分处理的，遮盖后主动公开（第三十七条）。"))
    if needs_review:
        reasons.append(AttributeReason(code="needs_review",
                                       text=f"把握不足：在 {candidates[0]} 与 {candidates[1]} 之间无法可靠区分，"
                                            f"暂按误判代价较小的 {suggested} 建议，请审核人认定。"))
    if declared and suggested in LABELS and declared != suggested:
        reasons.append(AttributeReason(code="declared_differs",
                                       text=f"附注或网页标注的公开属性（{declared}）与建议（{suggested}）不一致，请核实。"))
    return Attribute(suggested=suggested, confidence=round(confidence, 3), candidates=candidates,
                     needs_review=needs_review, reasons=reasons)

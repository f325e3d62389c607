"""Training and evaluating the attribute classifier.

    review train --data corpus.jsonl [--data decisions.jsonl ...] [--out models/attribute]
    review eval SET_DIR

Training rows are JSON lines with the text or a path, and the final attribute. The same format is what
the review service exports from approvers' decisions, so their decisions become training data:

    {"text": "...", "attribute": "on_request", "doc_type": "请示", "basis": "条例第十六条 ...",
     "approver": "王某", "date": "2026-11-20", "sha256": "..."}        # or "path" instead of "text"

Every row goes through the same intake and detection as a reviewed document, so the structural
features (文种, markings, flag counts) are computed exactly as at review time.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import platform
import time
from collections import Counter
from pathlib import Path

from review.attribute import LABELS, _load, column_struct, column_text, decide, model_input, words
from review.config import ScanConfig
from review.document import Document

SEED = 20261122
MARGINS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)


def load_rows(paths: list[str]) -> list[dict]:
    rows = []
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("attribute") not in LABELS or not (row.get("text") or row.get("path")):
                raise ValueError(f"{path}:{number}: a row needs text or path, and attribute in {LABELS}")
            rows.append(row)
    return rows


def text_document(text: str, name: str) -> Document:
    return Document.from_text(text, name)


def featurise(rows: list[dict], config: ScanConfig) -> list[dict]:
    from review.intake import read_document
    from review.pipeline import analyse

    inputs = []
    for index, row in enumerate(rows):
        document = read_document(row["path"], config) if row.get("path") else text_document(row["text"], f"row{index}")
        metadata, flags, _ = analyse(document, config)
        inputs.append(model_input(document.visible_text, metadata, flags))
    return inputs


def build_pipeline():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer

    def text_branch(vectorizer):
        return Pipeline([("column", FunctionTransformer(column_text)), ("tfidf", vectorizer)])

    features = FeatureUnion([
        ("words", text_branch(TfidfVectorizer(tokenizer=words, lowercase=False, token_pattern=None,
                                              ngram_range=(1, 2), min_df=2, max_features=30000, sublinear_tf=True))),
        ("chars", text_branch(TfidfVectorizer(analyzer="char", ngram_range=(2, 3), min_df=2, max_features=40000,
                                              sublinear_tf=True))),
        ("struct", Pipeline([("column", FunctionTransformer(column_struct)), ("dict", DictVectorizer())])),
    ])
    classifier = CalibratedClassifierCV(LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced"),
                                        cv=5, method="sigmoid")
    return Pipeline([("features", features), ("classifier", classifier)])


def scores(truth: list[str], predicted: list[str], flagged: list[bool] | None = None) -> dict:
    """Accuracy and macro-F1 over all rows, as ../shared/eval/score.py counts them (a row without a
    suggestion counts against its true class); leaks; how many suggestions asked for review."""
    pairs = list(zip(truth, predicted))
    f1s = []
    for label in LABELS:
        tp = sum(1 for t, p in pairs if t == label and p == label)
        fp = sum(1 for t, p in pairs if t != label and p == label)
        fn = sum(1 for t, p in pairs if t == label and p != label)
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    confusion = Counter(f"{t}->{p}" for t, p in zip(truth, predicted))
    return {
        "rows": len(truth),
        "accuracy": round(sum(1 for t, p in pairs if t == p) / max(1, len(pairs)), 4),
        "macro_f1": round(sum(f1s) / max(1, len(f1s)), 4),
        "leaks": sum(1 for t, p in zip(truth, predicted) if t != "proactive" and p == "proactive"),
        "needs_review": sum(flagged or []),
        "confusion": dict(sorted(confusion.items())),
    }


def choose_margin(probabilities: list[dict], truth: list[str]) -> tuple[float, dict]:
    """The smallest needs_review margin with the fewest leaks in cross-validation."""
    results = {}
    for margin in MARGINS:
        decisions = [decide(p, margin) for p in probabilities]
        results[margin] = scores(truth, [d.suggested for d in decisions], [d.needs_review for d in decisions])
    best = min(MARGINS, key=lambda m: (results[m]["leaks"], results[m]["needs_review"], m))
    return best, results[best]


def train(data: list[str], out: Path, config: ScanConfig | None = None) -> dict:
    import joblib
    import sklearn
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    config = config or ScanConfig(attribute_model="/nonexistent")
    started = time.perf_counter()
    rows = load_rows(data)
    inputs = featurise(rows, config)
    truth = [row["attribute"] for row in rows]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    cv_probs = cross_val_predict(build_pipeline(), inputs, truth, cv=folds, method="predict_proba")
    probabilities = [dict(zip(sorted(LABELS), map(float, p))) for p in cv_probs]
    model_only = scores(truth, [max(p, key=p.get) for p in probabilities])
    margin, with_costs = choose_margin(probabilities, truth)
    pipeline = build_pipeline().fit(inputs, truth)

    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, out / "model.joblib", compress=3)
    meta = {
        "name": "attribute", "created": datetime.date.today().isoformat(), "seed": SEED,
        "data": [{"file": Path(p).name, "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest()} for p in data],
        "rows": dict(Counter(truth)), "doc_types": dict(Counter(r.get("doc_type") or "?" for r in rows).most_common()),
        "cross_validation": {"folds": 5, "argmax": model_only, "cost_matrix": with_costs},
        "needs_review_margin": margin,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__},
        "size_bytes": (out / "model.joblib").stat().st_size,
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(meta), encoding="utf-8")
    _load.cache_clear()  # the next review in this process reads the new model
    return meta


def model_card(meta: dict) -> str:
    from review.attribute import COSTS, DECLARED_WEIGHT

    cv = meta["cross_validation"]
    rows = "\n".join(f"| {name} | {f['accuracy']} | {f['macro_f1']} | {f['leaks']} | {f['needs_review']} |"
                     for name, f in cv.items() if isinstance(f, dict))
    costs = "\n".join(f"| {true} | " + " | ".join(str(COSTS[true][p]) for p in LABELS) + " |" for true in LABELS)
    data = "\n".join(f"- `{d['file']}` sha256 `{d['sha256'][:16]}…`" for d in meta["data"])
    evaluations = "\n".join(
        f"| {e['set']} | {e['rows']} | {e['accuracy']} | {e['macro_f1']} | {e['leaks']} | {e['needs_review']} | {e.get('note', '')} |"
        for e in meta.get("evaluations", []))
    return f"""# Model card: disclosure attribute (公开属性) classifier

Generated by `review train` on {meta['created']} (seed {meta['seed']}, scikit-learn {meta['versions']['scikit-learn']},
Python {meta['versions']['python']}); {meta['size_bytes'] / 1e6:.1f} MB; trained in {meta['training_seconds']} s.

## What it is for
Suggesting proactive / on_request / withheld for a draft government document, as one input to the
approver's decision. It runs after the legal rules (a secret marking or a high negative-list finding decides
by itself, whatever the model says), and its probabilities go through the cost matrix below.

## Data
{data}

Rows per class: {meta['rows']}. Written documents (on_request, withheld and boundary proactive cases) and real
published documents (proactive by construction); see `models/attribute/corpus/DATASHEET.md`.

## Model
Word unigrams and bigrams (rjieba, jieba's dictionary) and character 2–3-grams of the first 4,000 characters,
TF-IDF; structural features (文种, declared attribute, the 条例第二十/二十一条 catalogue item of the title (rules/catalogue), markings, draft status, 签发人, flag counts by category,
type and severity — leaving out personal data that masking removes, `review.attribute.MASKABLE_PERSONAL`);
logistic regression with balanced class weights, sigmoid-calibrated (5-fold).

## Decision: expected cost
Rows: true attribute; columns: suggested.

| true \\ suggested | {' | '.join(LABELS)} |
| --- | --- | --- | --- |
{costs}

When the two cheapest choices are within {meta['needs_review_margin']} of each other, or the cheapest has a
probability under 0.2, the suggestion (still the cheapest) is marked needs_review with the two candidates.

## Cross-validated figures (5 folds, stratified)

| decision | accuracy | macro-F1 | leaks | needs_review |
| --- | --- | --- | --- | --- |
{rows}

A leak is a withheld or on_request document suggested proactive.

## Evaluation sets (never trained on)

`review eval SET_DIR`: accuracy and macro-F1 over all documents (as ../shared/eval/score.py counts them); needs_review: how many suggestions asked the approver to decide.
Recorded in meta.json (`evaluations`) by hand after each run; a new training clears them.

| set | documents | accuracy | macro-F1 | leaks | needs_review | note |
| --- | --- | --- | --- | --- | --- | --- |
{evaluations or "| (none recorded for this model) | | | | | | |"}

## Limits
- The written documents come from one author; real proactive documents are central and Shandong texts, longer
  and of another style: the model can learn source style. Truncation to 4,000 characters and the structural
  features limit that; the devset (other regions) is the check.
- The declared attribute counts twice: as a structural feature (`declared=…`) and again as a likelihood ratio of
  {DECLARED_WEIGHT:g} in `review.attribute.suggest`. The model therefore follows a declared 依申请公开 or 不予公开 closely, and
  a declaration less open than the document deserves is rarely overturned.
- It has never seen the development or evaluation sets; their figures are above and in the README.
"""


def evaluate(set_dir: Path, config: ScanConfig | None = None) -> dict:
    """Review every document of an evaluation set and compare with its labels.jsonl."""
    from review.pipeline import review_file

    config = config or ScanConfig()
    labels = [json.loads(line) for line in (set_dir / "labels.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    truth, predicted, flagged, misjudged = [], [], [], []
    for label in labels:
        report = review_file(str(set_dir / label["file"]), config)
        suggestion = report.attribute.suggested or "none"
        truth.append(label["attribute"])
        predicted.append(suggestion)
        flagged.append(report.attribute.needs_review)
        if suggestion != label["attribute"]:
            misjudged.append({"file": label["file"], "expected": label["attribute"], "suggested": suggestion,
                              "reasons": [r.code for r in report.attribute.reasons]})
    result = scores(truth, predicted, flagged)
    result["misjudged"] = misjudged
    return result

"""Detection benchmark (not a test): throughput of the detection stage, and a comparison with Presidio
running equivalent Chinese ID and mobile recognizers, measured in one run on the same text.

    .venv/bin/pip install -e '.[bench]'        # presidio-analyzer
    .venv/bin/python bench/detect.py [--megabytes 10] [--repeats 3] [--skip-presidio] [--skip-ner]

The text is real published government text from ../shared/data, cut into ~10 KB documents, with invented
ID numbers (valid GB 11643 check digits) and mobile numbers planted in sentences of the kind that carry
them. Both systems get the same documents; recall counts planted values found. Presidio ships no Chinese
recognizers, so it gets two PatternRecognizers with the same regexes and our check-digit validation, over
a blank Chinese spaCy pipeline (no model to download).

Figures printed, each the best of --repeats passes in this one process (one core):

    engine            the rule engine alone (all packs) over parsed documents
    detection stage   what the pipeline runs before the attribute: 公文 structure, intake flags and the
                      engine (review.pipeline.analyse), with the person-name model rule as shipped (it runs
                      the model on the sentences that hold its cues: a third of these documents have one)
    … without NER     the same with personal.person_name_model switched off
    presidio          ID + mobile recognizers only; the ratio is presidio time / detection stage without NER
    person-name NER   the spaCy model alone, batched, on a tenth of the documents (over all their text)
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from review.config import ScanConfig
from review.detect.engine import engine_for
from review.detect.gazetteer import gazetteer
from review.detect.validators import id_card, id_check_digit
from review.document import Document
from review.pipeline import analyse
from review.rules import rules_for

DOC_CHARS = 10_000
REGIONS = ["110101", "310104", "440106", "510107", "610113", "210102", "330106", "370102", "410105", "500103"]
CARRIERS = ["申请人身份证号码：{id}，联系电话：{mobile}。", "经核实，当事人（公民身份号码{id}）手机{mobile}已停机。",
            "户主联系方式：{mobile}；证件号码：{id}。"]


def government_text(shared: Path, megabytes: float) -> str:
    pieces = []
    for name in ("central_government_work_reports", "provincial_2026_government_work_reports", "cpc_congress_reports"):
        for line in (shared / "data" / "gov_work_reports" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            pieces.append(row.get("content") or row.get("full_text") or "")
    for line in (shared / "data" / "policy_docs_central_shandong" / "policy_documents.jsonl").read_text(
            encoding="utf-8").splitlines():
        pieces.append(json.loads(line)["content_zh"] or "")
    text = "\n".join(pieces)
    target = int(megabytes * 1e6 / 3)  # about 3 bytes per Chinese character in UTF-8
    return (text * (target // len(text) + 1))[:target]


def planted_documents(text: str, seed: int = 7):
    rng = random.Random(seed)
    documents, planted = [], []
    for start in range(0, len(text), DOC_CHARS):
        body = text[start:start + DOC_CHARS]
        first17 = rng.choice(REGIONS) + f"{rng.randint(1950, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
            + f"{rng.randint(0, 999):03d}"
        identity = first17 + id_check_digit(first17)
        phone = rng.choice(["138", "139", "150", "186", "199"]) + f"{rng.randint(0, 99999999):08d}"
        cut = rng.randint(0, len(body))
        body = body[:cut] + "\n" + rng.choice(CARRIERS).format(id=identity, mobile=phone) + "\n" + body[cut:]
        documents.append(body)
        planted.append({identity, phone})
    return documents, planted


def as_document(number: int, text: str) -> Document:
    return Document.from_text(text, f"doc{number}")


def best_of(repeats: int, run) -> tuple[float, object]:
    """The fastest of `repeats` timed calls of run() (the machine is shared), with its result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def recall(flag_lists, planted) -> int:
    return sum(len(values & {f.text for f in flags}) for flags, values in zip(flag_lists, planted))


WITHOUT_NER = ScanConfig(disable_rules=("personal.person_name_model",))


def run_engine(parsed, planted, repeats: int):
    engine = engine_for(rules_for(ScanConfig()))
    engine.detect(parsed[0])  # warm up: packs and automaton
    gazetteer()  # loaded on first use (~0.3 s), which would land in the timing
    seconds, flag_lists = best_of(repeats, lambda: [engine.detect(d) for d in parsed])
    return seconds, recall(flag_lists, planted)


def run_detection_stage(parsed, planted, repeats: int, config: ScanConfig | None = None):
    config = config or ScanConfig()
    for document in parsed:  # warm up, the person-name model included (it loads at the first cue)
        analyse(document, config)
    seconds, flag_lists = best_of(repeats, lambda: [analyse(d, config)[1] for d in parsed])
    return seconds, recall(flag_lists, planted)


def presidio_analyzer():
    import spacy
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    class ChineseIdRecognizer(PatternRecognizer):
        def validate_result(self, pattern_text):
            return id_card(pattern_text).ok

    model_dir = Path(tempfile.mkdtemp()) / "zh_blank"
    spacy.blank("zh").to_disk(model_dir)
    nlp_engine = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "zh", "model_name": str(model_dir)}]}).create_engine()
    registry = RecognizerRegistry(supported_languages=["zh"])
    registry.add_recognizer(ChineseIdRecognizer(
        supported_entity="CN_ID_CARD", supported_language="zh", context=["身份证", "公民身份号码", "证件号码"],
        patterns=[Pattern("id", r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
                                r"(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])", 0.6)]))
    registry.add_recognizer(PatternRecognizer(
        supported_entity="CN_MOBILE", supported_language="zh", context=["手机", "联系电话", "电话"],
        patterns=[Pattern("mobile", r"(?<!\d)1[3-9]\d{9}(?!\d)", 0.6)]))
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["zh"])


def run_presidio(documents, planted, repeats: int):
    analyzer = presidio_analyzer()
    analyzer.analyze(documents[0], language="zh")

    def analyse_all():
        return [{text[r.start:r.end] for r in analyzer.analyze(text, language="zh", entities=["CN_ID_CARD", "CN_MOBILE"])}
                for text in documents]

    seconds, found = best_of(repeats, analyse_all)
    return seconds, sum(len(values & texts) for texts, values in zip(found, planted))


def run_ner(documents):
    """The person-name model alone, batched, on a tenth of the documents: (seconds, bytes) or None."""
    try:
        from review.ner import PersonNER
        model = PersonNER.load()
    except (ImportError, OSError, ValueError) as exc:  # no model trained yet
        print(f"person-name NER: not measured ({type(exc).__name__})")
        return None
    model.find(documents[0][:500])
    sample = documents[: max(1, len(documents) // 10)]
    started = time.perf_counter()
    model.find_many(sample)
    return time.perf_counter() - started, sum(len(t.encode()) for t in sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per system; the best is reported")
    parser.add_argument("--skip-presidio", action="store_true")
    parser.add_argument("--skip-ner", action="store_true")
    args = parser.parse_args()
    documents, planted = planted_documents(government_text(Path(args.shared), args.megabytes))
    parsed = [as_document(i, text) for i, text in enumerate(documents)]
    megabytes = sum(len(d.encode()) for d in documents) / 1e6
    total = sum(len(v) for v in planted)
    print(f"{len(documents)} documents of ~{DOC_CHARS // 1000}k characters, {megabytes:.1f} MB, "
          f"{total} planted values (one ID and one mobile each); best of {args.repeats} passes, one core")

    def line(label: str, seconds: float, found: int) -> None:
        print(f"{label:58} {seconds:6.2f} s {megabytes / seconds:6.2f} MB/s {len(documents) / seconds:5.0f} docs/s"
              f"  recall {found}/{total}")

    seconds, found = run_engine(parsed, planted, args.repeats)
    line(f"engine alone ({len(engine_for(rules_for(ScanConfig())).rules)} rules)", seconds, found)
    with_ner, found = run_detection_stage(parsed, planted, args.repeats)
    line("detection stage (公文 structure + all packs, NER near cues)", with_ner, found)
    stage_seconds, found = run_detection_stage(parsed, planted, args.repeats, WITHOUT_NER)
    line("detection stage without the person-name model rule", stage_seconds, found)
    if not args.skip_presidio:
        p_seconds, p_found = run_presidio(documents, planted, args.repeats)
        line("presidio (ID + mobile only, blank zh spaCy)", p_seconds, p_found)
        print(f"speed ratio detection stage without NER / presidio: {p_seconds / stage_seconds:.1f}x")
    if not args.skip_ner and (ner := run_ner(documents)):
        n_seconds, n_bytes = ner
        print(f"person-name NER alone (batched): {n_bytes / 1e6 / n_seconds:.2f} MB/s "
              f"({n_bytes / 1e4 / n_seconds:.0f} ten-kilobyte documents/s)")


if __name__ == "__main__":
    main()

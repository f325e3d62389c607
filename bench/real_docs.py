"""False alarms on real published government text (a measurement, not a test).

    .venv/bin/python bench/real_docs.py [--shared ../shared] [--show 3]

Every document in ../shared/data/gov_work_reports and policy_docs_central_shandong was published, so it
is proactive by construction, and a live (non-info) flag on it is a false alarm unless a person reading
it says otherwise. Prints live flags per document, the rules that fire most, and a few examples each so
that the reader can judge them. Also times the detection stage (MB/s, NER not included).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from review.config import ScanConfig
from review.document import Document
from review.pipeline import review_document


def corpus(shared: Path):
    reports = shared / "data" / "gov_work_reports"
    for name in ("central_government_work_reports", "cpc_congress_reports", "provincial_2026_government_work_reports"):
        for line in (reports / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            yield f"{name}:{row.get('title')}", row.get("content") or row.get("full_text") or ""
    policies = shared / "data" / "policy_docs_central_shandong" / "policy_documents.jsonl"
    for line in policies.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        yield f"policy:{row.get('title_en')}", row.get("content_zh") or ""


def as_document(name: str, text: str) -> Document:
    return Document.from_text(text, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--show", type=int, default=3, help="examples per rule")
    args = parser.parse_args()
    config = ScanConfig()
    documents = [as_document(name, text) for name, text in corpus(Path(args.shared)) if text.strip()]
    review_document(documents[0], config)  # warm up: rule packs and automaton built once
    by_rule, examples, per_doc = Counter(), defaultdict(list), []
    started = time.perf_counter()
    for document in documents:
        report = review_document(document, config)
        live = [f for f in report.flags if f.severity != "info"]
        per_doc.append(len(live))
        for flag in live:
            by_rule[flag.rule] += 1
            if len(examples[flag.rule]) < args.show:
                examples[flag.rule].append(f"{flag.text[:40]} «{(flag.context or '')[:60]}»")
    seconds = time.perf_counter() - started
    megabytes = sum(len(d.text.encode()) for d in documents) / 1e6
    print(f"{len(documents)} published documents, {megabytes:.1f} MB of text")
    print(f"live flags: {sum(per_doc)} ({sum(per_doc) / len(documents):.2f} per document); "
          f"documents with any: {sum(1 for n in per_doc if n)}")
    print(f"whole review (structure, detection, attribute; no NER): {seconds:.2f} s, {megabytes / seconds:.1f} MB/s")
    for rule, count in by_rule.most_common(15):
        print(f"  {count:5d}  {rule}")
        for example in examples[rule]:
            print(f"           {example}")


if __name__ == "__main__":
    main()

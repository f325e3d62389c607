"""Speed of the attribute stage (a measurement, not a test).

    .venv/bin/python bench/attribute.py [--shared ../shared] [--docs 200] [--repeat 3]

Times what review_document spends after detection: `suggest()` (legal rules, features, the calibrated
model, the cost matrix) and the consistency checks, on documents already read and analysed — real policy
documents from ../shared/data/policy_docs_central_shandong cut to 10 KB of UTF-8, and the written training
documents as they are (about 1 KB). Also times loading the model: the first load in a process (imports
of scikit-learn and joblib included) and a reload. Target: < 10 ms per 10 KB document.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from review.attribute import AttributeModel, _load, suggest
from review.config import ScanConfig
from review.consistency import consistency_flags
from review.document import Document
from review.pipeline import analyse
from review.rules import rules_for

REPO = Path(__file__).resolve().parents[1]
TEN_KB = 10_000


def cut_to_bytes(text: str, size: int) -> str:
    return text.encode("utf-8")[:size].decode("utf-8", errors="ignore")


def real_documents(shared: Path, count: int) -> list[Document]:
    path = shared / "data" / "policy_docs_central_shandong" / "policy_documents.jsonl"
    documents = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = json.loads(line).get("content_zh") or ""
        if len(text.encode("utf-8")) >= TEN_KB:
            documents.append(Document.from_text(cut_to_bytes(text, TEN_KB), f"policy{len(documents)}"))
        if len(documents) == count:
            break
    return documents


def written_documents(count: int) -> list[Document]:
    path = REPO / "models" / "attribute" / "corpus" / "written.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Document.from_text(row["text"], row["id"]) for row in rows[:count]]


def time_load() -> tuple[float, float]:
    _load.cache_clear()
    started = time.perf_counter()
    AttributeModel.load()
    first = time.perf_counter() - started
    _load.cache_clear()
    started = time.perf_counter()
    AttributeModel.load()
    return first, time.perf_counter() - started


def time_stage(documents: list[Document], model, config: ScanConfig, repeat: int) -> dict:
    rules = rules_for(config)
    analysed = [(document, *analyse(document, config)[:2]) for document in documents]
    per_document = []
    for document, metadata, flags in analysed:
        best = float("inf")
        for _ in range(repeat):  # best of `repeat`: the machine is shared
            started = time.perf_counter()
            attribute = suggest(document, metadata, flags, model)
            consistency_flags(document, metadata, flags, attribute, rules)
            best = min(best, time.perf_counter() - started)
        per_document.append(best * 1000)
    kilobytes = [len(d.text.encode("utf-8")) / 1000 for d, _, _ in analysed]
    return {"documents": len(per_document), "kb_median": statistics.median(kilobytes),
            "ms_median": statistics.median(per_document),
            "ms_p95": sorted(per_document)[int(0.95 * (len(per_document) - 1))],
            "ms_per_10kb": sum(per_document) / sum(kilobytes) * 10}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(REPO.parent / "shared"))
    parser.add_argument("--docs", type=int, default=200, help="documents per group")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    first, reload = time_load()
    print(f"model load: {first:.2f} s first in the process (imports included), {reload:.2f} s reload")
    model, config = AttributeModel.load(), ScanConfig()
    groups = {"real policy documents cut to 10 KB": real_documents(Path(args.shared), args.docs),
              "written corpus documents": written_documents(args.docs)}
    suggest(groups["written corpus documents"][0], *analyse(groups["written corpus documents"][0], config)[:2], model)
    print("attribute stage (suggest + consistency checks), best of", args.repeat, "per document:")
    for name, documents in groups.items():
        figures = time_stage(documents, model, config, args.repeat)
        print(f"  {name}: {figures['documents']} docs, median {figures['kb_median']:.1f} KB; "
              f"median {figures['ms_median']:.1f} ms, p95 {figures['ms_p95']:.1f} ms per document; "
              f"{figures['ms_per_10kb']:.1f} ms per 10 KB")


if __name__ == "__main__":
    main()

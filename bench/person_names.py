"""Citizens' names: what the person-name model adds to the role-word rule (a measurement, not a test).

    .venv/bin/python bench/person_names.py [--shared ../shared]

Runs the detection engine twice, with and without `personal.person_name_model` (the spaCy model run near
ID numbers, phones, addresses and sensitive role words), over
- MultiPriv (../shared/data/multipriv_pii_zh_synthetic, LLM-written paragraphs about invented people,
  CC BY-NC-SA, evaluation only): recall of each record's `name`, the person the paragraph is about;
- the real published documents of bench/real_docs.py (work reports, policy documents): live person-name
  flags per document, which are false alarms unless a reader says otherwise (shown), and the time taken.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from real_docs import corpus

from review.config import ScanConfig
from review.detect.engine import engine_for
from review.rules import rules_for

MODEL_RULE = "personal.person_name_model"


def engines():
    with_model = engine_for(rules_for(ScanConfig()))
    without = engine_for(rules_for(ScanConfig(disable_rules=(MODEL_RULE,))))
    return {"role words only": without, "with the model rule": with_model}


def names_found(engine, text: str) -> list[str]:
    return [f.text for f in engine.detect_text(text) if f.type == "person_name" and f.severity != "info"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    args = parser.parse_args()
    shared = Path(args.shared)
    records = json.loads((shared / "data" / "multipriv_pii_zh_synthetic" / "data_person_1000_zh.json")
                         .read_text(encoding="utf-8"))
    records = [r for r in records if r["name"] and r["name"] in r["naturalParagraph"]]
    published = [(name, text) for name, text in corpus(shared) if text.strip()]
    chars = sum(len(text) for _, text in published)
    for label, engine in engines().items():
        engine.detect_text("申请人王秀英，身份证号码略。")  # warm up (the model loads on first use)
        hits = other = 0
        for record in records:
            found = names_found(engine, record["naturalParagraph"])
            hits += any(record["name"] in name or name in record["name"] for name in found if len(name) >= 2)
            other += sum(1 for name in found if name not in record["name"] and name not in (record["doctor"] or ""))
        started = time.perf_counter()
        alarms = [(title, name) for title, text in published for name in names_found(engine, text)]
        seconds = time.perf_counter() - started
        print(f"{label}: MultiPriv subject names {hits}/{len(records)} ({hits / len(records):.3f}), "
              f"{other} other spans flagged as names; published documents: {len(alarms)} person-name flags in "
              f"{len(published)} documents ({len(alarms) / len(published):.3f} per document), "
              f"{chars / seconds / 1e6:.2f} M characters/s for the whole engine")
        for title, name in alarms[:12]:
            print(f"    {name}  ← {title[:60]}")


if __name__ == "__main__":
    main()

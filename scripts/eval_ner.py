#!/usr/bin/env python
"""Evaluate a PERSON NER model (default: the shipped models/person_ner) through review.ner.PersonNER.

    .venv/bin/python scripts/eval_ner.py                                   # dev splits
    .venv/bin/python scripts/eval_ner.py --splits pd_test,msra_test --speed # held-out test splits + chars/s
    .venv/bin/python scripts/eval_ner.py --model build/ner/out/model-best --splits pd_dev --errors 40
    .venv/bin/python scripts/eval_ner.py --model M --tune-decoding --json build/ner/decoding.json

Scores are exact-span P/R/F1 over PERSON mentions (chunking of long texts included). ``--speed`` times
PersonNER.find on ~1 MB of government work-report text on one thread.

``--tune-decoding`` chooses the surname prior on People's Daily dev (``train_ner.tune_decoding``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_ner as T  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None, help="a spaCy model folder (default: the shipped one)")
    ap.add_argument("--splits", default="pd_dev,cluener_dev", help=f"any of {', '.join({**T.DEV_SOURCES, **T.TEST_SOURCES, **T.EXTRA_SOURCES})}")
    ap.add_argument("--errors", type=int, default=0, help="print this many wrong sentences per split")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--greedy", action="store_true", help="spaCy's own decoder (no scores) for the speed figure")
    ap.add_argument("--tune-decoding", action="store_true", help="choose the surname prior on People's Daily dev")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    a = ap.parse_args()
    if a.tune_decoding:
        res = T.tune_decoding(a.model)
    else:
        res = T.evaluate(a.model, [s for s in a.splits.split(",") if s], a.errors) if a.splits else {}
    if a.speed:
        res["speed"] = T.measure_speed(a.model, with_scores=not a.greedy)
    if a.json:
        a.json.write_text(json.dumps(res, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()

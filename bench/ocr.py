"""OCR benchmark (not a test): character error rate, recall of planted values, speed, and the
measurements behind the settings in review/intake/ocr.py.

    .venv/bin/python bench/ocr.py [--pages 60] [--subset 10] [--workers 2]

Generates full A4 公文 pages with tests/ocr_fixtures.py (wqy-zenhei, 三号 text, two planted ID
numbers, two mobiles and a 秘密★ marking each): half clean, half turned by up to ±2.5° and speckled
like a cheap scan. Each page is written as a one-page image-only PDF and goes through the pipeline
(render at 300 dpi → OCR → detection), which gives the CER (edit distance over the drawn text, after
NFKC and without white space, so that 、 vs , counts but a full-width colon read as ":" does not),
the recall of the planted values and pages/s. The same pages then run in a pool of `--workers`
processes. A subset of `--subset` pages is read under other settings (dpi, preprocessing, page
segmentation, language) straight through review.intake.ocr.read_page. Prints the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the scan generator

from ocr_fixtures import make_page, save_image_pdf  # noqa: E402

from review.config import ScanConfig  # noqa: E402
from review.intake import ocr, read_document  # noqa: E402
from review.pipeline import review_document, review_file  # noqa: E402

CATEGORY = {"id_card": "personal", "mobile": "personal", "marking": "secret"}


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def normalised(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def page_specs(count: int) -> list[dict]:
    """Half clean pages, half turned and speckled; seeded, so every run measures the same pages."""
    rng = random.Random(7)
    specs = []
    for seed in range(count):
        if seed % 2 == 0:
            specs.append({"seed": seed, "rotation": 0.0, "noise": 0.0})
        else:
            specs.append({"seed": seed, "rotation": round(rng.uniform(-2.5, 2.5), 2),
                          "noise": round(rng.uniform(0.002, 0.02), 4)})
    return specs


def pipeline_run(pages, folder: Path) -> dict:
    """Every page as a one-page scanned PDF through read_document + review_document."""
    config = ScanConfig()
    errors = {"clean": [0, 0], "degraded": [0, 0]}
    found = {kind: [0, 0] for kind in CATEGORY}
    value_confidence = {"right": [], "misread": []}
    seconds = []
    paths = []
    for number, (spec, page) in enumerate(pages):
        path = save_image_pdf([page], folder / f"page{number:03d}.pdf")
        paths.append(path)
        started = time.perf_counter()
        document = read_document(str(path), config)
        report = review_document(document, config)
        seconds.append(time.perf_counter() - started)
        kind = "clean" if spec["noise"] == 0 and spec["rotation"] == 0 else "degraded"
        read = normalised(document.visible_text)
        errors[kind][0] += edit_distance(normalised(page.text), read)
        errors[kind][1] += len(normalised(page.text))
        for planted in page.planted:
            found[planted.kind][1] += 1
            hit = any(f.category == CATEGORY[planted.kind] and f.text.replace(" ", "") == planted.value
                      for f in report.flags)
            found[planted.kind][0] += hit
            if planted.kind != "marking":
                value_confidence["right" if hit else "misread"].append(_confidence_at(document, planted))
    return {"errors": errors, "found": found, "seconds": seconds, "paths": paths, "confidence": value_confidence}


def _confidence_at(document, planted) -> float:
    """The OCR confidence of the planted value: of its own words when it was read, else of its line."""
    box = tuple(v * 72 / 300 for v in planted.bbox)
    for block in document.blocks:
        bbox = block.location.bbox
        if block.ocr_words and bbox and bbox[1] < box[3] and box[1] < bbox[3]:
            at = block.text.replace(" ", "").find(planted.value)
            if at >= 0 and " " not in block.text:
                return block.ocr_span(block.start + at, block.start + at + len(planted.value))[1]
            return block.location.ocr_confidence
    return 0.0


def _review(path: str) -> float:
    started = time.perf_counter()
    review_file(path)
    return time.perf_counter() - started


def pool_run(paths, workers: int) -> float:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_review, [str(p) for p in paths]))
    return time.perf_counter() - started


def settings_run(specs, settings: ocr.OcrSettings, dpi: int) -> tuple[float, float, float]:
    """CER, share of planted IDs and mobiles read exactly, seconds per page; straight through read_page."""
    errors = total = right = planted_total = 0
    seconds = 0.0
    for spec in specs:
        page = make_page(spec["seed"], dpi=dpi, rotation=spec["rotation"], noise=spec["noise"])
        started = time.perf_counter()
        text = "\n".join(line.text for line in ocr.read_page(page.image, settings=settings).lines)
        seconds += time.perf_counter() - started
        errors += edit_distance(normalised(page.text), normalised(text))
        total += len(normalised(page.text))
        flat = text.replace(" ", "")
        for planted in page.planted:
            if planted.kind != "marking":
                planted_total += 1
                right += planted.value in flat
    return errors / total, right / planted_total, seconds / len(specs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--subset", type=int, default=10, help="pages read under each alternative setting")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if ocr.missing_reason():
        sys.exit(ocr.missing_reason())
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    specs = page_specs(args.pages)
    pages = [(spec, make_page(spec["seed"], rotation=spec["rotation"], noise=spec["noise"])) for spec in specs]
    print(f"{len(pages)} generated A4 pages at 300 dpi ({sum(s['noise'] == 0 for s in specs)} clean, "
          f"{sum(s['noise'] > 0 for s in specs)} turned ±2.5° and speckled), default settings {ocr.DEFAULT_SETTINGS}")
    with tempfile.TemporaryDirectory() as folder:
        result = pipeline_run(pages, Path(folder))
        for kind, (wrong, total) in result["errors"].items():
            print(f"CER {kind:9s} {wrong / total:6.2%}  ({wrong} edits over {total} characters)")
        for kind, (hit, total) in result["found"].items():
            print(f"recall {kind:8s} {hit}/{total} = {hit / total:.3f}  (flag of category {CATEGORY[kind]}, exact value)")
        right, misread = result["confidence"]["right"], result["confidence"]["misread"]
        low = 0.80
        print(f"confidence of IDs/mobiles read right: median {statistics.median(right):.2f}, "
              f"{sum(c < low for c in right)}/{len(right)} below {low}; misread: "
              + (f"{sum(c < low for c in misread)}/{len(misread)} below {low}" if misread else "none"))
        seconds = result["seconds"]
        print(f"one process (read + review, OMP_THREAD_LIMIT={os.environ['OMP_THREAD_LIMIT']}): "
              f"{len(seconds) / sum(seconds):.2f} pages/s, median {statistics.median(seconds):.2f} s/page")
        sample = result["paths"][:max(args.workers * 5, 10)]
        sequential = pool_run(sample, 1)
        pooled = pool_run(sample, args.workers)
        print(f"review_file over {len(sample)} pages: 1 worker {len(sample) / sequential:.2f} pages/s, "
              f"{args.workers} workers {len(sample) / pooled:.2f} pages/s ({os.cpu_count()} cores on this machine)")
    subset = specs[: args.subset]
    print(f"\nalternative settings on {len(subset)} of the pages ({sum(s['noise'] == 0 for s in subset)} clean): "
          "CER, IDs/mobiles read exactly, s/page")
    variants = [
        ("default, 200 dpi", ocr.DEFAULT_SETTINGS, 200),
        ("default, 300 dpi", ocr.DEFAULT_SETTINGS, 300),
        ("default, 400 dpi", ocr.DEFAULT_SETTINGS, 400),
        ("no deskew", ocr.OcrSettings(deskew=False), 300),
        ("median never", ocr.OcrSettings(denoise=False), 300),
        ("median always", ocr.OcrSettings(denoise=True), 300),
        ("binarise (Otsu)", ocr.OcrSettings(binarise=True), 300),
        ("psm 3 (auto layout)", ocr.OcrSettings(psm=3), 300),
        ("chi_sim+eng", ocr.OcrSettings(language="chi_sim+eng"), 300),
    ]
    for name, settings, dpi in variants:
        cer, recall, seconds = settings_run(subset, settings, dpi)
        print(f"  {name:22s} CER {cer:6.2%}  values {recall:.3f}  {seconds:.2f} s/page", flush=True)


if __name__ == "__main__":
    main()

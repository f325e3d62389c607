"""Calibration benchmark (not a test) for OCR_LOW_CONFIDENCE and OCR_POOR_PAGE in review/flags.py: which
Tesseract confidence separates misread ID numbers and mobiles from values read right?

    .venv/bin/python bench/ocr_confidence.py [--pages 252] [--workers 2] [--first-seed 1000]

Generates A4 公文 pages with tests/ocr_fixtures.py (4 planted 18-digit ID numbers and 6 mobiles per
page, fixed seeds) and degrades them like poor scans, the CONDITIONS in turn: scan resolution (drawn
at 300 dpi, scaled down), Gaussian blur, JPEG quality, speckles, a slight turn. On clean pages
Tesseract misread nothing, and blur alone (radius up to 5 px at 300 dpi) or speckles up to 8 % barely
hurt either; what makes it misread digits is low resolution, heavy speckle and, above all, coarse JPEG
at 80–120 dpi. The first two conditions (READABLE) are scans Tesseract reads right, for the needless
warnings on ordinary pages.

Each page is written as a one-page image-only PDF (the picture JPEG-compressed at the condition's
quality and stored at its dpi, so the page keeps its A4 size) and goes through the real pipeline
(read_document → review_document, as review_file does: render at 300 dpi → OCR → detection). Every
planted ID number and mobile is matched with the personal-data flags at its place on the page (box
overlapping the planted box, by at least half the flag's height) and classified:

    right    flagged, flag text without spaces == planted value
    misread  flagged at that place, but the flag's text differs (a wrong digit that still validates)
    missed   no flag there (e.g. an ID number whose misread digit breaks the check digit)

keeping the flag's location.ocr_confidence (the weakest OCR word of the flagged text), as a page-level
signal the page's p10 (Document.ocr_page_quality: 10th percentile of all its OCR word confidences), and
whether the review's explanation warned ("low confidence"). Prints counts per
condition, confidence quantiles of right and misread flags, for thresholds 0.50..0.95 the share of
misread flags below it (caught: the approver is told to check the page image) and of right flags
below it (needless warnings, also on the ordinary scans alone), the same for the current threshold
combined with a page p10 limit, the review's own warning, a suggested threshold, the misread flags one
by one, and the totals.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ocr.py, which puts tests/ on the path

from ocr import _confidence_at  # noqa: E402  (bench/ocr.py)
from ocr_fixtures import page_lines, render_page  # noqa: E402

from review.config import ScanConfig  # noqa: E402
from review.flags import OCR_LOW_CONFIDENCE, OCR_POOR_PAGE  # noqa: E402
from review.intake import ocr, read_document  # noqa: E402
from review.pipeline import review_document  # noqa: E402

RENDER_DPI = 300  # pages are drawn at this resolution; planted boxes are in its pixels
BODY_LINES, IDS_PER_PAGE, MOBILES_PER_PAGE = 16, 4, 6
# dpi: of the scan (drawn at 300, scaled down); blur: Gaussian radius in 300-dpi pixels, before the
# scaling; quality: of the JPEG inside the PDF; noise: share of speckled pixels; turn: largest turn
# in degrees, either way. Chosen by trial runs: about a fifth of all values go wrong, none on READABLE.
CONDITIONS = {
    "300dpi speckled turned": dict(dpi=300, blur=0.0, quality=75, noise=0.01, turn=2.5),  # readable scans
    "100dpi jpeg q60": dict(dpi=100, blur=0.0, quality=60, noise=0.0, turn=0.0),
    "150dpi 12% speckles": dict(dpi=150, blur=0.0, quality=60, noise=0.12, turn=1.5),
    "60dpi blurred": dict(dpi=60, blur=3.0, quality=75, noise=0.0, turn=0.0),
    "50dpi": dict(dpi=50, blur=0.0, quality=75, noise=0.0, turn=0.0),
    "120dpi jpeg q3": dict(dpi=120, blur=0.0, quality=3, noise=0.0, turn=0.0),
    "100dpi jpeg q4": dict(dpi=100, blur=0.0, quality=4, noise=0.0, turn=0.0),
    "100dpi jpeg q5": dict(dpi=100, blur=0.0, quality=5, noise=0.0, turn=0.0),
    "90dpi jpeg q6": dict(dpi=90, blur=0.0, quality=6, noise=0.0, turn=0.0),
}
READABLE = ("300dpi speckled turned", "100dpi jpeg q60")  # where Tesseract misread nothing in trials
THRESHOLDS = [round(0.50 + 0.05 * k, 2) for k in range(10)]  # 0.50 .. 0.95
CATCH_TARGET = 0.90  # the suggested threshold is the lowest that catches this share of misread flags


def page_specs(count: int, first_seed: int = 1000) -> list[dict]:
    """Page k: seed first_seed + k, the conditions in turn; turns drawn from a generator seeded alike."""
    rng = random.Random(first_seed)
    names = list(CONDITIONS)
    specs = []
    for k in range(count):
        name = names[k % len(names)]
        condition = CONDITIONS[name]
        specs.append({"seed": first_seed + k, "condition": name, **condition,
                      "rotation": round(rng.uniform(-condition["turn"], condition["turn"]), 2)})
    return specs


def degraded_pdf(spec: dict, folder: str):
    """The page drawn, degraded as its spec says and saved as a one-page image PDF: (page, path)."""
    lines = page_lines(random.Random(spec["seed"]), BODY_LINES, ids=IDS_PER_PAGE, mobiles=MOBILES_PER_PAGE)
    page = render_page(lines, dpi=RENDER_DPI, rotation=spec["rotation"], noise=spec["noise"], seed=spec["seed"])
    image = page.image
    if spec["blur"]:
        image = image.filter(ImageFilter.GaussianBlur(spec["blur"]))
    if spec["dpi"] != RENDER_DPI:
        scale = spec["dpi"] / RENDER_DPI
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    path = Path(folder) / f"page{spec['seed']}.pdf"
    image.save(path, "PDF", resolution=spec["dpi"], quality=spec["quality"])  # a grey JPEG (DCTDecode)
    return page, path


def _same_place(flag_box, planted_box) -> bool:
    """Overlapping, and by at least half the flag's height (not a neighbouring line grazing it)."""
    across = min(flag_box[2], planted_box[2]) - max(flag_box[0], planted_box[0])
    down = min(flag_box[3], planted_box[3]) - max(flag_box[1], planted_box[1])
    return across > 0 and down >= 0.5 * (flag_box[3] - flag_box[1])


def measure_page(spec: dict) -> list[dict]:
    """One page through the pipeline; a record per planted ID number and mobile. Runs in the pool."""
    with tempfile.TemporaryDirectory() as folder:
        page, path = degraded_pdf(spec, folder)
        config = ScanConfig()
        document = read_document(str(path), config)
        report = review_document(document, config)
    flags = [f for f in report.flags if f.category == "personal" and f.location.page == 1 and f.location.bbox]
    # how well the page as a whole was read: the confidence its weakest tenth of OCR words stay below
    page_p10 = document.ocr_page_quality.get(1, 0.0)
    records = []
    for planted in page.planted:
        if planted.kind == "marking":
            continue
        box = tuple(v * 72 / RENDER_DPI for v in planted.bbox)  # pixels of the 300-dpi drawing → points
        here = [f for f in flags if _same_place(f.location.bbox, box)]
        exact = [f for f in here if f.text.replace(" ", "").upper() == planted.value]  # an ID's x is its X
        record = {"condition": spec["condition"], "seed": spec["seed"], "kind": planted.kind, "value": planted.value,
                  "page_p10": page_p10}
        if here:
            flag = (exact or here)[0]
            record.update(outcome="right" if exact else "misread", confidence=flag.location.ocr_confidence,
                          read=flag.text, rule=flag.rule,
                          warned=flag.explanation.steps[0].outcome.startswith("low confidence"))
        else:  # no flag: the OCR confidence at the value's place, as bench/ocr.py takes it
            record.update(outcome="missed", confidence=_confidence_at(document, planted), read=None, rule=None,
                          warned=False)
        records.append(record)
    return records


def quantiles(values: list[float]) -> str:
    if len(values) < 4:
        return " ".join(f"{v:.2f}" for v in sorted(values)) or "-"
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    return (f"min {min(values):.2f}  p10 {deciles[0]:.2f}  p25 {quartiles[0]:.2f}  median {quartiles[1]:.2f}  "
            f"p75 {quartiles[2]:.2f}  p90 {deciles[8]:.2f}  max {max(values):.2f}")


def shares(records: list[dict], warned) -> tuple[str, float, float]:
    """Which flags a rule warns on: misread flags caught, right flags warned needlessly (all, and on the
    readable scans) as a table row, and the two shares."""
    def count(outcome, conditions=None):
        rows = [r for r in records if r["outcome"] == outcome and (conditions is None or r["condition"] in conditions)]
        hit = sum(map(warned, rows))
        return f"{hit:5d}/{len(rows):<5d} {hit / len(rows) if rows else 0.0:6.1%}", hit / len(rows) if rows else 0.0

    (caught, share_caught), (needless, share_needless) = count("misread"), count("right")
    return f"{caught}   {needless}   {count('right', READABLE)[0]}", share_caught, share_needless


def print_report(records: list[dict], pages: int, seconds: float) -> None:
    print(f"\n{'condition':24s} {'pages':>5s} {'values':>6s} {'right':>6s} {'misread':>8s} {'missed':>7s}  "
          f"{'wrong':>6s}  median page p10")
    for name in [*CONDITIONS, None]:
        rows = [r for r in records if name in (None, r["condition"])]
        if not rows:
            continue
        counts = Counter(r["outcome"] for r in rows)
        print(f"{name or 'all':24s} {len({r['seed'] for r in rows}):5d} {len(rows):6d} {counts['right']:6d} "
              f"{counts['misread']:8d} {counts['missed']:7d}  {(counts['misread'] + counts['missed']) / len(rows):6.1%}"
              f"  {statistics.median(r['page_p10'] for r in rows):.2f}")
    for kind in ("id_card", "mobile"):
        counts = Counter(r["outcome"] for r in records if r["kind"] == kind)
        print(f"  {kind:8s} right {counts['right']}, misread {counts['misread']}, missed {counts['missed']}")

    def values(key, outcome, conditions=None):
        return [r[key] for r in records
                if r["outcome"] == outcome and (conditions is None or r["condition"] in conditions)]

    for key, title in (("confidence", "flag confidence (location.ocr_confidence; missed: OCR confidence at the place)"),
                       ("page_p10", "page p10: 10th percentile of the OCR word confidences of the value's page")):
        print(f"\n{title}")
        for label, outcome, conditions in (("right flags", "right", None), ("  on readable scans", "right", READABLE),
                                           ("misread flags", "misread", None), ("missed (no flag)", "missed", None)):
            found = values(key, outcome, conditions)
            print(f"  {label:27s} {len(found):5d}  {quantiles(found)}")

    header = f"{'misread caught':>18s}   {'needless warnings':>18s}   {'… on readable scans':>19s}"
    print(f"\nwarn when flag confidence < threshold\n{'threshold':>9s}  {header}")
    rows = []
    for t in THRESHOLDS:
        row, caught, needless = shares(records, lambda r: r["confidence"] < t)
        rows.append((t, caught, needless))
        mark = "  ← OCR_LOW_CONFIDENCE now" if abs(t - OCR_LOW_CONFIDENCE) < 1e-9 else ""
        print(f"{t:9.2f}  {row}{mark}")
    print(f"\nwarn when flag confidence < {OCR_LOW_CONFIDENCE:.2f} or page p10 < p (a page read poorly as a whole)\n"
          f"{'p':>9s}  {header}")
    for p in (0.65, 0.70, 0.75, 0.80):
        print(f"{p:9.2f}  " + shares(records, lambda r: r["confidence"] < OCR_LOW_CONFIDENCE or r["page_p10"] < p)[0])

    print(f"\nthe review's own warning (flag confidence < {OCR_LOW_CONFIDENCE:.2f} or page quality < {OCR_POOR_PAGE:.2f}, "
          f"review/flags.py)\n{'':9s}  {header}\n{'now':>9s}  " + shares(records, lambda r: r["warned"])[0])

    misread = values("confidence", "misread")
    if not misread:
        print("\nno flag was misread: nothing to calibrate on (degrade the pages more or raise --pages)")
    else:
        reached = [row for row in rows if row[1] >= CATCH_TARGET]
        if reached:
            t, caught, needless = reached[0]
            print(f"\nsuggested threshold {t:.2f}: the lowest of {THRESHOLDS[0]:.2f}..{THRESHOLDS[-1]:.2f} that "
                  f"catches ≥ {CATCH_TARGET:.0%} of misread flags; it catches {caught:.0%} and warns needlessly "
                  f"on {needless:.1%} of right flags")
        else:
            print(f"\nno threshold up to {THRESHOLDS[-1]:.2f} catches {CATCH_TARGET:.0%} of misread flags")
        best = max(rows, key=lambda row: row[1] - row[2])
        print(f"largest caught − needless (Youden's J): {best[0]:.2f} ({best[1]:.0%} caught, {best[2]:.1%} needless)")
        print("\nmisread flags, weakest first (flag confidence, page p10):")
        for r in sorted((r for r in records if r["outcome"] == "misread"), key=lambda r: r["confidence"]):
            print(f"  {r['confidence']:.2f} {r['page_p10']:.2f}  {r['kind']:8s} {r['value']:18s} flagged "
                  f"{r['read']!r} ({r['rule']}; {r['condition']}, seed {r['seed']})")
    print(f"\ntotals: {pages} pages, {len(records)} values ({len(values('value', 'right'))} right, {len(misread)} "
          f"misread, {len(values('value', 'missed'))} missed), {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--pages", type=int, default=252, help="pages, the conditions in turn (default 252)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=1000, help="another value draws another sample of pages")
    args = parser.parse_args()
    if ocr.missing_reason():
        sys.exit(ocr.missing_reason())
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    specs = page_specs(args.pages, args.first_seed)
    print(f"{len(specs)} generated A4 pages (seeds {args.first_seed}..{args.first_seed + len(specs) - 1}), "
          f"{IDS_PER_PAGE} ID numbers and {MOBILES_PER_PAGE} mobiles on each, "
          f"{args.workers} workers; OCR_LOW_CONFIDENCE now {OCR_LOW_CONFIDENCE:.2f}; conditions in turn:")
    for name, condition in CONDITIONS.items():
        print(f"  {name:24s} " + ", ".join(f"{key} {value}" for key, value in condition.items()))
    started = time.perf_counter()
    records = []
    # forkserver, as review/scan/runner.py: workers import this module, so measure_page lives at module level
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        for done, page_records in enumerate(pool.map(measure_page, specs), start=1):
            records.extend(page_records)
            if done % 40 == 0 or done == len(specs):
                print(f"  {done}/{len(specs)} pages read, {time.perf_counter() - started:.0f} s", flush=True)
    print_report(records, len(specs), time.perf_counter() - started)


if __name__ == "__main__":
    main()

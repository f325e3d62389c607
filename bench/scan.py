"""Benchmark of `review scan` (a benchmark, not a test): docs/s, MB/s, scaling, RSS, time per stage.

    .venv/bin/python bench/scan.py [--docs 10000] [--archive build/bench-archive] [--shared ../shared]
                                   [--runs local1,local2,dask1,dask2]

Generates (once, then reuses) an archive of ~10 KB documents — txt, docx, pdf and html in the proportions
40/30/15/15 — cut from real published policy documents in ../shared/data, with ID numbers and mobile
numbers planted in about a third of them. Then scans it with the local process pool (1 and 2 workers)
and a Dask LocalCluster (1 and 2 workers), each into a fresh output folder, and prints:
documents/s, MB/s, documents/s per worker, scaling efficiency (2 workers vs 1), peak RSS of each worker
process (sampled every 0.2 s with psutil), the share of worker time per pipeline stage (from the
reports' timings) and the scanning process's own write time, and recall of the planted values.
Targets (issue 6): ≥ 100 documents/s per core for ~10 KB txt/docx; 2 workers ≥ 1.8× one; < 500 MB RSS per
worker.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from review.config import ScanConfig  # noqa: E402
from review.detect.validators import id_check_digit  # noqa: E402
from review.scan import ledger as ledger_module  # noqa: E402
from review.scan.runner import ScanOptions, run_scan  # noqa: E402

KINDS = ["txt"] * 40 + ["docx"] * 30 + ["pdf"] * 15 + ["html"] * 15
TARGET_CHARS = 3300  # ≈ 10 KB of UTF-8 Chinese


def source_texts(shared: Path) -> list[str]:
    rows = (shared / "data" / "policy_docs_central_shandong" / "policy_documents.jsonl").read_text(encoding="utf-8")
    texts = [json.loads(line).get("content_zh") or "" for line in rows.splitlines()]
    return [t for t in texts if len(t) > 2 * TARGET_CHARS]


def planted_values(rng: random.Random) -> tuple[str, str]:
    first17 = f"3701{rng.randint(2, 5):02d}{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
              f"{rng.randint(100, 999)}"
    return first17 + id_check_digit(first17), f"13{rng.randint(5, 9)}{rng.randint(10_000_000, 99_999_999)}"


def generate(archive: Path, count: int, shared: Path, seed: int = 6) -> dict[str, tuple[str, str]]:
    """Write the archive; return {file name: (planted id, planted mobile)} for the planted ones."""
    import docx
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    rng = random.Random(seed)
    texts = source_texts(shared)
    planted = {}
    archive.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        text = rng.choice(texts)
        start = rng.randrange(0, len(text) - TARGET_CHARS)
        paragraphs = [p.strip() for p in text[start:start + TARGET_CHARS].split("\n") if p.strip()]
        name = f"{n // 1000:02d}/doc{n:05d}.{kind}"
        if n % 3 == 0:
            id_number, mobile = planted_values(rng)
            paragraphs.insert(len(paragraphs) // 2, f"申请人王某某，公民身份号码{id_number}，联系电话{mobile}。")
            planted[name] = (id_number, mobile)
        path = archive / name
        path.parent.mkdir(exist_ok=True)
        if kind == "txt":
            path.write_text("\n".join(paragraphs), encoding="utf-8")
        elif kind == "html":
            body = "".join(f"<p>{p}</p>" for p in paragraphs)
            path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>政策文件</title></head>"
                            f"<body><div class='content'>{body}</div></body></html>", encoding="utf-8")
        elif kind == "docx":
            document = docx.Document()
            for paragraph in paragraphs:
                document.add_paragraph(paragraph)
            document.save(path)
        else:
            pdf = canvas.Canvas(str(path), pagesize=A4)
            pdf.setFont("STSong-Light", 11)
            y = 800
            for paragraph in paragraphs:
                for line in wrap(paragraph, 44):
                    if y < 60:
                        pdf.showPage()
                        pdf.setFont("STSong-Light", 11)
                        y = 800
                    pdf.drawString(50, y, line)
                    y -= 16
            pdf.save()
    planted_file(archive).write_text(json.dumps(planted, ensure_ascii=False), encoding="utf-8")
    return planted


def planted_file(archive: Path) -> Path:
    """What was planted where: beside the archive, not in it (it would be scanned)."""
    return archive.parent / f"planted-{archive.name}.json"


def wrap(paragraph: str, width: int) -> list[str]:
    """Lines of at most ~width characters, never breaking inside a run of digits (a number split over two
    PDF lines is a separate problem, not what this benchmark measures)."""
    lines, start = [], 0
    while start < len(paragraph):
        end = min(start + width, len(paragraph))
        while start < end < len(paragraph) and paragraph[end - 1].isdigit() and paragraph[end].isdigit():
            end -= 1
        if end == start:
            end = min(start + width, len(paragraph))
        lines.append(paragraph[start:end])
        start = end
    return lines


class RssSampler(threading.Thread):
    """Peak RSS of every descendant process of this one (workers, Dask nannies and workers)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peaks: dict[int, tuple[str, int]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self.stop.is_set():
            for child in me.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                    name = " ".join(child.cmdline()[-2:])[-60:]
                except psutil.Error:
                    continue
                if rss > self.peaks.get(child.pid, ("", 0))[1]:
                    self.peaks[child.pid] = (name, rss)
            self.stop.wait(0.2)


def one_run(archive: Path, out: Path, engine: str, workers: int, planted: dict) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    options = ScanOptions(workers=workers)
    if engine == "dask":
        options.dask_local = workers
    write_seconds = [0.0]
    original_record = ledger_module.Ledger.record

    def timed_record(self, batch):
        started = time.perf_counter()
        original_record(self, batch)
        write_seconds[0] += time.perf_counter() - started

    ledger_module.Ledger.record = timed_record
    sampler = RssSampler()
    sampler.start()
    started = time.perf_counter()
    try:
        tally, ledger = run_scan([str(archive)], str(out), ScanConfig(), options)
    finally:
        ledger_module.Ledger.record = original_record
        sampler.stop.set()
        sampler.join()
    seconds = time.perf_counter() - started
    ledger.close()
    stages, found, errors = Counter(), Counter(), 0
    format_ms, format_docs = Counter(), Counter()
    for line in (out / "reports.jsonl").read_text(encoding="utf-8").splitlines():
        report = json.loads(line)
        if report["error"]:
            errors += 1
        for key in ("read", "structure", "detect", "attribute", "total"):
            stages[key] += report["timings"].get(key, 0.0)
        suffix = Path(report["path"]).suffix.lstrip(".")
        format_ms[suffix] += report["timings"].get("total", 0.0)
        format_docs[suffix] += 1
        if report["path"] in planted:
            texts = {f["text"] for f in report["flags"]}
            found["id"] += planted[report["path"]][0] in texts
            found["mobile"] += planted[report["path"]][1] in texts
    # worker processes only: the forkserver and Dask scheduler/nanny are small and not reviewing
    worker_peaks = sorted((rss for name, rss in sampler.peaks.values()), reverse=True)[:workers]
    return {"engine": engine, "workers": workers, "documents": tally.reviewed, "errors": errors,
            "seconds": seconds, "bytes": tally.bytes, "stages_ms": dict(stages), "write_s": write_seconds[0],
            "format_ms": {k: format_ms[k] / format_docs[k] for k in sorted(format_docs)},
            "peak_rss_mb": [round(r / 2**20) for r in worker_peaks],
            "recall_id": found["id"] / max(1, len(planted)), "recall_mobile": found["mobile"] / max(1, len(planted))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--archive", default=str(REPO / "build" / "bench-archive"))
    parser.add_argument("--shared", default=str(REPO.parent / "shared"))
    parser.add_argument("--runs", default="local1,local2,dask1,dask2")
    args = parser.parse_args()
    archive = Path(args.archive) / str(args.docs)
    if planted_file(archive).exists():
        planted = json.loads(planted_file(archive).read_text(encoding="utf-8"))
    else:
        started = time.perf_counter()
        planted = generate(archive, args.docs, Path(args.shared))
        print(f"generated {args.docs} documents in {time.perf_counter() - started:.0f} s under {archive}")
    kinds = Counter(p.suffix for p in archive.rglob("doc*"))
    size = sum(p.stat().st_size for p in archive.rglob("doc*"))
    print(f"archive: {sum(kinds.values())} documents, {size / 1e6:.1f} MB, {dict(kinds)}, "
          f"{len(planted)} with planted ID + mobile")
    print(f"machine: {psutil.cpu_count()} cores")
    results = {}
    for run in args.runs.split(","):
        engine, workers = run.rstrip("0123456789"), int(run[len(run.rstrip("0123456789")):])
        result = one_run(archive, Path(args.archive) / f"out-{run}", engine, workers, planted)
        results[run] = result
        stages = result["stages_ms"]
        total = stages["total"] or 1
        shares = ", ".join(f"{k} {100 * stages[k] / total:.0f}%" for k in ("read", "structure", "detect", "attribute"))
        print(f"{run:7} {result['documents'] / result['seconds']:7.1f} docs/s  {result['bytes'] / 1e6 / result['seconds']:5.2f} MB/s"
              f"  {result['documents'] / result['seconds'] / workers:6.1f} docs/s/worker  {result['seconds']:6.1f} s"
              f"  errors {result['errors']}  peak RSS/worker {result['peak_rss_mb']} MB")
        print(f"        worker time: {shares}; scanning process writing reports+ledger {result['write_s']:.1f} s;"
              f" recall planted id {result['recall_id']:.3f} mobile {result['recall_mobile']:.3f}")
        print("        per format, mean worker ms per document → documents/s per core: " + ", ".join(
            f"{kind} {ms:.1f} → {1000 / ms:.0f}" for kind, ms in result["format_ms"].items()))
    for engine in ("local", "dask"):
        one, two = results.get(f"{engine}1"), results.get(f"{engine}2")
        if one and two:
            speedup = (two["documents"] / two["seconds"]) / (one["documents"] / one["seconds"])
            print(f"{engine}: 2 workers = {speedup:.2f}× one worker (scaling efficiency {speedup / 2:.0%})")


if __name__ == "__main__":
    main()

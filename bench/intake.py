"""Intake benchmark (not a test): pages/s per format and peak memory.

    .venv/bin/python bench/intake.py [--repeat 3]

Generates a 50-page docx, a 50-page PDF (Chinese text, reportlab's STSong-Light CID font), a 1 MB GBK
text and a portal html page, then reads each with review.intake.read_document in a fresh child
process, so that each figure's peak RSS is its own. Prints one line per format.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARAGRAPH = ("为扎实推进春季农田水利建设，提升农业综合生产能力，结合本县实际，现就有关工作安排如下。"
             "各乡镇要压实工作责任，加强资金监管，确保工程质量和施工安全，按期完成年度建设任务。")


def make_docx(path: Path, pages: int) -> None:
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for page in range(pages):
        document.add_paragraph(f"第{page + 1}页 关于做好2025年春季农田水利建设工作的通知")
        for _ in range(9):
            document.add_paragraph(PARAGRAPH)
        table = document.add_table(rows=3, cols=3)
        for row in table.rows:
            for cell in row.cells:
                cell.text = "补贴标准（元）"
        document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    document.save(path)


def make_pdf(path: Path, pages: int) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    for number in range(pages):
        page.setFont("STSong-Light", 12)
        y = 800
        page.drawString(72, y, f"第{number + 1}页 关于做好2025年春季农田水利建设工作的通知")
        for line in range(40):
            y -= 18
            page.drawString(72, y, PARAGRAPH[(line * 7) % 60:(line * 7) % 60 + 36])
        page.showPage()
    page.save()


def make_gbk(path: Path, megabytes: float) -> None:
    line = (PARAGRAPH + "\r\n").encode("gbk")
    path.write_bytes(line * int(megabytes * 1024 * 1024 / len(line)))


def make_html(path: Path) -> None:
    rows = "".join(f"<p>{PARAGRAPH}</p>" for _ in range(60))
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>通知</title></head><body>"
        "<div class='nav'><a href='/'>首页</a><a href='/zwgk'>政务公开</a></div>"
        "<table class='xxgk'><tr><th>索引号：</th><td>11360000MB1234567X/2024-00123</td>"
        "<th>公开方式：</th><td>主动公开</td></tr></table>"
        f"<div id='zoom'><h1>关于做好春季农田水利建设工作的通知</h1>{rows}</div>"
        "<div class='footer'>网站标识码：3600000001</div></body></html>", encoding="utf-8")


def measure_one(path: str) -> dict:
    """In the child process: read once to warm imports, then time the reads."""
    from review.intake import read_document

    read_document(path)
    started = time.perf_counter()
    document = read_document(path)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "pages": document.pages or 1, "chars": len(document.text), "peak_mb": peak_kb / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.child)))
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        inputs = {"docx (50 pages)": folder / "bench.docx", "pdf (50 pages)": folder / "bench.pdf",
                  "txt GBK (1 MB)": folder / "bench.txt", "html (portal page)": folder / "bench.html"}
        make_docx(inputs["docx (50 pages)"], 50)
        make_pdf(inputs["pdf (50 pages)"], 50)
        make_gbk(inputs["txt GBK (1 MB)"], 1.0)
        make_html(inputs["html (portal page)"])
        print(f"{'input':<20} {'size':>9} {'pages':>5} {'seconds':>8} {'pages/s':>8} {'MB/s':>7} {'peak RSS':>9}")
        for label, path in inputs.items():
            runs = []
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True,
                                     text=True, check=True)
                runs.append(json.loads(out.stdout))
            best = min(runs, key=lambda r: r["seconds"])
            size_mb = path.stat().st_size / 1e6
            # docx has no fixed pages: count the 50 generated page breaks
            pages = 50 if label.startswith("docx") else best["pages"]
            print(f"{label:<20} {size_mb:>7.2f}MB {pages:>5} {best['seconds']:>8.3f} {pages / best['seconds']:>8.1f} "
                  f"{size_mb / best['seconds']:>7.2f} {max(r['peak_mb'] for r in runs):>7.0f}MB")


if __name__ == "__main__":
    main()

"""Scanned documents through OCR: generated scans (ocr_fixtures) with planted ID numbers, mobiles and a
秘密★ marking go through review_file and come out as flags with page and box; tesseract missing, a
page OCR cannot read and a corrupt image give warnings or an error report, never a traceback; the
masked copy burns the confirmed values out of the pixels."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
import pytest
import pytesseract
from PIL import Image

from ocr_fixtures import font_path, make_page, save_image, save_image_pdf, save_tiff
from pdf_fixtures import FONT, LEFT, TOP
from review import errors
from review.config import ScanConfig
from review.detect.engine import engine_for
from review.document import Document, Location, OcrWord
from review.flags import OCR_LOW_CONFIDENCE, OCR_POOR_PAGE
from review.intake import ocr
from review.pipeline import review_file
from review.redact_image import burn_in
from review.rules import rules_for

needs_ocr = pytest.mark.skipif(ocr.missing_reason() is not None or font_path() is None,
                               reason="tesseract with chi_sim (tesseract-ocr, tesseract-ocr-chi-sim) and a CJK "
                                      "font (fonts-wqy-zenhei) are needed")
POINTS_PER_PIXEL = 72 / 300


def _points(box):
    return tuple(v * POINTS_PER_PIXEL for v in box)


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _short_page(seed: int, **kw):
    """Half a page: the marking, a title, a salutation and six body lines, four of them planted."""
    return make_page(seed, body_lines=6, full_height=False, **kw)


@pytest.fixture(scope="module")
def scan_pages():
    return [_short_page(21), _short_page(22, rotation=1.5, noise=0.005)]


@pytest.fixture(scope="module")
def scanned_pdf(scan_pages, tmp_path_factory):
    path = save_image_pdf(scan_pages, tmp_path_factory.mktemp("scan") / "scan.pdf")
    return path, review_file(str(path))


def _assert_planted_flagged(report, pages):
    for number, page in enumerate(pages, start=1):
        on_page = [f for f in report.flags if f.location.page == number]
        for planted in page.planted:
            if planted.kind == "marking" and number > 1:
                continue  # a marking counts in the head of the document only
            category = "secret" if planted.kind == "marking" else "personal"
            matching = [f for f in on_page if f.category == category and f.text.replace(" ", "") == planted.value]
            assert matching, f"{planted.kind} on page {number} not flagged"
            assert _overlaps(matching[0].location.bbox, _points(planted.bbox))
            assert matching[0].location.ocr_confidence is not None


@needs_ocr
def test_scanned_pdf_gives_flags_with_page_and_box(scanned_pdf, scan_pages):
    _, report = scanned_pdf
    assert report.error is None
    _assert_planted_flagged(report, scan_pages)
    assert any("read by OCR" in warning for warning in report.warnings)
    marking = next(f for f in report.flags if f.category == "secret")
    assert marking.explanation.steps[0].stage == "intake" and "OCR" in marking.explanation.steps[0].detail
    assert report.attribute.suggested == "withheld"  # the marking decides, read from pixels


@needs_ocr
def test_multipage_tiff_and_jpeg(scan_pages, tmp_path):
    report = review_file(str(save_tiff(scan_pages, tmp_path / "archive.tif")))
    assert report.format == "tiff" and report.pages == 2
    _assert_planted_flagged(report, scan_pages)
    report = review_file(str(save_image(scan_pages[0], tmp_path / "scan.jpg")))
    assert report.format == "jpeg"
    _assert_planted_flagged(report, scan_pages[:1])


def test_low_confidence_text_is_marked_in_the_explanation():
    mobile = "13812345678"
    text = f"联系电话{mobile}"
    document = Document(path="scan.png", format="png", sha256="0" * 64, size=1)
    words = [OcrWord(0, 4, (72.0, 100.0, 136.0, 116.0), 0.95), OcrWord(4, 15, (136.0, 100.0, 224.0, 116.0), 0.41)]
    document.add(text, Location(part="body", page=1, bbox=(72.0, 100.0, 224.0, 116.0), ocr_confidence=0.41),
                 ocr_words=words)
    flags = engine_for(rules_for(ScanConfig())).detect(document.finish())
    flag = next(f for f in flags if f.type == "mobile")
    assert flag.location.bbox == (136.0, 100.0, 224.0, 116.0)  # the value's box, not the line's
    assert flag.location.ocr_confidence == 0.41 < OCR_LOW_CONFIDENCE
    assert flag.explanation.steps[0].outcome.startswith("low confidence")


def test_a_value_read_well_on_a_poorly_read_page_is_marked_too():
    """On degraded scans OCR misreads digits with a confident score (1 -> 4 at 0.89 in bench/ocr_confidence.py);
    such misreads sat on pages whose weakest tenth of words scored below OCR_POOR_PAGE."""
    def page(number: int, filler_confidence: float) -> None:
        mobile = "13812345678"
        words = [OcrWord(0, 4, (72.0, 100.0, 136.0, 116.0), 0.9), OcrWord(4, 15, (136.0, 100.0, 224.0, 116.0), 0.88)]
        document.add(f"联系电话{mobile}", Location(part="body", page=number), ocr_words=words)
        for line in range(12):  # the rest of the page: most words read well, some (or none) poorly
            confidence = filler_confidence if line < 3 else 0.9
            document.add("各单位认真落实", Location(part="body", page=number, line=line),
                         ocr_words=[OcrWord(0, 7, (72.0, 120.0 + 20 * line, 200.0, 136.0 + 20 * line), confidence)])

    document = Document(path="scan.tif", format="tiff", sha256="0" * 64, size=1)
    page(1, filler_confidence=0.4)
    page(2, filler_confidence=0.9)
    document.finish()
    assert document.ocr_page_quality[1] < OCR_POOR_PAGE <= document.ocr_page_quality[2]
    flags = [f for f in engine_for(rules_for(ScanConfig())).detect(document) if f.type == "mobile"]
    outcome = {f.location.page: f.explanation.steps[0].outcome for f in flags}
    assert outcome[1] == "low confidence: the page was read poorly; check the value against the page image"
    assert outcome[2] == "read"
    assert all(f.location.ocr_confidence == 0.88 >= OCR_LOW_CONFIDENCE for f in flags)


def test_a_word_shared_with_its_label_gives_the_value_its_share_of_the_box():
    document = Document(path="scan.png", format="png", sha256="0" * 64, size=1)
    # one OCR word "号110101…": the Chinese character is twice as wide as a digit
    text = "号" + "11010119900307123X"
    document.add(text, Location(part="body", page=1), ocr_words=[OcrWord(0, 19, (0.0, 0.0, 200.0, 10.0), 0.9)])
    block = document.finish().blocks[0]
    box, confidence = block.ocr_span(1, 19)
    assert box == (20.0, 0.0, 200.0, 10.0) and confidence == 0.9  # 2 + 18 width units over 200 pt


@needs_ocr
def test_masked_copy_of_a_scanned_pdf_burns_the_values_out(scanned_pdf, scan_pages, tmp_path):
    path, report = scanned_pdf
    ids = [f for f in report.flags if f.type == "id_card"]
    out = burn_in(path, report, [f.id for f in ids], tmp_path / "masked.pdf")
    assert sorted(out.masked) == sorted(f.id for f in ids) and out.not_on_a_page == []
    pdf = pdfium.PdfDocument(out.path)
    try:
        assert len(pdf) == 2
        for index in range(2):
            page = pdf[index]
            assert page.get_textpage().count_chars() == 0  # no text layer at all
            assert page.get_size() == pytest.approx(pdfium.PdfDocument(path)[index].get_size(), abs=0.5)
        masked = pdf[0].render(scale=300 / 72, grayscale=True).to_pil()
    finally:
        pdf.close()
    planted_ids = [p for p in scan_pages[0].planted if p.kind == "id_card"]
    pixels = np.asarray(masked)
    for planted in planted_ids:  # every pixel of the value's glyphs is black now
        x0, top, x1, bottom = (round(v) for v in planted.bbox)
        assert pixels[top:bottom, x0:x1].max() < 60
    again = "\n".join(line.text for line in ocr.read_page(masked).lines)
    assert all(p.value not in again.replace(" ", "") for p in planted_ids)
    mobiles = [p.value for p in scan_pages[0].planted if p.kind == "mobile"]
    assert any(m in again.replace(" ", "") for m in mobiles)  # what was not confirmed stays


@needs_ocr
def test_masked_copy_of_an_image(scan_pages, tmp_path):
    path = save_image(scan_pages[0], tmp_path / "scan.png")
    report = review_file(str(path))
    mobiles = [f for f in report.flags if f.type == "mobile"]
    out = burn_in(path, report, [f.id for f in mobiles], tmp_path / "masked.png")
    with Image.open(out.path) as masked:
        assert masked.size == scan_pages[0].image.size
        again = "".join(line.text for line in ocr.read_page(masked).lines).replace(" ", "")
    assert all(f.text not in again for f in mobiles)


def test_tesseract_missing_gives_a_warning_and_the_text_pages_are_still_reviewed(tmp_path, monkeypatch):
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    ocr.missing_reason.cache_clear()
    try:
        path = tmp_path / "mixed.pdf"
        c = canvas.Canvas(str(path))
        c.setFont(FONT, 14)
        c.drawString(LEFT, TOP, "联系电话：13907710452")  # invented
        c.showPage()
        picture = io.BytesIO()
        Image.new("L", (400, 300), 255).save(picture, "PNG")
        c.drawImage(ImageReader(picture), 50, 50, width=400, height=300)
        c.showPage()
        c.save()
        report = review_file(str(path))
        image_report = review_file(str(save_image(_tiny_page(), tmp_path / "scan.png")))
    finally:
        ocr.missing_reason.cache_clear()
    assert report.error is None
    assert [f.type for f in report.flags if f.category == "personal"] == ["mobile"]
    assert any("tesseract-ocr-chi-sim" in w and "tesseract-ocr " in w for w in report.warnings)
    assert "page 2 has no text layer (scanned image?): needs OCR" in report.warnings
    assert image_report.error is None and image_report.flags == []
    assert any("tesseract-ocr-chi-sim" in w for w in image_report.warnings)


def _tiny_page():
    class Page:  # save_image needs only the image and its resolution
        image = Image.new("L", (200, 100), 255)
        dpi = 300
    return Page()


@needs_ocr
def test_a_page_ocr_cannot_read_gives_a_warning(tmp_path, monkeypatch):
    def times_out(*args, **kwargs):
        raise RuntimeError("Tesseract process timeout")  # what pytesseract raises when it kills tesseract

    monkeypatch.setattr(pytesseract, "image_to_data", times_out)
    path = save_image_pdf([_short_page(23)], tmp_path / "scan.pdf")
    report = review_file(str(path))
    assert report.error is None and report.flags == []
    assert any("OCR could not read it (OCR took longer than" in w for w in report.warnings)


@pytest.mark.parametrize("name,data", [
    ("truncated.png", "truncate"),
    ("broken.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8),
    ("broken.tif", b"II*\x00" + b"\xff" * 600),
])
def test_corrupt_image_gives_an_error_report(tmp_path, name, data):
    if data == "truncate":
        buffer = io.BytesIO()
        Image.new("L", (600, 400), 128).save(buffer, "PNG")
        data = buffer.getvalue()[:60]
    path = tmp_path / name
    path.write_bytes(data)
    report = review_file(str(path))
    assert report.error_code == errors.CORRUPT, report.error
    assert "Traceback" not in report.error and report.flags == []


def test_images_are_recognised_by_content(tmp_path):
    from review.intake.sniff import sniff

    buffer = io.BytesIO()
    Image.new("L", (10, 10), 255).save(buffer, "PNG")
    assert sniff(buffer.getvalue(), "scan.pdf")[0] == "png"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF", "scan.jpg")[0] == "jpeg"
    assert sniff(b"MM\x00*\x00\x00\x00\x08", "scan.tiff")[0] == "tiff"


def test_skew_is_measured():
    if font_path() is None:
        pytest.skip("no CJK font")
    assert ocr.estimate_skew(_short_page(24, rotation=2.0).image) == pytest.approx(2.0, abs=0.2)
    assert ocr.estimate_skew(_short_page(24).image) == 0.0


def test_a_blank_single_grey_scan_is_read_as_empty_not_as_a_broken_pdf(tmp_path):
    assert ocr._otsu_threshold(np.full((40, 30), 255, dtype=np.uint8)) == 255
    blank = Image.new("L", (1240, 1754), 255)
    pdf_path = tmp_path / "blank-scan.pdf"
    blank.save(pdf_path, "PDF", resolution=150)
    report = review_file(str(pdf_path))
    assert report.error is None, report.error

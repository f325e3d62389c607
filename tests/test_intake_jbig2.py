"""JBIG2 scans (OFD archives keep bitonal pages so): decoded by pdfium through a one-page PDF."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from jbig2_fixtures import jbig2_file
from review import errors
from review.errors import DocumentError
from review.intake import image as image_intake
from review.intake import jbig2, read_document
from review.intake.sniff import sniff


def picture(width: int = 640, height: int = 400, seed: int = 1) -> Image.Image:
    """Black boxes of random sizes on white: every run length the G4 coder knows."""
    rng = random.Random(seed)
    image = Image.new("L", (width, height), 255)
    for _ in range(60):
        x, y = rng.randrange(width - 10), rng.randrange(height - 10)
        image.paste(0, (x, y, min(width, x + rng.randrange(1, 120)), min(height, y + rng.randrange(1, 30))))
    return image


def test_a_scanned_page_decodes_to_the_same_pixels_and_resolution():
    original = picture()
    decoded = jbig2.decode(jbig2_file(original, dpi=200))
    assert decoded.size == original.size and decoded.mode == "L"
    assert ImageChops.difference(decoded, original).getbbox() is None  # not one pixel differs
    assert decoded.info["dpi"] == pytest.approx((200, 200), abs=0.01)


@pytest.mark.parametrize("sequential", [True, False])
def test_only_the_first_page_of_a_multi_page_file_is_read(sequential):
    first, second = picture(seed=2), Image.new("L", (640, 400), 0)
    decoded = jbig2.decode(jbig2_file(first, second, sequential=sequential))
    assert ImageChops.difference(decoded, first).getbbox() is None


def test_a_jbig2_file_is_recognised_and_goes_to_ocr(tmp_path, monkeypatch):
    from review.intake import ocr

    seen = []

    def fake_read_page(image, *, timeout, **kwargs):  # stands in for tesseract: one line, one word
        seen.append((image.size, ImageChops.difference(image.convert("L"), original).getbbox()))
        word = ocr.Word("13812345678", (100, 50, 600, 100), 0.9)
        return ocr.PageText(lines=[ocr.Line("13812345678", [(0, 11, word)], word.bbox)], skew_degrees=0.0)

    monkeypatch.setattr(ocr, "missing_reason", lambda: None)
    monkeypatch.setattr(ocr, "read_page", fake_read_page)
    original = picture()
    data = jbig2_file(original, dpi=200)
    assert sniff(data[:4096], "scan.jb2")[0] == "jbig2"
    path = tmp_path / "scan.jb2"
    path.write_bytes(data)
    document = read_document(str(path))
    assert document.format == "jbig2" and document.pages == 1
    assert seen == [((640, 400), None)]  # OCR was given the decoded page, every pixel as drawn
    block = next(b for b in document.blocks if "13812345678" in b.text)
    assert block.location.page == 1 and block.location.bbox == (36.0, 18.0, 216.0, 36.0)  # pixels at 200 dpi


@pytest.mark.parametrize("case,code,message", [
    ("truncated", errors.CORRUPT, "truncated"),
    ("random access, truncated", errors.CORRUPT, "truncated segment data"),
    ("no page size", errors.CORRUPT, "no page information segment"),
    ("bomb", errors.TOO_LARGE, "30000×30000 pixels"),
])
def test_unreadable_jbig2_files_are_clear_errors(case, code, message):
    data = {"truncated": lambda: jbig2_file(picture())[:60],
            "random access, truncated": lambda: jbig2_file(picture(), sequential=False)[:-10],
            "no page size": lambda: jbig2_file(picture())[:13],
            "bomb": lambda: jbig2_file(picture(), declared=(30_000, 30_000))}[case]()
    with pytest.raises(DocumentError) as caught:
        image_intake.open_image(data)
    assert caught.value.code == code and message in str(caught.value)


GOOD = jbig2_file(picture(160, 90))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=400), noise=st.binary(min_size=0, max_size=64),
       at=st.integers(min_value=9, max_value=300))
def test_damaged_jbig2_gives_an_image_or_a_document_error(cut, noise, at):
    data = bytearray(GOOD[:len(GOOD) - cut])
    data[at:at + len(noise)] = noise
    try:
        decoded = image_intake.open_image(bytes(data))
    except DocumentError as exc:
        assert exc.code in {errors.CORRUPT, errors.TOO_LARGE}
    else:
        assert decoded.width * decoded.height <= image_intake.MAX_FRAME_PIXELS


def test_a_masked_copy_of_a_jbig2_scan_is_a_png_of_the_page(tmp_path):
    from review.pipeline import review_file
    from review.redact_image import burn_in

    path = tmp_path / "scan.jb2"
    path.write_bytes(jbig2_file(picture(), dpi=200))
    report = review_file(str(path))
    out = tmp_path / "masked.png"
    burn_in(path, report, [], out)
    assert Image.open(out).size == (640, 400)


def test_a_long_form_segment_header_cut_short_is_a_clear_error():
    # found by the test above: a referred-to count of 7 announces four more bytes that are not there
    data = jbig2_file(picture(160, 90))[:13] + bytes([0, 0, 0, 0, 48, 0xE0, 0, 0])
    with pytest.raises(DocumentError) as caught:
        image_intake.open_image(data)
    assert caught.value.code == errors.CORRUPT and "truncated segment header" in str(caught.value)

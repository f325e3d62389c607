"""OCR of one page image with Tesseract (Debian's tesseract-ocr and tesseract-ocr-chi-sim, through
pytesseract): lines of text with their boxes on the page and Tesseract's confidence per word.

    image → grey → (median on speckled pages) → deskew → (binarise) → tesseract image_to_data → lines

Tesseract reports words; in Chinese a "word" is one character or a short run of them, and a number
such as an ID is one word. Words are joined into lines without spaces, except between two Latin
letters or digits, where the page had a gap (a mobile written 138 1234 5678 stays readable).

The settings (language, page segmentation, preprocessing, resolution) were chosen by measurement
with bench/ocr.py; docs/ocr.md has the figures. Boxes are returned in the pixels of the image given,
whatever the preprocessing did (a deskewed page's boxes are turned back), so a caller can convert
them to points and burn them into the same image.

Every page has a time limit (pytesseract's timeout kills the tesseract process); a page that OCR
cannot read raises `OcrError`, which callers turn into a warning.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytesseract
from PIL import Image, ImageFilter

from review.document import Location, OcrWord

DEBIAN_PACKAGES = ("tesseract-ocr", "tesseract-ocr-chi-sim")
MISSING_ADVICE = "install the Debian packages " + " and ".join(DEBIAN_PACKAGES) + " to read scanned pages"
DPI = 300  # rendering resolution for PDF pages and the assumed resolution of images that do not say
MAX_PIXELS = 40_000_000  # a larger page is scaled down before OCR (A4 at 600 dpi is 35 Mpx)
PAGE_TIMEOUT_SECONDS = 60.0  # per page, and never beyond the document's own deadline
MIN_WORD_CONFIDENCE = 0.10  # below this a "word" is a speck or a stroke of a seal, not text


class OcrError(Exception):
    """The page could not be read by OCR (timeout, tesseract failure); the message names the cause only."""


@dataclass(frozen=True)
class OcrSettings:
    language: str = "chi_sim"
    psm: int = 6  # one uniform block of text, as a 公文 page is (psm 3, automatic layout: same CER measured)
    deskew: bool = True
    denoise: bool | None = None  # None: a median filter only on speckled pages (it blurs clean ones)
    binarise: bool = False

    def tesseract_config(self) -> str:
        return f"--oem 1 --psm {self.psm}"  # oem 1: the LSTM engine, the only one chi_sim's best model has


DEFAULT_SETTINGS = OcrSettings()


@dataclass
class Word:
    text: str
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom in pixels of the image given
    confidence: float  # 0..1


@dataclass
class Line:
    text: str
    words: list[tuple[int, int, Word]]  # (start, end) of each word in text
    bbox: tuple[float, float, float, float]

    @property
    def confidence(self) -> float:
        """The weakest word: one misread digit makes the whole value doubtful."""
        return min(word.confidence for _, _, word in self.words)


@dataclass
class PageText:
    lines: list[Line]
    skew_degrees: float  # how far the page was turned (counter-clockwise); undone before OCR


# -- availability -----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def missing_reason() -> str | None:
    """None when tesseract and its Simplified Chinese model are installed, else what is missing
    and which packages to install. Checked once per process."""
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return f"OCR is not available: the tesseract program is not installed ({MISSING_ADVICE})"
    try:
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractError, pytesseract.TesseractNotFoundError, OSError) as exc:
        return f"OCR is not available: tesseract does not run ({type(exc).__name__}; {MISSING_ADVICE})"
    if DEFAULT_SETTINGS.language not in languages:
        return f"OCR is not available: tesseract has no Simplified Chinese model ({MISSING_ADVICE})"
    return None


def render_dpi(width_points: float, height_points: float) -> float:
    """The resolution a PDF page is rendered at for OCR (and for its masked copy): DPI, lowered for a
    large-format page so that it stays within MAX_PIXELS."""
    pixels_at_dpi = (width_points * DPI / 72) * (height_points * DPI / 72)
    if pixels_at_dpi <= MAX_PIXELS:
        return float(DPI)
    return DPI * math.sqrt(MAX_PIXELS / pixels_at_dpi)


def page_timeout(deadline) -> float:
    """Seconds this page may take: PAGE_TIMEOUT_SECONDS, and never past the document's deadline
    (so that tesseract is killed by its own timeout, not orphaned by the document's alarm)."""
    deadline.check()
    return max(0.5, min(PAGE_TIMEOUT_SECONDS, deadline.until - time.monotonic() - 0.5))


def note_ocr_pages(document, read_pages: list[int], empty_pages: list[int], **details) -> None:
    """metadata["ocr"] and the warnings of a document with pages read by OCR, worded alike for every format."""
    if not (read_pages or empty_pages):
        return
    document.metadata["ocr"] = {"pages": read_pages, "no_text": empty_pages, **details}
    if read_pages:
        document.warnings.append(f"{_pages_have(read_pages)} no text layer: read by OCR, which may "
                                 "misread characters (flags on doubtful text say so)")
    if empty_pages:
        document.warnings.append(f"OCR found no readable text on page(s) {', '.join(map(str, empty_pages))}")


def _pages_have(numbers: list[int], shown_at_most: int = 10) -> str:
    if len(numbers) == 1:
        return f"page {numbers[0]} has"
    shown = ", ".join(map(str, numbers[:shown_at_most])) + (" …" if len(numbers) > shown_at_most else "")
    return f"{len(numbers)} pages ({shown}) have"


def add_page_text(document, number: int, page: "PageText", points_per_pixel: float) -> int:
    """Add the page's lines to the Document with boxes in points; returns how many were added."""
    def points(box):
        return tuple(round(v * points_per_pixel, 2) for v in box)

    added = 0
    for line in page.lines:
        words = [OcrWord(start, end, points(word.bbox), round(word.confidence, 3)) for start, end, word in line.words]
        location = Location(part="body", page=number, bbox=points(line.bbox), ocr_confidence=round(line.confidence, 2))
        if document.add(line.text, location, ocr_words=words) is not None:
            added += 1
    return added


# -- one page ---------------------------------------------------------------------------------------

def read_page(image: Image.Image, *, timeout: float = PAGE_TIMEOUT_SECONDS,
              settings: OcrSettings = DEFAULT_SETTINGS) -> PageText:
    """OCR one page image. Raises OcrError when tesseract fails or runs out of time."""
    # OpenMP threads inside tesseract gain little on one page and fight with the worker pool for the
    # cores; an operator who wants them sets OMP_THREAD_LIMIT explicitly
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    grey, scale = _grey_within_limit(image)
    # specks first: turning the page smears each one over its neighbours, where no median finds it
    if settings.denoise or (settings.denoise is None and is_speckled(grey)):
        grey = grey.filter(ImageFilter.MedianFilter(3))
    skew = estimate_skew(grey) if settings.deskew else 0.0
    prepared = grey.rotate(-skew, resample=Image.Resampling.BILINEAR, fillcolor=255) if skew else grey
    if settings.binarise:
        prepared = binarise(prepared)
    # Netpbm (PGM, or PBM when binarised): no compression on the way to tesseract, which pytesseract
    # hands the page through a temporary file
    prepared.format = "PPM"
    try:
        data = pytesseract.image_to_data(prepared, lang=settings.language, config=settings.tesseract_config(),
                                         output_type=pytesseract.Output.DICT, timeout=max(timeout, 0.5))
    except RuntimeError as exc:  # pytesseract's way of saying the timeout killed tesseract
        raise OcrError(f"OCR took longer than {timeout:.0f} s") from exc
    except pytesseract.TesseractError as exc:
        raise OcrError(f"tesseract failed (status {exc.status})") from exc
    back = _BoxMapper(prepared.size, -skew, scale)
    return PageText(lines=_lines(data, back), skew_degrees=skew)


def _grey_within_limit(image: Image.Image) -> tuple[Image.Image, float]:
    """The page in 8-bit grey, scaled down when above MAX_PIXELS; the scale maps boxes back."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    grey = image.convert("L")
    pixels = grey.width * grey.height
    if pixels <= MAX_PIXELS:
        return grey, 1.0
    scale = math.sqrt(MAX_PIXELS / pixels)
    size = (max(1, int(grey.width * scale)), max(1, int(grey.height * scale)))
    return grey.resize(size, Image.Resampling.LANCZOS), scale


# -- preprocessing ----------------------------------------------------------------------------------

SKEW_RANGE = 5.0  # degrees either way: a page fed crooked, not a page turned on its side
SKEW_WIDTH = 1000  # the page is judged at this width: enough for the lines, cheap


def estimate_skew(grey: Image.Image) -> float:
    """How far the text lines are turned (degrees, counter-clockwise) from horizontal.

    Projection profiles: with the right shear, the dark pixels of each text line fall into the same
    rows, so the histogram of row positions is most peaked (largest variance). Coarse then fine.
    """
    small = grey if grey.width <= SKEW_WIDTH else grey.resize(
        (SKEW_WIDTH, max(1, round(grey.height * SKEW_WIDTH / grey.width))), Image.Resampling.BILINEAR)
    pixels = np.asarray(small)
    ys, xs = np.nonzero(pixels < _otsu_threshold(pixels))
    if len(xs) < 500:
        return 0.0  # next to nothing on the page
    xs = xs - small.width / 2

    def peakedness(degrees: float) -> float:
        rows = np.round(ys - xs * math.tan(math.radians(degrees))).astype(np.int64)
        counts = np.bincount(rows - rows.min())
        return float(np.square(counts.astype(np.float64)).sum())

    best = max(np.arange(-SKEW_RANGE, SKEW_RANGE + 1e-9, 0.5), key=peakedness)
    best = max(np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1), key=peakedness)
    # a page turned counter-clockwise by r degrees is straightened by the shear at -r
    return 0.0 if abs(best) < 0.15 else -round(float(best), 2)


SPECKLE_SAMPLE = 1024  # side of the square from the middle of the page that is looked at
SPECKLED = 0.001  # share of the sample's pixels that are dark specks


def is_speckled(grey: Image.Image) -> bool:
    """Salt-and-pepper noise from a dirty scanner glass or a fax: dark pixels with at most one dark
    neighbour, which a 3x3 median removes. Strokes of printed characters are thicker than that."""
    cx, cy, half = grey.width // 2, grey.height // 2, SPECKLE_SAMPLE // 2
    sample = np.asarray(grey.crop((max(0, cx - half), max(0, cy - half), cx + half, cy + half)))
    dark = np.pad(sample < 128, 1)
    neighbours = sum(np.roll(np.roll(dark, dy, 0), dx, 1).astype(np.uint8)
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
    specks = dark & (neighbours <= 1)
    return float(specks.mean()) > SPECKLED


def _otsu_threshold(pixels: np.ndarray) -> int:
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256)
    weight = np.cumsum(histogram)
    mean = np.cumsum(histogram * levels)
    total, total_mean = weight[-1], mean[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mean * weight - mean * total) ** 2 / (weight * (total - weight))
    if not np.isfinite(between).any():
        return int(pixels.flat[0])  # one grey level (a blank scanned sheet): nothing to separate
    return int(np.nanargmax(between))


def binarise(grey: Image.Image) -> Image.Image:
    """Black and white at Otsu's threshold."""
    threshold = _otsu_threshold(np.asarray(grey))
    return grey.point(lambda v: 255 if v > threshold else 0, mode="1")


class _BoxMapper:
    """From the boxes tesseract reports on the prepared image back to the pixels of the image given."""

    def __init__(self, size: tuple[int, int], angle: float, scale: float):
        """`angle`: the turn (counter-clockwise, degrees) applied to the image before OCR."""
        self.cx, self.cy = size[0] / 2, size[1] / 2
        # PIL turns counter-clockwise by `angle` (y down): undo it
        self.cos, self.sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        self.angle, self.scale = angle, scale

    def __call__(self, x0: float, top: float, x1: float, bottom: float) -> tuple[float, float, float, float]:
        if self.angle:
            xs, ys = [], []
            for x, y in ((x0, top), (x1, top), (x0, bottom), (x1, bottom)):
                dx, dy = x - self.cx, y - self.cy
                xs.append(self.cx + dx * self.cos - dy * self.sin)
                ys.append(self.cy + dx * self.sin + dy * self.cos)
            x0, top, x1, bottom = min(xs), min(ys), max(xs), max(ys)
        s = self.scale
        return (round(x0 / s, 1), round(top / s, 1), round(x1 / s, 1), round(bottom / s, 1))


# -- words into lines -------------------------------------------------------------------------------

# ★ is not in chi_sim's character set, so a 密级 marking comes out as 秘密女1年, 秘密*1年 or 秘密1年.
# GB/T 9704 prints it as level ★ term: the star is put back where the marking's grammar says it was,
# either in place of the one character read there, or, when nothing was read, on a line that holds
# nothing but the level and the term (never inside a sentence).
_LEVEL = r"(?:绝\s*密|机\s*密|秘\s*密)"
_TERM = r"(?:\d+\s*(?:年|个月|月)|长\s*期|启用前)"
_MISREAD_STAR = re.compile(rf"({_LEVEL})\s*([^\s\d★长启])(?=\s*{_TERM})")
_DROPPED_STAR = re.compile(rf"^(\s*{_LEVEL})(?=\s*{_TERM}\s*$)")


def _lines(data: dict, back: _BoxMapper) -> list[Line]:
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for i, text in enumerate(data["text"]):
        text = text.strip()
        confidence = float(data["conf"][i]) / 100
        if data["level"][i] != 5 or not text or confidence < MIN_WORD_CONFIDENCE:
            continue
        box = back(data["left"][i], data["top"][i], data["left"][i] + data["width"][i],
                   data["top"][i] + data["height"][i])
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        groups.setdefault(key, []).append(Word(text, box, confidence))
    lines = []
    for words in groups.values():
        line = _join(words)
        if any(ch.isalnum() for ch in line.text):  # a line of specks and rules is no text
            lines.append(line)
    return lines


def _join(words: list[Word]) -> Line:
    text, spans = "", []
    for word in words:
        if text and _needs_space(text[-1], word.text[0]):
            text += " "
        spans.append((len(text), len(text) + len(word.text), word))
        text += word.text
    text, spans = _restore_star(text, spans)
    bbox = (min(w.bbox[0] for w in words), min(w.bbox[1] for w in words),
            max(w.bbox[2] for w in words), max(w.bbox[3] for w in words))
    return Line(text=text, words=spans, bbox=bbox)


def _restore_star(text: str, spans):
    misread = _MISREAD_STAR.search(text)
    if misread:
        at = misread.start(2)
        return text[:at] + "★" + text[at + 1:], _star_confidence(spans, at)
    dropped = _DROPPED_STAR.search(text)
    if dropped:
        at = dropped.end(1)
        shifted = [(start + (start >= at), end + (end > at), word) for start, end, word in spans]
        return text[:at] + "★" + text[at:], shifted
    return text, spans


def _star_confidence(spans, at: int):
    """The restored ★ was inferred from the marking around it, not read: it is as sure as its
    neighbours, whatever tesseract thought of the glyph it mistook it for."""
    inside = [k for k, (start, end, _) in enumerate(spans) if start <= at < end]
    if not inside:
        return spans
    k = inside[0]
    start, end, word = spans[k]
    neighbours = [spans[j][2].confidence for j in (k - 1, k + 1) if 0 <= j < len(spans)]
    if end - start == 1 and neighbours:
        spans = spans[:k] + [(start, end, Word("★", word.bbox, min(neighbours)))] + spans[k + 1:]
    return spans


def _needs_space(before: str, after: str) -> bool:
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()

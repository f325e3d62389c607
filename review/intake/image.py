"""Image files (png, jpeg, multi-page tiff as archives keep scans): one page per frame, read by OCR.

Boxes are in points like every other location, converted with the resolution the file declares
(ocr.DPI when it declares none or an implausible one); review.redact_image converts back with the
same `frame_dpi`, so a flag's box lands on the same pixels.
"""

from __future__ import annotations

import io
import logging
import warnings

from PIL import Image, UnidentifiedImageError

from review import errors
from review.errors import DocumentError
from review.intake import jbig2, ocr

log = logging.getLogger(__name__)

MAX_FRAME_PIXELS = 200_000_000  # a frame above this is not decoded at all (decompression bombs)
PLAUSIBLE_DPI = (50, 2400)


def parse(source, config, deadline):
    document = source.new_document()
    image = open_image(source.data)
    frames = getattr(image, "n_frames", 1)
    document.pages = frames
    count = min(frames, config.max_pages)
    if count < frames:
        document.warnings.append(f"the image has {frames} pages; only the first {count} were read (max_pages)")
    missing = ocr.missing_reason()
    if missing:
        document.warnings.append(missing)
        document.metadata["pages_without_text"] = list(range(1, count + 1))
        return document
    read, unread, damaged, dpis = [], [], 0, {}
    for number in range(1, count + 1):
        frame = _frame(image, number, document)
        if frame is None:
            damaged += 1
            continue
        dpi = dpis[number] = frame_dpi(frame)
        try:
            page = ocr.read_page(frame, timeout=ocr.page_timeout(deadline))
        except ocr.OcrError as exc:
            document.warnings.append(f"page {number}: OCR could not read it ({exc})")
            unread.append(number)
            continue
        if ocr.add_page_text(document, number, page, points_per_pixel=72 / dpi):
            read.append(number)
        else:
            unread.append(number)
    if damaged == count:
        raise DocumentError(f"the image is damaged: none of its {count} pages could be decoded", code=errors.CORRUPT)
    document.metadata["pages_without_text"] = unread
    document.metadata["ocr"] = {"pages": read, "language": ocr.DEFAULT_SETTINGS.language, "dpi": dpis}
    log.info("OCR read %d of %d image pages", len(read), count)
    document.warnings.append("the file is a scanned image: its text was read by OCR and may hold recognition "
                             "errors (flags on doubtful text say so)")
    if unread:
        document.warnings.append(f"OCR found no readable text on page(s) {_pages(unread)}")
    return document


def open_image(data: bytes) -> Image.Image:
    """The image, not yet decoded; DocumentError when it is not an image Pillow can read, or a bomb.
    A JBIG2 file (Pillow reads none) is decoded here, by pdfium (review.intake.jbig2)."""
    if jbig2.is_jbig2(data):
        return _open_jbig2(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_FRAME_PIXELS:
                raise DocumentError(f"the image is {image.width}×{image.height} pixels, more than any scanned page "
                                    "needs", code=errors.TOO_LARGE)
            return image
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DocumentError(f"the image could not be read ({type(exc).__name__})", code=errors.CORRUPT) from None
    except (OSError, SyntaxError, ValueError) as exc:  # Pillow's plugins raise these on broken headers
        raise DocumentError(f"the image is damaged ({type(exc).__name__})", code=errors.CORRUPT) from None


def _open_jbig2(data: bytes) -> Image.Image:
    try:
        return jbig2.decode(data, max_pixels=MAX_FRAME_PIXELS)
    except jbig2.TooLarge as exc:
        raise DocumentError(str(exc), code=errors.TOO_LARGE) from None
    except ValueError as exc:
        raise DocumentError(f"the JBIG2 image could not be read ({exc})", code=errors.CORRUPT) from None


def frame_dpi(frame: Image.Image) -> float:
    """The horizontal resolution the frame declares, or ocr.DPI."""
    declared = frame.info.get("dpi")
    try:
        dpi = float(declared[0]) if declared else 0.0
    except (TypeError, ValueError, IndexError):
        dpi = 0.0
    return dpi if PLAUSIBLE_DPI[0] <= dpi <= PLAUSIBLE_DPI[1] else float(ocr.DPI)


def frames(image: Image.Image, count: int | None = None):
    """(number, decoded frame or None) for each page, 1-based."""
    total = getattr(image, "n_frames", 1)
    for number in range(1, (count or total) + 1):
        yield number, _decoded(image, number)


def _frame(image: Image.Image, number: int, document) -> Image.Image | None:
    frame = _decoded(image, number)
    if frame is None:
        document.warnings.append(f"page {number} of the image is damaged and was skipped")
    return frame


def _decoded(image: Image.Image, number: int) -> Image.Image | None:
    try:
        image.seek(number - 1)
        if image.width * image.height > MAX_FRAME_PIXELS:
            return None
        frame = image.copy()
        frame.load()
        frame.info = dict(image.info)
        return frame
    except (OSError, SyntaxError, ValueError, EOFError):
        return None


def _pages(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)

"""The masked copy of a scanned document, for publication: black boxes burnt into the page pixels.

For the flags the approver confirms, every pixel under the flag's box is set to black in a fresh
copy of each page image; the copy is written as a new file that holds nothing but those pixels:
no text layer, no OCR text, no metadata of the source. An overlay (a black rectangle drawn over
text that stays in the file) is exactly the failed redaction review.hidden flags, so it is never
used here.

    PDF   → every page rendered as intake rendered it for OCR (ocr.render_dpi), burnt, and written as
            an image-only PDF of the same page size, one page at a time (Pillow appends pages)
    image → every frame at its own pixels, burnt; written as PNG (one page) or TIFF (several)

Boxes in the report are in points; they are turned back into pixels with the resolution intake
used (ocr.render_dpi for PDF pages, image.frame_dpi for images) and widened by PAD_POINTS so that
the anti-aliased edge of a glyph is covered too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from review.intake import image as image_intake
from review.intake import ocr
from review.report import Flag, Report

log = logging.getLogger(__name__)

PAD_POINTS = 2.0  # around each box: boxes hug the glyphs, whose grey fringe is still legible
# Tesseract's LSTM engine places word boxes only roughly along the line: on the generated scans the
# start of an ID number was put up to ~0.6 glyph widths right of its first digit. Boxes of OCR text
# are therefore widened along the line by this share of their height (about a glyph's width).
OCR_WIDEN = 0.75
IMAGE_FORMATS = {"png", "jpeg", "tiff", "jbig2"}


@dataclass
class MaskedCopy:
    path: Path
    masked: list[str] = field(default_factory=list)  # ids of the flags burnt in
    not_on_a_page: list[str] = field(default_factory=list)  # confirmed flags without a page box (properties,
    #                                                         hidden content...): fix those in the source


def burn_in(source: str | Path, report: Report, confirmed: Iterable[str], out: str | Path) -> MaskedCopy:
    """Write the masked copy of `source` (the file `report` reviewed) to `out`.

    `confirmed` are flag ids the approver confirmed; a flag id found twice (the same value in two
    places) is masked everywhere it occurs. Raises ValueError for a format this cannot mask.
    """
    wanted = set(confirmed)
    chosen = [flag for flag in report.flags if flag.id in wanted]
    boxes: dict[int, list[tuple[float, float, float, float, float]]] = {}  # x0, top, x1, bottom, widen
    result = MaskedCopy(path=Path(out))
    for flag in chosen:
        if flag.location.page is None or flag.location.bbox is None:
            result.not_on_a_page.append(flag.id)
            continue
        x0, top, x1, bottom = flag.location.bbox
        widen = OCR_WIDEN * (bottom - top) if flag.location.ocr_confidence is not None else 0.0
        boxes.setdefault(flag.location.page, []).append((x0, top, x1, bottom, widen))
        result.masked.append(flag.id)
    if report.format == "pdf":
        _burn_pdf(Path(source), boxes, result.path)
    elif report.format in IMAGE_FORMATS:
        _burn_image(Path(source), boxes, result.path)
    else:
        # OFD included: its pages are not rendered here, so no page image could be masked
        raise ValueError(f"a masked page-image copy is made only of PDFs and scanned images (png, jpeg, tiff, jbig2), "
                         f"not of {report.format or 'this'} files: use the txt or docx masked copy")
    log.info("masked copy written: %d boxes on %d pages, %d confirmed flags not on a page",
             sum(len(b) for b in boxes.values()), len(boxes), len(result.not_on_a_page))
    return result


def _burn(page: Image.Image, boxes, dpi: float) -> Image.Image:
    """A metadata-free copy of the page with the boxes (points) filled black."""
    mode = page.mode if page.mode in ("1", "L", "RGB") else "RGB"
    clean = Image.new(mode, page.size, "white")
    clean.paste(page.convert(mode))
    draw = ImageDraw.Draw(clean)
    scale = dpi / 72
    for x0, top, x1, bottom, widen in boxes:
        side = PAD_POINTS + widen
        draw.rectangle(((x0 - side) * scale, (top - PAD_POINTS) * scale,
                        (x1 + side) * scale, (bottom + PAD_POINTS) * scale), fill="black")
    return clean


def _burn_pdf(source: Path, boxes, out: Path) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                dpi = ocr.render_dpi(*page.get_size())
                bitmap = page.render(scale=dpi / 72)
                picture = _burn(bitmap.to_pil(), boxes.get(index + 1, ()), dpi)
                bitmap.close()
            finally:
                page.close()
            # one page in memory at a time: Pillow appends each page to the PDF written so far
            picture.save(out, "PDF", resolution=dpi, append=index > 0)
    finally:
        pdf.close()


def _burn_image(source: Path, boxes, out: Path) -> None:
    picture = image_intake.open_image(source.read_bytes())
    pages, dpis = [], []
    for number, frame in image_intake.frames(picture):
        if frame is None:
            raise ValueError(f"page {number} of the image cannot be decoded: no masked copy can be made")
        dpis.append(image_intake.frame_dpi(frame))
        pages.append(_burn(frame, boxes.get(number, ()), dpis[-1]))
    resolution = (dpis[0], dpis[0])
    if len(pages) == 1 and out.suffix.lower() == ".png":
        pages[0].save(out, "PNG", dpi=resolution)
    elif out.suffix.lower() in (".tif", ".tiff"):
        pages[0].save(out, "TIFF", dpi=resolution, compression="tiff_lzw", save_all=True, append_images=pages[1:])
    else:
        raise ValueError("a masked image is written as .png (one page) or .tif/.tiff")

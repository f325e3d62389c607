"""JBIG2 images, decoded by pdfium.

Bitonal scans in OFD archives are often stored as JBIG2 files (.jb2), which Pillow cannot read. pdfium,
which the PDF reader already uses, decodes JBIG2 inside PDFs; so the file's segments are moved into a
one-page PDF that draws the image at one point per pixel, and the page is rendered back to pixels.

A standalone JBIG2 file (ITU-T T.88 annex D) is a file header and segments; in a PDF (ISO 32000-1,
7.4.7) the same segments go without the header, the end-of-page and end-of-file segments, and with the
global segments (page association 0) in a separate JBIG2Globals stream. Files in sequential and in
random-access organisation are read, their first page only (scanners and OFD writers store one page
per file). Anything unreadable is a ValueError with the reason.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

from PIL import Image

FILE_ID = b"\x97JB2\r\n\x1a\n"
PAGE_INFORMATION, END_OF_PAGE, END_OF_FILE = 48, 49, 51


def is_jbig2(data: bytes) -> bool:
    return data.startswith(FILE_ID)


class Segment(NamedTuple):
    header: bytes
    kind: int
    page: int
    length: int


def _segment_header(data: bytes, position: int) -> tuple[Segment, int]:
    """The segment header at ``position`` (T.88 7.2) and where it ends."""
    start = position
    if position + 6 > len(data):
        raise ValueError("truncated segment header")
    number, segment_flags, referred = struct.unpack_from(">IBB", data, position)
    position += 6
    count = referred >> 5
    if count == 7:  # long form: a 29-bit count in four bytes, then one retention bit per segment and itself
        if position + 3 > len(data):
            raise ValueError("truncated segment header")
        count = struct.unpack_from(">I", data, position - 1)[0] & 0x1FFFFFFF
        position += 3 + (count + 8) // 8
    elif count > 4:
        raise ValueError("bad referred-to segment count")
    position += count * (1 if number <= 256 else 2 if number <= 65536 else 4)
    page_field = 4 if segment_flags & 0x40 else 1
    if position + page_field + 4 > len(data):
        raise ValueError("truncated segment header")
    page = int.from_bytes(data[position:position + page_field], "big")
    length = struct.unpack_from(">I", data, position + page_field)[0]
    position += page_field + 4
    if length == 0xFFFFFFFF:
        raise ValueError("a segment of unknown length is not supported")
    return Segment(data[start:position], segment_flags & 0x3F, page, length), position


def segments(data: bytes) -> Iterator[tuple[Segment, bytes]]:
    """(segment, its data) in file order, up to the end-of-file segment. In sequential organisation each
    header is followed by its data; in random-access organisation all headers come first (T.88 annex D)."""
    if len(data) < 9 or not is_jbig2(data):
        raise ValueError("not a JBIG2 file")
    flags = data[8]
    position = 9 if flags & 0x02 else 13  # bit 1 set: the number of pages is unknown (no field)
    if flags & 0x01:
        while position < len(data):
            segment, position = _segment_header(data, position)
            if segment.kind == END_OF_FILE:
                return
            if position + segment.length > len(data):
                raise ValueError("truncated segment data")
            yield segment, data[position:position + segment.length]
            position += segment.length
        return
    headers = []
    while position < len(data):
        segment, position = _segment_header(data, position)
        if segment.kind == END_OF_FILE:
            break
        headers.append(segment)
    for segment in headers:
        if position + segment.length > len(data):
            raise ValueError("truncated segment data")
        yield segment, data[position:position + segment.length]
        position += segment.length


def page_streams(data: bytes) -> tuple[bytes, bytes, tuple[int, int, float]]:
    """(globals, page segments, (width, height, dpi)) of the file's first page, in PDF's embedded form
    (each segment header followed by its data); dpi is 0 when the file does not say."""
    global_segments, page_segments = bytearray(), bytearray()
    first_page, page_information = None, None
    for segment, body in segments(data):
        if segment.page == 0:
            global_segments += segment.header + body
            continue
        first_page = segment.page if first_page is None else first_page
        if segment.page != first_page or segment.kind == END_OF_PAGE:
            continue
        if segment.kind == PAGE_INFORMATION and page_information is None and len(body) >= 16:
            page_information = struct.unpack_from(">IIII", body)
        page_segments += segment.header + body
    if page_information is None:
        raise ValueError("no page information segment")
    width, height, x_resolution, _ = page_information
    if not width or not height or height == 0xFFFFFFFF:
        raise ValueError("the page's size is not given (striped page of unknown height)")
    dpi = x_resolution * 0.0254  # the file gives pixels per metre
    return bytes(global_segments), bytes(page_segments), (width, height, dpi)


def _pdf(global_segments: bytes, page_segments: bytes, width: int, height: int) -> bytes:
    """A one-page PDF whose page is the image, one point per pixel."""
    draw = f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode()
    parms = b"/DecodeParms <</JBIG2Globals 6 0 R>> " if global_segments else b""
    objects = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        f"<</Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
        f"/Resources <</XObject <</Im0 4 0 R>>>> /Contents 5 0 R>>".encode(),
        f"<</Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 1 /Filter /JBIG2Decode ".encode() + parms
        + f"/Length {len(page_segments)}>>\nstream\n".encode() + page_segments + b"\nendstream",
        f"<</Length {len(draw)}>>\nstream\n".encode() + draw + b"\nendstream",
    ]
    if global_segments:
        objects.append(f"<</Length {len(global_segments)}>>\nstream\n".encode() + global_segments + b"\nendstream")
    out = bytearray(b"%PDF-1.5\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<</Size {len(objects) + 1} /Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class TooLarge(ValueError):
    """The page has more pixels than the caller allows (a decompression bomb)."""


def decode(data: bytes, max_pixels: int | None = None) -> Image.Image:
    """The first page as a greyscale image (black text on white); ValueError when it cannot be read,
    TooLarge when it has more than ``max_pixels``, checked before anything is decoded.
    pdfium is not thread-safe: call this where PDFs are parsed (a review process, or under the lock)."""
    import pypdfium2 as pdfium

    global_segments, page_segments, (width, height, dpi) = page_streams(data)
    if max_pixels is not None and width * height > max_pixels:
        raise TooLarge(f"the image is {width}×{height} pixels, more than any scanned page needs")
    try:
        pdf = pdfium.PdfDocument(_pdf(global_segments, page_segments, width, height))
    except pdfium.PdfiumError as exc:
        raise ValueError(f"pdfium could not open it ({exc})") from None
    try:
        page = pdf[0]
        bitmap = page.render(scale=1, grayscale=True)
        image = bitmap.to_pil().convert("L")
        bitmap.close()
        page.close()
    finally:
        pdf.close()
    if image.size != (width, height):
        image = image.resize((width, height))
    if dpi:
        image.info["dpi"] = (dpi, dpi)
    return image

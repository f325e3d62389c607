"""JBIG2 files for tests: a bitonal picture as one MMR-coded (CCITT G4) generic region, the way scanners
store pages. Pillow writes the G4 data (inside a TIFF, from which the strip is taken); the JBIG2 segments
around it (T.88 7.2-7.4) are written here. Checked when written: Debian's jbig2dec decodes them to the same
pixels as pdfium does."""

from __future__ import annotations

import io
import struct

from PIL import Image, ImageOps

FILE_ID = b"\x97JB2\r\n\x1a\n"
PAGE_INFORMATION, IMMEDIATE_GENERIC_REGION, END_OF_PAGE, END_OF_FILE = 48, 38, 49, 51


def g4(image: Image.Image) -> bytes:
    """CCITT G4 data of the picture with 1 bits for black pixels, as a JBIG2 MMR region holds them."""
    # Pillow writes a bitonal TIFF as min-is-black (1 = white): invert so that black pixels are 1 bits
    inverted = ImageOps.invert(image.convert("L")).convert("1")
    buffer = io.BytesIO()
    inverted.save(buffer, "TIFF", compression="group4", strip_size=2**30)
    tiff = Image.open(io.BytesIO(buffer.getvalue()))
    offsets, counts = tiff.tag_v2[273], tiff.tag_v2[279]
    data = buffer.getvalue()
    return b"".join(data[offset:offset + count] for offset, count in zip(offsets, counts))


def segment(number: int, kind: int, page: int, data: bytes) -> tuple[bytes, bytes]:
    """A segment header (no referred-to segments, one-byte page association) and its data."""
    return struct.pack(">IBBBI", number, kind, 0, page, len(data)), data


def page_segments(image: Image.Image, page: int, first_number: int, dpi: int = 300,
                  declared: tuple[int, int] | None = None) -> list[tuple[bytes, bytes]]:
    width, height = declared or image.size
    per_metre = round(dpi / 0.0254)
    information = struct.pack(">IIIIBH", width, height, per_metre, per_metre, 0, 0)
    region = struct.pack(">IIIIB", *image.size, 0, 0, 0) + b"\x01" + g4(image)  # flags: MMR
    return [segment(first_number, PAGE_INFORMATION, page, information),
            segment(first_number + 1, IMMEDIATE_GENERIC_REGION, page, region),
            segment(first_number + 2, END_OF_PAGE, page, b"")]


def jbig2_file(*pages: Image.Image, dpi: int = 300, declared: tuple[int, int] | None = None,
               sequential: bool = True) -> bytes:
    """A JBIG2 file of the pages: each segment header followed by its data (sequential organisation), or
    all headers first, then all data (random-access organisation)."""
    parts = [part for number, image in enumerate(pages)
             for part in page_segments(image, number + 1, 3 * number, dpi, declared)]
    parts.append(segment(3 * len(pages), END_OF_FILE, 0, b""))
    if sequential:
        body = b"".join(header + data for header, data in parts)
    else:
        body = b"".join(header for header, _ in parts) + b"".join(data for _, data in parts)
    flags = 0x01 if sequential else 0x00
    return FILE_ID + bytes([flags]) + struct.pack(">I", len(pages)) + body

"""What a file is, from its bytes rather than its name.

Zip containers (docx, xlsx, ofd, odt...) all start with PK, so they are told apart by their members;
other binary kinds by signature (puremagic names the ones we do not read, for a clear error);
text is told from html by looking at the first characters.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib

import puremagic

# format -> human name, for messages
SUPPORTED = {
    "docx": "Word document (docx)",
    "pdf": "PDF",
    "txt": "plain text",
    "csv": "CSV text",
    "html": "HTML page",
    "ofd": "OFD (GB/T 33190)",
    "xlsx": "Excel workbook (xlsx)",
    "doc": "legacy Word document (doc)",
    "wps": "WPS document",
    "rtf": "RTF document",
    "odt": "OpenDocument text (odt)",
    "xls": "legacy Excel workbook (xls)",
    "png": "PNG image (read by OCR)",
    "jpeg": "JPEG image (read by OCR)",
    "tiff": "TIFF image (read by OCR)",
    "jbig2": "JBIG2 image (read by OCR)",
}
LEGACY = {"doc", "wps", "rtf", "odt", "xls"}  # read through a LibreOffice conversion
IMAGES = {"png", "jpeg", "tiff", "jbig2"}  # scans, read by OCR
# a PNG's first chunk is always IHDR (PNG spec 5.6): bytes that merely start like a PNG are not one
_IMAGE_SIGNATURES = ((b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"), (b"\xff\xd8\xff", "jpeg"),
                     (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"\x97JB2\r\n\x1a\n", "jbig2"))

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|div|p|table)\b",
                         re.I | re.S)


def sniff(head: bytes, path: str, open_zip=None) -> tuple[str | None, str]:
    """Return (format, description). format is None when we cannot read this kind of file.

    `head` is the first few KB; `open_zip` a callable giving a ZipFile when the bytes are a zip.
    """
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(open_zip, ext)
    if b"%PDF-" in head[:1024]:
        return "pdf", SUPPORTED["pdf"]
    if head.startswith(_OLE):
        # Word, WPS and Excel binaries share the OLE container; the stream names would tell them
        # apart, but LibreOffice converts all of them, so the extension only picks the target.
        kind = {"wps": "wps", "xls": "xls", "et": "xls"}.get(ext, "doc")
        return kind, SUPPORTED[kind]
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf", SUPPORTED["rtf"]
    for signature, kind in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return kind, SUPPORTED[kind]
    if _looks_binary(head):
        return None, _name_binary(head)
    probe = _strip_bom(head)
    if _HTML_START.match(probe[:2048]) or (ext in {"html", "htm", "shtml"} and b"<" in probe[:2048]):
        return "html", SUPPORTED["html"]
    if ext == "csv":
        return "csv", SUPPORTED["csv"]
    return "txt", SUPPORTED["txt"]


_WORD_MAIN_TYPES = (b"wordprocessingml.document.main+xml", b"wordprocessingml.template.main+xml",
                    b"ms-word.document.macroEnabled.main+xml", b"ms-word.template.macroEnabledTemplate.main+xml")
_EXCEL_MAIN_TYPES = (b"spreadsheetml.sheet.main+xml", b"spreadsheetml.template.main+xml",
                     b"ms-excel.sheet.macroEnabled.main+xml")


def _content_types(archive: zipfile.ZipFile, names: set[str]) -> bytes:
    """The head of [Content_Types].xml (bounded: a bomb there is the parser's to refuse)."""
    if "[Content_Types].xml" not in names:
        return b""
    try:
        with archive.open("[Content_Types].xml") as member:
            return member.read(256 * 1024)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError):
        return b""  # damaged: the names decide, and the format's reader reports the damage


def _sniff_zip(open_zip, ext: str) -> tuple[str | None, str]:
    try:
        with open_zip() as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100]
                if b"opendocument.text" in mimetype:
                    return "odt", SUPPORTED["odt"]
                return None, f"OpenDocument file ({mimetype.decode('ascii', 'replace')})"
            content_types = _content_types(archive, names)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return None, "damaged zip archive"
    # OOXML: the main part's content type says what the package is (its name varies: WPS, LibreOffice)
    if "word/document.xml" in names or any(t in content_types for t in _WORD_MAIN_TYPES):
        return "docx", SUPPORTED["docx"]
    if "xl/workbook.xml" in names or any(t in content_types for t in _EXCEL_MAIN_TYPES):
        return "xlsx", SUPPORTED["xlsx"]
    if "OFD.xml" in names or "ofd.xml" in {n.lower() for n in names}:
        return "ofd", SUPPORTED["ofd"]
    if "ppt/presentation.xml" in names:
        return None, "PowerPoint presentation (pptx)"
    return None, "zip archive (use `review scan` for archives)"


def _strip_bom(head: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf",):
        if head.startswith(bom):
            return head[len(bom):]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: look at the ASCII bytes only
        return head[2:].replace(b"\x00", b"")
    return head


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NULs
    sample = head[:4096]
    if not sample:
        return False
    if b"\x00" in sample:
        # UTF-16 without BOM: NULs at every other position
        evens, odds = sample[0::2].count(0), sample[1::2].count(0)
        return not (max(evens, odds) > len(sample) / 4 and min(evens, odds) < len(sample) / 50)
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control > len(sample) / 20


def _name_binary(head: bytes) -> str:
    try:
        guesses = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        guesses = []
    if guesses:
        return guesses[0].name
    return "unknown binary data"


def zip_opener(data_or_path):
    """A callable that opens the file as a zip, for `sniff`."""
    def open_zip():
        if isinstance(data_or_path, (bytes, bytearray)):
            return zipfile.ZipFile(io.BytesIO(data_or_path))
        return zipfile.ZipFile(data_or_path)
    return open_zip

"""Intake: any file in, one `Document` out, or a `DocumentError` that says in plain words what is wrong.

Each format has one module with `parse(source, config, deadline) -> Document`; they are imported
lazily so that reading a text file never pays for pdfminer's import.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from dataclasses import dataclass

from review import errors
from review.config import ScanConfig
from review.document import Document
from review.errors import DocumentError
from review.intake.safe import Deadline, time_limit
from review.intake.sniff import IMAGES, LEGACY, SUPPORTED, sniff, zip_opener

PARSERS = {
    "txt": "review.intake.text",
    "csv": "review.intake.text",
    "docx": "review.intake.docx",
    "pdf": "review.intake.pdf",
    "html": "review.intake.html",
    "ofd": "review.intake.ofd",
    "xlsx": "review.intake.xlsx",
    **{fmt: "review.intake.legacy" for fmt in LEGACY},
    **{fmt: "review.intake.image" for fmt in IMAGES},
}


@dataclass
class Source:
    """The raw file, read once: parsers take bytes, never re-open the path."""

    path: str
    data: bytes
    sha256: str
    format: str

    def new_document(self, fmt: str | None = None) -> Document:
        return Document(path=self.path, format=fmt or self.format, sha256=self.sha256, size=len(self.data))


def read_source(path: str, config: ScanConfig) -> Source:
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        raise DocumentError("file not found", code=errors.NOT_FOUND) from None
    except OSError as exc:
        raise DocumentError(f"cannot read the file ({exc.strerror})", code=errors.NOT_FOUND) from None
    if os.path.isdir(path):
        raise DocumentError("this is a folder, not a file", code=errors.UNSUPPORTED,
                            hint="`review scan` walks folders")
    if size == 0:
        raise DocumentError("the file is empty (0 bytes)", code=errors.EMPTY)
    if size > config.max_file_bytes:
        raise DocumentError(f"the file is {size / 1e6:.1f} MB, above the {config.max_file_bytes / 1e6:.0f} MB limit",
                            code=errors.TOO_LARGE, hint="raise max_file_bytes in the scan configuration")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise DocumentError(f"cannot read the file ({exc.strerror})", code=errors.NOT_FOUND) from None
    return Source(path=path, data=data, sha256=hashlib.sha256(data).hexdigest(), format="")


def read_document(path: str, config: ScanConfig | None = None) -> Document:
    """Parse one file into a Document. Raises DocumentError (only) when it cannot be read."""
    config = config or ScanConfig()
    source = read_source(path, config)
    fmt, description = sniff(source.data[:8192], path, zip_opener(source.data))
    if fmt is None:
        raise DocumentError(f"unsupported file type: {description}", code=errors.UNSUPPORTED,
                            hint="supported: " + ", ".join(sorted(SUPPORTED)))
    if fmt in LEGACY and _is_encrypted_ooxml(source.data):
        raise DocumentError("the file is encrypted (password-protected Office document)", code=errors.ENCRYPTED,
                            hint="save an unprotected copy and submit that")
    source.format = fmt
    module = importlib.import_module(PARSERS[fmt])
    with time_limit(config.timeout_seconds) as deadline:
        document = _parse(module, source, config, deadline)
    _note_mislabel(document, path, fmt)
    return document.finish()


# An encrypted docx/xlsx is an OLE container holding a stream named "EncryptedPackage" (MS-OFFCRYPTO).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _is_encrypted_ooxml(data: bytes) -> bool:
    return data.startswith(b"\xd0\xcf\x11\xe0") and _ENCRYPTED_PACKAGE in data


def _parse(module, source: Source, config: ScanConfig, deadline: Deadline) -> Document:
    try:
        return module.parse(source, config, deadline)
    except (DocumentError, MemoryError, RecursionError):
        raise
    except Exception as exc:  # a library choked on malformed input: say so, keep the batch going
        raise DocumentError(f"the {SUPPORTED.get(source.format, source.format)} could not be parsed: "
                            f"{type(exc).__name__}: {str(exc)[:200]}", code=errors.CORRUPT) from exc


_EXTENSIONS = {"docx": {"docx", "docm"}, "pdf": {"pdf"}, "html": {"html", "htm", "shtml", "xhtml"},
               "txt": {"txt", "text", "log", ""}, "csv": {"csv"}, "ofd": {"ofd"}, "xlsx": {"xlsx", "xlsm"},
               "doc": {"doc", "dot"}, "wps": {"wps"}, "rtf": {"rtf"}, "odt": {"odt"}, "xls": {"xls", "et"},
               "png": {"png"}, "jpeg": {"jpg", "jpeg", "jpe", "jfif"}, "tiff": {"tif", "tiff"},
               "jbig2": {"jb2", "jbig2"}}


def _note_mislabel(document: Document, path: str, fmt: str) -> None:
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext and ext not in _EXTENSIONS.get(fmt, {fmt}) and not (fmt == "txt" and ext in {"md", "text"}):
        document.warnings.append(f"the file name says .{ext} but the content is {SUPPORTED[fmt]}; read as {fmt}")

"""Checking an upload before it is accepted, and storing it content-addressed.

Only cheap checks run here (the drafter waits for them): size, the type from the bytes (intake's own
sniffer), and encryption or truncation that shows without parsing. Anything deeper is found by the
review itself and recorded as a failed review with its reason.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from review import errors
from review.intake.sniff import SUPPORTED, sniff, zip_opener
from review.service.problems import Problem


def check_upload(data: bytes, filename: str, max_bytes: int) -> str:
    """The format the bytes hold, or Problem saying in Chinese and English what is wrong."""
    if not data:
        raise Problem(400, errors.EMPTY, "文件为空（0 字节）", "the file is empty (0 bytes)")
    if len(data) > max_bytes:
        raise Problem(413, errors.TOO_LARGE, f"文件超过 {max_bytes // 1024 // 1024} MB 上限",
                             f"the file is larger than the {max_bytes // 1024 // 1024} MB limit")
    fmt, description = sniff(data[:8192], filename, zip_opener(data))
    if fmt is None:
        if description == "damaged zip archive":
            raise Problem(422, errors.CORRUPT, "文件已损坏，无法打开", "the file is damaged (broken zip archive)")
        raise Problem(415, errors.UNSUPPORTED, f"不支持的文件类型：{description}",
                             f"unsupported file type: {description}; supported: " + ", ".join(sorted(SUPPORTED)))
    if fmt in {"doc", "xls", "wps"} and "EncryptedPackage".encode("utf-16-le") in data:
        raise Problem(422, errors.ENCRYPTED, "文件已加密，请提交未加密的副本",
                             "the file is password-protected; submit an unprotected copy")
    if fmt == "pdf":
        if b"/Encrypt" in data:
            raise Problem(422, errors.ENCRYPTED, "PDF 已加密，请提交未加密的副本",
                                 "the PDF is encrypted; submit an unprotected copy")
        if b"%%EOF" not in data[-2048:]:
            raise Problem(422, errors.CORRUPT, "PDF 文件不完整或已损坏", "the PDF is truncated or damaged")
    return fmt


def blob_path(blob_dir: Path, sha256: str) -> Path:
    return blob_dir / sha256[:2] / sha256


def store_blob(blob_dir: Path, data: bytes) -> str:
    """Write the bytes under their sha256 (once), synced to disk before returning the digest."""
    digest = hashlib.sha256(data).hexdigest()
    target = blob_path(blob_dir, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)  # atomic: a reader never sees half a file
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name itself must survive a crash
    finally:
        os.close(directory)
    return digest


@contextmanager
def named_link(path: Path, filename: str) -> Iterator[str]:
    """The stored blob under a name with the original extension: intake uses the extension for a few
    decisions (csv or txt, Word or WPS binaries)."""
    extension = re.sub(r"[^a-z0-9]", "", os.path.splitext(filename)[1].lower())[:8]
    with tempfile.TemporaryDirectory(prefix="review-") as folder:
        link = os.path.join(folder, f"document.{extension}" if extension else "document")
        os.symlink(os.path.abspath(path), link)
        yield link

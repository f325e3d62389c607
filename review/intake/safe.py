"""Guards shared by the parsers: bounded zip reading, XML without entities, a per-document deadline.

docx, xlsx and OFD are zips of XML. A zip bomb is stopped before anything is inflated (declared sizes
and ratios), and reads are bounded anyway because zipfile stops at the declared size. XML parts may
not declare a DTD: OOXML and OFD never need one, and refusing it stops entity expansion attacks
("billion laughs", external entities) before lxml sees them.
"""

from __future__ import annotations

import re
import signal
import threading
import time
import zipfile
from contextlib import contextmanager

from lxml import etree

from review import errors
from review.config import ScanConfig
from review.errors import DocumentError

DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)  # a DTD or entity declaration: refused in every XML part

# no entity resolution, no network, no huge trees: defence in depth behind the DTD check
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             remove_blank_text=False, load_dtd=False)


def check_zip(archive: zipfile.ZipFile, config: ScanConfig, compressed_size: int) -> None:
    infos = archive.infolist()
    if len(infos) > config.max_zip_members:
        raise DocumentError(f"archive has {len(infos)} members (limit {config.max_zip_members})",
                            code=errors.ZIP_BOMB)
    total = sum(i.file_size for i in infos)
    if total > config.max_unzip_bytes:
        raise DocumentError(f"archive would inflate to {total} bytes (limit {config.max_unzip_bytes}): "
                            "possible zip bomb", code=errors.ZIP_BOMB)
    if compressed_size and total / max(compressed_size, 1) > config.max_unzip_ratio and total > 10_000_000:
        raise DocumentError(f"compression ratio {total / compressed_size:.0f}:1 is implausible for a "
                            "document: possible zip bomb", code=errors.ZIP_BOMB)
    for info in infos:
        if info.flag_bits & 0x1:
            raise DocumentError("the file is encrypted (password-protected)", code=errors.ENCRYPTED,
                                hint="save an unprotected copy and submit that")


def read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise DocumentError(f"part {name} is larger than {limit} bytes", code=errors.ZIP_BOMB)
    return data


def parse_xml(data: bytes, part: str = "XML part") -> etree._Element:
    if DTD.search(data[:4096]) or DTD.search(data):
        raise DocumentError(f"{part} declares a DTD or entities, which documents never need",
                            code=errors.XML_ENTITIES, hint="the file may be crafted to attack parsers")
    try:
        return etree.fromstring(data, parser=XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"{part} is not well-formed XML ({exc.msg})", code=errors.CORRUPT) from None


def check_xml_parts(archive: zipfile.ZipFile, limit: int) -> None:
    """Refuse DTDs in every XML part before a library (python-docx, openpyxl) parses them."""
    for info in archive.infolist():
        if info.filename.endswith((".xml", ".rels")) and info.file_size:
            head = read_member(archive, info.filename, limit)
            if DTD.search(head):
                raise DocumentError(f"{info.filename} declares a DTD or entities, which documents never need",
                                    code=errors.XML_ENTITIES, hint="the file may be crafted to attack parsers")


class Deadline:
    """Cooperative per-document time limit: parsers call `check()` between pages and paragraphs.

    On the main thread of a Unix process a SIGALRM backs it up, so that a parser stuck inside a
    library loop is interrupted too (pdfminer is pure Python, so the signal lands).
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.until:
            raise DocumentError(f"reading took longer than {self.seconds:g} s", code=errors.TIMEOUT,
                                hint="raise timeout_seconds, or split the file")


@contextmanager
def time_limit(seconds: float):
    deadline = Deadline(seconds)
    use_alarm = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
                 and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))
    if not use_alarm:
        yield deadline
        return

    def on_alarm(signum, frame):
        raise DocumentError(f"reading took longer than {seconds:g} s", code=errors.TIMEOUT,
                            hint="raise timeout_seconds, or split the file")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds + 0.5)  # the cooperative check fires first
    try:
        yield deadline
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

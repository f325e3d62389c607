"""Plain text and CSV. The encoding is detected by charset-normalizer and recorded on the Document.

Chinese government text arrives as UTF-8 (with or without BOM), GBK, GB18030 and now and then UTF-16.
charset-normalizer names GBK files gb18030 (a superset, so decoding is right either way); we record
"gbk" when the bytes are valid GBK, so the report says what the file really is.
"""

from __future__ import annotations

import codecs

import charset_normalizer

from review import errors
from review.document import Location
from review.errors import DocumentError

_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
_CHINESE_FAMILY = {"gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950"}


def detect_encoding(data: bytes) -> str:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise DocumentError("the text encoding could not be recognised (binary data?)", code=errors.CORRUPT)
    name = codecs.lookup(best.encoding).name
    if name in _CHINESE_FAMILY or name.startswith("cp93"):
        # Simplified-Chinese government text: prefer the GB family over a Big5/Japanese guess that
        # short samples sometimes produce, as long as the bytes decode.
        for candidate in ("gbk", "gb18030"):
            try:
                data.decode(candidate)
                return candidate
            except UnicodeDecodeError:
                continue
    return name


def parse(source, config, deadline):
    document = source.new_document()
    encoding = detect_encoding(source.data)
    text = source.data.decode(encoding, errors="replace")
    if "\ufffd" in text:
        document.warnings.append(f"some bytes are not valid {encoding} and were replaced")
    document.encoding = encoding
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError("the file holds no text (only white space)", code=errors.EMPTY)
    part = "table" if source.format == "csv" else "body"
    for number, line in enumerate(text.split("\n"), start=1):
        if number % 2000 == 0:
            deadline.check()
        document.add(line, Location(part=part, line=number))
    document.pages = 1
    return document

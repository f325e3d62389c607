"""The one `Document` that every parser produces and every detector reads.

A document is kept as a list of blocks (paragraph, table cell, header, footer, comment...), not as one
string: a ★ marking in the 版头 means something the word 秘密 in the body does not. For detectors the
blocks are also laid end to end in `Document.text`, separated by newlines, so that one regex or
Aho-Corasick pass covers the whole document and any offset maps back to its block (`locate`).

Visible blocks come first, in reading order; hidden content (comments, tracked deletions, vanished or
white text, CSS-hidden nodes, document properties...) follows, each block marked with its hidden kind.
`Document.visible_text` is what a reader of the rendered document sees.
"""

from __future__ import annotations

import bisect
import statistics
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict


class Location(BaseModel):
    """Where a piece of text lives in the source file. Only the fields that apply are set."""

    model_config = ConfigDict(extra="forbid")

    part: str  # body | table | header | footer | footnote | endnote | textbox | comment | tracked_change
    #            | hidden_text | white_text | css_hidden | html_comment | property | annotation | sheet | page
    page: int | None = None  # 1-based
    paragraph: int | None = None  # 0-based index within its part
    table: int | None = None
    row: int | None = None
    cell: int | None = None
    line: int | None = None  # 1-based, for plain text
    bbox: tuple[float, float, float, float] | None = None  # x0, top, x1, bottom in PDF points
    sheet: str | None = None
    name: str | None = None  # property name, annotation subtype, html element...
    ocr_confidence: float | None = None  # text read by OCR: Tesseract's confidence (0..1) in its weakest word

    def describe(self) -> str:
        """Short human label, e.g. '第2页 表1 行3' is left to the UI; here a neutral English form."""
        bits = [self.part]
        for key in ("page", "sheet", "table", "row", "cell", "paragraph", "line", "name"):
            value = getattr(self, key)
            if value is not None:
                bits.append(f"{key} {value}")
        return ", ".join(bits)


@dataclass
class HiddenInfo:
    """Why a block is not visible to a reader of the rendered document, and who put it there."""

    kind: str  # comment | tracked_deletion | tracked_insertion | hidden_text | white_text | tiny_text |
    #            css_hidden | html_comment | doc_property | annotation | hidden_sheet | hidden_rows | hidden_columns
    author: str | None = None
    date: str | None = None
    detail: str | None = None  # e.g. "font colour FFFFFF", "dc:creator", "display:none"


def _glyph_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


@dataclass
class OcrWord:
    """A word of a block read by OCR: where it sits in the block's text and on the page."""

    start: int  # offsets in Block.text
    end: int
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom in points, like Location.bbox
    confidence: float  # 0..1


@dataclass
class Block:
    text: str
    location: Location
    start: int = 0  # offset of text in Document.text
    end: int = 0
    hidden: HiddenInfo | None = None
    style: str | None = None  # paragraph style or html tag, a hint for 公文 structure
    ocr_words: list[OcrWord] | None = None  # set when the text was read by OCR from a page image

    def ocr_span(self, start: int, end: int) -> tuple[tuple[float, float, float, float], float] | None:
        """For text read by OCR: the box on the page and the weakest confidence of the words under
        Document.text[start:end]; a word only partly in the span gives its share of its width (a
        Chinese character or full-width sign counts twice a digit or Latin letter)."""
        if not self.ocr_words:
            return None
        lo, hi = max(start, self.start) - self.start, min(end, self.end) - self.start
        boxes, confidences = [], []
        for word in self.ocr_words:
            a, b = max(lo, word.start), min(hi, word.end)
            if a >= b:
                continue
            x0, top, x1, bottom = word.bbox
            widths = [_glyph_width(ch) for ch in self.text[word.start:word.end]]
            unit = (x1 - x0) / sum(widths)
            left = x0 + unit * sum(widths[: a - word.start])
            right = x0 + unit * sum(widths[: b - word.start])
            boxes.append((left, top, right, bottom))
            confidences.append(word.confidence)
        if not boxes:
            return None
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        return tuple(round(v, 2) for v in box), min(confidences)


@dataclass
class Redaction:
    """A filled dark shape drawn over characters that are still in the PDF text layer."""

    page: int
    bbox: tuple[float, float, float, float]
    covered_text: str
    start: int | None = None  # offset of covered_text in Document.text, when found there
    end: int | None = None


@dataclass
class EmbeddedObject:
    name: str
    content_type: str | None
    size: int | None
    location: Location


@dataclass
class Document:
    path: str
    format: str
    sha256: str
    size: int
    blocks: list[Block] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)  # document properties, portal metadata...
    pages: int | None = None
    encoding: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)
    embedded: list[EmbeddedObject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = ""
    visible_end: int = 0  # Document.text[:visible_end] is the visible text
    # page -> how well OCR read it: the confidence below which its weakest tenth of words fall (set by finish)
    ocr_page_quality: dict[int, float] = field(default_factory=dict)

    # -- building -------------------------------------------------------------------------------
    @classmethod
    def from_text(cls, text: str, path: str = "<text>") -> "Document":
        """A plain-text Document, one block per line: rule examples, training rows, benchmarks."""
        import hashlib
        data = text.encode()
        document = cls(path=path, format="txt", sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        for number, line in enumerate(text.split("\n"), start=1):
            document.add(line, Location(part="body", line=number))
        return document.finish()

    def add(self, text: str, location: Location, *, hidden: HiddenInfo | None = None,
            style: str | None = None, ocr_words: list[OcrWord] | None = None) -> Block | None:
        """Append a block. Blank blocks are dropped; call `finish()` once all blocks are in."""
        if not text or not text.strip():
            return None
        block = Block(text=text, location=location, hidden=hidden, style=style, ocr_words=ocr_words)
        self.blocks.append(block)
        return block

    def finish(self) -> "Document":
        """Lay the blocks end to end: visible ones first (reading order kept), then hidden ones."""
        ordered = [b for b in self.blocks if b.hidden is None] + [b for b in self.blocks if b.hidden]
        pieces, offset, visible_end = [], 0, 0
        for block in ordered:
            block.start, block.end = offset, offset + len(block.text)
            pieces.append(block.text)
            offset = block.end + 1  # the "\n" separator
            if block.hidden is None:
                visible_end = block.end
        self.blocks = ordered
        self.text = "\n".join(pieces)
        self.visible_end = visible_end
        self._starts = [b.start for b in ordered]
        self.ocr_page_quality = _ocr_page_quality(ordered)
        for redaction in self.redactions:
            self._place_redaction(redaction)
        return self

    def _place_redaction(self, redaction: Redaction) -> None:
        for block in self.blocks:
            if block.hidden is None and block.location.page == redaction.page:
                at = block.text.find(redaction.covered_text)
                if at >= 0:
                    redaction.start = block.start + at
                    redaction.end = redaction.start + len(redaction.covered_text)
                    return

    # -- reading --------------------------------------------------------------------------------
    @property
    def visible_text(self) -> str:
        return self.text[: self.visible_end]

    @property
    def hidden_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.hidden is not None]

    def locate(self, offset: int) -> Block | None:
        """The block that holds Document.text[offset], or None for a separator / out of range."""
        starts = getattr(self, "_starts", None)
        if starts is None:
            starts = self._starts = [b.start for b in self.blocks]
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and self.blocks[i].start <= offset < self.blocks[i].end:
            return self.blocks[i]
        return None

    def lines(self, limit: int | None = None) -> list[tuple[str, Block]]:
        """Visible text split into lines, each with its block: the unit the 公文 parser works on."""
        out: list[tuple[str, Block]] = []
        for block in self.blocks:
            if block.hidden is not None:
                break
            for line in block.text.splitlines():
                if line.strip():
                    out.append((line.strip(), block))
                    if limit and len(out) >= limit:
                        return out
        return out


OCR_QUALITY_MIN_WORDS = 10  # fewer words than this say too little about how well a page was read


def _ocr_page_quality(blocks: list[Block]) -> dict[int, float]:
    """Per page read by OCR, the 10th percentile of its word confidences (review.flags.OCR_POOR_PAGE)."""
    confidences: dict[int, list[float]] = {}
    for block in blocks:
        if block.ocr_words and block.location.page is not None:
            confidences.setdefault(block.location.page, []).extend(w.confidence for w in block.ocr_words)
    return {page: round(statistics.quantiles(values, n=10, method="inclusive")[0], 3)
            for page, values in confidences.items() if len(values) >= OCR_QUALITY_MIN_WORDS}

"""PDF: pypdfium2 reads every page; pdfplumber's own algorithms lay out the lines and find the tables;
pdfminer (through pdfplumber) parses only the pages pdfium cannot be trusted with.

Why this split. The labels and the 公文 parser work on pdfplumber's `extract_text` lines, so those are
the reference. Measured on the 12 devset PDFs (28 pages) and a dense generated 50-page STSong-Light PDF
(CPU pages/s): pdfplumber 45 and 17, pypdfium2's own text 1000 and 650, this module 115 and 90.
pypdfium2's own lines agree with pdfplumber's on plain pages but not on ruled tables (it splits header
cells over several lines), and pdfium silently drops some text objects (a lone wrapped character or
table cell in a non-embedded CJK font, turned text, fake-bold overprints): 4 of the 12 devset files
differed, 468 of 484 lines matched. So we take pdfium's characters and boxes and hand them to
pdfplumber's own clustering (`chars_to_textmap`): same algorithm, identical lines on all 12 files.
Every text object on a page must own at least one character; a page where one does not (3 of the 28
devset pages), or a turned page, is read by pdfplumber itself. Tables likewise: pdfplumber's
TableFinder runs on ruling lines taken from pdfium's paths, with the same counts as find_tables.

pdfium also lists page objects in content-stream order, which pdfplumber cannot: a dark box painted
after the text hides it (a failed redaction), a dark band painted before light text is a table header.
Pages with images but no characters (scans) are rendered by pdfium at ~300 dpi and read by OCR
(review.intake.ocr); their lines carry boxes in points on the page as displayed, origin at its top
left, and Tesseract's confidence. Without tesseract they keep the "needs OCR" warning.

pypdfium2 is not thread-safe: run parsers in processes, not threads.
"""

from __future__ import annotations

import ctypes
import io
import itertools
import math
import re
from dataclasses import dataclass, field

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as raw
from pdfminer.utils import PDFDocEncoding
from pdfplumber.table import TableFinder
from pdfplumber.utils.text import chars_to_textmap

from review import errors
from review.document import EmbeddedObject, HiddenInfo, Location, Redaction
from review.errors import DocumentError

PROPERTIES = ("Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate", "ModDate")
HIDDEN_PROPERTIES = ("Author", "Title", "Subject", "Keywords")  # the ones a person writes
THIN = 2.0  # pt: a filled shape narrower than this is a rule, not a box
# A box is dark when each RGB component, as pdfium displays it, is below this. 0.4 rather than 0.25
# because pdfium converts DeviceCMYK through Adobe's tables: K=0.75 shows as 0.40 gray, K=0.8 as 0.35,
# and a CMYK box with K > 0.75 must count as dark. Gray and RGB boxes between 0.25 and 0.4 count too:
# black text under them is no easier to read.
DARK = 0.4
MAX_PAGE_WARNINGS = 10  # per-page "no text layer" warnings; the rest are summarised

_ANNOT_NAMES = {
    raw.FPDF_ANNOT_TEXT: "Text", raw.FPDF_ANNOT_LINK: "Link", raw.FPDF_ANNOT_FREETEXT: "FreeText",
    raw.FPDF_ANNOT_LINE: "Line", raw.FPDF_ANNOT_SQUARE: "Square", raw.FPDF_ANNOT_CIRCLE: "Circle",
    raw.FPDF_ANNOT_POLYGON: "Polygon", raw.FPDF_ANNOT_POLYLINE: "PolyLine",
    raw.FPDF_ANNOT_HIGHLIGHT: "Highlight", raw.FPDF_ANNOT_UNDERLINE: "Underline",
    raw.FPDF_ANNOT_SQUIGGLY: "Squiggly", raw.FPDF_ANNOT_STRIKEOUT: "StrikeOut", raw.FPDF_ANNOT_STAMP: "Stamp",
    raw.FPDF_ANNOT_CARET: "Caret", raw.FPDF_ANNOT_INK: "Ink", raw.FPDF_ANNOT_POPUP: "Popup",
    raw.FPDF_ANNOT_FILEATTACHMENT: "FileAttachment", raw.FPDF_ANNOT_SOUND: "Sound",
    raw.FPDF_ANNOT_WIDGET: "Widget", raw.FPDF_ANNOT_REDACT: "Redact", raw.FPDF_ANNOT_WATERMARK: "Watermark",
}
_PDFDOC_BYTES = {char: code for code, char in enumerate(PDFDocEncoding) if char}
_GB2312_BYTES = re.compile(rb"(?:[\x00-\x7f]|[\xa1-\xfe][\xa1-\xfe])*")
_PDF_DATE = re.compile(r"D:(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?(Z|[+-]\d\d'?\d\d'?)?")


# -- entry point ------------------------------------------------------------------------------------

def parse(source, config, deadline):
    document = source.new_document()
    pdf = _open(source.data, document)
    try:
        total = len(pdf)
        if total == 0:
            raise DocumentError("the PDF has no pages", code=errors.EMPTY)
        document.pages = total
        count = min(total, config.max_pages)
        if count < total:
            document.warnings.append(f"the PDF has {total} pages; only the first {count} were read "
                                     "(max_pages)")
        _read_properties(pdf, document)
        _read_attachments(pdf, document)
        summary = _Summary()
        scans = _ScannedPages(deadline)
        with _Plumber(source.data) as plumber:
            for number in range(1, count + 1):
                deadline.check()
                _read_page(pdf, number, plumber, config, document, summary, scans)
        if summary.damaged == count:
            raise DocumentError(f"the PDF is damaged: none of its {count} pages could be read",
                                code=errors.CORRUPT)
        summary.report(document, count)
        scans.report(document)
    finally:
        pdf.close()
    return document


def _open(data: bytes, document) -> pdfium.PdfDocument:
    try:
        pdf = pdfium.PdfDocument(data)  # pdfium tries the empty user password by itself
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) in (raw.FPDF_ERR_PASSWORD, raw.FPDF_ERR_SECURITY):
            raise DocumentError("the PDF is encrypted and needs a password to open", code=errors.ENCRYPTED,
                                hint="save an unprotected copy and submit that") from None
        raise DocumentError("the PDF is damaged and could not be opened", code=errors.CORRUPT) from None
    if raw.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
        document.warnings.append("the PDF is encrypted but opens without a password; it was read normally")
    if b"%%EOF" not in data[-4096:]:
        document.warnings.append("the PDF does not end with %%EOF: it may be truncated; "
                                 "what could be recovered was read")
    return pdf


@dataclass
class _Summary:
    without_text: list[int] = field(default_factory=list)  # pages with images but no characters
    blank: int = 0  # pages with neither
    damaged: int = 0  # pages pdfium could not load
    tables: dict[int, int] = field(default_factory=dict)
    by_pdfplumber: list[int] = field(default_factory=list)  # pages pdfium could not be trusted with

    def report(self, document, count: int) -> None:
        document.metadata["pages_without_text"] = self.without_text
        if self.by_pdfplumber:  # worth watching on a real archive: each such page costs ~5x more
            document.metadata["pdf_pages_read_by_pdfplumber"] = self.by_pdfplumber
        if self.tables:
            document.metadata["pdf_tables"] = self.tables
        for number in self.without_text[:MAX_PAGE_WARNINGS]:
            document.warnings.append(f"page {number} has no text layer (scanned image?): needs OCR")
        if len(self.without_text) > MAX_PAGE_WARNINGS:
            document.warnings.append(f"{len(self.without_text) - MAX_PAGE_WARNINGS} more pages have no text "
                                     "layer (see metadata pages_without_text): they need OCR")
        if self.blank and self.blank + self.damaged == count:
            document.warnings.append("the PDF has no text and no images on any page: nothing to review")


# -- one page ---------------------------------------------------------------------------------------

def _read_page(pdf, number: int, plumber: "_Plumber", config, document, summary: _Summary,
               scans: "_ScannedPages") -> None:
    try:
        page = pdf[number - 1]
    except pdfium.PdfiumError:
        summary.damaged += 1
        document.warnings.append(f"page {number} is damaged and was skipped")
        return
    try:
        frame = _Frame.of(page)
        scene = _scan_objects(page.raw, frame)
        chars, complete = _pdfium_chars(page, scene, frame)
        if not complete or frame.rotated:
            # pdfium dropped a text object, or the page is turned (pdfminer and pdfium order turned
            # text differently): pdfminer's own characters are the reference
            exact = plumber.chars(number)
            if exact is not None:
                chars = exact
                summary.by_pdfplumber.append(number)
            elif not complete:
                document.warnings.append(f"page {number}: some text may be missing (pdfplumber could not "
                                         f"read the page: {plumber.error})")
        lines = _lines(chars)
        for line in lines:
            document.add(line.text, Location(part="body", page=number, bbox=line.bbox))
        for box in _covering_boxes(scene.dark_boxes, lines):
            for covered in _covered_spans(box, lines):
                document.redactions.append(Redaction(page=number, bbox=box.bbox, covered_text=covered))
        if config.pdf_tables and scene.may_hold_table():
            tables = _table_count(scene, frame)
            if tables:
                summary.tables[number] = tables
        _read_annotations(pdf, page, number, frame, lines, document)
        if not chars:
            if scene.images:
                if not scans.read(page, number, document):
                    summary.without_text.append(number)
            else:
                summary.blank += 1
    except pdfium.PdfiumError as exc:
        summary.damaged += 1
        document.warnings.append(f"page {number} could not be read ({exc}) and was skipped")
    finally:
        page.close()


@dataclass
class _Frame:
    """Maps PDF user space to pdfplumber's page coordinates (x, top), as pdfplumber derives them from
    pdfminer: origin at the top left of the page as displayed, /Rotate applied, and its way of
    keeping media box offsets (pdfplumber #1181) reproduced so that boxes compare with its chars."""

    matrix: tuple  # x = a*X + c*Y + e, top = b*X + d*Y + f
    rotated: bool

    @classmethod
    def of(cls, page) -> "_Frame":
        x0, y0, x1, y1 = page.get_mediabox()
        rotation = page.get_rotation() % 360
        matrix = {90: (0, 1, 1, 0, 0, -2 * x0),
                  180: (-1, 0, 0, 1, x0 + x1, -2 * y0),
                  270: (0, -1, -1, 0, y0 + y1, x1 - x0)}.get(rotation, (1, 0, 0, -1, 0, y1 - y0))
        return cls(matrix, rotation in (90, 180, 270))

    def box(self, x0, y0, x1, y1) -> tuple[float, float, float, float]:
        return _transform(self.matrix, x0, y0, x1, y1)


@dataclass
class _Box:
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom
    order: int  # position in the content stream

    def holds(self, char) -> bool:
        x = (char["x0"] + char["x1"]) / 2
        y = (char["top"] + char["bottom"]) / 2
        x0, top, x1, bottom = self.bbox
        return x0 <= x <= x1 and top <= y <= bottom


@dataclass
class _Scene:
    """What pdfium sees on a page besides the characters, keyed by content-stream order."""

    text_order: dict[int, int] = field(default_factory=dict)  # text object address -> stream position
    light_text: set[int] = field(default_factory=set)  # text objects a reader can see on a dark box
    dark_boxes: list[_Box] = field(default_factory=list)
    paths: list[tuple] = field(default_factory=list)  # (path object, matrix to page space)
    images: int = 0
    h_edges: int = 0
    v_edges: int = 0

    def may_hold_table(self) -> bool:
        # pdfplumber's "lines" strategy needs at least two horizontal and two vertical rules
        return self.h_edges >= 2 and self.v_edges >= 2


def _scan_objects(page_raw, frame: _Frame) -> _Scene:
    scene = _Scene()
    position = itertools.count()
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    x0, y0, x1, y1 = (ctypes.c_float() for _ in range(4))

    def walk(count, get, parent, matrix, depth):
        for k in range(count(parent)):
            obj = get(parent, k)
            kind = raw.FPDFPageObj_GetType(obj)
            order = next(position)
            if kind == raw.FPDF_PAGEOBJ_TEXT:
                key = ctypes.addressof(obj.contents)
                scene.text_order[key] = order
                if _text_is_light(obj, r, g, b, a):
                    scene.light_text.add(key)
            elif kind == raw.FPDF_PAGEOBJ_IMAGE:
                scene.images += 1
            elif kind == raw.FPDF_PAGEOBJ_PATH:
                if not raw.FPDFPageObj_GetBounds(obj, x0, y0, x1, y1):
                    continue
                scene.paths.append((obj, matrix))
                bbox = frame.box(*_transform(matrix, x0.value, y0.value, x1.value, y1.value))
                width, height = bbox[2] - bbox[0], bbox[3] - bbox[1]
                if width >= THIN and height >= THIN:
                    scene.h_edges += 2
                    scene.v_edges += 2
                    raw.FPDFPath_GetDrawMode(obj, fill_mode, stroke)
                    raw.FPDFPageObj_GetFillColor(obj, r, g, b, a)
                    if fill_mode.value and a.value >= 200 and _is_dark(r.value / 255, g.value / 255,
                                                                        b.value / 255):
                        scene.dark_boxes.append(_Box(bbox, order))
                elif width >= THIN:
                    scene.h_edges += 1
                elif height >= THIN:
                    scene.v_edges += 1
            elif kind == raw.FPDF_PAGEOBJ_FORM and depth < 15:
                # objects inside a form XObject report bounds in the form's space
                inner = raw.FS_MATRIX()
                raw.FPDFPageObj_GetMatrix(obj, inner)
                walk(raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject, obj,
                     _multiply((inner.a, inner.b, inner.c, inner.d, inner.e, inner.f), matrix), depth + 1)

    walk(raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject, page_raw, (1, 0, 0, 1, 0, 0), 0)
    return scene


def _text_is_light(obj, r, g, b, a) -> bool:
    """Whether the text object is painted in a light colour, i.e. readable on a dark box."""
    mode = raw.FPDFTextObj_GetTextRenderMode(obj)
    if mode in (raw.FPDF_TEXTRENDERMODE_FILL, raw.FPDF_TEXTRENDERMODE_FILL_STROKE,
                raw.FPDF_TEXTRENDERMODE_FILL_CLIP, raw.FPDF_TEXTRENDERMODE_FILL_STROKE_CLIP):
        raw.FPDFPageObj_GetFillColor(obj, r, g, b, a)
    elif mode in (raw.FPDF_TEXTRENDERMODE_STROKE, raw.FPDF_TEXTRENDERMODE_STROKE_CLIP):
        raw.FPDFPageObj_GetStrokeColor(obj, r, g, b, a)
    else:  # invisible (an OCR layer) or clip only: nobody reads it, a box over it hides nothing new
        return False
    return _luminance(r.value / 255, g.value / 255, b.value / 255) >= 0.5


def _multiply(m, n):
    """m then n, for PDF matrices (a, b, c, d, e, f)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _transform(m, x0, y0, x1, y1):
    """The box (x0, y0, x1, y1) under matrix m, as its bounding box (min x, min y, max x, max y)."""
    a, b, c, d, e, f = m
    xs, ys = [], []
    for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1)):
        xs.append(a * x + c * y + e)
        ys.append(b * x + d * y + f)
    return min(xs), min(ys), max(xs), max(ys)


def _is_dark(r: float, g: float, b: float) -> bool:
    return r < DARK and g < DARK and b < DARK


def _luminance(r: float, g: float, b: float) -> float:
    return 0.299 * r + 0.587 * g + 0.114 * b


# -- tables -----------------------------------------------------------------------------------------

class _EdgesOnly:
    """The part of a pdfplumber Page that its table finder reads with the default "lines" strategy."""

    def __init__(self, edges: list[dict]):
        self.edges = edges


def _table_count(scene: _Scene, frame: _Frame) -> int:
    """Tables of more than one cell, found by pdfplumber's own table finder on pdfium's ruling lines:
    the same algorithm as `page.find_tables()` without a pdfminer parse of the page (20x cheaper)."""
    edges = _edges(scene, frame)
    if not edges:
        return 0
    return sum(1 for table in TableFinder(_EdgesOnly(edges)).tables if len(table.cells) > 1)


def _edges(scene: _Scene, frame: _Frame) -> list[dict]:
    """Axis-parallel straight segments of every path, as pdfplumber edge dicts. pdfplumber takes rects,
    lines and curves whether stroked or filled, and so do we."""
    edges = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj, outer in scene.paths:
        inner = raw.FS_MATRIX()
        raw.FPDFPageObj_GetMatrix(obj, inner)
        matrix = _multiply((inner.a, inner.b, inner.c, inner.d, inner.e, inner.f), outer)
        matrix = _multiply(matrix, frame.matrix)  # straight to pdfplumber's coordinates
        start = current = None
        for k in range(raw.FPDFPath_CountSegments(obj)):
            segment = raw.FPDFPath_GetPathSegment(obj, k)
            raw.FPDFPathSegment_GetPoint(segment, x, y)
            point = _apply(matrix, x.value, y.value)
            kind = raw.FPDFPathSegment_GetType(segment)
            if kind == raw.FPDF_SEGMENT_MOVETO:
                start = point
            elif kind == raw.FPDF_SEGMENT_LINETO and current is not None:
                _add_edge(edges, current, point)
            current = point
            if raw.FPDFPathSegment_GetClose(segment) and start is not None:
                _add_edge(edges, current, start)
                current = start
    return edges


def _add_edge(edges: list[dict], a, b) -> None:
    """A segment between two points already in pdfplumber's (x, top) space, if it is a ruling line."""
    (xa, ta), (xb, tb) = a, b
    if abs(ta - tb) < 0.01 and abs(xa - xb) >= 0.01:
        orientation, tb = "h", ta
    elif abs(xa - xb) < 0.01 and abs(ta - tb) >= 0.01:
        orientation, xb = "v", xa
    else:
        return  # a point or a diagonal: pdfplumber builds no cell from it either
    x0, x1, top, bottom = min(xa, xb), max(xa, xb), min(ta, tb), max(ta, tb)
    edges.append({"x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top, "width": x1 - x0,
                  "height": bottom - top, "orientation": orientation, "object_type": "line"})


def _apply(m, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return (a * x + c * y + e, b * x + d * y + f)


# -- characters -------------------------------------------------------------------------------------

def _pdfium_chars(page, scene: _Scene, frame: _Frame) -> tuple[list[dict], bool]:
    """pdfium's characters as pdfplumber char dicts, in content-stream order.

    The second value says whether every text object on the page gave at least one character: pdfium
    drops some (see the module docstring), and then the page must be read by pdfplumber.
    """
    textpage = page.get_textpage()
    try:
        handle = textpage.raw
        n = raw.FPDFText_CountChars(handle)
        if n <= 0:
            return [], not scene.text_order
        text = _all_text(handle, n)
        box, matrix = raw.FS_RECTF(), raw.FS_MATRIX()
        page_top = frame.matrix[5]  # unrotated pages: x = X, top = page_top - Y
        styles: dict[int, tuple] = {}  # per text object: (order, font size in user space, upright, light)
        chars = []
        for i in range(n):
            obj = raw.FPDFText_GetTextObject(handle, i)
            if not obj:
                continue  # a space or line break pdfium generated: pdfplumber has none
            key = ctypes.addressof(obj.contents)
            style = styles.get(key)
            if style is None:
                raw.FPDFText_GetMatrix(handle, i, matrix)
                size = raw.FPDFText_GetFontSize(handle, i) * math.hypot(matrix.c, matrix.d)
                upright = matrix.a * matrix.d > 0 and matrix.b * matrix.c <= 0  # pdfminer's test
                style = styles[key] = (scene.text_order.get(key, -1), size, upright, key in scene.light_text)
            order, size, upright, light = style
            raw.FPDFText_GetLooseCharBox(handle, i, box)
            if frame.rotated:  # only when pdfplumber could not read a turned page
                x0, top, x1, bottom = frame.box(box.left, box.bottom, box.right, box.top)
            else:
                x0, x1, top, bottom = box.left, box.right, page_top - box.top, page_top - box.bottom
                if upright:
                    # pdfium's loose box spans the font's ascent, pdfminer's the font size above the
                    # descent: rebuild pdfminer's top so that lines cluster the same way
                    top = bottom - size
            chars.append({"text": text[i] if text else chr(raw.FPDFText_GetUnicode(handle, i)),
                          "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
                          "upright": upright, "order": order, "light": light, "index": i})
        complete = set(styles) >= set(scene.text_order)
        chars.sort(key=lambda c: (c["order"], c["index"]))  # pdfplumber keeps stream order; ties follow it
        return chars, complete
    finally:
        textpage.close()


def _all_text(handle, n: int) -> str | None:
    """All characters in one call; None when the UTF-16 does not line up one code point per index."""
    buffer = (ctypes.c_ushort * (2 * n + 1))()
    written = raw.FPDFText_GetText(handle, 0, n, buffer)
    text = ctypes.string_at(buffer, max(written - 1, 0) * 2).decode("utf-16-le", errors="replace")
    return text if len(text) == n else None


def _plumber_chars(page) -> list[dict]:
    """pdfplumber's characters, with what the redaction test needs (stream order is unknown)."""
    chars = []
    for char in page.chars:
        char = dict(char)
        char["order"] = None
        char["light"] = _luminance(*_rgb(char.get("non_stroking_color"))) >= 0.5
        chars.append(char)
    return chars


def _rgb(color) -> tuple[float, float, float]:
    """A pdfminer colour (gray, RGB or CMYK tuple; None or a pattern name) as RGB, black by default."""
    if isinstance(color, (int, float)):
        color = (color,)
    if not isinstance(color, (tuple, list)) or not all(isinstance(v, (int, float)) for v in color):
        return (0.0, 0.0, 0.0)
    if len(color) == 1:
        return (color[0],) * 3
    if len(color) == 3:
        return tuple(color)
    if len(color) == 4:
        c, m, y, k = color
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return (0.0, 0.0, 0.0)


@dataclass
class _Line:
    text: str
    owners: list  # the char dict behind each position of text; None for a space pdfplumber inserted
    bbox: tuple[float, float, float, float] | None


def _lines(chars: list[dict]) -> list[_Line]:
    """pdfplumber's extract_text lines, from pdfplumber's own clustering of the characters."""
    if not chars:
        return []
    lines, text, owners = [], [], []
    for piece, char in chars_to_textmap(chars).tuples:
        if piece == "\n":
            lines.append(_Line("".join(text), owners, _bbox(owners)))
            text, owners = [], []
            continue
        for letter in piece:  # an expanded ligature gives several letters for one char
            text.append(letter)
            owners.append(char)
    lines.append(_Line("".join(text), owners, _bbox(owners)))
    return lines


def _bbox(chars) -> tuple[float, float, float, float] | None:
    x0 = top = math.inf
    x1 = bottom = -math.inf
    for c in chars:
        if c is not None:
            x0, top = min(x0, c["x0"]), min(top, c["top"])
            x1, bottom = max(x1, c["x1"]), max(bottom, c["bottom"])
    if x0 == math.inf:
        return None
    return (round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2))


# -- redactions -------------------------------------------------------------------------------------

def _hidden_by(box: _Box, char) -> bool:
    """A reader cannot see the char: dark text on a dark box, or any text the box was drawn over."""
    if not char["light"]:
        return True
    return char["order"] is not None and box.order > char["order"]


def _covering_boxes(boxes: list[_Box], lines: list[_Line]) -> list[_Box]:
    """Dark boxes that hide at least one character, touching ones merged (a box per character or per
    word still hides one number)."""
    hiding = [box for box in boxes if _covered_spans(box, lines)]
    merged: list[_Box] = []
    for box in sorted(hiding, key=lambda b: (b.bbox[1], b.bbox[0])):
        for i, other in enumerate(merged):
            if _touch(box.bbox, other.bbox):
                x0, top, x1, bottom = other.bbox
                merged[i] = _Box((min(x0, box.bbox[0]), min(top, box.bbox[1]), max(x1, box.bbox[2]),
                                  max(bottom, box.bbox[3])), min(other.order, box.order))
                break
        else:
            merged.append(box)
    return [_Box(tuple(round(v, 2) for v in b.bbox), b.order) for b in merged]


def _touch(a, b, slack: float = 1.0) -> bool:
    return a[0] <= b[2] + slack and b[0] <= a[2] + slack and a[1] <= b[3] + slack and b[1] <= a[3] + slack


def _covered_spans(box: _Box, lines: list[_Line], test=_hidden_by) -> list[str]:
    """Per line, the text from the first to the last hidden character: an exact substring of the line."""
    spans = []
    for line in lines:
        if line.bbox is None or not _touch(box.bbox, line.bbox, 0.0):
            continue  # most lines are nowhere near the box; a page may hold hundreds of dark shapes
        hit = [k for k, c in enumerate(line.owners) if c and box.holds(c) and test(box, c)]
        if hit:
            span = line.text[hit[0]: hit[-1] + 1].strip()
            if span:
                spans.append(span)
    return spans


# -- annotations, links, properties, attachments ----------------------------------------------------

def _read_annotations(pdf, page, number: int, frame: _Frame, lines, document) -> None:
    seen = set()  # a Popup repeats its parent's Contents
    rect = raw.FS_RECTF()
    for k in range(raw.FPDFPage_GetAnnotCount(page.raw)):
        annot = raw.FPDFPage_GetAnnot(page.raw, k)
        if not annot:
            continue
        try:
            subtype = _ANNOT_NAMES.get(raw.FPDFAnnot_GetSubtype(annot), "Unknown")
            contents = _annot_string(annot, "Contents").strip()
            if contents and contents not in seen:
                seen.add(contents)
                document.add(contents, Location(part="annotation", page=number, name=subtype),
                             hidden=HiddenInfo(kind="annotation", author=_annot_string(annot, "T") or None,
                                               date=_pdf_date(_annot_string(annot, "M")) or None,
                                               detail=subtype))
            if subtype == "Link":
                target = _link_target(pdf, annot)
                if target:
                    raw.FPDFAnnot_GetRect(annot, rect)
                    box = _Box(frame.box(rect.left, rect.bottom, rect.right, rect.top), 0)
                    text = " ".join(_covered_spans(box, lines, test=lambda b, c: True))
                    document.links.append({"url": target, "text": text, "page": str(number)})
        finally:
            raw.FPDFPage_CloseAnnot(annot)


def _annot_string(annot, key: str) -> str:
    name = key.encode("ascii")
    size = raw.FPDFAnnot_GetStringValue(annot, name, None, 0)
    if size <= 2:
        return ""
    buffer = (ctypes.c_ushort * (size // 2))()
    raw.FPDFAnnot_GetStringValue(annot, name, buffer, size)
    return ctypes.string_at(buffer, size - 2).decode("utf-16-le", errors="replace")


def _link_target(pdf, annot) -> str:
    """The URI of a link, or the file a link opens (a path on the author's disk is a leak too)."""
    link = raw.FPDFAnnot_GetLink(annot)
    action = raw.FPDFLink_GetAction(link) if link else None
    if not action:
        return ""
    kind = raw.FPDFAction_GetType(action)
    if kind == raw.PDFACTION_URI:
        size = raw.FPDFAction_GetURIPath(pdf.raw, action, None, 0)
        buffer = ctypes.create_string_buffer(size)
        raw.FPDFAction_GetURIPath(pdf.raw, action, buffer, size)
        return buffer.raw[: max(size - 1, 0)].decode("utf-8", errors="replace")
    if kind in (raw.PDFACTION_REMOTEGOTO, raw.PDFACTION_LAUNCH):
        size = raw.FPDFAction_GetFilePath(action, None, 0)
        buffer = ctypes.create_string_buffer(size)
        raw.FPDFAction_GetFilePath(action, buffer, size)
        return buffer.raw[: max(size - 1, 0)].decode("utf-8", errors="replace")
    return ""


def _read_properties(pdf, document) -> None:
    properties = {}
    for key in PROPERTIES:
        value = _repair_text(pdf.get_metadata_value(key)).strip()
        if not value:
            continue
        if key.endswith("Date"):
            value = _pdf_date(value) or value
        properties[key] = value
        if key in HIDDEN_PROPERTIES:
            document.add(value, Location(part="property", name=key),
                         hidden=HiddenInfo(kind="doc_property", detail=f"/{key}"))
    document.metadata["properties"] = properties


def _repair_text(value: str) -> str:
    """Undo a common encoding slip: GBK (or UTF-8) bytes written into an Info string without a BOM,
    which pdfium rightly decodes as PDFDocEncoding and so turns into Latin mojibake."""
    if value.isascii():
        return value
    try:
        data = bytes(_PDFDOC_BYTES[char] for char in value)
    except KeyError:  # not a PDFDocEncoding string: already proper Unicode
        return value
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # only GB2312-range byte pairs: a Latin-1 name such as "Müller" never passes
    if _GB2312_BYTES.fullmatch(data):
        return data.decode("gbk", errors="replace")
    return value


def _pdf_date(value: str) -> str:
    """D:YYYYMMDDHHmmSS+08'00' as ISO 8601; an empty string when it is not a PDF date."""
    match = _PDF_DATE.match(value.strip())
    if not match:
        return ""
    year, month, day, hour, minute, second, zone = match.groups()
    out = f"{year}-{month or '01'}-{day or '01'}"
    if hour:
        out += f"T{hour}:{minute or '00'}:{second or '00'}"
        if zone == "Z":
            out += "Z"
        elif zone:
            digits = zone.replace("'", "")
            out += f"{digits[:3]}:{digits[3:5] or '00'}"
    return out


def _read_attachments(pdf, document) -> None:
    """Files embedded in the PDF (an annex spreadsheet, a draft...): listed, not opened."""
    for k in range(raw.FPDFDoc_GetAttachmentCount(pdf.raw)):
        try:
            attachment = pdf.get_attachment(k)
            name = attachment.get_name() or f"attachment {k + 1}"
        except pdfium.PdfiumError:
            document.warnings.append(f"embedded file {k + 1} is damaged and was not listed")
            continue
        size = ctypes.c_ulong()
        has_file = raw.FPDFAttachment_GetFile(attachment.raw, None, 0, size)
        document.embedded.append(EmbeddedObject(name=name, content_type=None,
                                                size=size.value if has_file else None,
                                                location=Location(part="embedded", name=name)))


# -- scanned pages ----------------------------------------------------------------------------------

class _ScannedPages:
    """Image-only pages read by OCR; whether tesseract is there is asked once, on the first scan."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.missing: str | None = None
        self.asked = False
        self.read_pages: list[int] = []
        self.empty_pages: list[int] = []  # OCR ran and found no text
        self.dpi: dict[int, float] = {}

    def read(self, page, number: int, document) -> bool:
        """OCR the page into the document; False when it gave no text (or OCR is not available)."""
        from review.intake import ocr  # pytesseract and numpy only for PDFs that hold scans

        if not self.asked:
            self.asked, self.missing = True, ocr.missing_reason()
        if self.missing:
            return False
        dpi = ocr.render_dpi(*page.get_size())
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        try:
            image = bitmap.to_pil()
            text = ocr.read_page(image, timeout=ocr.page_timeout(self.deadline))
        except ocr.OcrError as exc:
            document.warnings.append(f"page {number}: OCR could not read it ({exc})")
            return False
        finally:
            bitmap.close()
        if not ocr.add_page_text(document, number, text, points_per_pixel=72 / dpi):
            self.empty_pages.append(number)
            return False
        self.read_pages.append(number)
        self.dpi[number] = round(dpi, 1)
        return True

    def report(self, document) -> None:
        if self.missing:
            document.warnings.append(self.missing)
        if self.read_pages or self.empty_pages:
            from review.intake import ocr
            ocr.note_ocr_pages(document, self.read_pages, self.empty_pages, dpi=self.dpi)


# -- pdfplumber, when needed ------------------------------------------------------------------------

class _Plumber:
    """pdfplumber over the same bytes, opened on first need and at most once; each page is parsed,
    read and closed at once so that pdfminer's layout objects never pile up.

    Its failures are not the document's: pdfium already read the page, so a pdfminer error leaves a
    warning behind (via `error`) and the pdfium reading stands.
    """

    def __init__(self, data: bytes):
        self.data = data
        self.pdf = None
        self.error: str | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pdf is not None:
            self.pdf.close()
            self.pdf = None

    def chars(self, number: int) -> list[dict] | None:
        if self.pdf is None and self.error is not None:
            return None  # it could not be opened: do not try again for every page
        page = None
        try:
            if self.pdf is None:
                self.pdf = pdfplumber.open(io.BytesIO(self.data))
            page = self.pdf.pages[number - 1]
            return _plumber_chars(page)
        except (DocumentError, MemoryError):
            raise  # the deadline's alarm, or no memory: not pdfminer's fault
        except Exception as exc:  # noqa: BLE001 - any pdfminer failure means "no second opinion"
            self.error = f"{type(exc).__name__}: {str(exc)[:120]}"
            return None
        finally:
            if page is not None:
                page.close()

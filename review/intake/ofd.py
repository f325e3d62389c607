"""OFD (GB/T 33190-2016), the fixed-layout format of Chinese e-government documents: a zip of XML.

OFD.xml → DocBody (DocInfo, DocRoot) → Document.xml (Pages, TemplatePage, Annotations) → one
Content.xml per page holding TextObjects, each with TextCodes placed at X/Y inside the object's
Boundary. Like a PDF the file stores positioned pieces of text, not paragraphs, so a page is rebuilt
line by line: pieces are grouped by baseline and read left to right. Each line becomes one block,
which is what the 公文 structure parser wants (版头 lines, 发文字号, 密级 and 保密期限 are lines).

Hidden content becomes hidden blocks: DocInfo fields that name people or hold free text, annotation
remarks and appearances, and text drawn invisibly (Visible="false", white fill, microscopic size).
Attached files are listed in `Document.embedded`. Not read: outlines (bookmarks), signatures and seal
files, composite objects (a warning says so), custom tags.

A page with images but no text of its own is a scan: each of its ImageObjects (page and template
layers) is found in the resources (PublicRes, DocumentRes, PageRes: MultiMedia → MediaFile), decoded
with Pillow under review.intake.image's limits and read by OCR (review.intake.ocr), as the PDF reader
reads its image-only pages. Without tesseract such a page keeps its "needs OCR" warning; an image that
cannot be read gives a warning for its page, and the rest of the document is reviewed.

OFD lengths are millimetres; bounding boxes are reported in PDF points like the PDF reader's, OCR'd
lines included (origin at the top left of the page).
"""

from __future__ import annotations

import io
import logging
import math
import posixpath
import zipfile
import zlib
from dataclasses import dataclass

from review import errors
from review.document import Document, EmbeddedObject, HiddenInfo, Location
from review.errors import DocumentError
from review.intake import safe

log = logging.getLogger(__name__)

MAX_PART = 64 * 1024 * 1024  # one XML part; real Content.xml files are a few hundred KB
MAX_IMAGE = 64 * 1024 * 1024  # one image member; an uncompressed RGB A4 page at 300 dpi is 26 MB
MM_TO_PT = 72 / 25.4
DEFAULT_SIZE = 3.5  # mm, about 10 pt, for a TextObject that does not say
MAX_PAGE_WARNINGS = 10  # one warning per page without text, then a count
TINY_SIZE = 2 / MM_TO_PT  # ≤ 2 pt cannot be read on paper: same threshold as the docx reader
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)

# DocInfo fields that name people or hold free text: a reader of the page never sees them.
_HIDDEN_FIELDS = ("Author", "Title", "Subject", "Abstract", "Keywords")


def parse(source, config, deadline) -> Document:
    package = _Package(source.data, config)
    root = package.xml("OFD.xml", required=True)
    bodies = _children(root, "DocBody")
    doc_root = _child_text(bodies[0], "DocRoot") if bodies else ""
    if not doc_root:
        raise DocumentError("OFD.xml names no document (ofd:DocBody/ofd:DocRoot is missing)", code=errors.CORRUPT)

    document = source.new_document()
    if len(bodies) > 1:
        document.warnings.append(f"the OFD holds {len(bodies)} documents; only the first was read")
    _read_docinfo(_child(bodies[0], "DocInfo"), document)

    doc_path = package.resolve("", doc_root)
    doc_xml = package.xml(doc_path, required=True)
    base = posixpath.dirname(doc_path)
    templates = {t.get("ID"): t.get("BaseLoc") for t in _descendants(_child(doc_xml, "CommonData"), "TemplatePage")}
    pages = [(p.get("ID"), p.get("BaseLoc")) for p in _descendants(_child(doc_xml, "Pages"), "Page")]
    if not pages:
        raise DocumentError("the OFD has no pages", code=errors.EMPTY)
    document.pages = len(pages)
    count = min(len(pages), config.max_pages)
    if count < len(pages):
        document.warnings.append(f"the OFD has {len(pages)} pages; only the first {count} were read (max_pages)")

    kinds = {}  # page number -> "text" | "ocr" | "scan" | "blank" | "missing"
    scans = _ScannedPages(package, base, doc_xml, deadline)
    for number, (page_id, location) in enumerate(pages[:count], start=1):
        deadline.check()
        kinds[number] = _read_page(package, base, location, templates, number, document, deadline, scans)
    _report_pages_without_text(kinds, document)
    scans.report(document)

    page_numbers = {page_id: number for number, (page_id, _) in enumerate(pages, start=1)}
    _read_annotations(package, base, _child_text(doc_xml, "Annotations"), page_numbers, document, deadline)
    _list_attachments(package, base, _child_text(doc_xml, "Attachments"), document)
    return document


# --- the package ------------------------------------------------------------------------------------
class _Package:
    """The zip, checked once, with OFD path resolution and bounded, DTD-free XML reads."""

    def __init__(self, data: bytes, config):
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        except _ZIP_ERRORS:
            raise DocumentError("the OFD is not a valid zip package (truncated or damaged)",
                                code=errors.CORRUPT) from None
        safe.check_zip(self.archive, config, len(data))
        # Writers disagree on case (OFD.xml / ofd.xml, Doc_0 / doc_0): look names up case-insensitively.
        self.names = {name.lower(): name for name in self.archive.namelist()}

    def resolve(self, base: str, location: str) -> str:
        """An ST_Loc: absolute from the package root when it starts with '/', else relative to `base`."""
        location = location.strip().replace("\\", "/")
        path = location.lstrip("/") if location.startswith("/") else posixpath.join(base, location)
        path = posixpath.normpath(path)
        if path.lower() not in self.names and not location.startswith("/"):
            # Some writers give locations from the package root although the standard says relative.
            path = posixpath.normpath(location)
        return "" if path.startswith("..") else path

    def xml(self, path: str, *, required: bool = False):
        name = self.names.get(path.lower()) if path else None
        if name is None:
            if required:
                raise DocumentError(f"the OFD lacks the part {path or '(unnamed)'}", code=errors.CORRUPT)
            return None
        try:
            data = safe.read_member(self.archive, name, MAX_PART)
        except _ZIP_ERRORS:
            raise DocumentError(f"the OFD part {name} is damaged", code=errors.CORRUPT) from None
        return safe.parse_xml(data, name)


# --- XML helpers: match local names, because writers use ofd:, a default namespace, or none ----------
def _children(element, name: str) -> list:
    return [] if element is None else element.findall(f"{{*}}{name}")


def _child(element, name: str):
    return None if element is None else element.find(f"{{*}}{name}")


def _descendants(element, name: str) -> list:
    return [] if element is None else list(element.iter(f"{{*}}{name}"))


def _child_text(element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _floats(value: str | None, count: int) -> list[float] | None:
    try:
        numbers = [float(v) for v in (value or "").split()]
    except ValueError:
        return None
    return numbers if len(numbers) == count and all(map(math.isfinite, numbers)) else None


def _number(value: str | None, default: float) -> float:
    try:
        number = float(value) if value is not None else default
    except ValueError:
        return default
    return number if math.isfinite(number) else default


# --- DocInfo ---------------------------------------------------------------------------------------
def _read_docinfo(info, document: Document) -> None:
    properties: dict[str, str] = {}
    custom: dict[str, str] = {}
    for child in [] if info is None else info:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        name = child.tag.rsplit("}", 1)[-1]
        if name == "Keywords":
            value = "；".join((k.text or "").strip() for k in _children(child, "Keyword") if (k.text or "").strip())
        elif name == "CustomDatas":
            # free-form name/value pairs: writers put 密级, 发文机关, 承办人... here
            for data in _children(child, "CustomData"):
                if (data.text or "").strip():
                    custom[f"CustomData/{data.get('Name') or '?'}"] = data.text.strip()
            continue
        else:
            value = (child.text or "").strip()
        if value:
            properties[name] = value
    hidden = [name for name in _HIDDEN_FIELDS if name in properties] + list(custom)
    properties.update(custom)
    for name in hidden:
        document.add(properties[name], Location(part="property", name=name),
                     hidden=HiddenInfo(kind="doc_property", detail=f"DocInfo/{name}"))
    document.metadata["properties"] = properties


# --- pages -----------------------------------------------------------------------------------------
@dataclass
class _Piece:
    """One TextCode: its text and where it sits on the page (mm, y grows downwards, y is the baseline)."""

    text: str
    x: float
    y: float
    width: float
    size: float
    hidden: str | None = None  # hidden_text | white_text | tiny_text


def _read_page(package: _Package, base: str, location: str | None, templates: dict, number: int,
               document: Document, deadline, scans: "_ScannedPages") -> str:
    """Add the page's lines. Returns "text", "ocr" (images but no text, read by OCR), "scan" (the same,
    not read: needs OCR), "blank" or "missing"."""
    path = package.resolve(base, location or "")
    page = package.xml(path)
    if page is None:
        document.warnings.append(f"page {number}: the part {location!r} is missing")
        return "missing"
    # Template pages (信纸, 版头 drawn once for all pages) are part of what the reader sees.
    template_pages = []  # (path, xml)
    for template in _children(page, "Template"):
        template_loc = templates.get(template.get("TemplateID"))
        template_path = package.resolve(base, template_loc) if template_loc else ""
        template_page = package.xml(template_path) if template_path else None
        if template_page is not None:
            template_pages.append((template_path, template_page))
    own = _collect(_child(page, "Content"), deadline)
    pieces = [p for _, t in template_pages for p in _collect(_child(t, "Content"), deadline)] + own
    if page.find(".//{*}CompositeObject") is not None:
        document.warnings.append(f"page {number}: composite objects (reused graphics) were not read")

    visible = [p for p in pieces if p.hidden is None]
    for text, bbox in _lines(visible):
        document.add(text, Location(part="body", page=number, bbox=bbox))
    for kind in ("hidden_text", "white_text", "tiny_text"):
        for text, bbox in _lines([p for p in pieces if p.hidden == kind]):
            document.add(text, Location(part=kind, page=number, bbox=bbox),
                         hidden=HiddenInfo(kind=kind, detail=_HIDDEN_DETAIL[kind]))
    if own:
        return "text"
    # A scanned page under a letterhead template still needs OCR, although the template has text.
    layers = [*template_pages, (path, page)]  # templates first: they are drawn underneath
    if any(layer.find(".//{*}ImageObject") is not None for _, layer in layers):
        return "ocr" if scans.read(number, layers, document) else "scan"
    return "text" if pieces else "blank"


def _report_pages_without_text(kinds: dict[int, str], document: Document) -> None:
    """Worded as the PDF reader words it, so reports read the same whatever the format."""
    scans = [number for number, kind in kinds.items() if kind == "scan"]
    document.metadata["pages_without_text"] = scans
    for number in scans[:MAX_PAGE_WARNINGS]:
        document.warnings.append(f"page {number} has no text layer (scanned image?): needs OCR")
    if len(scans) > MAX_PAGE_WARNINGS:
        document.warnings.append(f"{len(scans) - MAX_PAGE_WARNINGS} more pages have no text layer "
                                 "(see metadata pages_without_text): they need OCR")
    if all(kind == "blank" for kind in kinds.values()):
        document.warnings.append("the OFD has no text and no images on any page: nothing to review")


_HIDDEN_DETAIL = {"hidden_text": 'TextObject Visible="false"', "white_text": "fill colour white",
                  "tiny_text": "font size ≤ 2 pt"}


def _collect(container, deadline) -> list[_Piece]:
    """Every TextCode under `container`, wherever nested (Layer, PageBlock...)."""
    pieces: list[_Piece] = []
    for count, obj in enumerate(_descendants(container, "TextObject")):
        if count % 500 == 499:
            deadline.check()
        pieces += _text_object(obj)
    return pieces


def _text_object(obj) -> list[_Piece]:
    bx, by, _, _ = _floats(obj.get("Boundary"), 4) or (0.0, 0.0, 0.0, 0.0)
    size = _number(obj.get("Size"), DEFAULT_SIZE)
    # CTM maps the object's own coordinates into its Boundary; writers use it to scale and rotate.
    a, b, c, d, e, f = _floats(obj.get("CTM"), 6) or (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    scale = abs(d) or abs(a) or 1.0
    hidden = _hidden_kind(obj, size * scale)
    pieces = []
    for code in _children(obj, "TextCode"):
        text = code.text or ""
        if not text.strip():
            continue
        x, y = _number(code.get("X"), 0.0), _number(code.get("Y"), 0.0)
        advance = _deltas(code.get("DeltaX"))
        width = (sum(advance[: len(text) - 1]) + size) if advance else len(text) * size
        pieces.append(_Piece(text=text, x=bx + a * x + c * y + e, y=by + b * x + d * y + f,
                             width=width * (abs(a) or 1.0), size=size * scale, hidden=hidden))
    return pieces


def _hidden_kind(obj, size: float) -> str | None:
    if obj.get("Visible", "true").strip().lower() == "false":
        return "hidden_text"
    fill = _child(obj, "FillColor")
    rgb = _floats(fill.get("Value"), 3) if fill is not None else None
    if rgb and min(rgb) >= 250 and fill.get("ColorSpace") is None:
        return "white_text"  # white on the (white) page; a colour space could mean something else
    if size <= TINY_SIZE:
        return "tiny_text"
    return None


def _deltas(value: str | None) -> list[float]:
    """DeltaX/DeltaY: advances between glyphs; 'g 3 5.6' means 5.6 three times."""
    tokens, out = (value or "").split(), []
    i = 0
    try:
        while i < len(tokens):
            if tokens[i] == "g" and i + 2 < len(tokens):
                out += [float(tokens[i + 2])] * min(int(tokens[i + 1]), 100_000)
                i += 3
            else:
                out.append(float(tokens[i]))
                i += 1
    except ValueError:
        return []
    return out if all(map(math.isfinite, out)) else []


def _lines(pieces: list[_Piece]) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Group pieces sharing a baseline into lines, top to bottom, each read left to right."""
    rows: list[list[_Piece]] = []
    for piece in sorted(pieces, key=lambda p: (p.y, p.x)):
        if rows and abs(piece.y - rows[-1][0].y) <= 0.4 * max(piece.size, rows[-1][0].size):
            rows[-1].append(piece)
        else:
            rows.append([piece])
    out = []
    for row in rows:
        row.sort(key=lambda p: p.x)
        text, last = "", None
        for piece in row:
            if last is not None:
                if piece.text == last.text and abs(piece.x - last.x) < 0.3 * piece.size:
                    continue  # the same text drawn twice, slightly offset: a writer's fake bold
                if piece.x - (last.x + last.width) > _space_gap(last.text, piece.text, piece.size):
                    text += " "
            text += piece.text
            last = piece
        x0 = min(p.x for p in row)
        x1 = max(p.x + p.width for p in row)
        top = min(p.y - p.size for p in row)
        bottom = max(p.y for p in row)
        out.append((text.strip(), tuple(round(v * MM_TO_PT, 2) for v in (x0, top, x1, bottom))))
    return out


def _space_gap(before: str, after: str, size: float) -> float:
    """Chinese is written without spaces, so only a wide gap (a column, 签发人 beside 发文字号) gets
    one; between Latin words or numbers a narrow gap is a word space."""
    if before[-1:].isascii() and before[-1:].isalnum() and after[:1].isascii() and after[:1].isalnum():
        return 0.2 * size
    return 1.0 * size


# --- scanned pages: OCR ----------------------------------------------------------------------------
class _ScannedPages:
    """Image-only pages read by OCR, as the PDF reader reads its scans. Whether tesseract is there is
    asked once, on the first such page, and the document's resources are read then, not before: most
    OFD files hold no scan."""

    def __init__(self, package: _Package, base: str, doc_xml, deadline):
        self.package, self.base, self.doc_xml, self.deadline = package, base, doc_xml, deadline
        self.asked = False
        self.missing: str | None = None
        self.media: dict[str, str] | None = None  # ResourceID -> member name, document-wide resources
        self.read_pages: list[int] = []
        self.empty_pages: list[int] = []  # OCR ran and found no text

    def read(self, number: int, layers: list, document: Document) -> bool:
        """OCR every image of the page into the document; False when that gave no text (or OCR is
        not available). `layers`: (path, xml) of the page and of its template pages."""
        from review.intake import ocr  # pytesseract and numpy only for OFD files that hold scans

        if not self.asked:
            self.asked, self.missing = True, ocr.missing_reason()
        if self.missing:
            return False
        if self.media is None:
            common = _child(self.doc_xml, "CommonData")
            self.media = _media_files(self.package, self.base,
                                      _children(common, "PublicRes") + _children(common, "DocumentRes"))
        added, looked = 0, False  # looked: some image was read by OCR, or was blank
        for path, layer in layers:
            # a page's own resources (PageRes) are relative to the page's folder
            media = {**self.media, **_media_files(self.package, posixpath.dirname(path), _children(layer, "PageRes"))}
            for obj in _descendants(_child(layer, "Content"), "ImageObject"):
                picture = self._image(obj, media, number, document)
                if picture is None:
                    continue
                if _is_one_colour(picture):
                    # a blank sheet (the back of a scanned page) holds no text; ocr.read_page cannot
                    # take an image of a single grey level (its Otsu threshold is undefined)
                    looked = True
                    continue
                try:
                    text = ocr.read_page(picture, timeout=ocr.page_timeout(self.deadline))
                except ocr.OcrError as exc:
                    document.warnings.append(f"page {number}: OCR could not read it ({exc})")
                    continue
                looked = True
                # boxes are already in points on the page: no further scaling
                added += ocr.add_page_text(document, number, _on_page(text, _placement(obj, picture.size)), 1.0)
        if added:
            self.read_pages.append(number)
        elif looked:
            self.empty_pages.append(number)
        return added > 0

    def _image(self, obj, media: dict[str, str], number: int, document: Document):
        """The decoded image an ImageObject draws, or None with a warning saying why not."""
        from review.intake import image

        resource = (obj.get("ResourceID") or "").strip()
        member = media.get(resource)
        if member is None:
            document.warnings.append(f"page {number}: image resource {resource or '(none)'} is not in the "
                                     "document's resources; it was not read by OCR")
            return None
        try:
            # bounded read: the member's declared size is not trusted
            picture = image.open_image(safe.read_member(self.package.archive, member, MAX_IMAGE))
            _, frame = next(image.frames(picture, 1))  # a renderer shows the first frame only
        except _ZIP_ERRORS:
            frame, problem = None, "damaged in the package"
        except DocumentError as exc:
            if exc.code == errors.TIMEOUT:
                raise  # the document's time is up: not this image's fault
            frame, problem = None, str(exc)
        else:
            problem = "the image could not be decoded"
        if frame is None:
            document.warnings.append(f"page {number}: {member}: {problem}; it was not read by OCR")
        return frame

    def report(self, document: Document) -> None:
        """Worded as the PDF reader words it."""
        if self.missing:
            document.warnings.append(self.missing)
        if not (self.read_pages or self.empty_pages):
            return
        from review.intake import ocr

        log.info("OCR read %d scanned OFD pages, %d without text", len(self.read_pages), len(self.empty_pages))
        ocr.note_ocr_pages(document, self.read_pages, self.empty_pages, language=ocr.DEFAULT_SETTINGS.language)


def _media_files(package: _Package, base: str, resource_locations: list) -> dict[str, str]:
    """ResourceID -> zip member of each MultiMedia in the given resource files (PublicRes, DocumentRes,
    PageRes: their locations are relative to `base`). A MediaFile is relative to its Res file's BaseLoc
    folder, which is relative to the Res file; some writers leave BaseLoc out of the path, so that is
    tried too."""
    files: dict[str, str] = {}
    for location in resource_locations:
        res_loc = (location.text or "").strip()
        res_path = package.resolve(base, res_loc) if res_loc else ""
        res = package.xml(res_path) if res_path else None
        if res is None:
            continue
        res_base = posixpath.dirname(res_path)
        base_loc = (res.get("BaseLoc") or "").strip().replace("\\", "/")
        for media in _descendants(res, "MultiMedia"):
            file_loc = _child_text(media, "MediaFile")
            if not file_loc or not media.get("ID"):
                continue
            for candidate in (posixpath.join(base_loc, file_loc), file_loc):
                path = package.resolve(res_base, candidate)
                if path and path.lower() in package.names:
                    files[media.get("ID").strip()] = package.names[path.lower()]
                    break
    return files


def _is_one_colour(picture) -> bool:
    extrema = picture.getextrema()  # (low, high), or one such pair per band
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    return all(low == high for low, high in bands)


def _placement(obj, size: tuple[int, int]):
    """A function from a box in the image's pixels to a box in points on the page.

    GB/T 33190 draws an image as the unit square (y down, like the page), which the ImageObject's CTM
    maps into its Boundary, whose origin is in mm on the page; writers give CTM = "width 0 0 height 0 0"
    to fill the Boundary, and that is what a missing (or flat) CTM is taken to mean. A turned image
    gives the box around the turned box.
    """
    bx, by, bw, bh = _floats(obj.get("Boundary"), 4) or (0.0, 0.0, 0.0, 0.0)
    a, b, c, d, e, f = _floats(obj.get("CTM"), 6) or (bw, 0.0, 0.0, bh, 0.0, 0.0)
    if abs(a * d - b * c) < 1e-9:
        a, b, c, d, e, f = bw, 0.0, 0.0, bh, 0.0, 0.0
    width, height = size

    def to_page(box):
        xs, ys = [], []
        for px, py in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
            s, t = px / width, py / height
            xs.append((bx + a * s + c * t + e) * MM_TO_PT)
            ys.append((by + b * s + d * t + f) * MM_TO_PT)
        return (min(xs), min(ys), max(xs), max(ys))

    return to_page


def _on_page(text, to_page):
    """The OCR'd lines and words of one image, their boxes moved from its pixels to points on the page."""
    from review.intake import ocr

    lines = [ocr.Line(text=line.text, bbox=to_page(line.bbox),
                      words=[(start, end, ocr.Word(word.text, to_page(word.bbox), word.confidence))
                             for start, end, word in line.words])
             for line in text.lines]
    return ocr.PageText(lines=lines, skew_degrees=text.skew_degrees)


# --- annotations -----------------------------------------------------------------------------------
def _read_annotations(package: _Package, base: str, location: str, page_numbers: dict, document: Document,
                      deadline) -> None:
    """Annotations (remarks, stamps, highlights) live in their own files, one per annotated page."""
    if not location:
        return
    index_path = package.resolve(base, location)
    index = package.xml(index_path)
    if index is None:
        document.warnings.append(f"the annotation index {location!r} is missing")
        return
    index_base = posixpath.dirname(index_path)
    for entry in _children(index, "Page"):
        deadline.check()
        number = page_numbers.get(entry.get("PageID"))
        file_loc = _child_text(entry, "FileLoc")
        page_annots = package.xml(package.resolve(index_base, file_loc)) if file_loc else None
        for annot in _children(page_annots, "Annot"):
            kind = annot.get("Type") or "annotation"
            info = dict(author=annot.get("Creator"), date=annot.get("LastModDate"))
            location_ = Location(part="annotation", page=number, name=kind)
            remark = _child_text(annot, "Remark")
            document.add(remark, location_, hidden=HiddenInfo(kind="annotation", detail=f"{kind} remark", **info))
            # Text drawn by the annotation itself (a stamp's or watermark's words).
            drawn = " ".join(text for text, _ in _lines(_collect(_child(annot, "Appearance"), deadline)))
            document.add(drawn, location_, hidden=HiddenInfo(kind="annotation", detail=f"{kind} appearance", **info))


# --- attachments -----------------------------------------------------------------------------------
def _list_attachments(package: _Package, base: str, location: str, document: Document) -> None:
    """Files embedded in the OFD (附件 as separate files): listed, so the reviewer knows to open them."""
    index_path = package.resolve(base, location) if location else ""
    index = package.xml(index_path) if index_path else None
    for attachment in _children(index, "Attachment"):
        file_loc = _child_text(attachment, "FileLoc")
        path = package.resolve(posixpath.dirname(index_path), file_loc) if file_loc else ""
        member = package.names.get(path.lower()) if path else None
        size = package.archive.getinfo(member).file_size if member else None
        document.embedded.append(EmbeddedObject(name=attachment.get("Name") or file_loc or "?",
                                                content_type=attachment.get("Format"), size=size,
                                                location=Location(part="body", name=member or file_loc)))

"""Word documents (docx).

The package is opened once (`review.intake.opc`): the main part is found through `_rels/.rels`, and its
headers, footers, notes, comments and styles through the main part's relationships, whatever the
producer named them. The parts are read with lxml directly, not through python-docx: its
`paragraph.text` neither drops deleted runs' neighbours correctly nor tells hidden, white or tiny runs
from visible ones — and those are what a confidentiality review is about — and loading a package
with it parses every XML part into its element classes, which cost more than the reading itself.

Order of the visible text: section headers, body (paragraphs and tables in document order, text boxes
after the paragraph that anchors them), footnotes, endnotes, footers. Hidden content becomes hidden
blocks: comments, tracked deletions, vanished text (w:vanish), white text, tiny text (≤ 2 pt),
document properties.
"""

from __future__ import annotations

import datetime
import functools
import posixpath
import re
from types import MappingProxyType

from lxml import etree

from review import errors
from review.document import Document, EmbeddedObject, HiddenInfo, Location
from review.errors import DocumentError
from review.intake import opc, safe

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS = {"w": W}
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
HEADER, FOOTER, FOOTNOTES, ENDNOTES, COMMENTS, STYLES = (
    _RELATIONSHIP + kind for kind in ("header", "footer", "footnotes", "endnotes", "comments", "styles"))
CORE_PROPERTIES = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
APP_PROPERTIES = _RELATIONSHIP + "extended-properties"
CUSTOM_PROPERTIES = _RELATIONSHIP + "custom-properties"
# main parts of documents, templates and their macro-enabled kinds (docm, dotx, dotm): all read alike
WORD_MAIN_PARTS = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
                   "application/vnd.ms-word.document.macroEnabled.main+xml",
                   "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"}


def q(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, TBL, TR, TC, R, T, SDT, SDTCONTENT = (q(t) for t in ("p", "tbl", "tr", "tc", "r", "t", "sdt", "sdtContent"))
INS, DEL, MOVE_FROM, MOVE_TO = q("ins"), q("del"), q("moveFrom"), q("moveTo")
TXBX = q("txbxContent")
FALLBACK = f"{{{MC}}}Fallback"
MAX_PART = 64 * 1024 * 1024


def parse(source, config, deadline) -> Document:
    package = opc.Package.open(source.data, config, MAX_PART, "docx")
    parts = package.walk()  # refuses dangling relationships before anything is read
    main = _main_part(package)
    body = package.xml(main).find(q("body"))
    if body is None:
        raise DocumentError(f"the main part {main} has no body (w:body)", code=errors.CORRUPT)
    document = source.new_document()
    reader = _Reader(document, _HiddenStyles(package, package.related(main, STYLES)), deadline)

    for number, header in enumerate(sorted(package.related(main, HEADER)), start=1):
        reader.read_container(package.xml(header), "header", number)
    reader.read_container(body, "body", None)
    for kind, relationship in (("footnote", FOOTNOTES), ("endnote", ENDNOTES)):
        for notes in package.related(main, relationship):
            for note in package.xml(notes).iterchildren(q(kind)):
                if note.get(q("type")) in (None, "normal"):  # not the separator "notes"
                    reader.read_container(note, kind, None)
    for number, footer in enumerate(sorted(package.related(main, FOOTER)), start=1):
        reader.read_container(package.xml(footer), "footer", number)

    for comments in package.related(main, COMMENTS):
        _read_comments(package.xml(comments), document)
    _read_properties(package, document)
    _list_embedded(package, parts, posixpath.dirname(main), document)
    document.metadata["tracked_insertions"] = reader.insertions
    document.pages = _page_count(document)
    return document


def _main_part(package: opc.Package) -> str:
    main = package.main_part()
    content_type = package.content_type(main)
    if content_type not in WORD_MAIN_PARTS:
        raise DocumentError(f"the main part {main} is not a Word document (content type {content_type})",
                            code=errors.CORRUPT)
    return main


# --- body text --------------------------------------------------------------------------------------
class _Reader:
    """Walks w:p / w:tbl containers, splitting each paragraph's runs into visible and hidden text."""

    def __init__(self, document: Document, hidden_styles: _HiddenStyles, deadline):
        self.document = document
        self.hidden_styles = hidden_styles
        self.deadline = deadline
        self.paragraphs: dict[str, int] = {}  # per part: running paragraph index
        self.tables: dict[str, int] = {}
        self.insertions: list[dict] = []

    def read_container(self, element, part: str, number: int | None, cell: dict | None = None) -> None:
        for child in element.iterchildren():
            if child.tag == P:
                self.read_paragraph(child, part, number, cell)
            elif child.tag == TBL:
                self.read_table(child, part, number)
            elif child.tag == SDT:  # content control: its content is ordinary body text
                content = _first(child, SDTCONTENT)
                if content is not None:
                    self.read_container(content, part, number, cell)
            elif child.tag in (SDTCONTENT, INS, MOVE_TO, q("customXml"), q("smartTag")):
                self.read_container(child, part, number, cell)

    def read_table(self, table, part: str, number: int | None) -> None:
        index = self.tables.get(part, 0)
        self.tables[part] = index + 1
        for row_index, row in enumerate(table.iterchildren(TR)):
            for cell_index, cell in enumerate(row.iterchildren(TC)):
                place = {"table": index, "row": row_index, "cell": cell_index}
                self.read_container(cell, part, number, place)

    def read_paragraph(self, paragraph, part: str, number: int | None, cell: dict | None) -> None:
        self.deadline.check()
        index = self.paragraphs.get(part, 0)
        self.paragraphs[part] = index + 1
        location = Location(part="table" if cell and part == "body" else part, paragraph=index,
                            page=None, **(cell or {}))
        if number is not None:
            location.name = f"{part}{number}"
        visible: list[str] = []
        hidden: list[tuple[str, str, HiddenInfo]] = []  # (kind, text, info), consecutive kinds merged
        boxes = []
        pstyle = paragraph.find("w:pPr/w:pStyle", NS)
        paragraph_hidden = self.hidden_styles.get(pstyle.get(q("val"))) if pstyle is not None else None

        for run, wrapper in _runs(paragraph):
            boxes.extend(_text_boxes(run))
            text = _run_text(run, deleted=wrapper in (DEL, MOVE_FROM))
            if not text:
                continue
            if wrapper in (DEL, MOVE_FROM):
                change = run.getparent()
                info = HiddenInfo(kind="tracked_deletion", author=change.get(q("author")),
                                  date=change.get(q("date")), detail=wrapper.split("}")[1])
                _append_hidden(hidden, info, text)
                continue
            reason = _run_hidden_reason(run, self.hidden_styles) or paragraph_hidden
            if reason:
                kind, detail = reason.split(":", 1)
                _append_hidden(hidden, HiddenInfo(kind=kind, detail=detail), text)
                continue
            visible.append(text)
            if wrapper in (INS, MOVE_TO):
                change = run.getparent()
                self.insertions.append({"text": text, "author": change.get(q("author")),
                                        "date": change.get(q("date")), "part": part, "paragraph": index})

        self.document.add("".join(visible), location, style=pstyle.get(q("val")) if pstyle is not None else None)
        for kind, text, info in hidden:
            hidden_location = location.model_copy(update={"part": "tracked_change" if kind == "tracked_deletion"
                                                          else kind})
            self.document.add(text, hidden_location, hidden=info)
        for box in boxes:  # text boxes: their own paragraphs, after the anchoring paragraph
            self.read_container(box, "textbox", number)


def _first(element, tag):
    for child in element.iterchildren(tag):
        return child
    return None


def _runs(paragraph):
    """Runs of a paragraph in document order with the revision element wrapping them (w:ins, w:del...).

    Text boxes (w:txbxContent) are left to their own pass, and mc:Fallback copies are skipped so that
    a text box is not read twice.
    """
    for run in paragraph.iter(R):
        ancestor, wrapper, skip = run.getparent(), None, False
        while ancestor is not None and ancestor is not paragraph:
            if ancestor.tag in (TXBX, FALLBACK):
                skip = True
                break
            if wrapper is None and ancestor.tag in (INS, DEL, MOVE_FROM, MOVE_TO):
                wrapper = ancestor.tag
            ancestor = ancestor.getparent()
        if not skip:
            yield run, wrapper


def _text_boxes(run):
    """Outermost text boxes anchored in a run, without their mc:Fallback duplicates."""
    for box in run.iter(TXBX):
        ancestor = box.getparent()
        while ancestor is not None and ancestor is not run and ancestor.tag not in (TXBX, FALLBACK):
            ancestor = ancestor.getparent()
        if ancestor is run:
            yield box


_RUN_TEXT_TAGS = {q("t"): None, q("delText"): None, q("tab"): "\t", q("br"): "\n", q("cr"): "\n",
                  q("noBreakHyphen"): "-", q("softHyphen"): ""}


def _run_text(run, deleted: bool) -> str:
    out = []
    for child in run.iterchildren():
        if child.tag in (q("t"), q("delText")):
            if (child.tag == q("delText")) == deleted or child.tag == q("t"):
                out.append(child.text or "")
        elif child.tag in _RUN_TEXT_TAGS:
            out.append(_RUN_TEXT_TAGS[child.tag])
    return "".join(out)


def _is_on(element) -> bool:
    return element is not None and element.get(q("val"), "true").lower() not in ("0", "false", "off")


def _rpr_hidden_reason(rpr) -> str | None:
    """'kind:detail' when run properties hide the text from a reader, else None."""
    if rpr is None:
        return None
    if _is_on(rpr.find("w:vanish", NS)) or _is_on(rpr.find("w:specVanish", NS)):
        return "hidden_text:w:vanish"
    color = rpr.find("w:color", NS)
    if color is not None and (color.get(q("val")) or "").upper() in ("FFFFFF", "FFFFFE", "FEFEFE"):
        shading = rpr.find("w:shd", NS)
        fill = (shading.get(q("fill")) or "").upper() if shading is not None else ""
        highlight = rpr.find("w:highlight", NS)
        if not _is_dark(fill) and (highlight is None or highlight.get(q("val")) in ("none", "white")):
            return f"white_text:font colour {color.get(q('val'))}"
    size = rpr.find("w:sz", NS)
    if size is not None:
        try:
            half_points = float(size.get(q("val")))
        except (TypeError, ValueError):
            half_points = None
        if half_points is not None and half_points <= 4:
            return f"tiny_text:font size {half_points / 2:g} pt"
    return None


def _is_dark(fill: str) -> bool:
    if len(fill) != 6 or fill == "AUTO":
        return False
    try:
        r, g, b = int(fill[0:2], 16), int(fill[2:4], 16), int(fill[4:6], 16)
    except ValueError:
        return False
    return (r + g + b) / 3 < 128


def _run_hidden_reason(run, hidden_styles: _HiddenStyles) -> str | None:
    rpr = run.find("w:rPr", NS)
    reason = _rpr_hidden_reason(rpr)
    if reason is None and rpr is not None:
        style = rpr.find("w:rStyle", NS)
        if style is not None:
            reason = hidden_styles.get(style.get(q("val")))
    return reason


def _append_hidden(hidden: list, info: HiddenInfo, text: str) -> None:
    if hidden and hidden[-1][0] == info.kind and hidden[-1][2].author == info.author:
        kind, previous, first = hidden[-1]
        hidden[-1] = (kind, previous + text, first)
    else:
        hidden.append((info.kind, text, info))


_UPPER = "translate(@w:val, 'abcdef', 'ABCDEF')"
# styles whose own run properties may hide text (the candidates _rpr_hidden_reason then judges in full)
_MAYBE_HIDING_STYLES = (f"w:style[w:rPr[w:vanish or w:specVanish or w:color[{_UPPER}='FFFFFF' or {_UPPER}='FFFFFE' "
                        f"or {_UPPER}='FEFEFE'] or w:sz[number(@w:val) <= 4]]]")
# Documents made from one template carry the same style sheet, often hundreds of KB: resolved once per
# distinct content (the bytes are the key, so an equal-looking sheet cannot borrow another's answer).
_CACHED_STYLE_SHEETS = 16
_CACHE_STYLE_SHEETS_BELOW = 4 * 1024 * 1024


class _HiddenStyles:
    """The hidden styles of a document, resolved at the first lookup: many documents name no style at all
    in their paragraphs and runs, and then their style sheet is neither inflated nor parsed."""

    def __init__(self, package: opc.Package, style_parts: list[str]):
        self.package = package
        self.style_parts = style_parts
        self.resolved = None

    def get(self, style_id: str | None) -> str | None:
        if self.resolved is None:
            part = self.style_parts[0] if self.style_parts else None
            self.resolved = _hidden_styles(self.package.read(part), opc.member_name(part)) if part else {}
        return self.resolved.get(style_id)


def _hidden_styles(styles_xml: bytes, name: str) -> MappingProxyType:
    """Styles whose run properties (own or inherited through basedOn) hide text: {style id: 'kind:detail'}."""
    if len(styles_xml) >= _CACHE_STYLE_SHEETS_BELOW:
        return _resolve_hidden_styles(styles_xml, name)
    return _cached_hidden_styles(styles_xml, name)


def _resolve_hidden_styles(styles_xml: bytes, name: str) -> MappingProxyType:
    if _no_style_can_hide(styles_xml):
        return MappingProxyType({})
    styles = safe.parse_xml(styles_xml, name)
    # Templates define hundreds of styles; XPath picks the few that matter without a Python loop over all.
    based_on = dict(zip(styles.xpath("w:style[w:basedOn]/@w:styleId", namespaces=NS),
                        styles.xpath("w:style[w:basedOn]/w:basedOn/@w:val", namespaces=NS)))
    own = {style.get(q("styleId")): _rpr_hidden_reason(style.find("w:rPr", NS))
           for style in styles.xpath(_MAYBE_HIDING_STYLES, namespaces=NS)}
    resolved = {}
    for style_id in styles.xpath("w:style/@w:styleId", namespaces=NS):
        seen, current = set(), style_id
        while current and current not in seen:
            seen.add(current)
            if own.get(current):
                resolved[style_id] = own[current]
                break
            current = based_on.get(current)
    return MappingProxyType(resolved)


_cached_hidden_styles = functools.lru_cache(maxsize=_CACHED_STYLE_SHEETS)(_resolve_hidden_styles)

# The shortcut below reads the style sheet's bytes, so it only answers for UTF-8 (or ASCII) text
# without character references, where every element and value is spelled out as bytes.
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_SIZE_TAG = re.compile(rb"<(?:[^\s<>/:]+:)?sz[\s/>]")
_PLAIN_SIZE_TAG = re.compile(rb"""<(?:[^\s<>/:]+:)?sz\s+(?:[^\s<>/:=]+:)?val\s*=\s*["'](\d+)["']\s*/>""")


def _no_style_can_hide(styles_xml: bytes) -> bool:
    """True only when no style can hide text: no vanish, no white colour, every size a plain number > 4.

    Exact, not a guess: `_rpr_hidden_reason` needs one of those, and a False here just means parsing.
    """
    text = styles_xml.removeprefix(b"\xef\xbb\xbf")
    encoding = _DECLARED_ENCODING.match(text)
    if not text.startswith(b"<") or b"\x00" in text[:4] or (  # UTF-16 and UTF-32 have NULs around "<"
            encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii")):
        return False
    if b"&#" in styles_xml or b"anish" in styles_xml:  # w:vanish, w:specVanish
        return False
    lower = styles_xml.lower()
    if b"ffffff" in lower or b"fffffe" in lower or b"fefefe" in lower:
        return False
    sizes = _PLAIN_SIZE_TAG.findall(styles_xml)
    return len(sizes) == len(_SIZE_TAG.findall(styles_xml)) and all(int(size) > 4 for size in sizes)


# --- comments, properties, embedded objects ---------------------------------------------------------
def _read_comments(comments, document: Document) -> None:
    for index, comment in enumerate(comments.iterchildren(q("comment"))):
        paragraphs = ["".join(_run_text(r, deleted=False) for r in p.iter(R)) for p in comment.iter(P)]
        text = "\n".join(p for p in paragraphs if p)
        info = HiddenInfo(kind="comment", author=comment.get(q("author")), date=comment.get(q("date")),
                          detail=f"comment id {comment.get(q('id'))}")
        document.add(text, Location(part="comment", paragraph=index, name=comment.get(q("author"))), hidden=info)


# Properties that name people or organisations, or hold free text: a reader never sees them, but they
# are published with the file.
_CORE_NS = {"cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
            "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/"}
_CORE_FIELDS = ["dc:creator", "cp:lastModifiedBy", "dc:title", "dc:subject", "cp:keywords", "dc:description",
                "cp:category", "cp:contentStatus", "dc:identifier", "cp:version"]
_CORE_DATES = [("created", "dcterms:created"), ("modified", "dcterms:modified"), ("last_printed", "cp:lastPrinted")]
_APP_FIELDS = ["Company", "Manager", "Application", "AppVersion", "Template", "TotalTime", "Pages", "Words",
               "Characters", "HyperlinkBase"]
_HIDDEN_APP_FIELDS = {"Company", "Manager", "HyperlinkBase"}


def _read_properties(package: opc.Package, document: Document) -> None:
    properties: dict[str, str] = {}
    core = _property_part(package, CORE_PROPERTIES, "/docProps/core.xml")
    if core is not None:
        for name in _CORE_FIELDS:
            element = core.find(name, _CORE_NS)
            value = element.text if element is not None else None
            if value:
                properties[name] = value
                document.add(value, Location(part="property", name=name),
                             hidden=HiddenInfo(kind="doc_property", detail=name))
        for key, name in _CORE_DATES:
            element = core.find(name, _CORE_NS)
            moment = _w3cdtf(element.text) if element is not None and element.text else None
            if moment:
                properties[f"core:{key}"] = moment.isoformat()
    app = _property_part(package, APP_PROPERTIES, "/docProps/app.xml")
    if app is not None:
        found: dict[str, str] = {}  # the first non-blank element of each name, wherever it is nested
        for element in app.iter():
            if isinstance(element.tag, str) and (element.text or "").strip():
                field = etree.QName(element).localname
                if field in _APP_FIELDS and field not in found:
                    found[field] = element.text.strip()
        for field in _APP_FIELDS:
            if field in found:
                properties[f"app:{field}"] = found[field]
                if field in _HIDDEN_APP_FIELDS:
                    document.add(found[field], Location(part="property", name=f"app:{field}"),
                                 hidden=HiddenInfo(kind="doc_property", detail=f"app:{field}"))
    custom = _property_part(package, CUSTOM_PROPERTIES, "/docProps/custom.xml")
    if custom is not None:
        for prop in custom:
            name = prop.get("name")
            value = "".join(prop.itertext()).strip()
            if name and value:
                properties[f"custom:{name}"] = value
                document.add(value, Location(part="property", name=f"custom:{name}"),
                             hidden=HiddenInfo(kind="doc_property", detail=f"custom:{name}"))
    document.metadata["properties"] = properties


def _property_part(package: opc.Package, relationship: str, usual_name: str):
    """A property part of the package, or one left at its usual name without a relationship: the file
    is published with it either way."""
    related = package.related("/", relationship)
    name = related[0] if related else usual_name
    return package.xml(name) if package.has(name) else None


def _w3cdtf(text: str) -> datetime.datetime | None:
    """A W3CDTF date ("2024-01-30T08:00:00Z", "2024-01-30T16:00:00+08:00", "2024-01", "2024") in UTC, or
    None; the same reading python-docx gave, so that the dates in reports do not change."""
    moment = None
    for template in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            moment = datetime.datetime.strptime(text[:19], template)
            break
        except ValueError:
            continue
    if moment is None:
        return None
    offset = re.fullmatch(r"([+-])(\d\d):(\d\d)", text[19:])
    if len(text[19:]) == 6:
        if offset is None:
            return None
        sign = -1 if offset.group(1) == "+" else 1
        moment += sign * datetime.timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3)))
    return moment.replace(tzinfo=datetime.timezone.utc)


def _list_embedded(package: opc.Package, parts: list[str], folder: str, document: Document) -> None:
    images = 0
    embeddings, media = posixpath.join(folder, "embeddings", ""), posixpath.join(folder, "media", "")
    for name in parts:
        if name.startswith(embeddings):
            document.embedded.append(EmbeddedObject(name=name.rsplit("/", 1)[1],
                                                    content_type=package.content_type(name), size=package.size(name),
                                                    location=Location(part="body", name=name)))
        elif name.startswith(media):
            images += 1
    document.metadata["images"] = images


def _page_count(document: Document) -> int | None:
    pages = document.metadata.get("properties", {}).get("app:Pages")
    try:
        return int(pages) if pages else None
    except ValueError:
        return None

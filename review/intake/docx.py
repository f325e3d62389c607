"""Word documents (docx).

python-docx opens the package and reads the core properties; the text is read from the OOXML parts
directly (lxml), because python-docx's `paragraph.text` neither drops deleted runs' neighbours
correctly nor tells hidden, white or tiny runs from visible ones — and those are what a
confidentiality review is about.

Order of the visible text: section headers, body (paragraphs and tables in document order, text boxes
after the paragraph that anchors them), footnotes, endnotes, footers. Hidden content becomes hidden
blocks: comments, tracked deletions, vanished text (w:vanish), white text, tiny text (≤ 2 pt),
document properties.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from review import errors
from review.document import Document, EmbeddedObject, HiddenInfo, Location
from review.errors import DocumentError
from review.intake import safe

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS = {"w": W}


def q(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, TBL, TR, TC, R, T, SDT, SDTCONTENT = (q(t) for t in ("p", "tbl", "tr", "tc", "r", "t", "sdt", "sdtContent"))
INS, DEL, MOVE_FROM, MOVE_TO = q("ins"), q("del"), q("moveFrom"), q("moveTo")
TXBX = q("txbxContent")
FALLBACK = f"{{{MC}}}Fallback"
MAX_PART = 64 * 1024 * 1024


def parse(source, config, deadline) -> Document:
    archive = _open_zip(source.data, config)
    safe.check_xml_parts(archive, MAX_PART)
    try:
        package = docx.Document(io.BytesIO(source.data))
    except KeyError as exc:
        raise DocumentError(f"the docx lacks a required part ({exc})", code=errors.CORRUPT) from None
    document = source.new_document()
    reader = _Reader(document, _hidden_styles(package), deadline)

    headers, footers = _header_footer_parts(package)
    for number, part in enumerate(headers, start=1):
        reader.read_container(part.element, "header", number)
    reader.read_container(package.element.body, "body", None)
    for kind in ("footnotes", "endnotes"):
        element = _part_element(package, f"/word/{kind}.xml")
        if element is not None:
            for note in element.iterchildren(q(kind[:-1])):
                if note.get(q("type")) in (None, "normal"):
                    reader.read_container(note, kind[:-1], None)
    for number, part in enumerate(footers, start=1):
        reader.read_container(part.element, "footer", number)

    _read_comments(package, document)
    _read_properties(package, archive, document)
    _list_embedded(package, document)
    document.metadata["tracked_insertions"] = reader.insertions
    document.pages = _page_count(document)
    return document


def _open_zip(data: bytes, config) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DocumentError("the docx is not a valid zip package (truncated or damaged)",
                            code=errors.CORRUPT) from None
    safe.check_zip(archive, config, len(data))
    return archive


# --- body text --------------------------------------------------------------------------------------
class _Reader:
    """Walks w:p / w:tbl containers, splitting each paragraph's runs into visible and hidden text."""

    def __init__(self, document: Document, hidden_styles: dict[str, str], deadline):
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


def _run_hidden_reason(run, hidden_styles: dict[str, str]) -> str | None:
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


def _hidden_styles(package) -> dict[str, str]:
    """Styles whose run properties (own or inherited through basedOn) hide text."""
    try:
        styles = package.styles.element
    except (KeyError, ValueError, AttributeError):
        return {}
    # Templates define hundreds of styles; XPath picks the few that matter without a Python loop over all
    # (python-docx's element classes make that loop slow). python-docx's xpath knows the w: prefix.
    based_on = dict(zip(styles.xpath("w:style[w:basedOn]/@w:styleId"),
                        styles.xpath("w:style[w:basedOn]/w:basedOn/@w:val")))
    own = {style.get(q("styleId")): _rpr_hidden_reason(style.find("w:rPr", NS))
           for style in styles.xpath(_MAYBE_HIDING_STYLES)}
    own.update({style_id: None for style_id in styles.xpath("w:style/@w:styleId") if style_id not in own})
    resolved = {}
    for style_id in own:
        seen, current = set(), style_id
        while current and current not in seen:
            seen.add(current)
            if own.get(current):
                resolved[style_id] = own[current]
                break
            current = based_on.get(current)
    return resolved


def _header_footer_parts(package):
    headers, footers, seen = [], [], set()
    for rel in package.part.rels.values():
        if rel.is_external or rel.target_part.partname in seen:
            continue
        if rel.reltype == RT.HEADER:
            headers.append(rel.target_part)
        elif rel.reltype == RT.FOOTER:
            footers.append(rel.target_part)
        else:
            continue
        seen.add(rel.target_part.partname)
    key = lambda part: str(part.partname)  # noqa: E731 - header1 before header2
    return sorted(headers, key=key), sorted(footers, key=key)


def _part_element(package, partname: str):
    for part in package.part.package.iter_parts():
        if str(part.partname) == partname:
            return safe.parse_xml(part.blob, partname)
    return None


# --- comments, properties, embedded objects ---------------------------------------------------------
def _read_comments(package, document: Document) -> None:
    comments = _part_element(package, "/word/comments.xml")
    if comments is None:
        return
    for index, comment in enumerate(comments.iterchildren(q("comment"))):
        paragraphs = ["".join(_run_text(r, deleted=False) for r in p.iter(R)) for p in comment.iter(P)]
        text = "\n".join(p for p in paragraphs if p)
        info = HiddenInfo(kind="comment", author=comment.get(q("author")), date=comment.get(q("date")),
                          detail=f"comment id {comment.get(q('id'))}")
        document.add(text, Location(part="comment", paragraph=index, name=comment.get(q("author"))), hidden=info)


# Properties that name people or organisations, or hold free text: a reader never sees them, but they
# are published with the file.
_CORE_FIELDS = [("author", "dc:creator"), ("last_modified_by", "cp:lastModifiedBy"), ("title", "dc:title"),
                ("subject", "dc:subject"), ("keywords", "cp:keywords"), ("comments", "dc:description"),
                ("category", "cp:category"), ("content_status", "cp:contentStatus"),
                ("identifier", "dc:identifier"), ("version", "cp:version")]
_APP_FIELDS = ["Company", "Manager", "Application", "AppVersion", "Template", "TotalTime", "Pages", "Words",
               "Characters", "HyperlinkBase"]
_HIDDEN_APP_FIELDS = {"Company", "Manager", "HyperlinkBase"}


def _read_properties(package, archive: zipfile.ZipFile, document: Document) -> None:
    properties: dict[str, str] = {}
    core = package.core_properties
    for attribute, name in _CORE_FIELDS:
        value = getattr(core, attribute, None)
        if value:
            properties[name] = str(value)
            document.add(str(value), Location(part="property", name=name),
                         hidden=HiddenInfo(kind="doc_property", detail=name))
    for attribute in ("created", "modified", "last_printed"):
        value = getattr(core, attribute, None)
        if value:
            properties[f"core:{attribute}"] = value.isoformat()
    names = set(archive.namelist())
    if "docProps/app.xml" in names:
        app = safe.parse_xml(safe.read_member(archive, "docProps/app.xml", MAX_PART), "docProps/app.xml")
        for field in _APP_FIELDS:
            element = next((e for e in app.iter() if isinstance(e.tag, str) and etree.QName(e).localname == field
                            and (e.text or "").strip()), None)
            if element is not None:
                properties[f"app:{field}"] = element.text.strip()
                if field in _HIDDEN_APP_FIELDS:
                    document.add(element.text.strip(), Location(part="property", name=f"app:{field}"),
                                 hidden=HiddenInfo(kind="doc_property", detail=f"app:{field}"))
    if "docProps/custom.xml" in names:
        custom = safe.parse_xml(safe.read_member(archive, "docProps/custom.xml", MAX_PART), "docProps/custom.xml")
        for prop in custom:
            name = prop.get("name")
            value = "".join(prop.itertext()).strip()
            if name and value:
                properties[f"custom:{name}"] = value
                document.add(value, Location(part="property", name=f"custom:{name}"),
                             hidden=HiddenInfo(kind="doc_property", detail=f"custom:{name}"))
    document.metadata["properties"] = properties


def _list_embedded(package, document: Document) -> None:
    images = 0
    for part in package.part.package.iter_parts():
        name = str(part.partname)
        if name.startswith("/word/embeddings/"):
            document.embedded.append(EmbeddedObject(name=name.rsplit("/", 1)[1], content_type=part.content_type,
                                                    size=len(part.blob), location=Location(part="body", name=name)))
        elif name.startswith("/word/media/"):
            images += 1
    document.metadata["images"] = images


def _page_count(document: Document) -> int | None:
    pages = document.metadata.get("properties", {}).get("app:Pages")
    try:
        return int(pages) if pages else None
    except ValueError:
        return None

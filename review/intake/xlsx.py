"""Excel workbooks (xlsx, xlsm).

openpyxl reads the cells (with `data_only=True`, so a formula gives the value Excel last computed and
saved, which is what a reader sees). Every sheet is read, visible or not, because a spreadsheet
published as 附件 hides things in ways a document does not:

- hidden and very hidden sheets (the latter cannot be unhidden from Excel's menus) → hidden blocks
  of kind "hidden_sheet";
- hidden rows and columns inside visible sheets → "hidden_rows" / "hidden_columns";
- cells made invisible by their format (";;;" number format, white font) → "hidden_text" / "white_text";
- cell comments → "comment"; document properties → "doc_property", named as the docx reader names them.

Visible rows become one block each, non-empty cells joined by a tab. Printed headers and footers are
read as visible blocks. `Document.pages` is the number of sheets.
"""

from __future__ import annotations

import datetime
import io
import warnings
import zipfile
import zlib

import openpyxl

from review import errors
from review.document import Document, HiddenInfo, Location
from review.errors import DocumentError
from review.intake import safe

MAX_PART = 64 * 1024 * 1024
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)

# Same names and the same hidden set as the docx reader, so rules and reports treat them alike.
_CORE_FIELDS = [("creator", "dc:creator"), ("lastModifiedBy", "cp:lastModifiedBy"), ("title", "dc:title"),
                ("subject", "dc:subject"), ("keywords", "cp:keywords"), ("description", "dc:description"),
                ("category", "cp:category"), ("contentStatus", "cp:contentStatus"),
                ("identifier", "dc:identifier"), ("version", "cp:version")]
_APP_FIELDS = ["Company", "Manager", "Application", "AppVersion", "HyperlinkBase"]
_HIDDEN_APP_FIELDS = {"Company", "Manager", "HyperlinkBase"}


def parse(source, config, deadline) -> Document:
    try:
        archive = zipfile.ZipFile(io.BytesIO(source.data))
    except _ZIP_ERRORS:
        raise DocumentError("the workbook is not a valid zip package (truncated or damaged)",
                            code=errors.CORRUPT) from None
    safe.check_zip(archive, config, len(source.data))
    try:
        safe.check_xml_parts(archive, MAX_PART)
    except _ZIP_ERRORS:
        raise DocumentError("a part of the workbook is damaged (bad compressed data or checksum)",
                            code=errors.CORRUPT) from None
    document = source.new_document()
    try:
        workbook = _load(source.data)
        _note_lost_sheets(workbook, archive, document)
        disguises: dict = {}  # style → disguise, shared by the sheets of one workbook
        for sheet in workbook.worksheets:
            deadline.check()
            _read_sheet(sheet, document, deadline, disguises)
        document.pages = len(workbook.sheetnames)
        _read_properties(workbook, archive, document)
    except (DocumentError, MemoryError, RecursionError):
        raise
    except Exception as exc:  # openpyxl fails on damaged parts in many ways (KeyError, TypeError...)
        raise DocumentError(f"the workbook is damaged and could not be read ({type(exc).__name__}: "
                            f"{str(exc)[:200]})", code=errors.CORRUPT) from None
    return document


def _load(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "extension is not supported" and the like: noise for us
        return openpyxl.load_workbook(io.BytesIO(data), data_only=True, keep_links=False)


def _note_lost_sheets(workbook, archive: zipfile.ZipFile, document: Document) -> None:
    """openpyxl silently skips a sheet whose part is missing: the review must say it did not see it."""
    index = safe.parse_xml(safe.read_member(archive, "xl/workbook.xml", MAX_PART), "xl/workbook.xml")
    declared = [s.get("name") or "?" for s in index.iter("{*}sheet")]
    lost = [name for name in declared if name not in workbook.sheetnames]
    if declared and len(lost) == len(declared):
        raise DocumentError("none of the workbook's sheets could be read (their parts are missing)",
                            code=errors.CORRUPT)
    if lost:
        document.warnings.append(f"sheet(s) {', '.join(lost)} could not be read: their parts are missing")


# --- cells -----------------------------------------------------------------------------------------
def _read_sheet(sheet, document: Document, deadline, disguises: dict) -> None:
    name, state = sheet.title, sheet.sheet_state
    hidden_rows = {r for r, d in sheet.row_dimensions.items() if d.hidden or d.height == 0}
    hidden_columns = set()
    for dimension in sheet.column_dimensions.values():
        if dimension.hidden and dimension.min and dimension.max:
            hidden_columns.update(range(dimension.min, min(dimension.max, 16384) + 1))

    _read_header_footer(sheet, document, state)
    for count, (row, cells) in enumerate(_rows(sheet)):
        if count % 1000 == 999:
            deadline.check()
        where = Location(part="sheet", sheet=name, row=row)
        if state != "visible":
            texts = [text for _, text, _ in cells]
            document.add("\t".join(texts), where, hidden=HiddenInfo(kind="hidden_sheet", detail=state))
        elif row in hidden_rows:
            texts = [text for _, text, _ in cells]
            document.add("\t".join(texts), where, hidden=HiddenInfo(kind="hidden_rows", detail=f"row {row} hidden"))
        else:
            shown, by_kind = [], {}
            for column, text, cell in cells:
                if column in hidden_columns:
                    kind, detail = "hidden_columns", "column hidden"
                else:
                    kind, detail = _disguise(cell, disguises)
                if kind is None:
                    shown.append(text)
                else:
                    by_kind.setdefault((kind, detail), []).append(text)
            document.add("\t".join(shown), where)
            for (kind, detail), texts in by_kind.items():
                document.add("\t".join(texts), where, hidden=HiddenInfo(kind=kind, detail=detail))
        for column, _, cell in cells:
            _read_comment(cell, name, row, column, document)
    for cell in _comment_only_cells(sheet):
        _read_comment(cell, name, cell.row, cell.column, document)


def _rows(sheet):
    """(row, [(column, text, cell)]) for rows with text, in order.

    Reads the cells openpyxl actually holds instead of `iter_rows()`, which walks the whole used
    range: one stray cell at XFD1048576 would make that 17 billion cells.
    """
    cells = getattr(sheet, "_cells", None)
    if cells is None:
        cells = {(c.row, c.column): c for line in sheet.iter_rows() for c in line}
    row_number, current = None, []
    for (row, column), cell in sorted(cells.items()):
        text = _cell_text(cell.value)
        if not text.strip():
            continue
        if row != row_number:
            if current:
                yield row_number, current
            row_number, current = row, []
        current.append((column, text, cell))
    if current:
        yield row_number, current


def _comment_only_cells(sheet):
    """Comments on empty cells: `_rows` skips those cells, but the comment is still published."""
    for cell in getattr(sheet, "_cells", {}).values():
        if cell.comment is not None and not _cell_text(cell.value).strip():
            yield cell


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # 12.0 is shown as 12 in Excel
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value).replace("\r\n", "\n")


def _disguise(cell, cache: dict) -> tuple[str | None, str | None]:
    """A visible cell whose value cannot be seen: the ";;;" format or white font on an unfilled cell.

    Looking at a cell's font and fill through openpyxl costs more than reading it, so the answer is
    cached per (font, fill, number format) triple: workbooks use a handful of styles.
    """
    style = getattr(cell, "_style", None)
    key = (style.fontId, style.fillId, style.numFmtId) if style is not None else None
    if key is None or key not in cache:
        answer = (None, None)
        color = cell.font.color if cell.font is not None else None
        white = color is not None and (
            (color.type == "rgb" and isinstance(color.rgb, str) and color.rgb.upper()[-6:] == "FFFFFF")
            or (color.type == "indexed" and color.indexed in (1, 9)))  # white in the legacy palette
        if (cell.number_format or "").replace(" ", "") in (";;;", ";;;@"):
            answer = ("hidden_text", 'number format ";;;"')
        elif white and cell.fill.fill_type is None:
            answer = ("white_text", "font colour FFFFFF")
        if key is None:
            return answer
        cache[key] = answer
    return cache[key]


def _read_comment(cell, sheet: str, row: int, column: int, document: Document) -> None:
    comment = cell.comment
    if comment is None:
        return
    document.add(comment.text or "", Location(part="comment", sheet=sheet, row=row, cell=column,
                                              name=comment.author),
                 hidden=HiddenInfo(kind="comment", author=comment.author, detail=f"cell {cell.coordinate}"))


def _read_header_footer(sheet, document: Document, state: str) -> None:
    """Printed headers and footers: visible on paper, so visible blocks (unless the sheet is hidden)."""
    for attribute, part in (("oddHeader", "header"), ("evenHeader", "header"), ("firstHeader", "header"),
                            ("oddFooter", "footer"), ("evenFooter", "footer"), ("firstFooter", "footer")):
        header_footer = getattr(sheet, attribute, None)
        for position in ("left", "center", "right"):
            text = getattr(getattr(header_footer, position, None), "text", None)
            if text:
                hidden = None if state == "visible" else HiddenInfo(kind="hidden_sheet", detail=state)
                document.add(text, Location(part=part, sheet=sheet.title, name=f"{attribute} {position}"),
                             hidden=hidden)


# --- properties ------------------------------------------------------------------------------------
def _read_properties(workbook, archive: zipfile.ZipFile, document: Document) -> None:
    properties: dict[str, str] = {}

    def hide(name: str, value: str) -> None:
        document.add(value, Location(part="property", name=name), hidden=HiddenInfo(kind="doc_property", detail=name))

    core = workbook.properties
    for attribute, name in _CORE_FIELDS:
        value = getattr(core, attribute, None)
        if value and str(value).strip():
            properties[name] = str(value).strip()
            hide(name, properties[name])
    for attribute in ("created", "modified", "lastPrinted"):
        value = getattr(core, attribute, None)
        if isinstance(value, (datetime.datetime, datetime.date)):
            properties[f"core:{attribute}"] = value.isoformat()

    # openpyxl does not expose app.xml (Company, Manager) nor custom.xml: read them ourselves.
    names = set(archive.namelist())
    if "docProps/app.xml" in names:
        app = safe.parse_xml(safe.read_member(archive, "docProps/app.xml", MAX_PART), "docProps/app.xml")
        for field in _APP_FIELDS:
            element = app.find(f"{{*}}{field}")
            value = (element.text or "").strip() if element is not None else ""
            if value:
                properties[f"app:{field}"] = value
                if field in _HIDDEN_APP_FIELDS:
                    hide(f"app:{field}", value)
    if "docProps/custom.xml" in names:
        custom = safe.parse_xml(safe.read_member(archive, "docProps/custom.xml", MAX_PART), "docProps/custom.xml")
        for prop in custom:
            name = prop.get("name") if isinstance(prop.tag, str) else None
            value = "".join(prop.itertext()).strip() if name else ""
            if value:
                properties[f"custom:{name}"] = value
                hide(f"custom:{name}", value)
    document.metadata["properties"] = properties

"""Open Packaging Conventions (ECMA-376 Part 2): the zip container of docx and xlsx, opened once.

A package is a zip of parts. `[Content_Types].xml` gives each part's content type (an Override for
the part name, else a Default for its extension); `_rels/.rels` relates the package to its main part
and properties, and each part's own `<dir>/_rels/<name>.rels` relates it to further parts (headers,
styles, images...). Part names are found through these relationships, never assumed: Word, WPS and
LibreOffice name parts differently.

`Package.open` runs `safe.check_zip` (member count, inflated size and ratio, encryption) and checks
the prolog of every XML member for a DTD: a DTD may only come before the root element, so the prolog
is enough (`safe.check_xml_parts` inflated every member whole for that). Small members are inflated
whole once and kept; large ones only up to their root element, and whole once if a reader asks for
them. Reads are bounded, and parts are parsed with the hardened parser of `safe`.

Dangling relationships, parts without a content type and a missing `[Content_Types].xml` are refused
with the messages python-docx gave when it opened the package (`walk`), so reports keep their wording.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

from review import errors
from review.errors import DocumentError
from review.intake import safe

CONTENT_TYPES = "[Content_Types].xml"
_PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"

# Members smaller than this are inflated whole when their prolog is checked (the bytes are kept for
# the parser); larger ones only up to their root element, since most of them (stylesWithEffects,
# themes, big style sheets) are never parsed.
_READ_WHOLE_BELOW = 64 * 1024
_HEAD_CHUNK = 4096
_PROLOG_LIMIT = 64 * 1024  # a longer prolog is odd: the member is then searched whole
_NAME_START = re.compile(rb"[A-Za-z_:\x80-\xff]")
_PROLOG_ITEM = re.compile(rb"[ \t\r\n]+|<\?.*?\?>|<!--.*?-->", re.S)  # whitespace, XML declaration, PIs, comments


@dataclass(frozen=True)
class Relationship:
    type: str
    target: str  # a part name ("/word/header1.xml") for an internal target, the URI as written for an external one
    external: bool


class Package:
    """The parts of one OPC package. `what` names the format in messages ("docx")."""

    def __init__(self, archive: zipfile.ZipFile, limit: int, what: str):
        self.archive = archive
        self.limit = limit
        self.what = what
        self.members = {info.filename: info for info in archive.infolist()}
        self._bytes: dict[str, bytes] = {}
        self._rels: dict[str, list[Relationship]] = {}
        self._content_types: tuple[dict[str, str], dict[str, str]] | None = None

    @classmethod
    def open(cls, data: bytes, config, limit: int, what: str) -> "Package":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise DocumentError(f"the {what} is not a valid zip package (truncated or damaged)",
                                code=errors.CORRUPT) from None
        safe.check_zip(archive, config, len(data))
        package = cls(archive, limit, what)
        package._refuse_dtds()
        return package

    # --- members ------------------------------------------------------------------------------------
    def has(self, partname: str) -> bool:
        return member_name(partname) in self.members

    def size(self, partname: str) -> int:
        return self.members[member_name(partname)].file_size

    def read(self, partname: str) -> bytes:
        """The whole part, inflated once (bounded by the package's limit)."""
        name = member_name(partname)
        if name not in self._bytes:
            if name not in self.members:
                raise self.missing(name)
            self._bytes[name] = safe.read_member(self.archive, name, self.limit)
        return self._bytes[name]

    def xml(self, partname: str) -> etree._Element:
        return safe.parse_xml(self.read(partname), member_name(partname))

    def missing(self, name: str) -> DocumentError:
        return DocumentError(f"the {self.what} lacks a required part (\"There is no item named '{name}' in the "
                             "archive\")", code=errors.CORRUPT)

    # --- content types and relationships ------------------------------------------------------------
    def content_type(self, partname: str) -> str | None:
        if self._content_types is None:
            if CONTENT_TYPES not in self.members:
                raise self.missing(CONTENT_TYPES)
            root = self.xml(CONTENT_TYPES)
            # part names and extensions compare case-insensitively (ECMA-376 Part 2, 10.1.2.4)
            overrides = {(o.get("PartName") or "").lower(): o.get("ContentType")
                         for o in root.iterchildren(f"{_CT}Override")}
            defaults = {(d.get("Extension") or "").lower(): d.get("ContentType")
                        for d in root.iterchildren(f"{_CT}Default")}
            self._content_types = overrides, defaults
        overrides, defaults = self._content_types
        if partname.lower() in overrides:
            return overrides[partname.lower()]
        return defaults.get(posixpath.splitext(partname)[1][1:].lower())

    def relationships(self, source: str = "/") -> list[Relationship]:
        """Relationships of a part ("/" for the package itself), in the order they are written."""
        if source not in self._rels:
            directory, name = posixpath.split(source)
            rels_name = member_name(posixpath.join(directory, "_rels", f"{name}.rels"))
            found = []
            if rels_name in self.members:
                for rel in self.xml(rels_name).iterchildren(f"{_PR}Relationship"):
                    kind, target = rel.get("Type"), rel.get("Target")
                    if not kind or target is None:
                        continue  # nothing to follow
                    external = rel.get("TargetMode") == "External"
                    # Targets are relative to the source's folder ("../customXml/item1.xml") or absolute
                    # ("/word/document.xml"); normpath resolves both into a part name.
                    found.append(Relationship(kind, target if external else
                                              posixpath.normpath(posixpath.join(directory, target)), external))
            self._rels[source] = found
        return self._rels[source]

    def related(self, source: str, kind: str) -> list[str]:
        """Part names that `source` relates to with relationship type `kind`, each once, in order."""
        names = []
        for rel in self.relationships(source):
            if rel.type == kind and not rel.external and rel.target not in names:
                names.append(rel.target)
        return names

    def main_part(self) -> str:
        """The package's main part (word/document.xml, xl/workbook.xml... whatever its name)."""
        targets = [rel.target for rel in self.relationships("/") if rel.type == OFFICE_DOCUMENT and not rel.external]
        if not targets:
            if any(rel.type == STRICT_OFFICE_DOCUMENT for rel in self.relationships("/")):
                raise DocumentError(f"the {self.what} is saved as Strict Open XML, which this reader does not read",
                                    code=errors.UNSUPPORTED, hint="save it again as an ordinary Office document")
            raise DocumentError(f"the {self.what} lacks a required part (\"no relationship of type "
                                f"'{OFFICE_DOCUMENT}' in collection\")", code=errors.CORRUPT)
        if len(set(targets)) > 1:
            raise DocumentError(f"the {self.what} lacks a required part (\"multiple relationships of type "
                                f"'{OFFICE_DOCUMENT}' in collection\")", code=errors.CORRUPT)
        return targets[0]

    def walk(self) -> list[str]:
        """Every part reachable through internal relationships from the package, depth first.

        Refuses a package whose relationships point at a missing part or at a part without a content
        type: such a package is damaged (Word offers to repair it), and python-docx refused it too.
        """
        if CONTENT_TYPES not in self.members:
            raise self.missing(CONTENT_TYPES)
        reached: list[str] = []

        def visit(source: str) -> None:
            for rel in self.relationships(source):
                if rel.external or rel.target in reached:
                    continue
                reached.append(rel.target)
                if not self.has(rel.target):
                    raise self.missing(member_name(rel.target))
                if self.content_type(rel.target) is None:
                    raise DocumentError(f"the {self.what} lacks a required part (\"no content type for partname "
                                        f"'{rel.target}' in [Content_Types].xml\")", code=errors.CORRUPT)
                visit(rel.target)

        visit("/")
        return reached

    # --- the XML guard ------------------------------------------------------------------------------
    def _refuse_dtds(self) -> None:
        """No XML member may declare a DTD or entities, whether or not it is parsed later."""
        for info in self.members.values():
            if not info.filename.endswith((".xml", ".rels")) or not info.file_size:
                continue
            if info.file_size < _READ_WHOLE_BELOW:
                verdict = _prolog(self.read(info.filename))
            else:
                verdict = self._read_prolog(info.filename)
            if verdict in ("more", "unclear"):  # no plain prolog (another encoding, no root...): search it all
                verdict = "dtd" if safe.DTD.search(self.read(info.filename)) else "root"
            if verdict == "dtd":
                raise DocumentError(f"{info.filename} declares a DTD or entities, which documents never need",
                                    code=errors.XML_ENTITIES, hint="the file may be crafted to attack parsers")

    def _read_prolog(self, name: str) -> str:
        """Inflate a member only until its root element starts (a few hundred bytes, normally)."""
        head = b""
        with self.archive.open(name) as member:
            while len(head) < _PROLOG_LIMIT:
                chunk = member.read(_HEAD_CHUNK)
                head += chunk
                verdict = _prolog(head)
                if verdict != "more" or not chunk:
                    return verdict
        return "unclear"


def member_name(partname: str) -> str:
    """Zip member name of a part name: the part name without its leading slash."""
    return partname[1:] if partname.startswith("/") else partname


def _prolog(data: bytes) -> str:
    """Read the XML prolog: 'root' when the root element starts with no DTD before it, 'dtd' when a
    <!DOCTYPE comes first, 'more' when the bytes end inside the prolog, 'unclear' otherwise."""
    at = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # UTF-8 byte order mark
    while match := _PROLOG_ITEM.match(data, at):
        at = match.end()
    rest = data[at:at + 9]
    if len(rest) < 2:
        return "more" if rest in (b"", b"<") else "unclear"
    if rest[:1] != b"<":
        return "unclear"
    if rest[1:2] == b"?":
        return "more"  # a declaration or instruction not closed yet
    if rest[1:2] != b"!":
        # an element name starts with a letter, "_", ":" or a non-ASCII character; a NUL here is UTF-16
        return "root" if _NAME_START.match(rest, 1) else "unclear"
    if rest.upper().startswith(b"<!DOCTYPE"):
        return "dtd"
    if b"<!--".startswith(rest[:4]) or rest.startswith(b"<!--") or b"<!DOCTYPE".startswith(rest.upper()):
        return "more"  # an open comment, or too few bytes to tell
    return "unclear"

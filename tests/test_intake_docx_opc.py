"""The docx reader finds its parts through the package's relationships (review.intake.opc), not by name.

Each test writes a small package by hand, so that the layout under test is explicit: renamed parts,
relative ("../") and absolute ("/word/...") targets, external targets, dangling relationships, DTDs in
parts that are never parsed. All content is invented.
"""

import zipfile

import pytest

from review import errors
from review.config import ScanConfig
from review.errors import DocumentError
from review.intake import Source, docx, opc, read_document
from review.intake.safe import time_limit
from review.pipeline import review_file

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
OFFICE_DOCUMENT, HEADER, FOOTNOTES, STYLES, HYPERLINK = (
    REL + kind for kind in ("officeDocument", "header", "footnotes", "styles", "hyperlink"))
CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml."
MAIN_TYPE, HEADER_TYPE, FOOTNOTES_TYPE, STYLES_TYPE = (
    WORD + kind for kind in ("document.main+xml", "header+xml", "footnotes+xml", "styles+xml"))
CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"

TITLE = "关于做好防汛工作的通知"
HEADER_TEXT = "内部资料 注意保存"
FOOTNOTE_TEXT = "数据来源于县应急管理局。"


def content_types(overrides: dict[str, str]) -> str:
    entries = "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{entries}</Types>')


def relationships(*rels: tuple) -> str:
    """rels: (type, target) or (type, target, "External")."""
    entries = "".join(f'<Relationship Id="rId{n}" Type="{rel[0]}" Target="{rel[1]}"'
                      + (f' TargetMode="{rel[2]}"' if len(rel) > 2 else "") + "/>"
                      for n, rel in enumerate(rels, start=1))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{entries}'
            '</Relationships>')


def paragraphs(*texts: str) -> str:
    return "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in texts)


def main_part(*texts: str) -> str:
    return f'<w:document xmlns:w="{W_NS}"><w:body>{paragraphs(*texts)}</w:body></w:document>'


def header_part(text: str) -> str:
    return f'<w:hdr xmlns:w="{W_NS}">{paragraphs(text)}</w:hdr>'


def write_docx(path, parts: dict[str, str | bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


def parse(path):
    """The docx reader alone."""
    data = path.read_bytes()
    with time_limit(30) as deadline:
        document = docx.parse(Source(path=str(path), data=data, sha256="-", format="docx"), ScanConfig(), deadline)
    return document.finish()


def visible_blocks(document):
    return [(b.text, b.location.part) for b in document.blocks if b.hidden is None]


def test_main_part_with_another_name_is_found_through_the_package_relationships(tmp_path):
    path = write_docx(tmp_path / "renamed.docx", {
        "[Content_Types].xml": content_types({"/word/document2.xml": MAIN_TYPE, "/word/header1.xml": HEADER_TYPE}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "word/document2.xml")),
        "word/document2.xml": main_part(TITLE, "各乡镇："),
        "word/_rels/document2.xml.rels": relationships((HEADER, "header1.xml")),
        "word/header1.xml": header_part(HEADER_TEXT),
    })
    document = parse(path)
    assert visible_blocks(document) == [(HEADER_TEXT, "header"), (TITLE, "body"), ("各乡镇：", "body")]
    # the sniffer knows it by its main part's content type, under any extension
    renamed = path.rename(tmp_path / "renamed.bin")
    report = review_file(str(renamed))
    assert report.error is None and report.format == "docx" and TITLE in report.metadata.title


def test_parts_in_their_own_folders_with_absolute_and_parent_targets(tmp_path):
    # Another producer's layout: the main part under doc/, absolute targets in _rels/.rels, the
    # header and notes in sibling folders reached with "../" or "/...".
    path = write_docx(tmp_path / "layout.docx", {
        "[Content_Types].xml": content_types({"/doc/main.xml": MAIN_TYPE, "/parts/top.xml": HEADER_TYPE,
                                              "/notes/foot.xml": FOOTNOTES_TYPE, "/docProps/core.xml": CORE_TYPE}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "/doc/main.xml"), (CORE, "/docProps/core.xml")),
        "doc/main.xml": main_part(TITLE),
        "doc/_rels/main.xml.rels": relationships((HEADER, "../parts/top.xml"), (FOOTNOTES, "/notes/foot.xml")),
        "parts/top.xml": header_part(HEADER_TEXT),
        "notes/foot.xml": (f'<w:footnotes xmlns:w="{W_NS}"><w:footnote w:type="separator" w:id="-1">'
                           '<w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
                           f'<w:footnote w:id="1">{paragraphs(FOOTNOTE_TEXT)}</w:footnote></w:footnotes>'),
        "docProps/core.xml": ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
                              'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                              'xmlns:dcterms="http://purl.org/dc/terms/"><dc:creator>某某</dc:creator>'
                              '<dcterms:created>2024-03-01T16:30:00+08:00</dcterms:created></cp:coreProperties>'),
    })
    document = parse(path)
    assert visible_blocks(document) == [(HEADER_TEXT, "header"), (TITLE, "body"), (FOOTNOTE_TEXT, "footnote")]
    assert document.metadata["properties"] == {"dc:creator": "某某", "core:created": "2024-03-01T08:30:00+00:00"}


def test_word_layout_with_relative_and_absolute_targets_through_read_document(tmp_path):
    path = write_docx(tmp_path / "targets.docx", {
        "[Content_Types].xml": content_types({"/word/document.xml": MAIN_TYPE, "/word/header1.xml": HEADER_TYPE,
                                              "/headers/second.xml": HEADER_TYPE}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "/word/document.xml")),
        "word/document.xml": main_part(TITLE),
        "word/_rels/document.xml.rels": relationships((HEADER, "/word/header1.xml"),
                                                      (HEADER, "../headers/second.xml")),
        "word/header1.xml": header_part(HEADER_TEXT),
        "headers/second.xml": header_part("第二节页眉"),
    })
    document = read_document(str(path))
    # headers in part-name order: /headers/second.xml before /word/header1.xml
    assert visible_blocks(document) == [("第二节页眉", "header"), (HEADER_TEXT, "header"), (TITLE, "body")]
    assert [b.location.name for b in document.blocks if b.location.part == "header"] == ["header1", "header2"]


def test_external_relationships_are_not_followed(tmp_path):
    # A header "part" outside the package must not be read, nor make the package look damaged.
    path = write_docx(tmp_path / "external.docx", {
        "[Content_Types].xml": content_types({"/word/document.xml": MAIN_TYPE}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "word/document.xml")),
        "word/document.xml": main_part(TITLE),
        "word/_rels/document.xml.rels": relationships((HYPERLINK, "http://www.example.gov.cn/", "External"),
                                                      (HEADER, "file:///etc/hostname", "External")),
    })
    document = read_document(str(path))
    assert visible_blocks(document) == [(TITLE, "body")]
    package = opc.Package.open(path.read_bytes(), ScanConfig(), docx.MAX_PART, "docx")
    assert package.related("/word/document.xml", HEADER) == []
    assert [rel.target for rel in package.relationships("/word/document.xml") if rel.external] == [
        "http://www.example.gov.cn/", "file:///etc/hostname"]


def test_missing_main_part_is_corrupt(tmp_path):
    path = write_docx(tmp_path / "no-main.docx", {
        "[Content_Types].xml": content_types({"/word/document2.xml": MAIN_TYPE}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "word/document2.xml")),
        "word/document.xml": main_part(TITLE),  # left over, not the main part
    })
    with pytest.raises(DocumentError) as caught:
        read_document(str(path))
    assert caught.value.code == errors.CORRUPT
    assert "word/document2.xml" in str(caught.value)


def test_package_without_a_main_part_relationship_is_corrupt(tmp_path):
    path = write_docx(tmp_path / "no-relationship.docx", {
        "[Content_Types].xml": content_types({"/word/document.xml": MAIN_TYPE}),
        "_rels/.rels": relationships(),
        "word/document.xml": main_part(TITLE),
    })
    with pytest.raises(DocumentError) as caught:
        read_document(str(path))
    assert caught.value.code == errors.CORRUPT and "officeDocument" in str(caught.value)


def test_header_listed_but_missing_is_corrupt(tmp_path):
    path = write_docx(tmp_path / "dangling.docx", {
        "[Content_Types].xml": content_types({"/word/document.xml": MAIN_TYPE, "/word/header9.xml": HEADER_TYPE}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "word/document.xml")),
        "word/document.xml": main_part(TITLE),
        "word/_rels/document.xml.rels": relationships((HEADER, "header9.xml")),
    })
    with pytest.raises(DocumentError) as caught:
        read_document(str(path))
    assert caught.value.code == errors.CORRUPT
    assert str(caught.value) == ("the docx lacks a required part (\"There is no item named 'word/header9.xml' "
                                 "in the archive\")")


def test_macro_enabled_document_is_read(tmp_path):
    path = write_docx(tmp_path / "macro.docm", {
        "[Content_Types].xml": content_types({"/word/document.xml": "application/vnd.ms-word.document."
                                                                    "macroEnabled.main+xml"}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "word/document.xml")),
        "word/document.xml": main_part(TITLE),
    })
    assert visible_blocks(read_document(str(path))) == [(TITLE, "body")]


def test_strict_open_xml_is_refused_clearly(tmp_path):
    path = write_docx(tmp_path / "strict.docx", {
        "[Content_Types].xml": content_types({"/word/document.xml": MAIN_TYPE}),
        "_rels/.rels": relationships(("http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
                                      "word/document.xml")),
        "word/document.xml": main_part(TITLE).replace(W_NS, "http://purl.oclc.org/ooxml/wordprocessingml/main"),
    })
    with pytest.raises(DocumentError) as caught:
        read_document(str(path))
    assert caught.value.code == errors.UNSUPPORTED and "Strict Open XML" in str(caught.value)


@pytest.mark.parametrize(("comment", "tail"), [(0, 0), (10_000, 100_000), (200_000, 0)],
                         ids=["small part read whole", "large part read to its root", "very long prolog"])
def test_dtd_in_a_part_that_is_never_parsed_is_refused(tmp_path, comment, tail):
    # a long comment before the DOCTYPE: the prolog check must read past it
    attack = (b'<?xml version="1.0"?><!--' + b"x" * comment + b'--><!DOCTYPE t [<!ENTITY a "aaaa">]>'
              b"<t>&a;</t>" + b" " * tail)
    path = write_docx(tmp_path / "attack.docx", {
        "[Content_Types].xml": content_types({"/word/document.xml": MAIN_TYPE}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "word/document.xml")),
        "word/document.xml": main_part(TITLE),
        "word/unused.xml": attack,
    })
    with pytest.raises(DocumentError) as caught:
        read_document(str(path))
    assert caught.value.code == errors.XML_ENTITIES and "word/unused.xml" in str(caught.value)


@pytest.mark.parametrize(("xml", "verdict"), [
    (b'<?xml version="1.0"?>\n<w:document>', "root"),
    (b'\xef\xbb\xbf<?xml version="1.0"?><!-- <a> --><w:styles>', "root"),
    (b'<?xml version="1.0"?><!DOCTYPE x><x/>', "dtd"),
    (b'<?xml version="1.0"?><!doctype x><x/>', "dtd"),
    (b'<?xml version="1.0"?><!-- unfinished', "more"),
    (b'<?xml version="1.0"?><!DOC', "more"),
    (b'<?xml vers', "more"),
    (b'<?xml version="1.0"?><![CDATA[x]]><x/>', "unclear"),
    ('<?xml version="1.0" encoding="UTF-16"?><x/>'.encode("utf-16"), "unclear"),
    ("<x/>".encode("utf-16-le"), "unclear"),
])
def test_prolog_verdicts(xml, verdict):
    assert opc._prolog(xml) == verdict


STYLE_SHEET = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="{W_NS}">'
               '<w:style w:type="character" w:styleId="Plain"><w:rPr>{rpr}</w:rPr></w:style>'
               '<w:style w:type="character" w:styleId="Child"><w:basedOn w:val="Plain"/></w:style></w:styles>')


@pytest.mark.parametrize(("rpr", "hidden"), [
    ('<w:sz w:val="24"/><w:color w:val="808080"/>', None),
    ("<w:vanish/>", "hidden_text:w:vanish"),
    ('<w:color w:val="ffffff"/>', "white_text:font colour ffffff"),
    ('<w:sz w:val="4"/>', "tiny_text:font size 2 pt"),
    ('<w:sz w:val="&#52;"/>', "tiny_text:font size 2 pt"),  # a character reference must not slip past the bytes check
    ('<w:color w:val="&#70;FFFFF"/>', "white_text:font colour FFFFFF"),
])
def test_hidden_styles_and_the_exact_bytes_shortcut(rpr, hidden):
    sheet = STYLE_SHEET.replace("{rpr}", rpr).encode()
    resolved = docx._resolve_hidden_styles(sheet, "word/styles.xml")
    expected = {"Plain": hidden, "Child": hidden} if hidden else {}
    assert dict(resolved) == expected
    assert docx._no_style_can_hide(sheet) == (hidden is None)
    assert dict(docx._hidden_styles(sheet, "word/styles.xml")) == expected  # through the cache: the same


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])  # with and without a byte order mark
def test_style_sheet_in_another_encoding_is_parsed_not_guessed(encoding):
    sheet = STYLE_SHEET.replace("{rpr}", "<w:vanish/>").replace("UTF-8", "UTF-16").encode(encoding)
    assert not docx._no_style_can_hide(sheet)
    assert dict(docx._resolve_hidden_styles(sheet, "word/styles.xml")) == {"Plain": "hidden_text:w:vanish",
                                                                             "Child": "hidden_text:w:vanish"}


def test_styles_found_through_the_main_part_relationships_hide_text(tmp_path):
    body = (f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>{TITLE}</w:t></w:r>'
            '<w:r><w:rPr><w:rStyle w:val="Child"/></w:rPr><w:t>内部掌握</w:t></w:r></w:p></w:body></w:document>')
    path = write_docx(tmp_path / "styled.docx", {
        "[Content_Types].xml": content_types({"/word/document.xml": MAIN_TYPE, "/word/look.xml": STYLES_TYPE}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "word/document.xml")),
        "word/document.xml": body,
        "word/_rels/document.xml.rels": relationships((STYLES, "look.xml")),
        "word/look.xml": STYLE_SHEET.replace("{rpr}", "<w:vanish/>"),
    })
    document = read_document(str(path))
    assert visible_blocks(document) == [(TITLE, "body")]
    assert [(b.text, b.hidden.kind) for b in document.hidden_blocks] == [("内部掌握", "hidden_text")]


def test_missing_core_properties_part_invents_no_properties(tmp_path):
    # python-docx filled in a default core part ("python-docx", "Word Document", now): not a property of the file
    path = write_docx(tmp_path / "no-core.docx", {
        "[Content_Types].xml": content_types({"/word/document.xml": MAIN_TYPE}),
        "_rels/.rels": relationships((OFFICE_DOCUMENT, "word/document.xml")),
        "word/document.xml": main_part(TITLE),
    })
    document = read_document(str(path))
    assert document.metadata["properties"] == {} and document.hidden_blocks == []

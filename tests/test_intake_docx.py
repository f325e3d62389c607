import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import docx_fixtures as fx
from review import errors
from review.errors import DocumentError
from review.intake import read_document


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    path = fx.rich_docx(tmp_path_factory.mktemp("docx") / "rich.docx")
    return read_document(str(path))


def hidden_of(document, kind):
    return [b for b in document.hidden_blocks if b.hidden.kind == kind]


def test_visible_text_in_reading_order(rich):
    text = rich.visible_text
    order = [fx.HEADER, fx.TITLE, fx.BODY, fx.TABLE_CELL, "可见文字。", fx.TEXTBOX, fx.FOOTNOTE, fx.FOOTER]
    positions = [text.find(piece) for piece in order]
    assert all(p >= 0 for p in positions), dict(zip(order, positions))
    assert positions == sorted(positions)
    assert fx.TEXTBOX in text and text.count(fx.TEXTBOX) == 1  # mc:Fallback copy not read twice


def test_locations_of_blocks(rich):
    parts = {b.location.part for b in rich.blocks if b.hidden is None}
    assert {"header", "body", "table", "footnote", "footer", "textbox"} <= parts
    cell = next(b for b in rich.blocks if b.text == fx.TABLE_CELL)
    assert (cell.location.table, cell.location.row, cell.location.cell) == (0, 0, 1)
    at = rich.text.find(fx.TABLE_CELL)
    assert rich.locate(at) is cell


def test_hidden_runs_are_not_visible_but_kept(rich):
    for kind, text in (("hidden_text", fx.HIDDEN), ("white_text", fx.WHITE), ("tiny_text", fx.TINY)):
        blocks = hidden_of(rich, kind)
        assert [b.text for b in blocks] == [text], kind
        assert text not in rich.visible_text
        assert rich.text[blocks[0].start:blocks[0].end] == text


def test_comment_with_author(rich):
    (comment,) = hidden_of(rich, "comment")
    assert comment.text == fx.COMMENT
    assert comment.hidden.author == "王审核"


def test_tracked_changes(rich):
    (deletion,) = hidden_of(rich, "tracked_deletion")
    assert deletion.text == fx.DELETED
    assert deletion.hidden.author == "李修订" and deletion.hidden.date.startswith("2024-01-30")
    assert fx.DELETED not in rich.visible_text
    assert fx.INSERTED in rich.visible_text  # an insertion is visible text...
    (insertion,) = rich.metadata["tracked_insertions"]  # ...and still a revision to accept
    assert insertion["text"] == fx.INSERTED and insertion["author"] == "李修订"


def test_properties(rich):
    properties = rich.metadata["properties"]
    assert properties["dc:creator"] == fx.AUTHOR
    assert properties["cp:lastModifiedBy"] == fx.LAST_MODIFIED_BY
    assert properties["app:Company"] == fx.COMPANY
    assert properties["custom:内部编号"] == fx.CUSTOM
    values = {b.text for b in hidden_of(rich, "doc_property")}
    assert {fx.AUTHOR, fx.LAST_MODIFIED_BY, fx.COMPANY, fx.CUSTOM} <= values


def test_embedded_objects_listed(rich):
    assert [o.name for o in rich.embedded] == ["oleObject1.bin"]


def test_xml_entity_attack_is_refused(tmp_path):
    plain = fx.simple_docx(tmp_path / "plain.docx", ["正文"])
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            b'<w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>')
    attacked = fx.rewrite_part(plain, tmp_path / "attack.docx", "word/document.xml", bomb)
    with pytest.raises(DocumentError) as caught:
        read_document(str(attacked))
    assert caught.value.code == errors.XML_ENTITIES


def test_truncated_docx_is_corrupt(tmp_path):
    plain = fx.simple_docx(tmp_path / "plain.docx", ["正文" * 200])
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(plain.read_bytes()[:1500])
    with pytest.raises(DocumentError) as caught:
        read_document(str(truncated))
    assert caught.value.code in (errors.CORRUPT, errors.UNSUPPORTED)


def test_encrypted_office_file(tmp_path):
    # MS-OFFCRYPTO: an OLE container with an EncryptedPackage stream (directory names are UTF-16)
    fake = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    path = tmp_path / "secret.docx"
    path.write_bytes(fake)
    with pytest.raises(DocumentError) as caught:
        read_document(str(path))
    assert caught.value.code == errors.ENCRYPTED


_VALID = io.BytesIO()


def _valid_docx_bytes(tmp_path_factory=None) -> bytes:
    if not _VALID.getvalue():
        document = __import__("docx").Document()
        document.add_paragraph("关于印发某某方案的通知")
        document.save(_VALID)
    return _VALID.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=1, max_value=40000), flips=st.lists(st.integers(min_value=0, max_value=40000),
                                                                      max_size=8))
def test_mutated_docx_never_raises_anything_but_document_error(tmp_path, cut, flips):
    data = bytearray(_valid_docx_bytes()[:cut])
    for position in flips:
        if position < len(data):
            data[position] ^= 0x5A
    path = tmp_path / "mutant.docx"
    path.write_bytes(bytes(data))
    try:
        read_document(str(path))
    except DocumentError:
        pass


def test_docx_with_zip_bomb_member(tmp_path):
    from review.config import ScanConfig
    plain = fx.simple_docx(tmp_path / "plain.docx", ["正文"])
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        out.writestr("word/media/huge.bin", b"\x00" * (30 * 1024 * 1024))
    with pytest.raises(DocumentError) as caught:
        read_document(str(bomb), ScanConfig(max_unzip_bytes=10 * 1024 * 1024))
    assert caught.value.code == errors.ZIP_BOMB
    with pytest.raises(DocumentError) as caught:  # default limits: the 1000:1 ratio gives it away
        read_document(str(bomb))
    assert caught.value.code == errors.ZIP_BOMB


def test_text_hidden_through_character_styles_and_their_descendants(tmp_path):
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt, RGBColor

    package = docx.Document()
    vanished = package.styles.add_style("秘藏", WD_STYLE_TYPE.CHARACTER)
    vanished.font.hidden = True
    inherited = package.styles.add_style("秘藏子样式", WD_STYLE_TYPE.CHARACTER)
    inherited.base_style = vanished
    white = package.styles.add_style("白字", WD_STYLE_TYPE.CHARACTER)
    white.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    tiny = package.styles.add_style("小字", WD_STYLE_TYPE.CHARACTER)
    tiny.font.size = Pt(1.5)
    grey = package.styles.add_style("灰字", WD_STYLE_TYPE.CHARACTER)  # coloured, sized, but visible
    grey.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
    grey.font.size = Pt(12)
    paragraph = package.add_paragraph("正文开头。")
    for text, style in (("藏一", vanished), ("藏二", inherited), ("白三", white), ("小四", tiny), ("灰五", grey)):
        paragraph.add_run(text, style=style)
    path = tmp_path / "styles.docx"
    package.save(path)
    document = read_document(str(path))
    kinds = {b.text: b.hidden.kind for b in document.hidden_blocks if b.hidden.kind != "doc_property"}
    assert kinds == {"藏一藏二": "hidden_text", "白三": "white_text", "小四": "tiny_text"}
    assert "灰五" in document.visible_text and "藏一" not in document.visible_text

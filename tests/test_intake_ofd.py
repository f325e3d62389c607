import io
import struct
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pytesseract
from PIL import Image

from ocr_fixtures import font_path, make_page
from ofd_fixtures import SCAN_PAGE, build_ofd, ofd_parts, with_scanned_page
from review import errors
from review.config import ScanConfig
from review.errors import DocumentError
from review.intake import ocr, read_document
from review.intake import ofd as ofd_intake
from review.pipeline import review_file

PAGE1 = [
    "000123",
    "秘密★1年",
    "特急",
    "某某市人民政府文件",  # from the template page
    "某府发〔2024〕12号 签发人：张三",  # far apart on one line: one space
    "关于加强政务公开保密审查工作的通知",  # two objects, adjacent: no space
    "各区县人民政府，市政府各部门：",
    "为进一步做好政务公开保密审查工作，现就有关事项通知如下。",
    "一、严格落实先审查后公开制度。",
]
PAGE2 = [
    "二、规范涉密信息的界定与处理。",
    "各单位应当指定专人负责审查。",
    "三、本通知自印发之日起施行。",
    "2024年3月1日",
]


def write(tmp_path, data: bytes, name: str = "notice.ofd") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def read(tmp_path, parts=None, config=None):
    return read_document(write(tmp_path, build_ofd(parts)), config)


def visible(document, page=None):
    return [b.text for b in document.blocks if b.hidden is None and (page is None or b.location.page == page)]


def test_lines_in_reading_order_per_page(tmp_path):
    document = read(tmp_path)
    assert document.format == "ofd"
    assert visible(document, 1) == PAGE1
    assert visible(document, 2) == PAGE2
    assert document.visible_text == "\n".join(PAGE1 + PAGE2)
    first = next(b for b in document.blocks if b.text == "秘密★1年")
    assert first.location.part == "body"
    x0, top, x1, bottom = first.location.bbox
    assert x0 == pytest.approx(28 * 72 / 25.4, abs=0.1) and top < bottom < 150  # top area of the page, in points


def test_pages_and_scanned_page_warning(tmp_path):
    document = read(tmp_path)
    assert document.pages == 3
    assert "page 3 has no text layer (scanned image?): needs OCR" in document.warnings
    assert document.metadata["pages_without_text"] == [3]
    assert not any(b.location.page == 3 for b in document.blocks)


def test_scanned_page_under_a_text_template_still_needs_ocr(tmp_path):
    parts = ofd_parts()
    page = parts["Doc_0/Pages/Page_2/Content.xml"].decode()
    parts["Doc_0/Pages/Page_2/Content.xml"] = page.replace("<ofd:Content>", '<ofd:Template TemplateID="1"/>'
                                                           "<ofd:Content>").encode()
    document = read(tmp_path, parts)
    assert document.metadata["pages_without_text"] == [3]
    assert visible(document, 3) == ["某某市人民政府文件"]


def test_no_pages_is_empty(tmp_path):
    parts = ofd_parts()
    document = parts["Doc_0/Document.xml"].decode()
    start, end = document.index("<ofd:Pages>"), document.index("</ofd:Pages>") + len("</ofd:Pages>")
    parts["Doc_0/Document.xml"] = (document[:start] + document[end:]).encode()
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, parts)
    assert caught.value.code == errors.EMPTY


def test_author_and_docinfo(tmp_path):
    document = read(tmp_path)
    properties = document.metadata["properties"]
    assert properties["Author"] == "王五"
    assert properties["Creator"] == "OFD Writer"
    assert properties["CreationDate"] == "2024-03-01"
    assert properties["Keywords"] == "保密；政务公开"
    assert properties["CustomData/承办人"] == "赵六"
    author = next(b for b in document.hidden_blocks if b.text == "王五")
    assert author.hidden.kind == "doc_property" and author.hidden.detail == "DocInfo/Author"
    assert author.location.part == "property" and author.location.name == "Author"
    assert "王五" not in document.visible_text


def test_annotation_remark_is_hidden_block(tmp_path):
    document = read(tmp_path)
    remark = next(b for b in document.hidden_blocks if b.hidden.kind == "annotation")
    assert remark.text == "此段涉及内部讨论意见，公开前删除"
    assert remark.hidden.author == "李四" and remark.hidden.date == "2024-03-02"
    assert remark.location.part == "annotation" and remark.location.page == 1
    assert remark.location.name == "Highlight"


def test_attachments_are_listed(tmp_path):
    document = read(tmp_path)
    [attachment] = document.embedded
    assert attachment.name == "附件1 名单" and attachment.content_type == "xlsx"
    assert attachment.size == 22 and attachment.location.name == "Doc_0/Attachs/名单.xlsx"


def test_white_text_is_hidden(tmp_path):
    document = read(tmp_path)
    white = [b for b in document.hidden_blocks if b.hidden.kind == "white_text"]
    assert [b.text for b in white] == ["内部参考：此处为白色文字"]
    assert "白色文字" not in document.visible_text


def test_invisible_and_tiny_text_are_hidden(tmp_path):
    parts = ofd_parts()
    page = parts["Doc_0/Pages/Page_1/Content.xml"].decode()
    extra = ('<ofd:TextObject ID="90" Boundary="28 250 100 8" Size="5.6" Visible="false">'
             '<ofd:TextCode X="0" Y="5.6">隐藏的批注文字</ofd:TextCode></ofd:TextObject>'
             '<ofd:TextObject ID="91" Boundary="28 260 100 1" Size="0.3">'
             '<ofd:TextCode X="0" Y="0.3">极小的文字</ofd:TextCode></ofd:TextObject>')
    parts["Doc_0/Pages/Page_1/Content.xml"] = page.replace("</ofd:Layer>", extra + "</ofd:Layer>").encode()
    document = read(tmp_path, parts)
    kinds = {b.text: b.hidden.kind for b in document.hidden_blocks}
    assert kinds["隐藏的批注文字"] == "hidden_text"
    assert kinds["极小的文字"] == "tiny_text"
    assert visible(document, 2) == PAGE2


def test_default_namespace_and_absolute_locations(tmp_path):
    """Writers differ: no ofd: prefix, and locations from the package root ('/Doc_0/...')."""
    parts = {}
    for name, data in ofd_parts().items():
        if name.endswith(".xml"):
            text = data.decode().replace("<ofd:", "<").replace("</ofd:", "</").replace("xmlns:ofd=", "xmlns=")
            text = text.replace('BaseLoc="Pages/', 'BaseLoc="/Doc_0/Pages/')
            data = text.encode()
        parts[name] = data
    document = read(tmp_path, parts)
    assert visible(document) == PAGE1 + PAGE2
    assert any(b.hidden.kind == "annotation" for b in document.hidden_blocks)


def test_max_pages(tmp_path):
    document = read(tmp_path, config=ScanConfig(max_pages=1))
    assert document.pages == 3
    assert visible(document) == PAGE1
    assert any("only the first 1 were read" in w for w in document.warnings)


def test_malformed_numbers_are_tolerated(tmp_path):
    parts = ofd_parts()
    page = parts["Doc_0/Pages/Page_1/Content.xml"].decode()
    extra = ('<ofd:TextObject ID="92" Boundary="a b c" Size="big" CTM="1 2">'
             '<ofd:TextCode X="NaN" Y="inf" DeltaX="g x 3">坏坐标</ofd:TextCode></ofd:TextObject>')
    parts["Doc_0/Pages/Page_1/Content.xml"] = page.replace("</ofd:Layer>", extra + "</ofd:Layer>").encode()
    document = read(tmp_path, parts)
    assert "坏坐标" in document.visible_text


def test_missing_page_part_is_a_warning(tmp_path):
    parts = ofd_parts()
    del parts["Doc_0/Pages/Page_1/Content.xml"]
    document = read(tmp_path, parts)
    assert visible(document, 1) == PAGE1
    assert any("page 2" in w and "missing" in w for w in document.warnings)
    assert document.metadata["pages_without_text"] == [3]


# --- scanned pages: OCR --------------------------------------------------------------------------------
MM = 72 / 25.4  # points per millimetre
needs_ocr = pytest.mark.skipif(ocr.missing_reason() is not None or font_path() is None,
                               reason="tesseract with chi_sim (tesseract-ocr, tesseract-ocr-chi-sim) and a CJK "
                                      "font (fonts-wqy-zenhei) are needed")


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _picture(width: int = 1000, height: int = 500) -> bytes:
    """A white page with one dark stroke: something for (fake) OCR to look at."""
    image = Image.new("L", (width, height), 255)
    image.paste(0, (100, 50, 600, 100))
    return png(image)


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@needs_ocr
def test_scanned_page_is_read_by_ocr_with_boxes_on_the_page(tmp_path):
    scan = make_page(31, body_lines=6, full_height=False)  # the marking, a title, six lines with 2 IDs, 2 mobiles
    width, height = scan.image.size
    # drawn 190 mm wide (a little smaller than at its 300 dpi), 10 mm from the left, 15 mm from the top
    mm_per_pixel = 190 / width
    box = f"10 15 190 {height * mm_per_pixel:.3f}"
    parts = with_scanned_page(png(scan.image), box, ctm=f"190 0 0 {height * mm_per_pixel:.3f} 0 0")
    report = review_file(write(tmp_path, build_ofd(parts)))

    assert report.error is None
    for planted in scan.planted:
        category = "secret" if planted.kind == "marking" else "personal"
        found = [f for f in report.flags if f.location.page == 1 and f.category == category
                 and f.text.replace(" ", "") == planted.value]
        assert found, f"{planted.kind} not flagged"
        x0, top, x1, bottom = planted.bbox
        on_page = ((10 + x0 * mm_per_pixel) * MM, (15 + top * mm_per_pixel) * MM,
                   (10 + x1 * mm_per_pixel) * MM, (15 + bottom * mm_per_pixel) * MM)
        assert _overlaps(found[0].location.bbox, on_page), (planted.kind, found[0].location.bbox, on_page)
        assert found[0].location.ocr_confidence is not None
    assert "page 1 has no text layer: read by OCR, which may misread characters (flags on doubtful text say " \
           "so)" in report.warnings
    assert "page 1 has no text layer (scanned image?): needs OCR" not in report.warnings
    # the text pages behind it are read as before, and the fixture's stand-in image on page 4 is reported
    assert any(f.type == "white_text" and f.location.page == 3 for f in report.flags)
    assert any(w.startswith("page 4: Doc_0/Res/Image_0.png:") for w in report.warnings)


@needs_ocr
def test_a_jbig2_scan_is_decoded_and_read_by_ocr(tmp_path):
    """Bitonal scans in OFD archives are often JBIG2, which Pillow cannot read (review.intake.jbig2)."""
    from jbig2_fixtures import jbig2_file

    scan = make_page(32, body_lines=4, full_height=False)
    bitonal = scan.image.convert("L").point(lambda level: 255 if level > 128 else 0)
    width, height = bitonal.size
    mm_per_pixel = 190 / width
    parts = with_scanned_page(jbig2_file(bitonal), f"10 15 190 {height * mm_per_pixel:.3f}", media_name="scan.jb2")
    report = review_file(write(tmp_path, build_ofd(parts)))
    assert report.error is None
    assert not [w for w in report.warnings if w.startswith("page 1: ")], report.warnings
    planted = [p for p in scan.planted if p.kind != "marking"]
    found = [p for p in planted if any(f.location.page == 1 and f.category == "personal"
                                       and f.text.replace(" ", "") == p.value for f in report.flags)]
    assert len(found) == len(planted), [p.value for p in planted]


class _FakeOcr:
    """Stands in for tesseract: one line whose box is known in the pixels of the image it is given."""

    def __init__(self):
        self.sizes = []

    def __call__(self, image, *, timeout, **kwargs):
        self.sizes.append(image.size)
        word = ocr.Word("13812345678", (100, 50, 600, 100), 0.9)
        return ocr.PageText(lines=[ocr.Line("13812345678", [(0, 11, word)], word.bbox)], skew_degrees=0.0)


@pytest.fixture
def fake_ocr(monkeypatch):
    fake = _FakeOcr()
    monkeypatch.setattr(ocr, "missing_reason", lambda: None)
    monkeypatch.setattr(ocr, "read_page", fake)
    return fake


# An image of 1000 x 500 pixels drawn in the Boundary 10 20 100 50 (mm): 0.1 mm per pixel, so the
# pixel box (100, 50, 600, 100) lies at 20..70 mm across and 25..30 mm down, whatever the writer's way.
@pytest.mark.parametrize("ctm,page_res", [
    (None, False),  # no CTM: the image fills its Boundary
    ("100 0 0 50 0 0", False),  # the unit square scaled to the Boundary, as writers do
    ("100 0 0 50 0 0", True),  # the image a resource of the page itself
])
def test_ocr_boxes_are_placed_through_boundary_and_ctm(tmp_path, fake_ocr, ctm, page_res):
    parts = with_scanned_page(_picture(), "10 20 100 50", ctm=ctm, page_res=page_res)
    document = read(tmp_path, parts)
    assert fake_ocr.sizes == [(1000, 500)]
    [line] = [b for b in document.blocks if b.location.page == 1]
    assert line.text == "13812345678" and line.location.ocr_confidence == 0.9
    assert line.location.bbox == pytest.approx((20 * MM, 25 * MM, 70 * MM, 30 * MM), abs=0.01)
    assert line.ocr_words[0].bbox == line.location.bbox
    assert document.metadata["ocr"]["pages"] == [1]
    assert document.metadata["pages_without_text"] == [4]  # the fixture's stand-in image


def test_ocr_boxes_follow_a_ctm_that_moves_and_turns_the_image(tmp_path, fake_ocr):
    # turned a quarter clockwise: pixel (x, y) of the 1000 x 500 image lands at (50 - y/10, x/10) mm
    # inside the Boundary (0 0 50 100), which itself starts at (30, 40) on the page
    parts = with_scanned_page(_picture(), "30 40 50 100", ctm="0 100 -50 0 50 0")
    [line] = [b for b in read(tmp_path, parts).blocks if b.location.page == 1]
    assert line.location.bbox == pytest.approx(((30 + 40) * MM, (40 + 10) * MM, (30 + 45) * MM, (40 + 60) * MM),
                                               abs=0.01)


def test_a_blank_scanned_page_has_no_text_and_needs_no_ocr(tmp_path, fake_ocr):
    document = read(tmp_path, with_scanned_page(png(Image.new("L", (800, 1100), 255)), "0 0 210 297"))
    assert fake_ocr.sizes == []  # one colour: nothing to read, and tesseract is spared the sheet
    assert "OCR found no readable text on page(s) 1" in document.warnings
    assert document.metadata["ocr"]["no_text"] == [1]
    assert document.metadata["pages_without_text"] == [1, 4]  # as the PDF reader counts them


def test_tesseract_missing_keeps_the_warning_and_reviews_the_text_pages(tmp_path, monkeypatch):
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    ocr.missing_reason.cache_clear()
    try:
        parts = with_scanned_page(png(Image.new("L", (400, 300), 255)), "0 0 210 297")
        report = review_file(write(tmp_path, build_ofd(parts)))
    finally:
        ocr.missing_reason.cache_clear()
    assert report.error is None
    assert "page 1 has no text layer (scanned image?): needs OCR" in report.warnings
    assert any("tesseract-ocr-chi-sim" in w and "tesseract-ocr " in w for w in report.warnings)
    assert any(f.type == "white_text" and f.location.page == 3 for f in report.flags)


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG header that declares a huge picture (a decompression bomb) and holds no pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + b"\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.mark.parametrize("case,expected", [
    ("truncated", "Doc_0/Res/scan.png: the image could not be decoded"),
    ("not an image", "Doc_0/Res/scan.png: the image could not be read (UnidentifiedImageError)"),
    ("bomb", "Doc_0/Res/scan.png: the image could not be read (DecompressionBombError)"),
    ("too large a member", "Doc_0/Res/scan.png: part Doc_0/Res/scan.png is larger than 1000 bytes"),
    ("unknown resource", "image resource 99 is not in the document's resources"),
])
def test_a_broken_image_is_a_warning_and_the_rest_is_reviewed(tmp_path, fake_ocr, monkeypatch, case, expected):
    image = png(Image.new("L", (600, 400), 128))
    data = {"truncated": image[:200], "not an image": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
            "bomb": _png_declaring(30_000, 30_000)}.get(case, image)
    if case == "too large a member":
        monkeypatch.setattr(ofd_intake, "MAX_IMAGE", 1000)
    parts = with_scanned_page(data, "0 0 210 297")
    if case == "unknown resource":
        parts[SCAN_PAGE] = parts[SCAN_PAGE].replace(b'ResourceID="61"', b'ResourceID="99"')
    report = review_file(write(tmp_path, build_ofd(parts)))
    assert report.error is None
    assert fake_ocr.sizes == []
    assert any(w.startswith("page 1: ") and expected in w for w in report.warnings), report.warnings
    assert "page 1 has no text layer (scanned image?): needs OCR" in report.warnings
    assert any(f.category == "secret" for f in report.flags)  # the text pages are reviewed
    assert any(f.type == "white_text" and f.location.page == 3 for f in report.flags)


def test_no_masked_page_image_copy_of_an_ofd(tmp_path):
    from review.redact_image import burn_in

    path = write(tmp_path, build_ofd())
    report = review_file(path)
    with pytest.raises(ValueError, match="not of ofd files: use the txt or docx masked copy"):
        burn_in(path, report, [f.id for f in report.flags], tmp_path / "masked.pdf")
    assert not (tmp_path / "masked.pdf").exists()


# --- hostile and broken files ------------------------------------------------------------------------
BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n')


@pytest.mark.parametrize("part", ["OFD.xml", "Doc_0/Pages/Page_0/Content.xml"])
def test_dtd_or_entities_refused(tmp_path, part):
    parts = ofd_parts()
    body = parts[part].decode().split("\n", 1)[1]  # drop the XML declaration
    parts[part] = (BILLION_LAUGHS + body.replace("某某市", "&lol2;").replace("特急", "&lol2;")).encode()
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, parts)
    assert caught.value.code == errors.XML_ENTITIES


def test_missing_document_part_is_corrupt(tmp_path):
    parts = ofd_parts()
    del parts["Doc_0/Document.xml"]
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, parts)
    assert caught.value.code == errors.CORRUPT
    assert "Doc_0/Document.xml" in str(caught.value)


def test_missing_docroot_is_corrupt(tmp_path):
    parts = ofd_parts()
    ofd = parts["OFD.xml"].decode()
    parts["OFD.xml"] = ofd.replace("<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>", "").encode()
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, parts)
    assert caught.value.code == errors.CORRUPT
    assert "DocRoot" in str(caught.value)


def test_missing_ofd_xml_is_refused(tmp_path):
    # Without OFD.xml the zip is not recognised as an OFD at all: the sniffer refuses it.
    parts = ofd_parts()
    del parts["OFD.xml"]
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, parts)
    assert caught.value.code == errors.UNSUPPORTED


def test_bad_xml_is_corrupt(tmp_path):
    parts = ofd_parts()
    parts["Doc_0/Document.xml"] = parts["Doc_0/Document.xml"][:200]
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, parts)
    assert caught.value.code == errors.CORRUPT


def _with_zeros(megabytes: int) -> bytes:
    """The fixture plus one member of zeros, written in chunks so the test never holds it in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in ofd_parts().items():
            archive.writestr(name, data)
        with archive.open("Doc_0/Res/font.ttf", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def test_zip_bomb_by_ratio(tmp_path):
    data = _with_zeros(60)  # 60 MB of zeros deflate to ~60 KB: a 1000:1 ratio
    assert len(data) < 1_000_000
    with pytest.raises(DocumentError) as caught:
        read_document(write(tmp_path, data))
    assert caught.value.code == errors.ZIP_BOMB


def test_zip_bomb_by_size(tmp_path):
    with pytest.raises(DocumentError) as caught:
        read_document(write(tmp_path, _with_zeros(3)), ScanConfig(max_unzip_bytes=2_000_000))
    assert caught.value.code == errors.ZIP_BOMB


def test_truncated_zip_is_an_error(tmp_path):
    data = build_ofd()
    with pytest.raises(DocumentError):
        read_document(write(tmp_path, data[: len(data) // 2]))


# --- fuzzing: only DocumentError may come out, and never the dispatcher's catch-all ------------------
VALID = build_ofd()
PARTS = ofd_parts()


def _only_document_error(tmp_path, data: bytes) -> None:
    path = write(tmp_path, data, "fuzz.ofd")
    try:
        read_document(path, ScanConfig(timeout_seconds=20))
    except DocumentError as exc:
        # __cause__ is set only when the dispatcher wrapped an exception the parser did not foresee
        assert exc.__cause__ is None or isinstance(exc.__cause__, DocumentError), repr(exc.__cause__)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(VALID)),
       flips=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=8))
def test_fuzz_zip_bytes(tmp_path, cut, flips):
    data = bytearray(VALID[: max(cut, 1)] if flips == [] else VALID)
    for at, value in flips:
        if at < len(data):
            data[at] = value
    _only_document_error(tmp_path, bytes(data))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(part=st.sampled_from(sorted(n for n in PARTS if n.endswith(".xml"))),
       start=st.integers(0, 4000), length=st.integers(0, 200), insert=st.binary(max_size=30))
def test_fuzz_xml_parts(tmp_path, part, start, length, insert):
    """Damage one XML part before zipping, so the damage reaches the XML and OFD logic, not the CRC."""
    parts = dict(PARTS)
    data = parts[part]
    start = min(start, len(data))
    parts[part] = data[:start] + insert + data[start + length:]
    _only_document_error(tmp_path, build_ofd(parts))

"""PDF intake: text lines identical to pdfplumber's, failed redactions, properties, annotations, and
only DocumentError for files that cannot be read. Every PDF is generated into tmp_path."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pdfplumber
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pdf_fixtures import (DARK_BLUE, ID_NUMBER, WHITE, annotation_pdf, attach_file, blank_pdf, encrypted_pdf, form_pdf,
                          header_box_pdf, image_only_pdf, long_chinese_pdf, redaction_pdf, table_pdf, text_pdf,
                          tricky_pdf)
from review import errors
from review.config import ScanConfig
from review.errors import DocumentError
from review.intake import read_document
from review.intake.pdf import _pdf_date, _repair_text

MOBILE = "13907710452"  # invented
AUTHOR = "陶建平"  # invented


def visible_lines(document) -> list[str]:
    return [b.text for b in document.blocks if b.hidden is None]


def plumber_lines(path) -> list[str]:
    """The reference the labels were made against: extract_text per page, joined by newline."""
    with pdfplumber.open(path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    return [line for line in text.split("\n") if line.strip()]


# -- text -------------------------------------------------------------------------------------------

def test_chinese_text_round_trip(tmp_path):
    pages = [["示例县农业农村局", "关于下达2023年度农机购置补贴资金的通知"],
             ["各乡镇农业服务中心：", "现将有关事项通知如下。"]]
    path = text_pdf(tmp_path / "a.pdf", pages)
    document = read_document(str(path))
    assert document.format == "pdf"
    assert document.pages == 2
    assert visible_lines(document) == pages[0] + pages[1]
    assert [b.location.page for b in document.blocks if b.hidden is None] == [1, 1, 2, 2]
    first = document.blocks[0].location
    assert first.part == "body" and first.bbox is not None
    x0, top, x1, bottom = first.bbox
    assert 70 < x0 < 75 and top < bottom and x1 > x0
    assert document.visible_text.startswith("示例县农业农村局\n关于下达")
    assert not document.warnings


@pytest.mark.parametrize("build", [
    lambda p: table_pdf(p, [["序号", "姓名", "联系电话"], ["1", "邓秋云", MOBILE],
                            ["2", "张建国", "13800001111"]]),
    tricky_pdf,  # pdfium drops some of this text: the page must fall back to pdfplumber
    lambda p: long_chinese_pdf(p, pages=3),
], ids=["table", "tricky", "dense"])
def test_lines_equal_pdfplumber(tmp_path, build):
    path = build(tmp_path / "x.pdf")
    assert visible_lines(read_document(str(path))) == plumber_lines(path)


def test_tricky_page_keeps_every_character(tmp_path):
    lines = visible_lines(read_document(str(tricky_pdf(tmp_path / "t.pdf"))))
    assert "告" in lines  # a lone wrapped character pdfium's text page leaves out
    assert f"身份证号码：{ID_NUMBER}" in lines


def test_max_pages(tmp_path):
    path = text_pdf(tmp_path / "long.pdf", [[f"第{n}页正文"] for n in range(1, 4)])
    document = read_document(str(path), ScanConfig(max_pages=2))
    assert visible_lines(document) == ["第1页正文", "第2页正文"]
    assert document.pages == 3
    assert any("only the first 2" in w for w in document.warnings)


def test_tables_counted_not_duplicated(tmp_path):
    rows = [["序号", "姓名", "联系电话"], ["1", "邓秋云", MOBILE]]
    path = table_pdf(tmp_path / "t.pdf", rows)
    document = read_document(str(path))
    assert document.metadata["pdf_tables"] == {1: 1}
    assert visible_lines(document).count(f"1 邓秋云 {MOBILE}") == 1
    assert "pdf_tables" not in read_document(str(path), ScanConfig(pdf_tables=False)).metadata


# -- redactions -------------------------------------------------------------------------------------

def test_black_box_over_id_number(tmp_path):
    path = redaction_pdf(tmp_path / "r.pdf", f"身份证号：{ID_NUMBER}，联系人已核实。", [ID_NUMBER])
    document = read_document(str(path))
    assert [r.covered_text for r in document.redactions] == [ID_NUMBER]
    redaction = document.redactions[0]
    assert redaction.page == 1
    x0, top, x1, bottom = redaction.bbox
    assert x0 < x1 and top < bottom
    assert document.text[redaction.start:redaction.end] == ID_NUMBER  # placed by Document.finish


def test_two_boxes_on_one_line(tmp_path):
    # an ID and a mobile on one line, each under its own box
    path = redaction_pdf(tmp_path / "r.pdf", f"身份证号{ID_NUMBER}，电话{MOBILE}。", [ID_NUMBER, MOBILE])
    document = read_document(str(path))
    assert [r.covered_text for r in document.redactions] == [ID_NUMBER, MOBILE]
    assert document.redactions[0].bbox[2] < document.redactions[1].bbox[0]


def test_white_text_on_dark_header_is_not_a_redaction(tmp_path):
    document = read_document(str(header_box_pdf(tmp_path / "h.pdf")))
    assert document.redactions == []
    assert "序号 姓名 单位 职务" in visible_lines(document)


def test_dark_text_on_dark_background_is_hidden(tmp_path):
    # drawn first, but black on near-black: nobody can read it either
    path = redaction_pdf(tmp_path / "r.pdf", f"身份证号：{ID_NUMBER}", [ID_NUMBER], box=DARK_BLUE,
                         box_first=True)
    assert [r.covered_text for r in read_document(str(path)).redactions] == [ID_NUMBER]


def test_box_drawn_over_white_text_is_a_redaction(tmp_path):
    # white text is hidden too once the box comes after it in the content stream
    path = redaction_pdf(tmp_path / "r.pdf", f"身份证号：{ID_NUMBER}", [ID_NUMBER], text=WHITE)
    assert [r.covered_text for r in read_document(str(path)).redactions] == [ID_NUMBER]


@pytest.mark.parametrize("layout", [{"rotate": 90}, {"rotate": 180}, {"rotate": 270}, {"media_offset": True}],
                         ids=["rot90", "rot180", "rot270", "media-offset"])
def test_redaction_in_pdfplumber_coordinates(tmp_path, layout):
    # boxes come from pdfium, characters from pdfium or pdfplumber: both must share pdfplumber's frame
    line = f"身份证号：{ID_NUMBER}，联系电话{MOBILE}。"
    path = redaction_pdf(tmp_path / "r.pdf", line, [ID_NUMBER], **layout)
    document = read_document(str(path))
    lines = visible_lines(document)
    assert lines == plumber_lines(path)
    # pdfplumber reads some turned pages backwards (180, 270): the covered text follows its line
    expected = ID_NUMBER if any(ID_NUMBER in line for line in lines) else ID_NUMBER[::-1]
    assert [r.covered_text for r in document.redactions] == [expected]
    assert document.redactions[0].start is not None
    x0, top, x1, bottom = document.redactions[0].bbox
    with pdfplumber.open(path) as pdf:
        chars = pdf.pages[0].chars
    start = "".join(c["text"] for c in chars).index(ID_NUMBER)
    for char in chars[start:start + len(ID_NUMBER)]:
        assert x0 <= (char["x0"] + char["x1"]) / 2 <= x1 and top <= (char["top"] + char["bottom"]) / 2 <= bottom


@pytest.mark.parametrize("box, hides", [((0, 0, 0, 0.8), True), ((0, 0, 0, 0.6), False), ((0.2, 0.2, 0.2), True),
                                         ((0.5, 0.5, 0.5), False), ((0.8, 0, 0), False)],
                         ids=["cmyk-k80", "cmyk-k60", "gray-20", "gray-50", "red"])
def test_which_boxes_are_dark(tmp_path, box, hides):
    path = redaction_pdf(tmp_path / "r.pdf", f"联系电话{MOBILE}。", [MOBILE], box=box)
    assert [r.covered_text for r in read_document(str(path)).redactions] == ([MOBILE] if hides else [])


def test_redaction_inside_a_form_xobject(tmp_path):
    # pdfium reports a form's inner objects in the form's space: the box must follow the shift
    path = form_pdf(tmp_path / "f.pdf", f"身份证号：{ID_NUMBER}。", ID_NUMBER)
    document = read_document(str(path))
    assert visible_lines(document) == plumber_lines(path)
    assert [r.covered_text for r in document.redactions] == [ID_NUMBER]


def test_thin_rule_is_not_a_redaction(tmp_path):
    path = redaction_pdf(tmp_path / "r.pdf", f"身份证号：{ID_NUMBER}", [ID_NUMBER], box_height=1.5)
    assert read_document(str(path)).redactions == []


# -- pages without text -----------------------------------------------------------------------------

def test_image_only_page_warns(tmp_path):
    document = read_document(str(image_only_pdf(tmp_path / "scan.pdf", pages=2)))
    assert visible_lines(document) == []
    assert document.metadata["pages_without_text"] == [1, 2]
    assert "page 1 has no text layer (scanned image?): needs OCR" in document.warnings


def test_blank_pdf_warns(tmp_path):
    document = read_document(str(blank_pdf(tmp_path / "blank.pdf")))
    assert visible_lines(document) == []
    assert any("no text" in w for w in document.warnings)
    assert document.metadata["pages_without_text"] == []


# -- properties and annotations ---------------------------------------------------------------------

def test_author_is_a_hidden_property(tmp_path):
    path = text_pdf(tmp_path / "p.pdf", [["正文。"]], author=AUTHOR, title="农田水利项目实施方案",
                    keywords="水利,项目")
    document = read_document(str(path))
    properties = document.metadata["properties"]
    assert properties["Author"] == AUTHOR and properties["Title"] == "农田水利项目实施方案"
    assert properties["CreationDate"][:4].isdigit()  # ISO 8601, not D:...
    author = [b for b in document.hidden_blocks if b.location.name == "Author"]
    assert len(author) == 1
    assert author[0].text == AUTHOR
    assert author[0].location.part == "property"
    assert author[0].hidden.kind == "doc_property" and author[0].hidden.detail == "/Author"
    assert {b.location.name for b in document.hidden_blocks} >= {"Author", "Title", "Keywords"}
    assert AUTHOR not in document.visible_text


def test_annotation_and_link(tmp_path):
    path = annotation_pdf(tmp_path / "a.pdf", "请核实此人身份证号", author="王小明",
                          url="https://www.example.gov.cn/xxgk/1.html")
    document = read_document(str(path))
    notes = [b for b in document.hidden_blocks if b.hidden.kind == "annotation"]
    assert len(notes) == 1
    assert notes[0].text == "请核实此人身份证号"
    assert notes[0].hidden.author == "王小明" and notes[0].hidden.detail == "Text"
    assert notes[0].location.part == "annotation" and notes[0].location.page == 1
    assert document.links == [{"url": "https://www.example.gov.cn/xxgk/1.html", "text": "详见网站", "page": "1"}]


def test_embedded_file_is_listed(tmp_path):
    path = attach_file(text_pdf(tmp_path / "e.pdf", [["正文。"]]), "名单.xlsx", b"x" * 1234)
    [embedded] = read_document(str(path)).embedded
    assert (embedded.name, embedded.size, embedded.location.part) == ("名单.xlsx", 1234, "embedded")


def test_repair_gbk_property():
    mojibake = "".join(chr(b) for b in AUTHOR.encode("gbk"))  # GBK bytes read as PDFDocEncoding
    assert _repair_text(mojibake) == AUTHOR
    assert _repair_text("Müller") == "Müller"
    assert _repair_text(AUTHOR) == AUTHOR


def test_pdf_date():
    assert _pdf_date("D:20240315101500+08'00'") == "2024-03-15T10:15:00+08:00"
    assert _pdf_date("D:20240315") == "2024-03-15"
    assert _pdf_date("yesterday") == ""


# -- files that cannot be read ----------------------------------------------------------------------

def test_encrypted_pdf(tmp_path):
    with pytest.raises(DocumentError) as caught:
        read_document(str(encrypted_pdf(tmp_path / "e.pdf")))
    assert caught.value.code == errors.ENCRYPTED
    assert caught.value.hint


def test_encrypted_with_empty_password_is_read(tmp_path):
    document = read_document(str(encrypted_pdf(tmp_path / "e.pdf", user_password="")))
    assert visible_lines(document) == ["加密文件的正文。"]
    assert any("encrypted" in w for w in document.warnings)


def test_truncated_pdf(tmp_path):
    data = text_pdf(tmp_path / "ok.pdf", [["正文。"]]).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[:300])
    with pytest.raises(DocumentError) as caught:
        read_document(str(tmp_path / "cut.pdf"))
    assert caught.value.code == errors.CORRUPT


def test_truncated_but_recoverable_pdf_warns(tmp_path):
    data = text_pdf(tmp_path / "ok.pdf", [["正文。"]]).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: data.rindex(b"startxref")])  # pdfium rebuilds the xref
    document = read_document(str(tmp_path / "cut.pdf"))
    assert visible_lines(document) == ["正文。"]
    assert any("%%EOF" in w for w in document.warnings)


_VALID = None


def _valid_pdf() -> bytes:
    global _VALID
    if _VALID is None:
        with tempfile.TemporaryDirectory() as folder:
            path = text_pdf(Path(folder) / "v.pdf", [[f"第一页正文，联系电话{MOBILE}。"], ["第二页。"]],
                            author="测试")
            _VALID = path.read_bytes()
    return _VALID


def _read_bytes(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.pdf"
        path.write_bytes(data)
        try:
            read_document(str(path))
        except DocumentError:
            pass  # the only failure allowed


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_only_raise_document_error(noise):
    _read_bytes(b"%PDF-1.4\n" + noise)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_pdfs_only_raise_document_error(data):
    valid = _valid_pdf()
    cut = data.draw(st.integers(min_value=1, max_value=len(valid) - 1), label="cut")
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)), max_size=5),
                      label="flips")
    damaged = bytearray(valid)
    for at, value in flips:
        damaged[at] = value
    _read_bytes(bytes(damaged[:cut]) if data.draw(st.booleans(), label="truncate") else bytes(damaged))


# -- devset -----------------------------------------------------------------------------------------

def _devset_pdf_labels(shared_dir) -> list[dict]:
    lines = (shared_dir / "devset" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    return [label for label in map(json.loads, filter(str.strip, lines)) if label["format"] == "pdf"]


def _must_flag(label: dict, category: str, kind: str | None = None) -> list[str]:
    return [item["text"] for item in label["must_flag"]
            if item["category"] == category and (kind is None or item["type"] == kind)]


def test_devset_pdfs(shared_dir):
    devset = shared_dir / "devset"
    labels = _devset_pdf_labels(shared_dir)
    docs = sorted((devset / "docs").glob("*.pdf"))
    assert docs, "no devset PDFs"
    assert sorted(label["file"] for label in labels) == [f"docs/{p.name}" for p in docs]
    read = {}
    for path in docs:
        document = read_document(str(path))
        assert visible_lines(document) == plumber_lines(path), path.name
        with pdfplumber.open(path) as pdf:
            assert document.pages == len(pdf.pages), path.name
        read[f"docs/{path.name}"] = document

    # failed redactions: exactly the texts the labels list under category redaction, in every PDF
    for label in labels:
        redactions = read[label["file"]].redactions
        assert sorted(r.covered_text for r in redactions) == sorted(_must_flag(label, "redaction")), label["file"]
        assert all(r.start is not None for r in redactions), label["file"]
    assert any(_must_flag(label, "redaction") for label in labels)

    # a document-information property labelled hidden/doc_property is the /Author entry
    authored = [(label, text) for label in labels for text in _must_flag(label, "hidden", "doc_property")]
    assert authored
    for label, text in authored:
        assert any(b.location.name == "Author" and b.text == text for b in read[label["file"]].hidden_blocks)

    # the 密级 labelled secret/classification_mark sits in the 版头: first lines of page 1
    marked = [(label, text) for label in labels for text in _must_flag(label, "secret", "classification_mark")]
    assert marked
    for label, text in marked:
        assert any(text in line for line in visible_lines(read[label["file"]])[:5]), label["file"]

    # the documents whose notes describe tables have their ruled tables counted
    tabled = [label for label in labels if "table" in label["notes"]]
    assert tabled
    for label in tabled:
        assert read[label["file"]].metadata.get("pdf_tables"), label["file"]

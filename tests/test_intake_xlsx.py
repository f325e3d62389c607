import io
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.comments import Comment
from openpyxl.styles import Font

from review import errors
from review.config import ScanConfig
from review.errors import DocumentError
from review.intake import read_document


def make_workbook() -> bytes:
    """A 政务公开 list with the usual hiding places: hidden/very hidden sheets, a hidden row and column,
    a comment, white and ';;;' cells, a formula with a cached value, people in the properties."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "公开目录"
    sheet.append(["序号", "文件名称", "公开属性", "内部备注"])
    sheet.append([1, "关于加强政务公开工作的通知", "主动公开", "已审"])
    sheet.append([2, "某某项目内部评估报告", "不予公开", "涉密，勿发布"])
    sheet.append([3, "2024年预算公开说明", "主动公开", None])
    sheet.append([None, None, None, None])
    sheet["A6"] = "=A2+A3"  # Excel would save the value 3 beside the formula; added to the XML below
    sheet.row_dimensions[3].hidden = True
    sheet.column_dimensions["D"].hidden = True
    sheet["B2"].comment = Comment("请核对发文字号", "张三")
    sheet["E2"] = "白色文字里的内部意见"
    sheet["E2"].font = Font(color="FFFFFF")
    sheet["F2"] = "格式隐藏的内容"
    sheet["F2"].number_format = ";;;"
    sheet["B5"].comment = Comment("空单元格上的批注", "王五")
    sheet.oddFooter.center.text = "某某市政府办公室印发"

    hidden = workbook.create_sheet("内部")
    hidden.append(["内部资料", "不得公开"])
    hidden.sheet_state = "hidden"
    very = workbook.create_sheet("底稿")
    very.append(["绝密底稿", 42.5])
    very.sheet_state = "veryHidden"

    workbook.properties.creator = "王五"
    workbook.properties.lastModifiedBy = "李四"
    workbook.properties.title = "政务公开目录"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _patch(buffer.getvalue(), {
        "xl/worksheets/sheet1.xml": (b"<f>A2+A3</f><v></v>", b"<f>A2+A3</f><v>3</v>"),
        "docProps/app.xml": (b"</Properties>", b"<Company>\xe6\x9f\x90\xe6\x9f\x90\xe5\xb1\x80</Company></Properties>"),
    })


def _patch(data: bytes, edits: dict) -> bytes:
    """Rewrite members as Excel would have written them (cached formula value, Company)."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in edits:
                old, new = edits[info.filename]
                assert old in content, info.filename
                content = content.replace(old, new)
            out.writestr(info.filename, content)
    return buffer.getvalue()


VALID = make_workbook()


def read(tmp_path, data: bytes = VALID, name: str = "list.xlsx", config=None):
    path = tmp_path / name
    path.write_bytes(data)
    return read_document(str(path), config)


def hidden(document, kind):
    return [b for b in document.hidden_blocks if b.hidden.kind == kind]


def test_visible_rows_joined_by_tab(tmp_path):
    document = read(tmp_path)
    assert document.format == "xlsx"
    rows = [(b.location.sheet, b.location.row, b.text) for b in document.blocks
            if b.hidden is None and b.location.part == "sheet"]
    assert rows == [
        ("公开目录", 1, "序号\t文件名称\t公开属性"),
        ("公开目录", 2, "1\t关于加强政务公开工作的通知\t主动公开"),
        ("公开目录", 4, "3\t2024年预算公开说明\t主动公开"),
        ("公开目录", 6, "3"),  # the cached value of =A2+A3, not the formula
    ]
    assert "某某市政府办公室印发" in document.visible_text  # printed footer
    assert document.pages == 3


def test_hidden_and_very_hidden_sheets(tmp_path):
    document = read(tmp_path)
    sheets = {b.location.sheet: b for b in hidden(document, "hidden_sheet")}
    assert sheets["内部"].text == "内部资料\t不得公开" and sheets["内部"].hidden.detail == "hidden"
    assert sheets["底稿"].text == "绝密底稿\t42.5" and sheets["底稿"].hidden.detail == "veryHidden"
    assert sheets["底稿"].location.part == "sheet" and sheets["底稿"].location.row == 1
    assert "绝密" not in document.visible_text


def test_hidden_row_and_column(tmp_path):
    document = read(tmp_path)
    rows = hidden(document, "hidden_rows")
    assert [(b.location.row, b.text) for b in rows] == [(3, "2\t某某项目内部评估报告\t不予公开\t涉密，勿发布")]
    columns = hidden(document, "hidden_columns")
    assert [(b.location.row, b.text) for b in columns] == [(1, "内部备注"), (2, "已审")]
    assert "涉密" not in document.visible_text


def test_disguised_cells(tmp_path):
    document = read(tmp_path)
    assert [b.text for b in hidden(document, "white_text")] == ["白色文字里的内部意见"]
    assert [b.text for b in hidden(document, "hidden_text")] == ["格式隐藏的内容"]


def test_comments_with_author(tmp_path):
    document = read(tmp_path)
    comments = {b.text: b for b in hidden(document, "comment")}
    assert set(comments) == {"请核对发文字号", "空单元格上的批注"}
    first = comments["请核对发文字号"]
    assert first.hidden.author == "张三"
    assert (first.location.part, first.location.sheet, first.location.row, first.location.cell) == \
        ("comment", "公开目录", 2, 2)


def test_properties(tmp_path):
    document = read(tmp_path)
    properties = document.metadata["properties"]
    assert properties["dc:creator"] == "王五"
    assert properties["cp:lastModifiedBy"] == "李四"
    assert properties["dc:title"] == "政务公开目录"
    assert properties["app:Company"] == "某某局"
    assert "core:created" in properties
    named = {b.location.name: b for b in hidden(document, "doc_property")}
    assert named["dc:creator"].text == "王五" and named["dc:creator"].location.part == "property"
    assert named["cp:lastModifiedBy"].text == "李四"
    assert named["app:Company"].text == "某某局"


def test_sparse_sheet_is_cheap(tmp_path):
    """A stray cell at the last row and column must not make the reader walk the whole grid."""
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "开头"
    workbook.active["XFD1048576"] = "末尾"
    buffer = io.BytesIO()
    workbook.save(buffer)
    document = read(tmp_path, buffer.getvalue(), config=ScanConfig(timeout_seconds=10))
    assert document.visible_text == "开头\n末尾"


def test_dtd_refused(tmp_path):
    data = _patch(VALID, {"xl/workbook.xml": (b"<workbook", b'<!DOCTYPE x [<!ENTITY e "boom">]><workbook')})
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, data)
    assert caught.value.code == errors.XML_ENTITIES


def test_corrupt_workbook(tmp_path):
    data = _patch(VALID, {"xl/workbook.xml": (b"<sheets>", b"<sheets><broken")})
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, data)
    assert caught.value.code == errors.CORRUPT


def _without(data: bytes, *names: str) -> bytes:
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            if info.filename not in names:
                out.writestr(info.filename, source.read(info.filename))
    return buffer.getvalue()


def test_missing_sheet_part_is_a_warning(tmp_path):
    document = read(tmp_path, _without(VALID, "xl/worksheets/sheet1.xml"))
    assert any("公开目录" in w and "could not be read" in w for w in document.warnings)
    assert "绝密底稿" in document.text


def test_missing_parts_are_corrupt(tmp_path):
    for names in [("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"),
                  ("xl/_rels/workbook.xml.rels",), ("xl/styles.xml", "[Content_Types].xml")]:
        with pytest.raises(DocumentError) as caught:
            read(tmp_path, _without(VALID, *names))
        assert caught.value.code == errors.CORRUPT, names


def test_zip_bomb(tmp_path):
    with pytest.raises(DocumentError) as caught:
        read(tmp_path, config=ScanConfig(max_unzip_bytes=5_000))
    assert caught.value.code == errors.ZIP_BOMB


# --- fuzzing -------------------------------------------------------------------------------------
def _only_document_error(tmp_path, data: bytes) -> None:
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(data)
    try:
        read_document(str(path), ScanConfig(timeout_seconds=20))
    except DocumentError as exc:
        # a __cause__ means the dispatcher had to wrap an exception the parser did not foresee
        assert exc.__cause__ is None or isinstance(exc.__cause__, DocumentError), repr(exc.__cause__)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(1, len(VALID)),
       flips=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=8))
def test_fuzz_zip_bytes(tmp_path, cut, flips):
    data = bytearray(VALID[:cut] if not flips else VALID)
    for at, value in flips:
        if at < len(data):
            data[at] = value
    _only_document_error(tmp_path, bytes(data))


_MEMBERS = sorted(zipfile.ZipFile(io.BytesIO(VALID)).namelist())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(member=st.sampled_from(_MEMBERS), start=st.integers(0, 3000), length=st.integers(0, 100),
       insert=st.binary(max_size=20))
def test_fuzz_parts(tmp_path, member, start, length, insert):
    """Damage one part before zipping, so the damage reaches openpyxl rather than the zip checksum."""
    source, buffer = zipfile.ZipFile(io.BytesIO(VALID)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name in _MEMBERS:
            content = source.read(name)
            if name == member:
                at = min(start, len(content))
                content = content[:at] + insert + content[at + length:]
            out.writestr(name, content)
    _only_document_error(tmp_path, buffer.getvalue())

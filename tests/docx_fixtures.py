"""Generated Word documents for the tests: python-docx for what it can write, then raw OOXML edits for
what it cannot (tracked changes, footnotes, text boxes, custom properties, embedded objects).
All content is invented."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
from docx.shared import Pt, RGBColor

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

TITLE = "示例县农业农村局关于开展春季动物防疫工作的通知"
BODY = "各乡镇农业服务中心：现将有关事项通知如下。"
TABLE_CELL = "申请人联系电话"
HEADER = "秘密★1年"
FOOTER = "示例县农业农村局印发"
HIDDEN = "（内部掌握：对某某的申请暂缓审批。）"
WHITE = "经办人：吴某某 13900000000"
TINY = "极小字号的备注"
COMMENT = "请与张某某再核实，他手机13800007788"
DELETED = "其中某村书记因涉嫌违纪已被留置，暂未通报。"
INSERTED = "新增的一句话。"
FOOTNOTE = "脚注：数据来源于县统计局。"
TEXTBOX = "文本框里的联系人电话"
AUTHOR, LAST_MODIFIED_BY, COMPANY, CUSTOM = "孔某萍", "严某杰", "示例县农业农村局", "内部编号 NB-7"


def rich_docx(path: Path) -> Path:
    """A document with every kind of content the docx parser must find."""
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = HEADER
    section.footer.paragraphs[0].text = FOOTER
    document.add_paragraph(TITLE)
    body = document.add_paragraph(BODY)
    commented = document.add_paragraph("缴费截止时间为12月31日。")
    document.add_comment(commented.runs, text=COMMENT, author="王审核", initials="W")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目"
    table.cell(0, 1).text = TABLE_CELL
    table.cell(1, 0).text = "金额"
    table.cell(1, 1).text = "1200元"
    mixed = document.add_paragraph("可见文字。")
    mixed.add_run(HIDDEN).font.hidden = True
    white = mixed.add_run(WHITE)
    white.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    mixed.add_run(TINY).font.size = Pt(1)
    document.add_paragraph("修订段落：").add_run("REVISION_MARK")
    document.add_paragraph("TEXTBOX_MARK")
    document.core_properties.author = AUTHOR
    document.core_properties.last_modified_by = LAST_MODIFIED_BY
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_post_process(buffer.getvalue()))
    return path


def _post_process(data: bytes) -> bytes:
    parts = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    document_xml = parts["word/document.xml"].decode()
    revision = (f'<w:del w:id="901" w:author="李修订" w:date="2024-01-30T08:00:00Z"><w:r><w:delText>{DELETED}'
                f'</w:delText></w:r></w:del><w:ins w:id="902" w:author="李修订" w:date="2024-01-30T08:01:00Z">'
                f'<w:r><w:t>{INSERTED}</w:t></w:r></w:ins>')
    document_xml = re.sub(r"<w:r>(?:(?!<w:r>).)*?REVISION_MARK</w:t></w:r>", revision, document_xml, count=1)
    textbox = ('<w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
               '<mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>' + TEXTBOX +
               '</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent>'
               '<w:p><w:r><w:t>' + TEXTBOX + '</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback>'
               '</mc:AlternateContent></w:r>')
    document_xml = re.sub(r"<w:r>(?:(?!<w:r>).)*?TEXTBOX_MARK</w:t></w:r>", "<w:r><w:t>锚定段落</w:t></w:r>" + textbox,
                          document_xml, count=1)
    document_xml = document_xml.replace("<w:t>" + BODY + "</w:t></w:r>",
                                        "<w:t>" + BODY + '</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r>', 1)
    parts["word/document.xml"] = document_xml.encode()
    parts["word/footnotes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes {W_NS}>'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:t>{FOOTNOTE}</w:t></w:r></w:p></w:footnote></w:footnotes>').encode()
    parts["docProps/custom.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties '
        'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="内部编号">'
        f'<vt:lpwstr>{CUSTOM}</vt:lpwstr></property></Properties>').encode()
    app = parts["docProps/app.xml"].decode()
    parts["docProps/app.xml"] = app.replace("<Company/>", f"<Company>{COMPANY}</Company>").encode()
    parts["word/embeddings/oleObject1.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    rels = parts["word/_rels/document.xml.rels"].decode()
    rels = rels.replace("</Relationships>",
                        '<Relationship Id="rIdFn" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        'relationships/footnotes" Target="footnotes.xml"/>'
                        '<Relationship Id="rIdOle" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        'relationships/oleObject" Target="embeddings/oleObject1.bin"/></Relationships>')
    parts["word/_rels/document.xml.rels"] = rels.encode()
    types = parts["[Content_Types].xml"].decode()
    types = types.replace("</Types>",
                          '<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-'
                          'officedocument.wordprocessingml.footnotes+xml"/>'
                          '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-'
                          'officedocument.custom-properties+xml"/>'
                          '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.'
                          'oleObject"/></Types>')
    parts["[Content_Types].xml"] = types.encode()
    root_rels = parts["_rels/.rels"].decode()
    parts["_rels/.rels"] = root_rels.replace(
        "</Relationships>", '<Relationship Id="rIdCustom" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>').encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def simple_docx(path: Path, paragraphs: list[str], author: str = "Administrator") -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.core_properties.author = author
    document.core_properties.last_modified_by = author
    document.save(path)
    return path


def rewrite_part(source: Path, target: Path, name: str, content: bytes) -> Path:
    """Copy a docx, replacing one part (for entity attacks and other crafted files)."""
    with zipfile.ZipFile(source) as archive_in, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive_out:
        for item in archive_in.infolist():
            archive_out.writestr(item, content if item.filename == name else archive_in.read(item.filename))
    return target

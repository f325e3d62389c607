"""A small but realistic OFD (GB/T 33190-2016) file, laid out as OFD writers lay it out.

Three A4 pages (210 × 297 mm) of a 公文:
  page 1: 份号, 密级 and 保密期限 (秘密★1年), 紧急程度 in the top left; the 版头 (red 发文机关标志) drawn by a
          template page; 发文字号 with 签发人 on the same line; the title split over two TextObjects; body
          lines, one TextObject each, written to the XML out of reading order; a Highlight annotation
          with a remark.  An attached file (附件 as a separate xlsx) hangs off the document.
  page 2: body continued (one TextObject holding two lines, another nested in a PageBlock, another
          scaled by a CTM), 成文日期, and a white-on-white line.
  page 3: a scanned page: an ImageObject and no text.

`ofd_parts()` gives {member name: bytes} so tests can drop or alter parts; `build_ofd(parts)` zips them.
`with_scanned_page(image, boundary)` puts a real scan in front of those three pages (for the OCR tests).
"""

from __future__ import annotations

import io
import zipfile

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'

BODY = 5.6  # mm: 三号 (16 pt) 仿宋, the 公文 body size
TITLE = 7.7  # mm: 二号 (22 pt) 小标宋


def text_object(obj_id: int, x: float, y: float, text: str, size: float = BODY, *, font: int = 3,
                extra: str = "", inner: str = "") -> str:
    """One line of text: Boundary at (x, y), baseline one font size below the Boundary's top."""
    width = size * len(text)
    deltas = f' DeltaX="g {len(text) - 1} {size:g}"' if len(text) > 1 else ""
    return (f'<ofd:TextObject ID="{obj_id}" Boundary="{x:g} {y:g} {width:g} {size * 1.2:g}" Font="{font}" '
            f'Size="{size:g}"{extra}>{inner}'
            f'<ofd:TextCode X="0" Y="{size:g}"{deltas}>{text}</ofd:TextCode></ofd:TextObject>')


def page_xml(objects: list[str], template: str | None = None) -> str:
    tpl = f'<ofd:Template TemplateID="{template}" ZOrder="Background"/>' if template else ""
    return (f'{HEAD}<ofd:Page {NS}><ofd:Area><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:Area>{tpl}'
            f'<ofd:Content><ofd:Layer ID="2" Type="Body">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>')


RED = '<ofd:FillColor Value="255 0 0"/>'


def ofd_parts() -> dict[str, bytes]:
    ofd = f"""{HEAD}<ofd:OFD {NS} Version="1.0" DocType="OFD">
  <ofd:DocBody>
    <ofd:DocInfo>
      <ofd:DocID>4a1c7e0d2b8f4e6a9c3d5b7f1e2a4c6d</ofd:DocID>
      <ofd:Title>关于加强政务公开保密审查工作的通知</ofd:Title>
      <ofd:Author>王五</ofd:Author>
      <ofd:Subject>政务公开</ofd:Subject>
      <ofd:CreationDate>2024-03-01</ofd:CreationDate>
      <ofd:ModDate>2024-03-02</ofd:ModDate>
      <ofd:Creator>OFD Writer</ofd:Creator>
      <ofd:CreatorVersion>3.2.1</ofd:CreatorVersion>
      <ofd:Keywords><ofd:Keyword>保密</ofd:Keyword><ofd:Keyword>政务公开</ofd:Keyword></ofd:Keywords>
      <ofd:CustomDatas><ofd:CustomData Name="承办人">赵六</ofd:CustomData></ofd:CustomDatas>
    </ofd:DocInfo>
    <ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>
  </ofd:DocBody>
</ofd:OFD>"""

    document = f"""{HEAD}<ofd:Document {NS}>
  <ofd:CommonData>
    <ofd:MaxUnitID>60</ofd:MaxUnitID>
    <ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>
    <ofd:PublicRes>PublicRes.xml</ofd:PublicRes>
    <ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>
    <ofd:TemplatePage ID="1" BaseLoc="Tpls/Tpl_0/Content.xml"/>
  </ofd:CommonData>
  <ofd:Pages>
    <ofd:Page ID="10" BaseLoc="Pages/Page_0/Content.xml"/>
    <ofd:Page ID="20" BaseLoc="Pages/Page_1/Content.xml"/>
    <ofd:Page ID="30" BaseLoc="Pages/Page_2/Content.xml"/>
  </ofd:Pages>
  <ofd:Annotations>Annotations.xml</ofd:Annotations>
  <ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments>
</ofd:Document>"""

    public_res = f"""{HEAD}<ofd:Res {NS} BaseLoc="Res">
  <ofd:Fonts>
    <ofd:Font ID="3" FontName="仿宋_GB2312" FamilyName="仿宋_GB2312"/>
    <ofd:Font ID="4" FontName="方正小标宋简体" FamilyName="方正小标宋简体"/>
  </ofd:Fonts>
</ofd:Res>"""
    document_res = f"""{HEAD}<ofd:Res {NS} BaseLoc="Res">
  <ofd:MultiMedias>
    <ofd:MultiMedia ID="50" Type="Image"><ofd:MediaFile>Image_0.png</ofd:MediaFile></ofd:MultiMedia>
  </ofd:MultiMedias>
</ofd:Res>"""

    # The 版头 is drawn once in a template page that page 1 uses, as many writers do.
    template = page_xml([text_object(5, 52.5, 72, "某某市人民政府文件", 11.6, font=4, inner=RED)])

    page1 = page_xml([
        # body first: writers emit objects in drawing order, not reading order
        text_object(20, 28, 140, "各区县人民政府，市政府各部门："),
        text_object(21, 39.2, 150, "为进一步做好政务公开保密审查工作，现就有关事项通知如下。"),
        text_object(22, 39.2, 160, "一、严格落实先审查后公开制度。"),
        text_object(11, 28, 35, "000123"),
        text_object(12, 28, 42, "秘密★1年"),
        text_object(13, 28, 49, "特急"),
        text_object(14, 28, 95, "某府发〔2024〕12号"),
        text_object(15, 140, 95, "签发人：张三"),
        # a title line split over two objects, which must join without a space
        text_object(16, 35.8, 115, "关于加强政务公开", TITLE, font=4),
        text_object(17, 35.8 + 8 * TITLE, 115, "保密审查工作的通知", TITLE, font=4),
    ], template="1")

    first, second = "二、规范涉密信息的界定与处理。", "各单位应当指定专人负责审查。"
    two_lines = (f'<ofd:TextObject ID="30" Boundary="28 40 160 20" Font="3" Size="{BODY:g}">'
                 f'<ofd:TextCode X="11.2" Y="{BODY:g}" DeltaX="g {len(first) - 1} {BODY:g}">{first}</ofd:TextCode>'
                 f'<ofd:TextCode X="0" Y="{BODY + 10:g}" DeltaX="g {len(second) - 1} {BODY:g}">{second}</ofd:TextCode>'
                 f'</ofd:TextObject>')
    page2 = page_xml([
        two_lines,
        f'<ofd:PageBlock ID="31">{text_object(32, 39.2, 70, "三、本通知自印发之日起施行。")}</ofd:PageBlock>',
        # CTM scaling: the object is written in 1/10 mm units and scaled down
        ('<ofd:TextObject ID="33" Boundary="140 100 60 8" CTM="0.1 0 0 0.1 0 0" Font="3" Size="56">'
         '<ofd:TextCode X="0" Y="56" DeltaX="g 8 56">2024年3月1日</ofd:TextCode></ofd:TextObject>'),
        text_object(34, 28, 200, "内部参考：此处为白色文字", inner='<ofd:FillColor Value="255 255 255"/>'),
    ])
    page3 = (f'{HEAD}<ofd:Page {NS}><ofd:Content><ofd:Layer ID="40">'
             f'<ofd:ImageObject ID="41" Boundary="0 0 210 297" ResourceID="50"/></ofd:Layer></ofd:Content></ofd:Page>')

    annotations = f"""{HEAD}<ofd:Annotations {NS}>
  <ofd:Page PageID="10"><ofd:FileLoc>Annots/Page_0/Annotation.xml</ofd:FileLoc></ofd:Page>
</ofd:Annotations>"""
    annotation = f"""{HEAD}<ofd:PageAnnot {NS}>
  <ofd:Annot ID="55" Type="Highlight" Creator="李四" LastModDate="2024-03-02">
    <ofd:Remark>此段涉及内部讨论意见，公开前删除</ofd:Remark>
    <ofd:Appearance Boundary="39.2 150 160 8">
      <ofd:PathObject ID="56" Boundary="0 0 160 8">
        <ofd:AbbreviatedData>M 0 0 L 160 0 L 160 8 L 0 8 C</ofd:AbbreviatedData>
      </ofd:PathObject>
    </ofd:Appearance>
  </ofd:Annot>
</ofd:PageAnnot>"""

    attachments = f"""{HEAD}<ofd:Attachments {NS}>
  <ofd:Attachment ID="70" Name="附件1 名单" Format="xlsx" CreationDate="2024-03-01" Size="6.2">
    <ofd:FileLoc>名单.xlsx</ofd:FileLoc>
  </ofd:Attachment>
</ofd:Attachments>"""

    parts = {
        "OFD.xml": ofd,
        "Doc_0/Document.xml": document,
        "Doc_0/PublicRes.xml": public_res,
        "Doc_0/DocumentRes.xml": document_res,
        "Doc_0/Tpls/Tpl_0/Content.xml": template,
        "Doc_0/Pages/Page_0/Content.xml": page1,
        "Doc_0/Pages/Page_1/Content.xml": page2,
        "Doc_0/Pages/Page_2/Content.xml": page3,
        "Doc_0/Annotations.xml": annotations,
        "Doc_0/Annots/Page_0/Annotation.xml": annotation,
        "Doc_0/Attachs/Attachments.xml": attachments,
    }
    out = {name: text.encode("utf-8") for name, text in parts.items()}
    out["Doc_0/Res/Image_0.png"] = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a stand-in for the scan
    out["Doc_0/Attachs/名单.xlsx"] = b"PK\x05\x06" + b"\x00" * 18  # an (empty) attached workbook
    return out


SCAN_PAGE = "Doc_0/Pages/Page_S/Content.xml"


def with_scanned_page(image: bytes, boundary: str, *, ctm: str | None = None, page_res: bool = False,
                      media_name: str = "scan.png") -> dict[str, bytes]:
    """ofd_parts() with one more page in front (page 1) whose only content is an ImageObject drawing
    `image` at `boundary` (mm: x y width height), through `ctm` when given. The image is a MultiMedia
    of DocumentRes.xml, or with `page_res` of the page's own PageRes (relative to the page's folder,
    with a BaseLoc), as some writers keep it."""
    parts = ofd_parts()
    document = parts["Doc_0/Document.xml"].decode()
    parts["Doc_0/Document.xml"] = document.replace(
        '<ofd:Page ID="10"', '<ofd:Page ID="9" BaseLoc="Pages/Page_S/Content.xml"/>\n    <ofd:Page ID="10"').encode()
    media = (f'<ofd:MultiMedias><ofd:MultiMedia ID="61" Type="Image"><ofd:MediaFile>{media_name}</ofd:MediaFile>'
             '</ofd:MultiMedia></ofd:MultiMedias>')
    if page_res:
        parts["Doc_0/Pages/Page_S/PageRes.xml"] = f'{HEAD}<ofd:Res {NS} BaseLoc="Res">{media}</ofd:Res>'.encode()
        parts[f"Doc_0/Pages/Page_S/Res/{media_name}"] = image
        res = "<ofd:PageRes>PageRes.xml</ofd:PageRes>"
    else:
        document_res = parts["Doc_0/DocumentRes.xml"].decode()
        parts["Doc_0/DocumentRes.xml"] = document_res.replace(
            "</ofd:MultiMedias>", media.removeprefix("<ofd:MultiMedias>")).encode()
        parts[f"Doc_0/Res/{media_name}"] = image
        res = ""
    transform = f' CTM="{ctm}"' if ctm else ""
    parts[SCAN_PAGE] = (f'{HEAD}<ofd:Page {NS}>{res}<ofd:Area><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:Area>'
                        f'<ofd:Content><ofd:Layer ID="62"><ofd:ImageObject ID="63" Boundary="{boundary}"{transform} '
                        'ResourceID="61"/></ofd:Layer></ofd:Content></ofd:Page>').encode()
    return parts


def build_ofd(parts: dict[str, bytes] | None = None) -> bytes:
    parts = ofd_parts() if parts is None else parts
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()

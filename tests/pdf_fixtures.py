"""Small PDFs built with reportlab for the PDF intake tests. Nothing binary is committed: every test
writes the files it needs into its tmp_path.

Text uses the CID font STSong-Light, which reportlab ships as metrics only (the font is not embedded),
like the devset PDFs; pdfium reads such files a little differently from pdfminer, which is what the
intake has to cope with.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import PDFString
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

A4 = (595.28, 841.89)
LEFT, TOP, SIZE, LEAD = 72.0, 770.0, 14.0, 24.0

BLACK = (0, 0, 0)
WHITE = (1, 1, 1)
DARK_BLUE = (0.05, 0.1, 0.2)

ID_NUMBER = "45030519920417302X"  # invented; the check digit is valid (GB 11643)


def _canvas(path, **kw) -> canvas.Canvas:
    return canvas.Canvas(str(path), pagesize=A4, invariant=1, **kw)


def _lines(c: canvas.Canvas, lines: list[str], size: float = SIZE, y: float = TOP) -> float:
    c.setFont(FONT, size)
    for line in lines:
        c.drawString(LEFT, y, line)
        y -= LEAD
    return y


def text_pdf(path, pages: list[list[str]], *, author: str | None = None, title: str | None = None,
             subject: str | None = None, keywords: str | None = None, encrypt=None) -> Path:
    """One line of text per string, one list of strings per page."""
    c = _canvas(path, encrypt=encrypt)
    if author is not None:
        c.setAuthor(author)
    if title is not None:
        c.setTitle(title)
    if subject is not None:
        c.setSubject(subject)
    if keywords is not None:
        c.setKeywords(keywords)
    for lines in pages:
        _lines(c, lines)
        c.showPage()
    c.save()
    return Path(path)


def redaction_pdf(path, line: str, secrets: list[str], *, box=BLACK, text=BLACK, box_first: bool = False,
                  box_height: float | None = None, rotate: int = 0, media_offset: bool = False) -> Path:
    """`line` on one line, with a filled box over each of `secrets` (its first occurrence).

    box_first draws the boxes before the text (a background), which a reader sees through only when the
    text is light. box is RGB, or CMYK when it has four components. box_height makes thin rules for the
    "not a redaction" cases. rotate sets /Rotate; media_offset moves the media box origin off (0, 0), as
    some scanners and imposition tools do.
    """
    c = _canvas(path)
    if rotate:
        c.setPageRotation(rotate)
    y = TOP
    height = box_height if box_height is not None else SIZE * 1.15

    def draw_boxes():
        if len(box) == 4:
            c.setFillColorCMYK(*box)
        else:
            c.setFillColorRGB(*box)
        for secret in secrets:
            x0 = LEFT + pdfmetrics.stringWidth(line[: line.index(secret)], FONT, SIZE)
            width = pdfmetrics.stringWidth(secret, FONT, SIZE)
            c.rect(x0 - 1, y - SIZE * 0.22, width + 2, height, fill=1, stroke=0)

    def draw_text():
        c.setFillColorRGB(*text)
        c.setFont(FONT, SIZE)
        c.drawString(LEFT, y, line)

    if box_first:
        draw_boxes()
        draw_text()
    else:
        draw_text()
        draw_boxes()
    c.setFillColorRGB(*BLACK)
    _lines(c, ["以下为正文。"], y=y - LEAD)
    c.showPage()
    c.save()
    if media_offset:
        data = Path(path).read_bytes()
        box = b"/MediaBox [ 0 0 595.28 841.89 ]"
        assert box in data
        Path(path).write_bytes(data.replace(box, b"/MediaBox [ 9 9 595.28 841.89 ]"))  # same length
    return Path(path)


def header_box_pdf(path, header: str = "序号 姓名 单位 职务", rows=("1 张三 办公室 科员",)) -> Path:
    """A table header in white text on a dark filled band, as Word draws shaded header rows."""
    c = _canvas(path)
    y = TOP
    c.setFillColorRGB(*DARK_BLUE)
    c.rect(LEFT - 4, y - 6, 400, SIZE + 10, fill=1, stroke=0)
    c.setFillColorRGB(*WHITE)
    c.setFont(FONT, SIZE)
    c.drawString(LEFT, y, header)
    c.setFillColorRGB(*BLACK)
    _lines(c, list(rows), y=y - LEAD)
    c.showPage()
    c.save()
    return Path(path)


def _png(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image  # Pillow comes with reportlab

    image = Image.new("RGB", (width, height), (200, 200, 200))
    for x in range(0, width, 4):
        for y in range(height):
            image.putpixel((x, y), (20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def image_only_pdf(path, pages: int = 1) -> Path:
    """Pages holding only a picture, like a scan without OCR."""
    c = _canvas(path)
    picture = ImageReader(io.BytesIO(_png()))
    for _ in range(pages):
        c.drawImage(picture, 50, 50, width=495, height=740)
        c.showPage()
    c.save()
    return Path(path)


def blank_pdf(path, pages: int = 1) -> Path:
    c = _canvas(path)
    for _ in range(pages):
        c.showPage()
    c.save()
    return Path(path)


def annotation_pdf(path, comment: str, author: str | None = None, url: str | None = None,
                   link_text: str = "详见网站") -> Path:
    """A page with a sticky-note comment and, optionally, a URI link over `link_text`."""
    c = _canvas(path)
    _lines(c, ["正文第一行。", link_text])
    extra = {"T": PDFString(author)} if author else {}  # a bare str must be PDFDocEncoding
    c.textAnnotation(comment, Rect=(400, 700, 420, 720), **extra)
    if url:
        width = pdfmetrics.stringWidth(link_text, FONT, SIZE)
        y = TOP - LEAD
        c.linkURL(url, (LEFT, y - 3, LEFT + width, y + SIZE), thickness=0)
    c.showPage()
    c.save()
    return Path(path)


def table_pdf(path, rows: list[list[str]], col_width: float = 110.0, row_height: float = 24.0) -> Path:
    """A ruled grid with one line of text per cell, and a paragraph above it."""
    c = _canvas(path)
    y = _lines(c, ["附表："])
    c.setLineWidth(0.6)
    c.setFont(FONT, 11)
    for row in rows:
        for j, cell in enumerate(row):
            x = LEFT + j * col_width
            c.rect(x, y - row_height, col_width, row_height, fill=0, stroke=1)
            c.drawString(x + 4, y - row_height + 8, cell)
        y -= row_height
    c.showPage()
    c.save()
    return Path(path)


def encrypted_pdf(path, user_password: str = "userpw", owner_password: str = "owner") -> Path:
    from reportlab.lib.pdfencrypt import StandardEncryption

    encrypt = StandardEncryption(user_password, ownerPassword=owner_password)
    return text_pdf(path, [["加密文件的正文。"]], encrypt=encrypt)


_HANZI = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
          "面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本")


def long_chinese_pdf(path, pages: int = 50, seed: int = 1) -> Path:
    """Dense pages of Chinese text (36 lines of ~36 characters, some with digits): the speed probe."""
    rng = random.Random(seed)
    book = []
    for _ in range(pages):
        lines = []
        for _ in range(36):
            line = "".join(rng.choice(_HANZI) for _ in range(36))
            if rng.random() < 0.2:
                line = f"{line[:10]}，2024年{rng.randint(1, 12)}月，编号AB-{rng.randint(100, 999)}{line[10:20]}"
            lines.append(line)
        book.append(lines)
    c = _canvas(path)
    for lines in book:
        c.setFont(FONT, 12)
        y = 780.0
        for line in lines:
            c.drawString(60, y, line)
            y -= 20
        c.showPage()
    c.save()
    return Path(path)


def tricky_pdf(path) -> Path:
    """Layouts where pdfium's text differs from pdfplumber's: a fake-bold overprint (drawn twice, 0.3pt
    apart), a title whose last character wraps onto a line of its own, a number in a Latin font inside
    a Chinese line, and text turned 90 degrees (a margin note or seal caption)."""
    c = _canvas(path)
    c.setFont(FONT, 20)
    c.drawString(LEFT, TOP, "关于项目资金使用情况的报")
    c.drawString(290, TOP - 32, "告")
    c.setFont(FONT, 14)
    c.drawString(LEFT, TOP - 70, "加粗的标题文字")
    c.drawString(LEFT + 0.3, TOP - 70, "加粗的标题文字")
    c.drawString(LEFT, TOP - 100, "身份证号码：")
    c.setFont("Helvetica", 14)
    c.drawString(LEFT + 84, TOP - 100, ID_NUMBER)
    c.setFont(FONT, 14)
    c.drawString(LEFT, TOP - 130, "正文照常排列，不受影响。")
    c.saveState()
    c.translate(540, 300)
    c.rotate(90)
    c.drawString(0, 0, "旋转的页边文字")
    c.restoreState()
    c.showPage()
    c.save()
    return Path(path)


def form_pdf(path, line: str, secret: str) -> Path:
    """Text and a black box over `secret`, both inside a form XObject placed with a shift, as
    templates, stamps and some converters draw them."""
    c = _canvas(path)
    c.beginForm("shifted")
    c.setFont(FONT, SIZE)
    c.drawString(LEFT, TOP, line)
    x0 = LEFT + pdfmetrics.stringWidth(line[: line.index(secret)], FONT, SIZE)
    c.setFillColorRGB(*BLACK)
    c.rect(x0 - 1, TOP - SIZE * 0.22, pdfmetrics.stringWidth(secret, FONT, SIZE) + 2, SIZE * 1.15, fill=1,
           stroke=0)
    c.endForm()
    c.saveState()
    c.translate(20, -200)
    c.doForm("shifted")
    c.restoreState()
    _lines(c, ["表单之外的正文。"], y=TOP)
    c.showPage()
    c.save()
    return Path(path)


def attach_file(path, name: str, data: bytes) -> Path:
    """Embed a file in an existing PDF (reportlab cannot; pdfium can)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    pdf.new_attachment(name).set_data(data)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    Path(path).write_bytes(out.getvalue())
    return Path(path)

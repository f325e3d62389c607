"""Build the bundled sample documents (all content invented; the agencies are of a fictional 示例县).

    .venv/bin/python scripts/build_samples.py

The files are committed so that `review check samples/` works right after install; this script says
how they were made and rebuilds them. Each sample shows something a reviewer must see:

  01 docx 通知 (主动公开) with a reviewer's comment naming a phone number, a tracked deletion and the
     drafter's name in the document properties;
  02 GBK text 公示 whose 公示 period was never filled in (X月X日);
  03 PDF 审计报告 with black boxes drawn over an ID number and a mobile that are still in the text layer,
     and a staff member as /Author;
  04 portal html page with the 信息公开 metadata table and gambling links hidden by CSS;
  05 OFD 通知 with the marking 秘密★1年 in its head and a hidden annotation;
  06 docx 工作要点 with nothing to flag.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import docx
from docx.shared import Pt, RGBColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "samples"
sys.path.insert(0, str(ROOT / "tests"))  # the OFD writer used by the tests

NOTICE = [
    "示例县农业农村局文件",
    "示农发〔2024〕12号",
    "示例县农业农村局关于做好2024年农业机械报废更新补贴工作的通知",
    "各乡镇人民政府，县直有关单位：",
    "为加快淘汰老旧农业机械，推进农业机械化转型升级，根据省农业农村厅、省财政厅有关文件要求，现就做好我县2024年农业机械报废更新补贴工作通知如下。",
    "一、补贴范围。拖拉机、联合收割机、水稻插秧机等农业机械。",
    "二、补贴标准。按机具类别和功率分档执行，具体见附件。",
    "三、办理程序。农机户向所在乡镇农业综合服务中心提出申请，县农业农村局审核后公示。",
    "咨询电话：0730-1234567（县农业农村局农机股）。",
    "附件：示例县2024年农业机械报废更新补贴标准",
    "示例县农业农村局",
    "2024年4月8日",
    "（此件公开发布）",
]


def notice_docx(path: Path) -> None:
    document = docx.Document()
    for text in NOTICE:
        document.add_paragraph(text)
    schedule = document.paragraphs[7]
    document.add_comment(schedule.runs, text="公示期限请与财务股刘某某确认，他手机13800001234，今天下班前回复",
                         author="办公室审核")
    document.core_properties.author = "周某某"
    document.core_properties.last_modified_by = "周某某"
    document.core_properties.title = NOTICE[2]
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_with_tracked_deletion(buffer.getvalue(), after=NOTICE[7],
                                            deleted="对上年度骗补的两户农机户暂停补贴资格，名单内部掌握，不对外公布。"))


def _with_tracked_deletion(data: bytes, after: str, deleted: str) -> bytes:
    """Word keeps deleted text in w:del runs while tracked changes are on; python-docx cannot write them."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    xml = parts["word/document.xml"].decode()
    revision = (f'<w:del w:id="90" w:author="周某某" w:date="2024-04-07T16:20:00Z"><w:r><w:delText>{deleted}'
                '</w:delText></w:r></w:del>')
    marker = f"<w:t>{after}</w:t></w:r>"
    parts["word/document.xml"] = xml.replace(marker, marker + revision, 1).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def notice_txt(path: Path) -> None:
    text = "\r\n".join([
        "示例县事业单位2024年公开招聘拟聘用人员公示",
        "",
        "根据《事业单位公开招聘人员暂行规定》，经笔试、面试、体检和考察，现将拟聘用人员名单予以公示。",
        "",
        "序号\t姓名\t性别\t出生年月\t报考岗位\t准考证号",
        "1\t林晓红\t女\t1998.05\t县农业技术推广中心技术员\t1145032100317",
        "2\t韦志明\t男\t1996.11\t县疾病预防控制中心检验员\t1145032100422",
        "",
        "公示期：2024年X月X日至X月X日（5个工作日）。",
        "公示期间如有异议，请以书面形式向县人力资源和社会保障局反映。",
        "监督电话：0730-7654321",
        "",
        "示例县人力资源和社会保障局",
        "2024年6月12日",
    ]) + "\r\n"
    path.write_bytes(text.encode("gbk"))


def audit_pdf(path: Path) -> None:
    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    page = canvas.Canvas(str(path), invariant=1)
    page.setAuthor("黄某某")
    page.setTitle("示例县城南大道竣工决算审计报告")
    lines = [
        ("示例县审计局", 18),
        ("示审报〔2024〕5号", 14),
        ("示例县城南大道竣工决算审计报告", 16),
        ("一、项目概况。城南大道全长3.2公里，概算投资8600万元。", 12),
        ("二、审计发现。施工单位项目经理身份证号 ", 12),
        ("联系电话 ", 12),
        ("三、审计意见。建议建设单位核减工程款126.4万元。", 12),
        ("示例县审计局", 12),
        ("2024年9月20日", 12),
    ]
    covered = {4: "430102198507153316", 5: "13900005678"}
    y = 780
    for number, (text, size) in enumerate(lines):
        page.setFont(font, size)
        page.setFillColorRGB(0, 0, 0)
        secret = covered.get(number, "")
        page.drawString(72, y, text + secret)
        if secret:  # the drafter "redacted" by drawing a box over the characters
            x = 72 + pdfmetrics.stringWidth(text, font, size)
            page.rect(x - 1, y - 3, pdfmetrics.stringWidth(secret, font, size) + 2, size + 3, fill=1, stroke=0)
        y -= size * 2
    page.showPage()
    page.save()


def portal_html(path: Path) -> None:
    path.write_text("""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="ArticleTitle" content="示例县人民政府办公室关于做好春节期间烟花爆竹安全管理工作的通知">
<meta name="PubDate" content="2024-01-29 09:00">
<title>示例县人民政府办公室关于做好春节期间烟花爆竹安全管理工作的通知_示例县人民政府</title>
<style>.nav a{margin:0 12px}.seo-links{display:none}</style></head>
<body>
<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/zwfw/">政务服务</a><a href="/hdjl/">互动交流</a></div>
<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 县政府办文件</div>
<table class="xxgk">
<tr><th>索引号：</th><td>11430000MB0000000X/2024-00018</td><th>主题分类：</th><td>安全生产</td></tr>
<tr><th>发布机构：</th><td>示例县人民政府办公室</td><th>成文日期：</th><td>2024-01-26</td></tr>
<tr><th>文号：</th><td>示政办发〔2024〕3号</td><th>公开方式：</th><td>主动公开</td></tr>
</table>
<h1 class="article-title">示例县人民政府办公室关于做好春节期间烟花爆竹安全管理工作的通知</h1>
<div id="zoom">
<p>各乡镇人民政府，县直各单位：</p>
<p>为切实做好春节期间烟花爆竹安全管理工作，保障人民群众生命财产安全，经县人民政府同意，现就有关事项通知如下。</p>
<p>一、严格落实禁限放规定。县城规划区内全年禁止燃放烟花爆竹。</p>
<p>二、加强销售环节监管。未取得零售许可证的，一律不得销售。</p>
<p>举报电话：12345</p>
<p style="text-align:right">示例县人民政府办公室<br>2024年1月26日</p>
<p>（此件公开发布）</p>
</div>
<div class="seo-links"><a href="http://example.invalid/">澳门新葡京娱乐场 线上开户送58元 24小时在线出款</a></div>
<div class="footer">主办：示例县人民政府办公室　网站标识码：4300000001</div>
</body></html>
""", encoding="utf-8")


def secret_ofd(path: Path) -> None:
    from ofd_fixtures import build_ofd

    path.write_bytes(build_ofd())


def clean_docx(path: Path) -> None:
    document = docx.Document()
    for text in ["示例县人民政府办公室关于印发示例县2024年政务公开工作要点的通知",
                 "各乡镇人民政府，县直各单位：",
                 "《示例县2024年政务公开工作要点》已经县人民政府同意，现印发给你们，请认真贯彻落实。",
                 "一、围绕稳定经济运行加强政策发布解读。",
                 "二、围绕优化营商环境加强信息公开。",
                 "示例县人民政府办公室",
                 "2024年3月15日",
                 "（此件公开发布）"]:
        paragraph = document.add_paragraph(text)
        for run in paragraph.runs:
            run.font.size = Pt(16)
            run.font.color.rgb = RGBColor(0, 0, 0)
    document.core_properties.author = "示例县人民政府办公室"
    document.core_properties.last_modified_by = "示例县人民政府办公室"
    document.save(path)


def main() -> None:
    notice_docx(HERE / "01-示例县农机报废更新补贴通知.docx")
    notice_txt(HERE / "02-示例县事业单位拟聘用人员公示.txt")
    audit_pdf(HERE / "03-示例县城南大道竣工决算审计报告.pdf")
    portal_html(HERE / "04-示例县烟花爆竹安全管理通知.html")
    secret_ofd(HERE / "05-某某市政务公开保密审查通知.ofd")
    clean_docx(HERE / "06-示例县政务公开工作要点.docx")


if __name__ == "__main__":
    main()

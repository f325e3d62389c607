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
    "示农发〔2025〕12号",
    "示例县农业农村局关于开展2025年春季动物疫病集中免疫工作的通知",
    "各乡镇农业综合服务中心，县动物疫病预防控制中心：",
    "为有效防控重大动物疫病，保障畜牧业生产安全和公共卫生安全，按照省、市统一部署，决定在全县开展春季动物疫病集中免疫。",
    "一、免疫病种。高致病性禽流感、口蹄疫、小反刍兽疫等强制免疫病种。",
    "二、时间安排。3月1日至4月30日集中免疫，此后实行月月补针。",
    "三、工作要求。各乡镇要逐村逐户建立免疫档案，做到应免尽免、不留空白。",
    "咨询电话：0730-1234567（县农业农村局畜牧股）。",
    "附件：示例县2025年春季动物疫病免疫密度统计表",
    "示例县农业农村局",
    "2025年2月18日",
    "（此件公开发布）",
]


def notice_docx(path: Path) -> None:
    document = docx.Document()
    for text in NOTICE:
        document.add_paragraph(text)
    schedule = document.paragraphs[6]
    document.add_comment(schedule.runs, text="补针安排请与畜牧股刘某某再确认，他手机13800001234，明天上午前回复",
                         author="办公室审核")
    document.core_properties.author = "周某某"
    document.core_properties.last_modified_by = "周某某"
    document.core_properties.title = NOTICE[2]
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_with_tracked_deletion(buffer.getvalue(), after=NOTICE[7],
                                            deleted="上年度免疫密度排名末位的两个乡镇将被约谈，名单暂不对外通报。"))


def _with_tracked_deletion(data: bytes, after: str, deleted: str) -> bytes:
    """Word keeps deleted text in w:del runs while tracked changes are on; python-docx cannot write them."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    xml = parts["word/document.xml"].decode()
    revision = (f'<w:del w:id="90" w:author="周某某" w:date="2025-02-17T16:20:00Z"><w:r><w:delText>{deleted}'
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
        "示例县2025年公开招聘社区工作者拟录用人员名单公示",
        "",
        "经报名、资格审查、笔试、面试和体检，下列人员拟录用为社区工作者，现予公示。",
        "",
        "序号\t姓名\t性别\t出生年月\t拟录用社区\t笔试准考证号",
        "1\t林晓红\t女\t1999.03\t城关镇东门社区\t2503010117",
        "2\t韦志明\t男\t1997.10\t城关镇西街社区\t2503010342",
        "",
        "公示时间：2025年X月X日—X月X日。",
        "对公示人员有异议的，请在公示期内以书面形式实名向县民政局反映。",
        "监督电话：0730-7654321",
        "",
        "示例县民政局",
        "2025年5月12日",
    ]) + "\r\n"
    path.write_bytes(text.encode("gbk"))


def audit_pdf(path: Path) -> None:
    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    page = canvas.Canvas(str(path), invariant=1)
    page.setAuthor("黄某某")
    page.setTitle("示例县滨江路改造工程结算审计报告")
    lines = [
        ("示例县审计局", 18),
        ("示审报〔2024〕5号", 14),
        ("示例县滨江路改造工程结算审计报告", 16),
        ("一、项目概况。滨江路改造全长2.1公里，合同价5200万元。", 12),
        ("二、审计发现。施工单位项目经理身份证号 ", 12),
        ("联系电话 ", 12),
        ("三、审计意见。建议建设单位核减结算款73.5万元。", 12),
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
<meta name="ArticleTitle" content="示例县人民政府办公室关于做好汛期地质灾害防范工作的通知">
<meta name="PubDate" content="2025-05-20 09:00">
<title>示例县人民政府办公室关于做好汛期地质灾害防范工作的通知_示例县人民政府</title>
<style>.nav a{margin:0 12px}.seo-links{display:none}</style></head>
<body>
<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/zwfw/">政务服务</a><a href="/hdjl/">互动交流</a></div>
<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 通知公告</div>
<table class="xxgk">
<tr><th>索引号：</th><td>11430000MB0000000X/2025-00031</td><th>主题分类：</th><td>防灾减灾</td></tr>
<tr><th>发布机构：</th><td>示例县人民政府办公室</td><th>成文日期：</th><td>2025-05-19</td></tr>
<tr><th>文号：</th><td>示政办发〔2025〕9号</td><th>公开方式：</th><td>主动公开</td></tr>
</table>
<h1 class="article-title">示例县人民政府办公室关于做好汛期地质灾害防范工作的通知</h1>
<div id="zoom">
<p>各乡镇人民政府，县直有关单位：</p>
<p>我县已进入主汛期，强降雨引发滑坡、崩塌、泥石流的风险明显上升。经县人民政府同意，现就做好汛期地质灾害防范工作通知如下。</p>
<p>一、开展隐患排查。对已查明的地质灾害隐患点逐一落实监测责任人。</p>
<p>二、及时转移避险。接到预警后，按预案组织受威胁群众转移。</p>
<p>值班电话：0730-6543210；也可拨打12345政务服务便民热线。</p>
<p style="text-align:right">示例县人民政府办公室<br>2025年5月19日</p>
<p>（此件公开发布）</p>
</div>
<div class="seo-links"><a href="http://example.invalid/">葡京娱乐场 新用户开户送体验金 真人百家乐在线</a></div>
<div class="footer">主办：示例县人民政府办公室　网站标识码：4300000001</div>
</body></html>
""", encoding="utf-8")


def secret_ofd(path: Path) -> None:
    """The secret notice; its page 3 is a scanned 回执 (read by OCR) that names a contact and a mobile."""
    from ocr_fixtures import render_page
    from ofd_fixtures import build_ofd, ofd_parts

    parts = ofd_parts()
    scan = render_page([("附件", None, None), ("培训报名回执", None, None),
                        ("单位：某某市某某区人民政府办公室", None, None),
                        ("联系人：王某某　手机：13912340567", "mobile", "13912340567"),
                        ("参训人数：2人", None, None)], dpi=150)
    buffer = io.BytesIO()
    scan.image.save(buffer, "PNG", optimize=True)
    parts["Doc_0/Res/Image_0.png"] = buffer.getvalue()
    path.write_bytes(build_ofd(parts))


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
    notice_docx(HERE / "01-示例县春季动物疫病免疫通知.docx")
    notice_txt(HERE / "02-示例县社区工作者拟录用人员公示.txt")
    audit_pdf(HERE / "03-示例县滨江路改造工程结算审计报告.pdf")
    portal_html(HERE / "04-示例县汛期地质灾害防范通知.html")
    secret_ofd(HERE / "05-某某市政务公开保密审查通知.ofd")
    clean_docx(HERE / "06-示例县政务公开工作要点.docx")


if __name__ == "__main__":
    main()

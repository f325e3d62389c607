"""HTML intake: portal chrome dropped, article and metadata kept, CSS-hidden text surfaced."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review import errors
from review.errors import DocumentError
from review.intake import read_document

NAV = """
<div class="topbar">欢迎访问某县人民政府门户网站 | 无障碍浏览 | 长者模式</div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
"""
FOOTER = """
<div class="tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="footer"><p>主办：某县人民政府办公室 联系电话：0799-6661234</p>
<p>网站标识码：3601000001 <a href="https://beian.miit.gov.cn">赣ICP备12345678号</a> 赣公网安备 36010002000001号</p></div>
"""
METADATA = """
<table class="xxgk">
<tr><th>索引号：</th><td>113601000000000000/2024-00001</td><th>主题分类：</th><td>综合政务</td></tr>
<tr><th>发布机构：</th><td>某县人民政府办公室</td><th>成文日期：</th><td>2024-03-01</td></tr>
<tr><th>文号：</th><td>某府办字〔2024〕7号</td><th>发布日期：</th><td>2024-03-05</td></tr>
<tr><th>公开方式：</th><td>主动公开</td><th>有效性：</th><td>有效</td></tr>
</table>
"""
TITLE = "某县人民政府办公室关于加强春季森林防火工作的通知"


def page(article: str, *, head: str = "", charset: str = "utf-8", extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}">
<meta name="ArticleTitle" content="{TITLE}">
<meta name="PubDate" content="2024-03-05 09:30">
<meta name="ContentSource" content="县政府办">
<meta name="SiteName" content="某县人民政府">
<title>{TITLE}_某县人民政府</title>{head}</head>
<body>{NAV}<div class="main">{METADATA}
<div class="article"><h1 class="article-title">{TITLE}</h1>
<div class="article-info">发布时间：2024-03-05 浏览次数：<em>12</em></div>
<div id="zoom">{article}</div></div></div>{extra}{FOOTER}
<script>document.write("脚本里的文字")</script></body></html>"""


ARTICLE = """
<p>各乡镇人民政府，县直各单位：</p>
<p style="text-indent:2em">春季是森林火灾&ldquo;高发期&rdquo;，现就有关事项通知如下。&lt;此件&gt; &amp; 公开</p>
<p>详见<a href="/fh/2024.html">防火须知</a>。</p>
<p>某县人民政府办公室</p><p>2024年3月1日</p>
"""


def write(tmp_path, name: str, content, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return str(path)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_portal_page_chrome_dropped_article_and_metadata_kept(tmp_path):
    doc = read_document(write(tmp_path, "a.html", page(ARTICLE)))
    visible = doc.visible_text
    assert doc.format == "html" and doc.pages == 1 and doc.encoding == "utf-8"
    for chrome in ("首页", "网站标识码", "赣ICP备", "公网安备", "打印本页", "关闭窗口", "当前位置", "无障碍浏览"):
        assert chrome not in visible, chrome
    chrome_text = " ".join(b.text for b in doc.blocks if b.location.part == "page_chrome")
    assert "网站标识码：3601000001" in chrome_text  # not the document, but scanned for injected spam
    assert "脚本里的文字" not in doc.text
    # title, article (entities decoded), metadata table all visible, in that order
    assert TITLE in visible
    assert "春季是森林火灾“高发期”，现就有关事项通知如下。<此件> & 公开" in visible
    assert visible.index("索引号") < visible.index(TITLE) < visible.index("各乡镇人民政府")
    metadata_blocks = [b for b in doc.blocks if b.location.name == "metadata"]
    assert metadata_blocks and all(b.location.part == "body" and b.hidden is None for b in metadata_blocks)
    assert "113601000000000000/2024-00001" in metadata_blocks[0].text
    portal = doc.metadata["portal"]
    assert portal["索引号"] == "113601000000000000/2024-00001"
    assert portal["公开方式"] == "主动公开"
    assert portal["文号"] == "某府办字〔2024〕7号"
    assert portal["发布机构"] == "某县人民政府办公室" and portal["有效性"] == "有效"
    assert doc.metadata["html_meta"]["ArticleTitle"] == TITLE
    assert doc.metadata["html_meta"]["PubDate"] == "2024-03-05 09:30"
    assert doc.metadata["html_title"] == f"{TITLE}_某县人民政府"
    assert {"url": "/fh/2024.html", "text": "防火须知", "part": "body"} in doc.links
    assert not any("beian" in link["url"] or link["text"] == "首页" for link in doc.links)
    paragraph = next(b for b in doc.blocks if b.text.startswith("各乡"))
    assert paragraph.style == "p" and paragraph.location.part == "body" and paragraph.location.name == "p"
    assert {b.hidden.kind for b in doc.hidden_blocks} == {"page_chrome"}


def test_visible_spam_in_article_stays_contiguous(tmp_path):
    spam = "银河国际娱乐城 首存即送388元红利 百家乐 老虎机 在线投注"
    article = ARTICLE + f'<p><a href="http://yh.example/?ref=zw" target="_blank">{spam}</a></p>'
    doc = read_document(write(tmp_path, "spam.html", page(article)))
    assert spam in doc.visible_text
    assert {"url": "http://yh.example/?ref=zw", "text": spam, "part": "body"} in doc.links


def test_css_hidden_text_is_kept_as_hidden_blocks(tmp_path):
    head = "<style>.seo{display:none} #x1 {visibility: hidden} .nav ul{font-size:0}</style>"
    article = ARTICLE + """
<div style="display: none"><a href="http://jd.example/reg">金鼎国际娱乐城 注册领取体验金66元 提款秒到账</a></div>
<p>正文<span class="seo">隐藏的广告词</span>继续</p>
<div id="x1">身份证号码隐藏段落</div>
<div hidden>属性隐藏文字</div>
<p style="font-size:0px">零号字体文字</p>
<p style="position:absolute;left:-9999px">移出屏幕的文字</p>
"""
    extra = '<div class="seo">页脚附近注入的博彩链接 注册送彩金</div>'
    doc = read_document(write(tmp_path, "hidden.html", page(article, head=head, extra=extra)))
    hidden = {b.text: b for b in doc.hidden_blocks}
    expected = {
        "金鼎国际娱乐城 注册领取体验金66元 提款秒到账": "display:none",
        "隐藏的广告词": "display:none (style rule .seo)",
        "身份证号码隐藏段落": "visibility:hidden (style rule #x1)",
        "属性隐藏文字": "hidden attribute",
        "零号字体文字": "font-size:0",
        "移出屏幕的文字": "off-screen",
        "页脚附近注入的博彩链接 注册送彩金": "display:none (style rule .seo)",  # outside the article
    }
    for text, detail in expected.items():
        block = hidden[text]
        assert block.hidden.kind == "css_hidden" and block.hidden.detail == detail
        assert block.location.part == "css_hidden" and block.location.name in {"div", "span", "p"}
        assert text not in doc.visible_text
    assert "正文继续" in doc.visible_text  # the hidden span does not split the sentence
    assert {"url": "http://jd.example/reg", "text": "金鼎国际娱乐城 注册领取体验金66元 提款秒到账",
            "part": "css_hidden"} in doc.links
    # font-size:0 on the menu list to remove inline-block gaps is not hiding (children are sized)
    nav_head = "<style>.nav ul{font-size:0}.nav li{font-size:14px}</style>"
    doc = read_document(write(tmp_path, "nav.html", page(ARTICLE, head=nav_head)))
    assert not [b for b in doc.hidden_blocks if b.hidden.kind != "page_chrome"]


def test_style_rules_for_print_and_later_overrides_do_not_hide(tmp_path):
    head = ("<style>@media print{#zoom{display:none}} .box{display:none} .box.show{display:block}"
            "a:hover{display:none}</style>")
    article = ARTICLE + '<div class="box show">展开的段落</div><p style="display:block" class="box">内联覆盖</p>'
    doc = read_document(write(tmp_path, "print.html", page(article, head=head)))
    assert "各乡镇人民政府" in doc.visible_text
    assert "展开的段落" in doc.visible_text and "内联覆盖" in doc.visible_text
    assert not [b for b in doc.hidden_blocks if b.hidden.kind != "page_chrome"]


def test_data_table_rows_and_attachments(tmp_path):
    article = ARTICLE + """
<table border="1"><tr><th>序号</th><th>姓名</th><th>身份证号码</th></tr>
<tr><td>1</td><td><p class="MsoNormal"><span>周永福</span></p></td><td>360421197908231544</td></tr></table>"""
    extra = '<div class="attach"><ul><li>附件：<a href="/files/名单.xlsx">1.补贴对象名单.xlsx</a></li></ul></div>'
    html = page(article).replace('</div></div></div>', '</div>' + extra + '</div></div>', 1)
    doc = read_document(write(tmp_path, "table.html", html))
    rows = [b for b in doc.blocks if b.location.part == "table"]
    assert [b.text for b in rows] == ["序号\t姓名\t身份证号码", "1\t周永福\t360421197908231544"]
    assert rows[1].location.table == 0 and rows[1].location.row == 1 and rows[1].style == "tr"
    assert "附件：1.补贴对象名单.xlsx" in doc.visible_text
    assert {"url": "/files/名单.xlsx", "text": "1.补贴对象名单.xlsx", "part": "body"} in doc.links


def test_gbk_page_with_meta_charset(tmp_path):
    doc = read_document(write(tmp_path, "gbk.html", page(ARTICLE, charset="gbk"), encoding="gbk"))
    assert doc.encoding == "gbk"
    assert TITLE in doc.visible_text and doc.metadata["portal"]["公开方式"] == "主动公开"
    # declared gb2312 but holding a GBK-only character (镕): still read, recorded as gbk
    article = "<p>朱镕基同志讲话精神学习材料，各单位认真组织学习。</p>"
    doc = read_document(write(tmp_path, "gb2312.html", page(article, charset="gb2312"), encoding="gbk"))
    assert "朱镕基同志讲话精神" in doc.visible_text and doc.encoding == "gbk"
    assert not doc.warnings


def test_http_equiv_charset_and_undeclared_gbk(tmp_path):
    body = "<p>关于开展安全生产大检查的通知，请各单位认真贯彻落实。</p>"
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=GB2312">'
            f"</head><body>{body}</body></html>")
    doc = read_document(write(tmp_path, "equiv.html", html, encoding="gb2312"))
    assert "安全生产大检查" in doc.visible_text and doc.encoding in {"gb2312", "gbk"}
    doc = read_document(write(tmp_path, "plain.html", f"<html><body>{body * 5}</body></html>", encoding="gbk"))
    assert "安全生产大检查" in doc.visible_text and doc.encoding in {"gbk", "gb18030"}


def test_page_without_article_container_keeps_its_text(tmp_path):
    html = ("<html><body><table><tr><td><a href='/'>首页</a> | <a href='/a'>关于我们</a></td></tr>"
            "<tr><td><font size=3>各有关单位：<br>经研究决定，于2024年4月1日起开展专项整治行动。"
            "<br>请各单位高度重视，认真落实。</font></td></tr></table></body></html>")
    doc = read_document(write(tmp_path, "old.html", html))
    assert "经研究决定，于2024年4月1日起开展专项整治行动。" in doc.visible_text
    assert "首页" not in doc.visible_text
    # nothing but chrome-like text: everything is read rather than nothing
    doc = read_document(write(tmp_path, "links.html", "<html><body><a href='/'>首页</a></body></html>"))
    assert "首页" in doc.visible_text


@pytest.mark.parametrize("html", [
    "<!DOCTYPE html><html><head><title>空页面</title></head><body></body></html>",
    "<html><body><script>var a = '文字';</script><style>p{color:red}</style>\n  &nbsp; </body></html>",
    "<html><body><!-- 注释 --><img src=a.png alt=图片></body></html>",
])
def test_page_without_text_is_empty(tmp_path, html):
    with pytest.raises(DocumentError) as caught:
        read_document(write(tmp_path, "empty.html", html))
    assert caught.value.code == errors.EMPTY
    assert "no text" in str(caught.value)


def test_malformed_and_deeply_nested_html(tmp_path):
    broken = ("<html><body><div id=zoom><p>第一段<td>表格外的格子</td><table><tr><td>甲<tr><td>乙"
              "</div></span></table><p>最后一段 &#x4E2D;&#20013;&bogus; <b><i>交错</b></i>")
    doc = read_document(write(tmp_path, "broken.html", broken))
    for text in ("第一段", "表格外的格子", "甲", "乙", "最后一段 中中&bogus;", "交错"):
        assert text in doc.text
    deep = "<html><body>" + "<div>" * 5000 + "深层文字" + "</div>" * 5000 + "</body></html>"
    doc = read_document(write(tmp_path, "deep.html", deep))
    assert "深层文字" in doc.text
    # text at every level of a deep nest: read in linear time, every level kept
    deep = "<html><body>" + "<div>层层文字" * 3000 + "</div>" * 3000 + "</body></html>"
    doc = read_document(write(tmp_path, "deep2.html", deep))
    assert len(doc.blocks) == 3000


def test_list_layout_metadata_and_utf16(tmp_path):
    html = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于印发某某办法的通知_中国政府网</title>
</head><body><div class="header"><a href="/">首页</a><a href="/zhengce/">政策</a></div>
<div class="xxgk-info"><ul><li><span>索引号：</span>000014349/2024-00012</li><li><span>主题分类：</span>综合政务</li>
<li><span>发文机关：</span>国务院办公厅</li><li><span>标　　题：</span>关于印发某某办法的通知</li>
<li><span>发文字号：</span>国办发〔2024〕1号</li><li><span>发布日期：</span>2024年01月10日</li></ul></div>
<div class="article"><div class="title">关于印发某某办法的通知</div><div class="pages_content"><div id="UCAP-CONTENT">
<p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p><p>《某某办法》已经国务院同意，现印发给你们。</p>
</div></div></div></body></html>"""
    doc = read_document(write(tmp_path, "list.html", html))
    assert doc.metadata["portal"] == {"索引号": "000014349/2024-00012", "主题分类": "综合政务", "发文机关": "国务院办公厅",
                                      "标题": "关于印发某某办法的通知", "发文字号": "国办发〔2024〕1号",
                                      "发布日期": "2024年01月10日"}
    assert "关于印发某某办法的通知\n各省" in doc.visible_text and "首页" not in doc.visible_text
    doc = read_document(write(tmp_path, "utf16.html", b"\xff\xfe" + html.encode("utf-16-le")))
    assert doc.encoding == "utf-16" and doc.metadata["portal"]["索引号"] == "000014349/2024-00012"


HTML_PREFIXES = ["<!DOCTYPE html><html><body>", "<html>", "<div id=zoom>", "<p>", "<table><tr><td>"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(HTML_PREFIXES),
       body=st.one_of(st.text(max_size=300),
                      st.text(alphabet="<>/=\"' &;#abdivpstyletd:none{}.中文", max_size=300)),
       tail=st.binary(max_size=200))
def test_random_input_raises_only_document_error(tmp_path, prefix, body, tail):
    path = tmp_path / "random.html"
    path.write_bytes(prefix.encode() + body.encode("utf-8", "surrogatepass") + tail)
    try:
        doc = read_document(str(path))
    except DocumentError:
        return
    assert doc.pages in (None, 1) and isinstance(doc.text, str)


# -- devset --------------------------------------------------------------------------------------

def _devset_html(shared_dir):
    labels = [json.loads(line) for line in (shared_dir / "devset" / "labels.jsonl").read_text("utf-8").splitlines()
              if line.strip()]
    return [label for label in labels if label["file"].endswith(".html")]


def test_devset_pages_keep_every_labelled_text(shared_dir):
    labels = _devset_html(shared_dir)
    pages = sorted((shared_dir / "devset" / "docs").glob("*.html"))
    assert labels and len(labels) == len(pages)  # every page is labelled, every label is read below
    for label in labels:
        doc = read_document(str(shared_dir / "devset" / label["file"]))
        text = squash(doc.text)
        for item in label["must_flag"]:
            assert squash(item["text"]) in text, (label["file"], item["text"])
        assert doc.metadata["portal"].get("索引号"), label["file"]
        assert "首页" not in doc.visible_text and "网站标识码" not in doc.visible_text, label["file"]


def test_devset_injected_spam(shared_dir):
    """Spam the labels also mark css_hidden is read as a hidden block; other spam stays in the visible text."""
    seen = {"hidden": 0, "visible": 0}
    for label in _devset_html(shared_dir):
        spam = [item["text"] for item in label["must_flag"] if item["category"] == "spam"]
        if not spam:
            continue
        css_hidden = {item["text"] for item in label["must_flag"]
                      if item["category"] == "hidden" and item["type"] == "css_hidden"}
        doc = read_document(str(shared_dir / "devset" / label["file"]))
        for text in spam:
            if text in css_hidden:
                assert any(text in b.text and b.hidden.kind == "css_hidden" for b in doc.hidden_blocks), label["file"]
                assert text not in doc.visible_text, label["file"]
                seen["hidden"] += 1
            else:
                assert text in doc.visible_text, label["file"]
                seen["visible"] += 1
    assert seen["hidden"] and seen["visible"], seen  # both kinds of injection are exercised


def test_spam_injected_in_the_footer_is_flagged_and_the_rest_of_the_chrome_is_not(tmp_path):
    from review.pipeline import review_file
    injected = FOOTER.replace("</div>\n", '<p><a href="http://x.example">真人百家乐 注册即送彩金</a></p></div>\n', 1)
    path = write(tmp_path, "spam.html", page(ARTICLE).replace(FOOTER, injected))
    report = review_file(str(path))
    chrome_flags = [f for f in report.flags if f.location.part == "page_chrome"]
    assert [f.category for f in chrome_flags] == ["spam"]
    assert "百家乐" in chrome_flags[0].text
    # the footer's office phone, ICP and site numbers are chrome: no other rule reads them
    clean = review_file(str(write(tmp_path, "clean.html", page(ARTICLE))))
    assert not [f for f in clean.flags if f.location.part == "page_chrome"]
    assert report.metadata.title == clean.metadata.title == TITLE


def test_comments_in_the_page_source_are_scanned_and_text_in_them_is_flagged(tmp_path):
    from review.pipeline import review_file
    head = "<!--[if lt IE 9]><script src=html5shiv.js></script><![endif]-->"
    article = ARTICLE + """
<!-- 头部开始 -->
<!-- <p>经办人：王建国，联系电话：13912345678，请勿对外公开。</p> -->
<!--#include virtual="/inc/footer.shtml" -->
"""
    doc = read_document(write(tmp_path, "comments.html", page(article, head=head)))
    comments = [b for b in doc.hidden_blocks if b.hidden.kind == "html_comment"]
    assert [b.text for b in comments] == ["头部开始", "经办人：王建国，联系电话：13912345678，请勿对外公开。"]
    assert all(b.location.part == "html_comment" for b in comments)
    assert "13912345678" not in doc.visible_text and "头部开始" not in doc.visible_text
    report = review_file(write(tmp_path, "comments.html", page(article, head=head)))
    in_comments = [f for f in report.flags if f.location.part == "html_comment"]
    # the commented-out line is flagged as hidden text, and its mobile number as personal data;
    # the short template marker is scanned but not flagged
    assert {f.rule for f in in_comments} >= {"hidden.html_comment", "personal.mobile"}
    assert not [f for f in in_comments if "头部开始" in f.text]
    mobile = next(f for f in in_comments if f.rule == "personal.mobile")
    assert mobile.text == "13912345678"

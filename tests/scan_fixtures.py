"""A small legacy archive for scan tests, and worker functions that misbehave on purpose.

The misbehaving reviewers are top-level functions so that worker processes can import them by name.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import docx_fixtures
from review.detect.validators import id_check_digit
from review.scan.work import review_item


def valid_id(first17: str = "11010519491231002") -> str:
    return first17 + id_check_digit(first17)


def notice(n: int, extra: str = "") -> str:
    return (f"示例县人民政府办公室关于做好第{n}批项目申报工作的通知\n各乡镇人民政府，县直各单位：\n"
            f"为做好项目申报工作，现将有关事项通知如下。请各单位按时报送材料。{extra}\n"
            "示例县人民政府办公室\n2025年3月1日\n")


def build_archive(root: Path) -> dict[str, str]:
    """Write a mixed archive under root; return {display path: what it holds}."""
    expected = {}
    (root / "通知").mkdir(parents=True)
    (root / "名单").mkdir()
    for n in range(3):
        (root / "通知" / f"通知{n}.txt").write_text(notice(n), encoding="utf-8")
        expected[f"通知/通知{n}.txt"] = "clean"
    person = f"申请人张某某，身份证号{valid_id()}，联系电话13912345678，请予以审核。"
    (root / "名单" / "申请人.txt").write_text(notice(9, person), encoding="utf-8")
    expected["名单/申请人.txt"] = "personal"
    (root / "名单" / "申请人-副本.txt").write_bytes((root / "名单" / "申请人.txt").read_bytes())
    expected["名单/申请人-副本.txt"] = "duplicate"
    docx_fixtures.simple_docx(root / "名单" / "会议.docx", ["示例县关于申报工作的会议纪要", person])
    expected["名单/会议.docx"] = "personal"
    (root / "空文件.txt").write_bytes(b"")
    expected["空文件.txt"] = "error"
    (root / "损坏.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    expected["损坏.pdf"] = "error"
    (root / ".hidden.txt").write_text("skipped", encoding="utf-8")

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("深层/联系人.txt", notice(7, "联系人李某某，手机13712345678。"))
    with zipfile.ZipFile(root / "旧档案.zip", "w") as archive:
        archive.writestr("2019/通知.txt", notice(5))
        archive.writestr("../逃逸.txt", notice(6))  # path traversal: only ever a label
        archive.writestr("内层.zip", inner.getvalue())
    expected["旧档案.zip!/2019/通知.txt"] = "clean"
    expected["旧档案.zip!/../逃逸.txt"] = "clean"
    expected["旧档案.zip!/内层.zip!/深层/联系人.txt"] = "personal"
    return expected


def crash_or_hang(item, config) -> str:
    """Reviews like the real worker, except that a file named crash* kills its process and hang* sleeps."""
    name = os.path.basename(item.path)
    if name.startswith("crash"):
        os._exit(7)
    if name.startswith("hang"):
        time.sleep(3600)
    return review_item(item, config)

"""Masking: how a flagged value should look once it is fit to publish. The suggestion in a flag shows it.

Conventions (the number-like ones configurable through keep_head / keep_tail):

- 身份证号 360731********2263: region (6) and last 4 kept, the birth date hidden. This is what 民政 低保/特困 公示
  and 人社 公示 usually publish (and what the devset labels treat as masked): residents can still tell namesakes
  apart, the sensitive part is gone. `ID_CARD_STRICT` = (1, 1) gives 3****************X where no part is needed.
- 手机号 138****1234: the form carriers, banks and most 公示 use.
- 银行卡 ***************1240: the last 4 identify the card to its holder and to nobody else.
- 车牌 赣A***12: province, issuing office and last 2, as 交警 违法 公示 publish plates.
- 姓名 张** / 欧阳**: surname kept, one * per hidden character; compound surnames from the 1,074-surname list
  shipped in review/data/surnames.tsv.
- 地址 荆州市沙市区***: administrative prefix down to 乡镇/街道 kept, 村/路/号/栋/单元/室 dropped.
- e-mail z***@163.com: first character and domain kept.

Properties every function keeps (tests/test_masking.py checks them with hypothesis): masking is idempotent, the output
never contains the whole original value, and for number-like kinds the output has the input's length, with
separators (spaces, hyphens, ·) left where they were.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

__all__ = [
    "MASK", "ID_CARD_STRICT", "mask", "mask_id_card", "mask_mobile", "mask_bank_card", "mask_landline", "mask_name",
    "mask_address", "mask_plate", "mask_email", "mask_digits", "compound_surnames",
]

MASK = "*"
ID_CARD_STRICT = (1, 1)
_MASK_CHARS = "*＊×✱●■"
# characters that hold a digit's place: digits, ID check letter, plate and passport letters, or a mask already
_SLOT = re.compile(rf"[0-9A-Za-z{re.escape(_MASK_CHARS)}]")


def mask_digits(value: str, keep_head: int, keep_tail: int, mask_char: str = MASK) -> str:
    """Hide every digit or letter except the first keep_head and the last keep_tail; separators stay in place.

    Positions are counted over digits, letters and mask characters alike, so a masked value masks to itself.
    A value too short to keep that much keeps at most a quarter of its characters at each end instead.
    """
    slots = [m.start() for m in _SLOT.finditer(value)]
    n = len(slots)
    if n == 0:
        return value
    if keep_head + keep_tail >= n:
        keep_head, keep_tail = min(keep_head, n // 4), min(keep_tail, n // 4)
    chars = list(value)
    for i in slots[keep_head:n - keep_tail]:
        chars[i] = mask_char
    return "".join(chars)


def mask_id_card(value: str, keep_head: int = 6, keep_tail: int = 4) -> str:
    """360731197511064716 → 360731********4716 (region, last 4); keep_head=1, keep_tail=1 → 3****************6."""
    return mask_digits(value, keep_head, keep_tail)


_COUNTRY_CODE = re.compile(r"^\s*(?:\+|00)?86[\s-]?(?=1)")


def mask_mobile(value: str, keep_head: int = 3, keep_tail: int = 4) -> str:
    """13812345678 → 138****5678; +86 138-1234-5678 → +86 138-****-5678 (the country code is not the number)."""
    prefix = _COUNTRY_CODE.match(value)
    cut = prefix.end() if prefix and len(_SLOT.findall(value[prefix.end():])) == 11 else 0
    return value[:cut] + mask_digits(value[cut:], keep_head, keep_tail)


def mask_bank_card(value: str, keep_head: int = 0, keep_tail: int = 4) -> str:
    """6228481861073951240 → ***************1240; 6228 4818 6107 3951 240 keeps its spaces."""
    return mask_digits(value, keep_head, keep_tail)


_AREA_CODE = re.compile(r"^\s*[(（]?(0(?:10|2\d|[3-9]\d\d))[)）]?[\s\-—–]?")


def mask_landline(value: str, keep_tail: int = 2) -> str:
    """0791-86628054 → 0791-******54: the area code says only the city, the local number is hidden but for 2."""
    area = _AREA_CODE.match(value)
    cut = area.end() if area else 0
    return value[:cut] + mask_digits(value[cut:], 0, keep_tail)


_PLATE = re.compile(r"^([\u4e00-\u9fff][A-Za-z][·•\s]?)(.*)$")


def mask_plate(value: str, keep_tail: int = 2) -> str:
    """赣A12345 → 赣A***45, 赣A·12345 → 赣A·***45, 鄂AD72315 → 鄂A****15: province and issuing office kept."""
    match = _PLATE.match(value)
    if not match:
        return mask_digits(value, 0, keep_tail)
    return match.group(1) + mask_digits(match.group(2), 0, keep_tail)


def mask_email(value: str) -> str:
    """zhangsan@163.com → z***@163.com. The domain stays: it tells the reader which mailbox service, not whose."""
    local, at, domain = value.partition("@")
    if not at:
        return mask_digits(value, 1, 0)
    head = local[:1] if local[:1] not in _MASK_CHARS else ""
    return f"{head}{MASK * 3}@{domain}"


@lru_cache(maxsize=1)
def compound_surnames() -> frozenset[str]:
    """Two-character surnames (欧阳, 司马, 诸葛…) from the shipped surname list."""
    text = resources.files("review").joinpath("data", "surnames.tsv").read_text(encoding="utf-8")
    names = (line.split("\t")[0] for line in text.splitlines() if line and not line.startswith("#"))
    return frozenset(name for name in names if len(name) == 2)


def mask_name(value: str, mask_char: str = MASK) -> str:
    """张三 → 张*, 张德福 → 张**, 欧阳娜娜 → 欧阳**. The middle dot of minority names stays (阿依·买买提 → 阿*·***).

    A name no longer than its compound surname (欧阳 alone) is read as a one-character surname: 欧*.
    """
    name = value.strip()
    if not name:
        return value
    keep = 2 if name[:2] in compound_surnames() and len(name) > 2 else 1
    if len(name) == 1:
        keep = 0
    lead = value[: len(value) - len(value.lstrip())]
    body = "".join(ch if ch in "·•." or ch in _MASK_CHARS else mask_char for ch in name[keep:])
    return lead + name[:keep] + body + value[len(lead) + len(name):]


# what an address has below the township: digits, 村, 路/街/巷/弄, 号, 栋/幢, 单元, 室, 组 (but 街道 is a township)
_BELOW_TOWNSHIP = re.compile(r"\d|[村路巷弄号栋幢室组]|街(?!道)|单元")


def mask_address(value: str, mask_char: str = MASK) -> str:
    """荆州市沙市区塔桥路68号2栋3单元502室 → 荆州市沙市区***; 谷城县石花镇黄畈村三组28号 → 谷城县石花镇***.

    The administrative prefix the gazetteer recognises is kept down to 乡镇/街道; everything below it (村, 路, 号, 栋,
    单元, 室) becomes *** (a fixed 3, so the length of the hidden part does not leak either). An address that is only
    administrative names loses its last one (荆州市沙市区 → 荆州市***); one with no recognised prefix becomes ***.
    """
    from review.detect.gazetteer import find_addresses

    stripped = value.rstrip()
    tail = value[len(stripped):]
    marker = mask_char * 3
    if stripped.endswith(marker) and not _BELOW_TOWNSHIP.search(stripped[: -len(marker)]):
        return value  # already masked: nothing below the township is left before the ***
    matches = [m for m in find_addresses(stripped) if m.start == 0]
    keep = 0
    if matches:
        match = matches[0]
        keep = match.admin_end
        if keep >= len(stripped):  # nothing below the township: hide the last administrative name
            admin = [text for kind, text in match.parts]
            keep = len(stripped) - len(admin[-1]) if len(admin) > 1 else 0
    return stripped[:keep] + marker + tail


def mask(kind: str, value: str) -> str:
    """Mask value by kind: the validator names (id_card, mobile, bank_card…) plus name/person_name and address."""
    function = _BY_KIND.get(kind)
    if function is None:
        return mask_digits(value, 0, 0) if any(ch.isalnum() for ch in value) else value
    return function(value)


_BY_KIND = {
    "id_card": mask_id_card,
    "id_card_15": lambda v: mask_digits(v, 6, 3),
    "mobile": mask_mobile,
    "landline": mask_landline,
    "bank_card": mask_bank_card,
    "luhn": mask_bank_card,
    "plate": mask_plate,
    "passport": lambda v: mask_digits(v, 1, 2),
    "hk_mo_permit": lambda v: mask_digits(v, 1, 2),
    "tw_permit": lambda v: mask_digits(v, 0, 2),
    "credit_code": lambda v: mask_digits(v, 8, 2),
    "email": mask_email,
    "name": mask_name,
    "person_name": mask_name,
    "address": mask_address,
}

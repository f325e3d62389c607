"""Validators: is this candidate string really an ID number, a card number, a phone number...?

Each validator is a pure function `(value: str) -> Check`. A regex finds candidates; the validator decides and says
why in a short English phrase that goes straight into the flag's explanation, so an approver can see that
"450121198703152317" was flagged because its check digit, region and birth date all hold, and that
"102070102120003658" was not because its check digit is wrong.

Validators look at the value only. Context (卡号 before a number, 办公电话 before a phone number) is the caller's
business, with one exception documented on `bank_card`: an 18-digit number needs the caller to say the context
makes it a card.

Reference data (GB/T 2260 region codes, landline area codes) ships in review/data/ and is read once, lazily.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Callable, NamedTuple

__all__ = [
    "Check", "VALIDATORS", "id_card", "id_card_15", "luhn", "bank_card", "mobile", "landline", "credit_code",
    "plate", "passport", "hk_mo_permit", "tw_permit", "email", "is_masked", "region_name", "id_check_digit",
    "credit_code_check_char", "normalise",
]


class Check(NamedTuple):
    """A validator's verdict and the reason, e.g. Check(False, "GB 11643 check digit is 3, found 7")."""

    ok: bool
    detail: str


# Full-width digits and letters turn up in Word documents typed with a Chinese IME; compare them as ASCII.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space


def normalise(value: str) -> str:
    """Full-width ASCII to half-width, surrounding whitespace removed."""
    return value.translate(_FULLWIDTH).strip()


# --------------------------------------------------------------------------------------------------------------
# Reference data

def _data_lines(name: str):
    text = resources.files("review").joinpath("data", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            yield line.split("\t")


class Region(NamedTuple):
    code: str
    name: str
    former_names: tuple[str, ...]
    first_year: int
    last_year: int


@lru_cache(maxsize=1)
def _regions() -> dict[str, Region]:
    out = {}
    for code, name, former, first, last in _data_lines("region_codes.tsv"):
        out[code] = Region(code, name, tuple(n for n in former.split("|") if n), int(first), int(last))
    return out


@lru_cache(maxsize=1)
def _area_codes() -> dict[str, str]:
    return {code: place for code, place in _data_lines("area_codes.tsv")}


_PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级行政单位"}


def region_name(code: str) -> str | None:
    """The place a 6-digit GB/T 2260 code stands for, with its province and prefecture: '江西省吉安市吉州区'.

    Abolished codes resolve to their last name ('510103' → '四川省成都市西城区'). None if the code never existed.
    """
    regions = _regions()
    region = regions.get(code)
    if region is None:
        return None
    parts = []
    for parent in (code[:2] + "0000", code[:4] + "00"):
        if parent != code and parent in regions and regions[parent].name not in _PLACEHOLDER_NAMES:
            parts.append(regions[parent].name)
    if region.name not in _PLACEHOLDER_NAMES or not parts:
        parts.append(region.name)
    return "".join(parts)


def _years(region: Region) -> str:
    return f"valid {region.first_year}–{'today' if region.last_year >= 2023 else region.last_year}"


def _check_region(code: str, *, what: str = "region") -> Check:
    """A county-level code, or a prefecture-level one (东莞 441900, 中山 442000 have no counties); never a province."""
    region = _regions().get(code)
    if region is None or code.endswith("0000"):
        return Check(False, f"{what} {code} is not a GB/T 2260 county code (1980–2023)")
    return Check(True, f"{what} {code} {region_name(code)} ({_years(region)})")


# --------------------------------------------------------------------------------------------------------------
# 居民身份证号 (GB 11643-1999)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # indexed by (weighted sum mod 11)
_ID_18 = re.compile(r"\d{17}[\dX]")
EARLIEST_BIRTH = date(1900, 1, 1)


def id_check_digit(first17: str) -> str:
    """The GB 11643 ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def _birth_date(yyyymmdd: str, today: date) -> tuple[date | None, str]:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None, f"birth date {yyyymmdd} is not a real date"
    if born > today:
        return None, f"birth date {born.isoformat()} is in the future"
    if born < EARLIEST_BIRTH:
        return None, f"birth date {born.isoformat()} is before 1900"
    return born, f"born {born.isoformat()}"


def id_card(value: str, *, today: date | None = None) -> Check:
    """18-digit 居民身份证号: check digit (X in either case), region code ever valid in GB/T 2260, real birth date.

    The check digit is tested first: it is the cheapest test and rejects 10 of 11 random numbers.
    """
    number = normalise(value).upper()
    if not _ID_18.fullmatch(number):
        return Check(False, "not 17 digits followed by a digit or X")
    expected = id_check_digit(number[:17])
    if number[17] != expected:
        return Check(False, f"GB 11643 check digit is {expected}, found {number[17]}")
    region = _check_region(number[:6])
    if not region.ok:
        return region
    born, born_detail = _birth_date(number[6:14], today or date.today())
    if born is None:
        return Check(False, born_detail)
    return Check(True, f"GB 11643 check digit ok; {region.detail}; {born_detail}")


def id_card_15(value: str, *, today: date | None = None) -> Check:
    """Legacy 15-digit ID (issued 1984–2004, no check digit): region code, then YYMMDD read as 19YY."""
    number = normalise(value)
    if not re.fullmatch(r"\d{15}", number):
        return Check(False, "not 15 digits")
    region = _check_region(number[:6])
    if not region.ok:
        return region
    born, born_detail = _birth_date("19" + number[6:12], today or date.today())
    if born is None:
        return Check(False, born_detail)
    return Check(True, f"15-digit ID (no check digit); {region.detail}; {born_detail}")


# --------------------------------------------------------------------------------------------------------------
# Bank cards

def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn(value: str) -> Check:
    """ISO/IEC 7812 (Luhn) checksum over a digit string; spaces and hyphens between digit groups are ignored."""
    digits = re.sub(r"[\s-]", "", normalise(value))
    if not re.fullmatch(r"\d{2,}", digits):
        return Check(False, "not a digit string")
    return Check(True, "Luhn checksum ok") if _luhn_ok(digits) else Check(False, "Luhn checksum fails")


# Issuer prefixes, kept deliberately coarse (a BIN table goes stale and is not freely licensed):
#   62…            China UnionPay: nearly every card issued in China today (e.g. 6222 ICBC, 6228 ABC, 6217 CCB/BOC)
#   60…, 65…       other 6-series: domestic debit cards predating UnionPay's 62 range (601382 BOC), Discover
#   4…             Visa; 5 (51–55) and 2221–2720: Mastercard; 3 (35 JCB, 36/38 Diners): 15-digit Amex excluded by length
#   9…             pre-1990s domestic cards and passbook accounts (9558 ICBC, 95595…), still printed on old records
_CARD_LENGTHS = range(16, 20)


def _issuer(digits: str) -> str | None:
    if digits.startswith("62"):
        return "China UnionPay (62)"
    first = digits[0]
    if first == "6":
        return "6-series debit card"
    if first == "4":
        return "Visa (4)"
    if first == "5":
        return "Mastercard (5)" if "51" <= digits[:2] <= "55" else "5-series card"
    if first == "2" and 2221 <= int(digits[:4]) <= 2720:
        return "Mastercard (2221–2720)"
    if first == "3":
        return "JCB/Diners (3)"
    if first == "9":
        return "domestic 9-series card"
    return None


def bank_card(value: str, *, context_ok: bool = False) -> Check:
    """Bank card number: 16–19 digits (groups of 4 allowed), a plausible issuer prefix, Luhn valid.

    Why an 18-digit number needs `context_ok`: one random number in ten passes Luhn, so an 18-digit string that is
    really a mistyped 身份证号, an account or an index number would become a "card" by chance. A valid 18-digit ID is
    never a card; any other 18-digit number is a card only when the caller has seen 卡号/账号/银行 beside it and
    passes context_ok=True.
    """
    digits = re.sub(r"[\s-]", "", normalise(value))
    if not digits.isdigit() or not digits.isascii():
        return Check(False, "not a digit string")
    if len(digits) not in _CARD_LENGTHS:
        return Check(False, f"{len(digits)} digits, cards have 16–19")
    if len(digits) == 18:
        if id_card(digits).ok:
            return Check(False, "18 digits forming a valid 身份证号, not a card")
        if not context_ok:
            return Check(False, "18 digits: needs 账号/卡号 context")
    issuer = _issuer(digits)
    if issuer is None:
        return Check(False, f"prefix {digits[:2]} is not a card issuer's")
    if not _luhn_ok(digits):
        return Check(False, f"{len(digits)} digits, {issuer}, Luhn checksum fails")
    return Check(True, f"{len(digits)} digits, {issuer}, Luhn checksum ok")


# --------------------------------------------------------------------------------------------------------------
# Phones

# Mainland mobile number blocks allocated by 工信部 (MIIT) for public service, as of 2024, cross-checked with
# Google libphonenumber 9.0 (which has 14[57] only and 174 only as 1740x satellite):
#   13x · 145/147/149 data cards and 146/148 IoT-capable voice (14[5-9]) · 15[0-35-9] (154 unused)
#   162/165/167 virtual operators, 166 Unicom · 17[0-8]: 170/171 virtual, 172 IoT, 173/177 Telecom, 174 satellite,
#   175/176 Unicom, 178 Mobile · 18x · 19[0-35-9]: 190/191/193/199 Telecom, 192 China Broadnet, 195/197/198 Mobile,
#   196 Unicom (194 not allocated). 140–144 are 13-digit IoT numbers and never 11 digits.
_MOBILE_PREFIX = r"1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"
_MOBILE = re.compile(rf"(?:(?:\+|00)?86[\s-]?)?({_MOBILE_PREFIX})[\s-]?(\d{{4}})[\s-]?(\d{{4}})")


def mobile(value: str) -> Check:
    """Mainland mobile number: 11 digits in an allocated block; +86/86/0086 prefix and 3-4-4 grouping accepted."""
    text = normalise(value)
    match = _MOBILE.fullmatch(text)
    if match:
        return Check(True, f"mobile number in allocated block {match.group(1)}")
    digits = re.sub(r"[\s+-]", "", text)
    if re.fullmatch(r"(?:0086|86)?1\d{10}", digits):
        return Check(False, f"block {digits[-11:][:3]} is not allocated to mobile service")
    return Check(False, "not an 11-digit mainland mobile number")


_LANDLINE = re.compile(
    r"(?:(?:\+|00)86[\s-]?(?P<intl>[1-9]\d{1,2})|[(（]?(?P<area>0\d{2,3})[)）]?)"
    r"[\s\-—–]?(?P<local>[2-9]\d{2,3}[\s-]?\d{4})"
    r"(?:\s*(?:转|分机|-|ext\.?|x)\s*(?P<ext>\d{1,5}))?", re.IGNORECASE)


def landline(value: str) -> Check:
    """Mainland fixed-line number: a real area code (010, 02x, 0xxx), a 7–8 digit local number, optional extension.

    Area codes come from review/data/area_codes.tsv (libphonenumber's metadata plus codes retired since 2007).
    A number written without its area code cannot be told from any other 7–8 digit figure and is refused.
    """
    match = _LANDLINE.fullmatch(normalise(value))
    if not match:
        return Check(False, "not an area code followed by a 7–8 digit number")
    area = match.group("area") or "0" + match.group("intl")
    local = re.sub(r"[\s-]", "", match.group("local"))
    codes = _area_codes()
    # The regex reads 4 digits of area code when it can ('0791'); written without a separator, Beijing's
    # '01062345678' reads as '0106' + '2345678', so fall back to the 3-digit code (010, 02x) the digits start with.
    if area not in codes and len(area) == 4 and area[:3] in codes:
        area, local = area[:3], area[3] + local
    if area not in codes:
        return Check(False, f"area code {area} is not a mainland area code")
    if len(local) not in (7, 8) or (len(area) == 3 and len(local) != 8):
        return Check(False, f"area code {area} with a {len(local)}-digit local number")
    ext = f"; extension {match.group('ext')}" if match.group("ext") else ""
    place = f" ({codes[area]})" if codes[area] else ""
    return Check(True, f"area code {area}{place}; {len(local)}-digit local number{ext}")


# --------------------------------------------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015)

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUE = {ch: i for i, ch in enumerate(_CREDIT_ALPHABET)}
# Registration authority (1st character) → organisation categories (2nd character), GB 32100-2015 Table 1 plus the
# later A (军队) and N (农业农村 collective economic organisations).
_CREDIT_AUTHORITIES = {
    "1": ("机构编制 (state organs, public institutions)", "1239"),
    "2": ("外交", "19"),
    "3": ("司法行政", "123459"),
    "4": ("文化", "19"),
    "5": ("民政 (social organisations)", "1239"),
    "6": ("旅游", "129"),
    "7": ("宗教", "129"),
    "8": ("工会", "19"),
    "9": ("工商 (enterprises, individual businesses, cooperatives)", "123"),
    "A": ("中央军委改革和编制办公室", "19"),
    "N": ("农业农村 (collective economic organisations)", "1239"),
    "Y": ("other registration authority", "1"),
}


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_VALUE[ch] * w for ch, w in zip(first17, _CREDIT_WEIGHTS))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code(value: str) -> Check:
    """统一社会信用代码: 18 characters of the 31-letter alphabet, authority and category codes, region code, check char.

    The region part may be any GB/T 2260 level (a provincial bureau has 360000) or 100000 for central organs.
    """
    code = normalise(value).upper()
    if len(code) != 18 or any(ch not in _CREDIT_VALUE for ch in code):
        return Check(False, "not 18 characters of the GB 32100 alphabet (0-9, A-Y without I O S V Z)")
    authority = _CREDIT_AUTHORITIES.get(code[0])
    if authority is None:
        return Check(False, f"registration authority code {code[0]} is not defined")
    if code[1] not in authority[1]:
        return Check(False, f"organisation category {code[1]} is not defined for authority {code[0]}")
    region = code[2:8]
    if not region.isdigit() or (region != "100000" and region not in _regions()):
        return Check(False, f"region {region} is not a GB/T 2260 code")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return Check(False, f"GB 32100 check character is {expected}, found {code[17]}")
    place = "central level" if region == "100000" else region_name(region)
    return Check(True, f"GB 32100 check character ok; authority {code[0]} {authority[0]}; region {region} {place}")


# --------------------------------------------------------------------------------------------------------------
# Vehicle plates (GA 36-2018)

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_L = "A-HJ-NP-Z"  # plate letters: I and O are never used (they read as 1 and 0)
_PLATE_FORMS = (
    # new-energy first: their 6 characters would otherwise be misread
    ("new-energy small vehicle plate", re.compile(rf"[{_PROVINCES}][{_L}][·•\s]?[DF][{_L}0-9]\d{{4}}")),
    ("new-energy large vehicle plate", re.compile(rf"[{_PROVINCES}][{_L}][·•\s]?\d{{5}}[DF]")),
    ("ordinary plate", re.compile(rf"[{_PROVINCES}][{_L}][·•\s]?[{_L}0-9]{{5}}")),
    ("special-use plate", re.compile(rf"[{_PROVINCES}][{_L}][·•\s]?[{_L}0-9]{{4}}[学警挂领港澳试超]")),
    ("embassy plate", re.compile(r"使\d{6}|\d{3}[·•\s]?\d{3}使")),
)


def plate(value: str) -> Check:
    """Mainland vehicle plate: province abbreviation + issuing-office letter + 5 characters (I and O never used);
    new-energy plates have 6 with D/F; 学/警/挂/领/港/澳 end special-use plates; 使 marks embassy plates."""
    text = normalise(value).upper()
    for kind, pattern in _PLATE_FORMS:
        if pattern.fullmatch(text):
            return Check(True, f"{kind} {text[:2]}" if kind != "embassy plate" else kind)
    return Check(False, "not a mainland plate (province + letter + 5–6 characters, no I or O)")


# --------------------------------------------------------------------------------------------------------------
# Travel documents, e-mail

def passport(value: str) -> Check:
    """PRC passport: E + 8 digits (e-passport since 2012) or E + letter + 7 digits once a series ran out,
    G + 8 (2007–2012), D/S/P (+E) + 7–8 digits for diplomatic, service and public-affairs passports."""
    text = normalise(value).upper()
    if re.fullmatch(rf"E[{_L}]\d{{7}}|[EG]\d{{8}}", text):
        return Check(True, f"ordinary passport number ({text[0]} series)")
    if re.fullmatch(r"[DSP]E?\d{7,8}", text):
        kind = {"D": "diplomatic", "S": "service", "P": "public-affairs"}[text[0]]
        return Check(True, f"{kind} passport number")
    return Check(False, "not a PRC passport number (E/G/D/S/P + 8 digits, EA + 7...)")


def hk_mo_permit(value: str) -> Check:
    """往来港澳通行证 (C + 8 digits, electronic since 2014; C + letter + 7; W + 8 for the old booklet), or
    港澳居民来往内地通行证 回乡证 (H for Hong Kong, M for Macao residents, + 8 digits, or + 10 on older cards)."""
    text = normalise(value).upper()
    if re.fullmatch(rf"C[{_L}0-9]\d{{7}}|W\d{{8}}", text):
        return Check(True, "往来港澳通行证 number (mainland resident)")
    if re.fullmatch(r"[HM]\d{8}(?:\d{2})?", text):
        who = "Hong Kong" if text[0] == "H" else "Macao"
        return Check(True, f"港澳居民来往内地通行证 number ({who} resident)")
    return Check(False, "not a 港澳 permit number (C/W + 8, H/M + 8 or 10)")


def tw_permit(value: str, *, context_ok: bool = False) -> Check:
    """台湾居民来往大陆通行证 台胞证 (8 digits on the card since 2015, 10 on the older booklet) or 大陆居民往来台湾通行证
    (T + 8 digits). A bare 8- or 10-digit string is any number at all: it passes only when the caller has seen
    台胞证/通行证 beside it and says so with context_ok=True (as for 18-digit bank cards)."""
    text = normalise(value).upper()
    if re.fullmatch(r"T\d{8}", text):
        return Check(True, "大陆居民往来台湾通行证 number (T + 8 digits)")
    if re.fullmatch(r"\d{8}|\d{10}", text):
        if not context_ok:
            return Check(False, f"{len(text)} digits: needs 台胞证/通行证 context")
        return Check(True, f"台胞证 number ({len(text)} digits, with context)")
    return Check(False, "not a 台湾 permit number (8 or 10 digits, T + 8)")


_EMAIL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@"
                    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})")


def email(value: str) -> Check:
    """E-mail address: a conservative subset of RFC 5322 (no quoted local parts), domain with a letter TLD.
    A mailbox on a government domain is said so: it is usually an office mailbox published on purpose."""
    match = _EMAIL.fullmatch(normalise(value))
    if not match or ".." in match.group(0):
        return Check(False, "not an e-mail address")
    domain = match.group(1).lower()
    if domain.endswith(".gov.cn") or domain == "gov.cn":
        return Check(True, f"e-mail address on government domain {domain} (likely an office mailbox)")
    return Check(True, f"e-mail address at {domain}")


# --------------------------------------------------------------------------------------------------------------
# Filters

# Characters people type over digits or given names when they mask: * ＊ × ● ■ and runs of x/X (a single X at the end
# of an ID is its check digit, not a mask), 某 after a Han character (张某, 王某某, 某某村: a name left out on purpose).
_MASK_RUN = re.compile(r"[*＊×✱●■]|(?<=\d)[xX]{2,}|[xX]{2,}(?=\d)|(?<=\d)[xX](?=\d)|(?<=[\u4e00-\u9fff])某")


def is_masked(value: str) -> bool:
    """True if the value was already masked: 4501**********2317, 138****1234, 3607311987XXXX3527, 张**, 王某某."""
    return _MASK_RUN.search(normalise(value)) is not None


VALIDATORS: dict[str, Callable[..., Check]] = {
    "id_card": id_card,
    "id_card_15": id_card_15,
    "luhn": luhn,
    "bank_card": bank_card,
    "mobile": mobile,
    "landline": landline,
    "credit_code": credit_code,
    "plate": plate,
    "passport": passport,
    "hk_mo_permit": hk_mo_permit,
    "tw_permit": tw_permit,
    "email": email,
}

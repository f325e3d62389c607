"""Validators: valid and invalid examples for each, plus properties of the checksums. All numbers are invented
(valid ones are generated here with their check digits computed independently of the code under test)."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.detect import validators as v
from review.detect.validators import VALIDATORS, Check, is_masked, region_name

TODAY = date(2025, 6, 1)


def gb11643(first17: str) -> str:
    """The check digit, written from the standard (ISO 7064 MOD 11-2), not copied from the module."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


def gb32100(first17: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(alphabet.index(ch) * (3 ** i % 31) for i, ch in enumerate(first17))
    return first17 + alphabet[(31 - total % 31) % 31]


def luhn_complete(body: str) -> str:
    for d in "0123456789":
        digits = [int(c) for c in (body + d)[::-1]]
        total = sum(digits[0::2]) + sum(sum(divmod(2 * x, 10)) for x in digits[1::2])
        if total % 10 == 0:
            return body + d
    raise AssertionError


def wrong_last(value: str, alphabet: str = "0123456789") -> str:
    return value[:-1] + next(ch for ch in alphabet if ch != value[-1])


ID_OK = gb11643("36080219810715331")   # 吉安市吉州区, in use
ID_ABOLISHED = gb11643("51010319650302123")  # 成都市西城区, abolished 1990: older IDs keep it
ID_DIGIT = next(gb11643(f"62010219800101{n:03d}") for n in range(1000)
                if gb11643(f"62010219800101{n:03d}")[-1] != "X")  # 兰州市城关区: starts with 62 like a card
ID_X = next(gb11643(f"11010119900307{n:03d}") for n in range(1000) if gb11643(f"11010119900307{n:03d}")[-1] == "X")


# --------------------------------------------------------------------------------------------------------------
# 身份证

@pytest.mark.parametrize("value, ok, phrase", [
    (ID_OK, True, "region 360802 江西省吉安市吉州区"),
    (ID_OK, True, "born 1981-07-15"),
    (ID_ABOLISHED, True, "valid 1980–1989"),
    (ID_X, True, "check digit ok"),
    (ID_X.lower(), True, "check digit ok"),
    ("３６０８０２" + ID_OK[6:], True, "check digit ok"),  # full-width digits from an IME
    (wrong_last(ID_OK), False, "check digit is"),
    (gb11643("99999919810715331"), False, "region 999999"),
    (gb11643("36000019810715331"), False, "region 360000"),  # a province is not an ID prefix
    (gb11643("36080219810230331"), False, "19810230 is not a real date"),
    (gb11643("36080220990101331"), False, "in the future"),
    (gb11643("36080218991231331"), False, "before 1900"),
    ("3608021981071533", False, "not 17 digits"),
    ("36080219810715331Y", False, "not 17 digits"),
    ("", False, "not 17 digits"),
])
def test_id_card(value, ok, phrase):
    check = v.id_card(value, today=TODAY)
    assert isinstance(check, Check)
    assert check.ok is ok, check
    assert phrase in check.detail


def test_id_card_detail_reads_as_an_explanation():
    assert v.id_card(ID_OK, today=TODAY).detail == (
        "GB 11643 check digit ok; region 360802 江西省吉安市吉州区 (valid 2000–today); born 1981-07-15")


@settings(max_examples=200, deadline=None)
@given(region=st.sampled_from(["110101", "360802", "420625", "451002", "441900", "510103"]),
       born=st.dates(date(1900, 1, 1), TODAY), seq=st.integers(0, 999))
def test_generated_ids_pass_and_any_other_check_digit_fails(region, born, seq):
    number = gb11643(f"{region}{born:%Y%m%d}{seq:03d}")
    assert v.id_card(number, today=TODAY).ok
    for other in "0123456789X":
        if other != number[-1]:
            assert not v.id_card(number[:-1] + other, today=TODAY).ok


@pytest.mark.parametrize("value, ok, phrase", [
    ("360802810715331", True, "born 1981-07-15"),
    ("999999810715331", False, "region 999999"),
    ("360802810230331", False, "not a real date"),
    ("36080281071533", False, "not 15 digits"),
])
def test_id_card_15(value, ok, phrase):
    check = v.id_card_15(value, today=TODAY)
    assert check.ok is ok and phrase in check.detail


def test_region_name():
    assert region_name("360802") == "江西省吉安市吉州区"
    assert region_name("110101") == "北京市东城区"
    assert region_name("441900") == "广东省东莞市"
    assert region_name("510103") == "四川省成都市西城区"  # abolished
    assert region_name("999999") is None


# --------------------------------------------------------------------------------------------------------------
# Bank cards

CARD_19 = luhn_complete("622848186107395124")
CARD_16 = luhn_complete("621700125004183")
CARD_18 = luhn_complete("62220204020093751")


@pytest.mark.parametrize("value, kwargs, ok, phrase", [
    (CARD_19, {}, True, "China UnionPay"),
    (CARD_16, {}, True, "Luhn checksum ok"),
    (" ".join(CARD_16[i:i + 4] for i in range(0, 16, 4)), {}, True, "Luhn checksum ok"),
    (luhn_complete("411111111111111"), {}, True, "Visa"),
    (luhn_complete("222100000000000"), {}, True, "Mastercard"),
    (wrong_last(CARD_19), {}, False, "Luhn checksum fails"),
    (luhn_complete("123456789012345"), {}, False, "prefix 12"),
    (luhn_complete("62284818610739"), {}, False, "15 digits"),
    (CARD_18, {}, False, "18 digits: needs 账号/卡号 context"),
    (CARD_18, {"context_ok": True}, True, "Luhn checksum ok"),
    (wrong_last(CARD_18), {"context_ok": True}, False, "Luhn checksum fails"),
    (ID_DIGIT, {"context_ok": True}, False, "valid 身份证号"),
    ("102070102120003658", {}, False, "needs 账号/卡号 context"),  # a government deposit account
    ("6228a48186107395124", {}, False, "not a digit string"),
])
def test_bank_card(value, kwargs, ok, phrase):
    check = v.bank_card(value, **kwargs)
    assert check.ok is ok, check
    assert phrase in check.detail


@pytest.mark.parametrize("value, ok", [("79927398713", True), ("79927398710", False), ("0", False), ("12a4", False)])
def test_luhn(value, ok):
    assert v.luhn(value).ok is ok


@settings(max_examples=200, deadline=None)
@given(st.text("0123456789", min_size=15, max_size=18))
def test_luhn_completion_always_validates(body):
    assert v.luhn(luhn_complete(body)).ok
    assert not v.luhn(wrong_last(luhn_complete(body))).ok


# --------------------------------------------------------------------------------------------------------------
# Phones

@pytest.mark.parametrize("value, ok", [
    ("13812345678", True), ("138-1234-5678", True), ("138 1234 5678", True), ("+86 13812345678", True),
    ("+86-138-1234-5678", True), ("8613812345678", True), ("008613812345678", True), ("14512345678", True),
    ("16612345678", True), ("17012345678", True), ("19212345678", True), ("19912345678", True),
    ("15412345678", False),  # 154 not allocated
    ("19412345678", False), ("14412345678", False), ("16012345678", False), ("17912345678", False),
    ("12345678901", False), ("1381234567", False), ("138123456789", False), ("1381234567a", False),
])
def test_mobile(value, ok):
    assert v.mobile(value).ok is ok, value


@pytest.mark.parametrize("value, ok, phrase", [
    ("0791-86628054", True, "江西省南昌市"),
    ("0773-8822315", True, "7-digit"),
    ("010-62345678", True, "北京"),
    ("01062345678", True, "area code 010"),
    ("(027)87865213", True, "area code 027"),
    ("（0551）6531 1206", True, "area code 0551"),
    ("+86 10 6234 5678", True, "area code 010"),
    ("0791-86628054转123", True, "extension 123"),
    ("0732-5123456", True, "merged into 0731"),  # 湘潭, retired in 2007
    ("0001-5234567", False, "not a mainland area code"),
    ("0260-5234567", False, "not a mainland area code"),
    ("010-6234567", False, "7-digit"),  # a 3-digit area code has 8-digit numbers
    ("0791-1234567", False, "not an area code followed"),  # local numbers do not start with 1
    ("86628054", False, "not an area code followed"),
])
def test_landline(value, ok, phrase):
    check = v.landline(value)
    assert check.ok is ok, check
    assert phrase in check.detail


# --------------------------------------------------------------------------------------------------------------
# 统一社会信用代码

@pytest.mark.parametrize("value, ok, phrase", [
    (gb32100("91360102MA38RL2D3"), True, "authority 9"),
    (gb32100("11100000000013127"), True, "central level"),
    (gb32100("12420103417002351"), True, "region 420103"),
    (gb32100("92130929MA0FK4T72"), True, "河北省沧州市献县"),
    (wrong_last(gb32100("91360102MA38RL2D3")), False, "check character is"),
    (gb32100("B1360102MA38RL2D3"), False, "authority code B"),
    (gb32100("97360102MA38RL2D3"), False, "category 7"),
    (gb32100("91999999MA38RL2D3"), False, "region 999999"),
    ("91360102MA38RL2DI1", False, "alphabet"),
    ("91360102MA38RL2D3", False, "alphabet"),
])
def test_credit_code(value, ok, phrase):
    check = v.credit_code(value)
    assert check.ok is ok, check
    assert phrase in check.detail


# --------------------------------------------------------------------------------------------------------------
# Plates, travel documents, e-mail

@pytest.mark.parametrize("value, ok, phrase", [
    ("赣A12345", True, "ordinary"), ("冀J6K253", True, "ordinary"), ("赣A·12345", True, "ordinary"),
    ("鄂AD72315", True, "new-energy small"), ("粤B12345D", True, "new-energy large"), ("鄂A1D2345", False, "not"),
    ("京A1234学", True, "special-use"), ("粤Z1234港", True, "special-use"), ("沪A1234领", True, "special-use"),
    ("京A1234警", True, "special-use"), ("使014578", True, "embassy"),
    ("赣I12345", False, "not"), ("赣A1O345", False, "not"), ("港A12345", False, "not"), ("赣A1234", False, "not"),
    ("赣A1234567", False, "not"),
])
def test_plate(value, ok, phrase):
    check = v.plate(value)
    assert check.ok is ok, check
    assert phrase in check.detail


@pytest.mark.parametrize("function, value, ok", [
    (v.passport, "E12345678", True), (v.passport, "EA1234567", True), (v.passport, "G12345678", True),
    (v.passport, "D1234567", True), (v.passport, "SE1234567", True), (v.passport, "P12345678", True),
    (v.passport, "EI1234567", False), (v.passport, "X12345678", False), (v.passport, "E1234567", False),
    (v.hk_mo_permit, "C12345678", True), (v.hk_mo_permit, "CA1234567", True), (v.hk_mo_permit, "W12345678", True),
    (v.hk_mo_permit, "H12345678", True), (v.hk_mo_permit, "M1234567890", True),
    (v.hk_mo_permit, "H123456789", False), (v.hk_mo_permit, "K12345678", False),
    (v.tw_permit, "T12345678", True), (v.tw_permit, "12345678", False), (v.tw_permit, "1234567", False),
    (v.email, "zhangsan@163.com", True), (v.email, "li.si+tag@mail.example.com.cn", True),
    (v.email, "xzfw@jxja.gov.cn", True), (v.email, "zhangsan@163", False), (v.email, "zhang..san@163.com", False),
    (v.email, "@163.com", False), (v.email, "zhang san@163.com", False),
])
def test_documents_and_email(function, value, ok):
    assert function(value).ok is ok, (value, function(value))


def test_bare_taiwan_permit_digits_need_context():
    assert v.tw_permit("12345678", context_ok=True).ok
    assert "needs 台胞证" in v.tw_permit("12345678").detail


def test_government_mailbox_is_named_as_such():
    assert "government domain" in v.email("xzfw@jxja.gov.cn").detail


# --------------------------------------------------------------------------------------------------------------
# Filters and the registry

@pytest.mark.parametrize("value, masked", [
    ("4501**********2317", True), ("138****1234", True), ("3607311987****3527", True), ("360731********2263", True),
    ("3607311987XXXX3527", True), ("138xxxx1234", True), ("张**", True), ("王某某", True), ("张某", True),
    ("450121×××××××2317", True), ("138＊＊＊＊1234", True),
    (ID_OK, False), ("36080219810715331x", False), ("13812345678", False), ("张德福", False),
    ("某某村", True), ("maxx@163.com", False), ("某村", False),
])
def test_is_masked(value, masked):
    assert is_masked(value) is masked


def test_registry_names_every_validator():
    assert set(VALIDATORS) == {"id_card", "id_card_15", "luhn", "bank_card", "mobile", "landline", "credit_code",
                               "plate", "passport", "hk_mo_permit", "tw_permit", "email"}
    for name, function in VALIDATORS.items():
        check = function("not a value")
        assert isinstance(check, Check) and check.ok is False and check.detail, name


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_validators_never_raise(value):
    for function in VALIDATORS.values():
        assert isinstance(function(value), Check)
    is_masked(value)

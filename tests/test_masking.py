"""Masking: the conventions by example, and the three properties for every kind (hypothesis): idempotent, never
leaves the whole original value, and keeps the length of number-like values. All values are invented."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.detect.masking import (ID_CARD_STRICT, compound_surnames, mask, mask_address, mask_bank_card, mask_email,
                                   mask_id_card, mask_landline, mask_mobile, mask_name, mask_plate)
from review.detect.validators import id_check_digit, is_masked


@pytest.mark.parametrize("kind, value, expected", [
    ("id_card", "36080219810715331X", "360802********331X"),
    ("id_card", "360802 19810715 331X", "360802 ******** 331X"),
    ("id_card_15", "360802810715331", "360802******331"),
    ("mobile", "13812345678", "138****5678"),
    ("mobile", "138-1234-5678", "138-****-5678"),
    ("mobile", "+86 138 1234 5678", "+86 138 **** 5678"),
    ("bank_card", "6228481861073951240", "***************1240"),
    ("bank_card", "6228 4818 6107 3951", "**** **** **** 3951"),
    ("landline", "0791-86628054", "0791-******54"),
    ("landline", "(0773)8822315", "(0773)*****15"),
    ("plate", "赣A12345", "赣A***45"),
    ("plate", "赣A·12345", "赣A·***45"),
    ("plate", "鄂AD72315", "鄂A****15"),
    ("name", "张德福", "张**"),
    ("name", "张三", "张*"),
    ("person_name", "欧阳娜娜", "欧阳**"),
    ("name", "欧阳", "欧*"),
    ("name", "阿依·买买提", "阿*·***"),
    ("email", "zhangsan@163.com", "z***@163.com"),
    ("passport", "E12345678", "E******78"),
    ("address", "荆州市沙市区塔桥路68号2栋3单元502室", "荆州市沙市区***"),
    ("address", "谷城县石花镇黄畈村三组28号", "谷城县石花镇***"),
    ("address", "百色市右江区向阳路中段38号2栋1单元502室", "百色市右江区***"),
    ("address", "王安屯村东街15号", "***"),
    ("address", "荆州市沙市区", "荆州市***"),
])
def test_conventions(kind, value, expected):
    assert mask(kind, value) == expected


def test_id_card_convention_is_configurable():
    assert mask_id_card("36080219810715331X", *ID_CARD_STRICT) == "3****************X"
    assert mask_id_card("36080219810715331X", keep_head=0, keep_tail=0) == "*" * 18


def test_masked_output_is_recognised_as_masked():
    for kind, value in [("id_card", "36080219810715331X"), ("mobile", "13812345678"), ("name", "张德福"),
                        ("bank_card", "6228481861073951240")]:
        assert is_masked(mask(kind, value))


def test_compound_surnames_come_from_the_shipped_list():
    assert {"欧阳", "司马", "诸葛", "上官"} <= compound_surnames()
    assert "张" not in compound_surnames()


def test_unknown_kind_masks_everything():
    assert mask("something", "AB-12") == "**-**"
    assert mask("something", "——") == "——"


# --------------------------------------------------------------------------------------------------------------
# Properties

digits = st.text("0123456789", min_size=1)


@st.composite
def id_cards(draw):
    region = draw(st.sampled_from(["110101", "360802", "420625", "451002"]))
    body = region + draw(st.text("0123456789", min_size=11, max_size=11))
    number = body + id_check_digit(body)
    return draw(st.sampled_from([number, number.lower(), f"{number[:6]} {number[6:14]} {number[14:]}"]))


mobiles = st.builds(lambda prefix, rest, sep, cc: cc + sep.join([prefix, rest[:4], rest[4:]]),
                    st.sampled_from(["138", "159", "186", "199", "145"]),
                    st.text("0123456789", min_size=8, max_size=8), st.sampled_from(["", "-", " "]),
                    st.sampled_from(["", "+86 ", "86", "0086-"]))
cards = st.builds(lambda body, sep: sep.join(body[i:i + 4] for i in range(0, len(body), 4)) if sep else body,
                  st.text("0123456789", min_size=16, max_size=19), st.sampled_from(["", " ", "-"]))
landlines = st.builds(lambda area, local, sep: f"{area}{sep}{local}",
                      st.sampled_from(["010", "027", "0791", "0773", "(0551)", "（0710）"]),
                      st.text("0123456789", min_size=7, max_size=8).map(lambda s: "6" + s[1:]),
                      st.sampled_from(["", "-", " "]))
plates = st.builds(lambda p, l, sep, rest: f"{p}{l}{sep}{rest}", st.sampled_from("京沪赣鄂桂冀皖"),
                   st.sampled_from("ABCDEFGHJK"), st.sampled_from(["", "·"]),
                   st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=5, max_size=6))
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
names = st.builds(lambda surname, given: surname + given, st.sampled_from(["张", "王", "李", "欧阳", "司马", "黄"]),
                  st.text(HAN, min_size=0, max_size=3))
emails = st.builds(lambda local, domain: f"{local}@{domain}", st.from_regex(r"[a-z0-9][a-z0-9._]{0,12}", fullmatch=True),
                   st.sampled_from(["163.com", "qq.com", "example.gov.cn"]))
ADMIN = ["湖北省荆州市沙市区", "荆州市沙市区", "谷城县石花镇", "百色市右江区", "沧州市献县乐寿镇", "青秀区", "湖北省", "",
         "北京市朝阳区", "河北省邯郸市涉县井店镇"]
DETAIL = st.lists(st.sampled_from(["塔桥路", "68号", "黄畈村", "三组", "28号", "2栋", "3单元", "502室", "阳光小区",
                                   "向阳路中段", "东街", "15号", "民族大道", "100号"]), min_size=0, max_size=5)
addresses = st.builds(lambda admin, detail: admin + "".join(detail), st.sampled_from(ADMIN), DETAIL).filter(bool)

NUMBER_KINDS = [("id_card", id_cards()), ("mobile", mobiles), ("bank_card", cards), ("landline", landlines),
                ("plate", plates), ("passport", st.from_regex(r"E[0-9]{8}", fullmatch=True))]
ALL_KINDS = NUMBER_KINDS + [("name", names), ("email", emails), ("address", addresses)]


@pytest.mark.parametrize("kind, values", ALL_KINDS, ids=[k for k, _ in ALL_KINDS])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_masking_is_idempotent_and_hides_the_value(kind, values, data):
    value = data.draw(values)
    masked = mask(kind, value)
    assert mask(kind, masked) == masked
    assert value not in masked
    assert "*" in masked


@pytest.mark.parametrize("kind, values", NUMBER_KINDS, ids=[k for k, _ in NUMBER_KINDS])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_number_masks_keep_length_and_separators(kind, values, data):
    value = data.draw(values)
    masked = mask(kind, value)
    assert len(masked) == len(value)
    assert [ch for ch in value if not ch.isalnum()] == [ch for ch in masked if not ch.isalnum() and ch != "*"]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_masking_any_text_is_idempotent(value):
    for function in (mask_id_card, mask_mobile, mask_bank_card, mask_landline, mask_plate, mask_name, mask_email,
                     mask_address):
        once = function(value)
        assert function(once) == once, function.__name__

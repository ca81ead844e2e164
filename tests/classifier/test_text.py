from classifier.text import (
    ID_TOKEN,
    PHONE_TOKEN,
    clean,
    feature_text,
    find_personal_numbers,
    mask_personal_numbers,
    normalize,
)


def test_full_width_becomes_half_width_and_whitespace_collapses() -> None:
    assert normalize("ＡＢＣ　１２３，\t\n  全角") == "ABC 123, 全角"


def test_xlsx_line_break_escapes_are_removed() -> None:
    assert normalize("尊敬的领导：_x000D_ 您好！") == "尊敬的领导: 您好!"


def test_mobile_numbers_are_masked_in_their_usual_forms() -> None:
    for phone in ("13812345678", "+86 13812345678", "138 1234 5678", "138-1234-5678", "138****5678"):
        assert mask_personal_numbers(f"我的电话{phone}，谢谢") == f"我的电话{PHONE_TOKEN}，谢谢", phone


def test_landlines_need_an_area_code_or_a_telephone_word() -> None:
    assert mask_personal_numbers("座机0731-84567890") == f"座机{PHONE_TOKEN}"
    assert mask_personal_numbers("(0731)84567890") == PHONE_TOKEN
    assert mask_personal_numbers("电话:8456789") == f"电话{PHONE_TOKEN}"
    # an amount or a date is not a phone number
    assert mask_personal_numbers("欠款12345678元，20190512签的合同") == "欠款12345678元，20190512签的合同"


def test_id_numbers_are_masked_before_phone_numbers_can_bite_into_them() -> None:
    assert mask_personal_numbers("身份证430102199003071234") == f"身份证{ID_TOKEN}"
    assert mask_personal_numbers("身份证号43010219900307123X。") == f"身份证号{ID_TOKEN}。"
    assert mask_personal_numbers("430102********1234") == ID_TOKEN


def test_clean_normalises_then_masks_full_width_digits() -> None:
    assert clean("电话：１３８１２３４５６７８") == f"电话:{PHONE_TOKEN}"


def test_segmented_training_text_and_raw_text_look_alike_to_the_model() -> None:
    assert feature_text("小区 物业费 乱 收费 ！") == feature_text("小区物业费乱收费！") == "小区物业费乱收费"
    assert feature_text("Ａ１区，ＡＢ") == "a1区ab"


def test_numbers_are_found_where_a_person_typed_them_and_nothing_else_changes() -> None:
    text = "门卫（电话１３９１２３４５６７８）身份证430102199003071234。"
    assert find_personal_numbers(text) == [("phone", 5, 16), ("id", 20, 38)]
    hidden = mask_personal_numbers(text, phone=lambda n: f"[{n}]", id_number="[ID]")
    assert hidden == "门卫（电话[13912345678]）身份证[ID]。"

"""GTIN, NDC and HIBCC checks and normalisation (gateway/identifiers.py).

Known-good codes come from their standards' published examples; the property tests say
what must hold for every code: a correct check digit is accepted, every single-digit
change is caught, and an NDC in any layout normalises to the same 11 digits.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway.identifiers import (
    MOD43,
    IdentifierError,
    gtin_check_digit,
    gtin_forms,
    hibcc_check_character,
    ndc_forms,
    parse_gtin,
    parse_hibcc,
    parse_ndc,
    parse_upc,
    upce_to_upca,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


# ---- GTIN ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code",
    [
        "96385074",  # GTIN-8 (GS1 example)
        "036000291452",  # UPC-A
        "4006381333931",  # EAN-13
        "10884521000018",  # GTIN-14 (the sample partner's)
        "00012345678905",
    ],
)
def test_published_gtins_are_accepted(code: str) -> None:
    assert parse_gtin(code) == code


@given(
    st.sampled_from([8, 12, 13, 14]).flatmap(
        lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1)
    )
)
def test_every_gtin_with_its_check_digit_is_valid(body: str) -> None:
    code = body + gtin_check_digit(body)
    assert parse_gtin(code) == code
    # and each form it may be stored in is the same item
    assert all(parse_gtin(form).lstrip("0") == code.lstrip("0") for form in gtin_forms(code))


@given(
    st.sampled_from([8, 12, 13, 14]).flatmap(
        lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1)
    ),
    st.data(),
)
def test_any_single_digit_error_is_caught(body: str, data: st.DataObject) -> None:
    code = body + gtin_check_digit(body)
    position = data.draw(st.integers(0, len(code) - 1))
    replacement = data.draw(digits)
    assume(replacement != code[position])
    wrong = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(IdentifierError) as caught:
        parse_gtin(wrong)
    assert "check digit" in caught.value.reason


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("00017953755430", "check digit is 0, the digits before it give 7"),
        ("1234567", "has 7 digits"),
        ("0001795375543X", "characters other than digits"),
        ("", "is empty"),
    ],
)
def test_bad_gtins_say_what_is_wrong(code: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        parse_gtin(code)


def test_upc_e_is_checked_through_its_upc_a() -> None:
    assert upce_to_upca("04252614") == "042100005264"
    assert parse_upc("04252614") == "042100005264"
    assert parse_upc("036000291452") == "036000291452"
    with pytest.raises(IdentifierError):
        parse_upc("036000291453")


# ---- NDC -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "eleven"),
    [
        ("0002-1433-02", "00002143302"),  # 4-4-2
        ("50242-040-62", "50242004062"),  # 5-3-2
        ("60575-4112-1", "60575411201"),  # 5-4-1
        ("00338-0049-04", "00338004904"),  # already 5-4-2
        ("00338004904", "00338004904"),  # 11 digits
    ],
)
def test_ndc_layouts_normalise_to_eleven_digits(given: str, eleven: str) -> None:
    assert parse_ndc(given).normalized == eleven


def test_an_undashed_ten_digit_ndc_keeps_all_three_readings_unless_its_layout_is_known() -> None:
    ndc = parse_ndc("1234567890")
    assert ndc.ambiguous and ndc.normalized is None
    assert ndc.readings == ("01234567890", "12345067890", "12345678900")
    assert parse_ndc("1234567890", "5-3-2").normalized == "12345067890"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("123-4567-89", "not an NDC layout"),
        ("12345-67-890", "not an NDC layout"),
        ("123456789", "has 9 digits"),
        ("12345-6789-0A", "dashes do not split it"),
        ("12ab567890", "characters other than digits"),
    ],
)
def test_bad_ndcs_say_what_is_wrong(given: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        parse_ndc(given)


def test_a_layout_contradicting_the_dashes_is_an_error() -> None:
    with pytest.raises(IdentifierError, match="written 5-3-2 but was sent as 4-4-2"):
        parse_ndc("50242-040-62", "4-4-2")


layouts = st.sampled_from([(4, 4, 2), (5, 3, 2), (5, 4, 1)])


@given(layouts, st.data())
def test_every_ten_digit_layout_round_trips(
    layout: tuple[int, int, int], data: st.DataObject
) -> None:
    parts = [data.draw(st.text("0123456789", min_size=n, max_size=n)) for n in layout]
    dashed = "-".join(parts)
    eleven = parse_ndc(dashed).normalized
    assert eleven is not None and len(eleven) == 11
    # the 10-digit form is one of the ways the 11-digit NDC can be stored ...
    assert dashed in ndc_forms(eleven) and "".join(parts) in ndc_forms(eleven)
    # ... and one of the readings of the undashed ten digits
    assert eleven in parse_ndc("".join(parts)).readings
    name = "-".join(str(n) for n in layout)
    assert parse_ndc("".join(parts), name).normalized == eleven  # type: ignore[arg-type]


# ---- HIBCC ---------------------------------------------------------------------------------
def test_the_published_hibcc_example() -> None:
    code = parse_hibcc("+A1234BJC5D6E71K")
    assert (code.lic, code.product, code.unit_of_measure, code.check) == (
        "A123",
        "4BJC5D6E7",
        "1",
        "K",
    )
    assert parse_hibcc("A1234BJC5D6E71K").code == "+A1234BJC5D6E71K"  # "+" left out
    assert parse_hibcc("*+A1234BJC5D6E71K*").code == "+A1234BJC5D6E71K"  # Code 39 stars


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("+A1234BJC5D6E71G", "check character is 'G'"),
        ("+1123PRODUCT1" + hibcc_check_character("+1123PRODUCT1"), r"not \+ labeler code"),
        ("+A123PRODUCTX" + hibcc_check_character("+A123PRODUCTX"), r"not \+ labeler code"),
        ("+A12", "too short"),
        ("+A123ÄB1X", "outside the HIBC set"),
    ],
)
def test_bad_hibcc_codes_say_what_is_wrong(given: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        parse_hibcc(given)


lic = st.tuples(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=3, max_size=3),
).map("".join)
pcn = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=18)


@given(lic, pcn, digits, st.data())
def test_hibcc_check_character_catches_any_single_change(
    lic_code: str, product: str, uom: str, data: st.DataObject
) -> None:
    body = f"+{lic_code}{product}{uom}"
    code = body + hibcc_check_character(body)
    parsed = parse_hibcc(code)
    assert (parsed.lic, parsed.product, parsed.unit_of_measure) == (lic_code, product, uom)
    position = data.draw(st.integers(1, len(code) - 1))
    replacement = data.draw(st.sampled_from(MOD43[:36]))
    assume(replacement != code[position])
    with pytest.raises(IdentifierError):
        parse_hibcc(code[:position] + replacement + code[position + 1 :])


def test_a_space_is_a_valid_check_character() -> None:
    body = "+K14H88GKO8"
    assert hibcc_check_character(body) == " "
    assert parse_hibcc(body + " ").check == " "
    # a trailing space lost on the way is a failed check, never guessed back
    with pytest.raises(IdentifierError, match="check character is '8'"):
        parse_hibcc(body)


def test_concatenated_hibcc_is_checked_by_its_final_character() -> None:
    data = "+A123BJC5D61/$$52001510X3"
    code = parse_hibcc(data + hibcc_check_character(data))
    assert code.lic == "A123" and code.secondary == "$$52001510X3"

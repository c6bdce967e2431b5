import pytest

from mapapp.ingest.numbers import DecimalConvention, detect_decimal, parse_number

COMMA = DecimalConvention(",", settled=True)
POINT = DecimalConvention(".", settled=True)
COMMA_GUESS = DecimalConvention(",", settled=False)


@pytest.mark.parametrize("text, convention, expected", [
    ("87200", POINT, 87200.0),
    ("87,200", POINT, 87200.0),
    ("87.200", COMMA, 87200.0),
    ("1.234,5", COMMA, 1234.5),
    ("1,234.5", POINT, 1234.5),
    ("1234,5", COMMA, 1234.5),
    ("0.25", POINT, 0.25),
    ("92.132.183", COMMA, 92132183.0),
    ("US$ 92,132,183", POINT, 92132183.0),
    ("90 %", POINT, 90.0),
    ("1 234,5", COMMA, 1234.5),
    ("-3", POINT, -3.0),
    ("\u22123", POINT, -3.0),
    (12.5, COMMA, 12.5),
    (7, POINT, 7.0),
])
def test_parse_number_reads_both_conventions(text, convention, expected):
    assert parse_number(text, convention)[0] == expected


@pytest.mark.parametrize("text, convention", [
    ("abc", POINT), ("12.34", COMMA), ("1,2,3", POINT), ("", POINT), ("1e5", POINT),
    ("12-5", POINT), (True, POINT), (float("nan"), POINT), ("1.2.3,4,5", COMMA),
])
def test_parse_number_rejects_what_is_not_a_number(text, convention):
    assert parse_number(text, convention)[0] is None


def test_unsettled_group_of_three_is_flagged_ambiguous():
    assert parse_number("1.234", COMMA_GUESS) == (1234.0, True)
    assert parse_number("1.234", COMMA) == (1234.0, False)
    assert parse_number("12,5", COMMA_GUESS) == (12.5, False)
    assert parse_number("1,234", COMMA_GUESS) == (1.234, True)
    assert parse_number("1.234.567", COMMA_GUESS) == (1234567.0, False)


@pytest.mark.parametrize("values, delimiter, expected", [
    (["1,5", "200"], ";", DecimalConvention(",", True)),
    (["1.5", "200"], ",", DecimalConvention(".", True)),
    (["1.234,5"], ",", DecimalConvention(",", True)),
    (["1,234.5"], ";", DecimalConvention(".", True)),
    (["1.234", "87.200"], ";", DecimalConvention(",", False)),
    (["1,234"], ",", DecimalConvention(".", False)),
    (["12", "7"], "\t", DecimalConvention(".", False)),
])
def test_detect_decimal_from_values_then_separator(values, delimiter, expected):
    assert detect_decimal(values, delimiter) == expected

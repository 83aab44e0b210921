"""Cell formats shared by every import."""

from __future__ import annotations

import datetime as dt

import pytest

from hts.imports import fields


@pytest.mark.parametrize("text,value", [("yes", True), ("Y", True), ("TRUE", True), ("1", True),
                                        ("no", False), ("n", False), ("False", False), ("0", False),
                                        ("", False)])
def test_yes_no_takes_the_usual_spellings(text, value):
    assert fields.yes_no(text) is value


def test_yes_no_refuses_anything_else():
    with pytest.raises(ValueError, match="not yes or no"):
        fields.yes_no("maybe")


def test_dates_take_iso_and_british_forms_and_refuse_impossible_ones():
    assert fields.date("2015-03-14") == dt.date(2015, 3, 14)
    assert fields.date("02/11/2011") == dt.date(2011, 11, 2)
    with pytest.raises(ValueError, match="not a real date"):
        fields.date("31/02/2012")
    with pytest.raises(ValueError, match="YYYY-MM-DD or DD/MM/YYYY"):
        fields.date("March 3rd")


def test_times_are_hh_mm():
    assert fields.time("8:45") == dt.time(8, 45)
    assert fields.time("15:15:00") == dt.time(15, 15)
    with pytest.raises(ValueError, match="HH:MM"):
        fields.time("25:00")


def test_postcodes_are_checked_and_normalised():
    assert fields.postcode("b152tt") == "B15 2TT"
    assert fields.postcode("sw1a 2aa") == "SW1A 2AA"
    with pytest.raises(ValueError, match="not a UK postcode"):
        fields.postcode("90210")


def test_prices_in_pounds_become_pence_exactly():
    assert fields.pounds_to_pence("£1,234.50") == 123450
    assert fields.pounds_to_pence("62") == 6200
    assert fields.pence_to_pounds(123405) == "1234.05"
    for bad in ("-1", "abc", "1.234"):
        with pytest.raises(ValueError):
            fields.pounds_to_pence(bad)


def test_integers_accept_spreadsheet_floats_and_a_minimum():
    assert fields.integer("4.0") == 4
    with pytest.raises(ValueError, match="at least 0"):
        fields.integer("-1", minimum=0)
    with pytest.raises(ValueError, match="whole number"):
        fields.integer("2.5")


def test_the_uk_box_holds_great_britain_and_northern_ireland_only():
    assert fields.in_uk(52.48, -1.90) and fields.in_uk(54.6, -5.93) and fields.in_uk(60.15, -1.15)
    assert not fields.in_uk(48.85, 2.35)  # Paris
    assert not fields.in_uk(40.7, -74.0)


def test_registrations_are_upper_case_with_single_spaces():
    assert fields.registration(" ab12   cde ") == "AB12 CDE"

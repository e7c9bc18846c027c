"""The name and phone noise shared by the simulator and entity resolution's test records."""

from __future__ import annotations

from bantay.namenoise import (
    double_letter,
    drop_letter,
    family_first,
    next_vowel,
    phone_format,
    swap_neighbours,
    with_middle,
)
from bantay.simulate.names import phone_format as simulate_phone_format


def test_keying_errors() -> None:
    assert swap_neighbours("Maria", 1) == "Mraia"
    assert swap_neighbours("Ma Cruz", 1) == "Ma Cruz"  # never across a space
    assert drop_letter("Maria", 2) == "Maia"
    assert double_letter("Maria", 2) == "Marria"
    assert next_vowel("Maria", 1) == "Meria"
    assert next_vowel("Maria", 2) == "Maria"


def test_middle_names_and_word_order() -> None:
    assert with_middle("Juan", "Santos", 0.1, 0.4, 0.7) == "Juan Santos"
    assert with_middle("Juan", "Santos", 0.5, 0.4, 0.7) == "Juan S."
    assert with_middle("Juan", "Santos", 0.9, 0.4, 0.7) == "Juan"
    assert family_first("Juan", "Dela Cruz") == "DELA CRUZ, Juan"
    assert family_first("Juan", "Dela Cruz", upper=False) == "Dela Cruz, Juan"


def test_phone_formats() -> None:
    assert [phone_format("63", "0", "9171234567", s) for s in range(6)] == [
        "+639171234567",
        "+63 917 123 4567",
        "09171234567",
        "0917 123 4567",
        "639171234567",
        "0917-123-4567",
    ]
    assert phone_format("1", "0", "2125550100", 2) == "(212) 555-0100"
    assert simulate_phone_format("PH", "9171234567", 3) == "0917 123 4567"

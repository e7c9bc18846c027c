"""How people's names and phones come out differently from one record to the next: the keying
errors, middle names, word orders and phone formats that entity resolution must undo.

One implementation for both makers of synthetic identities: the simulator's worlds
(:mod:`bantay.simulate.names`, numpy's generator) and entity resolution's own test records
(:mod:`bantay.resolve.synthetic`, Python's ``random``). The functions here draw nothing: each
caller keeps its own generator and draws, so a seed gives the same records as before, and passes
the position or the uniform draw in.
"""

from __future__ import annotations

VOWELS = "aeiou"


def swap_neighbours(s: str, i: int) -> str:
    """Letters ``i`` and ``i + 1`` swapped; ``s`` itself where either is a space."""
    if s[i] == " " or s[i + 1] == " ":
        return s
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def drop_letter(s: str, i: int) -> str:
    """Letter ``i`` left out."""
    return s[:i] + s[i + 1 :]


def double_letter(s: str, i: int) -> str:
    """Letter ``i`` typed twice."""
    return s[:i] + s[i] + s[i:]


def next_vowel(s: str, i: int) -> str:
    """Vowel ``i`` replaced by the next one (a > e > i > o > u > a); ``s`` where it is none."""
    if s[i] in VOWELS:
        return s[:i] + VOWELS[(VOWELS.index(s[i]) + 1) % 5] + s[i + 1 :]
    return s


def with_middle(given: str, middle: str, r: float, full_below: float, initial_below: float) -> str:
    """The given name(s) with the middle name kept (``r < full_below``), shortened to an initial
    (``r < initial_below``) or dropped; ``r`` is the caller's uniform draw."""
    if r < full_below:
        return f"{given} {middle}"
    if r < initial_below:
        return f"{given} {middle[0]}."
    return given


def family_first(given: str, family: str, upper: bool = True) -> str:
    """``FAMILY, Given`` (the surname upper-cased unless ``upper`` is false)."""
    return f"{family.upper() if upper else family}, {given}"


def phone_format(calling_code: str, trunk: str, nsn: str, style: int) -> str:
    """The same number as different systems record it (style 0..5; NANP numbers, calling code
    1, have no trunk prefix and a ``(NPA) NXX-XXXX`` local form)."""
    a, b, rest = nsn[:3], nsn[3:6], nsn[6:]
    nanp = calling_code == "1"
    trunk = "" if nanp else trunk
    style %= 6
    if style == 0:
        return f"+{calling_code}{nsn}"
    if style == 1:
        return f"+{calling_code} {a} {b} {rest}"
    if style == 2:
        return f"{trunk}{nsn}" if not nanp else f"({a}) {b}-{rest}"
    if style == 3:
        return f"{trunk}{a} {b} {rest}"
    if style == 4:
        return f"{calling_code}{nsn}"
    return f"{trunk}{a}-{b}-{rest}"

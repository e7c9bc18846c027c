"""Name, phone and identifier normalisation: worked examples per corridor, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bantay.resolve import normalize as nz

# --------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  NGUYỄN  Thị Ánh ", "nguyen thi anh"),
        ("Ñoño Muñoz", "nono munoz"),
        ("Đặng Văn Đức", "dang van duc"),
        ("Søren Łukasz Straße", "soren lukasz strasse"),
        ("İbrahim", "ibrahim"),
        ("สมชาย ใจดี", "สมชาย ใจดี"),  # Thai script passes through
        ("王伟", "王伟"),  # so does Chinese
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_fold(raw: str | None, expected: str | None) -> None:
    assert nz.fold(raw) == expected


# --------------------------------------------------------------------------- names

SAME_PERSON = [
    # Filipino: Ma. / Maria, compound surname spacing, Surname-comma-Given, case
    [
        "Ma. Luisa Dela Cruz",
        "DELA CRUZ, Maria Luisa",
        "Maria Luisa De la Cruz",
        "maria luisa delacruz",
    ],
    [
        "Juan De los Santos Jr.",
        "De Los Santos, Juan",
        "Juan Delos Santos",
        "JUAN DE LOS SANTOS, JR.",
    ],
    ["Sto. Niño Reyes", "Santo Nino Reyes"],
    ["Ma Cristina Reyes", "Maria Cristina Reyes", "REYES, Ma Cristina"],  # bare Ma, given first
    # honorifics (English, Filipino, Spanish, Thai) and suffixes
    ["Mr. John Smith III", "John Smith", "SMITH, JOHN", "Smith, John Mr"],
    ["Atty. Jose Rizal", "Jose Rizal", "Gng. Jose Rizal"],
    ["Sra. María José García-López", "Maria Jose Garcia Lopez", "García López, María José"],
    ["Khun Somchai Jaidee", "Somchai Jaidee", "JAIDEE, Somchai"],
    # Vietnamese diacritics and order
    ["Nguyễn Thị Ánh", "Nguyen Thi Anh", "Anh Nguyen Thi", "NGUYEN, THI ANH"],
    # Chinese family-first vs given-first
    ["Wang Wei", "Wei Wang", "WANG, Wei"],
    # apostrophes and hyphens
    ["Mary-Jane O'Brien", "Mary Jane OBrien", "mary jane o brien".replace("o brien", "obrien")],
    # Mª abbreviation and Mohd
    ["Mª Teresa Santos", "Maria Teresa Santos"],
    ["Mohd Rizal bin Ahmad", "Muhammad Rizal Bin Ahmad"],
]


@pytest.mark.parametrize("variants", SAME_PERSON, ids=lambda v: v[0])
def test_variants_share_a_name_key(variants: list[str]) -> None:
    keys = {nz.name_key(v) for v in variants}
    assert len(keys) == 1, keys


DIFFERENT = [
    ("Juan Dela Cruz", "Jose Dela Cruz"),
    ("Ma Long", "Maria Long"),  # bare "Ma" is the Chinese surname, not Maria
    ("Nguyen Van An", "Nguyen An"),  # Van is a middle name, not a particle
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_names_keep_different_keys(a: str, b: str) -> None:
    assert nz.name_key(a) != nz.name_key(b)


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("Juan de la Cruz", ["delacruz", "juan"]),
        ("J.M. Cruz", ["cruz", "j", "m"]),
        ("Miss", ["miss"]),  # a lone title is kept rather than emptying the name
        ("De la", ["dela"]),  # only particles: glued together
        ("Juan de", ["juan"]),  # a dangling particle is dropped
        ("Juan Cruz, Jr.", ["cruz", "juan"]),
        ("", []),
        (None, []),
        ("...", []),
        ("- , -", []),
    ],
)
def test_name_tokens(name: str | None, tokens: list[str]) -> None:
    assert nz.name_tokens(name) == tokens


def test_split_fields_win_over_the_full_name() -> None:
    parts = nz.parse_name("whatever", given_name="Ma. Luisa", family_name="De la Cruz")
    assert parts.given == ("maria", "luisa")
    assert parts.family == ("delacruz",)
    assert nz.name_key(None, "Ma. Luisa", "De la Cruz") == nz.name_key("Dela Cruz, Maria Luisa")


def test_comma_gives_family_first() -> None:
    parts = nz.parse_name("Dela Cruz, Juan Jr.")
    assert parts.family == ("delacruz",)
    assert parts.given == ("juan",)
    parts = nz.parse_name("Juan Dela Cruz, Jr.")  # the part after the comma is only a suffix
    assert parts.family == ()
    assert parts.tokens == ("juan", "delacruz")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("maricel", "marycel"),
        ("maricel", "maricell"),
        ("vicente", "bisente"),
        ("jose", "hose"),
        ("somchai", "somchay"),
        ("philip", "filip"),
        ("zaldy", "saldy"),
        ("quintos", "kintos"),
        ("cecilia", "sesilia"),
    ],
)
def test_phonetic_sound_alikes(a: str, b: str) -> None:
    assert nz.phonetic(a) == nz.phonetic(b)


def test_phonetic_keeps_distinct_names_apart() -> None:
    assert nz.phonetic("maria") != nz.phonetic("santos")
    assert nz.phonetic("王") == "王"


def test_initials_key() -> None:
    assert nz.initials_key("J. Dela Cruz") == nz.initials_key("Juan Dela Cruz") == "d j"
    assert nz.initials_key(None) is None


def test_phonetic_key_maps_nicknames() -> None:
    assert nz.phonetic_key("Manny Pacquiao") == nz.phonetic_key("Emmanuel Pacquiao")
    assert nz.phonetic_key("Bob Smith") == nz.phonetic_key("SMITH, Robert")
    assert nz.name_key("Bob Smith") != nz.name_key("Robert Smith")  # the name key stays literal


def test_phonetic_key_is_order_insensitive() -> None:
    assert nz.phonetic_key("Marycel Reyes") == nz.phonetic_key("REYES, Maricel")


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("0917 123 4567", "PH", "+639171234567"),
        ("+63 917 123 4567", None, "+639171234567"),
        ("(0917) 123-4567", "ph", "+639171234567"),
        ("0063 917 123 4567", "PH", "+639171234567"),
        ("+639171234567", None, "+639171234567"),
        ("0412 345 678", "AU", "+61412345678"),
        ("+61 (0) 412 345 678", None, "+61412345678"),
        ("07700 900123", "GB", "+447700900123"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("081 234 5678", "TH", "+66812345678"),
        ("0912 345 678", "VN", "+84912345678"),
        ("0917 123 4567", None, None),  # national number, region unknown
        ("12", "PH", None),
        ("not a phone", "PH", None),
        ("", "PH", None),
        (None, "PH", None),
        ("0917 123 4567", "XX", None),  # unknown region, national number
    ],
)
def test_normalize_phone(raw: str | None, region: str | None, expected: str | None) -> None:
    assert nz.normalize_phone(raw, region) == expected


# --------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    ("fn", "raw", "expected"),
    [
        (nz.normalize_email, " Juan.Cruz@Example.COM ", "juan.cruz@example.com"),
        (nz.normalize_email, "no-at-sign", None),
        (nz.normalize_email, "a@b@c", None),
        (nz.normalize_email, "@example.com", None),
        (nz.normalize_email, None, None),
        (nz.normalize_identifier, "ph12 3456-7890", "PH1234567890"),
        (nz.normalize_identifier, "passport: P123.456/7", "PASSPORT:P1234567"),
        (nz.normalize_identifier, " - ", None),
        (nz.normalize_identifier, None, None),
        (nz.normalize_country, "ph", "PH"),
        (nz.normalize_country, "PHL", None),
        (nz.normalize_country, "", None),
        (nz.normalize_country, None, None),
    ],
)
def test_identifiers(fn: object, raw: str | None, expected: str | None) -> None:
    assert callable(fn)
    assert fn(raw) == expected


# --------------------------------------------------------------------------- properties

WORDS = [
    "Juan",
    "Maria",
    "Ma.",
    "Dela",
    "De",
    "la",
    "Cruz",
    "Santos",
    "Reyes",
    "Nguyễn",
    "Thị",
    "Văn",
    "Wang",
    "Wei",
    "Somchai",
    "Jaidee",
    "O'Brien",
    "García-López",
    "Jr.",
    "Sr.",
    "III",
    "Mr.",
    "Atty.",
    "Khun",
    "J.",
    "M.",
    "Mª",
    "Sto.",
    "Ñoño",
    "los",
    "del",
    "y",
    "bin",
]
names = st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join)
any_text = st.text(max_size=40)


@given(any_text)
@settings(max_examples=300)
def test_fold_is_idempotent(text: str) -> None:
    once = nz.fold(text)
    assert nz.fold(once) == once


def _reads_the_same_anywhere(name: str) -> bool:
    """False for names with a bare ``ma``: it is Maria where it opens the given names and the
    surname Ma elsewhere, so where it stands changes what the name says (by design)."""
    return "ma" not in nz.name_tokens(name)


@given(st.one_of(names, any_text).filter(_reads_the_same_anywhere))
@settings(max_examples=300)
def test_name_key_is_idempotent(name: str) -> None:
    key = nz.name_key(name)
    assert nz.name_key(key) == key


def test_a_bare_ma_reads_by_where_it_stands() -> None:
    assert nz.name_tokens("Ma Luisa Santos") == ["luisa", "maria", "santos"]
    assert nz.name_tokens("Santos Luisa Ma") == ["luisa", "ma", "santos"]
    assert nz.name_tokens("Ma Long") == ["long", "ma"]


PLAIN_WORDS = [w for w in WORDS if nz.fold(w.rstrip(".")) not in nz.PARTICLES | {"sto", "y"}]


@given(st.lists(st.sampled_from(PLAIN_WORDS), min_size=1, max_size=5), st.randoms())
@settings(max_examples=300)
def test_name_key_ignores_word_order(words: list[str], rnd: object) -> None:
    shuffled = list(words)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert nz.name_key(" ".join(words)) == nz.name_key(" ".join(shuffled))


@given(st.one_of(names, any_text).filter(_reads_the_same_anywhere), st.randoms())
@settings(max_examples=300)
def test_name_key_ignores_the_order_of_its_tokens(name: str, rnd: object) -> None:
    tokens = nz.name_tokens(name)
    rnd.shuffle(tokens)  # type: ignore[attr-defined]
    assert nz.name_key(" ".join(tokens)) == nz.name_key(name)
    assert nz.phonetic_key(" ".join(tokens)) == nz.phonetic_key(name)


@given(st.one_of(names, any_text))
@settings(max_examples=300)
def test_phonetic_key_is_idempotent_on_tokens(name: str) -> None:
    for tok in nz.name_tokens(name):
        code = nz.phonetic(tok)
        assert code == "" or code[0] == nz.phonetic(code)[0]


@given(any_text, st.sampled_from(["PH", "AU", "US", "GB", None]))
@settings(max_examples=300)
def test_phone_normalisation_never_raises_and_is_idempotent(raw: str, region: str | None) -> None:
    out = nz.normalize_phone(raw, region)
    if out is not None:
        assert out.startswith("+")
        assert nz.normalize_phone(out, None) == out


@given(any_text)
def test_identifier_normalisation_is_idempotent(raw: str) -> None:
    once = nz.normalize_identifier(raw)
    assert nz.normalize_identifier(once) == once


def test_nickname_forms_come_from_the_maintained_list() -> None:
    from bantay.resolve.normalize import name_variants, nickname_forms

    assert "walter" in nickname_forms("wally")
    assert "arthur" in nickname_forms("artie")  # the -ie diminutive of art
    assert "edward" in nickname_forms("teddie")
    assert nickname_forms("zzyx") == ("zzyx",)
    # where the given names are known, only they are written out (Bryant is also a form of Brian)
    assert name_variants(["bryant", "wally"], frozenset({"wally"})) == [
        "bryant wallace",
        "bryant wally",
        "bryant walter",
    ]


def test_a_title_filling_a_whole_field_is_dropped() -> None:
    from bantay.resolve.normalize import name_tokens

    assert name_tokens(None, "Sir", "Randolph") == ["randolph"]
    assert name_tokens("Captain Anson") == ["anson"]
    assert name_tokens(None, "Lady", None) == ["lady"]  # nothing else: kept
    assert name_tokens("Nguyen The Anh") == ["anh", "nguyen", "the"]  # Thế, not a title

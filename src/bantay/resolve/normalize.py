"""Normalisation of names, phones and identifiers before entity resolution.

Small pure functions, each documented by its docstring and tested exhaustively in
``tests/resolve/test_normalize.py``. They never raise on bad input: what cannot be normalised
becomes ``None`` (a missing value to the model, which counts neither for nor against a match).

Names are written in the corridors Bantay works in: Anglo, Filipino, Spanish and Latin American,
Thai, Vietnamese and Chinese. What varies between two records of one person, and what these
functions undo:

========================  ======================================  ==============================
variation                 example                                 handled by
========================  ======================================  ==============================
case, diacritics          ``NGUYỄN Thị Ánh`` / ``Nguyen Thi Anh``   :func:`fold`
punctuation, hyphens      ``O'Brien``, ``Garcia-Lopez``           :func:`name_tokens`
honorifics                ``Mr``, ``Atty.``, ``Gng.``, ``Khun``   :data:`HONORIFICS`
suffixes                  ``Jr.``, ``Sr.``, ``III``               :data:`SUFFIXES`
abbreviations             ``Ma.`` → maria, ``Sto.`` → santo      :data:`ABBREVIATIONS`
initials                  ``J. M. Cruz``                          :func:`initials_key`
"Surname, Given" order    ``Dela Cruz, Juan``                     :func:`parse_name`
compound surnames         ``De la Cruz`` / ``Dela Cruz``          :data:`PARTICLES`
token order               ``Wang Wei`` / ``Wei Wang``             :func:`name_key` (sorted)
spelling by ear           ``Marycel`` / ``Maricel``               :func:`phonetic`
nicknames                 ``Wally`` / ``Walter``, ``Teddie`` / Ted  :func:`nickname_forms`
========================  ======================================  ==============================
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import phonenumbers

#: Letters that Unicode decomposition does not reduce to ASCII.
_SPECIAL_LETTERS: Final = str.maketrans(
    {
        "đ": "d",
        "Đ": "d",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
        "ª": "a",
        "º": "o",
    }
)

#: Titles dropped wherever they stand in a name (unless nothing else is left).
HONORIFICS: Final = frozenset(
    {
        # English
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "madam",
        "dame",
        "rev",
        "hon",
        # Filipino: Ginang, Binibini; professional titles used in address
        "gng",
        "bb",
        "atty",
        "engr",
        # Spanish: Señora, Señorita (Señor is `sr`, below with the suffixes)
        "sra",
        "srta",
        # Thai: Khun, Nangsao (Miss)
        "khun",
        "nangsao",
        # French, sometimes in KYC files
        "mme",
        "mlle",
    }
)

#: Generational and professional suffixes, dropped wherever they stand (``sr`` is also Señor).
SUFFIXES: Final = frozenset(
    {"jr", "jnr", "sr", "snr", "ii", "iii", "iv", "2nd", "3rd", "phd", "esq", "cpa"}
)


def _person_titles() -> frozenset[str]:
    from rigour._core import person_name_prefixes_list

    words = {p.lower().rstrip(".") for p in person_name_prefixes_list() if " " not in p.strip()}
    # "The" opens titles in that list (The Hon); alone it is also the Vietnamese name Thế, folded
    return frozenset(w for w in words if w.isascii() and w.isalpha()) - {"the"}


#: Titles and honorifics of a person, one word each: ours (:data:`HONORIFICS`, :data:`SUFFIXES`)
#: and the person-name prefixes of ``rigour`` (Captain, Lady, Baronet, Colonel…). Dropped from a
#: name wherever they stand when the name has another word (:func:`parse_name`), including a whole
#: given-name field that is only a title.
PERSON_TITLES: Final = HONORIFICS | SUFFIXES | _person_titles()


#: Abbreviations expanded to the full word (lowercase, without the period).
ABBREVIATIONS: Final = {
    "sto": "santo",
    "sta": "santa",
    "fco": "francisco",
    "fdo": "fernando",
    "jse": "jose",
    "wm": "william",
    "chas": "charles",
    "thos": "thomas",
    "jas": "james",
    "geo": "george",
    "robt": "robert",
    "mohd": "muhammad",
    "muhd": "muhammad",
    "mohamad": "muhammad",
    "mohammed": "muhammad",
    "mohammad": "muhammad",
    "muhammed": "muhammad",
}

#: Common nicknames and short forms, mapped to one given name. Used by the phonetic key only (so
#: ``Manny Pacquiao`` and ``Emmanuel Pacquiao`` sound alike to the model), never by the name key.
NICKNAMES: Final = {
    "bob": "robert", "rob": "robert", "robbie": "robert", "bill": "william", "will": "william",
    "billy": "william", "mike": "michael", "micheal": "michael", "chris": "christopher",
    "matt": "matthew", "andy": "andrew", "steve": "stephen", "steven": "stephen",
    "tony": "anthony", "trish": "patricia", "becky": "rebecca", "manny": "emmanuel",
    "emman": "emmanuel", "kiko": "francisco", "frank": "francisco", "cora": "corazon",
    "cory": "corazon", "tess": "teresita", "tessie": "teresita", "joey": "jose",
    "dave": "david", "jim": "james", "jimmy": "james", "joe": "joseph", "liz": "elizabeth",
    "beth": "elizabeth", "kate": "katherine", "katie": "katherine", "jen": "jennifer",
    "jenny": "jennifer", "sam": "samuel", "ben": "benjamin", "dan": "daniel", "danny": "daniel",
    "tom": "thomas", "tommy": "thomas", "nick": "nicholas", "alex": "alexander", "ed": "edward",
    "eddie": "edward", "rick": "richard", "dick": "richard",
}  # fmt: skip

#: Particles of compound surnames, glued to the token that follows them, so that ``De la Cruz``,
#: ``Dela Cruz`` and ``Delacruz`` all become ``delacruz``. Deliberately absent: ``van`` (the
#: Vietnamese middle name Văn), ``le`` (the surname Lê), ``du`` and ``ma`` (Chinese surnames).
PARTICLES: Final = frozenset(
    {
        "de",
        "del",
        "dela",
        "della",
        "delos",
        "delas",
        "la",
        "las",
        "los",
        "dos",
        "das",
        "da",
        "di",
        "san",
        "santa",
        "santo",
        "mac",
        "mc",
        "bin",
        "binti",
        "al",
        "el",
    }
)

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_APOSTROPHES = re.compile(r"[’'`´]")
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str | None:
    """Lowercase, strip diacritics and collapse whitespace: ``"  NGUYỄN  Thị "`` → ``"nguyen thi"``.

    Letters that do not decompose (đ, ø, ł, ß, æ, œ) are mapped by hand. Scripts without case or
    diacritics (Thai, Chinese) pass through unchanged. Empty or blank text gives ``None``.
    """
    if text is None:
        return None
    if text.isascii():  # the common case, without a pass over each character in Python
        return " ".join(text.lower().split()) or None
    out = text
    for _ in range(2):  # lowercasing can expose new combining marks (İ → i̇), so twice
        decomposed = unicodedata.normalize("NFKD", out.lower().translate(_SPECIAL_LETTERS))
        out = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    out = _SPACES.sub(" ", out).strip()
    return out or None


def _raw_tokens(text: str) -> list[str]:
    """Split on whitespace and periods, keeping a trailing ``.`` as a marker of abbreviation."""
    tokens: list[str] = []
    for chunk in text.split():
        parts = chunk.split(".")
        for i, part in enumerate(parts):
            if part:
                tokens.append(part + ("." if i < len(parts) - 1 else ""))
    return tokens


def _clean_token(token: str) -> list[str]:
    """One raw token to zero or more word tokens: apostrophes vanish, other punctuation splits."""
    token = _APOSTROPHES.sub("", token.rstrip("."))
    return _NON_WORD.sub(" ", token).replace("_", " ").split()


def expand_abbreviations(raw_tokens: list[str], given_part: bool = False) -> list[str]:
    """Clean tokens and expand :data:`ABBREVIATIONS`.

    ``ma.`` (written with its period) is Maria. A bare ``ma`` is Maria only where it opens the
    given names and another given name follows (``Ma Luisa Santos``; ``Santos, Ma Luisa``):
    elsewhere it is the Chinese surname Ma (``Ma Long``).
    """
    out: list[str] = []
    for i, raw in enumerate(raw_tokens):
        if raw == "ma." or (
            raw == "ma" and i == 0 and len(raw_tokens) - 1 >= (1 if given_part else 2)
        ):
            out.append("maria")
            continue
        out.extend(ABBREVIATIONS.get(tok, tok) for tok in _clean_token(raw))
    return out


def drop_titles(tokens: list[str]) -> list[str]:
    """Drop :data:`HONORIFICS` and :data:`SUFFIXES` wherever they stand, unless nothing else would
    be left (``["mr", "juan", "cruz", "jr"]`` → ``["juan", "cruz"]``; ``["miss"]`` stays)."""
    kept = [t for t in tokens if t not in HONORIFICS and t not in SUFFIXES]
    return kept or list(tokens)


def glue_particles(tokens: list[str]) -> list[str]:
    """Glue :data:`PARTICLES` to the token that follows them.

    ``["juan", "de", "la", "cruz"]`` → ``["juan", "delacruz"]``. Particles with nothing after them
    are dropped unless nothing else is left (``["de", "la"]`` → ``["dela"]``).
    """
    out: list[str] = []
    pending = ""
    for tok in tokens:
        if tok in PARTICLES:
            pending += tok
            continue
        out.append(pending + tok)
        pending = ""
    if pending and not out:
        out.append(pending)
    return out


def _words(text: str | None, given_part: bool = False) -> list[str]:
    """Folded, expanded, title-free, particle-glued word tokens of a piece of a name."""
    return list(_words_cached(text, given_part))


@lru_cache(maxsize=1 << 18)
def _words_cached(text: str | None, given_part: bool) -> tuple[str, ...]:
    folded = fold(text.replace("ª", "a.") if text else text)
    if folded is None:
        return ()
    tokens = _raw_tokens(folded)
    raw = [t for t in tokens if t.rstrip(".") not in HONORIFICS] or tokens
    return tuple(glue_particles(drop_titles(expand_abbreviations(raw, given_part))))


@dataclass(frozen=True)
class NameParts:
    """A parsed name: ``tokens`` in written order, given and family names where they are known."""

    tokens: tuple[str, ...]
    given: tuple[str, ...] = ()
    family: tuple[str, ...] = ()


def parse_name(
    name: str | None, given_name: str | None = None, family_name: str | None = None
) -> NameParts:
    """Parse a recorded name into word tokens, given names and family names.

    Split fields win where the source has them. Otherwise a comma means ``Surname, Given``
    (``"Dela Cruz, Juan"``); a part after the comma that is only a suffix is dropped
    (``"Juan Dela Cruz, Jr."``). Without a comma the family name is left unknown, because the
    written order differs between corridors (``Wang Wei`` is family-first). A title that fills a
    whole field (given name ``Sir``, family name ``Randolph``) is dropped with the others
    (:data:`PERSON_TITLES`) unless the name has nothing else.
    """
    return _without_titles(_parse_name(name, given_name, family_name))


def _without_titles(parts: NameParts) -> NameParts:
    if not any(t in PERSON_TITLES for t in parts.tokens):
        return parts
    tokens = tuple(t for t in parts.tokens if t not in PERSON_TITLES)
    if not tokens:
        return parts
    return NameParts(
        tokens=tokens,
        given=tuple(t for t in parts.given if t not in PERSON_TITLES),
        family=tuple(t for t in parts.family if t not in PERSON_TITLES),
    )


def _parse_name(name: str | None, given_name: str | None, family_name: str | None) -> NameParts:
    given = _words(given_name, given_part=True)
    family = _words(family_name)
    if given or family:
        return NameParts(tokens=tuple(given + family), given=tuple(given), family=tuple(family))
    if not name:
        return NameParts(tokens=())
    parts = [w for w in (_words(p, given_part=i > 0) for i, p in enumerate(name.split(","))) if w]
    parts = [p for p in parts if not all(t in SUFFIXES for t in p)] or parts
    if len(parts) >= 2:
        family = parts[0]
        given = [t for p in parts[1:] for t in p]
        return NameParts(tokens=tuple(given + family), given=tuple(given), family=tuple(family))
    return NameParts(tokens=tuple(parts[0]) if parts else ())


def name_tokens(
    name: str | None, given_name: str | None = None, family_name: str | None = None
) -> list[str]:
    """The name's word tokens, sorted (so independent of written order); ``[]`` if none."""
    return sorted(parse_name(name, given_name, family_name).tokens)


def name_key(
    name: str | None, given_name: str | None = None, family_name: str | None = None
) -> str | None:
    """Order-insensitive name key: sorted tokens joined by a space.

    ``"DELA CRUZ, Ma. Luisa"``, ``"Maria Luisa de la Cruz"`` and ``"Luisa Maria Delacruz"`` all give
    ``"delacruz luisa maria"``.
    """
    toks = name_tokens(name, given_name, family_name)
    return " ".join(toks) or None


_PHONETIC_RULES: Final = (
    ("sch", "sk"),
    ("tch", "x"),
    ("ch", "x"),
    ("sh", "x"),
    ("zh", "j"),
    ("ph", "f"),
    ("th", "t"),
    ("kh", "k"),
    ("gh", "g"),
    ("dh", "d"),
    ("bh", "b"),
    ("ck", "k"),
    ("qu", "k"),
    ("gue", "ge"),
    ("gui", "gi"),
    ("ce", "se"),
    ("ci", "si"),
    ("cy", "si"),
    ("c", "k"),
    ("q", "k"),
    ("z", "s"),
    ("v", "b"),
    ("y", "i"),
    ("j", "h"),
)


@lru_cache(maxsize=1 << 17)
def phonetic(token: str) -> str:
    """A phonetic code for one folded token, tuned to the corridors' spelling variation.

    Maps spellings that sound alike to one form (c/k/q, s/z, b/v, i/y, ph/f, ch/sh/x, zh/j,
    Spanish j/h, silent h), keeps the first letter, drops the other vowels and collapses repeated
    letters: ``maricel``, ``marycel``, ``maricell`` → ``mrsl``; ``nguyen`` → ``ngn``; ``vicente``,
    ``bisente`` → ``bsnt``. Tokens in non-Latin scripts are returned unchanged.
    """
    if not token.isascii():
        return token
    t = token
    for src, dst in _PHONETIC_RULES:
        t = t.replace(src, dst)
    # an h is silent except where it opens the word
    t = t[:1] + t[1:].replace("h", "")
    out = t[:1]
    for ch in t[1:]:
        if ch in "aeiou":
            continue
        if out and ch == out[-1]:
            continue
        out += ch
    return out


def phonetic_key(
    name: str | None, given_name: str | None = None, family_name: str | None = None
) -> str | None:
    """Order-insensitive phonetic key: the sorted phonetic codes of the name's tokens."""
    toks = name_tokens(name, given_name, family_name)
    return " ".join(sorted(phonetic(NICKNAMES.get(t, t)) for t in toks)) or None


def initials_key(
    name: str | None, given_name: str | None = None, family_name: str | None = None
) -> str | None:
    """Order-insensitive initials: the sorted first letters of the tokens (``"J. Dela Cruz"`` and
    ``"Juan Dela Cruz"`` both give ``"d j"``)."""
    toks = name_tokens(name, given_name, family_name)
    return " ".join(sorted(t[0] for t in toks)) or None


#: Most name forms a name gives in :func:`name_variants` (beyond, a name keeps its own form only).
MAX_NAME_VARIANTS = 16


@lru_cache(maxsize=1)
def _nicknamer() -> object:
    from nicknames import NickNamer

    return NickNamer()


@lru_cache(maxsize=1 << 16)
def nickname_forms(word: str) -> tuple[str, ...]:
    """A given name and the full names it is a nickname of, from the maintained ``nicknames`` data
    set (English names): ``wally`` → ``(wallace, wallaby…, walter, wally)``; a word it does not
    know gives itself alone. A diminutive spelt with ``-ie`` or ``-y`` is looked up under each
    spelling and its stem (``teddie`` → ``teddy`` → edward; ``artie`` → ``art`` → arthur), the
    way such diminutives are written interchangeably."""
    nn = _nicknamer()
    forms = {word}
    stems = [word]
    if len(word) > 3 and word.endswith(("ie", "ey")):
        stems += [word[:-2], word[:-2] + "y", word[:-2] + "ie"]
    elif len(word) > 2 and word.endswith("y"):
        stems += [word[:-1], word[:-1] + "ie"]
    for stem in stems:
        forms.update(nn.canonicals_of(stem))  # type: ignore[attr-defined]
    return tuple(sorted(forms))


def name_variants(
    tokens: list[str] | tuple[str, ...], given: frozenset[str] | None = None
) -> list[str]:
    """The name keys a name may stand for with its nicknames written out: every combination of
    :func:`nickname_forms` of its words, each sorted and joined like :func:`name_key`
    (``["bryant", "wally"]`` → ``["bryant wallace", "bryant wally", "bryant walter"]``). Two
    names sharing a variant agree but for nicknames. Where the given names are known (``given``),
    only they are written out: a surname is no nickname (``Bryant`` is also a form of Brian). At
    most :data:`MAX_NAME_VARIANTS`; beyond, the name's own key alone."""
    if not tokens:
        return []
    options = [
        nickname_forms(t) if len(t) > 1 and (given is None or t in given) else (t,) for t in tokens
    ]
    n = 1
    for o in options:
        n *= len(o)
    if n > MAX_NAME_VARIANTS:
        return [" ".join(sorted(tokens))]
    return sorted({" ".join(sorted(combo)) for combo in itertools.product(*options)})


_PHONE_KEEP = re.compile(r"[^\d+]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalize_phone(raw: str | None, region: str | None = None) -> str | None:
    """A phone number in E.164 (``+639171234567``), or ``None`` if it is not a possible number.

    ``region`` (ISO 3166-1 alpha-2, usually the record's country) reads national numbers
    (``0917 123 4567`` in PH); ``00`` and ``+`` open international numbers. A number already written
    as bare E.164 (``+`` and digits only) is taken as it is, without a second parse.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    if _E164.match(text):
        return text
    cleaned = _PHONE_KEEP.sub("", text)
    if "(" not in text and _E164.match(cleaned):  # "+63 917 123 4567": international, spaced
        return cleaned
    if cleaned.startswith("00"):
        text = "+" + cleaned[2:]
    region_code = region.upper() if region and len(region) == 2 else None
    try:
        number = phonenumbers.parse(text, region_code)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalize_email(raw: str | None) -> str | None:
    """Trimmed, lowercased e-mail; ``None`` unless it has one ``@`` with text on both sides."""
    if raw is None:
        return None
    text = raw.strip().lower()
    local, at, domain = text.partition("@")
    if not at or not local or not domain or "@" in domain:
        return None
    return text


_IDENT_DROP = re.compile(r"[\s\-./]")


def normalize_identifier(raw: str | None) -> str | None:
    """Account numbers, IBANs, wallet ids and document numbers: uppercase without spaces, hyphens,
    dots or slashes (``"ph12 3456-7890"`` → ``"PH1234567890"``); ``None`` if nothing is left."""
    if raw is None:
        return None
    out = _IDENT_DROP.sub("", raw).upper()
    return out or None


def normalize_country(raw: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code, uppercased; anything else is ``None``."""
    if raw is None:
        return None
    text = raw.strip().upper()
    return text if len(text) == 2 and text.isalpha() else None

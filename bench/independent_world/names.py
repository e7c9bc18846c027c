"""Synthetic name pools and the ways institutions record names, phones and addresses.

Names are common given names and surnames combined at random; no combination refers to a real
person. Frequencies follow a Zipf law whose exponent each world draws (``name_zipf_*`` in
``params.py``), so common full names recur across unrelated people: the "cultural naming
practices" obstacle ICMEC Australia names (S37 in ``osec-financial-indicators.md``). Spelling
variants (case, order, middle names, nicknames, one-letter typos) are an assumption about how
senders type a recipient's name at a remitter.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_POOL_FILE = Path(__file__).with_name("name_pools.toml")


@dataclass(frozen=True)
class Pool:
    """One culture's given names (by sex) and surnames, most frequent first."""

    key: str
    male: list[str]
    female: list[str]
    surnames: list[str]


def _load_pools() -> dict[str, Pool]:
    """The name pools of ``name_pools.toml`` ('_' inside a word stands for a space)."""
    data = tomllib.loads(_POOL_FILE.read_text(encoding="utf-8"))

    def words(text: str) -> list[str]:
        """Words of a pool text."""
        return [w.replace("_", " ") for w in text.split()]

    return {
        k: Pool(k, words(v["male"]), words(v["female"]), words(v["surnames"]))
        for k, v in data.items()
    }


POOLS: dict[str, Pool] = _load_pools()

NICKNAMES: dict[str, list[str]] = {
    "Maria": ["Ma.", "Mia"],
    "Jennifer": ["Jen", "Jenny"],
    "Kristine": ["Tin", "Kris"],
    "Christine": ["Tine", "Chris"],
    "Josephine": ["Jo", "Joy"],
    "Rosario": ["Charing", "Rose"],
    "Rosemarie": ["Rose"],
    "Katherine": ["Kat", "Kate"],
    "Catherine": ["Cathy"],
    "Elizabeth": ["Liza", "Beth"],
    "Corazon": ["Cora"],
    "Michael": ["Mike", "Mikey"],
    "Joseph": ["Joey", "Joe"],
    "Jose": ["Pepe", "Joe"],
    "Christopher": ["Chris", "Topher"],
    "Roberto": ["Bobby", "Obet"],
    "Robert": ["Rob", "Bob"],
    "Richard": ["Rick", "Dick"],
    "William": ["Will", "Bill"],
    "Ricardo": ["Carding", "Ricky"],
    "Reynaldo": ["Rey", "Naldo"],
    "Ronaldo": ["Ronnie", "Ron"],
    "Eduardo": ["Edu", "Eddie"],
    "Fernando": ["Nando"],
    "Antonio": ["Tony", "Anton"],
    "Anthony": ["Tony"],
    "Benjamin": ["Ben", "Benjie"],
    "Daniel": ["Dan", "Danny"],
    "Jonathan": ["Jon", "Jojo"],
    "Jessica": ["Jess", "Jessa"],
    "Angelica": ["Angel", "Gel"],
    "Patricia": ["Pat", "Patty"],
    "Rebecca": ["Becky", "Bec"],
    "Margaret": ["Maggie", "Peg"],
    "Stephen": ["Steve"],
    "Steven": ["Steve"],
    "Thomas": ["Tom", "Tommy"],
    "James": ["Jim", "Jimmy"],
    "Matthew": ["Matt"],
    "Andrew": ["Andy", "Drew"],
    "Timothy": ["Tim"],
    "Kenneth": ["Ken", "Kenny"],
    "Gregory": ["Greg"],
    "Nicholas": ["Nick"],
    "Peter": ["Pete"],
    "Samuel": ["Sam"],
    "Alexander": ["Alex"],
    "Victoria": ["Vicky"],
    "Samantha": ["Sam"],
    "Deborah": ["Deb", "Debbie"],
}

_KEYBOARD_NEIGHBOURS = {
    "a": "qsz",
    "e": "wrd",
    "i": "uok",
    "o": "ipl",
    "u": "yij",
    "n": "bm",
    "m": "n",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "l": "k",
    "c": "xv",
    "y": "tu",
    "h": "gj",
    "g": "fh",
    "d": "sf",
}


def zipf_weights(
    n: int, exponent: float, rng: np.random.Generator, jitter: float = 0.3
) -> np.ndarray:
    """Zipf-like frequencies over ``n`` names, listed most common first.

    Ranks are perturbed per world (log-normal ``jitter``) so the commonest names differ slightly
    from world to world.
    """
    w = 1.0 / np.arange(1, n + 1) ** exponent
    w *= np.exp(rng.normal(0.0, jitter, n))
    return w / w.sum()


class NameSampler:
    """Draws names from the pools with this world's Zipf frequencies."""

    def __init__(self, rng: np.random.Generator, exponents: dict[str, float]) -> None:
        self.rng = rng
        self.weights: dict[tuple[str, str], np.ndarray] = {}
        for key, pool in POOLS.items():
            s = exponents.get(key, exponents["default"])
            for part, names in (("M", pool.male), ("F", pool.female), ("S", pool.surnames)):
                self.weights[(key, part)] = zipf_weights(len(names), s, rng)

    def given(self, pool: str, sex: np.ndarray) -> np.ndarray:
        """Given names for people of one pool, by sex ('M' or 'F')."""
        out = np.empty(len(sex), dtype=object)
        p = POOLS[pool]
        for code, names in (("M", p.male), ("F", p.female)):
            idx = np.flatnonzero(sex == code)
            if len(idx):
                pick = self.rng.choice(len(names), size=len(idx), p=self.weights[(pool, code)])
                out[idx] = np.array(names, dtype=object)[pick]
        return out

    def surname(self, pool: str, n: int) -> np.ndarray:
        """Surnames for ``n`` unrelated people of one pool."""
        names = POOLS[pool].surnames
        pick = self.rng.choice(len(names), size=n, p=self.weights[(pool, "S")])
        return np.array(names, dtype=object)[pick]


def typo(s: str, rng: np.random.Generator) -> str:
    """One keyboard slip: substitution by a neighbouring key, deletion, doubling or transposition."""
    letters = [i for i, ch in enumerate(s) if ch.isalpha()]
    if len(letters) < 3:
        return s
    i = letters[int(rng.integers(1, len(letters)))]
    kind = int(rng.integers(4))
    ch = s[i]
    if kind == 0 and ch.lower() in _KEYBOARD_NEIGHBOURS:
        nb = _KEYBOARD_NEIGHBOURS[ch.lower()]
        rep = nb[int(rng.integers(len(nb)))]
        return s[:i] + (rep.upper() if ch.isupper() else rep) + s[i + 1 :]
    if kind == 1:
        return s[:i] + s[i + 1 :]
    if kind == 2:
        return s[:i] + ch + s[i:]
    if i + 1 < len(s) and s[i + 1].isalpha():
        return s[:i] + s[i + 1] + ch + s[i + 2 :]
    return s[:i] + s[i + 1 :]


@dataclass(frozen=True)
class Variation:
    """How carelessly a name is recorded: probabilities of each kind of variant (assumption)."""

    drop_middle: float = 0.55
    middle_initial: float = 0.2
    nickname: float = 0.08
    typo: float = 0.04
    swap: float = 0.03
    drop_suffix: float = 0.5
    upper: float = 0.35


def render_name(
    given: str,
    middle: str,
    surname: str,
    suffix: str,
    rng: np.random.Generator,
    var: Variation,
) -> str:
    """A name as one sender or one clerk typed it, with this world's variant rates."""
    g = given
    if rng.random() < var.nickname and g in NICKNAMES:
        opts = NICKNAMES[g]
        g = opts[int(rng.integers(len(opts)))]
    m = middle
    r = rng.random()
    if not m or r < var.drop_middle:
        m = ""
    elif r < var.drop_middle + var.middle_initial:
        m = m[0] + "."
    sfx = "" if (not suffix or rng.random() < var.drop_suffix) else suffix
    parts = [surname, g, m] if rng.random() < var.swap else [g, m, surname, sfx]
    out = " ".join(p for p in parts if p)
    if rng.random() < var.typo:
        out = typo(out, rng)
    if rng.random() < var.upper:
        out = out.upper()
    return out


def ph_mobile(rng: np.random.Generator, n: int) -> np.ndarray:
    """Philippine mobile numbers as 10 national digits (9XX XXX XXXX), prefixes of the big networks."""
    # fmt: off
    prefixes = np.array([
        905, 906, 915, 916, 917, 926, 927, 935, 936, 945, 955, 956, 965, 966, 975, 977, 995, 997, 908, 909,
        910, 912, 918, 919, 920, 921, 928, 929, 939, 946, 947, 949, 951, 961, 998, 999, 991, 992, 993, 994,
    ])
    # fmt: on
    pre = prefixes[rng.integers(len(prefixes), size=n)]
    rest = rng.integers(0, 10_000_000, size=n)
    return np.array([f"{a}{b:07d}" for a, b in zip(pre, rest, strict=True)], dtype=object)


#: Calling code and national-number length per country (for phone numbers of the world).
DIAL: dict[str, tuple[str, int, str]] = {
    "AU": ("61", 9, "4"),
    "NZ": ("64", 9, "2"),
    "US": ("1", 10, ""),
    "CA": ("1", 10, ""),
    "GB": ("44", 10, "7"),
    "DE": ("49", 11, "1"),
    "NL": ("31", 9, "6"),
    "FR": ("33", 9, "6"),
    "SE": ("46", 9, "7"),
    "IT": ("39", 10, "3"),
    "SA": ("966", 9, "5"),
    "AE": ("971", 9, "5"),
    "JP": ("81", 10, "9"),
    "SG": ("65", 8, "9"),
    "HK": ("852", 8, "9"),
    "PH": ("63", 10, "9"),
    "TH": ("66", 9, "8"),
    "VN": ("84", 9, "9"),
    "MY": ("60", 9, "1"),
    "NG": ("234", 10, "8"),
    "GH": ("233", 9, "2"),
}


def mobile(country: str, rng: np.random.Generator) -> str:
    """One mobile number in E.164 form (``+`` and digits) for a resident of ``country``."""
    if country == "PH":
        return "+63" + str(ph_mobile(rng, 1)[0])
    cc, length, lead = DIAL[country]
    body = lead + "".join(str(d) for d in rng.integers(0, 10, size=length - len(lead)))
    if country in ("US", "CA"):
        body = str(int(rng.integers(201, 990))) + body[3:]
    return f"+{cc}{body}"


def format_phone(e164: str, style: str) -> str:
    """The same number as different systems and people write it.

    ``e164``: +639171234567; ``national``: 09171234567 (PH) or the trunk form; ``spaced``: +63 917
    123 4567; ``bare``: 639171234567; ``local10``: 9171234567.
    """
    if style == "e164" or not e164:
        return e164
    cc = next(
        (
            c
            for c in (
                "234",
                "233",
                "966",
                "971",
                "852",
                "63",
                "61",
                "64",
                "44",
                "49",
                "31",
                "33",
                "46",
                "39",
                "81",
                "65",
                "66",
                "84",
                "60",
                "1",
            )
            if e164[1:].startswith(c)
        ),
        "",
    )
    nat = e164[1 + len(cc) :]
    if style == "national":
        return nat if cc == "1" else "0" + nat
    if style == "spaced":
        return f"+{cc} {nat[:3]} {nat[3:6]} {nat[6:]}"
    if style == "bare":
        return e164[1:]
    if style == "local10":
        return nat
    return e164


# fmt: off
_STREETS = [
    "Acacia", "Banyan", "Narra", "Mabini", "Rizal", "Bonifacio", "Luna", "Sampaguita",
    "Ilang-Ilang", "Molave", "Kamagong", "Mango", "Orchid", "Jasmine", "Oak", "Maple", "Cedar",
    "Elm", "Park", "High", "Church", "Station", "Victoria", "George", "King", "Queen", "Hill",
    "Lake", "River", "Bay", "Ocean",
]
# fmt: on
_STREET_KIND = ["St", "Street", "Road", "Rd", "Ave", "Avenue", "Drive", "Lane"]


def address(rng: np.random.Generator, city: str) -> str:
    """A synthetic street address in ``city``."""
    n = int(rng.integers(1, 400))
    st = _STREETS[int(rng.integers(len(_STREETS)))]
    kind = _STREET_KIND[int(rng.integers(len(_STREET_KIND)))]
    return f"{n} {st} {kind}, {city}"


# fmt: off
_EMAIL_DOMAINS = [
    "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "mail.com",
    "proton.me",
]
# fmt: on


_ASCII = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ñ": "n", "å": "a"}
)


def email(given: str, surname: str, rng: np.random.Generator) -> str:
    """A personal e-mail address built from a name and a few digits."""
    g = "".join(ch for ch in given.lower().translate(_ASCII) if ch.isascii() and ch.isalnum())
    s = "".join(ch for ch in surname.lower().translate(_ASCII) if ch.isascii() and ch.isalnum())
    style = int(rng.integers(4))
    local = [f"{g}.{s}", f"{g}{s}", f"{g[:1]}{s}", f"{s}.{g}"][style]
    if rng.random() < 0.6:
        local += str(int(rng.integers(1, 99)))
    dom = _EMAIL_DOMAINS[int(rng.integers(len(_EMAIL_DOMAINS)))]
    return f"{local}@{dom}"


# fmt: off
_ORG_HEAD = [
    "Bright Hope", "Little Steps", "New Horizons", "Bayanihan", "Kapwa", "Tahanan", "Pag-asa",
    "Silver Lining", "Harvest", "Open Hands", "Sunrise", "Lighthouse", "Good Shepherd",
    "Mustard Seed", "Bukas Palad",
]
# fmt: on
# fmt: off
_ORG_TAIL = [
    "Foundation Inc.", "Learning Foundation", "Education Fund", "Community Program",
    "Scholarship Foundation Inc.", "Outreach Inc.", "Family Development Center",
]
# fmt: on


def org_name(rng: np.random.Generator) -> str:
    """A synthetic Philippine charity or sponsorship programme name."""
    return f"{_ORG_HEAD[int(rng.integers(len(_ORG_HEAD)))]} {_ORG_TAIL[int(rng.integers(len(_ORG_TAIL)))]}"

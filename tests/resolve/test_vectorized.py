"""The vectorised normalisation gives the reference functions' keys, value by value."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bantay.resolve import normalize as nz
from bantay.resolve import vectorized as vz

_WORDS = sorted(
    {"ma", "ma.", "Ma.", "MA", "de", "la", "Dela", "los", "van", "jr", "Jr.", "III", "Sr", "mr",
     "Mr.", "atty", "khun", "sto.", "Sta", "wm", "mohd", "Juan", "Cruz", "Wei", "wang", "Maria",
     "luisa", "J.", "M", "O'Brien", "Garcia-Lopez", "a.b", "x..y", ".", ",", "bob", "Manny",
     "schmidt", "Thach", "quang", "chua", "Nguyen", "Santos", "hhh", "aeiou", "zz9", "_x_"}
)  # fmt: skip
_SEPS = st.sampled_from([" ", "  ", ", ", ",", " , ", "\t", ".", "-", "\x1c", "'"])
_names = st.lists(st.tuples(st.sampled_from(_WORDS), _SEPS), max_size=6).map(
    lambda parts: "".join(w + s for w, s in parts)
)
_text = st.one_of(
    st.none(),
    _names,
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=20),
    st.text(max_size=12),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_text, _text, _text), min_size=1, max_size=40))
def test_name_columns_equal_reference(rows: list[tuple[str | None, ...]]) -> None:
    names = pl.DataFrame(
        {
            "name": [r[0] for r in rows],
            "given_name": [r[1] for r in rows],
            "family_name": [r[2] for r in rows],
        },
        schema={"name": pl.String, "given_name": pl.String, "family_name": pl.String},
    )
    got = vz.name_columns(names)
    ref = vz.reference_name_columns(
        names["name"].to_list(), names["given_name"].to_list(), names["family_name"].to_list()
    )
    for col in vz.NAME_SCHEMA:
        assert got[col].to_list() == ref[col], (col, rows)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.none(),
                st.text(alphabet="0123456789 +-()./x", max_size=18),
                st.sampled_from(
                    [
                        "+63 917 123 4567",
                        "+639171234567",
                        "0917 123 4567",
                        "(212) 440-6291",
                        "0496 864 008",
                        "00639171234567",
                        "١٢٣",
                    ]
                ),
            ),
            st.sampled_from(["PH", "AU", "US", None]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_phone_column_equals_reference(rows: list[tuple[str | None, str | None]]) -> None:
    phones = pl.DataFrame(
        {"phone": [r[0] for r in rows], "country": [r[1] for r in rows]},
        schema={"phone": pl.String, "country": pl.String},
    )
    got = vz.phone_column(phones).to_list()
    assert got == [nz.normalize_phone(p, c) for p, c in rows]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=15)), min_size=1, max_size=20))
def test_fold_column_equals_reference(values: list[str | None]) -> None:
    got = vz.fold_column(pl.Series("v", values, dtype=pl.String)).to_list()
    assert got == [nz.fold(v) for v in values]

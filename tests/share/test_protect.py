"""The encodings: keyed, normalised as entity resolution normalises, misspellings stay close."""

from __future__ import annotations

import numpy as np

from bantay.share.protect import (
    DerivedKeys,
    ExactHasher,
    NameEncoder,
    bigrams,
    dice,
    dice_matrix,
    key_id,
    name_record,
    normalise,
)

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def test_exact_tokens_agree_across_writings_and_depend_on_the_key() -> None:
    h = ExactHasher(DerivedKeys.of(KEY))
    a = normalise("phone", "0917 123 4567", "PH")
    b = normalise("phone", "+63 917 123 4567")
    assert a == b == "+639171234567"
    assert h.token("phone", a) == h.token("phone", b)
    assert h.tokens("phone", [a]) == [h.token("phone", a)]
    assert h.token("phone", a) != ExactHasher(DerivedKeys.of(OTHER)).token("phone", a)
    # the type is part of the message: one string as an account is another token
    assert h.token("account", a) != h.token("phone", a)
    assert normalise("account", "ph12 3456-7890") == "PH1234567890"
    assert normalise("email", " A.B@Example.COM ") == "a.b@example.com"
    assert normalise("phone", "12") is None


def test_key_id_names_the_key_without_revealing_it() -> None:
    assert key_id(KEY) != key_id(OTHER)
    assert key_id(KEY).startswith("k-") and len(key_id(KEY)) == 18
    assert KEY.hex()[:16] not in key_id(KEY)


def test_name_filters_keep_misspellings_close_and_other_names_far() -> None:
    enc = NameEncoder(DerivedKeys.of(KEY))
    rec = name_record("SANTOS, Maricel", "ph")
    assert rec is not None and rec.key == "maricel santos" and rec.country == "PH"
    same = enc.clk(rec.key, "PH")
    typo = enc.clk("marycel santos", "PH")
    other = enc.clk("ana reyes", "PH")
    assert len(same) == 128
    assert dice(same, same) == 1.0
    assert dice(same, typo) > 0.8 > dice(same, other)
    # the country salts the filter: the same name elsewhere is unrelated
    assert dice(same, enc.clk(rec.key, "AU")) < 0.5
    # and the key does too
    assert dice(same, NameEncoder(DerivedKeys.of(OTHER)).clk(rec.key, "PH")) < 0.5


def test_name_record_needs_a_name_and_a_country() -> None:
    assert name_record("Maricel Santos", None) is None
    assert name_record(None, "PH") is None
    r = name_record("Maricel Santos", "PH", "1980-02-03")
    assert r is not None and r.yob == 1980


def test_bigrams_are_padded() -> None:
    assert bigrams("ana") == ["_a", "an", "na", "a_"]


def test_dice_matrix_matches_pairwise_dice() -> None:
    enc = NameEncoder(DerivedKeys.of(KEY))
    names = ["maricel santos", "marycel santos", "ana reyes", "juan dela cruz"]
    f = np.stack([enc.clk(n, "PH") for n in names])
    m = dice_matrix(f[:2], f)
    for i in range(2):
        for j in range(len(names)):
            assert abs(m[i, j] - dice(f[i], f[j])) < 1e-12
    assert dice_matrix(f[:0], f).shape == (0, 4)


def test_the_command_line_default_is_the_measured_threshold() -> None:
    import inspect

    from bantay.cli.share import import_
    from bantay.share.protect import DEFAULT_DICE

    assert inspect.signature(import_).parameters["dice"].default == DEFAULT_DICE

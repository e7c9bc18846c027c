"""Which payments are behind each indicator: the evidence an analyst files, not the whole ledger.

An indicator fires on a count or a share over an entity's payments (``features.py``); this module
re-applies the same per-payment tests (:func:`bantay.detect.features.enrich`, the very expression
the scan uses) to one entity's payments and says, for each payment, which fired indicators counted
it. Card spending (groceries, cafés, pharmacies) is never evidence unless an indicator counted it:
P10 counts the related purchases (privacy tools, screen capture, livestream tokens, travel) and
nothing else.

What a payment-level test cannot reproduce is said in :data:`BEHIND`: family-link evidence is
re-tested by shared surname only (the scan also weighs name origin, paydays and stable long
relationships per pair), so a payment to a relative found by those tests alone may be listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from bantay.detect.catalogue import Catalogue
from bantay.detect.features import Rates, enrich, shares_surname, with_payer_residence

#: Remittance channels are every channel but card spending.
CARD_CHANNELS = frozenset({"card"})

#: indicator id -> (the flag column of :func:`_flags` that selects its payments, in words)
BEHIND: dict[str, tuple[str, str]] = {
    "P01_low_value_sea": ("_e_lowval_sea", "low-value remittances to South-East Asia"),
    "P02_many_to_high_risk": ("_e_hr", "remittances to high-risk jurisdictions"),
    "P03_westpac_typology": (
        "_e_small_unrel_hr",
        "small remittances to high-risk beneficiaries with no shared surname",
    ),
    "P04_male_to_females_abroad": (
        "_e_small_unrel_hr",
        "small remittances to high-risk beneficiaries with no shared surname",
    ),
    "P05_escalation": ("_e_hr", "remittances to high-risk jurisdictions (their amounts rose)"),
    "P06_prolific_signature": ("_e_small55_hr", "small remittances to high-risk jurisdictions"),
    "P07_night_timing": ("_e_night_hr", "remittances sent at night, payer-local time"),
    "P08_cover_memo": ("_e_cover_hr", "small remittances with a cover description"),
    "P09_even_amounts": ("_e_even_hr", "remittances of even amounts"),
    "P10_related_purchases": (
        "_e_purchase",
        "card purchases of privacy tools, screen capture, livestream tokens or travel",
    ),
    "P11_several_accounts": (
        "_e_hr_or_routed",
        "high-risk or routed remittances (from several accounts or institutions)",
    ),
    "P12_third_country_routing": ("_e_routed", "remittances routed through a third country"),
    "B01_common_beneficiary": (
        "_e_small_unrel_foreign",
        "small payments from unrelated payers abroad",
    ),
    "B02_small_inbound_non_relatives": (
        "_e_small_unrel_foreign",
        "small payments from unrelated payers abroad",
    ),
    "B03_volume_business": ("_e_unrel_foreign", "payments from unrelated payers abroad"),
    "B04_several_institutions": ("_e_pay", "payments received (through several institutions)"),
    "N01_fan_in_diversity": ("_e_unrel_foreign", "payments from unrelated payers abroad"),
    "N02_fan_out_unrelated": (
        "_e_small_unrel_hr",
        "small remittances to unrelated high-risk beneficiaries",
    ),
    "N03_shared_beneficiaries": ("_e_hr", "remittances to beneficiaries other payers also pay"),
    "N04_den_membership": ("_e_hr_pay", "remittances to or from the den's members"),
    "N05_seed_proximity": ("_e_hr_pay", "remittances on the side of the known facilitators"),
}

_STRING = [
    "transaction_id",
    "institution",
    "channel",
    "currency",
    "payer_country",
    "payer_name",
    "payer_account",
    "beneficiary_entity",
    "beneficiary_name",
    "beneficiary_country",
    "beneficiary_phone",
    "beneficiary_institution",
    "beneficiary_account",
    "memo",
    "merchant_name",
    "merchant_category",
]


def is_card(row: Mapping[str, Any]) -> bool:
    """A card purchase (spending at a merchant), not a remittance."""
    return str(row.get("channel") or "") in CARD_CHANNELS


def _frame(rows: Iterable[Mapping[str, Any]], beneficiary_entity: Mapping[int, str | None]) -> Any:
    recs = []
    for k, r in enumerate(rows):
        d: dict[str, Any] = {c: (None if r.get(c) is None else str(r.get(c))) for c in _STRING}
        d["beneficiary_entity"] = beneficiary_entity.get(k)
        d["payer_entity"] = "payer"  # the rows are one entity's payments
        d["_k"] = k
        d["ts_utc"] = pd.Timestamp(r["ts_utc"])
        off = r.get("utc_offset_minutes")
        d["utc_offset_minutes"] = None if off is None else int(off)
        d["amount"] = None if r.get("amount") is None else float(r["amount"])
        rep = r.get("amount_reporting")
        d["amount_reporting"] = None if rep is None else float(rep)
        recs.append(d)
    schema = {c: "string" for c in _STRING} | {
        "payer_entity": "string",
        "_k": "int64",
        "ts_utc": "timestamp",
        "utc_offset_minutes": "int64",
        "amount": "float64",
        "amount_reporting": "float64",
    }
    df = pd.DataFrame(recs, columns=list(schema))
    return ibis.memtable(df, schema=ibis.schema(schema))


def _flags(t: ir.Table, cat: Catalogue) -> ir.Table:
    particles = list(cat.setting("name_particles"))
    related = shares_surname(t.payer_name, t.beneficiary_name, particles).fill_null(False)
    hr = t._pay & t._hr
    foreign = (t.payer_country != t.beneficiary_country).fill_null(False)
    return t.select(
        "_k",
        _e_pay=t._pay,
        _e_hr=hr,
        _e_hr_pay=hr | (t._pay & ~t._hr.fill_null(False) & t._routed),
        _e_lowval_sea=t._pay & t._sea & t._lowval_sea,
        _e_small_unrel_hr=hr & t._small & ~related,
        _e_small55_hr=hr & t._small55,
        _e_night_hr=hr & t._night & t._payer_offset.notnull(),
        _e_cover_hr=hr & t._cover,
        _e_even_hr=hr & t._even,
        _e_purchase=t._purchase,
        _e_routed=t._routed,
        _e_hr_or_routed=hr | t._routed,
        _e_small_unrel_foreign=t._pay & t._small & foreign & ~related,
        _e_unrel_foreign=t._pay & foreign & ~related,
    )


def payments_behind(
    rows: Sequence[Mapping[str, Any]],
    fired: Iterable[str],
    cat: Catalogue,
    rates: Rates,
    beneficiary_entity: Mapping[int, str | None] | None = None,
    payer_residence: str | None = None,
) -> list[list[str]]:
    """For each of ``rows`` (one entity's payments, transaction columns), the ``fired`` indicator
    ids that counted it, in the order given. ``beneficiary_entity``: row index -> the
    beneficiary's entity key (None for a card purchase); by default the beneficiary record."""
    fired = [i for i in dict.fromkeys(fired) if i in BEHIND]
    out: list[list[str]] = [[] for _ in rows]
    if not rows or not fired:
        return out
    if beneficiary_entity is None:
        beneficiary_entity = {
            k: (None if r.get("beneficiary_record_id") is None else str(r["beneficiary_record_id"]))
            for k, r in enumerate(rows)
        }
    con = ibis.duckdb.connect()
    frame = _frame(rows, beneficiary_entity)
    if payer_residence:  # the payer's country from KYC, as the scan reads it
        frame = frame.mutate(payer_country=frame.payer_country.fill_null(payer_residence))
    # payer-local hours as the scan reads them (written zone, else the residence's zone)
    frame = with_payer_residence(frame, None, cat, con.execute, lambda df, _: ibis.memtable(df))
    t = enrich(frame, cat, rates)
    got = con.execute(_flags(t, cat)).set_index("_k")
    for ind in fired:
        col = BEHIND[ind][0]
        for k in got.index[got[col].fillna(False).astype(bool)]:
            out[int(k)].append(ind)
    return out

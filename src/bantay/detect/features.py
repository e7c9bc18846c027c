"""Features written once as Ibis expressions: the same code runs on DuckDB and on PySpark.

Three tables come out of :func:`build_features`:

* ``pairs``: one row per payer–beneficiary pair, with the family-link evidence of that pair;
* ``payer``: one row per payer entity (the indicators' payer-side features);
* ``beneficiary``: one row per beneficiary entity.

Amount parameters are stated in the currency of their source (A$ for AUSTRAC, AIC) and compared in
the
payment's own currency where an indicator overrides them for it (e.g. SEK), else converted to the
reporting currency. Payer-local time is ``ts_utc`` plus ``utc_offset_minutes``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from bantay.detect.catalogue import Catalogue, CatalogueError, Indicator

SECONDS_PER_DAY = 86_400.0
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Rates:
    """Reporting-currency units per unit of each currency (for converting amount parameters)."""

    to_reporting: dict[str, float]

    def convert(self, value: float, currency: str) -> float:
        try:
            return float(value) * self.to_reporting[currency]
        except KeyError:
            raise CatalogueError(
                f"no rate to convert an amount parameter in {currency}; add one to the `rates` "
                "table or to settings.reference_rates"
            ) from None


def reference_rates(cat: Catalogue, reporting_currency: str, known: dict[str, float]) -> Rates:
    """Rates from the workspace (``known``: reporting units per unit), else the catalogue's."""
    ref = {k: float(v) for k, v in cat.setting("reference_rates").items()}  # USD per unit
    out: dict[str, float] = {}
    base = ref.get(reporting_currency)
    for cur, usd in ref.items():
        if base:
            out[cur] = usd / base
    out[reporting_currency] = 1.0
    out.update(known)
    return Rates(out)


#: Small payments a payer makes to one beneficiary before it counts as a payer who came back: a
#: guesthouse or an online seller abroad is paid once by each of many foreigners; a den's buyers
#: return (S1: more than half of the offenders paid more than once, S2: prolific ones every few
#: weeks).
REPEAT_PAYMENTS = 2


def _count(cond: ir.BooleanValue) -> ir.IntegerScalar:
    return cond.fill_null(False).cast("int64").sum().fill_null(0)


def _in_band(
    tx: ir.Table,
    ind: Indicator,
    rates: Rates,
    lo_name: str | None,
    hi_name: str,
) -> ir.BooleanValue:
    """Amount within an indicator's [lo, hi] band: in the payment currency where overridden."""
    unit = ind.parameters[hi_name].unit
    lo_default = float(ind.param(lo_name)) if lo_name else 0.0
    hi_default = float(ind.param(hi_name))
    amt = tx.amount.cast("float64")
    rep = tx.amount_reporting.cast("float64")
    branches: list[tuple[Any, Any]] = []
    for cur, params in sorted(ind.currency_overrides().items()):
        lo = float(params.get(lo_name, lo_default)) if lo_name else 0.0
        hi = float(params.get(hi_name, hi_default))
        if lo_name is None or lo_name not in params:
            lo = rates.convert(lo, unit) / rates.to_reporting.get(cur, 1.0) if lo else 0.0
        if hi_name not in params:
            hi = rates.convert(hi, unit) / rates.to_reporting.get(cur, 1.0)
        branches.append((tx.currency == cur, amt.between(lo, hi)))
    lo_rep = rates.convert(lo_default, unit) if lo_default else 0.0
    hi_rep = rates.convert(hi_default, unit)
    default = rep.between(lo_rep, hi_rep)
    if not branches:
        return default
    return ibis.cases(*branches, else_=default)


def _alternation(terms: Sequence[str]) -> str:
    return "(" + "|".join(terms) + ")"


#: Accented letters folded to a-z before names are compared (José → jose, Nguyễn → nguyen).
_ACCENTED = "áàâäãåāéèêëēíìîïīóòôöõøōúùûüūñçýÿđạảấầẩẫậắằẳẵặăẹẻẽếềểễệỉịọỏốồổỗộớờởỡợơụủứừửữựưỳỵỷỹ"


def _fold(ch: str) -> str:
    """The a-z letter under an accented one: its Unicode decomposition's first character (ø and đ
    have none: o and d)."""
    return {"ø": "o", "đ": "d"}.get(ch) or unicodedata.normalize("NFKD", ch)[0]


#: Folded letters, position for position (written out by hand they once slipped by one from ú and by
#: two from ñ on: Ordoñez became "ordouez", Đặng "yang").
_FOLDED = "".join(_fold(c) for c in _ACCENTED)
assert len(_FOLDED) == len(_ACCENTED) and _FOLDED.isascii() and _FOLDED.isalpha()
#: Compound-surname particles also written glued to the surname (Delacruz, Delossantos).
_GLUED = ("delos", "dela", "della", "delas", "del")


def letters(col: ir.StringValue) -> ir.StringValue:
    """Lower case, accents folded, every run of non-letters one space; space-padded words."""
    core = (
        col.fill_null("").lower().translate(_ACCENTED, _FOLDED).re_replace("[^a-z]+", " ").strip()
    )
    return " " + core + " "


def normalise_name(col: ir.StringValue, particles: Sequence[str]) -> ir.StringValue:
    """Letters only, particles (also glued ones: Delacruz → cruz) and one- or two-letter words
    dropped, space-padded."""
    drop = r"\b([a-z]{1,2}|" + "|".join(particles) + r")\b"
    core = (
        letters(col)
        .re_replace(" (" + "|".join(_GLUED) + ")", " ")
        .re_replace(drop, " ")
        .re_replace(" +", " ")
        .strip()
    )
    return " " + core + " "


def has_word(norm: ir.StringValue, words: Sequence[str]) -> ir.BooleanValue:
    """A space-padded name (from :func:`letters`) holds one of ``words``."""
    return norm.re_search(" (" + "|".join(sorted(set(words))) + ") ")


def last_word(norm: ir.StringValue) -> ir.StringValue:
    return norm.re_extract(r"([a-z]+) $", 1)


def shares_surname(
    a: ir.StringValue, b: ir.StringValue, particles: Sequence[str]
) -> ir.BooleanValue:
    """Either side's last word is among the other's words (``CRUZ, Juan`` ~ ``Ana Cruz``)."""
    na, nb = normalise_name(a, particles), normalise_name(b, particles)
    la, lb = last_word(na), last_word(nb)
    return ((la != "") & nb.contains(" " + la + " ")) | ((lb != "") & na.contains(" " + lb + " "))


#: Computes an intermediate table once (the engine's ``materialize``): (expression, name) -> table.
Materialize = Callable[[ir.Table, str], ir.Table]


def inline(expr: ir.Table, name: str) -> ir.Table:
    """No intermediate table: the expression stays part of every query that reads it."""
    return expr


#: The transaction columns the feature tables read after :func:`enrich` (besides its flags).
FEATURE_INPUTS = frozenset(
    {
        "payer_entity",
        "beneficiary_entity",
        "institution",
        "payer_ref",
        "payer_account",
        "payer_name",
        "payer_country",
        "beneficiary_name",
        "beneficiary_country",
        "beneficiary_phone",
        "beneficiary_city",
        "beneficiary_account",
        "utc_offset_minutes",
    }
)


@dataclass(frozen=True)
class FeatureTables:
    pairs: ir.Table
    payer: ir.Table
    beneficiary: ir.Table
    identifiers: ir.Table
    #: per payer, the other unrelated payers of its high-risk beneficiaries (``n_copayers``)
    copayers: ir.Table
    #: per beneficiary, the other beneficiaries of its unrelated payers (``n_cobenefs``)
    cobenefs: ir.Table
    #: beneficiary pairs ``a < b`` sharing at least N04's ``location_needs_payer`` unrelated payers
    shared_payers: ir.Table


def enrich(tx: ir.Table, cat: Catalogue, rates: Rates) -> ir.Table:
    """Per-payment flags every feature is built from."""
    hr_list = list(cat.setting("high_risk_countries"))
    sea_list = list(cat.setting("se_asia_countries"))
    p01 = cat.indicator("P01_low_value_sea")
    p03 = cat.indicator("P03_westpac_typology")
    p06 = cat.indicator("P06_prolific_signature")
    p07 = cat.indicator("P07_night_timing")
    p08 = cat.indicator("P08_cover_memo")
    p09 = cat.indicator("P09_even_amounts")

    night_start = int(p07.param("night_start_hour")) * 60
    night_end = int(p07.param("night_end_hour")) * 60
    minute = tx.ts_utc.hour().cast("int64") * 60 + tx.ts_utc.minute().cast("int64")
    local = ((minute + tx._payer_offset) % 1440 + 1440) % 1440
    if night_start > night_end:
        night = (local >= night_start) | (local < night_end)
    else:
        night = (local >= night_start) & (local < night_end)

    is_payment = tx.beneficiary_entity.notnull()
    hr_country = tx.beneficiary_country.isin(hr_list).fill_null(False)

    def payments_only(flag: ir.BooleanValue) -> ir.BooleanValue:
        # CASE evaluates the (string-heavy) flag on payments only; card purchases skip it
        return ibis.cases((is_payment, flag.fill_null(False)), else_=False)

    def purchases_only(flag: ir.BooleanValue) -> ir.BooleanValue:
        return ibis.cases((~is_payment, flag.fill_null(False)), else_=False)

    dial = {k: str(v) for k, v in cat.setting("dial_codes").items() if k in hr_list}
    phone = tx.beneficiary_phone.fill_null("").re_replace(r"[^0-9+]", "").re_replace(r"^00", "+")
    phone_hr = (
        phone.re_search(r"^\+(" + "|".join(sorted(dial.values())) + ")")
        if dial
        else ibis.literal(False)
    )
    bic_country = tx.beneficiary_institution.fill_null("").upper().substr(4, 2)
    bic_hr = (tx.beneficiary_institution.fill_null("").length() >= 8) & bic_country.isin(hr_list)
    routed = ibis.cases((hr_country, False), else_=phone_hr | bic_hr)

    mcc = [str(m) for m in cat.setting("related_mcc")]
    merchant = (
        tx.merchant_name.fill_null("")
        .lower()
        .re_search(_alternation(cat.setting("related_merchant_terms")))
    )
    memo = tx.memo.fill_null("").lower().re_search(_alternation(cat.setting("cover_terms")))

    category = tx.merchant_category.fill_null("")
    merchant_lc = tx.merchant_name.fill_null("").lower()
    kinds: dict[str, Any] = {}
    for kind, spec in sorted(dict(cat.setting("related_purchase_kinds")).items()):
        codes = [str(m) for m in spec.get("mcc", [])]
        terms = list(spec.get("terms", []))
        flag = category.isin(codes) if codes else ibis.literal(False)
        if terms:
            flag = flag | merchant_lc.re_search(_alternation(terms))
        kinds[f"_rk_{kind}"] = purchases_only(flag)
    hr = is_payment & hr_country
    epoch = tx.ts_utc.epoch_seconds().cast("float64")
    multiple = float(p09.param("multiple_of"))
    return tx.mutate(
        _pay=is_payment,
        _amt=tx.amount_reporting.cast("float64"),
        _hr=hr,
        _sea=is_payment & tx.beneficiary_country.isin(sea_list).fill_null(False),
        _foreign=is_payment & (tx.beneficiary_country != tx.payer_country).fill_null(False),
        _lowval_sea=_in_band(tx, p01, rates, "amount_min", "amount_max"),
        _small=_in_band(tx, p03, rates, None, "small_max"),
        _small55=_in_band(tx, p06, rates, None, "small_max"),
        _cover=ibis.cases(
            (_in_band(tx, p08, rates, None, "small_max"), memo.fill_null(False)), else_=False
        ),
        _night=night.fill_null(False),
        _even=(tx.amount.cast("float64") % multiple) == 0,
        _purchase=purchases_only(category.isin(mcc) | merchant),
        _routed=payments_only(routed),
        _p2p=tx.channel.isin(list(cat.setting("p2p_channels"))),
        _epoch=epoch,
        _month=tx.ts_utc.year().cast("int64") * 12 + tx.ts_utc.month().cast("int64"),
        _dom=tx.ts_utc.day().cast("float64"),
        **kinds,
    )


def with_payer_residence(
    tx: ir.Table,
    customers: ir.Table | None,
    cat: Catalogue,
    execute: Callable[[ir.Table], pd.DataFrame],
    upload: Callable[[pd.DataFrame, str], ir.Table],
) -> ir.Table:
    """``tx`` with the payer's country filled from the payer's KYC record where the transaction
    lacks it, and ``_payer_offset``: the payer's own UTC offset at the payment, in minutes.

    ``utc_offset_minutes`` is the offset the time was *written* in. A time written in a local zone
    is taken as the payer's; a time written in UTC (offset 0) is the payer's only where the payer
    lives in a country whose clocks can read UTC (``utc_countries``). Otherwise the payer's
    residence gives the offset (``residence_zones``, daylight saving included, read per UTC day);
    where neither is known the offset is null and the payment carries no time-of-day evidence."""
    if customers is not None:
        c = customers.filter(customers.kind == "customer")
        c = c.group_by(["institution", "customer_ref"]).aggregate(
            _residence=c.residence_country.max()
        )
        c = c.rename(payer_ref="customer_ref")
        tx = tx.left_join(c, ["institution", "payer_ref"])
        tx = tx.mutate(payer_country=tx.payer_country.fill_null(tx._residence)).drop("_residence")
    zones: dict[str, str] = dict(cat.setting("residence_zones"))
    span = execute(tx.aggregate(lo=tx.ts_utc.min(), hi=tx.ts_utc.max()))
    lo, hi = span["lo"].iloc[0], span["hi"].iloc[0]
    days = pd.date_range(pd.Timestamp(lo).normalize(), pd.Timestamp(hi).normalize(), freq="D")
    rows = zone_offsets(zones, days) if len(days) else pd.DataFrame()
    if rows.empty:
        tx = tx.mutate(_home_offset=ibis.null("int64"))
    else:
        z = upload(rows, "residence_zone_offsets")
        tx = tx.left_join(
            z, [tx.payer_country == z._zone_country, tx.ts_utc.date() == z._zone_day]
        ).drop("_zone_country", "_zone_day")
    tx = with_card_abroad(tx)
    home = tx._home_offset
    written = tx.utc_offset_minutes.cast("int64")
    utc_ok = tx.payer_country.isin(list(cat.setting("utc_countries"))).fill_null(False)
    offset = ibis.cases(
        (written.notnull() & (written != 0), written),
        # abroad (the payer's card was used there), home hours would be wrong: unknown
        (tx._abroad, ibis.null("int64")),
        (written.notnull() & utc_ok & home.isnull(), written),
        (written.notnull() & (home == 0), written),
        else_=home,
    )
    return tx.mutate(
        _payer_offset=offset,
        _offset_from_residence=(
            offset.notnull() & (written.isnull() | (written != offset))
        ).fill_null(False),
    ).drop("_home_offset")


def with_card_abroad(tx: ir.Table) -> ir.Table:
    """``tx`` with ``_abroad``: a payment to someone in a country where the payer's card was used
    within a day of it (card statements carry the country of a purchase abroad). A traveller who
    pays a driver or a guesthouse is there; a buyer of livestreams pays from home."""
    card = tx.filter(
        tx.beneficiary_entity.isnull()
        & tx.beneficiary_country.notnull()
        & (tx.beneficiary_country != tx.payer_country.fill_null(""))
    )
    seen = card.select(_ap=card.payer_entity, _ac=card.beneficiary_country, _ad=card.ts_utc.date())
    days = ibis.union(
        *(seen.mutate(_ad=seen._ad + ibis.interval(days=k)) for k in (-1, 0, 1)), distinct=True
    )
    j = tx.left_join(
        days,
        [
            tx.payer_entity == days._ap,
            tx.beneficiary_country == days._ac,
            tx.ts_utc.date() == days._ad,
        ],
    )
    return j.mutate(_abroad=(j._ap.notnull() & j.beneficiary_entity.notnull())).drop(
        "_ap", "_ac", "_ad"
    )


def zone_offsets(zones: Mapping[str, str], days: pd.DatetimeIndex) -> pd.DataFrame:
    """(country, UTC day, offset in minutes at noon UTC that day) for each country's zone."""
    out = []
    for country, zone in sorted(zones.items()):
        noon = days.tz_localize("UTC") + pd.Timedelta(hours=12)
        local = noon.tz_convert(zone)
        off = [int(t.utcoffset().total_seconds() // 60) for t in local]
        out.append(
            pd.DataFrame({"_zone_country": country, "_zone_day": days.date, "_home_offset": off})
        )
    df = pd.concat(out, ignore_index=True)
    df["_home_offset"] = df["_home_offset"].astype("int64")
    return df


def payer_kyc(customers: ir.Table | None, tx: ir.Table) -> ir.Table:
    """Per payer entity: sex and nationality from KYC records (institution + customer reference)."""
    keys = tx.select("payer_entity", "institution", "payer_ref").distinct()
    if customers is None:
        return keys.group_by("payer_entity").aggregate(
            payer_sex=ibis.null(str).max(), payer_nationality=ibis.null(str).max()
        )
    c = customers.filter(customers.kind == "customer").select(
        institution="institution",
        payer_ref="customer_ref",
        _sex="sex",
        _nat="nationality",
    )
    j = keys.left_join(c, ["institution", "payer_ref"])
    return j.group_by("payer_entity").aggregate(
        payer_sex=j._sex.max(), payer_nationality=j._nat.max()
    )


def _circular_spread(c: ir.FloatingValue, s: ir.FloatingValue) -> ir.FloatingValue:
    """Circular spread in days of month-day angles with mean cosine ``c`` and sine ``s``:
    sqrt(-2 ln R) scaled to a month (R: mean resultant length); 0 for the same day every time."""
    r = ibis.greatest(ibis.least((c * c + s * s).sqrt(), 1.0), 1e-12)
    return ((r.ln() * -2.0).sqrt() * (DAYS_PER_MONTH / (2.0 * math.pi))).fill_null(0.0)


def _angle(day: ir.NumericValue) -> ir.FloatingValue:
    return day.cast("float64") * (2.0 * math.pi / DAYS_PER_MONTH)


def payday_spread(pay: ir.Table) -> ir.Table:
    """Per pair: circular spread (days) of the day of each month's largest payment (F03).

    A household allowance arrives on about the same day each month; top-ups in between are smaller
    and do not move it. Ties on the amount go to the later day of month, so that every engine picks
    the same payment."""
    key = pay._amt.round(2) + pay._dom / 10_000.0
    month = pay.group_by(["payer_entity", "beneficiary_entity", "_month"]).aggregate(
        _day=pay._dom.argmax(key)
    )
    ang = _angle(month._day)
    agg = month.group_by(["payer_entity", "beneficiary_entity"]).aggregate(
        _pc=ang.cos().mean(), _ps=ang.sin().mean()
    )
    return agg.select(
        "payer_entity", "beneficiary_entity", payday_spread=_circular_spread(agg._pc, agg._ps)
    )


def listed_origin(name: ir.StringValue, country: ir.StringValue, cat: Catalogue) -> ir.BooleanValue:
    """A word of ``name`` is on the name list of the naming culture of ``country``
    (settings.name_origin)."""
    norm = letters(name)
    branches = []
    for culture, spec in sorted(dict(cat.setting("name_origin")).items()):
        names = [str(n) for n in spec.get("names", [])]
        countries = [str(c) for c in spec.get("countries", [])]
        if not names or not countries:
            raise CatalogueError(f"settings.name_origin.{culture}: needs countries and names")
        branches.append((country.isin(countries), has_word(norm, names)))
    if not branches:
        return ibis.literal(False)
    return ibis.cases(*branches, else_=False)


def _surname_part(col: ir.StringValue) -> tuple[ir.BooleanValue, ir.StringValue]:
    """(written surname first, the name's surname part): the words before a comma where there is
    one (``HILARIO, Marvin``), else the whole name."""
    comma = col.fill_null("").contains(",")
    return comma, ibis.cases((comma, col.re_extract("^([^,]*),", 1)), else_=col)


def surname(col: ir.StringValue, particles: Sequence[str]) -> ir.StringValue:
    """The family name as a word: the last word, or the last word before a comma where the name is
    written surname first (``HILARIO, Marvin``); particles and short words dropped ('' if none)."""
    _comma, written = _surname_part(col)
    return last_word(normalise_name(written, particles)).fill_null("")


def learned_origin_words(agg: ir.Table, cat: Catalogue) -> ir.Table:
    """(country, word): surnames learned from the workspace's own names as typical of the
    beneficiaries in that country (F02's learned part).

    A surname is learned for country X when at least ``min_beneficiaries`` distinct beneficiaries
    in X carry it and its share among them is at least ``min_ratio`` times its share among the
    reference payers' surnames, the payers' count smoothed by ``payer_pseudo_count`` (so that a
    surname no payer carries is not an infinite ratio). The reference is every payer but those
    sharing a surname with a beneficiary in X. ``agg`` holds one row per payer–beneficiary pair
    with both names and the beneficiary's country."""
    f02 = cat.protection("F02_name_origin")
    min_b = int(f02.param("min_beneficiaries"))
    ratio = float(f02.param("min_ratio"))
    pseudo = float(f02.param("payer_pseudo_count"))
    if min_b < 1 or ratio <= 0 or pseudo <= 0:
        raise CatalogueError(
            "protection F02_name_origin: min_beneficiaries must be at least 1, min_ratio and "
            f"payer_pseudo_count above 0 (got {min_b}, {ratio}, {pseudo})"
        )
    particles = list(cat.setting("name_particles"))
    bn = agg.filter(agg.beneficiary_country.notnull())
    bn = bn.select(
        "beneficiary_entity",
        "beneficiary_country",
        word=surname(bn.beneficiary_name, particles),
    ).distinct()
    per_country = bn.group_by("beneficiary_country").aggregate(_nx=bn.beneficiary_entity.nunique())
    bw = bn.filter(bn.word != "")
    b = bw.group_by(["beneficiary_country", "word"]).aggregate(_b=bw.beneficiary_entity.nunique())
    # the reference: all payers' surnames, less, for country X, the payers who share a surname
    # with a beneficiary in X (F01: X's own families, whose surnames would otherwise count
    # against X's names)
    pn = agg.select("payer_entity", word=surname(agg.payer_name, particles)).distinct()
    p = pn.group_by("word").aggregate(_p=pn.payer_entity.nunique())
    n_payers = pn.aggregate(_np=pn.payer_entity.nunique())
    linked = agg.filter(shares_surname(agg.payer_name, agg.beneficiary_name, particles))
    linked = linked.filter(linked.beneficiary_country.notnull())
    linked = linked.select("payer_entity", "beneficiary_country").distinct()
    lw = linked.inner_join(pn, "payer_entity")
    lp = lw.group_by(["beneficiary_country", "word"]).aggregate(_l=lw.payer_entity.nunique())
    ln = linked.group_by("beneficiary_country").aggregate(_ln=linked.payer_entity.nunique())
    j = b.filter(b._b >= min_b).inner_join(per_country, "beneficiary_country")
    j = j.left_join(p, "word").cross_join(n_payers)
    j = j.drop(*[c for c in j.columns if c.endswith("_right")])
    j = j.left_join(lp, ["beneficiary_country", "word"])
    j = j.drop(*[c for c in j.columns if c.endswith("_right")])
    j = j.left_join(ln, "beneficiary_country")
    j = j.drop(*[c for c in j.columns if c.endswith("_right")])
    ref_p = j._p.fill_null(0) - j._l.fill_null(0)
    ref_n = j._np - j._ln.fill_null(0)
    share_b = j._b.cast("float64") / j._nx.cast("float64")
    share_p = (ref_p.cast("float64") + pseudo) / ibis.greatest(ref_n, 1).cast("float64")
    learned = j.filter(share_b >= share_p * ratio)
    return learned.select(country=learned.beneficiary_country, word=learned.word)


#: Surnames learned per country (:func:`learned_origin_words`, run once per scan).
LearnedSurnames = Mapping[str, Sequence[str]]


def pair_names(t: ir.Table) -> ir.Table:
    """One row per payer–beneficiary pair of payments: both names and the beneficiary's country
    (the input of :func:`learned_origin_words`)."""
    pay = t.filter(t._pay)
    return pay.group_by(["payer_entity", "beneficiary_entity"]).aggregate(
        payer_name=pay.payer_name.max(),
        beneficiary_name=pay.beneficiary_name.max(),
        beneficiary_country=pay.beneficiary_country.max(),
    )


def learned_surnames(words: pd.DataFrame) -> dict[str, list[str]]:
    """Country -> learned surnames, from the executed :func:`learned_origin_words`."""
    out: dict[str, list[str]] = {}
    for country, word in sorted(zip(words["country"], words["word"], strict=True)):
        out.setdefault(str(country), []).append(str(word))
    return out


def learned_origin(
    name: ir.StringValue,
    country: ir.StringValue,
    learned: LearnedSurnames,
    particles: Sequence[str],
) -> ir.BooleanValue:
    """A surname word of ``name`` is a surname learned for ``country``. Surname words are every
    word but the first (a Filipino middle name is the mother's surname; the first name David,
    also a Philippine surname, is not), or the words before a comma; a lone word counts.

    One regular expression per name, over ``country`` + ``,`` or ``:`` (written surname first or
    not) + the normalised name, so that the name is normalised once whatever the countries."""
    alternatives = []
    for c, words in sorted(learned.items()):
        if not words:
            continue
        w = "(" + "|".join(sorted(set(words))) + ")"
        cc = re.escape(c)
        alternatives += [f"^{cc}, ([a-z]+ )*{w} ", f"^{cc}: [a-z]+ ([a-z]+ )*{w} ", f"^{cc}: {w} $"]
    if not alternatives:
        return ibis.literal(False)
    comma, written = _surname_part(name)
    mark = ibis.cases((comma, ","), else_=":")
    key = country.fill_null("") + mark + normalise_name(written, particles)
    return key.re_search("|".join(alternatives))


def build_pairs(t: ir.Table, kyc: ir.Table, cat: Catalogue, learned: LearnedSurnames) -> ir.Table:
    """One row per payer–beneficiary pair with the family-link evidence of that pair."""
    pay = t.filter(t._pay)
    particles = list(cat.setting("name_particles"))
    agg = pay.group_by(["payer_entity", "beneficiary_entity"]).aggregate(
        n=pay.count(),
        n_small=_count(pay._small),
        n_small_hr=_count(pay._small & pay._hr),
        n_night=_count(pay._night),
        amount=pay._amt.sum(),
        first_ts=pay._epoch.min(),
        last_ts=pay._epoch.max(),
        n_months=pay._month.nunique(),
        # day of month as an angle: a payday at the month's end and one on the 1st are close
        _c=_angle(pay._dom).cos().mean(),
        _s=_angle(pay._dom).sin().mean(),
        hr=pay._hr.max(),
        payer_name=pay.payer_name.max(),
        beneficiary_name=pay.beneficiary_name.max(),
        payer_country=pay.payer_country.max(),
        beneficiary_country=pay.beneficiary_country.max(),
    )
    # circular spread of the payment day over all payments, in days
    agg = agg.mutate(dom_std=_circular_spread(agg._c, agg._s)).drop("_c", "_s")
    agg = agg.left_join(payday_spread(pay), ["payer_entity", "beneficiary_entity"])
    agg = agg.left_join(kyc, "payer_entity")
    # the observed window: first and last transaction of the whole table
    window = t.aggregate(_w0=t._epoch.min(), _w1=t._epoch.max())
    agg = agg.cross_join(window)
    agg = agg.drop(*[c for c in agg.columns if c.endswith("_right")])
    agg = agg.drop(*[c for c in agg.columns if c.endswith("_right")])
    f03 = cat.protection("F03_payday_pattern")
    f04 = cat.protection("F04_long_stable")
    surname = last_word(normalise_name(agg.payer_name, particles))
    per_month = agg.n.cast("float64") / agg.n_months.cast("float64")
    window_days = (agg._w1 - agg._w0) / SECONDS_PER_DAY
    since_first_days = (agg._w1 - agg.first_ts) / SECONDS_PER_DAY
    rel_surname = shares_surname(agg.payer_name, agg.beneficiary_name, particles)
    # both names of the beneficiary country's culture: on its name list or a learned surname
    payer_origin = listed_origin(agg.payer_name, agg.beneficiary_country, cat) | learned_origin(
        agg.payer_name, agg.beneficiary_country, learned, particles
    )
    benef_origin = listed_origin(
        agg.beneficiary_name, agg.beneficiary_country, cat
    ) | learned_origin(agg.beneficiary_name, agg.beneficiary_country, learned, particles)
    rel_origin = ((agg.payer_nationality == agg.beneficiary_country).fill_null(False)) | (
        payer_origin & benef_origin
    )
    rel_payday = (
        (agg.n_months >= int(f03.param("min_months")))
        & (per_month <= float(f03.param("max_per_month")))
        & (agg.payday_spread.fill_null(DAYS_PER_MONTH) <= float(f03.param("max_day_spread")))
    )
    # long: since the first payment, at least min_window_share of the observed window (capped at
    # min_span_days on long windows); stable: paid in min_month_share of the months since
    rel_stable = (
        (
            since_first_days
            >= ibis.least(
                window_days * float(f04.param("min_window_share")),
                float(f04.param("min_span_days")),
            )
        )
        & (agg.n_months >= int(f04.param("min_months")))
        & (
            agg.n_months.cast("float64")
            >= since_first_days / DAYS_PER_MONTH * float(f04.param("min_month_share"))
        )
        & (per_month <= float(f04.param("max_per_month")))
    )
    out = agg.mutate(
        payday_spread=agg.payday_spread.fill_null(DAYS_PER_MONTH / 2.0),
        payer_surname=surname,
        rel_surname=rel_surname.fill_null(False),
        rel_origin=rel_origin.fill_null(False),
        rel_payday=rel_payday.fill_null(False),
        rel_stable=rel_stable.fill_null(False),
    ).drop("_w0", "_w1")
    return out.mutate(
        related=out.rel_surname | out.rel_origin | out.rel_payday | out.rel_stable,
        foreign=(out.payer_country != out.beneficiary_country).fill_null(False),
    )


#: How many pseudo-payments pull a payer's share (of night, small, even, person-to-person or
#: related payments) and mean amount towards the whole workspace's: one payment of 60 at night
#: to an unrelated person abroad is weak evidence, not a share of 1 (issue 21: such one-off
#: senders took 72-81% of the alert budget on a world Bantay did not generate). With 4, one such
#: payment gives a night share of (1 + 4 m) / 5 where m is the workspace's; twenty, (20 + 4 m) / 24.
EVIDENCE_PSEUDO_PAYMENTS = 4.0


def shrunk(k: ir.NumericValue, n: ir.NumericValue) -> ir.FloatingValue:
    """``k / n`` with the evidence of ``n`` payments weighed (a Beta prior, empirical Bayes): the
    ratio of the sums over all payers stands for :data:`EVIDENCE_PSEUDO_PAYMENTS` payments."""
    kf, nf = k.fill_null(0).cast("float64"), n.fill_null(0).cast("float64")
    whole = ibis.window()  # every payer: the workspace's pooled share
    prior = kf.sum().over(whole) / ibis.greatest(nf.sum().over(whole), 1.0)
    return (kf + EVIDENCE_PSEUDO_PAYMENTS * prior) / (nf + EVIDENCE_PSEUDO_PAYMENTS)


def build_payer(
    t: ir.Table,
    pairs: ir.Table,
    kyc: ir.Table,
    cat: Catalogue,
    materialize: Materialize = inline,
) -> ir.Table:
    """One row per payer entity: its aggregations over every payment, over its pairs and its
    KYC facts, and the published rules' values (P03-P06, P09)."""
    base, kind_cols = _payer_base(t, materialize)
    window = _payer_month_window(t, pairs, materialize)
    esc = _payer_escalation(t, base, materialize)
    fan, rel = _payer_pairs(pairs)
    j = (
        base.left_join(esc, "payer_entity")
        .left_join(window, "payer_entity")
        .left_join(fan, "payer_entity")
        .left_join(rel, "payer_entity")
        .left_join(kyc, "payer_entity")
    )
    r = _payer_rules(j, cat)
    n_unrel, span, mean_interval = r.n_unrel, r.span, r.mean_interval
    n_hr = ibis.greatest(j.n_hr_tx, 1).cast("float64")
    return j.select(
        "payer_entity",
        "home_country",
        "n_tx",
        "n_hr_tx",
        "amount_total",
        "amount_hr",
        "n_lowval_sea",
        "n_small_hr",
        "n_small55_hr",
        "n_night_hr",
        "n_cover_hr",
        "n_p2p_hr",
        "n_related_purchases",
        "n_routed",
        "n_payment_sources",
        "n_residence_timed_hr",
        "n_timed_hr",
        "n_hr_abroad",
        n_unrel_hr_benefs=n_unrel,
        n_hr_benefs=j.n_hr_benefs.fill_null(0),
        n_rel_benefs=j.n_rel_benefs.fill_null(0),
        rel_surname=j.rel_surname.fill_null(0),
        rel_origin=j.rel_origin.fill_null(0),
        rel_payday=j.rel_payday.fill_null(0),
        rel_stable=j.rel_stable.fill_null(0),
        share_hr_related=shrunk(j.n_hr_to_related.fill_null(0), j.n_hr_tx),
        share_night_hr=shrunk(j.n_night_hr, j.n_timed_hr),
        share_small_hr=shrunk(j.n_small_hr, j.n_hr_tx),
        share_p2p_hr=shrunk(j.n_p2p_hr, j.n_hr_tx),
        share_even_hr=r.share_even,
        mean_amount_hr=shrunk(j.amount_hr, j.n_hr_tx),
        span_hr_days=span,
        mean_interval_days=mean_interval,
        rate_30d=j.n_hr_tx.cast("float64") / ibis.greatest(span, 30.0) * 30.0,
        max_pair_span_days=j.max_pair_span_days.fill_null(0.0),
        westpac_benefs=r.westpac,
        fintrac_benefs=r.fintrac,
        escalation_ratio=r.escalation,
        prolific_tx=r.prolific,
        # 1 male, 0 female, empty where the KYC does not say (most remitters' exports): an
        # unknown sex read as "not male" made every remitter's payer look like a woman (issue 21)
        payer_male=ibis.cases(
            (j.payer_sex == "male", 1.0), (j.payer_sex == "female", 0.0), else_=ibis.null("float64")
        ),
        max_unrel_benefs_month=j.max_unrel_benefs_month.fill_null(0),
        share_hr_months=shrunk(j.n_hr_months, j.n_months_seen),
        amount_cv_hr=(j.amount_sd_hr.fill_null(0.0) / ibis.greatest(j.amount_hr / n_hr, 1e-9)),
        share_amount_related=j.amount_hr_related.fill_null(0.0) / ibis.greatest(j.amount_hr, 1e-9),
        max_pair_months=j.max_pair_months.fill_null(0),
        min_pair_day_spread=j.min_pair_day_spread.fill_null(DAYS_PER_MONTH / 2.0),
        max_related_pair_months=j.max_related_pair_months.fill_null(0),
        n_related_kinds=sum(
            ((j[c] > 0).cast("int64") for c in kind_cols[1:]),
            (j[kind_cols[0]] > 0).cast("int64"),
        )
        if kind_cols
        else ibis.literal(0),
        **{c: j[c] for c in kind_cols},
    )


def _payer_base(t: ir.Table, materialize: Materialize) -> tuple[ir.Table, list[str]]:
    """The payer's aggregations over every payment (materialised: ``payer_base``), and the
    columns counting its related purchases by kind."""
    hr = t._pay & t._hr
    base = t.group_by("payer_entity").aggregate(
        n_tx=_count(t._pay),
        n_hr_tx=_count(hr),
        amount_total=t._amt.sum(),
        amount_hr=(t._amt * hr.cast("float64")).sum().fill_null(0.0),
        n_lowval_sea=_count(t._pay & t._sea & t._lowval_sea),
        n_small_hr=_count(hr & t._small),
        n_small55_hr=_count(hr & t._small55),
        n_night_hr=_count(hr & t._night),
        n_timed_hr=_count(hr & t._payer_offset.notnull()),
        n_residence_timed_hr=_count(hr & t._offset_from_residence),
        n_hr_abroad=_count(hr & t._abroad),
        n_cover_hr=_count(hr & t._cover),
        n_even_hr=_count(hr & t._even),
        n_p2p_hr=_count(hr & t._p2p),
        n_related_purchases=_count(t._purchase),
        n_routed=_count(t._routed),
        # payment sources (institution and account) of high-risk or routed payments; CASE builds
        # the string for those payments only
        n_payment_sources=ibis.cases(
            (hr | t._routed, t.institution + "|" + t.payer_account.fill_null("")),
            else_=ibis.null(str),
        ).nunique(),
        first_hr=ibis.cases((hr, t._epoch), else_=ibis.null("float64")).min(),
        last_hr=ibis.cases((hr, t._epoch), else_=ibis.null("float64")).max(),
        home_country=t.payer_country.max(),
        n_months_seen=t._month.nunique(),
        n_hr_months=ibis.cases((hr, t._month), else_=ibis.null("int64")).nunique(),
        amount_sd_hr=ibis.cases((hr, t._amt), else_=ibis.null("float64")).std(),
        **{f"n_purchases_{c[4:]}": _count(t[c]) for c in sorted(t.columns) if c.startswith("_rk_")},
    )
    # the aggregations over every payment are computed one at a time: in one query, DuckDB's hash
    # tables outgrew its memory ceiling by gigabytes at 100M transactions
    base = materialize(base, "payer_base")
    kind_cols = [f"n_purchases_{c[4:]}" for c in sorted(t.columns) if c.startswith("_rk_")]
    return base, kind_cols


def _payer_month_window(t: ir.Table, pairs: ir.Table, materialize: Materialize) -> ir.Table:
    """The most distinct unrelated high-risk beneficiaries paid within one calendar month."""
    hx = t.filter(t._pay & t._hr).select("payer_entity", "beneficiary_entity", "_month")
    pr = pairs.select("payer_entity", "beneficiary_entity", _rel=pairs.related)
    hx = hx.inner_join(pr, ["payer_entity", "beneficiary_entity"])
    hx = hx.filter(~hx._rel)
    per_month = hx.group_by(["payer_entity", "_month"]).aggregate(
        _nb=hx.beneficiary_entity.nunique()
    )
    window = per_month.group_by("payer_entity").aggregate(
        max_unrel_benefs_month=per_month._nb.max()
    )
    window = materialize(window, "payer_window")
    return window


def _payer_escalation(t: ir.Table, base: ir.Table, materialize: Materialize) -> ir.Table:
    """Amount paid to high-risk jurisdictions in the later half of the payer's tenure there, and
    in the earlier half (their ratio rises with both amount and frequency)."""
    h = t.filter(t._pay & t._hr).select("payer_entity", "_epoch", "_amt")
    h = h.inner_join(base.select("payer_entity", "first_hr", "last_hr"), "payer_entity")
    mid = (h.first_hr + h.last_hr) / 2.0
    late = (h._epoch > mid).cast("float64")
    esc = h.group_by("payer_entity").aggregate(
        _late=(h._amt * late).sum(), _early=(h._amt * (1.0 - late)).sum()
    )
    esc = materialize(esc, "payer_escalation")
    return esc


def _payer_pairs(pairs: ir.Table) -> tuple[ir.Table, ir.Table]:
    """Over the payer's high-risk pairs: the fan-out to unrelated beneficiaries paid small sums,
    and the family-link evidence (related beneficiaries, surname, origin, payday, stability)."""
    hp = pairs.filter(pairs.hr)
    unrel = hp.filter(~hp.related & (hp.n_small_hr > 0))
    fan = unrel.group_by("payer_entity").aggregate(
        n_unrel_hr_benefs=unrel.count(), n_unrel_small=unrel.n_small_hr.sum()
    )
    rel = hp.group_by("payer_entity").aggregate(
        n_hr_benefs=hp.count(),
        n_rel_benefs=_count(hp.related),
        n_hr_to_related=(hp.n * hp.related.cast("int64")).sum(),
        rel_surname=_count(hp.rel_surname),
        rel_origin=_count(hp.rel_origin),
        rel_payday=_count(hp.rel_payday),
        rel_stable=_count(hp.rel_stable),
        max_pair_span_days=((hp.last_ts - hp.first_ts) / SECONDS_PER_DAY).max(),
        amount_hr_related=(hp.amount * hp.related.cast("float64")).sum(),
        min_pair_day_spread=ibis.cases(
            (hp.n_months >= 3, hp.payday_spread), else_=ibis.null("float64")
        ).min(),
        max_pair_months=hp.n_months.max(),
        max_related_pair_months=ibis.cases(
            (hp.related, hp.n_months), else_=ibis.null("int64")
        ).max(),
    )
    return fan, rel


@dataclass(frozen=True)
class _PayerRules:
    n_unrel: ir.IntegerValue
    span: ir.FloatingValue
    mean_interval: ir.FloatingValue
    male: ir.BooleanValue
    westpac: ir.IntegerValue
    fintrac: ir.IntegerValue
    escalation: ir.FloatingValue
    prolific: ir.IntegerValue
    share_even: ir.FloatingValue


def _payer_rules(j: ir.Table, cat: Catalogue) -> _PayerRules:
    """The published rules' values on the joined payer table, with the span, mean interval,
    unrelated fan-out and sex they rest on."""
    p03 = cat.indicator("P03_westpac_typology")
    p04 = cat.indicator("P04_male_to_females_abroad")
    p05 = cat.indicator("P05_escalation")
    p06 = cat.indicator("P06_prolific_signature")
    p09 = cat.indicator("P09_even_amounts")
    n_unrel = j.n_unrel_hr_benefs.fill_null(0)
    span = ((j.last_hr - j.first_hr) / SECONDS_PER_DAY).fill_null(0.0)
    rate30 = j.n_unrel_small.fill_null(0).cast("float64") / ibis.greatest(span, 30.0) * 30.0
    mean_interval = span / ibis.greatest(j.n_hr_tx - 1, 1).cast("float64")
    westpac = ibis.cases((rate30 >= float(p03.param("min_rate_30d")), n_unrel), else_=0)
    male = (j.payer_sex == "male").fill_null(False)
    fintrac = ibis.cases(
        (male & (j.n_unrel_small.fill_null(0) >= int(p04.param("min_payments"))), n_unrel),
        else_=0,
    )
    escalation = ibis.cases(
        (
            (j.n_hr_tx >= int(p05.param("min_payments"))) & (j._early > 0),
            j._late / j._early,
        ),
        else_=0.0,
    )
    prolific = ibis.cases(
        (
            (j.n_small55_hr >= int(p06.param("min_payments")))
            & (mean_interval < float(p06.param("max_interval_days")))
            & (j.n_small55_hr * 2 >= j.n_hr_tx),
            j.n_small55_hr,
        ),
        else_=0,
    )
    # P09 keeps its minimum evidence: the share counts from min_payments payments on
    share_even = ibis.cases(
        (j.n_hr_tx >= int(p09.param("min_payments")), shrunk(j.n_even_hr, j.n_hr_tx)),
        else_=0.0,
    )
    return _PayerRules(
        n_unrel, span, mean_interval, male, westpac, fintrac, escalation, prolific, share_even
    )


def build_beneficiary(t: ir.Table, pairs: ir.Table, cat: Catalogue) -> ir.Table:
    pay = t.filter(t._pay)
    base = pay.group_by("beneficiary_entity").aggregate(
        n_in=pay.count(),
        amount_in=pay._amt.sum(),
        n_payers=pay.payer_entity.nunique(),
        n_sending_institutions=pay.institution.nunique(),
        n_night_in=_count(pay._night),
        n_cover_in=_count(pay._cover),
        n_small_in=_count(pay._small),
        n_lowval_payers=ibis.cases((pay._sea & pay._lowval_sea, pay.payer_entity)).nunique(),
        beneficiary_country=pay.beneficiary_country.max(),
        hr=pay._hr.max(),
        first_in=pay._epoch.min(),
        last_in=pay._epoch.max(),
    )
    u = pairs.filter(~pairs.related & pairs.foreign)
    unrel = u.group_by("beneficiary_entity").aggregate(
        n_unrel_foreign_payers=_count(u.n_small > 0),
        n_repeat_unrel_payers=_count(u.n_small >= REPEAT_PAYMENTS),
        n_small_inbound_nonrel=u.n_small.sum(),
        n_unrel_payments=u.n.sum(),
        n_payer_surnames=ibis.cases((u.payer_surname != "", u.payer_surname)).nunique(),
        n_payer_countries=u.payer_country.nunique(),
        n_unrel_night=u.n_night.sum(),
    )
    rel = pairs.group_by("beneficiary_entity").aggregate(
        n_rel_payers=_count(pairs.related),
        max_payer_span_days=((pairs.last_ts - pairs.first_ts) / SECONDS_PER_DAY).max(),
    )
    j = base.left_join(unrel, "beneficiary_entity").left_join(rel, "beneficiary_entity")
    n_in = ibis.greatest(j.n_in, 1).cast("float64")
    span = (j.last_in - j.first_in) / SECONDS_PER_DAY
    return j.select(
        "beneficiary_entity",
        "beneficiary_country",
        "n_in",
        "amount_in",
        "n_payers",
        "n_sending_institutions",
        "n_lowval_payers",
        hr=j.hr.cast("int64"),
        n_unrel_foreign_payers=j.n_unrel_foreign_payers.fill_null(0),
        n_repeat_unrel_payers=j.n_repeat_unrel_payers.fill_null(0),
        n_small_inbound_nonrel=j.n_small_inbound_nonrel.fill_null(0),
        n_unrel_payments=j.n_unrel_payments.fill_null(0),
        n_payer_surnames=j.n_payer_surnames.fill_null(0),
        n_payer_countries=j.n_payer_countries.fill_null(0),
        n_rel_payers=j.n_rel_payers.fill_null(0),
        share_unrel_payers=j.n_unrel_foreign_payers.fill_null(0).cast("float64")
        / ibis.greatest(j.n_payers, 1).cast("float64"),
        share_night_in=j.n_night_in.cast("float64") / n_in,
        share_cover_in=j.n_cover_in.cast("float64") / n_in,
        share_small_in=j.n_small_in.cast("float64") / n_in,
        mean_amount_in=j.amount_in / n_in,
        span_in_days=span,
        rate_in_30d=j.n_in.cast("float64") / ibis.greatest(span, 30.0) * 30.0,
        max_payer_span_days=j.max_payer_span_days.fill_null(0.0),
    )


def build_identifiers(t: ir.Table) -> ir.Table:
    """Beneficiary identifiers (phone digits, account, name, city) for dens and seeds."""
    pay = t.filter(t._pay)
    return pay.select(
        "beneficiary_entity",
        phone=pay.beneficiary_phone.re_replace(r"[^0-9+]", ""),
        account=pay.beneficiary_account.upper().re_replace(r"[^0-9A-Z]", ""),
        name=pay.beneficiary_name.lower().re_replace(r"[^a-z]+", " ").strip(),
        city=pay.beneficiary_city.lower().re_replace(r"[^a-z]+", " ").strip(),
        country=pay.beneficiary_country,
    ).distinct()


def build_copayment(pairs: ir.Table, cat: Catalogue) -> tuple[ir.Table, ir.Table, ir.Table]:
    """Who shares whom, over the unrelated high-risk payer-beneficiary pairs: co-payers per payer,
    co-beneficiaries per beneficiary, and the beneficiary pairs that share payers (den edges).

    These self-joins grow with the square of a beneficiary's fan-in (or a payer's fan-out), so
    they run on the engine (distributed under Spark) rather than in the driver's memory; only
    their per-entity counts and the pairs that can make a den edge come back."""
    unrel = pairs.filter(~pairs.related & pairs.hr)
    pb = unrel.select("payer_entity", "beneficiary_entity").distinct()
    x = pb.rename(payer_x="payer_entity", benef_x="beneficiary_entity")
    y = pb.rename(payer_y="payer_entity", benef_y="beneficiary_entity")
    co = x.join(y, x.benef_x == y.benef_y).filter(lambda t: t.payer_x != t.payer_y)
    copayers = co.group_by(payer_entity=co.payer_x).aggregate(
        n_copayers=co.payer_y.nunique().cast("int64")
    )
    cb = x.join(y, x.payer_x == y.payer_y).filter(lambda t: t.benef_x != t.benef_y)
    cobenefs = cb.group_by(beneficiary_entity=cb.benef_x).aggregate(
        n_cobenefs=cb.benef_y.nunique().cast("int64")
    )
    low = int(cat.indicator("N04_den_membership").param("location_needs_payer"))
    both = cb.filter(cb.benef_x < cb.benef_y)
    shared = (
        both.group_by(a=both.benef_x, b=both.benef_y)
        .aggregate(n=both.count().cast("int64"))
        .filter(lambda t: t.n >= low)
    )
    return copayers, cobenefs, shared


def build_features(
    table: Callable[[str], ir.Table],
    names: list[str],
    cat: Catalogue,
    rates: Rates,
    entity_keys: Callable[[Callable[[str], ir.Table], list[str], ir.Table], ir.Table],
    execute: Callable[[ir.Table], pd.DataFrame],
    materialize: Materialize = inline,
    upload: Callable[[pd.DataFrame, str], ir.Table] = lambda df, name: ibis.memtable(df),
) -> FeatureTables:
    """All feature tables as (lazy) Ibis expressions over the backend's tables.

    One small table is run here with ``execute``: the surnames learned per country (F02), so that
    the pairs carry them as a list instead of each feature table recomputing them. The tables that
    several feature tables read are computed once with ``materialize``: the payments with their
    flags (only the columns the features read), the payers' KYC facts and the pairs; so are the
    payers' aggregations over every payment (see :func:`build_payer`)."""
    tx = entity_keys(table, names, table("transactions"))
    customers = table("party_records") if "party_records" in names else None
    tx = with_payer_residence(tx, customers, cat, execute, upload)
    t = enrich(tx, cat, rates)
    keep = [c for c in t.columns if c in FEATURE_INPUTS or c.startswith("_")]
    t = materialize(t.select(*keep), "payments")
    kyc = materialize(payer_kyc(customers, t), "payer_kyc")
    learned = learned_surnames(execute(learned_origin_words(pair_names(t), cat)))
    pairs = materialize(build_pairs(t, kyc, cat, learned), "pairs")
    copayers, cobenefs, shared = build_copayment(pairs, cat)
    return FeatureTables(
        pairs=pairs,
        payer=build_payer(t, pairs, kyc, cat, materialize),
        beneficiary=build_beneficiary(t, pairs, cat),
        identifiers=build_identifiers(t),
        copayers=copayers,
        cobenefs=cobenefs,
        shared_payers=shared,
    )

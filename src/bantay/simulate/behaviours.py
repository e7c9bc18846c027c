"""Vectorised behaviours: every transaction of a chunk of payers, as numpy columns.

No Python loop runs per transaction: each flow expands its relationships (or persons) into events with
``np.repeat`` and draws all amounts, days and hours at once. A chunk depends only on the world, the
seed and the chunk's index, so the output does not depend on the machine or on the order of work.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from bantay.simulate.reference import (
    BASE_USD_RATES,
    CHANNELS,
    COUNTRIES,
    DESTINATIONS,
    MERCHANTS,
    PAYER_COUNTRIES,
)
from bantay.simulate.world import (
    COUNTRY_CODES,
    CURRENCIES,
    CURRENCY,
    FLOW,
    INSTITUTIONS,
    ROLE,
    ZONES,
    World,
)

Arr = npt.NDArray[Any]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

COLUMNS = (
    "inst",
    "cust",
    "payer",
    "bene",
    "brec",
    "flow",
    "ts",
    "amount",
    "currency",
    "channel",
    "memo",
    "merchant",
    "k",
    "place",
)
_INST_CHANNEL = np.array([CHANNELS.index(i.channel) for i in INSTITUTIONS], dtype=np.int8)
_CARD = CHANNELS.index("card")
_CUR_USD = np.array([BASE_USD_RATES[c] for c in CURRENCIES])


def _hours(rng: np.random.Generator, weights: list[float], size: int) -> I64:
    w = np.asarray(weights, dtype=np.float64)
    hour = rng.choice(24, size=size, p=w / w.sum()).astype(np.int64)
    return hour * 3600 + rng.integers(0, 3600, size=size)


def _night_workers(world: Any, payers: I64, share: float) -> npt.NDArray[np.bool_]:
    """Which payers work nights (nurses, carers, call-centre and security staff abroad): a fixed
    draw per person and world, so that all of a person's payments follow one rhythm."""
    salt = np.uint64((world.config.seed * 0x9E3779B1 + 0x7F4A7C15) % 2**32)
    h = (payers.astype(np.uint64) * np.uint64(2654435761) + salt) % np.uint64(2**32)
    return (h.astype(np.float64) / 2**32) < share


def _round_amounts(rng: np.random.Generator, amount: F64, even_share: float) -> F64:
    """Whole or even amounts as people type them; the rest to the cent."""
    r = rng.random(amount.size)
    step = np.where(amount < 100, 5.0, 10.0)
    even = np.maximum(step, np.round(amount / step) * step)
    whole = np.maximum(1.0, np.round(amount))
    cents = np.round(amount, 2)
    return np.where(
        r < even_share, even, np.where(r < even_share + 0.5 * (1 - even_share), whole, cents)
    )


def _empty() -> dict[str, Arr]:
    return {c: np.zeros(0, dtype=np.int64) for c in COLUMNS}


def _pack(
    world: World,
    cust: Arr,
    payer: Arr,
    bene: Arr,
    brec: Arr,
    flow: Arr | int,
    day: I64,
    sec: I64,
    amount: F64,
    memo: Arr,
    merchant: Arr | int = -1,
    currency: Arr | None = None,
    k: Arr | int = -1,
    card: bool = False,
    zone: Arr | None = None,
    place: Arr | int = -1,
) -> dict[str, Arr]:
    """Columns of ``n`` transactions; ``day`` and ``sec`` are local to ``zone`` (default: the
    payer's, where the payer is when paying). ``place``: for a card purchase abroad, the country
    (index) where the card was used (-1: at home)."""
    n = day.size
    ts = world.clock.to_utc(world.p_zone[payer] if zone is None else zone, day, sec)
    inst = world.c_inst[cust]
    return {
        "inst": inst,
        "cust": cust.astype(np.int32),
        "payer": payer.astype(np.int32),
        "bene": np.broadcast_to(bene, n).astype(np.int32),
        "brec": np.broadcast_to(brec, n).astype(np.int32),
        "flow": np.broadcast_to(np.asarray(flow, dtype=np.int8), n).copy(),
        "ts": ts,
        "amount": amount,
        "currency": (world.p_currency[payer] if currency is None else currency).astype(np.int32),
        "channel": np.full(n, _CARD, dtype=np.int8) if card else _INST_CHANNEL[inst],
        "memo": memo.astype(np.int32),
        "merchant": np.broadcast_to(np.asarray(merchant, dtype=np.int32), n).copy(),
        "k": np.broadcast_to(np.asarray(k, dtype=np.int32), n).copy(),
        "place": np.broadcast_to(np.asarray(place, dtype=np.int32), n).copy(),
    }


def _concat(parts: list[dict[str, Arr]]) -> dict[str, Arr]:
    parts = [p for p in parts if p["ts"].size]
    if not parts:
        return _empty()
    return {c: np.concatenate([p[c] for p in parts]) for c in COLUMNS}


def _pick_memo(
    rng: np.random.Generator,
    ranges: dict[str, tuple[int, int]],
    flow: str,
    size: int,
    share: float = 1.0,
) -> I64:
    lo, hi = ranges[flow]
    m = rng.integers(lo, hi, size=size)
    if share < 1.0:
        m = np.where(rng.random(size) < share, m, 0)
    return m


# -- legitimate cross-border flows ------------------------------------------------------------


def _monthly(
    world: World, rng: np.random.Generator, sel: I64, ranges: dict[str, tuple[int, int]]
) -> dict[str, Arr]:
    """Regular payments near payday (family, in-laws, freelancers, sponsors). A sponsorship of a
    charity pays its price every month; by standing order (``mode`` 1) it goes out on its day
    every month, in the bank's overnight batch."""
    r = world.rels
    pr = world.profile.parameters
    fam, sp = pr.family, pr.sponsor
    months = world.config.months
    ms = world.month_start
    rel = np.repeat(sel, months)
    m = np.tile(np.arange(months), sel.size)
    twice = r["rate"][rel] >= 2
    rel = np.concatenate([rel, rel[twice]])
    m = np.concatenate([m, m[twice]])
    second = np.zeros(rel.size, dtype=bool)
    second[rel.size - int(twice.sum()) :] = True
    flow = r["flow"][rel]
    sponsor = (flow == FLOW["sponsorship"]) | (flow == FLOW["direct_sponsorship"])
    standing = sponsor & (r["mode"][rel] == 1)
    jitter = fam.payday_jitter_days.value
    shift = np.where(standing, 0, rng.integers(-jitter, jitter + 1, rel.size))
    dom = r["payday"][rel] - 1 + np.where(second, 13, 0) + shift
    month_len = ms[m + 1] - ms[m]
    day = ms[m] + np.clip(dom, 0, month_len - 1)
    skip = np.where(
        sponsor,
        np.where(standing, 0.0, sp.direct_skip_month_prob.value),
        fam.skip_month_prob.value,
    )
    keep = (day >= r["start"][rel]) & (day < r["end"][rel]) & (rng.random(rel.size) >= skip)
    rel, day, flow = rel[keep], day[keep], flow[keep]
    sponsor, standing = sponsor[keep], standing[keep]
    sigma = np.where(sponsor, sp.direct_amount_sigma.value, fam.amount_sigma.value)
    amount = r["median"][rel] * np.exp(sigma * rng.standard_normal(rel.size))
    amount = _round_amounts(rng, amount, 0.5)
    charity = flow == FLOW["sponsorship"]
    amount = np.where(charity, r["median"][rel], amount)  # the charity's price, every month
    memo = np.zeros(rel.size, dtype=np.int64)
    for name, share in (
        ("family_remittance", 1.0),
        ("inlaw_remittance", 1.0),
        ("freelancer_payment", 1.0),
        ("sponsorship", sp.memo_share.value),
        ("direct_sponsorship", sp.memo_share.value),
    ):
        mask = flow == FLOW[name]
        if mask.any():
            memo[mask] = _pick_memo(rng, ranges, name, int(mask.sum()), share)
    sec = _hours(rng, fam.hour_weights.value, rel.size)
    night = _night_workers(world, r["payer"][rel], fam.night_worker_share.value) & ~sponsor
    sec[night] = _hours(rng, fam.night_worker_hour_weights.value, int(night.sum()))
    by_hand = sponsor & ~standing
    if sponsor.any():
        sec[by_hand] = _hours(rng, sp.hour_weights.value, int(by_hand.sum()))
        sec[standing] = _hours(rng, sp.standing_order_hour_weights.value, int(standing.sum()))
    return _pack(
        world,
        r["cust"][rel],
        r["payer"][rel],
        r["bene"][rel],
        r["brec"][rel],
        flow,
        day.astype(np.int64),
        sec,
        amount,
        memo,
    )


def _poisson(
    world: World, rng: np.random.Generator, sel: I64, ranges: dict[str, tuple[int, int]]
) -> dict[str, Arr]:
    """Ad-hoc payments: family top-ups, partner support, fraud and romance-scam victims'
    escalating payments."""
    r = world.rels
    pr = world.profile.parameters
    flow = r["flow"][sel]
    span = np.maximum(1, r["end"][sel] - r["start"][sel])
    scam = (flow == FLOW["fraud_mule_payment"]) | (flow == FLOW["romance_scam"])
    lam = np.where(scam, np.maximum(r["rate"][sel] - 1, 0), r["rate"][sel] * span / 30.44)
    count = rng.poisson(lam) + scam.astype(np.int64)
    rel = np.repeat(sel, count)
    day = r["start"][rel] + (rng.random(rel.size) * span[np.repeat(np.arange(sel.size), count)])
    day = day.astype(np.int64)
    f = r["flow"][rel]
    # top-ups cluster in school-start and holiday months: thin by month weight
    topup = f == FLOW["family_topup"]
    if topup.any():
        mw = np.asarray(pr.family.topup_month_weights.value)
        month = (
            np.searchsorted(world.month_start, day, side="right") - 1 + world.config.start.month - 1
        ) % 12
        keep = ~topup | (rng.random(rel.size) < mw[month] / mw.max())
        rel, day, f = rel[keep], day[keep], f[keep]
    n = rel.size
    amount = r["median"][rel] * rng.lognormal(0, 0.5, n)
    fraud = f == FLOW["fraud_mule_payment"]
    romance = f == FLOW["romance_scam"]
    if fraud.any() or romance.any():
        # escalation: the i-th payment of a victim is escalation**i times the first
        order = np.lexsort((day, rel))
        ranked = np.empty(n, dtype=np.int64)
        srel = rel[order]
        first = np.r_[True, srel[1:] != srel[:-1]]
        grp_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        ranked[order] = np.arange(n) - grp_start
        amount = np.where(fraud, amount * pr.fraud.escalation_per_payment.value**ranked, amount)
        amount = np.where(romance, amount * pr.romance.escalation_per_payment.value**ranked, amount)
    partner = f == FLOW["partner_support"]
    amount = np.where(
        partner, r["median"][rel] * rng.lognormal(0, pr.partner.amount_sigma.value, n), amount
    )
    amount = _round_amounts(rng, amount, 0.6)
    memo = np.zeros(n, dtype=np.int64)
    for name, share in (
        ("family_topup", 1.0),
        ("partner_support", 1.0),
        ("fraud_mule_payment", 1.0),
        ("romance_scam", pr.romance.memo_share.value),
    ):
        mask = f == FLOW[name]
        if mask.any():
            memo[mask] = _pick_memo(rng, ranges, name, int(mask.sum()), share)
    sec = _hours(rng, pr.family.hour_weights.value, n)
    for mask, weights in ((partner, pr.partner.hour_weights), (romance, pr.romance.hour_weights)):
        if mask.any():
            sec[mask] = _hours(rng, weights.value, int(mask.sum()))
    # night-shift workers top up family and support partners after their shifts too
    night = _night_workers(world, r["payer"][rel], pr.family.night_worker_share.value)
    night &= (f == FLOW["family_topup"]) | partner
    sec[night] = _hours(rng, pr.family.night_worker_hour_weights.value, int(night.sum()))
    return _pack(
        world,
        r["cust"][rel],
        r["payer"][rel],
        r["bene"][rel],
        r["brec"][rel],
        f,
        day,
        sec,
        amount,
        memo,
    )


def _exact(
    world: World, rng: np.random.Generator, sel: I64, ranges: dict[str, tuple[int, int]]
) -> dict[str, Arr]:
    """Payments planned one by one: a one-off transfer on its day, a traveller's payments during
    the stay (``rate`` payments in the window, at the destination's hours: ``mode`` 1) or a
    deposit from home."""
    r = world.rels
    pr = world.profile.parameters
    oo, tv = pr.one_off, pr.traveller
    count = r["rate"][sel].astype(np.int64)
    rel = np.repeat(sel, count)
    n = rel.size
    span = np.maximum(1, r["end"][rel] - r["start"][rel])
    day = (r["start"][rel] + rng.random(n) * span).astype(np.int64)
    f = r["flow"][rel]
    one_off = f == FLOW["one_off_transfer"]
    sigma = np.where(one_off, oo.amount_sigma.value, tv.amount_sigma.value)
    amount = r["median"][rel] * np.exp(sigma * rng.standard_normal(n))
    amount = _round_amounts(rng, amount, 0.5)
    memo = np.zeros(n, dtype=np.int64)
    for name, share in (
        ("one_off_transfer", oo.memo_share.value),
        ("travel_payment", tv.memo_share.value),
    ):
        mask = f == FLOW[name]
        if mask.any():
            memo[mask] = _pick_memo(rng, ranges, name, int(mask.sum()), share)
    sec = _hours(rng, oo.hour_weights.value, n)
    travel = ~one_off
    if travel.any():
        sec[travel] = _hours(rng, tv.hour_weights.value, int(travel.sum()))
    payer, bene = r["payer"][rel], r["bene"][rel]
    abroad = r["mode"][rel] == 1
    zone = np.where(abroad, world.p_zone[bene], world.p_zone[payer])
    return _pack(
        world,
        r["cust"][rel],
        payer,
        bene,
        r["brec"][rel],
        f,
        day,
        sec,
        amount,
        memo,
        zone=zone,
    )


# -- offenders ----------------------------------------------------------------------------------


def _osec(
    world: World, rng: np.random.Generator, lo: int, hi: int, ranges: dict[str, tuple[int, int]]
) -> dict[str, Arr]:
    o = world.offenders
    if o["payer"].size == 0:
        return _empty()
    a, b = np.searchsorted(o["payer"], [lo, hi])
    if a == b:
        return _empty()
    p = world.profile.parameters.osec
    sel = np.arange(a, b)
    n = o["n"][sel].astype(np.int64)
    total = int(n.sum())
    grp = np.repeat(np.arange(sel.size), n)
    starts = np.cumsum(n) - n
    k = np.arange(total) - starts[grp]
    # intervals shorten with tenure: gap_k = gap0 * (1 + k) ** -beta
    gap = o["gap0"][sel][grp] * (1.0 + k) ** (-p.gap_shrink_exponent.value)
    gap *= rng.exponential(1.0, total)
    gap[starts] = 0.0
    c = np.cumsum(gap)
    c -= c[starts][grp]
    span = c[starts + n - 1]
    width = world.config.days - 1.0
    scale = np.where(span > 0.95 * width, 0.95 * width / np.maximum(span, 1e-9), 1.0)
    c *= scale[grp]
    t0 = o["start"][sel] * (width - span * scale)
    day = np.floor(t0[grp] + c).astype(np.int64)
    sec = _hours(rng, p.hour_weights.value, total)
    # amounts rise with tenure: base * (1 + k) ** alpha
    base = o["base"][sel][grp]
    amount = base * (1.0 + k) ** p.amount_escalation_exponent.value
    amount *= rng.lognormal(0.0, p.amount_sigma.value, total)
    payer = o["payer"][sel][grp]
    aud_in_cur = BASE_USD_RATES["AUD"] / _CUR_USD[world.p_currency[payer]]
    amount = np.clip(
        amount, p.amount_min_aud.value * aud_in_cur, p.amount_max_aud.value * aud_in_cur
    )
    amount = _round_amounts(rng, amount, p.even_amount_share.value)
    # beneficiaries: rotating mules, or a main beneficiary and others
    nb = o["n_bene"][sel][grp]
    rot = o["rotate"][sel][grp]
    other = rng.integers(0, 1 << 30, total) % nb
    main = rng.random(total) < p.main_beneficiary_share.value
    j = np.where(rot > 0, (k // np.maximum(rot, 1)) % nb, np.where(main, 0, other))
    # accounts: the next identity (at another institution) after an account is closed
    slot = np.minimum(k // o["closure_after"][sel][grp], o["n_acc"][sel][grp] - 1)
    cust = o["acc_flat"][o["acc_off"][sel][grp] + slot]
    brec = o["brec_flat"][o["brec_off"][sel][grp] + slot * nb + j]
    bene = o["bene_flat"][o["bene_off"][sel][grp] + j]
    memo = _pick_memo(rng, ranges, "osec_payment", total, p.memo_share.value)
    return _pack(world, cust, payer, bene, brec, FLOW["osec_payment"], day, sec, amount, memo, k=k)


# -- card spending ------------------------------------------------------------------------------

#: the (first) time zone of each country, by country index: where a card is used abroad
_COUNTRY_ZONE = np.array(
    [ZONES.index(COUNTRIES[c].zones[0]) for c in COUNTRY_CODES], dtype=np.int32
)
_MERCH_KIND = np.array([m.kind for m in MERCHANTS])
_MERCH_USD = np.array([m.median_usd for m in MERCHANTS])
_EVERYDAY = np.flatnonzero(_MERCH_KIND == "everyday")
_BY_KIND = {
    kd: np.flatnonzero(kd == _MERCH_KIND) for kd in ("vpn", "capture", "tokens", "airline", "hotel")
}


def _cards(
    world: World, rng: np.random.Generator, lo: int, hi: int, ranges: dict[str, tuple[int, int]]
) -> dict[str, Arr]:
    pu = world.purchases
    cd = world.profile.parameters.card
    days = world.config.days
    persons = np.arange(lo, hi)
    persons = persons[world.roles[persons] != ROLE["client_business"]]
    parts: list[dict[str, Arr]] = []
    cur = world.p_currency

    def add(
        who: Arr,
        day: I64,
        merchant: Arr,
        usd: F64,
        memo: Arr | None = None,
        currency: Arr | None = None,
        place: Arr | None = None,
    ) -> None:
        keep = (day >= 0) & (day < days)
        who, day, merchant, usd = who[keep], day[keep], merchant[keep], usd[keep]
        cu = cur[who] if currency is None else currency[keep]
        where = np.full(who.size, -1, dtype=np.int32) if place is None else place[keep]
        # a purchase abroad is made in the local day of the country where the card is used
        zone = np.where(where >= 0, _COUNTRY_ZONE[np.maximum(where, 0)], world.p_zone[who])
        amount = np.maximum(0.5, np.round(usd / _CUR_USD[cu], 2))
        m = np.zeros(who.size, dtype=np.int64) if memo is None else memo[keep]
        parts.append(
            _pack(
                world,
                pu["bank_cust"][who],
                who,
                np.full(who.size, -1, dtype=np.int32),
                np.full(who.size, -1, dtype=np.int32),
                FLOW["card_purchase"],
                day,
                _hours(rng, cd.hour_weights.value, who.size),
                amount,
                m,
                merchant=merchant,
                currency=cu,
                card=True,
                zone=zone,
                place=where,
            )
        )

    # everyday spending
    cnt = rng.poisson(cd.purchases_per_month.value * days / 30.44, persons.size)
    who = np.repeat(persons, cnt)
    merch = _EVERYDAY[rng.integers(0, _EVERYDAY.size, who.size)]
    add(
        who,
        rng.integers(0, days, who.size),
        merch,
        _MERCH_USD[merch] * rng.lognormal(0, 0.6, who.size),
    )
    # VPN subscriptions: monthly, same day, same price
    subs = persons[pu["vpn"][persons]]
    if subs.size:
        months = world.config.months
        who = np.repeat(subs, months)
        mi = np.tile(np.arange(months), subs.size)
        dom = (who * 7919) % 28
        m = _BY_KIND["vpn"][who % 2]
        add(who, world.month_start[mi] + dom, m, _MERCH_USD[m] * (1 + (who % 3) * 0.1))
    # livestream / app tokens
    tk = persons[pu["tokens"][persons]]
    if tk.size:
        who = np.repeat(tk, rng.poisson(2.0 * days / 30.44, tk.size))
        m = _BY_KIND["tokens"][rng.integers(0, 2, who.size)]
        add(
            who,
            rng.integers(0, days, who.size),
            m,
            np.round(_MERCH_USD[m] * rng.lognormal(0, 0.5, who.size) / 5) * 5 + 4.99,
        )
    # screen capture software: one purchase
    cap = persons[pu["capture"][persons]]
    if cap.size:
        m = _BY_KIND["capture"][rng.integers(0, 2, cap.size)]
        add(cap, rng.integers(0, days, cap.size), m, _MERCH_USD[m] + 0.99)
    # travel: a ticket, then a hotel at the destination in its currency (a traveller's first trip
    # is the stay of their local payments: the hotel is paid when it begins)
    tr = persons[pu["trips"][persons] > 0]
    if tr.size:
        who = np.repeat(tr, pu["trips"][tr])
        d = rng.integers(0, days, who.size)
        lead = rng.integers(14, 60, who.size)
        first = np.r_[True, who[1:] != who[:-1]]
        stay = first & (pu["trip_day"][who] >= 0)
        d = np.where(stay, pu["trip_day"][who] - lead, d)
        air = _BY_KIND["airline"][rng.integers(0, 2, who.size)]
        dest = pu["trip_dest"][who]
        dest_code = np.array(COUNTRY_CODES)[dest]
        home = np.array(COUNTRY_CODES)[world.p_country[who]]
        route_lo = ranges["route"][0]
        dest_pos = {c: i for i, (_, c) in enumerate(DESTINATIONS)}
        dpos = np.array([dest_pos[c] for c in dest_code], dtype=np.int64)
        hpos = np.array([PAYER_COUNTRIES.index(h) for h in home], dtype=np.int64)
        memo = route_lo + hpos * len(DESTINATIONS) + dpos
        add(who, d, air, _MERCH_USD[air] * rng.lognormal(0, 0.3, who.size), memo=memo)
        hotel = _BY_KIND["hotel"][np.zeros(who.size, dtype=np.int64)]
        hcur = np.array([CURRENCY[COUNTRIES[c].currency] for c in dest_code], dtype=np.int32)
        nights = rng.integers(3, 21, who.size)
        add(
            who,
            d + lead,
            hotel,
            _MERCH_USD[hotel] * nights * rng.lognormal(0, 0.3, who.size),
            currency=hcur,
            place=dest.astype(np.int32),
        )
    # spending during a stay (a traveller's trip): meals, transport, shops and cash at the
    # destination, billed in the card's currency and exported with the country where the card
    # was used, as card statements show it; made in the destination's day
    stay = persons[pu["trip_day"][persons] >= 0]
    if stay.size:
        length = rng.integers(3, 15, stay.size)
        n = rng.poisson(cd.abroad_purchases_per_day.value * length)
        who = np.repeat(stay, n)
        day = pu["trip_day"][who] + (rng.random(who.size) * np.repeat(length, n)).astype(np.int64)
        merch = _EVERYDAY[rng.integers(0, _EVERYDAY.size, who.size)]
        add(
            who,
            day,
            merch,
            _MERCH_USD[merch] * rng.lognormal(0, 0.5, who.size),
            place=pu["trip_dest"][who].astype(np.int32),
        )
    return _concat(parts)


#: flows paid every month near a payday (``_monthly``), and flows planned payment by payment
#: (``_exact``); the others are ad hoc (``_poisson``)
_MONTHLY = [
    FLOW[f]
    for f in (
        "family_remittance",
        "inlaw_remittance",
        "freelancer_payment",
        "sponsorship",
        "direct_sponsorship",
    )
]
_EXACT = [FLOW["one_off_transfer"], FLOW["travel_payment"]]


def generate_chunk(world: World, index: int) -> dict[str, Arr]:
    """All transactions paid by senders ``index*chunk .. (index+1)*chunk - 1``, grouped by flow
    (the writer orders each export by time, so row order reveals nothing)."""
    size = world.config.chunk_persons
    lo, hi = index * size, min(world.n_senders, (index + 1) * size)
    rng = np.random.default_rng([world.config.seed, 1, index])
    _, ranges = world.memos
    r = world.rels
    a, b = np.searchsorted(r["payer"], [lo, hi])
    sel = np.arange(a, b)
    flow = r["flow"][sel]
    regular = np.isin(flow, _MONTHLY)
    exact = np.isin(flow, _EXACT)
    parts = [
        _monthly(world, rng, sel[regular], ranges),
        _poisson(world, rng, sel[~regular & ~exact], ranges),
        _exact(world, rng, sel[exact], ranges),
        _osec(world, rng, lo, hi, ranges),
        _cards(world, rng, lo, hi, ranges),
    ]
    return _concat(parts)


def n_chunks(world: World) -> int:
    size = world.config.chunk_persons
    return (world.n_senders + size - 1) // size

"""Turn links, the offender schedule, card habits and trips into payments.

Output: one array per column, one row per payment, with the time in UTC, the amount in the
payer's currency, the institution and the memo. Everything is vectorised; the only loops run
over trips and over the few offender memos that name a handle.
"""

from __future__ import annotations

import datetime as dt

import geo
import numpy as np
import timing as tm
from people import BANK_OF
from populations import CARD_CATEGORIES, OFFENDER, TRAVEL, Context

RATE_PAD = 10  # columns of padding in the rates table before day 0 (geo.daily_rates)
OFF_PAD = 3  # padding of the UTC-offset table (geo.offset_table)

EVENT_COLS = (
    "payer",
    "benef",
    "link",
    "flow",
    "day",
    "sec",
    "zone",
    "usd",
    "fixed",
    "round",
    "php",
    "memo",
    "kind",
    "third",
)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate event tables column by column."""
    return {c: np.concatenate([p[c] for p in parts if len(p["day"])]) for c in EVENT_COLS}


def link_events(
    ctx: Context, L: dict[str, np.ndarray], fixed_local: np.ndarray
) -> dict[str, np.ndarray]:
    """Payments of every link whose cadence is a regular habit (not the offender schedule)."""
    rng, cal = ctx.rng, ctx.cal
    parts: list[tm.Events] = []
    cad = L["cadence"]
    for code in (tm.MONTHLY, tm.SEMIMONTHLY, tm.FORTNIGHTLY, tm.WEEKLY, tm.TERMS):
        s = np.flatnonzero(cad == code)
        parts.append(
            tm.grid_events(
                cal, rng, s, code, L["first"][s], L["last"][s], L["dom"][s], L["skip"][s]
            )
        )
    s = np.flatnonzero(cad == tm.POISSON)
    parts.append(tm.poisson_events(rng, s, L["first"][s], L["last"][s], L["rate"][s]))
    s = np.flatnonzero(cad == tm.COUNT)
    parts.append(
        tm.count_events(rng, s, L["first"][s], L["last"][s], L["rate"][s].astype(np.int64))
    )
    s = np.flatnonzero(cad == tm.SEQUENCE)
    parts.append(
        tm.sequence_events(
            rng,
            s,
            L["first"][s],
            L["rate"][s].astype(np.int64),
            L["dom"][s].astype(float),
            cal.n_days,
        )
    )
    link = np.concatenate([e.link for e in parts])
    day = np.concatenate([e.day for e in parts])
    k = np.concatenate([e.k for e in parts])
    n = len(link)
    usd = (
        L["amt"][link] * np.exp(rng.normal(0.0, 1.0, n) * L["sigma"][link]) * L["growth"][link] ** k
    )
    romance = L["flow"][link] == "romance_scam"
    usd[romance] = np.minimum(usd[romance], rng.uniform(8000.0, 15000.0, int(romance.sum())))
    zone = np.where(L["zone"][link] >= 0, L["zone"][link], _zone_of(ctx, L["payer"][link]))
    return {
        "payer": L["payer"][link],
        "benef": L["benef"][link],
        "link": link,
        "flow": L["flow"][link],
        "day": day,
        "sec": tm.seconds_of_day(rng, L["night"][link], L["profile"][link]),
        "zone": zone,
        "usd": usd,
        "fixed": np.where(L["fixed"][link], fixed_local[link], np.nan),
        "round": rng.random(n) < L["round_p"][link],
        "php": rng.random(n) < L["php_p"][link],
        "memo": tm.memos(rng, L["memo"][link], L["blank"][link], cal.calendar_month(day)),
        "kind": L["kind"][link],
        "third": L["third"][link],
    }


def _zone_of(ctx: Context, person: np.ndarray) -> np.ndarray:
    """Zone index of each person (PH time for people without a zone)."""
    zi = ctx.people.zone_index
    zones = ctx.people["zone"]
    codes = np.array([zi[z] if z else zi["Asia/Manila"] for z in zones], dtype=np.int64)
    return codes[person]


def offender_events(ctx: Context, L: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The offender schedule: payments denser and larger as a payer's career advances (S1), bursts
    on active days (S10), night hours (S19, S27), spread over the payer's receivers by weight."""
    rng, p = ctx.rng, ctx.p
    off = ctx.offenders
    n = off["n"]
    oi = np.repeat(np.arange(len(n)), n)
    m = len(oi)
    # P(frac < x) = x^(1+g): intensity grows over the active window (S1 shorter intervals)
    frac = rng.random(m) ** (1.0 / (1.0 + off["growth"][oi]))
    t = off["first"][oi] + frac * (off["last"][oi] - off["first"][oi])
    order = np.lexsort((t, oi))
    oi, t = oi[order], t[order]
    day = np.minimum(np.floor(t).astype(np.int64), ctx.cal.n_days - 1)
    sec = tm.seconds_of_day(rng, off["night"][oi], np.full(m, tm.PROFILE_CODES["evening"]))
    same = np.r_[False, oi[1:] == oi[:-1]]
    burst = same & (rng.random(m) < off["burst"][oi])
    prev = np.flatnonzero(burst) - 1
    day[burst] = day[prev]
    sec[burst] = np.minimum(sec[prev] + rng.integers(1800, 4 * 3600, len(prev)), 86399)
    start = np.r_[0, np.cumsum(n)[:-1]]
    k = np.arange(m) - np.repeat(start, n)
    kn = k / np.maximum(n[oi] - 1, 1)
    usd = (
        off["base"][oi]
        * (1.0 + off["esc"][oi] * kn)
        * np.exp(rng.normal(0.0, p["off_amt_sigma"], m))
    )
    large = rng.random(m) < p["off_large_share"]
    usd[large] *= p["off_large_factor"] * rng.uniform(0.7, 1.3, int(large.sum()))
    aud = geo.BASE_RATES_USD["AUD"]
    usd = np.clip(usd, 10.0 * aud, 1500.0 * aud)  # S8 from A$10; S19 always under EUR 1,500
    memo = tm.memos(
        rng, off["memo"][oi], np.full(m, p["off_memo_blank"]), ctx.cal.calendar_month(day)
    )
    handle = np.flatnonzero(rng.random(m) < p["off_memo_handle"])
    for j in handle:
        memo[j] = f"@{_handle(rng)}"
    # receivers by weight: offender-driven links sorted by payer
    li = np.flatnonzero(L["cadence"] == OFFENDER)
    li = li[np.argsort(L["payer"][li], kind="stable")]
    ordinal = np.searchsorted(off["person"], L["payer"][li])
    w = L["weight"][li]
    tot = np.bincount(ordinal, weights=w, minlength=len(n))
    cw = np.zeros(len(li))
    seg_start = np.r_[0, np.flatnonzero(np.diff(ordinal)) + 1]
    csum = np.cumsum(w)
    base_at = np.repeat(csum[seg_start] - w[seg_start], np.diff(np.r_[seg_start, len(li)]))
    cw = (csum - base_at) / tot[ordinal]
    key = ordinal + cw
    key[np.r_[seg_start[1:] - 1, len(li) - 1]] = (
        ordinal[np.r_[seg_start[1:] - 1, len(li) - 1]] + 1.0
    )
    pos = np.searchsorted(key, oi + rng.random(m) * 0.999999, side="right")
    link = li[np.minimum(pos, len(li) - 1)]
    assert np.all(L["payer"][link] == off["person"][oi]), (
        "offender payment assigned to another payer's receiver"
    )
    return {
        "payer": off["person"][oi],
        "benef": L["benef"][link],
        "link": link,
        "flow": np.full(m, "osec_payment", dtype=object),
        "day": day,
        "sec": sec,
        "zone": _zone_of(ctx, off["person"][oi]),
        "usd": usd,
        "fixed": np.full(m, np.nan),
        "round": rng.random(m) < p["off_round_share"],
        "php": rng.random(m) < p["off_php_round_share"],
        "memo": memo,
        "kind": np.full(m, "intl", dtype=object),
        "third": L["third"][link],
    }


_HANDLE_WORDS = ["sunny", "rose", "star", "angel", "blue", "moon", "sky", "lily", "joy", "kit"]


def _handle(rng: np.random.Generator) -> str:
    """A made-up social-media handle (S19: descriptions may reference handles)."""
    a = _HANDLE_WORDS[int(rng.integers(len(_HANDLE_WORDS)))]
    b = _HANDLE_WORDS[int(rng.integers(len(_HANDLE_WORDS)))]
    return f"{a}{'_' if rng.random() < 0.5 else '.'}{b}{int(rng.integers(1, 99))}"


def card_events(ctx: Context) -> dict[str, np.ndarray]:
    """Everyday card purchases of bank customers at merchants of their country (thinned sample)."""
    rng, p, ppl, cal = ctx.rng, ctx.p, ctx.people, ctx.cal
    cust = np.flatnonzero(ppl["bank_customer"] == 1)
    rate = p["card_rate"] * np.exp(rng.normal(0.0, p["card_rate_sigma"], len(cust)))
    n = rng.poisson(rate * cal.months)
    payer = np.repeat(cust, n)
    m = len(payer)
    shares = np.array([c[2] for c in CARD_CATEGORIES])
    cat = rng.choice(len(CARD_CATEGORIES), size=m, p=shares / shares.sum())
    benef = np.empty(m, dtype=np.int64)
    usd = np.empty(m)
    ctry = ppl["country"][payer]
    for j, (key, _mcc, _s, med, sig, _b) in enumerate(CARD_CATEGORIES):
        for c in ("AU", "US", "GB"):
            sel = np.flatnonzero((cat == j) & (ctry == c))
            ids = ctx.merchants[c][key]
            benef[sel] = ids[rng.integers(0, len(ids), len(sel))]
        sel = cat == j
        usd[sel] = med * np.exp(rng.normal(0.0, sig, int(sel.sum())))
    day = rng.integers(0, cal.n_days, m)
    return {
        "payer": payer,
        "benef": benef,
        "link": np.full(m, -1),
        "flow": np.full(m, "card_purchase", dtype=object),
        "day": day,
        "sec": tm.seconds_of_day(rng, np.full(m, 0.03), np.full(m, tm.PROFILE_CODES["card"])),
        "zone": _zone_of(ctx, payer),
        "usd": usd,
        "fixed": np.full(m, np.nan),
        "round": np.zeros(m, dtype=bool),
        "php": np.zeros(m, dtype=bool),
        "memo": np.full(m, "", dtype=object),
        "kind": np.full(m, "card", dtype=object),
        "third": np.zeros(m, dtype=bool),
    }


def trip_events(ctx: Context) -> dict[str, np.ndarray]:
    """A flight booked weeks before each trip, then card spending at the destination, in the
    destination's local time (S17 indicator 16 describes this pattern for offenders; legitimate
    travellers, families and partners make it too)."""
    rng, ppl, cal = ctx.rng, ctx.people, ctx.cal
    rows: list[tuple[int, int, int, int]] = []  # payer, day, merchant, zone
    usd: list[float] = []
    weights = np.array([0.15, 0.4, 0.2, 0.15, 0.1])
    zi = ppl.zone_index
    for person, start, length, country, _city in ctx.trips:
        if ppl.int["bank_customer"][person] != 1:
            continue
        book = start - int(rng.integers(14, 90))
        if 0 <= book < cal.n_days:
            air = ctx.merchants["online"]["airline"]
            rows.append((person, book, int(air[int(rng.integers(len(air)))]), -1))
            usd.append(float(900.0 * np.exp(rng.normal(0, 0.35))))
        dest = ctx.merchants.get(country)
        if dest is None:
            continue
        days = np.arange(start, min(start + length, cal.n_days))
        k = rng.poisson(2.5, len(days))
        for d, kk in zip(days, k, strict=True):
            for c in rng.choice(len(TRAVEL), size=kk, p=weights):
                key, _mcc, _b, med = TRAVEL[c]
                ids = dest[key]
                rows.append(
                    (
                        person,
                        int(d),
                        int(ids[int(rng.integers(len(ids)))]),
                        zi[geo.COUNTRIES[country].zones[0][0]],
                    )
                )
                usd.append(float(med * np.exp(rng.normal(0, 0.6))))
    if not rows:
        return {c: np.zeros(0) for c in EVENT_COLS}
    a = np.array(rows, dtype=np.int64)
    m = len(a)
    zone = np.where(a[:, 3] >= 0, a[:, 3], _zone_of(ctx, a[:, 0]))
    return {
        "payer": a[:, 0],
        "benef": a[:, 2],
        "link": np.full(m, -1),
        "flow": np.full(m, "card_purchase", dtype=object),
        "day": a[:, 1],
        "sec": tm.seconds_of_day(rng, np.full(m, 0.05), np.full(m, tm.PROFILE_CODES["card"])),
        "zone": zone,
        "usd": np.array(usd),
        "fixed": np.full(m, np.nan),
        "round": np.zeros(m, dtype=bool),
        "php": np.zeros(m, dtype=bool),
        "memo": np.full(m, "", dtype=object),
        "kind": np.full(m, "card", dtype=object),
        "third": np.zeros(m, dtype=bool),
    }


def all_events(
    ctx: Context, L: dict[str, np.ndarray], rates: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Every payment of the world with its institution, UTC time and local amount."""
    rng, ppl, cal = ctx.rng, ctx.people, ctx.cal
    ccy_of = np.array(
        [geo.COUNTRIES[c].currency if c else "USD" for c in ppl["country"]], dtype=object
    )
    # a fixed amount is chosen once, in the payer's currency, as a round number (S16)
    fixed_local = np.full(len(L["payer"]), np.nan)
    fx = np.flatnonzero(L["fixed"])
    base = np.array([geo.BASE_RATES_USD[c] for c in ccy_of[L["payer"][fx]]])
    local = L["amt"][fx] / base
    card_like = L["kind"][fx] == "card"
    fixed_local[fx] = np.where(card_like, np.floor(local) + 0.99, tm.round_nicely(local))
    E = _concat(
        [
            link_events(ctx, L, fixed_local),
            offender_events(ctx, L),
            card_events(ctx),
            trip_events(ctx),
        ]
    )
    n = len(E["day"])
    E["day"] = E["day"].astype(np.int64)
    E["sec"] = E["sec"].astype(np.int64)
    E["zone"] = E["zone"].astype(np.int64)
    E["payer"] = E["payer"].astype(np.int64)
    E["benef"] = E["benef"].astype(np.int64)
    # institution: cross-border payments by the payer's providers, domestic and card by the bank
    inst = np.full(n, -1, dtype=np.int64)
    ctry = ppl["country"][E["payer"]]
    intl = E["kind"] == "intl"
    bank = np.array([BANK_OF.get(c, -1) for c in ctry])
    inst[~intl] = bank[~intl]
    payers = np.unique(E["payer"][intl])
    table = np.full((ppl.n, 3), -1, dtype=np.int64)
    cumw = np.ones((ppl.n, 3))
    for i in payers:
        insts, w = ctx.inst_sets[int(i)]
        table[i, : len(insts)] = insts
        cumw[i, : len(w)] = np.cumsum(w)
    u = rng.random(n)
    col = (u[:, None] > cumw[E["payer"]]).sum(axis=1)
    col = np.minimum(col, 2)
    chosen = table[E["payer"], col]
    chosen = np.where(chosen < 0, table[E["payer"], 0], chosen)
    inst[intl] = chosen[intl]
    if (inst < 0).any():
        raise RuntimeError("a payment without an institution")
    E["inst"] = inst
    # amounts in the payer's currency
    ccy = ccy_of[E["payer"]]
    rate_day = np.clip(E["day"] + RATE_PAD, 0, None)
    r_ccy = np.empty(n)
    r_php = rates["PHP"][rate_day]
    for c in np.unique(ccy):
        sel = ccy == c
        r_ccy[sel] = rates[c][rate_day[sel]]
    amount = E["usd"] / r_ccy
    php = (
        E["php"]
        & (E["kind"] == "intl")
        & (ppl["country"][E["benef"]] == "PH")
        & np.isnan(E["fixed"])
    )
    php_amt = tm.php_round(E["usd"] / r_php)
    amount = np.where(php, php_amt * r_php / r_ccy, amount)
    rnd = E["round"] & ~php & np.isnan(E["fixed"])
    amount = np.where(rnd, tm.round_nicely(amount), amount)
    amount = np.where(np.isnan(E["fixed"]), amount, E["fixed"])
    decimals = np.where(ccy == "JPY", 0, 2)
    amount = np.where(decimals == 0, np.round(amount), np.round(amount, 2))
    amount = np.maximum(amount, np.where(decimals == 0, 100.0, 1.0))
    E["amount"] = amount
    E["ccy"] = ccy
    E["php_amount"] = np.where(php, php_amt, np.nan)
    E["usd_rate"] = r_ccy
    # UTC time from the local day, second and zone
    offs = geo.offset_table(ppl.zones, cal.start, cal.n_days, OFF_PAD)
    epoch_day = (cal.start - dt.date(1970, 1, 1)).days
    E["ts"] = (epoch_day + E["day"]) * 86400 + E["sec"] - offs[E["zone"], E["day"] + OFF_PAD]
    order = np.argsort(E["ts"], kind="stable")
    return {k: v[order] for k, v in E.items()}

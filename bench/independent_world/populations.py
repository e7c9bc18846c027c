"""The populations of the world and the payment habits (links) that tie them together.

Each ``build_*`` function adds one population's people and links. A link is one payer paying one
beneficiary with one habit; ``flows.py`` turns links into payments. Numbers come from ``params.py``
(with their sources) unless a comment says "assumption" and gives the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geo
import names
import numpy as np
import timing as tm
from params import Params
from people import BANK_OF, INSTITUTIONS, LUMEN, POCKETPAY, TRADEWIND, People

OFFENDER = -1  # cadence of links whose events the offender schedule drives

LINK_DEFAULTS: dict[str, object] = {
    "payer": -1,
    "benef": -1,
    "flow": "",
    "cadence": tm.POISSON,
    "first": 0,
    "last": -1,  # -1: end of window
    "rate": 1.0,
    "dom": 0,
    "skip": 0.0,
    "amt": 50.0,  # USD median per payment
    "sigma": 0.2,
    "fixed": False,
    "round_p": 0.5,
    "php_p": 0.0,
    "night": 0.05,
    "profile": tm.PROFILE_CODES["evening"],
    "memo": tm.MEMO_SCHEMES["family"],
    "blank": 0.5,
    "growth": 1.0,
    "third": False,
    "kind": "intl",
    "weight": 1.0,
    "zone": -1,
}


class LinkTable:
    """Column store of links, filled in batches."""

    def __init__(self, n_days: int) -> None:
        self.n_days = n_days
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in LINK_DEFAULTS}
        self.n = 0

    def add(self, n: int, **cols: object) -> np.ndarray:
        """Add ``n`` links; columns not given take their default."""
        if n <= 0:
            return np.zeros(0, dtype=np.int64)
        for k, default in LINK_DEFAULTS.items():
            v = cols.pop(k, default)
            arr = np.asarray(v)
            if arr.ndim == 0:
                arr = np.full(n, v, dtype=object if isinstance(v, str) else None)
            if k in ("first", "last"):
                arr = np.where(
                    arr.astype(np.int64) < 0,
                    self.n_days,
                    np.minimum(arr.astype(np.int64), self.n_days),
                )
            self.parts[k].append(arr)
        if cols:
            raise KeyError(f"unknown link columns {sorted(cols)}")
        idx = np.arange(self.n, self.n + n)
        self.n += n
        return idx

    def finish(self) -> dict[str, np.ndarray]:
        """All links as arrays."""
        out: dict[str, np.ndarray] = {}
        for k, parts in self.parts.items():
            out[k] = np.concatenate(parts) if parts else np.zeros(0)
        for k in ("payer", "benef", "cadence", "first", "last", "dom", "profile", "memo", "zone"):
            out[k] = out[k].astype(np.int64)
        for k in (
            "rate",
            "skip",
            "amt",
            "sigma",
            "round_p",
            "php_p",
            "night",
            "blank",
            "growth",
            "weight",
        ):
            out[k] = out[k].astype(float)
        for k in ("fixed", "third"):
            out[k] = out[k].astype(bool)
        return out


@dataclass
class Den:
    """A facilitator group: its receiving members (main one first) and its other details."""

    den_id: str
    kind: str  # one_to_one, family, syndicate
    country: str
    receivers: list[int]
    household: list[int]
    third_country: str = ""
    third_account: str = ""
    third_bank: tuple[str, str] = ("", "")


@dataclass
class Identity:
    """How a payer presents to each institution (the evasive profile changes it per institution)."""

    new_phone: bool = False
    new_email: bool = False
    name_variant: bool = False
    multi_account: bool = False


@dataclass
class Context:
    """Everything the builders share."""

    rng: np.random.Generator
    p: Params
    cal: tm.Calendar
    people: People
    links: LinkTable
    inst_sets: dict[int, tuple[list[int], list[float]]] = field(default_factory=dict)
    identity: dict[int, Identity] = field(default_factory=dict)
    dens: list[Den] = field(default_factory=list)
    offenders: dict[str, np.ndarray] = field(default_factory=dict)
    trips: list[tuple[int, int, int, str, str]] = field(default_factory=list)
    merchants: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    notes: dict[int, list[str]] = field(default_factory=dict)

    def note(self, idx: np.ndarray | list[int], text: str) -> None:
        """Add a truth note to some people."""
        for i in idx:
            self.notes.setdefault(int(i), []).append(text)


# --- helpers --------------------------------------------------------------------------------
def weights_from(p: Params, prefix: str) -> tuple[list[str], np.ndarray]:
    """Country weights drawn as ``prefix<CC>`` parameters, normalised."""
    keys = sorted(k for k in p if k.startswith(prefix))
    cc = [k[len(prefix) :] for k in keys]
    w = np.array([p[k] for k in keys])
    return cc, w / w.sum()


def western_weights(p: Params) -> tuple[list[str], np.ndarray]:
    """Source countries of non-diaspora cross-border senders (partners, sponsors, one-offs,
    romance victims): half the offender mix, half spread over the big Western senders, so that
    the payer's country alone does not separate offenders from them (assumption)."""
    cc, w = weights_from(p, "off_w_")
    base = dict(zip(cc, w, strict=True))
    spread = {
        "US": 0.3,
        "AU": 0.2,
        "GB": 0.15,
        "CA": 0.1,
        "NZ": 0.05,
        "DE": 0.08,
        "NL": 0.04,
        "FR": 0.04,
        "SE": 0.04,
    }
    keys = sorted(set(base) | set(spread))
    v = np.array([0.5 * base.get(k, 0.0) + 0.5 * spread.get(k, 0.0) for k in keys])
    return keys, v / v.sum()


def pick(rng: np.random.Generator, options: tuple[list[str], np.ndarray], n: int) -> np.ndarray:
    """``n`` draws from (values, weights)."""
    vals, w = options
    return np.array(vals, dtype=object)[rng.choice(len(vals), size=n, p=w)]


def mark_bank_customers(ctx: Context, idx: np.ndarray, p_bank: float) -> None:
    """Residents of a country with one of the world's banks bank there with probability ``p_bank``."""
    ctry = ctx.people["country"][idx]
    has_bank = np.array([c in BANK_OF for c in ctry])
    yes = has_bank & (ctx.rng.random(len(idx)) < p_bank)
    ctx.people.set(idx[yes], "bank_customer", 1)


def choose_institutions(
    ctx: Context,
    idx: np.ndarray,
    channel: tuple[float, float, float],
    p_second: float,
    p_third: float = 0.0,
    split: bool = False,
) -> None:
    """Pick each payer's institutions for cross-border payments.

    ``channel`` weighs (remitter, bank, wallet) for the main one; a second and third institution
    are added with the given probabilities and carry a minority of payments, or an equal share
    when ``split`` (payers spreading payments across providers).
    """
    rng = ctx.rng
    ppl = ctx.people
    for i in idx:
        c = ppl["country"][i]
        remit = [TRADEWIND, LUMEN] if c in ("AU", "NZ") else [LUMEN]
        options: list[tuple[int, float]] = [(r, channel[0] / len(remit)) for r in remit]
        if ppl.int["bank_customer"][i] == 1:
            options.append((BANK_OF[c], channel[1]))
        if c in INSTITUTIONS[POCKETPAY].countries:
            options.append((POCKETPAY, channel[2]))
        ws = np.array([w for _, w in options])
        ws = ws + 1e-6  # a channel weighted 0 can still be someone's second provider
        order = rng.choice(len(options), size=len(options), replace=False, p=ws / ws.sum())
        chosen = [options[order[0]][0]]
        if len(order) > 1 and rng.random() < p_second:
            chosen.append(options[order[1]][0])
            if len(order) > 2 and rng.random() < p_third:
                chosen.append(options[order[2]][0])
        if split:
            w = list(rng.dirichlet(np.full(len(chosen), 4.0)))
        else:
            minor = rng.uniform(0.05, 0.3) if len(chosen) > 1 else 0.0
            w = [1.0 - minor] + [minor / max(len(chosen) - 1, 1)] * (len(chosen) - 1)
        ctx.inst_sets[int(i)] = (chosen, [float(x) for x in w])


def lognormal(
    rng: np.random.Generator, median: float | np.ndarray, sigma: float, n: int
) -> np.ndarray:
    """Log-normal draws with the given median."""
    return np.asarray(median) * np.exp(rng.normal(0.0, sigma, n))


def month_range(cal: tm.Calendar, calendar_month: int) -> tuple[int, int] | None:
    """First and last+1 day of the first occurrence of a calendar month in the window."""
    ms = cal.month_starts
    for j in range(cal.months):
        if (cal.start.month - 1 + j) % 12 == calendar_month:
            return int(ms[j]), int(ms[j + 1])
    return None


def payday(rng: np.random.Generator, n: int) -> np.ndarray:
    """Day of month (0-based) of a salary-day remittance: end, start or middle of the month (S16)."""
    r = rng.random(n)
    return np.where(
        r < 0.5,
        rng.integers(23, 30, n),
        np.where(r < 0.75, rng.integers(0, 5, n), rng.integers(13, 17, n)),
    )


# --- offenders and dens ---------------------------------------------------------------------
def build_offenders(ctx: Context, n_off: int) -> None:
    """Offending payers, the dens they pay and the offender-level schedule parameters."""
    p, rng, ppl, cal = ctx.p, ctx.rng, ctx.people, ctx.cal
    ctry = pick(rng, weights_from(p, "off_w_"), n_off)
    pools = np.array(
        [("PH" if rng.random() < p["off_ph_name"] else geo.COUNTRIES[c].pool) for c in ctry],
        dtype=object,
    )
    # S17: perpetrators nearly all male; S1: ages 27-82, mostly 50s-60s
    idx = ppl.add(
        n_off,
        role="offender",
        population="offender",
        country=ctry,
        pool=pools,
        male=0.97,
        age=(p["off_age_mean"], p["off_age_sd"], 27.0, 82.0),
    )
    mark_bank_customers(ctx, idx, p["p_bank_customer"])

    # number of payments in the window: S1 heavy tail, S1a more than half pay more than once
    single = rng.random(n_off) < p["off_p_single"]
    multi = np.clip(
        np.round(lognormal(rng, p["off_count_median"], p["off_count_sigma"], n_off)),
        2,
        p["off_count_cap"],
    )
    n = np.where(single, 1, multi).astype(np.int64)
    before = rng.random(n_off) < p["off_started_before"]
    first = np.where(before, 0, rng.integers(0, int(cal.n_days * 0.85), n_off))
    stop = rng.random(n_off) < p["off_stop_share"]
    last = np.where(
        stop,
        first + (rng.uniform(0.3, 1.0, n_off) * (cal.n_days - first)).astype(np.int64),
        cal.n_days,
    )
    last = np.maximum(last, np.minimum(first + 14, cal.n_days))
    n = np.minimum(n, 2 * (last - first)).clip(1)
    mimic = rng.random(n_off) < p["ev_mimic"]

    # dens per offender: S14/S17 several beneficiaries, more for prolific payers
    lam = p["off_extra_dens"] * (1.0 + np.log10(n))
    d = np.minimum(1 + rng.poisson(lam), np.minimum(n, 8))
    d[mimic] = 1
    slot_off = np.repeat(np.arange(n_off), d)
    shared = rng.random(len(slot_off)) < p["off_shared_link_share"]
    n_sh_dens = max(1, int(np.ceil(shared.sum() / 3)))
    pop = names.zipf_weights(n_sh_dens, p["den_zipf"], rng, jitter=0.2)
    slot_den = np.empty(len(slot_off), dtype=np.int64)
    slot_den[shared] = rng.choice(n_sh_dens, size=int(shared.sum()), p=pop)
    n_priv = int((~shared).sum())
    slot_den[~shared] = n_sh_dens + np.arange(n_priv)
    n_dens = n_sh_dens + n_priv
    # den kinds: S20 one-to-one, family operations, big-time syndicate
    kind = np.empty(n_dens, dtype=object)
    kind[:n_sh_dens] = np.where(
        rng.random(n_sh_dens) < p["den_shared_syndicate"],
        "syndicate",
        np.where(rng.random(n_sh_dens) < 0.6, "family", "one_to_one"),
    )
    kind[n_sh_dens:] = np.where(
        rng.random(n_priv) < p["den_private_one_to_one"], "one_to_one", "family"
    )
    dctry = np.where(rng.random(n_dens) < p["den_ph_share"], "PH", "TH").astype(object)
    dens = _make_dens(ctx, kind, dctry)
    base_id = len(ctx.dens)
    ctx.dens.extend(dens)

    # links offender -> receiver, weighted: S14 a main beneficiary and others
    pairs = np.unique(np.stack([slot_off, slot_den], axis=1), axis=0)
    pay, rec, wt, third = [], [], [], []
    den_w = rng.gamma(0.8, 1.0, len(pairs))
    first_of = np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]
    den_w[first_of] *= 2.0
    for (o, dj), w in zip(pairs, den_w, strict=True):
        den = dens[dj]
        r = den.receivers
        mw = (
            [1.0 - p["den_rotate"]] + [p["den_rotate"] / (len(r) - 1)] * (len(r) - 1)
            if len(r) > 1
            else [1.0]
        )
        for j, person in enumerate(r):
            pay.append(idx[o])
            rec.append(person)
            wt.append(w * mw[j])
            third.append(False)
        if den.third_country:
            share = rng.uniform(0.3, 0.7)
            pay.append(idx[o])
            rec.append(r[0])
            wt.append(w * share)
            third.append(True)
    pay_a, rec_a = np.array(pay), np.array(rec)
    wt_a, third_a = np.array(wt), np.array(third)
    order = np.lexsort((rec_a, pay_a))
    pay_a, rec_a, wt_a, third_a = pay_a[order], rec_a[order], wt_a[order], third_a[order]
    is_mimic = np.isin(pay_a, idx[mimic])
    # offender-driven links (everyone but mimics)
    sel = ~is_mimic
    ctx.links.add(
        int(sel.sum()),
        payer=pay_a[sel],
        benef=rec_a[sel],
        flow="osec_payment",
        cadence=OFFENDER,
        weight=wt_a[sel],
        third=third_a[sel],
    )

    # amounts: S5 median A$51, S2 prolific under A$55; AUD -> USD at the base rate
    aud = geo.BASE_RATES_USD["AUD"]
    base = (
        lognormal(rng, p["off_amt_median_aud"], p["off_amt_between"], n_off)
        * np.where(n > 20, p["off_prolific_factor"], 1.0)
        * aud
    )
    family_memo = rng.random(n_off) < p["ev_family_memo"]
    night = rng.beta(p["off_night_share"] * 6 + 0.1, (1 - p["off_night_share"]) * 6 + 0.1, n_off)

    # evasive mimics: one monthly (or semi-monthly) round transfer to their main receiver,
    # bundling several sessions (S16: the salary-day pattern that clears families)
    for o in np.flatnonzero(mimic):
        mine = np.flatnonzero((pay_a == idx[o]) & ~third_a)
        if not len(mine):
            continue
        j = mine[np.argmax(wt_a[mine])]
        cad = tm.MONTHLY if rng.random() < 0.7 else tm.SEMIMONTHLY
        amt = base[o] * p["ev_mimic_bundle"] * (0.5 if cad == tm.SEMIMONTHLY else 1.0)
        ctx.links.add(
            1,
            payer=int(pay_a[j]),
            benef=int(rec_a[j]),
            flow="osec_payment",
            cadence=cad,
            first=int(first[o]),
            last=int(last[o]),
            dom=int(payday(rng, 1)[0]),
            skip=0.05,
            amt=amt,
            sigma=0.15,
            fixed=rng.random() < 0.6,
            round_p=0.9,
            php_p=0.2,
            night=float(night[o]) * 0.5,
            memo=tm.MEMO_SCHEMES["family"],
            blank=p["off_memo_blank"],
        )
    ctx.offenders = {
        "person": idx,
        "n": np.where(mimic, 0, n),
        "first": first,
        "last": last,
        "growth": rng.uniform(0.0, 2.0 * p["off_intensity_growth"], n_off),
        "burst": np.full(n_off, p["off_burst"]),
        "night": night,
        "base": base,
        "esc": rng.uniform(0.0, 2.0 * p["off_escalation"], n_off),
        "memo": np.where(family_memo, tm.MEMO_SCHEMES["family"], tm.MEMO_SCHEMES["offender"]),
        "mimic": mimic,
    }
    evasive = ctx.p.profile == "evasive"
    chan = (
        p["off_ch_remitter"],
        max(0.0, 1.0 - p["off_ch_remitter"] - p["off_ch_wallet"]),
        p["off_ch_wallet"],
    )
    choose_institutions(ctx, idx, chan, p["off_second_inst"], p["ev_third_inst"], split=evasive)
    for i in idx:
        ctx.identity[int(i)] = Identity(
            new_phone=bool(rng.random() < p["ev_new_phone"]),
            new_email=bool(rng.random() < p["ev_new_email"]),
            name_variant=bool(rng.random() < p["ev_name_variant"]),
            multi_account=bool(rng.random() < p["off_multi_account"]),
        )
    for o, i in enumerate(idx):
        notes = [f"payments_in_window={0 if mimic[o] else n[o]}", f"dens={d[o]}"]
        if mimic[o]:
            notes.append("evasive: monthly family-like transfers")
        if len(ctx.inst_sets[int(i)][0]) > 1:
            notes.append(f"institutions={len(ctx.inst_sets[int(i)][0])}")
        ctx.note([i], "; ".join(notes))
    # S14: six of twelve travelled to PH/SE Asia
    travel = np.flatnonzero(
        (rng.random(n_off) < p["off_travel"]) & (ppl.int["bank_customer"][idx] == 1)
    )
    for o in travel:
        my_dens = pairs[pairs[:, 0] == o, 1]
        den = dens[int(my_dens[0])]
        city = str(ppl["city"][den.receivers[0]])
        for _ in range(int(rng.integers(1, 3))):
            ctx.trips.append(
                (
                    int(idx[o]),
                    int(rng.integers(0, cal.n_days)),
                    int(rng.integers(7, 22)),
                    den.country,
                    city,
                )
            )
    for j, den in enumerate(dens):
        den.den_id = f"D{base_id + j + 1:04d}"
        ctx.people.set(np.array(den.receivers), "den", den.den_id)


def _make_dens(ctx: Context, kind: np.ndarray, country: np.ndarray) -> list[Den]:
    """Create the members of each den: households for one-to-one and family dens (S20), groups with
    mules for syndicates (S20 big-time syndicate; S36 mule accounts)."""
    p, rng, ppl = ctx.p, ctx.rng, ctx.people
    dens: list[Den] = []
    hh_sel = np.flatnonzero(kind != "syndicate")
    sizes = np.where(
        kind[hh_sel] == "family",
        2 + np.minimum(rng.poisson(1.2, len(hh_sel)), 4),
        1 + np.minimum(rng.poisson(1.0, len(hh_sel)), 4),
    )
    members, start = ppl.add_households(
        sizes,
        country=country[hh_sel],
        role="relative",
        population="den_household",
        same_surname=p["household_same_surname"],
        junior_share=p["junior_share"],
    )
    by_den: dict[int, Den] = {}
    for j, dj in enumerate(hh_sel):
        hh = members[start[j] : start[j] + sizes[j]]
        if kind[dj] == "family":
            k = min(len(hh), 2 + int(rng.binomial(max(len(hh) - 2, 0), 0.4)))
        else:
            k = 1
        rec = [int(x) for x in hh[:k]]
        ppl.set(np.array(rec), "role", "facilitator")
        ppl.set(np.array(rec), "population", "den_" + str(kind[dj]))
        by_den[int(dj)] = Den("", str(kind[dj]), str(country[dj]), rec, [int(x) for x in hh])
    for dj in np.flatnonzero(kind == "syndicate"):
        c = str(country[dj])
        core = ppl.add(
            int(rng.integers(2, 5)),
            role="facilitator",
            population="den_syndicate",
            country=c,
            male=0.5,
            age=(35.0, 9.0, 20.0, 60.0),
            with_email=False,
        )
        ppl.set(core, "city", ppl["city"][core[0]])
        mules = ppl.add(
            int(rng.poisson(p["den_mules"])),
            role="facilitator",
            population="den_mule",
            country=c,
            male=0.5,
            age=(30.0, 8.0, 18.0, 60.0),
            with_email=False,
        )
        rec = [int(x) for x in np.r_[core, mules]]
        by_den[int(dj)] = Den("", "syndicate", c, rec, rec)
    for dj in range(len(kind)):
        den = by_den[dj]
        if rng.random() < p["den_third_country"]:
            tc = ["SG", "HK", "MY"][int(rng.integers(3))]
            banks = geo.OTHER_BANKS[tc]
            den.third_country = tc
            den.third_bank = banks[int(rng.integers(len(banks)))]
            den.third_account = "".join(str(x) for x in rng.integers(0, 10, 10))
            ctx.note([den.receivers[0]], f"receives via an account in {tc}")
        dens.append(den)
    return dens


# --- diaspora families ----------------------------------------------------------------------
def build_family(ctx: Context, n_senders: int) -> None:
    """Diaspora family remitters and the households they support; some households are dens'."""
    p, rng, ppl, cal = ctx.p, ctx.rng, ctx.people, ctx.cal
    if n_senders <= 0:
        return
    probs = np.array(
        [1 - p["fam_p2_senders"] - p["fam_p3_senders"], p["fam_p2_senders"], p["fam_p3_senders"]]
    )
    g = rng.choice([1, 2, 3], size=n_senders, p=probs)
    cs = np.cumsum(g)
    h = int(np.searchsorted(cs, n_senders)) + 1
    g = g[:h].copy()
    g[-1] -= int(cs[h - 1] - n_senders)
    g = g[g > 0]
    h = len(g)
    # S20: recipients of OSEC payments are relatives, so their households also get family money
    den_hh = [d for d in ctx.dens if d.kind != "syndicate"]
    n_attach = min(len(den_hh), round(p["den_with_family_remitter"] * len(ctx.dens)), h)
    attach = (
        [den_hh[int(j)] for j in rng.choice(len(den_hh), size=n_attach, replace=False)]
        if n_attach
        else []
    )
    n_new = h - n_attach
    other = rng.random(n_new) < p["fam_other_country"]
    hh_ctry = np.where(other, np.where(rng.random(n_new) < 0.5, "VN", "TH"), "PH").astype(object)
    sizes = 1 + np.minimum(rng.poisson(1.2, n_new), 5)
    members, start = ppl.add_households(
        sizes,
        country=hh_ctry,
        role="family_recipient",
        population="family_recipient",
        same_surname=p["household_same_surname"],
        junior_share=p["junior_share"],
    )
    households: list[np.ndarray] = [np.array(d.household) for d in attach]
    households += [members[start[j] : start[j] + sizes[j]] for j in range(n_new)]
    all_ctry = np.r_[np.array([d.country for d in attach], dtype=object), hh_ctry]

    # senders, household by household
    hh_of = np.repeat(np.arange(h), g)
    rank = np.arange(n_senders) - np.repeat(np.r_[0, np.cumsum(g)[:-1]], g)
    fam_w = weights_from(p, "fam_w_")
    s_ctry = pick(rng, fam_w, n_senders)
    non_ph = all_ctry[hh_of] != "PH"
    s_ctry[non_ph] = pick(rng, (["US", "AU", "CA"], np.array([0.5, 0.3, 0.2])), int(non_ph.sum()))
    western_ok = np.isin(s_ctry, ["AU", "NZ", "US", "CA", "GB", "DE", "NL", "FR", "SE"])
    spouse = (rank == 0) & ~non_ph & western_ok & (rng.random(n_senders) < p["fam_western_spouse"])
    hh_pool = np.array([geo.COUNTRIES[c].pool for c in all_ctry], dtype=object)
    pools = np.where(spouse, [geo.COUNTRIES[c].pool for c in s_ctry], hh_pool[hh_of]).astype(object)
    hh_surname = np.array([ppl["surname"][hh[0]] for hh in households], dtype=object)
    same = (~spouse) & (rng.random(n_senders) < p["fam_same_surname"])
    surname = np.where(same, hh_surname[hh_of], None).astype(object)
    male = np.where(spouse, 0.9, 0.4)
    idx = ppl.add(
        n_senders,
        role="family_sender",
        population="family_sender",
        country=s_ctry,
        pool=pools,
        male=male,
        age=(38.0, 10.0, 21.0, 68.0),
        surname=surname,
    )
    ppl.set(idx[spouse], "population", "family_sender_spouse")
    ctx.note(idx[spouse], "Western spouse supporting in-laws")
    mark_bank_customers(ctx, idx, p["p_bank_customer"])
    choose_institutions(
        ctx,
        idx,
        (
            p["fam_ch_remitter"],
            p["fam_ch_bank"],
            max(0.0, 1 - p["fam_ch_remitter"] - p["fam_ch_bank"]),
        ),
        p["fam_second_inst"],
    )
    shift = rng.random(n_senders) < p["fam_night_shift"]
    ctx.note(idx[shift], "night-shift worker")
    night = np.where(shift, rng.uniform(0.4, 0.7, n_senders), rng.uniform(0.01, 0.05, n_senders))

    # primary recipient and extra recipients
    prim = np.array(
        [
            hh[0] if (rng.random() < 0.7 or len(hh) == 1) else hh[int(rng.integers(len(hh)))]
            for hh in (households[j] for j in hh_of)
        ]
    )
    r = rng.random(n_senders)
    cm, cs_, cf = p["fam_monthly"], p["fam_semimonthly"], p["fam_fortnightly"]
    cad = np.where(
        r < cm,
        tm.MONTHLY,
        np.where(
            r < cm + cs_, tm.SEMIMONTHLY, np.where(r < cm + cs_ + cf, tm.FORTNIGHTLY, tm.POISSON)
        ),
    )
    dom = np.where(cad == tm.FORTNIGHTLY, rng.integers(0, 14, n_senders), payday(rng, n_senders))
    per = np.where(
        (cad == tm.SEMIMONTHLY) | (cad == tm.FORTNIGHTLY),
        0.55,
        np.where(cad == tm.POISSON, 0.6, 1.0),
    )
    amt = lognormal(rng, p["fam_amt_median_usd"], p["fam_amt_between"], n_senders) * per
    late = rng.random(n_senders) < 0.05
    first = np.where(late, rng.integers(0, cal.n_days, n_senders), 0)
    common = {
        "flow": "family_support",
        "night": night,
        "memo": tm.MEMO_SCHEMES["family"],
        "blank": p["fam_memo_blank"],
        "php_p": p["fam_php_round"],
    }
    ctx.links.add(
        n_senders,
        payer=idx,
        benef=prim,
        cadence=cad,
        first=first,
        rate=rng.uniform(0.8, 2.0, n_senders),
        dom=dom,
        skip=p["fam_skip"],
        amt=amt,
        sigma=0.12,
        fixed=(cad != tm.POISSON) & (rng.random(n_senders) < p["fam_fixed"]),
        round_p=p["fam_round"],
        **common,
    )
    # extra recipients (siblings, in-laws): occasional smaller transfers
    n_extra = rng.poisson(p["fam_extra_recipients"], n_senders)
    ep, eb = [], []
    for s in np.flatnonzero(n_extra):
        hh = households[hh_of[s]]
        others = [x for x in hh if x != prim[s]]
        for x in others[: n_extra[s]]:
            ep.append(s)
            eb.append(x)
    ep_a = np.array(ep, dtype=np.int64)
    if len(ep_a):
        ctx.links.add(
            len(ep_a),
            payer=idx[ep_a],
            benef=np.array(eb),
            rate=rng.uniform(0.1, 0.5, len(ep_a)),
            first=first[ep_a],
            amt=amt[ep_a] * rng.uniform(0.3, 0.6, len(ep_a)),
            sigma=0.4,
            round_p=p["fam_round"],
            **{**common, "night": night[ep_a]},
        )
    # Christmas and school-opening extras, emergencies, small top-ups
    for month, share, memo, mult in (
        (11, p["fam_december"], "family", (1.5, 3.0)),
        (5, p["fam_june"], "school", (1.0, 2.0)),
    ):
        rng_m = month_range(cal, month)
        if rng_m is None:
            continue
        sel = np.flatnonzero(rng.random(n_senders) < share)
        ctx.links.add(
            len(sel),
            payer=idx[sel],
            benef=prim[sel],
            cadence=tm.COUNT,
            rate=1.0,
            first=rng_m[0],
            last=rng_m[1],
            amt=amt[sel] / per[sel] * rng.uniform(*mult, len(sel)),
            sigma=0.1,
            round_p=0.9,
            **{**common, "night": night[sel], "memo": tm.MEMO_SCHEMES[memo]},
        )
    ctx.links.add(
        n_senders,
        payer=idx,
        benef=prim,
        rate=p["fam_emergency_rate"] / 12.0,
        first=first,
        amt=amt / per * rng.uniform(2.0, 6.0, n_senders),
        sigma=0.3,
        round_p=0.8,
        **common,
    )
    top = np.flatnonzero(rng.random(n_senders) < 0.3)
    ctx.links.add(
        len(top),
        payer=idx[top],
        benef=prim[top],
        rate=p["fam_topup_rate"],
        first=first[top],
        amt=rng.uniform(5.0, 25.0, len(top)),
        sigma=0.3,
        round_p=0.7,
        **{**common, "night": night[top]},
    )
    # flights home for the holidays
    fly = np.flatnonzero(
        (rng.random(n_senders) < p["family_flight"]) & (ppl.int["bank_customer"][idx] == 1)
    )
    for s in fly:
        hh = households[hh_of[s]]
        ctx.trips.append(
            (
                int(idx[s]),
                int(rng.integers(0, cal.n_days)),
                int(rng.integers(10, 36)),
                str(all_ctry[hh_of[s]]),
                str(ppl["city"][hh[0]]),
            )
        )


# --- partners -------------------------------------------------------------------------------
def build_partners(ctx: Context, n_senders: int) -> None:
    """Men abroad supporting an adult partner in PH/TH; some partners have several supporters."""
    p, rng, ppl, cal = ctx.p, ctx.rng, ctx.people, ctx.cal
    if n_senders <= 0:
        return
    k = np.where(rng.random(n_senders) < p["partner_multi"], rng.integers(2, 5, n_senders), 1)
    cs = np.cumsum(k)
    n_partners = int(np.searchsorted(cs, n_senders)) + 1
    ctry = np.where(rng.random(n_partners) < p["partner_ph"], "PH", "TH").astype(object)
    partners = ppl.add(
        n_partners,
        role="partner_recipient",
        population="partner_recipient",
        country=ctry,
        male=0.05,
        age=(30.0, 7.0, 20.0, 50.0),
        with_email=False,
    )
    benef = partners[
        np.minimum(np.searchsorted(cs, np.arange(n_senders), side="right"), n_partners - 1)
    ]
    s_ctry = pick(rng, western_weights(p), n_senders)
    idx = ppl.add(
        n_senders,
        role="partner_sender",
        population="partner_sender",
        country=s_ctry,
        male=0.97,
        age=(52.0, 11.0, 28.0, 80.0),
    )
    mark_bank_customers(ctx, idx, p["p_bank_customer"])
    choose_institutions(ctx, idx, (0.6, 0.15, 0.25), 0.15)
    weekly = rng.random(n_senders) < 0.3
    first = np.where(rng.random(n_senders) < 0.8, 0, rng.integers(0, cal.n_days, n_senders))
    last = np.where(
        rng.random(n_senders) < 0.15,
        rng.integers(min(60, cal.n_days), cal.n_days + 1, n_senders),
        cal.n_days,
    )
    ctx.links.add(
        n_senders,
        payer=idx,
        benef=benef,
        flow="partner_support",
        cadence=np.where(weekly, tm.WEEKLY, tm.POISSON),
        first=first,
        last=np.maximum(last, first + 30),
        rate=lognormal(rng, p["partner_rate"], 0.4, n_senders),
        dom=rng.integers(0, 7, n_senders),
        skip=0.2,
        amt=lognormal(rng, p["partner_amt_usd"], 0.5, n_senders),
        sigma=0.45,
        round_p=0.65,
        php_p=0.2,
        night=rng.uniform(0.5, 1.5, n_senders) * p["partner_night"],
        profile=tm.PROFILE_CODES["spread"],
        memo=tm.MEMO_SCHEMES["partner"],
        blank=0.45,
    )
    visit = np.flatnonzero(
        (rng.random(n_senders) < p["partner_flight"]) & (ppl.int["bank_customer"][idx] == 1)
    )
    for s in visit:
        b = benef[s]
        ctx.trips.append(
            (
                int(idx[s]),
                int(rng.integers(0, cal.n_days)),
                int(rng.integers(10, 30)),
                str(ppl["country"][b]),
                str(ppl["city"][b]),
            )
        )


# --- sponsors and charities -----------------------------------------------------------------
def build_sponsors(ctx: Context, n_senders: int) -> None:
    """Donors to PH child-sponsorship programmes (legit fan-in) and direct school-fee sponsors."""
    p, rng, ppl = ctx.p, ctx.rng, ctx.people
    if n_senders <= 0:
        return
    s_ctry = pick(rng, western_weights(p), n_senders)
    idx = ppl.add(
        n_senders,
        role="sponsor",
        population="sponsor",
        country=s_ctry,
        male=0.45,
        age=(50.0, 13.0, 22.0, 85.0),
    )
    mark_bank_customers(ctx, idx, p["p_bank_customer"])
    choose_institutions(ctx, idx, (0.25, 0.5, 0.25), 0.1)
    charity = rng.random(n_senders) < p["sponsor_charity"]
    n_ch = max(2, round(charity.sum() / p["sponsor_per_charity"]))
    orgs = ppl.add_orgs(
        n_ch,
        role="charity",
        population="charity",
        country="PH",
        org_names=[names.org_name(rng) for _ in range(n_ch)],
    )
    pop = names.zipf_weights(n_ch, 0.8, rng)
    c_idx = np.flatnonzero(charity)
    ctx.links.add(
        len(c_idx),
        payer=idx[c_idx],
        benef=orgs[rng.choice(n_ch, size=len(c_idx), p=pop)],
        flow="charity_donation",
        cadence=tm.MONTHLY,
        first=np.where(
            rng.random(len(c_idx)) < 0.85, 0, rng.integers(0, ctx.cal.n_days, len(c_idx))
        ),
        dom=rng.integers(0, 28, len(c_idx)),
        skip=0.02,
        amt=rng.uniform(0.8, 1.2, len(c_idx)) * p["sponsor_amt_usd"],
        sigma=0.0,
        fixed=True,
        round_p=1.0,
        night=0.03,
        profile=tm.PROFILE_CODES["spread"],
        memo=tm.MEMO_SCHEMES["sponsor"],
        blank=0.4,
    )
    d_idx = np.flatnonzero(~charity)
    if len(d_idx):
        sizes = 1 + rng.poisson(1.5, len(d_idx))
        fam, start = ppl.add_households(
            sizes,
            country=np.full(len(d_idx), "PH", dtype=object),
            role="sponsored_family",
            population="sponsored_family",
            same_surname=p["household_same_surname"],
            junior_share=p["junior_share"],
        )
        ctx.links.add(
            len(d_idx),
            payer=idx[d_idx],
            benef=fam[start],
            flow="sponsorship_direct",
            cadence=tm.TERMS,
            dom=rng.integers(0, 28, len(d_idx)),
            skip=0.1,
            amt=lognormal(rng, p["sponsor_direct_usd"], 0.4, len(d_idx)),
            sigma=0.15,
            round_p=0.85,
            php_p=0.3,
            night=0.05,
            memo=tm.MEMO_SCHEMES["school"],
            blank=0.2,
        )


# --- freelancers ----------------------------------------------------------------------------
def build_freelance(ctx: Context, n_senders: int) -> None:
    """Small businesses abroad paying PH freelancers (virtual assistants): regular, business hours."""
    p, rng, ppl = ctx.p, ctx.rng, ctx.people
    if n_senders <= 0:
        return
    s_ctry = pick(
        rng, (["AU", "US", "GB", "CA", "NZ"], np.array([0.3, 0.35, 0.15, 0.12, 0.08])), n_senders
    )
    idx = ppl.add(
        n_senders,
        role="freelance_client",
        population="freelance_client",
        country=s_ctry,
        male=0.6,
        age=(42.0, 10.0, 24.0, 70.0),
    )
    mark_bank_customers(ctx, idx, p["p_bank_customer"])
    choose_institutions(ctx, idx, (0.15, 0.25, 0.6), 0.1)
    k = 1 + rng.poisson(p["fl_extra_vas"], n_senders)
    payer = np.repeat(idx, k)
    shared = rng.random(len(payer)) < p["fl_shared_va"]
    n_va = int((~shared).sum())
    vas = ppl.add(
        max(n_va, 1),
        role="freelancer",
        population="freelancer",
        country="PH",
        male=0.45,
        age=(29.0, 6.0, 20.0, 50.0),
    )
    benef = np.empty(len(payer), dtype=np.int64)
    benef[~shared] = vas[:n_va]
    benef[shared] = vas[rng.integers(0, len(vas), int(shared.sum()))]
    r = rng.random(len(payer))
    cad = np.where(r < 0.4, tm.FORTNIGHTLY, np.where(r < 0.75, tm.MONTHLY, tm.WEEKLY))
    scale = np.where(cad == tm.WEEKLY, 0.3, np.where(cad == tm.FORTNIGHTLY, 0.55, 1.0))
    ctx.links.add(
        len(payer),
        payer=payer,
        benef=benef,
        flow="freelance_payment",
        cadence=cad,
        first=np.where(
            rng.random(len(payer)) < 0.7, 0, rng.integers(0, ctx.cal.n_days, len(payer))
        ),
        dom=np.where(cad == tm.MONTHLY, payday(rng, len(payer)), rng.integers(0, 14, len(payer))),
        skip=0.05,
        amt=lognormal(rng, p["fl_amt_usd"], 0.5, len(payer)) * scale,
        sigma=0.2,
        fixed=rng.random(len(payer)) < 0.6,
        round_p=0.6,
        night=0.03,
        profile=tm.PROFILE_CODES["business"],
        memo=tm.MEMO_SCHEMES["freelance"],
        blank=0.3,
    )


# --- one-off senders ------------------------------------------------------------------------
def build_one_off(ctx: Context, n_senders: int) -> None:
    """People paying PH/SE Asia once to three times: gifts, deposits, purchases. Some recipients
    are small businesses with many such customers (legit fan-in of small foreign payments)."""
    p, rng, ppl = ctx.p, ctx.rng, ctx.people
    if n_senders <= 0:
        return
    s_ctry = pick(rng, western_weights(p), n_senders)
    idx = ppl.add(
        n_senders,
        role="one_off_sender",
        population="one_off_sender",
        country=s_ctry,
        male=0.55,
        age=(42.0, 14.0, 19.0, 85.0),
    )
    mark_bank_customers(ctx, idx, p["p_bank_customer"])
    choose_institutions(ctx, idx, (0.5, 0.1, 0.4), 0.05)
    n = np.where(rng.random(n_senders) < p["oo_p1"], 1, rng.integers(2, 4, n_senders))
    r_ctry = np.where(
        rng.random(n_senders) < p["oo_ph"], "PH", np.where(rng.random(n_senders) < 0.6, "TH", "VN")
    ).astype(object)
    business = rng.random(n_senders) < p["oo_business"]
    benef = np.empty(n_senders, dtype=np.int64)
    ind = np.flatnonzero(~business)
    benef[ind] = ppl.add(
        len(ind),
        role="one_off_recipient",
        population="one_off_recipient",
        country=r_ctry[ind],
        male=0.4,
        age=(35.0, 12.0, 18.0, 75.0),
        with_email=False,
    )
    for c in ("PH", "TH", "VN"):
        sel = np.flatnonzero(business & (r_ctry == c))
        if not len(sel):
            continue
        n_b = max(1, len(sel) // 8)
        biz = ppl.add(
            n_b,
            role="small_business",
            population="small_business",
            country=c,
            male=0.5,
            age=(45.0, 10.0, 25.0, 75.0),
        )
        benef[sel] = biz[rng.choice(n_b, size=len(sel), p=names.zipf_weights(n_b, 1.0, rng))]
    ctx.links.add(
        n_senders,
        payer=idx,
        benef=benef,
        flow=np.where(business, "one_off_booking", "one_off_gift").astype(object),
        cadence=tm.COUNT,
        rate=n,
        first=rng.integers(0, ctx.cal.n_days, n_senders),
        last=-1,
        amt=lognormal(rng, p["oo_amt_usd"], 0.8, n_senders),
        sigma=0.5,
        round_p=0.55,
        php_p=0.15,
        night=p["oo_night"],
        profile=tm.PROFILE_CODES["spread"],
        memo=tm.MEMO_SCHEMES["one_off"],
        blank=0.4,
    )


# --- travellers -----------------------------------------------------------------------------
def build_travellers(ctx: Context, n_senders: int) -> None:
    """Card holders travelling to PH/TH: card spending there and small payments to locals."""
    p, rng, ppl, cal = ctx.p, ctx.rng, ctx.people, ctx.cal
    if n_senders <= 0:
        return
    s_ctry = pick(rng, (["AU", "US", "GB"], np.array([0.45, 0.35, 0.2])), n_senders)
    idx = ppl.add(
        n_senders,
        role="traveller",
        population="traveller",
        country=s_ctry,
        male=0.6,
        age=(44.0, 14.0, 20.0, 80.0),
    )
    ppl.set(idx, "bank_customer", 1)
    choose_institutions(ctx, idx, (0.3, 0.2, 0.5), 0.1)
    locals_: dict[str, np.ndarray] = {}
    for c in ("PH", "TH"):
        locals_[c] = ppl.add(
            max(10, n_senders // 3),
            role="local_service",
            population="local_service",
            country=c,
            male=0.7,
            age=(38.0, 10.0, 20.0, 70.0),
            with_email=False,
        )
    lp, lb, lf, ll, lz = [], [], [], [], []
    for i in idx:
        for _ in range(1 if rng.random() < 0.7 else 2):
            c = "PH" if rng.random() < p["tr_ph"] else "TH"
            start = int(rng.integers(0, cal.n_days))
            length = int(rng.integers(5, 22))
            city = str(ppl["city"][locals_[c][int(rng.integers(len(locals_[c])))]])
            ctx.trips.append((int(i), start, length, c, city))
            for _ in range(int(rng.poisson(p["tr_local_payments"]))):
                lp.append(i)
                lb.append(locals_[c][int(rng.integers(len(locals_[c])))])
                lf.append(start)
                ll.append(min(start + length, cal.n_days))
                lz.append(
                    ppl.zone_index[geo.COUNTRIES[c].zones[0][0]]
                )  # paid from the phone abroad
    if lp:
        m = len(lp)
        ctx.links.add(
            m,
            payer=np.array(lp),
            benef=np.array(lb),
            flow="travel_payment",
            zone=np.array(lz),
            cadence=tm.COUNT,
            rate=1.0,
            first=np.array(lf),
            last=np.array(ll),
            amt=lognormal(rng, 35.0, 0.7, m),
            sigma=0.3,
            round_p=0.6,
            night=0.08,
            profile=tm.PROFILE_CODES["spread"],
            memo=tm.MEMO_SCHEMES["travel"],
            blank=0.5,
        )


# --- romance-scam victims -------------------------------------------------------------------
def build_romance(ctx: Context, n_senders: int) -> None:
    """Older people abroad paying mule accounts escalating sums (S36 mule accounts; amounts an
    assumption)."""
    p, rng, ppl, cal = ctx.p, ctx.rng, ctx.people, ctx.cal
    if n_senders <= 0:
        return
    s_ctry = pick(rng, western_weights(p), n_senders)
    idx = ppl.add(
        n_senders,
        role="romance_victim",
        population="romance_victim",
        country=s_ctry,
        male=0.45,
        age=(63.0, 9.0, 45.0, 88.0),
    )
    mark_bank_customers(ctx, idx, p["p_bank_customer"])
    choose_institutions(ctx, idx, (0.45, 0.45, 0.1), 0.2)
    n_mules = max(2, round(n_senders / p["rom_victims_per_mule"]))
    m_ctry = pick(rng, (["PH", "NG", "GH", "MY"], np.array([0.4, 0.3, 0.15, 0.15])), n_mules)
    mules = ppl.add(
        n_mules,
        role="mule",
        population="romance_mule",
        country=m_ctry,
        male=0.6,
        age=(30.0, 8.0, 19.0, 60.0),
        with_email=False,
    )
    k = np.where(rng.random(n_senders) < 0.8, 1, 2)
    payer = np.repeat(idx, k)
    m = len(payer)
    ctx.links.add(
        m,
        payer=payer,
        benef=mules[rng.integers(0, n_mules, m)],
        flow="romance_scam",
        cadence=tm.SEQUENCE,
        first=rng.integers(0, cal.n_days, m),
        rate=np.maximum(1, np.round(lognormal(rng, p["rom_n"], 0.4, m) / k.repeat(k))),
        dom=rng.integers(5, 21, m),
        amt=lognormal(rng, p["rom_start_usd"], 0.5, m),
        sigma=0.25,
        growth=p["rom_growth"],
        round_p=0.8,
        night=0.08,
        profile=tm.PROFILE_CODES["spread"],
        memo=tm.MEMO_SCHEMES["romance"],
        blank=0.35,
    )


# --- domestic customers and domestic banking ------------------------------------------------
def build_domestic(ctx: Context, n_senders: int) -> None:
    """Bank customers who never send abroad: the bulk of a bank's customers."""
    ctry = pick(ctx.rng, (["AU", "US", "GB"], np.array([0.45, 0.35, 0.2])), n_senders)
    idx = ctx.people.add(
        n_senders,
        role="domestic",
        population="domestic",
        country=ctry,
        male=0.5,
        age=(44.0, 16.0, 18.0, 90.0),
    )
    ctx.people.set(idx, "bank_customer", 1)


UTILITIES = [
    "CITYPOWER ENERGY",
    "METRO WATER",
    "FASTNET INTERNET",
    "TELCO MOBILE",
    "COUNCIL RATES",
    "HOMESAFE INSURANCE",
    "GREENGAS",
]


def build_domestic_banking(ctx: Context) -> None:
    """Rent, bills and person-to-person transfers of every bank customer, through their bank."""
    p, rng, ppl = ctx.p, ctx.rng, ctx.people
    cust = np.flatnonzero(ppl["bank_customer"] == 1)
    for c in ("AU", "US", "GB"):
        mine = cust[ppl["country"][cust] == c]
        if not len(mine):
            continue
        util = ppl.add_orgs(
            len(UTILITIES), role="merchant", population="utility", country=c, org_names=UTILITIES
        )
        n_friends = max(5, len(mine) // 4)
        friends = ppl.add(
            n_friends,
            role="domestic_payee",
            population="domestic_payee",
            country=c,
            male=0.5,
            age=(40.0, 15.0, 18.0, 85.0),
        )
        renters = mine[rng.random(len(mine)) < p["rent_share"]]
        landlords = ppl.add(
            max(1, len(renters) // 2),
            role="domestic_payee",
            population="landlord",
            country=c,
            male=0.55,
            age=(55.0, 12.0, 30.0, 85.0),
        )
        ctx.links.add(
            len(renters),
            payer=renters,
            benef=landlords[rng.integers(0, len(landlords), len(renters))],
            flow="rent",
            cadence=tm.MONTHLY,
            dom=rng.integers(0, 28, len(renters)),
            skip=0.01,
            amt=lognormal(rng, 1400.0, 0.3, len(renters)),
            sigma=0.0,
            fixed=True,
            round_p=1.0,
            night=0.05,
            kind="dom",
            memo=tm.MEMO_SCHEMES["rent"],
            blank=0.4,
        )
        n = len(mine)
        ctx.links.add(
            n,
            payer=mine,
            benef=util[rng.integers(0, len(UTILITIES), n)],
            flow="bill_payment",
            rate=p["bills_rate"],
            amt=lognormal(rng, 110.0, 0.5, n),
            sigma=0.4,
            round_p=0.05,
            night=0.04,
            kind="dom",
            memo=tm.MEMO_SCHEMES["p2p"],
            blank=1.0,
        )
        ctx.links.add(
            n,
            payer=mine,
            benef=friends[rng.integers(0, n_friends, n)],
            flow="p2p_domestic",
            rate=p["p2p_rate"],
            amt=lognormal(rng, 60.0, 0.8, n),
            sigma=0.5,
            round_p=0.7,
            night=0.06,
            profile=tm.PROFILE_CODES["spread"],
            kind="dom",
            memo=tm.MEMO_SCHEMES["p2p"],
            blank=0.4,
        )


# --- merchants ------------------------------------------------------------------------------
#: Card spending categories: (key, MCC, share of purchases, median USD, sigma, brands). Shares and
#: amounts are assumptions; the brands are invented.
CARD_CATEGORIES: list[tuple[str, str, float, float, float, list[str]]] = [
    (
        "grocery",
        "5411",
        0.30,
        45.0,
        0.7,
        [
            "FRESHWAY SUPERMARKET",
            "VALUEMART",
            "HARVEST MARKET",
            "CORNER FOODSTORE",
            "GREENLEAF GROCERS",
        ],
    ),
    (
        "cafe",
        "5814",
        0.20,
        8.0,
        0.5,
        ["BEANHOUSE CAFE", "DAILY GRIND", "MORNING BREW", "QUICKBITE"],
    ),
    (
        "restaurant",
        "5812",
        0.12,
        40.0,
        0.6,
        ["SPICE ROUTE", "BELLA CUCINA", "THE LOCAL TAVERN", "GOLDEN WOK"],
    ),
    ("fuel", "5541", 0.10, 55.0, 0.4, ["PETROLINE", "FUELSTOP", "ROADSTAR FUEL"]),
    ("pharmacy", "5912", 0.07, 22.0, 0.7, ["CITY CHEMIST", "WELLCARE PHARMACY"]),
    ("retail", "5311", 0.10, 45.0, 0.9, ["HOMESTORE", "BIGBOX DEPARTMENT", "STYLE OUTLET"]),
    ("electronics", "5732", 0.03, 120.0, 1.0, ["TECHZONE", "GADGET HUB"]),
    ("transport", "4111", 0.05, 12.0, 0.6, ["METRO TRANSIT", "CITYRIDE TAXI"]),
    ("telecom", "4814", 0.03, 45.0, 0.3, ["TELCO MOBILE TOPUP"]),
]
#: Online merchants billed by card: (key, MCC, brands, median USD).
ONLINE: list[tuple[str, str, list[str], float]] = [
    ("streaming", "4899", ["STREAMFLIX", "WATCHBOX PLUS", "KIDSTV PLUS"], 14.0),
    ("music", "5815", ["TUNEWAVE MUSIC", "PODLY PREMIUM"], 11.0),
    ("software", "5734", ["CLOUDDRIVE STORAGE", "OFFICESUITE ONLINE", "PHOTOBOX EDITOR"], 9.0),
    ("vpn", "4816", ["SAFETUNNEL VPN", "PRIVAWALL VPN", "NORTHSHIELD VPN"], 9.0),
    ("video_sw", "5734", ["SCREENGRAB PRO", "CAPTURELY RECORDER"], 45.0),
    ("tokens", "5816", ["PIXELPLAY CREDITS", "VIDLINK CREDITS", "STARCOIN GAMES"], 18.0),
    ("airline", "4511", ["PACIFIC WINGS AIRLINES", "ISLAND AIR", "SKYBRIDGE AIRWAYS"], 900.0),
]
#: Merchants where travellers spend in PH/TH: (key, MCC, brands, median USD).
TRAVEL: list[tuple[str, str, list[str], float]] = [
    ("hotel", "7011", ["SEAVIEW RESORT", "PALM GARDEN HOTEL", "CITY INN", "BAYVIEW SUITES"], 85.0),
    ("restaurant", "5812", ["BAYSIDE GRILL", "LUTONG BAHAY", "RIVERSIDE KITCHEN"], 18.0),
    ("transport", "4121", ["SWIFTRIDE", "ISLAND VAN TRANSFER"], 9.0),
    ("retail", "5311", ["METRO MALL", "SOUVENIR CORNER"], 30.0),
    ("atm", "6011", ["ATM WITHDRAWAL"], 120.0),
]


def build_merchants(ctx: Context) -> None:
    """Card merchants of each bank country, online merchants and merchants in PH/TH, as
    organisations in the people table (role ``merchant``)."""
    ppl = ctx.people
    for c in ("AU", "US", "GB"):
        cities = [cty for z in geo.COUNTRIES[c].zones for cty in z[2]][:6]
        for key, mcc, _share, _med, _sig, brands in CARD_CATEGORIES:
            nm = [f"{b} {cty.upper()}" for b in brands for cty in cities]
            where = [cty for _b in brands for cty in cities]
            ids = ppl.add_orgs(
                len(nm),
                role="merchant",
                population="merchant",
                country=c,
                org_names=nm,
                mcc=[mcc] * len(nm),
                city=where,
            )
            ctx.merchants.setdefault(c, {})[key] = ids
    for key, mcc, brands, _med in ONLINE:
        ids = ppl.add_orgs(
            len(brands),
            role="merchant",
            population="merchant",
            country="US",
            org_names=brands,
            mcc=[mcc] * len(brands),
            city=["Online"] * len(brands),
        )
        ctx.merchants.setdefault("online", {})[key] = ids
    for c in ("PH", "TH"):
        for key, mcc, brands, _med in TRAVEL:
            nm = brands if key == "atm" else [f"{b}" for b in brands]
            ids = ppl.add_orgs(
                len(nm),
                role="merchant",
                population="merchant",
                country=c,
                org_names=nm,
                mcc=[mcc] * len(nm),
            )
            ctx.merchants.setdefault(c, {})[key] = ids


def build_card_links(ctx: Context) -> None:
    """Recurring and occasional online card purchases of every bank customer: subscriptions,
    VPNs (S12, S13, S17 for offenders; common among everyone), video-capture software (S13),
    platform credits (S17 indicator 13, S27 tokens)."""
    p, rng, ppl, cal = ctx.p, ctx.rng, ctx.people, ctx.cal
    cust = np.flatnonzero(ppl["bank_customer"] == 1)
    off = ppl["role"][cust] == "offender"
    online = ctx.merchants["online"]
    n = len(cust)
    card = {
        "flow": "card_purchase",
        "kind": "card",
        "memo": tm.MEMO_SCHEMES["p2p"],
        "blank": 1.0,
        "profile": tm.PROFILE_CODES["spread"],
    }
    # subscriptions billed monthly at the merchant's billing hour (often at night, local time)
    k = rng.poisson(p["subs_mean"], n)
    subs = np.r_[online["streaming"], online["music"], online["software"]]
    payer = np.repeat(cust, k)
    m = len(payer)
    med = np.array([14.0, 11.0, 9.0])
    ctx.links.add(
        m,
        payer=payer,
        benef=subs[rng.integers(0, len(subs), m)],
        cadence=tm.MONTHLY,
        dom=rng.integers(0, 28, m),
        first=np.where(rng.random(m) < 0.8, 0, rng.integers(0, cal.n_days, m)),
        amt=med[rng.integers(0, 3, m)] * rng.uniform(0.7, 1.3, m),
        sigma=0.0,
        fixed=True,
        round_p=0.0,
        night=0.3,
        **card,
    )
    vpn = cust[rng.random(n) < np.where(off, p["off_vpn"], p["legit_vpn"])]
    yearly = rng.random(len(vpn)) < 0.35
    v_m = online["vpn"][rng.integers(0, len(online["vpn"]), len(vpn))]
    ctx.links.add(
        int((~yearly).sum()),
        payer=vpn[~yearly],
        benef=v_m[~yearly],
        cadence=tm.MONTHLY,
        dom=rng.integers(0, 28, int((~yearly).sum())),
        amt=rng.uniform(5.0, 13.0, int((~yearly).sum())),
        sigma=0.0,
        fixed=True,
        round_p=0.0,
        night=0.3,
        **card,
    )
    ctx.links.add(
        int(yearly.sum()),
        payer=vpn[yearly],
        benef=v_m[yearly],
        cadence=tm.COUNT,
        rate=1.0,
        amt=rng.uniform(45.0, 100.0, int(yearly.sum())),
        sigma=0.0,
        round_p=0.0,
        night=0.1,
        **card,
    )
    vs = cust[rng.random(n) < np.where(off, p["off_video_sw"], p["legit_video_sw"])]
    ctx.links.add(
        len(vs),
        payer=vs,
        benef=online["video_sw"][rng.integers(0, len(online["video_sw"]), len(vs))],
        cadence=tm.COUNT,
        rate=1.0,
        amt=rng.uniform(25.0, 80.0, len(vs)),
        sigma=0.0,
        round_p=0.0,
        night=0.15,
        **card,
    )
    tk = cust[rng.random(n) < np.where(off, p["off_tokens"], p["legit_tokens"])]
    ctx.links.add(
        len(tk),
        payer=tk,
        benef=online["tokens"][rng.integers(0, len(online["tokens"]), len(tk))],
        rate=rng.uniform(0.3, 2.0, len(tk)),
        amt=lognormal(rng, 15.0, 0.6, len(tk)),
        sigma=0.5,
        round_p=0.5,
        night=0.2,
        **card,
    )

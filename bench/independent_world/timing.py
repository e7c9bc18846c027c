"""Calendar, payment cadences, hours of day, amounts and memos, vectorised over many links.

A *link* is a payer paying one beneficiary with one habit (cadence, amount, hour profile, memo
vocabulary). The generators here turn arrays of link parameters into arrays of events without a
Python loop per payment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# cadence codes
MONTHLY, SEMIMONTHLY, FORTNIGHTLY, WEEKLY, POISSON, COUNT, SEQUENCE, TERMS = range(8)

#: School-term months (0 = January) when direct sponsors pay fees: PH school year opens in June
#: or August, second semester in October-November, third term in January (assumption).
TERM_MONTHS = (0, 5, 7, 10)


@dataclass(frozen=True)
class Calendar:
    """The window of the world: ``months`` calendar months from ``start``."""

    start: dt.date
    months: int

    @property
    def month_starts(self) -> np.ndarray:
        """Day index of the first day of each month, plus the end of the window."""
        out = []
        y, m = self.start.year, self.start.month
        for _ in range(self.months + 1):
            out.append((dt.date(y, m, 1) - self.start).days)
            m += 1
            if m > 12:
                y, m = y + 1, 1
        return np.array(out, dtype=np.int64)

    @property
    def n_days(self) -> int:
        """Days in the window."""
        return int(self.month_starts[-1])

    def calendar_month(self, day: np.ndarray) -> np.ndarray:
        """Calendar month (0 = January) of each day index."""
        ms = self.month_starts
        idx = np.searchsorted(ms, day, side="right") - 1
        return (self.start.month - 1 + idx) % 12

    def dates(self, day: np.ndarray) -> np.ndarray:
        """numpy dates of day indices."""
        return np.datetime64(self.start, "D") + day.astype("timedelta64[D]")


@dataclass
class Events:
    """Event arrays produced by a generator: the link, the day and the payment's rank in its link."""

    link: np.ndarray
    day: np.ndarray
    k: np.ndarray

    @staticmethod
    def empty() -> Events:
        """No events."""
        z = np.zeros(0, dtype=np.int64)
        return Events(z, z.copy(), z.copy())


def _rank_within(link: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort events by link then day and number them 0.. within each link."""
    order = np.lexsort((day, link))
    link, day = link[order], day[order]
    start = np.r_[0, np.flatnonzero(np.diff(link)) + 1]
    counts = np.diff(np.r_[start, len(link)])
    k = np.arange(len(link)) - np.repeat(start, counts)
    return link, day, k


def grid_events(
    cal: Calendar,
    rng: np.random.Generator,
    links: np.ndarray,
    cadence: int,
    first: np.ndarray,
    last: np.ndarray,
    dom: np.ndarray,
    skip: np.ndarray,
) -> Events:
    """Regular cadences: monthly (day ``dom``), semi-monthly (15th and month end), fortnightly or
    weekly (phase ``dom``), or school terms; each slot slips a day or two and is skipped with
    probability ``skip``. Only days in ``[first, last)`` are kept.
    """
    if len(links) == 0:
        return Events.empty()
    ms = cal.month_starts
    mlen = np.diff(ms)
    if cadence in (MONTHLY, TERMS):
        d = ms[:-1][None, :] + np.minimum(dom[:, None], mlen[None, :] - 1)
        if cadence == TERMS:
            months = (cal.start.month - 1 + np.arange(cal.months)) % 12
            keep_m = np.isin(months, TERM_MONTHS)
            d = d[:, keep_m]
    elif cadence == SEMIMONTHLY:
        d = np.concatenate([ms[:-1][None, :] + 14, ms[:-1][None, :] + mlen[None, :] - 1], axis=1)
        d = np.repeat(d, len(links), axis=0)
    else:
        step = 14 if cadence == FORTNIGHTLY else 7
        n = cal.n_days // step + 1
        d = dom[:, None] % step + step * np.arange(n)[None, :]
    slip = rng.integers(-2, 3, size=d.shape) * (rng.random(d.shape) < 0.35)
    d = d + slip
    keep = (d >= first[:, None]) & (d < last[:, None]) & (rng.random(d.shape) >= skip[:, None])
    keep &= (d >= 0) & (d < cal.n_days)
    rows, _ = np.nonzero(keep)
    return Events(*_rank_within(links[rows], d[keep]))


def poisson_events(
    rng: np.random.Generator,
    links: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    per_month: np.ndarray,
) -> Events:
    """Irregular payments: a Poisson number at ``per_month`` over ``[first, last)``, days uniform."""
    span = np.maximum(last - first, 0)
    n = rng.poisson(per_month * span / 30.44)
    return count_events(rng, links, first, last, n)


def count_events(
    rng: np.random.Generator, links: np.ndarray, first: np.ndarray, last: np.ndarray, n: np.ndarray
) -> Events:
    """Exactly ``n`` payments per link on uniform days of ``[first, last)``."""
    n = np.where(last > first, n, 0).astype(np.int64)
    li = np.repeat(np.arange(len(links)), n)
    day = first[li] + np.floor(rng.random(len(li)) * (last[li] - first[li])).astype(np.int64)
    return Events(*_rank_within(links[li], day))


def sequence_events(
    rng: np.random.Generator,
    links: np.ndarray,
    first: np.ndarray,
    n: np.ndarray,
    mean_gap: np.ndarray,
    n_days: int,
) -> Events:
    """A run of ``n`` payments from ``first`` with gamma-distributed gaps (romance scams)."""
    li = np.repeat(np.arange(len(links)), n)
    gaps = rng.gamma(2.0, mean_gap[li] / 2.0)
    start = np.r_[0, np.cumsum(n)[:-1]]
    cs = np.cumsum(gaps)
    base = np.repeat(cs[start] - gaps[start], n)
    day = first[li] + np.floor(cs - base).astype(np.int64)
    keep = day < n_days
    return Events(*_rank_within(links[li][keep], day[keep]))


# --- hours ---------------------------------------------------------------------------------
#: Day-time hour profiles (weights for 06:00-21:59), an assumption: payments after work and at
#: lunch for private senders, office hours for businesses, shop hours for cards.
DAY_PROFILES: dict[str, np.ndarray] = {
    "evening": np.array([1, 2, 3, 4, 5, 5, 7, 6, 5, 5, 5, 6, 8, 10, 11, 10], dtype=float),
    "business": np.array([1, 3, 8, 10, 10, 9, 8, 9, 9, 8, 5, 2, 1, 1, 1, 1], dtype=float),
    "spread": np.array([2, 3, 4, 5, 6, 6, 7, 6, 6, 6, 6, 7, 8, 8, 8, 7], dtype=float),
    "card": np.array([2, 4, 5, 6, 7, 9, 10, 8, 7, 7, 8, 9, 9, 7, 5, 3], dtype=float),
}
#: Night hours 22:00-05:59, heavier late evening than before dawn (assumption).
NIGHT_PROFILE = np.array([10, 9, 8, 6, 4, 3, 2, 2], dtype=float)
PROFILE_CODES = {name: i for i, name in enumerate(DAY_PROFILES)}


def seconds_of_day(
    rng: np.random.Generator, night_share: np.ndarray, profile: np.ndarray
) -> np.ndarray:
    """Local second of the day: night (22:00-05:59) with probability ``night_share``, otherwise
    from the day profile coded in ``profile``."""
    n = len(night_share)
    hour = np.empty(n, dtype=np.int64)
    night = rng.random(n) < night_share
    nh = rng.choice(8, size=int(night.sum()), p=NIGHT_PROFILE / NIGHT_PROFILE.sum())
    hour[night] = (22 + nh) % 24
    for name, code in PROFILE_CODES.items():
        sel = (~night) & (profile == code)
        w = DAY_PROFILES[name]
        hour[sel] = 6 + rng.choice(16, size=int(sel.sum()), p=w / w.sum())
    return hour * 3600 + rng.integers(0, 3600, size=n)


# --- amounts -------------------------------------------------------------------------------
def round_nicely(x: np.ndarray) -> np.ndarray:
    """Round to an even amount a person would choose: 5s under 100, 10s/50s under 1,000, 100s above."""
    x = np.maximum(x, 1.0)
    mag = 10.0 ** np.floor(np.log10(x))
    step = np.where(x < 100, 5.0, np.where(mag >= 1000, mag / 10, mag / 2))
    step = np.where(x < 10, 1.0, step)
    return np.maximum(np.round(x / step) * step, step)


def php_round(php: np.ndarray) -> np.ndarray:
    """A round peso amount near ``php``: steps of 500 below 5,000, 1,000 below 20,000, else 5,000."""
    step = np.where(php < 5000, 500.0, np.where(php < 20000, 1000.0, 5000.0))
    return np.maximum(np.round(php / step) * step, 500.0)


# --- memos ---------------------------------------------------------------------------------
#: Memo vocabularies per habit. Offender cover terms are the published ones (S9, S12, S13, S16,
#: S19); the others are assumptions about what legitimate senders write.
MEMOS: dict[str, list[tuple[str, float]]] = {
    "family": [
        ("for mom", 6),
        ("for Mama", 4),
        ("para kay Nanay", 2),
        ("allowance", 6),
        ("family support", 5),
        ("bills", 4),
        ("groceries", 3),
        ("padala", 3),
        ("pang gastos", 2),
        ("rent", 2),
        ("medicine", 3),
        ("tuition", 3),
        ("school fees", 3),
        ("birthday", 1),
        ("help", 2),
        ("support", 4),
        ("gift", 2),
        ("monthly", 3),
        ("load", 1),
        ("Family Support", 2),
        ("FAMILY", 2),
    ],
    "offender": [
        ("gift", 6),
        ("help", 5),
        ("school fees", 4),
        ("school uniform", 3),
        ("uniform", 2),
        ("medical bills", 4),
        ("medical costs", 2),
        ("accommodation", 3),
        ("family support", 4),
        ("education", 3),
        ("birthday", 2),
        ("fees", 2),
        ("expenses", 2),
        ("treat", 1),
        ("for food", 3),
        ("load", 2),
        ("allowance", 3),
        ("invoice", 1),
    ],
    "partner": [
        ("for you", 6),
        ("rent", 4),
        ("bills", 4),
        ("groceries", 3),
        ("gift", 4),
        ("phone load", 2),
        ("medicine", 2),
        ("tuition", 1),
        ("shopping", 2),
        ("help", 2),
        ("allowance", 3),
        ("birthday", 1),
    ],
    "sponsor": [("sponsorship", 6), ("monthly donation", 5), ("donation", 4), ("sponsor", 3)],
    "school": [
        ("school fees", 6),
        ("tuition", 5),
        ("uniform", 2),
        ("books", 2),
        ("allowance", 2),
        ("school supplies", 2),
    ],
    "freelance": [
        ("VA services", 5),
        ("salary", 4),
        ("wages", 3),
        ("payment for services", 3),
        ("fortnight pay", 2),
        ("invoice", 4),
        ("bonus", 1),
    ],
    "one_off": [
        ("gift", 6),
        ("deposit", 4),
        ("booking", 4),
        ("room deposit", 3),
        ("tour", 3),
        ("payment", 4),
        ("thank you", 2),
        ("birthday", 2),
        ("order", 3),
        ("donation", 1),
        ("reservation", 2),
    ],
    "travel": [
        ("tour", 4),
        ("driver", 3),
        ("thanks", 3),
        ("deposit", 2),
        ("boat trip", 2),
        ("tip", 2),
    ],
    "romance": [
        ("loan", 5),
        ("medical bills", 4),
        ("hospital", 3),
        ("customs fee", 3),
        ("ticket", 3),
        ("visa fee", 2),
        ("help", 3),
        ("gift", 2),
    ],
    "rent": [("rent", 6), ("Rent", 3), ("RENT", 1), ("rent payment", 2)],
    "p2p": [
        ("dinner", 3),
        ("thanks", 3),
        ("share", 2),
        ("birthday", 1),
        ("tickets", 2),
        ("rent share", 2),
        ("", 4),
    ],
}
MEMO_SCHEMES = {name: i for i, name in enumerate(MEMOS)}


def memos(
    rng: np.random.Generator, scheme: np.ndarray, blank: np.ndarray, month: np.ndarray
) -> np.ndarray:
    """One memo per event from its habit's vocabulary, blank with probability ``blank``.

    Family senders write "school fees" more in June and "Merry Christmas" in December.
    """
    n = len(scheme)
    out = np.full(n, "", dtype=object)
    for name, code in MEMO_SCHEMES.items():
        sel = np.flatnonzero(scheme == code)
        if not len(sel):
            continue
        words = np.array([w for w, _ in MEMOS[name]], dtype=object)
        w = np.array([x for _, x in MEMOS[name]], dtype=float)
        out[sel] = words[rng.choice(len(words), size=len(sel), p=w / w.sum())]
        if name == "family":
            dec = sel[(month[sel] == 11) & (rng.random(len(sel)) < 0.3)]
            out[dec] = "Merry Christmas"
            jun = sel[(month[sel] == 5) & (rng.random(len(sel)) < 0.3)]
            out[jun] = "school fees"
    out[rng.random(n) < blank] = ""
    return out

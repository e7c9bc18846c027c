"""Write the world as institutions export it: six formats, KYC files, mappings, manifest, truth.

Each institution sees only its own customers and records the other side of a payment as its
customer typed it: a name with variants, a phone, an account, a city. How each one writes times,
amounts and names differs on purpose (see the README's table of institutions).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import geo
import names
import numpy as np
import polars as pl
from people import CORAL, INSTITUTIONS, LUMEN, NORTHGATE, POCKETPAY, PRAIRIE, TRADEWIND, People
from populations import Context

INST_DIR = {
    TRADEWIND: "tradewind",
    LUMEN: "lumen",
    CORAL: "coralcoast",
    PRAIRIE: "prairie",
    NORTHGATE: "northgate",
    POCKETPAY: "pocketpay",
}

#: Payout method of a remittance by flow: (cash pickup, mobile wallet, bank deposit), an
#: assumption; S23 names online wallets among OSEC receiving channels.
PAYOUT_BY_FLOW: dict[str, tuple[float, float, float]] = {
    "osec_payment": (0.35, 0.45, 0.20),
    "family_support": (0.30, 0.35, 0.35),
    "partner_support": (0.35, 0.45, 0.20),
    "charity_donation": (0.0, 0.0, 1.0),
    "sponsorship_direct": (0.2, 0.4, 0.4),
    "freelance_payment": (0.0, 0.6, 0.4),
    "one_off_gift": (0.35, 0.45, 0.2),
    "one_off_booking": (0.1, 0.5, 0.4),
    "travel_payment": (0.3, 0.6, 0.1),
    "romance_scam": (0.25, 0.05, 0.7),
}
WALLET_BY_COUNTRY = {
    "PH": ["GCash", "Maya"],
    "TH": ["TrueMoney"],
    "VN": ["MoMo"],
    "MY": ["Touch 'n Go eWallet"],
    "GH": ["MTN MoMo"],
    "NG": ["OPay"],
}
PICKUP_PARTNERS = ["Padala Express", "Bayan Remit Center", "Sulit Pickup", "Island Cash Point"]


@dataclass
class Route:
    """How one payer's institution records one beneficiary."""

    name: str
    alt: str
    phone: str
    account: str
    bank: str
    bic: str
    city: str
    country: str
    payout: str  # cash, wallet, bank


class Recorder:
    """Renders names, phones and accounts as institutions record them, consistently per key."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        p = ctx.p
        self.var = names.Variation(
            drop_middle=p["var_drop_middle"],
            middle_initial=p["var_middle_initial"],
            nickname=p["var_nickname"],
            typo=p["var_typo"],
            swap=p["var_swap"],
            upper=p["var_upper"],
        )
        self.sims: dict[int, list[str]] = {}
        self.accounts: dict[tuple[int, str], tuple[str, str, str]] = {}
        self.inst_phone: dict[tuple[int, int], str] = {}

    def name(self, i: int, careful: bool = False) -> str:
        """Name of person ``i`` as a sender typed it (a clerk copying an ID is ``careful``)."""
        ppl = self.ctx.people
        if ppl.obj["org"][i]:
            org = str(ppl.obj["org"][i])
            r = self.rng.random()
            return org.upper() if r < 0.4 else (org.replace(" Inc.", "") if r < 0.6 else org)
        var = (
            names.Variation(
                drop_middle=0.3,
                middle_initial=0.2,
                nickname=0.0,
                typo=0.005,
                swap=0.0,
                drop_suffix=0.2,
                upper=0.3,
            )
            if careful
            else self.var
        )
        return names.render_name(
            str(ppl.obj["given"][i]),
            str(ppl.obj["middle"][i]),
            str(ppl.obj["surname"][i]),
            str(ppl.obj["suffix"][i]),
            self.rng,
            var,
        )

    def sim_list(self, i: int) -> list[str]:
        """A recipient's SIM cards: the first is their main number (prepaid SIM churn)."""
        if i not in self.sims:
            ppl = self.ctx.people
            c = str(ppl.obj["country"][i]) or "PH"
            extra = (
                int(self.rng.poisson(self.ctx.p["ph_extra_sims"]))
                if c == "PH"
                else int(self.rng.random() < 0.2)
            )
            self.sims[i] = [str(ppl.obj["phone"][i])] + [
                names.mobile(c, self.rng) for _ in range(extra)
            ]
        return self.sims[i]

    def phone_at(self, benef: int, inst: int) -> str:
        """The number a recipient is known by at one institution (often another SIM)."""
        key = (benef, inst)
        if key not in self.inst_phone:
            sims = self.sim_list(benef)
            if len(sims) > 1 and self.rng.random() < self.ctx.p["phone_differs"]:
                self.inst_phone[key] = sims[1 + int(self.rng.integers(len(sims) - 1))]
            else:
                self.inst_phone[key] = sims[0]
        return self.inst_phone[key]

    def account(self, i: int, country: str) -> tuple[str, str, str]:
        """(account number, bank name, BIC) of person ``i`` in ``country``."""
        key = (i, country)
        if key not in self.accounts:
            if country == "PH":
                bank, bic = geo.PH_BANKS[int(self.rng.integers(len(geo.PH_BANKS)))]
                n = int(self.rng.choice([10, 12]))
            elif country in geo.OTHER_BANKS:
                bank, bic = geo.OTHER_BANKS[country][
                    int(self.rng.integers(len(geo.OTHER_BANKS[country])))
                ]
                n = 10
            else:
                bank, bic, n = "", "", 8
            acct = "".join(str(x) for x in self.rng.integers(0, 10, n))
            self.accounts[key] = (acct, bank, bic)
        return self.accounts[key]

    def city(self, i: int) -> str:
        """The recipient's city as a sender spelled it."""
        c = str(self.ctx.people.obj["city"][i])
        for canon, _w, variants in geo.PH_CITIES:
            if canon == c:
                return variants[int(self.rng.integers(len(variants)))]
        return c

    def route(self, payer: int, benef: int, inst: int, third: bool, flow: str) -> Route:
        """How ``inst`` records ``benef`` on payments from ``payer``."""
        rng, ppl = self.rng, self.ctx.people
        country = str(ppl.obj["country"][benef])
        kind = INSTITUTIONS[inst].kind
        if third:
            den = next(d for d in self.ctx.dens if benef in d.receivers)
            return Route(
                self.name(benef),
                self.name(benef),
                self.phone_at(benef, inst),
                den.third_account,
                den.third_bank[0],
                den.third_bank[1],
                "",
                den.third_country,
                "bank",
            )
        if kind == "wallet":
            payout = "wallet"
        elif kind == "bank":
            payout = "bank"
        else:
            w = np.array(PAYOUT_BY_FLOW.get(flow, (0.3, 0.4, 0.3)))
            if country not in WALLET_BY_COUNTRY:
                w[1] = 0.0
            payout = ["cash", "wallet", "bank"][int(rng.choice(3, p=w / w.sum()))]
        phone = self.phone_at(benef, inst)
        acct, bank, bic = "", "", ""
        if payout == "bank":
            acct, bank, bic = self.account(benef, country)
        elif payout == "wallet":
            wallets = WALLET_BY_COUNTRY.get(country, ["Wallet"])
            bank = wallets[int(rng.integers(len(wallets)))]
            acct = names.format_phone(phone, "national") if country == "PH" else phone
        else:
            bank = PICKUP_PARTNERS[int(rng.integers(len(PICKUP_PARTNERS)))]
        return Route(
            self.name(benef),
            self.name(benef),
            phone,
            acct,
            bank,
            bic,
            self.city(benef),
            country,
            payout,
        )


@dataclass
class Customer:
    """One KYC record: a person as one institution registered them."""

    inst: int
    ref: str
    person: int
    given: str
    middle: str
    surname: str
    phone: str
    email: str
    account: str
    country: str
    city: str
    address: str
    dob: int
    sex: str
    id_doc: tuple[str, str]
    given_typed: str


def _ref(inst: int, n: int) -> str:
    """Customer reference number ``n`` in the institution's own format."""
    return {
        TRADEWIND: f"TW{100000 + n}",
        LUMEN: f"LU-{7000000 + n * 7}",
        CORAL: f"{30000000 + n * 13:08d}",
        PRAIRIE: f"{410000000 + n * 31}",
        NORTHGATE: f"NGC{500000 + n}",
        POCKETPAY: f"u_{(n * 2654435761) % 10**10:010d}",
    }[inst]


def _account_for(inst: int, rng: np.random.Generator) -> str:
    """A payer's account or wallet number in the institution's format (remitters keep none)."""
    digits = "".join(str(x) for x in rng.integers(0, 10, 12))
    if inst == CORAL:
        return f"{digits[:3]}-{digits[3:6]} {digits[6:12]}"
    if inst == PRAIRIE:
        return digits[:10]
    if inst == NORTHGATE:
        return f"GB{digits[:2]}NGTE{digits[2:8]}{digits[:8]}"
    if inst == POCKETPAY:
        return f"PP{digits[:10]}"
    return ""


class Registry:
    """KYC records of every institution, created as people become customers."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.records: list[Customer] = []
        self.by_key: dict[tuple[int, int], list[int]] = {}
        self.count = {i.code: 0 for i in INSTITUTIONS}
        self.n_places: dict[int, int] = {}

    def get(self, person: int, inst: int, second: bool = False) -> int:
        """Record index of ``person`` at ``inst`` (a second account when ``second``)."""
        recs = self.by_key.setdefault((person, inst), [])
        want = 2 if second else 1
        while len(recs) < want:
            recs.append(self._new(person, inst, len(recs)))
        return recs[want - 1]

    def shuffle_refs(self) -> None:
        """Renumber each institution's customer references in random order, so that a reference
        says nothing about when (or in which population) its holder was created."""
        for inst in self.count:
            mine = [r for r in self.records if r.inst == inst]
            for r, k in zip(mine, self.rng.permutation(len(mine)) + 1, strict=True):
                r.ref = _ref(inst, int(k))

    def _new(self, person: int, inst: int, nth: int) -> int:
        """Register ``person`` at ``inst`` (``nth`` > 0: a further account of the same person)."""
        ctx, rng, ppl = self.ctx, self.rng, self.ctx.people
        ident = ctx.identity.get(person)
        given, middle, surname = (
            str(ppl.obj["given"][person]),
            str(ppl.obj["middle"][person]),
            str(ppl.obj["surname"][person]),
        )
        if ppl.obj["org"][person]:
            given, middle, surname = "", "", str(ppl.obj["org"][person])
        phone = str(ppl.obj["phone"][person])
        email = str(ppl.obj["email"][person])
        country = str(ppl.obj["country"][person])
        elsewhere = self.n_places.get(person, 0)
        self.n_places[person] = elsewhere + 1
        if nth > 0 or (ident is not None and elsewhere > 0):
            # a second account, or an adapted payer at another institution (evasive profile)
            if nth > 0 or ident.new_phone:  # type: ignore[union-attr]
                phone = names.mobile(country, rng)
            if nth > 0 or ident.new_email:  # type: ignore[union-attr]
                email = names.email(given or "user", surname, rng)
            if nth > 0 or ident.name_variant:  # type: ignore[union-attr]
                if given in names.NICKNAMES and rng.random() < 0.5:
                    opts = names.NICKNAMES[given]
                    given = opts[int(rng.integers(len(opts)))]
                middle = "" if middle and rng.random() < 0.7 else middle
        elif given and (not email or (elsewhere > 0 and rng.random() < 0.15)):
            # recipients opening a wallet, and people using another e-mail somewhere else
            email = names.email(given, surname, rng)
        self.count[inst] += 1
        id_type = "passport" if rng.random() < 0.5 else "driver_licence"
        id_num = (
            str(ppl.obj["passport"][person])
            if id_type == "passport"
            else f"{country}DL{int(rng.integers(10**6, 10**7))}"
        )
        rec = Customer(
            inst=inst,
            ref=_ref(inst, self.count[inst]),
            person=person,
            given=given,
            middle=middle,
            surname=surname,
            phone=phone,
            email=email,
            account=_account_for(inst, rng),
            country=country,
            city=str(ppl.obj["city"][person]),
            address=names.address(rng, str(ppl.obj["city"][person])),
            dob=int(ppl.int["dob"][person]),
            sex=str(ppl.obj["sex"][person]),
            id_doc=(id_type, id_num),
            given_typed=f"{given} {middle}".strip() if middle and rng.random() < 0.33 else given,
        )
        self.records.append(rec)
        return len(self.records) - 1


# --- formatting helpers ---------------------------------------------------------------------
def _fmt_amount(x: np.ndarray, decimal: str = ".", thousands: str = "") -> np.ndarray:
    """Amounts as text with the given separators (two decimals), vectorised."""
    cents = pl.Series(np.round(np.abs(x) * 100).astype(np.int64))
    df = pl.DataFrame({"ip": cents // 100, "fp": cents % 100})
    ip = pl.col("ip")
    if thousands:
        grp = lambda e: e.cast(pl.String).str.zfill(3)  # noqa: E731
        whole = (
            pl.when(ip >= 1_000_000)
            .then(
                pl.concat_str(
                    [
                        (ip // 1_000_000).cast(pl.String),
                        pl.lit(thousands),
                        grp((ip // 1000) % 1000),
                        pl.lit(thousands),
                        grp(ip % 1000),
                    ]
                )
            )
            .when(ip >= 1000)
            .then(pl.concat_str([(ip // 1000).cast(pl.String), pl.lit(thousands), grp(ip % 1000)]))
            .otherwise(ip.cast(pl.String))
        )
    else:
        whole = ip.cast(pl.String)
    out = df.select(
        pl.concat_str([whole, pl.lit(decimal), pl.col("fp").cast(pl.String).str.zfill(2)]).alias(
            "s"
        )
    )["s"]
    return out.to_numpy().astype(object)


def _local_strings(ts: np.ndarray, zone: str | np.ndarray, fmt: str) -> np.ndarray:
    """Format UTC seconds as local times of one zone (or a zone per row)."""
    s = pl.Series("ts", ts * 1_000_000).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if isinstance(zone, str):
        return s.dt.convert_time_zone(zone).dt.strftime(fmt).to_numpy().astype(object)
    out = np.empty(len(ts), dtype=object)
    for z in np.unique(zone):
        sel = np.flatnonzero(zone == z)
        out[sel] = s.gather(sel).dt.convert_time_zone(str(z)).dt.strftime(fmt).to_numpy()
    return out


def _plant_bad(rng: np.random.Generator, n: int, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows to break on purpose: (rows with an unparseable amount, rows with an unknown currency)."""
    k = int(rng.binomial(n, share))
    rows = rng.choice(n, size=min(k, n), replace=False)
    half = len(rows) // 2
    return rows[:half], rows[half:]


BAD_AMOUNTS = ["N/A", "12..50", "1O0.00", "#VALUE!", "--"]
BAD_CCY = ["ZZZ", "A$D", "PES", "USS"]


def _to_bad(col: np.ndarray, rows: np.ndarray, values: list[str], rng: np.random.Generator) -> None:
    """Overwrite ``rows`` of ``col`` with broken values."""
    for r in rows:
        col[r] = values[int(rng.integers(len(values)))]


# --- the writer ------------------------------------------------------------------------------
class WorldWriter:
    """Writes all files of one world under ``out``."""

    def __init__(
        self, ctx: Context, E: dict[str, np.ndarray], rates: dict[str, np.ndarray], out: Path
    ) -> None:
        self.ctx = ctx
        self.E = E
        self.rates = rates
        self.out = out
        self.rng = ctx.rng
        self.rec = Recorder(ctx)
        self.reg = Registry(ctx)
        self.truth_tx: list[pl.DataFrame] = []
        self.manifest_kyc: list[dict[str, str]] = []
        self.manifest_tx: list[dict[str, str]] = []
        self.planted: dict[str, dict[str, int]] = {}
        self.truth_cust: list[pl.DataFrame] = []
        self._rec_arrays: dict[str, np.ndarray] = {}

    # -- resolution of routes and customers, vectorised through unique keys --
    def resolve(self) -> None:
        """Give every payment its payer record, beneficiary record and rendered fields."""
        E, ppl, rng = self.E, self.ctx.people, self.rng
        n = len(E["ts"])
        # payer records; multi-account offenders move to a second account mid-window (S14)
        pay_rec = np.empty(n, dtype=np.int64)
        keys = E["payer"] * 8 + E["inst"]
        uk, inv = np.unique(keys, return_inverse=True)
        first_rec = np.array([self.reg.get(int(k // 8), int(k % 8)) for k in uk])
        pay_rec[:] = first_rec[inv]
        for i, ident in self.ctx.identity.items():
            if not ident.multi_account:
                continue
            sel = np.flatnonzero(E["payer"] == i)
            if len(sel) < 4:
                continue
            switch = E["ts"][sel[len(sel) // 2]]
            later = sel[E["ts"][sel] >= switch]
            for inst in np.unique(E["inst"][later]):
                s2 = later[E["inst"][later] == inst]
                pay_rec[s2] = self.reg.get(i, int(inst), second=True)
            self.ctx.note([i], "second account at the same institution")
        E["pay_rec"] = pay_rec
        # beneficiary routes for transfers
        xfer = E["kind"] != "card"
        rk = ((E["payer"] * np.int64(ppl.n) + E["benef"]) * 8 + E["inst"]) * 2 + E["third"].astype(
            np.int64
        )
        rk = np.where(xfer, rk, -1)
        uk, inv = np.unique(rk, return_inverse=True)
        routes: list[Route | None] = []
        first_idx = np.zeros(len(uk), dtype=np.int64)
        first_idx[inv[::-1]] = np.arange(n)[::-1]
        for j, k in enumerate(uk):
            if k < 0:
                routes.append(None)
                continue
            e = first_idx[j]
            routes.append(
                self.rec.route(
                    int(E["payer"][e]),
                    int(E["benef"][e]),
                    int(E["inst"][e]),
                    bool(E["third"][e]),
                    str(E["flow"][e]),
                )
            )
        fields = ("name", "alt", "phone", "account", "bank", "bic", "city", "country", "payout")
        arr = {
            f: np.array([getattr(r, f) if r else "" for r in routes], dtype=object) for f in fields
        }
        for f in fields:
            E["b_" + f] = arr[f][inv]
        retype = rng.random(n) < self.ctx.p["retype_share"]
        # a re-typed name is a fresh rendering, not the saved one
        for j in np.flatnonzero(retype & xfer & (E["inst"] != POCKETPAY)):
            E["b_name"][j] = self.rec.name(int(E["benef"][j]))
        # Pocketpay recipients are Pocketpay users with their own KYC record
        pp = np.flatnonzero(E["inst"] == POCKETPAY)
        b_rec = np.full(n, -1, dtype=np.int64)
        ub, binv = np.unique(E["benef"][pp], return_inverse=True)
        recs = np.array([self.reg.get(int(b), POCKETPAY) for b in ub], dtype=np.int64)
        b_rec[pp] = recs[binv]
        E["b_rec"] = b_rec

    # -- per-institution columns --
    def _payer_cols(self, sel: np.ndarray) -> dict[str, np.ndarray]:
        """The payer's KYC fields for rows ``sel`` (as the institution registered the payer)."""
        if not self._rec_arrays or len(self._rec_arrays["ref"]) != len(self.reg.records):
            recs = self.reg.records
            self._rec_arrays = {
                "ref": np.array([r.ref for r in recs], dtype=object),
                "given": np.array([r.given for r in recs], dtype=object),
                "given_middle": np.array([r.given_typed for r in recs], dtype=object),
                "surname": np.array([r.surname for r in recs], dtype=object),
                "full": np.array(
                    [" ".join(x for x in (r.given, r.middle, r.surname) if x) for r in recs],
                    dtype=object,
                ),
                "account": np.array([r.account for r in recs], dtype=object),
                "country": np.array([r.country for r in recs], dtype=object),
            }
        rows = self.E["pay_rec"][sel]
        return {k: v[rows] for k, v in self._rec_arrays.items()}

    def _merchant_cols(self, sel: np.ndarray) -> dict[str, np.ndarray]:
        """Merchant name, MCC and country of card payments among rows ``sel``."""
        ppl = self.ctx.people
        b = self.E["benef"][sel]
        card = self.E["kind"][sel] == "card"
        return {
            "name": np.where(card, ppl["org"][b], ""),
            "mcc": np.where(card, ppl["mcc"][b], ""),
            "country": ppl["country"][b],
        }

    def _txids(self, inst: int, n: int) -> np.ndarray:
        """``n`` transaction ids in the institution's format, in time order."""
        r = self.rng
        if inst == TRADEWIND:
            return np.array([f"TW-{2_000_000 + i}" for i in range(n)], dtype=object)
        if inst == LUMEN:
            hx = r.integers(0, 16**8, n)
            return np.array([f"LT{i:07d}{h:08x}" for i, h in enumerate(hx)], dtype=object)
        if inst == CORAL:
            return np.array([f"CCB{i:010d}" for i in range(n)], dtype=object)
        if inst == PRAIRIE:
            return np.array([f"{8_100_000_000 + 7 * i}" for i in range(n)], dtype=object)
        if inst == NORTHGATE:
            return np.array([f"NG{i:09d}" for i in range(n)], dtype=object)
        hx = r.integers(0, 16**12, n)
        return np.array([f"pp_{h:012x}{i:06d}" for i, h in enumerate(hx)], dtype=object)

    def write_all(self) -> None:
        """Write rates, every institution's export and KYC file, the manifest and the truth."""
        self.resolve()
        self.reg.shuffle_refs()
        self.out.mkdir(parents=True, exist_ok=True)
        self._write_rates()
        for inst in (TRADEWIND, LUMEN, CORAL, PRAIRIE, NORTHGATE, POCKETPAY):
            sel = np.flatnonzero(self.E["inst"] == inst)
            ids = self._txids(inst, len(sel))
            getattr(self, f"_write_{INST_DIR[inst]}")(sel, ids)
            self.truth_tx.append(
                pl.DataFrame(
                    {
                        "institution": [INSTITUTIONS[inst].name] * len(sel),
                        "transaction_id": ids.astype(str),
                        "payer_person_id": _pid(self.E["payer"][sel]),
                        "beneficiary_person_id": _pid(self.E["benef"][sel]),
                        "flow": self.E["flow"][sel].astype(str),
                    }
                )
            )
        for inst in (TRADEWIND, LUMEN, CORAL, PRAIRIE, NORTHGATE, POCKETPAY):
            getattr(self, f"_kyc_{INST_DIR[inst]}")()
        manifest = {"files": [self.manifest_rates, *self.manifest_kyc, *self.manifest_tx]}
        (self.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        self._write_truth()

    def _write_rates(self) -> None:
        """The rates file and its mapping."""
        cal = self.ctx.cal
        d0 = np.datetime64(cal.start, "D") - np.timedelta64(10, "D")
        rows_d, rows_c, rows_r = [], [], []
        for c, r in sorted(self.rates.items()):
            days = d0 + np.arange(len(r)).astype("timedelta64[D]")
            rows_d.append(days.astype(str))
            rows_c.append(np.full(len(r), c))
            rows_r.append(np.round(r, 10))
        df = pl.DataFrame(
            {
                "date": np.concatenate(rows_d),
                "currency": np.concatenate(rows_c),
                "rate": np.concatenate(rows_r),
            }
        ).sort("date", "currency")
        (self.out / "rates").mkdir(exist_ok=True)
        df.write_csv(self.out / "rates" / "usd_rates.csv")
        _write_text(self.out / "rates" / "usd_rates.toml", RATES_TOML)
        self.manifest_rates = {
            "path": "rates/usd_rates.csv",
            "mapping": "rates/usd_rates.toml",
            "kind": "rates",
        }

    def _finish(self, inst: int, rel: str, mapping: str, n_bad_amt: int, n_bad_ccy: int) -> None:
        """Write the transaction mapping and record the file in the manifest."""
        d = INST_DIR[inst]
        _write_text(self.out / d / "transactions.toml", mapping)
        self.manifest_tx.append(
            {"path": f"{d}/{rel}", "mapping": f"{d}/transactions.toml", "kind": "transactions"}
        )
        self.planted[INSTITUTIONS[inst].name] = {
            "unparseable_amount": n_bad_amt,
            "unknown_currency": n_bad_ccy,
        }

    def _bad(self, n: int, amount: np.ndarray | None, ccy: np.ndarray) -> tuple[int, int]:
        """Break a few rows on purpose; returns (broken amounts, broken currencies)."""
        bad_amt, bad_ccy = _plant_bad(self.rng, n, self.ctx.p["bad_row_share"])
        if amount is None:
            bad_ccy = np.r_[bad_amt, bad_ccy]
            bad_amt = bad_amt[:0]
        else:
            _to_bad(amount, bad_amt, BAD_AMOUNTS, self.rng)
        _to_bad(ccy, bad_ccy, BAD_CCY, self.rng)
        return len(bad_amt), len(bad_ccy)

    # ---------------- Tradewind Remit: local Sydney times, decimal comma -----------------
    def _write_tradewind(self, sel: np.ndarray, ids: np.ndarray) -> None:
        """Tradewind Remit's transfer export."""
        E = self.E
        pc = self._payer_cols(sel)
        name = np.where(self.rng.random(len(sel)) < 1.0, E["b_name"][sel], "")
        amount = _fmt_amount(E["amount"][sel], ",", ".")
        ccy = E["ccy"][sel].copy()
        bad = self._bad(len(sel), amount, ccy)
        payout = {"cash": "Cash Pickup", "wallet": "Mobile Wallet", "bank": "Bank Deposit"}
        df = _frame(
            {
                "Transfer No": ids,
                "Date Sent": _local_strings(E["ts"][sel], "Australia/Sydney", "%d/%m/%Y %H:%M"),
                "Send Amount": amount,
                "Send Ccy": ccy,
                "Payout Method": [payout[x] for x in E["b_payout"][sel]],
                "Customer ID": pc["ref"],
                "Sender First Name": pc["given_middle"],
                "Sender Surname": pc["surname"],
                "Sender Country": [geo.COUNTRIES[c].name for c in pc["country"]],
                "Receiver Full Name": name,
                "Receiver Mobile": [names.format_phone(x, "national") for x in E["b_phone"][sel]],
                "Receiver Country": [
                    geo.COUNTRIES[c].name if c else "" for c in E["b_country"][sel]
                ],
                "Receiver City": E["b_city"][sel],
                "Payout Account": E["b_account"][sel],
                "Payout Partner": E["b_bank"][sel],
                "Reason": E["memo"][sel],
            }
        )
        (self.out / "tradewind").mkdir(exist_ok=True)
        df.write_csv(self.out / "tradewind" / "transfers.csv")
        self._finish(TRADEWIND, "transfers.csv", TRADEWIND_TOML, *bad)

    def _kyc_tradewind(self) -> None:
        """Tradewind Remit's customer file: split names, dd/mm/YYYY dates."""
        recs = self._recs(TRADEWIND)
        rng = self.rng
        df = _frame(
            {
                "Customer ID": [r.ref for r in recs],
                "Surname": [r.surname for r in recs],
                "Given Names": [f"{r.given} {r.middle}".strip() for r in recs],
                "DOB": [_dob(r.dob, "%d/%m/%Y", rng, 0.03) for r in recs],
                "Gender": [r.sex if rng.random() > 0.1 else "" for r in recs],
                "Nationality": [_nationality(r, self.ctx.people, rng) for r in recs],
                "Country of Residence": [geo.COUNTRIES[r.country].name for r in recs],
                "City": [r.city for r in recs],
                "Address": [r.address if rng.random() > 0.2 else "" for r in recs],
                "Mobile": [names.format_phone(r.phone, "national") for r in recs],
                "Email": [r.email for r in recs],
                "ID Type": [r.id_doc[0] if rng.random() > 0.05 else "" for r in recs],
                "ID Number": [r.id_doc[1] for r in recs],
            }
        )
        self._kyc_write(TRADEWIND, df, "customers.csv", TRADEWIND_KYC_TOML, recs)

    # ---------------- Lumen Transfer: UTC times, residence only in KYC ------------------
    def _write_lumen(self, sel: np.ndarray, ids: np.ndarray) -> None:
        """Lumen Transfer's transaction export."""
        E = self.E
        pc = self._payer_cols(sel)
        recv_ccy = np.array(
            [geo.COUNTRIES[c].currency if c else "" for c in E["b_country"][sel]], dtype=object
        )
        day = np.clip(E["day"][sel] + 10, 0, None)
        r_recv = np.array([self.rates[c][d] for c, d in zip(recv_ccy, day, strict=True)])
        recv = np.where(
            np.isnan(E["php_amount"][sel]),
            np.round(E["amount"][sel] * E["usd_rate"][sel] / r_recv * 0.985, 2),
            E["php_amount"][sel],
        )
        amount = _fmt_amount(E["amount"][sel])
        ccy = E["ccy"][sel].copy()
        bad = self._bad(len(sel), amount, ccy)
        memo = E["memo"][sel]
        um, inv = np.unique(memo.astype(str), return_inverse=True)
        code = np.array([_purpose_code(m) for m in um], dtype=object)[inv]
        fallback = np.array(
            ["FAMILY_SUPPORT", "GIFT", "OTHER", "FAMILY_SUPPORT", "SAVINGS"], dtype=object
        )[self.rng.integers(0, 5, len(memo))]
        purpose = np.where(code == "", fallback, code)
        method = {"cash": "CASH_PICKUP", "wallet": "MOBILE_WALLET", "bank": "BANK_DEPOSIT"}
        df = _frame(
            {
                "id": ids,
                "created_at": _local_strings(E["ts"][sel], "UTC", "%Y-%m-%dT%H:%M:%SZ"),
                "sender_id": pc["ref"],
                "send_amount": amount,
                "send_currency": ccy,
                "receive_amount": _fmt_amount(recv),
                "receive_currency": recv_ccy,
                "delivery_method": [method[x] for x in E["b_payout"][sel]],
                "recipient_name": E["b_name"][sel],
                "recipient_phone": E["b_phone"][sel],
                "recipient_account": E["b_account"][sel],
                "recipient_bank": E["b_bank"][sel],
                "recipient_city": E["b_city"][sel],
                "recipient_country": E["b_country"][sel],
                "purpose": purpose,
                "note": memo,
            }
        )
        (self.out / "lumen").mkdir(exist_ok=True)
        df.write_csv(self.out / "lumen" / "transactions.csv")
        self._finish(LUMEN, "transactions.csv", LUMEN_TOML, *bad)

    def _kyc_lumen(self) -> None:
        """Lumen Transfer's sender file: full names, residence, E.164 phones."""
        recs = self._recs(LUMEN)
        rng = self.rng
        df = _frame(
            {
                "sender_id": [r.ref for r in recs],
                "full_name": [_full(r, rng) for r in recs],
                "date_of_birth": [_dob(r.dob, "%Y-%m-%d", rng, 0.02) for r in recs],
                "country_of_residence": [r.country for r in recs],
                "city": [r.city for r in recs],
                "phone": [r.phone for r in recs],
                "email": [r.email for r in recs],
                "id_document": [
                    f"{r.id_doc[0]}:{r.id_doc[1]}" if rng.random() > 0.1 else "" for r in recs
                ],
            }
        )
        self._kyc_write(LUMEN, df, "senders.csv", LUMEN_KYC_TOML, recs)

    # ---------------- Coral Coast Bank: semicolon CSV, UTC, signed amounts ---------------
    def _write_coralcoast(self, sel: np.ndarray, ids: np.ndarray) -> None:
        """Coral Coast Bank's payments export."""
        E = self.E
        pc = self._payer_cols(sel)
        mc = self._merchant_cols(sel)
        flow = E["flow"][sel]
        kind = E["kind"][sel]
        product = np.where(
            kind == "card",
            "CARD",
            np.where(kind == "intl", "SWIFT", np.where(flow == "bill_payment", "BPAY", "NPP")),
        )
        amount = np.array(["-" + a for a in _fmt_amount(E["amount"][sel])], dtype=object)
        ccy = E["ccy"][sel].copy()
        bad = self._bad(len(sel), amount, ccy)
        is_card = kind == "card"
        df = _frame(
            {
                "txn_id": ids,
                "booking_ts_utc": _local_strings(E["ts"][sel], "UTC", "%Y-%m-%dT%H:%M:%SZ"),
                "amount": amount,
                "ccy": ccy,
                "product": product,
                "cust_no": pc["ref"],
                "account_no": pc["account"],
                "debtor_name": np.array([s.upper() for s in pc["full"]], dtype=object),
                "cpty_name": np.where(is_card, "", E["b_name"][sel]),
                "cpty_account": np.where(
                    is_card,
                    "",
                    np.where(
                        kind == "dom", _dom_accounts(E["benef"][sel], "AU"), E["b_account"][sel]
                    ),
                ),
                "cpty_bic": np.where(is_card, "", E["b_bic"][sel]),
                "cpty_country": np.where(
                    is_card, mc["country"], np.where(kind == "dom", "AU", E["b_country"][sel])
                ),
                "remittance_info": E["memo"][sel],
                "merchant": mc["name"],
                "mcc": mc["mcc"],
            }
        )
        (self.out / "coralcoast").mkdir(exist_ok=True)
        df.write_csv(self.out / "coralcoast" / "payments.csv", separator=";")
        self._finish(CORAL, "payments.csv", CORAL_TOML, *bad)

    def _kyc_coralcoast(self) -> None:
        """Coral Coast Bank's customer file (semicolon CSV, capitals)."""
        recs = self._recs(CORAL)
        rng = self.rng
        df = _frame(
            {
                "cust_no": [r.ref for r in recs],
                "surname": [r.surname.upper() for r in recs],
                "given_names": [f"{r.given} {r.middle}".strip().upper() for r in recs],
                "dob": [_dob(r.dob, "%Y-%m-%d", rng, 0.01) for r in recs],
                "sex": [r.sex for r in recs],
                "residence": [r.country for r in recs],
                "city": [r.city for r in recs],
                "address": [r.address for r in recs],
                "mobile": [names.format_phone(r.phone, "spaced") for r in recs],
                "email": [r.email if rng.random() > 0.1 else "" for r in recs],
                "account_no": [r.account for r in recs],
                "id_type": [r.id_doc[0] for r in recs],
                "id_number": [r.id_doc[1] for r in recs],
            }
        )
        self._kyc_write(CORAL, df, "customers.csv", CORAL_KYC_TOML, recs, separator=";")

    # ---------------- Prairie State Bank: Chicago local time, US number format -----------
    def _write_prairie(self, sel: np.ndarray, ids: np.ndarray) -> None:
        """Prairie State Bank's account-activity export."""
        E = self.E
        pc = self._payer_cols(sel)
        mc = self._merchant_cols(sel)
        flow = E["flow"][sel]
        kind = E["kind"][sel]
        typ = np.where(
            kind == "card",
            "DEBIT CARD",
            np.where(
                kind == "intl",
                "WIRE OUT",
                np.where(flow == "bill_payment", "BILL PAY", "P2P TRANSFER"),
            ),
        )
        amount = _fmt_amount(E["amount"][sel], ".", ",")
        ccy = E["ccy"][sel].copy()
        bad = self._bad(len(sel), amount, ccy)
        is_card = kind == "card"
        iso3 = {
            "PH": "PHL",
            "TH": "THA",
            "VN": "VNM",
            "MY": "MYS",
            "NG": "NGA",
            "GH": "GHA",
            "US": "USA",
            "SG": "SGP",
            "HK": "HKG",
            "AU": "AUS",
            "GB": "GBR",
        }
        ctry = np.where(is_card, mc["country"], np.where(kind == "dom", "US", E["b_country"][sel]))
        df = _frame(
            {
                "Reference": ids,
                "Posted (CT)": _local_strings(
                    E["ts"][sel], "America/Chicago", "%m/%d/%Y %I:%M:%S %p"
                ),
                "Type": typ,
                "Amount": amount,
                "Currency": ccy,
                "Customer Number": pc["ref"],
                "Account Number": pc["account"],
                "Customer Name": pc["full"],
                "Payee Name": np.where(is_card, "", E["b_name"][sel]),
                "Payee Account": np.where(
                    is_card,
                    "",
                    np.where(
                        kind == "dom", _dom_accounts(E["benef"][sel], "US"), E["b_account"][sel]
                    ),
                ),
                "Payee Bank SWIFT": np.where(is_card, "", E["b_bic"][sel]),
                "Payee Country": [iso3.get(c, c) for c in ctry],
                "Memo": E["memo"][sel],
                "Merchant": mc["name"],
                "MCC": mc["mcc"],
            }
        )
        (self.out / "prairie").mkdir(exist_ok=True)
        df.write_csv(self.out / "prairie" / "activity_export.csv")
        self._finish(PRAIRIE, "activity_export.csv", PRAIRIE_TOML, *bad)

    def _kyc_prairie(self) -> None:
        """Prairie State Bank's customer file: first, middle and last names, US dates."""
        recs = self._recs(PRAIRIE)
        rng = self.rng
        df = _frame(
            {
                "Customer Number": [r.ref for r in recs],
                "First Name": [r.given for r in recs],
                "Middle Name": [r.middle for r in recs],
                "Last Name": [r.surname for r in recs],
                "Date of Birth": [_dob(r.dob, "%m/%d/%Y", rng, 0.01) for r in recs],
                "Street Address": [r.address for r in recs],
                "City": [r.city for r in recs],
                "Country": ["USA" for _ in recs],
                "Phone": [names.format_phone(r.phone, "national") for r in recs],
                "Email": [r.email for r in recs],
                "Account Number": [r.account for r in recs],
                "ID": [f"{r.id_doc[0]}:{r.id_doc[1]}" for r in recs],
            }
        )
        self._kyc_write(PRAIRIE, df, "customers.csv", PRAIRIE_KYC_TOML, recs)

    # ---------------- Northgate Bank: Parquet, local time with a zone per row ------------
    def _write_northgate(self, sel: np.ndarray, ids: np.ndarray) -> None:
        """Northgate Bank's Parquet transaction export."""
        E, ppl = self.E, self.ctx.people
        pc = self._payer_cols(sel)
        mc = self._merchant_cols(sel)
        flow = E["flow"][sel]
        kind = E["kind"][sel]
        zone = np.array(ppl.zones, dtype=object)[E["zone"][sel]]
        ptype = np.where(
            kind == "card",
            "CARD",
            np.where(kind == "intl", "SWIFT", np.where(flow == "bill_payment", "DD", "FPS")),
        )
        ccy = E["ccy"][sel].copy()
        bad = self._bad(len(sel), None, ccy)
        is_card = kind == "card"
        df = _frame(
            {
                "transaction_ref": ids,
                "value_datetime_local": _local_strings(E["ts"][sel], zone, "%Y-%m-%d %H:%M:%S"),
                "tz": zone,
                "amount": E["amount"][sel].astype(float),
                "currency": ccy,
                "payment_type": ptype,
                "customer_id": pc["ref"],
                "account": pc["account"],
                "customer_name": np.array(
                    [f"{s.upper()}, {g}" for s, g in zip(pc["surname"], pc["given"], strict=True)],
                    dtype=object,
                ),
                "beneficiary_name": np.where(is_card, None, E["b_name"][sel]),
                "beneficiary_account": np.where(
                    is_card,
                    None,
                    np.where(
                        kind == "dom", _dom_accounts(E["benef"][sel], "GB"), E["b_account"][sel]
                    ),
                ),
                "beneficiary_bic": np.where(is_card | (kind == "dom"), None, E["b_bic"][sel]),
                "beneficiary_country": np.where(
                    is_card, mc["country"], np.where(kind == "dom", "GB", E["b_country"][sel])
                ),
                "payment_reference": np.where(E["memo"][sel] == "", None, E["memo"][sel]),
                "merchant_name": np.where(is_card, mc["name"], None),
                "mcc": np.where(is_card, mc["mcc"], None),
            }
        )
        (self.out / "northgate").mkdir(exist_ok=True)
        df.write_parquet(self.out / "northgate" / "transactions.parquet")
        self._finish(NORTHGATE, "transactions.parquet", NORTHGATE_TOML, *bad)

    def _kyc_northgate(self) -> None:
        """Northgate Bank's customer file (JSON lines)."""
        recs = self._recs(NORTHGATE)
        rng = self.rng
        df = _frame(
            {
                "customer_id": [r.ref for r in recs],
                "name": [_full(r, rng) for r in recs],
                "date_of_birth": [_dob(r.dob, "%Y-%m-%d", rng, 0.02) or None for r in recs],
                "residence_country": ["GB" for _ in recs],
                "city": [r.city for r in recs],
                "address": [r.address for r in recs],
                "mobile": [names.format_phone(r.phone, "national") for r in recs],
                "email": [r.email or None for r in recs],
                "account": [r.account for r in recs],
                "id_document": [f"{r.id_doc[0]}:{r.id_doc[1]}" for r in recs],
            }
        )
        d = self.out / "northgate"
        d.mkdir(exist_ok=True)
        df.write_ndjson(d / "customers.jsonl")
        _write_text(d / "customers.toml", NORTHGATE_KYC_TOML)
        self.manifest_kyc.append(
            {
                "path": "northgate/customers.jsonl",
                "mapping": "northgate/customers.toml",
                "kind": "parties",
            }
        )
        self._kyc_truth(NORTHGATE, recs)

    # ---------------- Pocketpay: JSON lines, device-local time with offset ---------------
    def _write_pocketpay(self, sel: np.ndarray, ids: np.ndarray) -> None:
        """Pocketpay's payment export (JSON lines)."""
        E, ppl = self.E, self.ctx.people
        pc = self._payer_cols(sel)
        zone = np.array(ppl.zones, dtype=object)[E["zone"][sel]]
        amount = _fmt_amount(E["amount"][sel])
        ccy = E["ccy"][sel].copy()
        bad = self._bad(len(sel), amount, ccy)
        brec = [self.reg.records[i] for i in E["b_rec"][sel]]
        df = _frame(
            {
                "payment_id": ids,
                "created": _local_strings(E["ts"][sel], zone, "%Y-%m-%dT%H:%M:%S%:z"),
                "amount": amount,
                "currency": ccy,
                "type": ["P2P"] * len(sel),
                "sender_user_id": pc["ref"],
                "sender_wallet": pc["account"],
                "sender_name": pc["full"],
                "sender_country": pc["country"],
                "recipient_user_id": [r.ref for r in brec],
                "recipient_wallet": [r.account for r in brec],
                "recipient_name": [" ".join(x for x in (r.given, r.surname) if x) for r in brec],
                "recipient_phone": [names.format_phone(r.phone, "spaced") for r in brec],
                "recipient_country": [r.country for r in brec],
                "note": E["memo"][sel],
            }
        )
        (self.out / "pocketpay").mkdir(exist_ok=True)
        df.write_ndjson(self.out / "pocketpay" / "payments.jsonl")
        self._finish(POCKETPAY, "payments.jsonl", POCKETPAY_TOML, *bad)

    def _kyc_pocketpay(self) -> None:
        """Pocketpay's user file: senders and recipients."""
        recs = self._recs(POCKETPAY)
        rng = self.rng
        df = _frame(
            {
                "user_id": [r.ref for r in recs],
                "legal_name": [_full(r, rng) for r in recs],
                "email": [r.email for r in recs],
                "phone": [names.format_phone(r.phone, "spaced") for r in recs],
                "country": [r.country for r in recs],
                "city": [r.city for r in recs],
                "date_of_birth": [_dob(r.dob, "%Y-%m-%d", rng, 0.3) for r in recs],
                "wallet_id": [r.account for r in recs],
            }
        )
        self._kyc_write(POCKETPAY, df, "users.csv", POCKETPAY_KYC_TOML, recs)

    # -- KYC plumbing and truth --
    def _recs(self, inst: int) -> list[Customer]:
        """One institution's customers in the order of their reference (as a KYC export lists them)."""
        return sorted((r for r in self.reg.records if r.inst == inst), key=lambda r: r.ref)

    def _kyc_write(
        self,
        inst: int,
        df: pl.DataFrame,
        name: str,
        mapping: str,
        recs: list[Customer],
        separator: str = ",",
    ) -> None:
        """Write a CSV customer file, its mapping, its manifest entry and its truth."""
        d = self.out / INST_DIR[inst]
        d.mkdir(exist_ok=True)
        df.write_csv(d / name, separator=separator)
        stem = name.rsplit(".", 1)[0]
        _write_text(d / f"{stem}.toml", mapping)
        self.manifest_kyc.append(
            {
                "path": f"{INST_DIR[inst]}/{name}",
                "mapping": f"{INST_DIR[inst]}/{stem}.toml",
                "kind": "parties",
            }
        )
        self._kyc_truth(inst, recs)

    def _kyc_truth(self, inst: int, recs: list[Customer]) -> None:
        """Rows of ``truth/customers.csv`` for one institution."""
        self.truth_cust.append(
            pl.DataFrame(
                {
                    "institution": [INSTITUTIONS[inst].name] * len(recs),
                    "customer_ref": [r.ref for r in recs],
                    "person_id": _pid(np.array([r.person for r in recs], dtype=np.int64)),
                }
            )
        )

    def _write_truth(self) -> None:
        """The truth files (transactions, customers, persons)."""
        ppl = self.ctx.people
        t = self.out / "truth"
        t.mkdir(exist_ok=True)
        pl.concat(self.truth_tx).write_csv(t / "transactions.csv")
        pl.concat(self.truth_cust).write_csv(t / "customers.csv")
        zones = ppl["zone"]
        # the truth labels only what the data shows: den members and offenders without any OSEC
        # payment in the window are not labelled facilitator / offender
        osec = self.E["flow"] == "osec_payment"
        role = ppl["role"].astype(str).copy()
        paid = np.zeros(ppl.n, dtype=bool)
        paid[self.E["benef"][osec]] = True
        paying = np.zeros(ppl.n, dtype=bool)
        paying[self.E["payer"][osec]] = True
        for i in np.flatnonzero((role == "facilitator") & ~paid):
            role[i] = "den_member_unpaid"
            self.ctx.note([i], "den member without OSEC payments in the window")
        for i in np.flatnonzero((role == "offender") & ~paying):
            role[i] = "offender_inactive"
            self.ctx.note([i], "offender without OSEC payments in the window")
        notes = ["; ".join([f"tz={zones[i]}", *self.ctx.notes.get(i, [])]) for i in range(ppl.n)]
        pl.DataFrame(
            {
                "person_id": _pid(np.arange(ppl.n)),
                "role": role,
                "den_id": ppl["den"].astype(str),
                "population": ppl["population"].astype(str),
                "country": ppl["country"].astype(str),
                "profile_notes": notes,
            }
        ).write_csv(t / "persons.csv")


def _frame(cols: dict[str, object]) -> pl.DataFrame:
    """A DataFrame whose text columns are strings (None for missing), whatever numpy made of them."""
    out = []
    for k, v in cols.items():
        if isinstance(v, np.ndarray) and v.dtype.kind in "fiub":
            out.append(pl.Series(k, v))
        else:
            vals = v.tolist() if isinstance(v, np.ndarray) else list(v)  # type: ignore[call-overload]
            out.append(pl.Series(k, vals, dtype=pl.String, strict=False))
    return pl.DataFrame(out)


def _pid(idx: np.ndarray) -> list[str]:
    """Person ids of person numbers."""
    return [f"P{i:07d}" for i in idx.tolist()]


def _dob(days: int, fmt: str, rng: np.random.Generator, missing: float) -> str:
    """A date of birth in ``fmt``, blank with probability ``missing`` (or when unknown)."""
    if days < -40000 or rng.random() < missing:
        return ""
    return (dt.date(1970, 1, 1) + dt.timedelta(days=days)).strftime(fmt)


def _nationality(r: Customer, ppl: People, rng: np.random.Generator) -> str:
    """Nationality as a remitter records it: often the country of origin of diaspora senders."""
    pool = str(ppl.obj["pool"][r.person])
    origin = {"PH": "Philippines", "VN": "Vietnam", "TH": "Thailand"}.get(pool)
    if rng.random() < 0.2:
        return ""
    if origin and rng.random() < 0.6:
        return origin
    return geo.COUNTRIES[r.country].name


def _full(r: Customer, rng: np.random.Generator) -> str:
    """A full name as typed at registration: the middle name 60% of the time."""
    parts = [r.given, r.middle if rng.random() < 0.6 else "", r.surname]
    return " ".join(x for x in parts if x)


def _dom_accounts(benef: np.ndarray, country: str) -> np.ndarray:
    """Domestic account numbers of payees (BSB, ABA routing or sort code formats), a fixed
    function of the payee so every payment to one payee shows the same account."""
    h = (benef.astype(np.int64) * 2654435761 + 12345) % 10**14
    out = np.empty(len(benef), dtype=object)
    for j, v in enumerate(h.tolist()):
        t = f"{v:014d}"
        out[j] = {
            "AU": f"{t[:3]}-{t[3:6]} {t[6:14]}",
            "US": f"{t[:9]} {t[9:14]}",
            "GB": f"{t[:2]}-{t[2:4]}-{t[4:6]} {t[6:14]}",
        }[country]
    return out


_PURPOSE_WORDS = {
    "FAMILY_SUPPORT": (
        "mom",
        "mama",
        "nanay",
        "family",
        "allowance",
        "padala",
        "gastos",
        "support",
        "monthly",
        "bills",
        "groceries",
        "rent",
        "christmas",
    ),
    "EDUCATION": ("school", "tuition", "education", "uniform", "books"),
    "MEDICAL": ("medical", "medicine", "hospital"),
    "GIFT": ("gift", "birthday", "treat", "for you", "thank"),
    "PAYMENT_FOR_SERVICES": (
        "invoice",
        "salary",
        "wages",
        "services",
        "pay",
        "deposit",
        "booking",
        "order",
        "tour",
    ),
}


def _purpose_code(memo: str) -> str:
    """The purpose code a sender picked on Lumen's form, consistent with the note ("" if none fits)."""
    m = memo.lower()
    for code, words in _PURPOSE_WORDS.items():
        if any(w in m for w in words):
            return code
    return ""


def _write_text(path: Path, text: str) -> None:
    """Write a text file (mapping files lose their leading newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.lstrip("\n"), encoding="utf-8")


# --- mapping files (Bantay's mapping format: docs/mappings.md) -------------------------------
RATES_TOML = """
# Daily USD rates: date,currency,rate (USD per one unit of currency).
kind = "rates"
description = "Reference USD rates of the independent world"

[file]
date_format = ["%Y-%m-%d"]
"""

TRADEWIND_TOML = """
# Tradewind Remit transfers: Sydney local times, decimal comma with dot thousands, split sender
# names, payout methods coded by the remitter.
kind = "transactions"
description = "Tradewind Remit transfer export"

[file]
delimiter = ","
decimal = ","
thousands = "."
timestamp_format = ["%d/%m/%Y %H:%M"]
timezone = "Australia/Sydney"

[constants]
institution = "Tradewind Remit"
direction = "outgoing"

[columns]
transaction_id = "Transfer No"
timestamp = "Date Sent"
amount = "Send Amount"
currency = "Send Ccy"
channel = "Payout Method"
payer_ref = "Customer ID"
payer_name = ["Sender First Name", "Sender Surname"]
payer_country = "Sender Country"
beneficiary_name = "Receiver Full Name"
beneficiary_phone = "Receiver Mobile"
beneficiary_country = "Receiver Country"
beneficiary_city = "Receiver City"
beneficiary_account = "Payout Account"
beneficiary_institution = "Payout Partner"
memo = "Reason"

[values.channel]
"Cash Pickup" = "cash_pickup"
"Bank Deposit" = "online_remittance"
"Mobile Wallet" = "wallet"
"""

TRADEWIND_KYC_TOML = """
# Tradewind Remit customer file.
kind = "parties"
description = "Tradewind Remit KYC"

[file]
date_format = ["%d/%m/%Y"]

[constants]
institution = "Tradewind Remit"

[columns]
customer_ref = "Customer ID"
family_name = "Surname"
given_name = "Given Names"
date_of_birth = "DOB"
sex = "Gender"
nationality = "Nationality"
residence_country = "Country of Residence"
city = "City"
address = "Address"
phone = "Mobile"
email = "Email"
id_document = ["ID Type", "ID Number"]

[values.sex]
M = "male"
F = "female"
"""

LUMEN_TOML = """
# Lumen Transfer transactions: UTC timestamps; the sender's country is only in the KYC file.
kind = "transactions"
description = "Lumen Transfer transaction export"

[file]
timestamp_format = ["%Y-%m-%dT%H:%M:%SZ"]
timezone = "UTC"

[constants]
institution = "Lumen Transfer"
direction = "outgoing"

[columns]
transaction_id = "id"
timestamp = "created_at"
amount = "send_amount"
currency = "send_currency"
channel = "delivery_method"
payer_ref = "sender_id"
beneficiary_name = "recipient_name"
beneficiary_phone = "recipient_phone"
beneficiary_account = "recipient_account"
beneficiary_institution = "recipient_bank"
beneficiary_city = "recipient_city"
beneficiary_country = "recipient_country"
memo = ["purpose", "note"]

[values.channel]
CASH_PICKUP = "cash_pickup"
BANK_DEPOSIT = "online_remittance"
MOBILE_WALLET = "wallet"
"""

LUMEN_KYC_TOML = """
# Lumen Transfer sender file: full names, ISO dates, E.164 phones.
kind = "parties"
description = "Lumen Transfer KYC"

[file]
date_format = ["%Y-%m-%d"]

[constants]
institution = "Lumen Transfer"

[columns]
customer_ref = "sender_id"
name = "full_name"
date_of_birth = "date_of_birth"
residence_country = "country_of_residence"
city = "city"
phone = "phone"
email = "email"
id_document = "id_document"
"""

CORAL_TOML = """
# Coral Coast Bank outgoing payments: semicolon CSV, UTC, debits signed negative, product codes.
kind = "transactions"
description = "Coral Coast Bank payments export"

[file]
delimiter = ";"
decimal = "."
timestamp_format = ["%Y-%m-%dT%H:%M:%SZ"]
timezone = "UTC"
negative_amounts = "absolute"

[constants]
institution = "Coral Coast Bank"
direction = "outgoing"

[columns]
transaction_id = "txn_id"
timestamp = "booking_ts_utc"
amount = "amount"
currency = "ccy"
channel = "product"
payer_ref = "cust_no"
payer_account = "account_no"
payer_name = "debtor_name"
beneficiary_name = "cpty_name"
beneficiary_account = "cpty_account"
beneficiary_institution = "cpty_bic"
beneficiary_country = "cpty_country"
memo = "remittance_info"
merchant_name = "merchant"
merchant_category = "mcc"

[values.channel]
SWIFT = "bank_transfer"
NPP = "bank_transfer"
BPAY = "bank_transfer"
CARD = "card"
"""

CORAL_KYC_TOML = """
# Coral Coast Bank customers: semicolon CSV, names in capitals.
kind = "parties"
description = "Coral Coast Bank KYC"

[file]
delimiter = ";"
date_format = ["%Y-%m-%d"]

[constants]
institution = "Coral Coast Bank"

[columns]
customer_ref = "cust_no"
family_name = "surname"
given_name = "given_names"
date_of_birth = "dob"
sex = "sex"
residence_country = "residence"
city = "city"
address = "address"
phone = "mobile"
email = "email"
account_id = "account_no"
id_document = ["id_type", "id_number"]

[values.sex]
M = "male"
F = "female"
"""

PRAIRIE_TOML = """
# Prairie State Bank account activity: US date format with AM/PM in Chicago time, thousands comma.
kind = "transactions"
description = "Prairie State Bank activity export"

[file]
decimal = "."
thousands = ","
timestamp_format = ["%m/%d/%Y %I:%M:%S %p"]
timezone = "America/Chicago"

[constants]
institution = "Prairie State Bank"
direction = "outgoing"

[columns]
transaction_id = "Reference"
timestamp = "Posted (CT)"
channel = "Type"
amount = "Amount"
currency = "Currency"
payer_ref = "Customer Number"
payer_account = "Account Number"
payer_name = "Customer Name"
beneficiary_name = "Payee Name"
beneficiary_account = "Payee Account"
beneficiary_institution = "Payee Bank SWIFT"
beneficiary_country = "Payee Country"
memo = "Memo"
merchant_name = "Merchant"
merchant_category = "MCC"

[values.channel]
"WIRE OUT" = "bank_transfer"
"BILL PAY" = "bank_transfer"
"P2P TRANSFER" = "bank_transfer"
"DEBIT CARD" = "card"
"""

PRAIRIE_KYC_TOML = """
# Prairie State Bank customers: split names with a middle name, US dates.
kind = "parties"
description = "Prairie State Bank KYC"

[file]
date_format = ["%m/%d/%Y"]

[constants]
institution = "Prairie State Bank"

[columns]
customer_ref = "Customer Number"
given_name = ["First Name", "Middle Name"]
family_name = "Last Name"
date_of_birth = "Date of Birth"
address = "Street Address"
city = "City"
residence_country = "Country"
phone = "Phone"
email = "Email"
account_id = "Account Number"
id_document = "ID"
"""

NORTHGATE_TOML = """
# Northgate Bank transactions (Parquet): local time of the account holder or card merchant,
# with the IANA zone in its own column.
kind = "transactions"
description = "Northgate Bank transactions"

[file]
timestamp_format = ["%Y-%m-%d %H:%M:%S"]

[constants]
institution = "Northgate Bank"
direction = "outgoing"

[columns]
transaction_id = "transaction_ref"
timestamp = "value_datetime_local"
timezone = "tz"
amount = "amount"
currency = "currency"
channel = "payment_type"
payer_ref = "customer_id"
payer_account = "account"
payer_name = "customer_name"
beneficiary_name = "beneficiary_name"
beneficiary_account = "beneficiary_account"
beneficiary_institution = "beneficiary_bic"
beneficiary_country = "beneficiary_country"
memo = "payment_reference"
merchant_name = "merchant_name"
merchant_category = "mcc"

[values.channel]
SWIFT = "bank_transfer"
FPS = "bank_transfer"
DD = "bank_transfer"
CARD = "card"
"""

NORTHGATE_KYC_TOML = """
# Northgate Bank customers (JSON lines).
kind = "parties"
description = "Northgate Bank KYC"

[file]
date_format = ["%Y-%m-%d"]

[constants]
institution = "Northgate Bank"

[columns]
customer_ref = "customer_id"
name = "name"
date_of_birth = "date_of_birth"
residence_country = "residence_country"
city = "city"
address = "address"
phone = "mobile"
email = "email"
account_id = "account"
id_document = "id_document"
"""

POCKETPAY_TOML = """
# Pocketpay wallet payments (JSON lines): device-local times with their UTC offset; amounts as
# strings; both sides are Pocketpay users.
kind = "transactions"
description = "Pocketpay payments"

[file]
timestamp_format = ["%Y-%m-%dT%H:%M:%S%z"]

[constants]
institution = "Pocketpay"
channel = "wallet"
direction = "outgoing"

[columns]
transaction_id = "payment_id"
timestamp = "created"
amount = "amount"
currency = "currency"
payer_ref = "sender_user_id"
payer_account = "sender_wallet"
payer_name = "sender_name"
payer_country = "sender_country"
beneficiary_ref = "recipient_user_id"
beneficiary_account = "recipient_wallet"
beneficiary_name = "recipient_name"
beneficiary_phone = "recipient_phone"
beneficiary_country = "recipient_country"
memo = "note"
"""

POCKETPAY_KYC_TOML = """
# Pocketpay users, senders and recipients alike.
kind = "parties"
description = "Pocketpay KYC"

[file]
date_format = ["%Y-%m-%d"]

[constants]
institution = "Pocketpay"

[columns]
customer_ref = "user_id"
name = "legal_name"
email = "email"
phone = "phone"
residence_country = "country"
city = "city"
date_of_birth = "date_of_birth"
account_id = "wallet_id"
"""

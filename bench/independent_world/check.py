"""Calibration report of an independent world, from its files and its truth alone (not Bantay).

    python bench/independent_world/check.py DIR

Prints the figures the generator targets beside the published ones (source ids from
``/work/shared/domain/osec-financial-indicators.md``), so a reader can judge whether the world is
plausible. Figures no source gives are printed with "no published figure".
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import readers

NIGHT = (22, 6)  # 22:00-05:59 payer-local


def load(d: Path) -> pl.DataFrame:
    """Truth transactions joined with the parsed exports, payer facts and amounts in USD/AUD."""
    truth = pl.read_csv(d / "truth" / "transactions.csv", infer_schema_length=0)
    world = readers.read_world(d)
    persons = pl.read_csv(d / "truth" / "persons.csv", infer_schema_length=0).with_columns(
        pl.col("profile_notes").str.extract(r"tz=([^;]+)").alias("tz")
    )
    df = truth.join(world, on=["institution", "transaction_id"], how="left")
    payer = persons.select(
        pl.col("person_id").alias("payer_person_id"),
        pl.col("population").alias("payer_population"),
        pl.col("country").alias("payer_country"),
        pl.col("tz").alias("payer_tz"),
    )
    df = df.join(payer, on="payer_person_id", how="left")
    rates = readers.read_rates(d)
    df = df.with_columns(pl.col("ts_utc").dt.date().alias("date"))
    df = df.join(rates.rename({"rate": "r"}), on=["date", "currency"], how="left")
    aud = rates.filter(pl.col("currency") == "AUD").select("date", pl.col("rate").alias("r_aud"))
    df = df.join(aud, on="date", how="left").with_columns(
        (pl.col("amount") * pl.col("r")).alias("usd"),
        (pl.col("amount") * pl.col("r") / pl.col("r_aud")).alias("aud"),
    )
    parts = []
    for (tz,), g in df.group_by("payer_tz"):
        parts.append(
            g.with_columns(
                pl.col("ts_utc").dt.convert_time_zone(str(tz)).dt.hour().alias("local_hour")
            )
        )
    return pl.concat(parts, how="vertical_relaxed")


def pct(x: float) -> str:
    """A share as a percentage."""
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def night_share(df: pl.DataFrame) -> float:
    """Share of rows at night, payer-local."""
    if df.height == 0:
        return float("nan")
    h = df["local_hour"]
    return float(((h >= NIGHT[0]) | (h < NIGHT[1])).mean())


def name_key(s: str | None) -> str:
    """First and last word of a recorded name, case- and punctuation-insensitive, order-free."""
    if not s:
        return ""
    words = [
        w
        for w in re.sub(r"[^a-z ]", " ", s.lower()).split()
        if w not in ("jr", "sr", "ii", "iii", "ma")
    ]
    if len(words) < 2:
        return " ".join(words)
    return " ".join(sorted([words[0], words[-1]]))


def report(d: Path) -> list[tuple[str, str, str, str]]:
    """Rows of (figure, world, published, source)."""
    df = load(d)
    persons = pl.read_csv(d / "truth" / "persons.csv", infer_schema_length=0)
    customers = pl.read_csv(d / "truth" / "customers.csv", infer_schema_length=0)
    params = json.loads((d / "truth" / "parameters.json").read_text())
    rows: list[tuple[str, str, str, str]] = []
    add = rows.append
    o = df.filter(pl.col("flow") == "osec_payment")
    fam = df.filter(pl.col("flow") == "family_support")
    legit_x = df.filter(
        (pl.col("flow") != "osec_payment")
        & ~pl.col("flow").is_in(["card_purchase", "bill_payment", "rent", "p2p_domestic"])
    )
    add(
        (
            "world",
            f"{params['profile']} profile, seed {params['seed']}, {params['window']['start']} + {params['window']['months']} months",
            "",
            "",
        )
    )
    add(
        (
            "transactions (all / OSEC payments)",
            f"{df.height:,} / {o.height:,} ({pct(o.height / df.height)})",
            "no published figure",
            "",
        )
    )
    n_off = o["payer_person_id"].n_unique()
    add(("offenders paying in the window", f"{n_off}", "", ""))
    add(
        (
            "OSEC payment median amount",
            f"A${o['aud'].median():.0f}",
            "median A$51; A$20-80 a session",
            "S5, S10",
        )
    )
    add(
        (
            "OSEC payments <= A$100 / <= A$500",
            f"{pct((o['aud'] <= 100).mean())} / {pct((o['aud'] <= 500).mean())}",
            "A$10-100 typical; most < A$500",
            "S8, S9, S12",
        )
    )
    add(
        (
            "OSEC largest payment",
            f"A${o['aud'].max():.0f}",
            "always < EUR 1,500 (about A$2,500)",
            "S19",
        )
    )
    per = (
        o.group_by("payer_person_id")
        .agg(
            pl.len().alias("n"),
            pl.col("aud").median().alias("med"),
            pl.col("ts_utc").sort().diff().dt.total_seconds().median().alias("gap_s"),
        )
        .sort("n", descending=True)
    )
    k3 = max(1, math.ceil(0.03 * per.height))
    k25 = max(1, math.floor(0.25 * per.height))
    tot = per["n"].sum()
    add(
        (
            "share of OSEC payments by the top 3% of offenders",
            f"{pct(per['n'].head(k3).sum() / tot)} (top {k3})",
            "50%",
            "S1",
        )
    )
    add(
        (
            "share of OSEC payments by the bottom 25% of offenders",
            f"{pct(per['n'].tail(k25).sum() / tot)}",
            "3%",
            "S1",
        )
    )
    add(
        (
            "offenders with more than one payment",
            pct((per["n"] > 1).mean()),
            "more than half",
            "S1a",
        )
    )
    add(
        (
            "payments per offender (mean / max)",
            f"{per['n'].mean():.1f} / {per['n'].max()}",
            "mean 10.6 over 12 years; 826 in 3 years (max case)",
            "S1 [derived], S10",
        )
    )
    prol = per.filter(pl.col("n") > 20)
    if prol.height:
        add(
            (
                "prolific offenders (> 20 payments): median amount / median interval",
                f"A${prol['med'].median():.0f} / {prol['gap_s'].median() / 86400:.1f} days",
                "under A$55 at intervals under 20 days",
                "S2",
            )
        )
    esc = (
        o.sort("ts_utc")
        .group_by("payer_person_id")
        .agg(
            pl.len().alias("n"),
            pl.col("aud").alias("a"),
            pl.col("ts_utc").diff().dt.total_seconds().alias("g"),
        )
        .filter(pl.col("n") >= 6)
        .with_columns(
            (
                pl.col("a").list.slice(pl.col("n") // 2).list.median()
                / pl.col("a").list.head(pl.col("n") // 2).list.median()
            ).alias("amt_ratio"),
            (
                pl.col("g").list.slice(pl.col("n") // 2).list.median()
                / pl.col("g").list.slice(1, pl.col("n") // 2).list.median()
            ).alias("gap_ratio"),
        )
    )
    if esc.height:
        add(
            (
                "escalation: later / earlier half of a career (median amount, median interval)",
                f"x{esc['amt_ratio'].median():.2f} amount, x{esc['gap_ratio'].median():.2f} interval",
                "amounts rise and intervals shorten",
                "S1",
            )
        )
        rho = per.filter(pl.col("n") >= 2).select(pl.corr("n", "med", method="spearman")).item()
        add(
            (
                "Spearman(payments per offender, median amount)",
                f"{rho:+.2f}",
                "positive in S1; S2 prolific pay small amounts",
                "S1, S2",
            )
        )
    add(
        (
            "paid at night 22:00-05:59 payer-local: OSEC / family / all other cross-border",
            f"{pct(night_share(o))} / {pct(night_share(fam))} / {pct(night_share(legit_x))}",
            "late night or early morning (no share published)",
            "S19, S27",
        )
    )
    add(
        (
            "memo left blank: OSEC / family",
            f"{pct((o['memo'].fill_null('') == '').mean())} / {pct((fam['memo'].fill_null('') == '').mean())}",
            "benign cover terms when used",
            "S9, S12, S19",
        )
    )
    rnd = (pl.col("amount") % 5).abs() < 1e-9
    add(
        (
            "round amounts (multiple of 5): OSEC / family",
            f"{pct(o.select(rnd.mean()).item())} / {pct(fam.select(rnd.mean()).item())}",
            "even-denominated",
            "S19",
        )
    )
    cc = o.group_by("payer_country").len().with_columns((pl.col("len") / o.height).alias("s"))
    share = {r["payer_country"]: r["s"] for r in cc.iter_rows(named=True)}
    add(
        (
            "OSEC payments by payer country: US / AU / GB",
            f"{pct(share.get('US', 0))} / {pct(share.get('AU', 0))} / {pct(share.get('GB', 0))}",
            "US 50%, AU 7.4%, UK 6.8% (PH inward STRs)",
            "S22",
        )
    )
    kind = {"Tradewind Remit": "remitter", "Lumen Transfer": "remitter", "Pocketpay": "wallet"}
    ok = o.with_columns(pl.col("institution").replace_strict(kind, default="bank").alias("k"))
    ks = {r["k"]: r["len"] / o.height for r in ok.group_by("k").len().iter_rows(named=True)}
    add(
        (
            "OSEC payments via remitter / bank / wallet",
            f"{pct(ks.get('remitter', 0))} / {pct(ks.get('bank', 0))} / {pct(ks.get('wallet', 0))}",
            "mostly money service businesses",
            "S8, S17",
        )
    )
    add(
        (
            "OSEC payments to an account outside PH/TH",
            pct(
                (
                    ~o["beneficiary_country"]
                    .fill_null("")
                    .is_in(["PH", "TH", "Philippines", "Thailand", "PHL", "THA"])
                ).mean()
            ),
            "routing via another jurisdiction",
            "S16, S19",
        )
    )
    # dens
    fac = persons.filter(pl.col("den_id") != "")
    den_of = fac.select(pl.col("person_id").alias("beneficiary_person_id"), "den_id", "population")
    od = o.join(den_of, on="beneficiary_person_id", how="left")
    dsize = od.group_by("den_id").agg(pl.col("payer_person_id").n_unique().alias("k"))
    buckets = {
        "1": (dsize["k"] == 1).sum(),
        "2": (dsize["k"] == 2).sum(),
        "3-5": ((dsize["k"] >= 3) & (dsize["k"] <= 5)).sum(),
        "6+": (dsize["k"] >= 6).sum(),
    }
    add(
        (
            "dens by number of paying offenders (1 / 2 / 3-5 / 6+)",
            " / ".join(str(v) for v in buckets.values()) + f" (largest {dsize['k'].max()})",
            "mostly one-to-one or family operations",
            "S20, S34",
        )
    )
    kinds = (
        fac.filter(pl.col("population") != "den_mule")
        .group_by("den_id")
        .agg(pl.col("population").first().alias("p"))
        .group_by("p")
        .len()
    )
    add(
        (
            "dens by kind",
            ", ".join(
                f"{r['p'].removeprefix('den_')} {r['len']}"
                for r in kinds.sort("p").iter_rows(named=True)
            ),
            "one-to-one, family operations, big-time syndicate",
            "S20",
        )
    )
    members = fac.group_by("den_id").len()
    add(
        (
            "receiving members per den (mean / max)",
            f"{members['len'].mean():.1f} / {members['len'].max()}",
            "no published figure",
            "",
        )
    )
    fam_to_fac = fam.filter(pl.col("beneficiary_person_id").is_in(fac["person_id"].implode()))
    add(
        (
            "dens whose members also receive family remittances",
            pct(
                fam_to_fac.join(den_of, on="beneficiary_person_id")["den_id"].n_unique()
                / max(fac["den_id"].n_unique(), 1)
            ),
            "recipients are victims' relatives",
            "S20",
        )
    )
    # identity hazards
    x = df.filter(pl.col("beneficiary_name").fill_null("") != "").with_columns(
        pl.col("beneficiary_name").map_elements(name_key, return_dtype=pl.String).alias("key")
    )
    x = x.with_columns(
        pl.col("beneficiary_name")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z ]", " ")
        .str.split(" ")
        .list.eval(pl.element().filter(pl.element().str.len_chars() > 1))
        .list.join(" ")
        .alias("full")
    )
    rec = x.group_by("beneficiary_person_id").agg(
        pl.col("key").mode().sort().first().alias("key"),
        pl.col("full").mode().sort().first().alias("full"),
        pl.col("beneficiary_name").n_unique().alias("spellings"),
        pl.col("beneficiary_phone").drop_nulls().n_unique().alias("phones"),
    )
    shared_full = rec.group_by("full").len().filter(pl.col("len") > 1)
    shared = rec.group_by("key").len().filter(pl.col("len") > 1)
    add(
        (
            "recipients sharing their recorded full name / first+last name with another person",
            f"{pct(rec['full'].is_in(shared_full['full'].implode()).mean())} / {pct(rec['key'].is_in(shared['key'].implode()).mean())}",
            "common names and aliases hinder detection",
            "S37",
        )
    )
    add(
        (
            "recipients recorded under 2+ spellings / with 2+ phones",
            f"{pct((rec['spellings'] > 1).mean())} / {pct((rec['phones'] > 1).mean())}",
            "no published figure",
            "",
        )
    )
    ci = customers.group_by("person_id").agg(pl.col("institution").n_unique().alias("k"))
    payers = df["payer_person_id"].unique()
    ci = ci.filter(pl.col("person_id").is_in(payers.implode())).join(
        persons.select("person_id", "role"), on="person_id"
    )
    add(
        (
            "payers with accounts at 2+ institutions: offenders / others",
            f"{pct((ci.filter(pl.col('role') == 'offender')['k'] > 1).mean())} / {pct((ci.filter(pl.col('role') != 'offender')['k'] > 1).mean())}",
            "several MSBs, multiple accounts",
            "S14, AMLC",
        )
    )
    # populations of senders
    pop = (
        df.group_by("payer_population")
        .agg(pl.col("payer_person_id").n_unique().alias("n"))
        .sort(["n", "payer_population"], descending=[True, False])
    )
    total = pop["n"].sum()
    add(
        (
            "senders by population",
            ", ".join(
                f"{r['payer_population']} {pct(r['n'] / total)}" for r in pop.iter_rows(named=True)
            ),
            "offenders 0.3-0.5% (brief)",
            "",
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the calibration table."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("world", type=Path)
    a = ap.parse_args(argv)
    rows = report(a.world)
    w0 = max(len(r[0]) for r in rows)
    for fig, val, pub, src in rows:
        line = f"{fig:<{w0}}  {val}"
        if pub:
            line += f"\n{'':<{w0}}  published: {pub}" + (f" [{src}]" if src else "")
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

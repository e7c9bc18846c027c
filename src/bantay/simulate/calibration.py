# polars types scalar results as a broad union (incl. bytes); they are numbers here.
# mypy: disable-error-code="str-bytes-safe"
"""Calibration report: a world's offender statistics beside the published figures, and a summary of
every legitimate flow. Reads only ``DIR/truth/`` (the generator's own record of what it did).
``identity_shares`` measures the identity hazards (shared names, name-only recipients, a phone per
provider) on a built world's transactions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from bantay.simulate.reference import BASE_USD_RATES

if TYPE_CHECKING:
    from bantay.simulate.world import World

AUD_USD = BASE_USD_RATES["AUD"]
TENURE_BUCKETS = (
    (0, 0, "1st"),
    (1, 4, "2-5th"),
    (5, 19, "6-20th"),
    (20, 99, "21-100th"),
    (100, 10**9, ">100th"),
)


@dataclass(frozen=True)
class Row:
    statistic: str
    simulated: str
    published: str
    source: str


def _read(path: Path) -> pl.DataFrame:
    pq = path.with_suffix(".parquet")
    return (
        pl.read_parquet(pq)
        if pq.exists()
        else pl.read_csv(path.with_suffix(".csv"), infer_schema_length=0).with_columns(
            pl.col("amount_usd").cast(pl.Float64),
            pl.col("local_hour").cast(pl.Int32),
            pl.col("session_index").cast(pl.Int64),
        )
    )


def offender_rows(out: Path) -> list[Row]:
    tx = _read(out / "truth" / "transactions")
    osec = tx.filter(pl.col("flow") == "osec_payment").with_columns(
        (pl.col("amount_usd") / AUD_USD).alias("aud"),
        pl.col("ts_utc").str.to_datetime("%Y-%m-%dT%H:%M:%S").alias("t"),
    )
    rows: list[Row] = []
    if osec.is_empty():
        return [Row("offender payments", "0", "-", "-")]
    per = osec.group_by("payer_person_id").agg(
        pl.len().alias("n"), pl.col("aud").median().alias("med")
    )
    per = per.sort("n", descending=True)
    total = int(per["n"].sum())
    k3 = max(1, round(0.03 * per.height))
    k25 = max(1, round(0.25 * per.height))
    top3 = int(per["n"].head(k3).sum()) / total
    bottom25 = int(per["n"].tail(k25).sum()) / total
    rows += [
        Row("payers / payments", f"{per.height} / {total}", "256 / 2,714", "S1"),
        Row("mean payments per payer", f"{total / per.height:.1f}", "10.6 [derived]", "S1"),
        Row(
            "share of payers with > 1 payment",
            f"{(per['n'] > 1).mean():.0%}",
            "more than half",
            "S1a",
        ),
        Row("share of payments by top 3% of payers", f"{top3:.0%}", "50%", "S1"),
        Row("share of payments by bottom 25% of payers", f"{bottom25:.1%}", "3%", "S1"),
        Row("max payments by one payer", f"{per['n'].max()}", "625 (6 y); 826 (3 y)", "S14, S10"),
        Row("median amount (AUD)", f"{osec['aud'].median():.0f}", "51", "S5"),
        Row(
            "share of payments A$10-A$100",
            f"{osec['aud'].is_between(10, 100).mean():.0%}",
            "typical band",
            "S8",
        ),
        Row("share of payments under A$500", f"{(osec['aud'] < 500).mean():.0%}", "most", "S9"),
    ]
    # escalation with tenure
    ordered = osec.sort(["payer_person_id", "t"]).with_columns(
        (pl.col("t").diff().over("payer_person_id").dt.total_seconds() / 86400).alias("gap")
    )
    for lo, hi, label in TENURE_BUCKETS:
        b = ordered.filter(pl.col("session_index").is_between(lo, hi))
        if b.is_empty():
            continue
        gap = b["gap"].drop_nulls()
        rows.append(
            Row(
                f"{label} payment: median A$ / median interval (d)",
                f"{b['aud'].median():.0f} / {gap.median() if gap.len() else float('nan'):.1f}",
                "amount rises, interval shortens",
                "S1",
            )
        )
    prolific = per.filter(pl.col("n") > 20)["payer_person_id"]
    pro = ordered.filter(pl.col("payer_person_id").is_in(prolific.implode()))
    if not pro.is_empty():
        rows.append(
            Row(
                "prolific payers (> 20): median A$ / median interval (d)",
                f"{pro['aud'].median():.0f} / {pro['gap'].drop_nulls().median():.1f}",
                "< 55 / < 20",
                "S2",
            )
        )
    corr = per.select(pl.corr("n", "med", method="spearman")).item()
    rows.append(
        Row(
            "Spearman(payments per payer, median amount)",
            f"{corr:+.2f}",
            "positive, significant",
            "S1",
        )
    )
    # timing
    h = osec["local_hour"]
    night = ((h >= 22) | (h < 6)).mean()
    evening = ((h >= 18) | (h < 3)).mean()
    rows += [
        Row(
            "share paid 18:00-03:00 payer-local",
            f"{evening:.0%}",
            "late evening / night",
            "S27, S19",
        ),
        Row(
            "share paid 22:00-06:00 payer-local",
            f"{night:.0%}",
            "late night / early morning",
            "S19",
        ),
        Row(
            "share with a memo",
            f"{(osec['memo'].fill_null('') != '').mean():.0%}",
            "benign labels ('uniform', 'medical bills')",
            "S9, S12",
        ),
    ]
    bene = osec.group_by("payer_person_id").agg(pl.col("beneficiary_person_id").n_unique())
    rows.append(
        Row(
            "mean distinct beneficiaries per payer",
            f"{bene['beneficiary_person_id'].mean():.1f}",
            "multiple beneficiaries",
            "S14",
        )
    )
    persons = pl.read_csv(out / "truth" / "persons.csv", infer_schema_length=0)
    den = osec.join(
        persons.select(pl.col("person_id").alias("beneficiary_person_id"), "den_id"),
        on="beneficiary_person_id",
    ).join(
        persons.select(
            pl.col("person_id").alias("payer_person_id"), pl.col("country").alias("payer_country")
        ),
        on="payer_person_id",
    )
    fan = den.group_by("den_id").agg(
        pl.col("payer_person_id").n_unique().alias("payers"),
        pl.col("payer_country").n_unique().alias("countries"),
    )
    rows.append(
        Row(
            "payers / payer countries per den (mean)",
            f"{fan['payers'].mean():.1f} / {fan['countries'].mean():.1f}",
            "many senders, several countries",
            "S8, S34",
        )
    )
    # related purchases
    offenders = persons.filter(pl.col("role") == "offender")["person_id"]
    cards = tx.filter(pl.col("flow") == "card_purchase")
    for label, pattern, src in (
        ("VPN / privacy", "VPN|Privacy", "S12, S17"),
        ("screen capture", "Capture|Recorder", "S13"),
        ("livestream tokens", "Coins|Credits", "S27"),
        ("air travel", "Air", "S14"),
    ):
        buyers = cards.filter(pl.col("merchant_name").str.contains(pattern))["payer_person_id"]
        off_share = offenders.is_in(buyers.implode()).mean()
        others = persons.filter(
            pl.col("role").is_in(["ordinary", "family_sender", "partner_sender"])
        )["person_id"]
        oth_share = others.is_in(buyers.implode()).mean()
        rows.append(
            Row(
                f"{label} buyers: offenders vs others",
                f"{off_share:.0%} vs {oth_share:.0%}",
                "purchases alongside payments",
                src,
            )
        )
    return rows


def flow_summary(out: Path) -> pl.DataFrame:
    """Per flow: transactions, payers, beneficiaries, median USD, payments per payer, night share."""
    tx = _read(out / "truth" / "transactions")
    return (
        tx.group_by("flow")
        .agg(
            pl.len().alias("transactions"),
            pl.col("payer_person_id").n_unique().alias("payers"),
            pl.col("beneficiary_person_id").n_unique().alias("beneficiaries"),
            pl.col("amount_usd").median().round(2).alias("median_usd"),
            ((pl.col("local_hour") >= 22) | (pl.col("local_hour") < 6))
            .mean()
            .round(3)
            .alias("night_share"),
            (pl.col("memo").fill_null("") != "").mean().round(3).alias("memo_share"),
        )
        .with_columns((pl.col("transactions") / pl.col("payers")).round(1).alias("per_payer"))
        .sort("transactions", descending=True)
    )


def hour_histogram(out: Path, flow: str = "osec_payment") -> list[tuple[int, float]]:
    tx = _read(out / "truth" / "transactions").filter(pl.col("flow") == flow)
    if tx.is_empty():
        return []
    counts = tx.group_by("local_hour").len().sort("local_hour")
    total = counts["len"].sum()
    d = dict(zip(counts["local_hour"].to_list(), counts["len"].to_list(), strict=True))
    return [(h, d.get(h, 0) / total) for h in range(24)]


def identity_shares(world: World) -> dict[str, float]:
    """How often a name, or a record's identifiers, cannot tell the recipients of ``world`` apart,
    measured on what its transactions carry (a recipient: a person paid at least once):

    - ``recipients``: how many;
    - ``same_name``: share sharing given + family name with another recipient (``same_name_city``:
      in the same city too); ``largest_same_name``: most recipients under one full name;
    - ``name_only``: share whose every transaction carries neither a phone nor an account;
    - ``phone_differs``: of recipients with a phone on transactions at two or more institutions
      (``phones_compared`` of them), the share with a different number at two of them;
    - ``named_after_relative``: share of family recipients named after a relative
      (``namesake_of``); ``same_payer``: of those, the share with a payer in common with that
      relative.
    """
    from bantay.simulate.behaviours import generate_chunk, n_chunks

    used: set[tuple[int, int]] = set()
    for c in range(n_chunks(world)):
        ch = generate_chunk(world, c)
        paid = ch["bene"] >= 0
        used.update(zip(ch["bene"][paid].tolist(), ch["brec"][paid].tolist(), strict=True))
    ben = world.beneficiaries.with_row_index("brec").with_columns(
        pl.Series("inst", world.c_inst[world.beneficiaries["cust"].to_numpy()]),
        pl.col("phone").str.replace_all(r"\D", "").str.slice(-9).alias("number"),
    )
    rec = pl.DataFrame(
        sorted(used), schema={"person": pl.Int64, "brec": pl.Int64}, orient="row"
    ).join(ben.select(pl.col("brec").cast(pl.Int64), "inst", "phone", "account", "number"), "brec")
    persons = world.persons.with_row_index("person").with_columns(pl.col("person").cast(pl.Int64))
    people = (
        rec.group_by("person")
        .agg(((pl.col("phone") == "") & (pl.col("account") == "")).all().alias("name_only"))
        .join(persons, on="person")
    )
    named = people.with_columns(
        pl.len().over("given", "family").alias("n"),
        pl.len().over("given", "family", "city").alias("n_city"),
    )
    phones = (
        rec.filter(pl.col("number") != "")
        .group_by("person")
        .agg(pl.col("inst").n_unique().alias("insts"), pl.col("number").n_unique().alias("numbers"))
        .filter(pl.col("insts") >= 2)
    )
    fam = people.filter(pl.col("role") == "family_recipient")
    after = fam.filter(pl.col("namesake_of") != "")
    rels = world.rels
    payers: dict[int, set[int]] = {}
    for payer, bene in zip(rels["payer"].tolist(), rels["bene"].tolist(), strict=True):
        payers.setdefault(int(bene), set()).add(int(payer))
    same_payer = [
        bool(payers.get(int(p), set()) & payers.get(int(src[1:]), set()))
        for p, src in zip(after["person"].to_list(), after["namesake_of"].to_list(), strict=True)
    ]

    def share(mask: pl.Series) -> float:
        return float(mask.to_numpy().mean()) if mask.len() else float("nan")

    return {
        "recipients": float(people.height),
        "same_name": share(named["n"] > 1),
        "same_name_city": share(named["n_city"] > 1),
        "largest_same_name": float(named["n"].to_numpy().max(initial=0)),
        "name_only": share(people["name_only"]),
        "phone_differs": share(phones["numbers"] > 1),
        "phones_compared": float(phones.height),
        "named_after_relative": share(fam["namesake_of"] != ""),
        "same_payer": float(np.mean(same_payer)) if same_payer else float("nan"),
    }

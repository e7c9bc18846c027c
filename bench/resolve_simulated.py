"""Entity resolution against simulator truth, on both profiles (baseline, evasive), beside exact
matching on the normalised name plus date of birth (or city where a side has no date of birth),
measured in the same run.

    nice python bench/resolve_simulated.py [--senders 2000] [--months 3] [--seeds 1 2 3 4 5]
                                           [--keep DIR] [--errors N]

For each seed and profile: ``bantay simulate`` → ``bantay init`` → ``bantay ingest --manifest`` →
``resolve`` (trained without labels) → pairwise precision/recall/F1 and B-cubed F1 per population
(payers: customers and payer sides; beneficiaries: beneficiary sides). With several seeds, a summary
gives each figure's mean and its worst seed. Targets: F1 >= 0.95 for payers, >= 0.90 for
beneficiaries, on the mean over seeds of each profile. One world's beneficiary pairs are few
(~200-300 true pairs among ~1,400 records), and one evasive recipient split in two moves F1 by
several points, so single seeds vary (see the worst seed).

``--keep DIR`` keeps each simulated world and ingested workspace under ``DIR/seed<N>-<profile>``
and reuses them on the next run (resolution is always redone, retrained). ``--errors N`` prints up
to N wrongly linked and N missed beneficiary pairs per world, with their records' names and fields.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from bantay.evaluate.resolution import POPULATIONS, evaluate, record_truth
from bantay.resolve.features import INPUT_COLUMNS, build_features
from bantay.resolve.run import resolve
from bantay.workspace import open_workspace

ROW = "{:<5} {:<9} {:<14} {:<30} {:>8} {:>9} {:>7} {:>7} {:>7}"


def bantay(*args: str) -> None:
    subprocess.run(
        [str(Path(sys.executable).parent / "bantay"), *args],
        check=True,
        capture_output=True,
        text=True,
    )


def prepare(root: Path, seed: int, profile: str, senders: int, months: int) -> tuple[Path, Path]:
    """The world and ingested workspace of (seed, profile) under ``root``, made unless present."""
    world, wsd = root / "world", root / "ws"
    done = root / "ingested"
    if done.exists():
        return world, wsd
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    bantay("simulate", "--out", str(world), "--senders", str(senders), "--months", str(months),
           "--seed", str(seed), "--profile", profile)  # fmt: skip
    bantay("init", str(wsd))
    bantay("ingest", "--manifest", str(world / "manifest.json"), "-w", str(wsd))
    done.write_text(f"seed {seed} profile {profile} senders {senders} months {months}\n")
    return world, wsd


def name_collisions(world: Path) -> str:
    """Pairs of distinct recipients (persons paid at least once) sharing given + family name, and
    sharing given + middle + family name, per naming culture with any: how often a name alone
    cannot tell two recipients apart in this world."""
    truth = world / "truth"
    paid = pl.read_csv(truth / "transactions.csv", infer_schema=False).select(
        pl.col("beneficiary_person_id").alias("person_id")
    )
    persons = pl.read_csv(truth / "persons.csv", infer_schema=False).join(
        paid.unique(), on="person_id", how="semi"
    )
    persons = persons.filter(pl.col("given").is_not_null()).with_columns(
        pl.col("middle").fill_null("")
    )

    def pairs(keys: list[str]) -> pl.DataFrame:
        return (
            persons.group_by("country", *keys)
            .len()
            .group_by("country")
            .agg((pl.col("len") * (pl.col("len") - 1) / 2).sum().cast(pl.Int64).alias("pairs"))
        )

    n = persons.group_by("country").len("recipients")
    out = n.join(pairs(["given", "family"]), on="country").join(
        pairs(["given", "middle", "family"]), on="country", suffix="_with_middle"
    )
    out = out.filter(pl.col("pairs") > 0).sort("country")
    return "; ".join(
        f"{r['country']}: {r['recipients']} recipients, {r['pairs']} pairs share given + family "
        f"name, {r['pairs_with_middle']} with the middle name too"
        for r in out.iter_rows(named=True)
    )


def errors(members: pl.DataFrame, truth: pl.DataFrame, feats: pl.DataFrame, n: int) -> list[str]:
    """Up to ``n`` wrong and ``n`` missed pairs (record fields side by side)."""
    df = members.join(truth, on="party_record_id")
    pairs = df.join(df, how="cross", suffix="_r").filter(
        (pl.col("party_record_id") < pl.col("party_record_id_r"))
        & ((pl.col("entity_id") == pl.col("entity_id_r")) | (pl.col("person_id") == pl.col("person_id_r")))
    )  # fmt: skip
    wrong = pairs.filter(pl.col("person_id") != pl.col("person_id_r"))
    missed = pairs.filter(pl.col("entity_id") != pl.col("entity_id_r"))
    cols = ["unique_id", "name_key", "dob", "phone", "account", "city", "country"]
    f = feats.select(cols)

    def show(kind: str, p: pl.DataFrame) -> list[str]:
        p = (
            p.head(n)
            .join(f, left_on="party_record_id", right_on="unique_id")
            .join(f, left_on="party_record_id_r", right_on="unique_id", suffix="_r")
        )
        return [
            f"  {kind}: " + " | ".join(f"{r[c]}~{r[c + '_r']}" for c in cols[1:])
            for r in p.iter_rows(named=True)
        ]

    return show("wrong", wrong) + show("missed", missed)


def ambiguity(
    members: pl.DataFrame,
    truth: pl.DataFrame,
    t: pl.DataFrame,
    feats: pl.DataFrame,
    paid_by: pl.DataFrame,
) -> str:
    """What the beneficiary records Bantay did not join have to go on: the share of missed true
    pairs whose records were paid by one payer person (what the context pass can use) or carry
    the same normalised name, and, among all beneficiary record pairs with the same name, the
    share that are one person, by how many records bear the name (what a name alone is worth).
    ``t``: the beneficiaries' truth; ``truth``: every record's; ``paid_by``: (rid, prid)."""
    payer_person = truth.select(pl.col("party_record_id").alias("prid"), "person_id")
    payers = (
        paid_by.join(payer_person, on="prid")
        .group_by("rid")
        .agg(pl.col("person_id").unique().alias("payers"))
    )
    names = feats.select(pl.col("unique_id").alias("rid"), "name_key")
    d = (
        t.rename({"party_record_id": "rid"})
        .join(members.rename({"party_record_id": "rid"}), on="rid")
        .join(payers, on="rid", how="left")
        .join(names, on="rid", how="left")
    )
    pairs = d.join(d, on="person_id", suffix="_r").filter(pl.col("rid") < pl.col("rid_r"))
    missed = pairs.filter(pl.col("entity_id") != pl.col("entity_id_r"))
    share_payer = missed.select(
        (pl.col("payers").list.set_intersection("payers_r").list.len() > 0).fill_null(False).mean()
    ).item()
    share_name = missed.select(
        (pl.col("name_key") == pl.col("name_key_r")).fill_null(False).mean()
    ).item()
    named = d.drop_nulls("name_key")
    per_name = named.group_by("name_key").len("n")
    same = (
        named.join(named, on="name_key", suffix="_r")
        .filter(pl.col("rid") < pl.col("rid_r"))
        .join(per_name, on="name_key")
        .with_columns(
            pl.when(pl.col("n") == 2)
            .then(pl.lit("2"))
            .when(pl.col("n") <= 5)
            .then(pl.lit("3-5"))
            .otherwise(pl.lit("6+"))
            .alias("records")
        )
        .group_by("records")
        .agg((pl.col("person_id") == pl.col("person_id_r")).mean().alias("one"), pl.len())
        .sort("records")
    )
    by_n = ", ".join(
        f"{r['records']} records: {r['one']:.2f} of {r['len']:,}"
        for r in same.iter_rows(named=True)
    )
    return (
        f"  beneficiary pairs missed: {missed.height:,} of {pairs.height:,}; paid by one payer "
        f"person: {share_payer or 0:.3f}; same name: {share_name or 0:.3f}. Same-name pairs that "
        f"are one person, by records bearing the name: {by_n}"
    )


def evidence(t: pl.DataFrame, feats: pl.DataFrame) -> str:
    """What the true beneficiary pairs have to go on besides a name: the share inside a chain of
    shared identifiers (phone, account, e-mail, document) of one person, the share of the others
    whose records carry one name that no other person bears, and the rest, where only a name that
    other people bear too (or nothing) could link them. ``t``: the beneficiaries' truth."""
    import igraph as ig

    cols = ("phone", "account", "email", "id_doc")
    d = t.join(
        feats.select(pl.col("unique_id").alias("party_record_id"), "name_key", *cols),
        on="party_record_id",
    )
    ids = pl.concat(
        d.select(
            "party_record_id", "person_id", pl.lit(c).alias("t"), pl.col(c).alias("v")
        ).drop_nulls("v")
        for c in cols
    )
    edges = (
        ids.join(ids, on=["person_id", "t", "v"], suffix="_r")
        .filter(pl.col("party_record_id") < pl.col("party_record_id_r"))
        .select("party_record_id", "party_record_id_r")
    )
    index = {r: i for i, r in enumerate(d["party_record_id"].to_list())}
    g = ig.Graph(n=len(index), edges=[(index[a], index[b]) for a, b in edges.iter_rows()])
    bearers = (
        d.drop_nulls("name_key")
        .group_by("name_key")
        .agg(pl.col("person_id").n_unique().alias("nb"))
    )
    d = d.with_columns(pl.Series("chain", g.connected_components().membership)).join(
        bearers, on="name_key", how="left"
    )
    pairs = d.join(d, on="person_id", suffix="_r").filter(
        pl.col("party_record_id") < pl.col("party_record_id_r")
    )
    n = max(pairs.height, 1)
    chained = pairs.filter(pl.col("chain") == pl.col("chain_r")).height
    unique_name = pairs.filter(
        (pl.col("chain") != pl.col("chain_r"))
        & (pl.col("name_key") == pl.col("name_key_r"))
        & (pl.col("nb") == 1)
    ).height
    return (
        f"  true beneficiary pairs: {pairs.height:,}; in one chain of shared identifiers "
        f"{chained / n:.3f}; else one name no other person bears {unique_name / n:.3f}; the rest "
        f"(a name other people bear too, or no common name) {(n - chained - unique_name) / n:.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--senders", type=int, default=2000)
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--seed", type=int, help="one seed (same as --seeds N)")
    ap.add_argument("--profiles", nargs="+", default=["baseline", "evasive"])
    ap.add_argument("--keep", type=Path, help="keep and reuse worlds and workspaces here")
    ap.add_argument("--errors", type=int, default=0, help="print N wrong and N missed pairs")
    ap.add_argument(
        "--names", action="store_true", help="print recipients sharing a name, per country"
    )
    ap.add_argument(
        "--ambiguity",
        action="store_true",
        help="print what missed beneficiary pairs share (a payer, a name), what a name is worth, "
        "and what true pairs have to go on besides a name",
    )
    args = ap.parse_args()
    seeds = [args.seed] if args.seed is not None else args.seeds
    print(ROW.format("seed", "profile", "population", "method", "records", "precision", "recall",
                     "F1", "B3 F1"))  # fmt: skip
    results: dict[tuple[str, str, str], list[tuple[int, float, float, float, float]]] = {}
    for seed in seeds:
        for profile in args.profiles:
            with tempfile.TemporaryDirectory() as tmp:
                base = args.keep if args.keep is not None else Path(tmp)
                world, wsd = prepare(
                    base / f"seed{seed}-{profile}", seed, profile, args.senders, args.months
                )
                if args.names:
                    print(f"{seed:<5} {profile:<9} {name_collisions(world)}")
                with open_workspace(wsd) as ws:
                    t0 = time.perf_counter()
                    report = resolve(ws, retrain=True)
                    secs = time.perf_counter() - t0
                    truth, ambiguous = record_truth(ws, world)
                    members = pl.from_arrow(
                        ws.con.sql(
                            "SELECT party_record_id, entity_id FROM entity_members"
                        ).to_arrow_table()
                    )
                    raw = pl.from_arrow(
                        ws.con.sql(
                            f"SELECT DISTINCT ON (party_record_id) {', '.join(INPUT_COLUMNS)} "
                            "FROM party_records"
                        ).to_arrow_table()
                    )
                    paid_by = pl.from_arrow(
                        ws.con.sql(
                            "SELECT DISTINCT beneficiary_record_id AS rid, payer_record_id AS prid "
                            "FROM transactions WHERE beneficiary_record_id IS NOT NULL "
                            "AND payer_record_id IS NOT NULL"
                        ).to_arrow_table()
                    )
            assert isinstance(members, pl.DataFrame) and isinstance(raw, pl.DataFrame)
            f = build_features(raw)
            key = pl.when(pl.col("name_key").is_not_null()).then(
                pl.col("name_key") + "|" + pl.coalesce("dob", "city", pl.lit(""))
            )
            base_pred = f.select("unique_id", pl.coalesce(key, pl.col("unique_id")))
            for pop in ("payers", "beneficiaries"):
                t = truth.filter(pl.col("kind").is_in(POPULATIONS[pop])).select(
                    "party_record_id", "person_id"
                )
                for name, pred in (("exact name + dob/city", base_pred), ("Bantay", members)):
                    m = evaluate(pred, t)
                    results.setdefault((profile, pop, name), []).append(
                        (seed, m.precision, m.recall, m.f1, m.bcubed_f1)
                    )
                    print(ROW.format(seed, profile, pop, name, f"{m.n_records:,}",
                                     f"{m.precision:.4f}", f"{m.recall:.4f}", f"{m.f1:.4f}",
                                     f"{m.bcubed_f1:.4f}"))  # fmt: skip
                if pop == "beneficiaries" and args.errors:
                    print("\n".join(errors(members, t, f, args.errors)))
                if pop == "beneficiaries" and args.ambiguity:
                    assert isinstance(paid_by, pl.DataFrame)
                    print(ambiguity(members, truth, t, f, paid_by))
                    print(evidence(t, f))
            print(
                f"{seed:<5} {profile:<9} resolved {report.n_records:,} records in {secs:.1f} s "
                f"(model {report.model}); {ambiguous:,} records with ambiguous truth",
                flush=True,
            )
    if len(seeds) > 1:
        print(f"\nover seeds {' '.join(map(str, seeds))}: mean, and worst seed (by F1)")
        print(ROW.format("", "profile", "population", "method", "", "precision", "recall", "F1",
                         "B3 F1"))  # fmt: skip
        for (profile, pop, name), rows in results.items():
            means = [statistics.fmean(r[i] for r in rows) for i in range(1, 5)]
            worst = min(rows, key=lambda r: r[3])
            print(ROW.format("mean", profile, pop, name, "", *(f"{v:.4f}" for v in means)))
            print(ROW.format(f"s{worst[0]}", profile, pop, name + " (worst)", "",
                             *(f"{v:.4f}" for v in worst[1:])))  # fmt: skip


if __name__ == "__main__":
    main()

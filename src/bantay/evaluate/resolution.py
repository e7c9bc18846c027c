"""Judging entity resolution against a simulated world's ground truth.

Pairwise precision, recall and F1 (over all pairs of records put in one entity) and B-cubed
precision, recall and F1 (per record: the share of its entity that is truly the same person, and the
share of its person that its entity holds), for a whole workspace or one population (payers:
customers and payer sides; beneficiaries: beneficiary sides).

The truth of a record: customers by (institution, customer_ref) in ``truth/customers.csv``;
transaction sides through the transactions they appear on, joined to ``truth/transactions.csv`` on
(institution, transaction_id). A side recorded identically for two different persons (same free-text
name, nothing else) has no single truth: it takes its most frequent person and is counted in
``ambiguous_records``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from bantay.errors import BantayError
from bantay.workspace import Workspace

POPULATIONS: dict[str, tuple[str, ...]] = {
    "all": ("customer", "payer_side", "beneficiary_side"),
    "payers": ("customer", "payer_side"),
    "beneficiaries": ("beneficiary_side",),
}


@dataclass(frozen=True)
class ResolutionMetrics:
    n_records: int
    n_entities: int
    n_persons: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    bcubed_precision: float
    bcubed_recall: float

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def bcubed_f1(self) -> float:
        p, r = self.bcubed_precision, self.bcubed_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "records": self.n_records,
            "entities": self.n_entities,
            "persons": self.n_persons,
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "correct_pairs": self.correct_pairs,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "bcubed_precision": self.bcubed_precision,
            "bcubed_recall": self.bcubed_recall,
            "bcubed_f1": self.bcubed_f1,
        }


def _pairs(n: pl.Expr) -> pl.Expr:
    return (n * (n - 1) / 2).cast(pl.Int64)


def evaluate(predicted: pl.DataFrame, truth: pl.DataFrame) -> ResolutionMetrics:
    """Compare ``predicted`` (record_id, entity_id) with ``truth`` (record_id, person_id).

    Only records present in both are judged; column names are taken by position.
    """
    p = predicted.select(
        pl.col(predicted.columns[0]).alias("rid"), pl.col(predicted.columns[1]).alias("eid")
    )
    t = truth.select(
        pl.col(truth.columns[0]).alias("rid"), pl.col(truth.columns[1]).alias("pid")
    ).unique("rid")
    df = p.join(t, on="rid", how="inner")
    if df.height == 0:
        return ResolutionMetrics(0, 0, 0, 0, 0, 0, 1.0, 1.0)
    cells = df.group_by("eid", "pid").len("n_ep")
    ent = df.group_by("eid").len("n_e")
    per = df.group_by("pid").len("n_p")
    correct = int(cells.select(_pairs(pl.col("n_ep")).sum()).item())
    predicted_pairs = int(ent.select(_pairs(pl.col("n_e")).sum()).item())
    true_pairs = int(per.select(_pairs(pl.col("n_p")).sum()).item())
    # B-cubed: for each record, |its entity ∩ its person| / |its entity| (precision), / |its person|
    c = cells.join(ent, on="eid").join(per, on="pid")
    n = df.height
    bp = float(c.select((pl.col("n_ep") ** 2 / pl.col("n_e")).sum()).item()) / n
    br = float(c.select((pl.col("n_ep") ** 2 / pl.col("n_p")).sum()).item()) / n
    return ResolutionMetrics(
        n_records=n,
        n_entities=ent.height,
        n_persons=per.height,
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct,
        bcubed_precision=bp,
        bcubed_recall=br,
    )


def _read(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False)


def _truth_file(truth_dir: Path, stem: str) -> Path:
    for ext in ("csv", "parquet", "csv.gz"):
        p = truth_dir / f"{stem}.{ext}"
        if p.exists():
            return p
    raise BantayError(f"{truth_dir} has no {stem}.csv or {stem}.parquet (simulator truth)")


def record_truth(ws: Workspace, truth_dir: Path) -> tuple[pl.DataFrame, int]:
    """(party_record_id, person_id, kind) for every record whose person the truth files know, and
    the number of ambiguous records (see module doc)."""
    truth_dir = Path(truth_dir)
    if (truth_dir / "truth").is_dir():
        truth_dir = truth_dir / "truth"
    customers = _read(_truth_file(truth_dir, "customers")).select(
        "institution", "customer_ref", "person_id"
    )
    tx_truth = _read(_truth_file(truth_dir, "transactions")).select(
        "institution", "transaction_id", "payer_person_id", "beneficiary_person_id"
    )
    records = pl.from_arrow(
        ws.con.sql(
            "SELECT party_record_id, kind, institution, customer_ref FROM party_records"
        ).to_arrow_table()
    )
    sides = pl.from_arrow(
        ws.con.sql(
            "SELECT institution, transaction_id, payer_record_id, beneficiary_record_id "
            "FROM transactions"
        ).to_arrow_table()
    )
    assert isinstance(records, pl.DataFrame) and isinstance(sides, pl.DataFrame)
    sides = sides.with_columns(pl.col("institution", "transaction_id").cast(pl.String))
    joined = sides.join(tx_truth, on=["institution", "transaction_id"], how="inner")
    side_truth = pl.concat(
        [
            joined.select(
                pl.col("payer_record_id").alias("party_record_id"),
                pl.col("payer_person_id").alias("person_id"),
            ),
            joined.select(
                pl.col("beneficiary_record_id").alias("party_record_id"),
                pl.col("beneficiary_person_id").alias("person_id"),
            ),
        ]
    ).filter(pl.col("party_record_id").is_not_null() & (pl.col("person_id").fill_null("") != ""))
    cust_truth = (
        records.filter(pl.col("kind") == "customer")
        .join(customers, on=["institution", "customer_ref"], how="inner")
        .select("party_record_id", "person_id")
    )
    counts = (
        pl.concat([cust_truth, side_truth])
        .group_by("party_record_id", "person_id")
        .len()
        .sort(["party_record_id", "len", "person_id"], descending=[False, True, False])
    )
    ambiguous = int(counts.group_by("party_record_id").len().filter(pl.col("len") > 1).height)
    best = counts.unique("party_record_id", keep="first", maintain_order=True).select(
        "party_record_id", "person_id"
    )
    kinds = records.select("party_record_id", "kind").unique("party_record_id", keep="first")
    return best.join(kinds, on="party_record_id", how="left"), ambiguous


def evaluate_workspace(
    ws: Workspace, truth_dir: Path, populations: Sequence[str] = ("payers", "beneficiaries", "all")
) -> dict[str, ResolutionMetrics]:
    """Metrics of the workspace's entity_members against the simulator truth, per population."""
    truth, _ = record_truth(ws, truth_dir)
    members = pl.from_arrow(
        ws.con.sql("SELECT party_record_id, entity_id FROM entity_members").to_arrow_table()
    )
    assert isinstance(members, pl.DataFrame)
    if members.height == 0:
        raise BantayError(f"{ws.path} has no entities yet; run `bantay resolve` first")
    out: dict[str, ResolutionMetrics] = {}
    for pop in populations:
        kinds = POPULATIONS[pop]
        t = truth.filter(pl.col("kind").is_in(kinds)).select("party_record_id", "person_id")
        out[pop] = evaluate(members, t)
    return out

"""Clustering scored pairs into entities, honouring analysts' judgements.

Union-find over the pairs in descending order of match probability, after the analysts' "same"
judgements. A link at or above the threshold joins the two groups of records it connects, unless:

* the union would put two records judged "not same" into one entity: the entity splits at its
  weakest link(s) towards the judged record, never at a link stronger than one that was kept;
* the groups are checked as groups, not taken on one link: every pair scored across them counts,
  and where their mean match probability is below :data:`GROUP_FLOOR` the records compared across
  say, on balance, that these are different people, and the link is not used (decision
  ``kept_apart``). Connected components chain: one strong-looking pair between a Walter Ford born
  1861 and a William Farrer born 1861 in one town would otherwise join two people whose other
  records disagree on name, date and address. Links of an attachment (an entity-level decision,
  :mod:`bantay.resolve.attach`) and "same" judgements are not checked this way.

Without judgements and without contrary pairs (a pair scored below :data:`GROUP_FLOOR` between two
records of one component) the result is exactly the connected components at the threshold.

:func:`cluster` is the reference, in Python; :func:`cluster_frame` computes the same result for
millions of pairs: connected components in igraph's C core, with the union-find run only inside the
components that hold a record named in a "not same" judgement or a contrary pair.

Entity identifiers stay stable: a cluster takes the identifier of the previous entity that gives
it most of its records (ties: the one named after its smallest record, else the smaller); a new cluster is named after its smallest
record.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

#: Ends the agreed fields of an attachment (:mod:`bantay.resolve.attach`, which imports it).
ATTACHED_MARK = "(the only likely bearer)"
#: Two groups of records are joined only where the pairs scored across them have a mean match
#: probability of at least this: on balance the same person.
GROUP_FLOOR = 0.5


def entity_id_for(record_id: str) -> str:
    """The identifier a new entity takes from its smallest record: ``E`` + 12 hex digits."""
    return "E" + hashlib.md5(record_id.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


@dataclass
class Clustering:
    """The outcome: an entity per record, and what was decided about each pair."""

    entity_of: dict[str, str]
    #: index in the input pairs -> decision (see EntityLink.decision)
    decisions: list[str]
    #: records joined to their entity only through a "same" judgement
    joined_by_judgement: set[str] = field(default_factory=set)
    #: judgements that could not be honoured (a "same" contradicting a "not same")
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    #: records joined to another by a link of the model (not only by a judgement)
    model_linked: set[str] = field(default_factory=set)


class _UnionFind:
    def __init__(self, nodes: Iterable[str]) -> None:
        self.parent: dict[str, str] = {n: n for n in nodes}
        # only records named in "not same" judgements carry constraint sets
        self.members: dict[str, set[str]] = {}
        self.forbidden: dict[str, set[str]] = {}
        # root -> other root -> [sum of match probabilities, number of pairs] scored across them
        self.across: dict[str, dict[str, list[float]]] = {}

    def observe(self, a: str, b: str, p: float) -> None:
        """Count a scored pair in the evidence across the groups of ``a`` and ``b``."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        for x, y in ((ra, rb), (rb, ra)):
            cell = self.across.setdefault(x, {}).setdefault(y, [0.0, 0.0])
            cell[0] += p
            cell[1] += 1

    def mean_across(self, a: str, b: str) -> float | None:
        """Mean probability of the pairs scored across the groups of ``a`` and ``b``."""
        cell = self.across.get(self.find(a), {}).get(self.find(b))
        return cell[0] / cell[1] if cell and cell[1] else None

    def find(self, x: str) -> str:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def constrain(self, a: str, b: str) -> None:
        for x, y in ((a, b), (b, a)):
            r = self.find(x)
            self.members.setdefault(r, set()).add(x)
            self.forbidden.setdefault(r, set()).add(y)

    def union(self, a: str, b: str) -> bool | None:
        """Join a and b: True if joined, None if already together, False if forbidden."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        fa, fb = self.forbidden.get(ra), self.forbidden.get(rb)
        if (fa and fa & self.members.get(rb, set())) or (fb and fb & self.members.get(ra, set())):
            return False
        if len(self.across.get(ra, ())) < len(self.across.get(rb, ())):
            ra, rb = rb, ra  # the evidence of the smaller group moves into the larger's
        self.parent[rb] = ra
        if rb in self.members:
            self.members.setdefault(ra, set()).update(self.members.pop(rb))
            self.forbidden.setdefault(ra, set()).update(self.forbidden.pop(rb))
        moved = self.across.pop(rb, None)
        if moved:
            mine = self.across.setdefault(ra, {})
            mine.pop(rb, None)
            for other, (total, count) in moved.items():
                if other == ra:
                    continue
                cell = mine.setdefault(other, [0.0, 0.0])
                cell[0] += total
                cell[1] += count
                theirs = self.across[other]
                theirs.pop(rb, None)
                theirs[ra] = cell
        return True


def cluster(
    records: Sequence[str],
    pairs_l: Sequence[str],
    pairs_r: Sequence[str],
    probabilities: Sequence[float],
    threshold: float,
    same: Sequence[tuple[str, str]] = (),
    not_same: Sequence[tuple[str, str]] = (),
    previous: Mapping[str, str] | None = None,
    forced: Sequence[bool] | None = None,
) -> Clustering:
    """Cluster ``records`` given scored pairs (parallel sequences) and judgements on record pairs.

    ``previous`` maps records to their entity before this run, to keep identifiers stable.
    ``forced`` marks pairs whose link is not checked against the pairs across (attachments).
    """
    uf = _UnionFind(records)
    known = uf.parent
    for a, b in not_same:
        if a in known and b in known:
            uf.constrain(a, b)
    judged_same = {frozenset(p) for p in same}
    judged_not = {frozenset(p) for p in not_same}
    conflicts: list[tuple[str, str]] = []
    for a, b in same:
        if a in known and b in known and uf.union(a, b) is False:
            conflicts.append((a, b))

    for a, b, p in zip(pairs_l, pairs_r, probabilities, strict=True):
        if a in known and b in known:
            uf.observe(a, b, p)
    decisions = ["below_threshold"] * len(pairs_l)
    order = sorted(
        (i for i, p in enumerate(probabilities) if p >= threshold),
        key=lambda i: -probabilities[i],
    )
    model_linked: set[str] = set()
    for i in order:
        a, b = pairs_l[i], pairs_r[i]
        if not (forced and forced[i]):
            mean = uf.mean_across(a, b)
            if mean is not None and mean < GROUP_FLOOR:
                decisions[i] = "kept_apart"
                continue
        joined = uf.union(a, b)
        if joined is False:
            decisions[i] = "split_by_judgement"
        else:
            decisions[i] = "linked"
            model_linked.add(a)
            model_linked.add(b)
    if judged_same or judged_not:
        for i, (a, b) in enumerate(zip(pairs_l, pairs_r, strict=True)):
            key = frozenset((a, b))
            if key in judged_not:
                decisions[i] = "judged_not_same"
            elif key in judged_same:
                decisions[i] = "judged_same"

    roots: dict[str, list[str]] = {}
    for r in records:
        roots.setdefault(uf.find(r), []).append(r)
    entity_of = _name_entities(list(roots.values()), previous or {})
    in_judged = {x for p in same for x in p}
    by_judgement = {
        r
        for members in roots.values()
        if len(members) > 1
        for r in members
        if r not in model_linked and r in in_judged
    }
    return Clustering(entity_of, decisions, by_judgement, conflicts, model_linked)


def _name_entities(clusters: list[list[str]], previous: Mapping[str, str]) -> dict[str, str]:
    # (-records from that entity, not the id its smallest record would give, entity id, the
    # cluster's smallest record, cluster): ties go by records, never by the order clusters come in
    claims: list[tuple[int, bool, str, str, int]] = []
    for ci, members in enumerate(clusters if previous else ()):
        counts = Counter(previous[m] for m in members if m in previous)
        own = entity_id_for(min(members)) if counts else ""
        for eid, n in counts.items():
            claims.append((-n, eid != own, eid, min(members), ci))
    claims.sort()
    named: dict[int, str] = {}
    taken: set[str] = set()
    for _, _, eid, _smallest, ci in claims:
        if ci in named or eid in taken:
            continue
        named[ci] = eid
        taken.add(eid)
    out: dict[str, str] = {}
    for ci, members in enumerate(clusters):
        kept = named.get(ci)
        if kept is not None:
            eid = kept
        else:
            eid = entity_id_for(min(members))
            if eid in taken:  # the smallest record's id was kept by another cluster
                eid = entity_id_for(min(members) + "#" + str(len(members)))
            taken.add(eid)
        for m in members:
            out[m] = eid
    return out


# --------------------------------------------------------------------------- columnar clustering


@dataclass
class FrameClustering:
    """The outcome of :func:`cluster_frame`, as columns."""

    #: party_record_id, entity_id, assigned_by (singleton | model | judgement)
    members: pl.DataFrame
    #: one decision per input pair, in input order
    decisions: pl.Series
    conflicts: list[tuple[str, str]] = field(default_factory=list)


def cluster_frame(
    records: Sequence[str] | pl.Series,
    pairs: pl.DataFrame,
    threshold: float,
    same: Sequence[tuple[str, str]] = (),
    not_same: Sequence[tuple[str, str]] = (),
    previous: Mapping[str, str] | None = None,
) -> FrameClustering:
    """:func:`cluster` for large inputs: connected components in igraph's C core.

    ``pairs`` has columns party_record_id_l, party_record_id_r and match_probability. Components
    that hold a record named in a "not same" judgement are re-clustered with the union-find of
    :func:`cluster` (it splits at the weakest links); the others are plain connected components,
    which is what union-find gives where nothing is forbidden. The result equals :func:`cluster`'s.
    """
    import igraph as ig

    ids = pl.DataFrame({"rid": pl.Series(records, dtype=pl.String)}).with_row_index("i")
    n = ids.height
    index = dict(zip(ids["rid"].to_list(), range(n), strict=True)) if (same or not_same) else {}
    forced = (
        pl.col("agreed_fields").str.contains(ATTACHED_MARK, literal=True).fill_null(False)
        if "agreed_fields" in pairs.columns
        else pl.lit(False)
    )
    p = pairs.select(
        pl.col("party_record_id_l").alias("l"),
        pl.col("party_record_id_r").alias("r"),
        pl.col("match_probability").alias("prob"),
        forced.alias("forced"),
    ).with_row_index("k")
    p = p.join(ids.rename({"rid": "l", "i": "il"}), on="l", how="left", maintain_order="left")
    p = p.join(ids.rename({"rid": "r", "i": "ir"}), on="r", how="left", maintain_order="left")
    if p["il"].null_count() or p["ir"].null_count():
        raise ValueError("a pair names a record that is not among the records to cluster")
    above = p.filter(pl.col("prob") >= threshold)
    same_known = [(a, b) for a, b in same if a in index and b in index]
    not_known = [(a, b) for a, b in not_same if a in index and b in index]
    edges = above.select("il", "ir").to_numpy().tolist() + [
        [index[a], index[b]] for a, b in same_known
    ]
    g = ig.Graph(n=n, edges=edges)
    label = pl.Series("c", g.connected_components().membership, dtype=pl.Int64)
    decisions = pl.when(pl.col("prob") >= threshold).then(pl.lit("linked"))
    dec = p.select(decisions.otherwise(pl.lit("below_threshold")).alias("decision"))["decision"]
    conflicts: list[tuple[str, str]] = []
    sub_linked: list[str] = []
    # components to re-cluster with the union-find: those holding a record judged "not same" and
    # those holding a contrary pair (scored below GROUP_FLOOR between two of their records)
    lab = p.select(
        pl.col("il").map_batches(lambda s: label.gather(s), return_dtype=pl.Int64).alias("cl"),
        pl.col("ir").map_batches(lambda s: label.gather(s), return_dtype=pl.Int64).alias("cr"),
        "prob",
    )
    constrained = set(
        lab.filter((pl.col("cl") == pl.col("cr")) & (pl.col("prob") < GROUP_FLOOR))["cl"]
        .unique()
        .to_list()
    )
    if not_known:
        if not index:
            index = dict(zip(ids["rid"].to_list(), range(n), strict=True))
        constrained |= {label[index[x]] for pair in not_known for x in pair}
    if constrained:
        if not index:
            index = dict(zip(ids["rid"].to_list(), range(n), strict=True))
        in_bad = label.is_in(list(constrained))
        sub_ids = ids.filter(in_bad)["rid"].to_list()
        sub_pairs = p.filter(
            pl.col("il").is_in(ids.filter(in_bad)["i"].implode())
        )  # both ends share a component
        sub_set = set(sub_ids)
        sub = cluster(
            sub_ids,
            sub_pairs["l"].to_list(),
            sub_pairs["r"].to_list(),
            sub_pairs["prob"].to_list(),
            threshold,
            same=[(a, b) for a, b in same_known if a in sub_set],
            not_same=not_known,
            forced=sub_pairs["forced"].to_list(),
        )
        conflicts = sub.conflicts
        sub_linked = sorted(sub.model_linked)
        # the sub-clusters get labels beyond the components'
        base = len(label) + 1  # beyond any component label
        sub_label: dict[str, int] = {}
        for r in sub_ids:
            sub_label.setdefault(sub.entity_of[r], base + len(sub_label))
        new_label = label.to_list()
        for r in sub_ids:
            new_label[index[r]] = sub_label[sub.entity_of[r]]
        label = pl.Series("c", new_label, dtype=pl.Int64)
        dec_list = dec.to_list()
        for k, d in zip(sub_pairs["k"].to_list(), sub.decisions, strict=True):
            dec_list[k] = d
        dec = pl.Series("decision", dec_list, dtype=pl.String)
    linked = p.filter(dec == "linked")
    model_linked = pl.concat(
        [linked["l"], linked["r"], pl.Series(sub_linked, dtype=pl.String)]
    ).unique()
    if same or not_same:
        judged = pl.DataFrame(
            {
                "l": [min(a, b) for a, b in [*same, *not_same]],
                "r": [max(a, b) for a, b in [*same, *not_same]],
                "j": ["judged_same"] * len(same) + ["judged_not_same"] * len(not_same),
            },
            schema={"l": pl.String, "r": pl.String, "j": pl.String},
        ).unique(["l", "r"], keep="last")  # a pair in both lists counts as "not same"
        pj = p.select(
            pl.min_horizontal("l", "r").alias("l"), pl.max_horizontal("l", "r").alias("r")
        ).join(judged, on=["l", "r"], how="left", maintain_order="left")
        dec = pl.select(pl.coalesce(pj["j"], dec).alias("decision"))["decision"]

    mem = ids.with_columns(label)
    sizes = mem.group_by("c").agg(pl.len().alias("size"), pl.col("rid").min().alias("smallest"))
    mem = mem.join(sizes, on="c", how="left", maintain_order="left")
    if previous:
        groups = mem.group_by("c").agg(pl.col("rid")).sort("c")
        clusters = [list(g) for g in groups["rid"].to_list()]
        entity_of = _name_entities(clusters, previous)
        eids = pl.Series("entity_id", [entity_of[r] for r in ids["rid"].to_list()])
        mem = mem.with_columns(eids)
    else:
        smallest = sizes["smallest"].to_list()
        names = pl.DataFrame(
            {"c": sizes["c"], "entity_id": [entity_id_for(s) for s in smallest]},
            schema={"c": pl.Int64, "entity_id": pl.String},
        )
        mem = mem.join(names, on="c", how="left", maintain_order="left")
    in_judged = sorted({x for pair in same for x in pair})
    assigned = (
        pl.when(pl.col("size") == 1)
        .then(pl.lit("singleton"))
        .when(pl.col("rid").is_in(in_judged) & ~pl.col("rid").is_in(model_linked.implode()))
        .then(pl.lit("judgement"))
        .otherwise(pl.lit("model"))
    )
    members = mem.select(
        pl.col("rid").alias("party_record_id"), "entity_id", assigned.alias("assigned_by")
    )
    return FrameClustering(members, dec.alias("decision"), conflicts)

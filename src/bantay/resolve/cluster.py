"""Clustering scored pairs into entities, honouring analysts' judgements.

Connected components at a threshold, computed by union-find over the pairs in descending order of
match probability, after the analysts' "same" judgements. A union that would put two records
judged "not same" into one entity is skipped: the entity splits at its weakest link(s) towards the
judged record, never at a link stronger than one that was kept. Without judgements the result is
exactly the connected components at the threshold.

Entity identifiers stay stable: a cluster takes the identifier of the previous entity that gives
it most of its records (ties: the one named after its smallest record, else the smaller); a new cluster is named after its smallest
record.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


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


class _UnionFind:
    def __init__(self, nodes: Iterable[str]) -> None:
        self.parent: dict[str, str] = {n: n for n in nodes}
        # only records named in "not same" judgements carry constraint sets
        self.members: dict[str, set[str]] = {}
        self.forbidden: dict[str, set[str]] = {}

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
        self.parent[rb] = ra
        if rb in self.members:
            self.members.setdefault(ra, set()).update(self.members.pop(rb))
            self.forbidden.setdefault(ra, set()).update(self.forbidden.pop(rb))
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
) -> Clustering:
    """Cluster ``records`` given scored pairs (parallel sequences) and judgements on record pairs.

    ``previous`` maps records to their entity before this run, to keep identifiers stable.
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

    decisions = ["below_threshold"] * len(pairs_l)
    order = sorted(
        (i for i, p in enumerate(probabilities) if p >= threshold),
        key=lambda i: -probabilities[i],
    )
    model_linked: set[str] = set()
    for i in order:
        a, b = pairs_l[i], pairs_r[i]
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
    return Clustering(entity_of, decisions, by_judgement, conflicts)


def _name_entities(clusters: list[list[str]], previous: Mapping[str, str]) -> dict[str, str]:
    # (-records from that entity, not the id its smallest record would give, entity id, cluster)
    claims: list[tuple[int, bool, str, int]] = []
    for ci, members in enumerate(clusters if previous else ()):
        counts = Counter(previous[m] for m in members if m in previous)
        own = entity_id_for(min(members)) if counts else ""
        for eid, n in counts.items():
            claims.append((-n, eid != own, eid, ci))
    claims.sort()
    named: dict[int, str] = {}
    taken: set[str] = set()
    for _, _, eid, ci in claims:
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

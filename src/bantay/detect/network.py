"""Network analysis on the payer–beneficiary graph (python-igraph).

The engine (DuckDB or Spark) reduces the transactions to one row per payer–beneficiary pair, and
the pairs to who shares whom (:func:`bantay.detect.features.build_copayment`: the self-joins that
grow with the square of a fan-in); the graph work below runs on the driver over those rows, which
are far fewer than the payments:

* co-payers: other unrelated payers of the same beneficiaries (shared beneficiaries);
* dens: beneficiaries linked by a shared phone or account, by shared unrelated payers, or by a
  shared city plus a shared unrelated payer; a den is a connected group of two or more;
* seeds: beneficiaries matching known facilitators (signals or ``--seeds FILE``), and payers
  matching payer signals (another institution's confirmed payers, shared: issue 20); personalised
  PageRank from them, and the shortest payment path from each entity to a seed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import igraph as ig
import numpy as np
import pandas as pd

from bantay.detect.catalogue import Catalogue
from bantay.detect.read_model import MIN_PHONE_DIGITS
from bantay.resolve.normalize import normalize_phone

SEED_TYPES = ("phone", "account", "wallet", "name_city", "entity")


@dataclass(frozen=True)
class Seed:
    identifier_type: str
    value: str
    source: str = "seeds"


@dataclass(frozen=True)
class Copayment:
    """What :func:`bantay.detect.features.build_copayment` computed on the engine."""

    copayers: pd.DataFrame  # payer_entity, n_copayers
    cobenefs: pd.DataFrame  # beneficiary_entity, n_cobenefs
    shared_payers: pd.DataFrame  # a, b, n (beneficiary pairs a < b)


@dataclass
class NetworkResult:
    payer: pd.DataFrame
    beneficiary: pd.DataFrame
    seeds: dict[str, list[str]] = field(default_factory=dict)  # entity -> matched seed values
    paths: dict[str, list[str]] = field(default_factory=dict)  # entity -> path to nearest seed
    #: payer entity -> the payer signals it matched (confirmed elsewhere and shared, issue 20)
    payer_seeds: dict[str, list[str]] = field(default_factory=dict)


#: phones also meet on their last digits: the national number, whatever trunk prefix (0) or
#: country code a record wrote it with (``0987 862 089`` and ``+66987862089``)
PHONE_TAIL_DIGITS = 9


def phone_tail_key(value: str) -> str:
    """A phone's last :data:`PHONE_TAIL_DIGITS` digits; ``""`` under
    :data:`~bantay.detect.read_model.MIN_PHONE_DIGITS` digits in all."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits[-PHONE_TAIL_DIGITS:] if len(digits) >= MIN_PHONE_DIGITS else ""


@lru_cache(maxsize=200_000)
def phone_e164(value: str, region: str = "") -> str:
    """A phone in E.164 (``+639171234567``) whatever its writing (``0917 123 4567``,
    ``63917…``, ``+63 917 …``), read in ``region`` (the beneficiary's country) where national;
    ``""`` when it cannot be read. Uses the resolver's normalisation."""
    return normalize_phone(value, region or None) or ""


def e164_column(ids: pd.DataFrame) -> pd.Series:
    """:func:`phone_e164` of each row's (phone, country), parsed once per distinct pair."""
    if ids.empty:
        return pd.Series([], index=ids.index, dtype=object)
    key = ids["phone"].astype(str) + "|" + ids["country"].astype(str)
    uniq = ids.assign(_k=key).drop_duplicates("_k")
    parsed = {
        k: phone_e164(str(p), str(c))
        for k, p, c in zip(uniq["_k"], uniq["phone"], uniq["country"], strict=True)
    }
    return key.map(parsed)


def _phone_match(ids: pd.DataFrame, value: str) -> pd.Series:
    """Rows whose phone is the seed's: equal in E.164 where both can be read; where the seed
    cannot be read as E.164 (national writing, no country), equal on the last nine digits."""
    e164 = ids["_e164"]
    seed = phone_e164(value)
    if seed:
        return (e164 == seed) | ((e164 == "") & (ids["_tail"] == phone_tail_key(seed)))
    key = phone_tail_key(value)
    return (ids["_tail"] == key) & (key != "")


def account_key(value: str) -> str:
    """An account or wallet id as the scan compares it: letters and digits, upper-cased."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def _text_key(value: str) -> str:
    out = "".join(ch if ch.isalpha() else " " for ch in value.lower())
    return " ".join(out.split())


def match_seeds(
    identifiers: pd.DataFrame,
    seeds: Iterable[Seed],
    e164: pd.Series | None = None,
    entity: str = "beneficiary_entity",
) -> dict[str, list[str]]:
    """Entities (column ``entity``: beneficiaries unless told) whose phone, account/wallet or name
    and city match a seed (``e164``: the identifiers' phones already read, see
    :func:`e164_column`)."""
    seeds = list(seeds)
    if not seeds:
        return {}
    ids = identifiers.fillna("")
    ids = ids.assign(
        _e164=e164_column(ids) if e164 is None else e164, _tail=ids["phone"].map(phone_tail_key)
    )
    account = ids["account"].map(account_key)
    name_city = ids["name"].map(_text_key) + "|" + ids["city"].map(_text_key)
    out: dict[str, list[str]] = {}
    for s in seeds:
        if s.identifier_type == "entity":
            hit = ids[entity] == s.value
        elif s.identifier_type == "phone":
            hit = _phone_match(ids, s.value)
        elif s.identifier_type in ("account", "wallet"):
            key = account_key(s.value)
            hit = (account == key) & (key != "")
        elif s.identifier_type == "name_city":
            name, _, city = s.value.partition("|")
            key = _text_key(name) + "|" + _text_key(city)
            hit = name_city == key
        else:
            continue
        for ent in ids.loc[hit, entity].unique():
            out.setdefault(str(ent), []).append(f"{s.identifier_type}:{s.value} ({s.source})")
    return out


def _components(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    index = {n: i for i, n in enumerate(nodes)}
    g = ig.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b in edges if a != b])
    return {nodes[i]: m for i, m in enumerate(g.connected_components().membership)}


def _den_edges(
    copay: Copayment, identifiers: pd.DataFrame, cat: Catalogue, e164: pd.Series | None = None
) -> list[tuple[str, str]]:
    n04 = cat.indicator("N04_den_membership")
    min_shared = int(n04.param("min_shared_payers"))
    loc_payers = int(n04.param("location_needs_payer"))
    edges: list[tuple[str, str]] = []
    ids = identifiers.fillna("")
    e164 = e164_column(ids) if e164 is None else e164
    tail = ids["phone"].map(phone_tail_key)
    phone_keys = e164.where(e164 != "", ("tail:" + tail).where(tail != "", ""))
    for col, key in (("phone", None), ("account", account_key)):
        k = phone_keys if key is None else ids[col].map(key)
        # every beneficiary sharing a key is linked to the first (by name) of those holding it
        members = (
            ids.assign(_k=k)[k != ""][["_k", "beneficiary_entity"]]
            .drop_duplicates()
            .sort_values(["_k", "beneficiary_entity"], kind="mergesort")
        )
        first = members.groupby("_k", sort=False)["beneficiary_entity"].transform("first")
        linked = members["beneficiary_entity"] != first
        edges += list(
            zip(
                first[linked].astype(str),
                members.loc[linked, "beneficiary_entity"].astype(str),
                strict=True,
            )
        )
    shared = copay.shared_payers
    # beneficiaries sharing enough unrelated payers; or fewer payers and a city
    strong = shared[shared["n"] >= min_shared]
    weak = shared[(shared["n"] >= loc_payers) & (shared["n"] < min_shared)]
    cities = ids["city"].map(_text_key)
    city = (
        ids.assign(_c=cities + "|" + ids["country"])[cities != ""][["beneficiary_entity", "_c"]]
        .drop_duplicates()
        .rename(columns={"beneficiary_entity": "a"})
    )
    same_city = weak.merge(city, on="a").merge(city.rename(columns={"a": "b"}), on=["b", "_c"])[
        ["a", "b"]
    ]
    both_kinds = pd.concat([strong[["a", "b"]], same_city]).drop_duplicates()
    edges += [(str(a), str(b)) for a, b in zip(both_kinds["a"], both_kinds["b"], strict=True)]
    return edges


def analyse(
    pairs: pd.DataFrame,
    identifiers: pd.DataFrame,
    payers: pd.Series,
    beneficiaries: pd.Series,
    cat: Catalogue,
    copay: Copayment,
    seeds: Iterable[Seed] = (),
    payer_seeds: dict[str, list[str]] | None = None,
) -> NetworkResult:
    """Network features for every payer and beneficiary entity. The engine has already reduced
    the pairs to who shares whom (``copay``); the graph work here (dens as connected components,
    personalised PageRank and paths from seeds) runs on the driver over pair rows."""
    unrel = pairs[(~pairs["related"].astype(bool)) & pairs["hr"].astype(bool)]

    # shared beneficiaries (computed on the engine): other unrelated payers of the same
    # beneficiaries, other beneficiaries of the same unrelated payers
    n_copayers = copay.copayers.set_index("payer_entity")["n_copayers"]
    n_cobenefs = copay.cobenefs.set_index("beneficiary_entity")["n_cobenefs"]

    # dens
    bnodes = sorted(set(beneficiaries.astype(str)))
    # phones read once (E.164) for dens and seeds alike
    e164 = e164_column(identifiers.fillna(""))
    comp = _components(bnodes, _den_edges(copay, identifiers, cat, e164))
    comp_s = pd.Series(comp, dtype="int64")
    sizes = comp_s.map(comp_s.value_counts())
    den_size = sizes.where(sizes >= 2, 0)
    # a den is named after its first member (nodes are sorted, so the first one met)
    den_first = comp_s.reset_index().drop_duplicates(0).set_index(0)["index"]
    den_id = comp_s.map(den_first).where(den_size >= 2, "")
    den_payers = (
        unrel.assign(_den=unrel["beneficiary_entity"].map(den_id))
        .query("_den != ''")
        .groupby("_den")["payer_entity"]
        .nunique()
    )
    payer_den = (
        unrel.assign(_size=unrel["beneficiary_entity"].map(den_size).fillna(0))
        .groupby("payer_entity")["_size"]
        .max()
    )
    payer_den_benefs = (
        unrel.assign(_in=unrel["beneficiary_entity"].map(den_size).fillna(0) >= 2)
        .groupby("payer_entity")["_in"]
        .sum()
    )

    # seeds, personalised PageRank and paths
    seed_hits = match_seeds(identifiers, seeds, e164)
    pnodes = sorted(set(payers.astype(str)))
    nodes = [f"p:{p}" for p in pnodes] + [f"b:{b}" for b in bnodes]
    index = {n: i for i, n in enumerate(nodes)}
    e = pairs[["payer_entity", "beneficiary_entity", "n"]]
    g = ig.Graph(
        n=len(nodes),
        edges=[
            (index[f"p:{p}"], index[f"b:{b}"])
            for p, b in zip(e.payer_entity, e.beneficiary_entity, strict=True)
        ],
    )
    weights = np.log1p(e["n"].to_numpy(dtype=float)).tolist()
    rank = np.zeros(len(nodes))
    hops = np.full(len(nodes), -1)
    paths: dict[str, list[str]] = {}
    payer_seeds = payer_seeds or {}
    seed_ids = [index[f"b:{b}"] for b in seed_hits if f"b:{b}" in index]
    # payers another institution confirmed (shared payer signals) seed the walk as well
    seed_ids += [index[f"p:{p}"] for p in sorted(payer_seeds) if f"p:{p}" in index]
    if seed_ids and g.ecount():
        damping = float(cat.indicator("N05_seed_proximity").param("damping"))
        pr = np.asarray(
            g.personalized_pagerank(
                reset_vertices=seed_ids, damping=damping, weights=weights, directed=False
            )
        )
        direct = sorted({n for s in seed_ids for n in g.neighbors(s)})
        ref = float(np.median(pr[direct])) if direct else float(pr[seed_ids].mean())
        rank = pr / ref if ref > 0 else pr
        # shortest paths from the seed set, through a virtual root joined to every seed
        root = g.vcount()
        g2 = g.copy()
        g2.add_vertices(1)
        g2.add_edges([(root, s) for s in seed_ids])
        order, _layers, parents = g2.bfs(root)
        depth = {root: 0}
        for v in order:
            if v != root:
                depth[v] = depth[parents[v]] + 1
        for v, d in depth.items():
            if v == root:
                continue
            hops[v] = d - 1
            path, cur = [], v
            while cur != root:
                path.append(nodes[cur])
                cur = parents[cur]
            paths[nodes[v]] = path

    def node_vals(prefix: str, keys: list[str], arr: np.ndarray) -> pd.Series:
        return pd.Series([arr[index[f"{prefix}:{k}"]] for k in keys], index=keys)

    payer = pd.DataFrame(index=pd.Index(pnodes, name="payer_entity"))
    payer["n_copayers"] = n_copayers.reindex(payer.index).fillna(0).astype("int64")
    payer["den_size"] = payer_den.reindex(payer.index).fillna(0).astype("int64")
    payer["n_den_benefs"] = payer_den_benefs.reindex(payer.index).fillna(0).astype("int64")
    payer["seed_rank"] = node_vals("p", pnodes, rank).round(6)
    payer["seed_hops"] = node_vals("p", pnodes, hops).astype("int64")

    benef = pd.DataFrame(index=pd.Index(bnodes, name="beneficiary_entity"))
    benef["n_cobenefs"] = n_cobenefs.reindex(benef.index).fillna(0).astype("int64")
    benef["den_size"] = den_size.reindex(benef.index).fillna(0).astype("int64")
    benef["den_id"] = den_id.reindex(benef.index).fillna("")
    benef["den_payers"] = benef["den_id"].map(den_payers).fillna(0).astype("int64")
    benef["seed_rank"] = node_vals("b", bnodes, rank).round(6)
    benef["seed_hops"] = node_vals("b", bnodes, hops).astype("int64")
    benef["is_seed"] = benef.index.isin(list(seed_hits)).astype("int64")
    return NetworkResult(
        payer=payer.reset_index(),
        beneficiary=benef.reset_index(),
        seeds=seed_hits,
        payer_seeds={p: v for p, v in payer_seeds.items() if f"p:{p}" in index},
        paths=paths,
    )

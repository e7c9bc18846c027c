"""Generate an independent synthetic payment world for evaluating Bantay.

    python bench/independent_world/generate.py --out DIR --seed N [--senders 40000]
        [--months 12] [--profile baseline|evasive]

Writes six institutions' exports with their KYC files and mapping files, a rates file and
``DIR/manifest.json`` (load it with ``bantay ingest --manifest DIR/manifest.json``), and the hidden
truth in ``DIR/truth/`` (never listed in the manifest). See README.md in this folder for the
populations, their sources and the export formats. This generator shares no code or parameters
with Bantay's own simulator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import flows
import geo
import names
import params as params_mod
import populations as pops
import timing as tm
from exports import WorldWriter
from people import People

POPULATION_SHARES = (
    "offender",
    "family",
    "partner",
    "sponsor",
    "freelance",
    "one_off",
    "traveller",
    "romance",
)


def population_counts(p: params_mod.Params, n_senders: int) -> dict[str, int]:
    """Senders per population from the drawn shares; domestic customers are the rest."""
    counts = {k: round(p[f"share_{k}"] * n_senders) for k in POPULATION_SHARES}
    counts["offender"] = max(counts["offender"], 5)
    counts["domestic"] = n_senders - sum(counts.values())
    if counts["domestic"] < 0:
        raise ValueError("population shares exceed the number of senders")
    return counts


def generate(out: Path, seed: int, n_senders: int, months: int, profile: str) -> dict[str, object]:
    """Build and write one world; returns a summary."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    p = params_mod.draw(rng, profile, seed)
    y, m = 2024 + int(p["start_month"]) // 12, 1 + int(p["start_month"]) % 12
    cal = tm.Calendar(dt.date(y, m, 1), months)
    sampler = names.NameSampler(rng, {"PH": p["name_zipf_ph"], "default": p["name_zipf_default"]})
    ppl = People(rng, sampler, cal.start)
    ctx = pops.Context(rng=rng, p=p, cal=cal, people=ppl, links=pops.LinkTable(cal.n_days))
    counts = population_counts(p, n_senders)
    pops.build_offenders(ctx, counts["offender"])
    pops.build_family(ctx, counts["family"])
    pops.build_partners(ctx, counts["partner"])
    pops.build_sponsors(ctx, counts["sponsor"])
    pops.build_freelance(ctx, counts["freelance"])
    pops.build_one_off(ctx, counts["one_off"])
    pops.build_travellers(ctx, counts["traveller"])
    pops.build_romance(ctx, counts["romance"])
    pops.build_domestic(ctx, counts["domestic"])
    pops.build_domestic_banking(ctx)
    pops.build_merchants(ctx)
    pops.build_card_links(ctx)
    t_world = time.perf_counter()
    links = ctx.links.finish()
    rates = geo.daily_rates(rng, cal.start, cal.n_days, p["fx_daily_vol"], pad=flows.RATE_PAD)
    events = flows.all_events(ctx, links, rates)
    t_events = time.perf_counter()
    writer = WorldWriter(ctx, events, rates, out)
    writer.write_all()
    t_write = time.perf_counter()
    summary: dict[str, object] = {
        "window": {"start": cal.start.isoformat(), "months": months, "days": cal.n_days},
        "senders": n_senders,
        "sender_counts": counts,
        "people": ppl.n,
        "dens": len(ctx.dens),
        "transactions": len(events["ts"]),
        "planted_bad_rows": writer.planted,
        "seconds": {
            "world": round(t_world - t0, 2),
            "events": round(t_events - t_world, 2),
            "write": round(t_write - t_events, 2),
        },
    }
    p.to_json(out / "truth" / "parameters.json", summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--seed", type=int, required=True, help="random seed (one world per seed)")
    ap.add_argument("--senders", type=int, default=40_000, help="number of paying customers")
    ap.add_argument("--months", type=int, default=12, help="length of the window in months")
    ap.add_argument("--profile", choices=["baseline", "evasive"], default="baseline")
    a = ap.parse_args(argv)
    t = time.perf_counter()
    s = generate(a.out, a.seed, a.senders, a.months, a.profile)
    print(
        f"world written to {a.out}: {s['transactions']:,} transactions, {s['people']:,} people, {s['dens']} dens, in {time.perf_counter() - t:.1f} s"
    )
    print(f"  senders by population: {s['sender_counts']}")
    print(f"  planted bad rows: {s['planted_bad_rows']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

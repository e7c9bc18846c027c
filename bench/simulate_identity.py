"""Identity hazards (issue 15 part 5), measured on each profile's world beside the same world with
every hazard switched off, built in the same run: how often a name, or a record's identifiers,
cannot tell recipients apart (``bantay.simulate.calibration.identity_shares``).

    nice python bench/simulate_identity.py [--senders 2000] [--months 3] [--seed 1]
                                           [--profiles baseline evasive namesakes]

The worlds of one seed pay the same people the same amounts at the same times: the hazards change
only names and identifiers.
"""

from __future__ import annotations

import argparse
import math
import time

from bantay.simulate.calibration import identity_shares
from bantay.simulate.profiles import Profile, load_profile, parse_profile
from bantay.simulate.world import Config, build_world

OFF = "assumption"
ROWS = (
    ("recipients", "recipients (paid at least once)", "{:,.0f}"),
    ("same_name", "share sharing given + family name with another", "{:.1%}"),
    ("same_name_city", "  ... in the same city too", "{:.1%}"),
    ("largest_same_name", "most recipients under one full name", "{:.0f}"),
    ("name_only", "share with neither phone nor account on any tx", "{:.1%}"),
    ("phones_compared", "recipients with a phone at 2+ institutions", "{:.0f}"),
    ("phone_differs", "  ... share with another number at one of them", "{:.1%}"),
    ("named_after_relative", "family recipients named after a relative", "{:.1%}"),
    ("same_payer", "  ... share paid by the relative's sender", "{:.1%}"),
)
DRAWN = (
    ("population", "name_pool_density"),
    ("population", "cash_pickup_name_only_share"),
    ("population", "phone_per_institution_share"),
    ("family", "same_name_relative_share"),
)


def hazards_off() -> Profile:
    """The baseline with every identity hazard at 0 (uniform name pools)."""
    reason = {"source": OFF, "reason": "hazards switched off for comparison"}
    params: dict[str, dict[str, object]] = {}
    for section, name in DRAWN:
        params.setdefault(section, {})[name] = {"value": 0, **reason}
    return parse_profile(
        {"name": "hazards-off", "extends": "baseline", "parameters": params}, "hazards-off"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--senders", type=int, default=2000)
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profiles", nargs="+", default=["baseline", "evasive", "namesakes"])
    a = ap.parse_args()
    cfg = Config(senders=a.senders, months=a.months, seed=a.seed)
    columns: list[tuple[str, dict[str, float], Profile]] = []
    for name, prof in [("hazards off", hazards_off())] + [(p, load_profile(p)) for p in a.profiles]:
        t = time.perf_counter()
        world = build_world(cfg, prof)
        shares = identity_shares(world)
        print(f"{name}: built and measured in {time.perf_counter() - t:.1f} s")
        columns.append((name, shares, world.profile))
    print(f"\n{a.senders:,} senders, {a.months} months, seed {a.seed}")
    print(f"{'statistic':<50}" + "".join(f"{n:>14}" for n, _, _ in columns))
    for key, label, fmt in ROWS:
        cells = ["-" if math.isnan(s[key]) else fmt.format(s[key]) for _, s, _ in columns]
        print(f"{label:<50}" + "".join(f"{c:>14}" for c in cells))
    print("\nparameters as drawn for this seed")
    for section, pname in DRAWN:
        values = [getattr(getattr(p.parameters, section), pname).value for _, _, p in columns]
        print(f"{section + '.' + pname:<50}" + "".join(f"{v:>14}" for v in values))


if __name__ == "__main__":
    main()

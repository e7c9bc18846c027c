"""Charts as inline SVG, rendered on the server: no JavaScript library and no network needed.

Each function returns markup with every text value escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any
from urllib.parse import quote

PAYER = "#2b6cb0"
BENEF = "#c05621"
SEED = "#c53030"


def _fmt(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:.1f}M"
    if v >= 1_000:
        return f"{v / 1_000:.1f}k"
    return f"{v:.0f}"


def money_chart(weeks: list[dict[str, Any]], currency: str, width: int = 760) -> str:
    """Weekly amount (bars) and number of payments (line): a rise in either shows escalation."""
    h, pad_l, pad_r, pad_t, pad_b = 220, 56, 44, 16, 40
    if not weeks:
        return '<svg class="chart money" role="img" width="200" height="30"><text x="0" y="20">no payments</text></svg>'
    n = len(weeks)
    iw, ih = width - pad_l - pad_r, h - pad_t - pad_b
    amax = max(w["amount"] for w in weeks) or 1.0
    cmax = max(w["n"] for w in weeks) or 1
    bw = iw / n
    out = [
        f'<svg class="chart money" id="money-chart" role="img" viewBox="0 0 {width} {h}" '
        f'width="{width}" height="{h}" aria-label="Weekly amount and payment count">',
        f'<line x1="{pad_l}" y1="{pad_t + ih}" x2="{pad_l + iw}" y2="{pad_t + ih}" stroke="#999"/>',
    ]
    for k in range(5):
        v = amax * k / 4
        y = pad_t + ih - ih * k / 4
        out.append(
            f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_fmt(v)}</text>'
            f'<line x1="{pad_l}" x2="{pad_l + iw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
        )
        c = cmax * k / 4
        out.append(f'<text x="{pad_l + iw + 6}" y="{y + 4:.1f}" class="tick">{c:.0f}</text>')
    pts = []
    for i, w in enumerate(weeks):
        x = pad_l + i * bw
        bh = ih * w["amount"] / amax
        out.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{pad_t + ih - bh:.1f}" width="{max(bw - 2, 1):.1f}" '
            f'height="{bh:.1f}" fill="#90cdf4"><title>week of {escape(w["week"])}: '
            f"{w['amount']:,.2f} {escape(currency)} in {w['n']} payments</title></rect>"
        )
        pts.append(f"{x + bw / 2:.1f},{pad_t + ih - ih * w['n'] / cmax:.1f}")
    out.append(
        f'<polyline class="count" points="{" ".join(pts)}" fill="none" stroke="#2c5282" '
        'stroke-width="2"/>'
    )
    step = max(1, n // 8)
    for i in range(0, n, step):
        x = pad_l + i * bw + bw / 2
        out.append(
            f'<text x="{x:.1f}" y="{h - 22}" text-anchor="middle" class="tick">'
            f"{escape(weeks[i]['week'][:7])}</text>"
        )
    out.append(
        f'<text x="{pad_l}" y="{h - 4}" class="legend">bars: amount per week ({escape(currency)}, '
        "left axis) · line: payments per week (right axis)</text></svg>"
    )
    return "".join(out)


def heatmap(matrix: list[list[int]], weekdays: list[str], local_known: bool) -> str:
    """Payments by weekday (rows) and hour of day (columns) in the payer's local time."""
    cell, left, top = 24, 40, 20
    width, height = left + 24 * cell + 10, top + 7 * cell + 44
    vmax = max((max(r) for r in matrix), default=0) or 1

    def shade(v: float) -> float:
        return 0.06 + 0.94 * (v / vmax) if v else 0.0

    out = [
        f'<svg class="chart heatmap" id="heatmap" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="Payments by hour and weekday">'
    ]
    for hr in range(0, 24, 3):
        out.append(
            f'<text x="{left + hr * cell + cell / 2}" y="{top - 6}" text-anchor="middle" '
            f'class="tick">{hr:02d}</text>'
        )
    for d, row in enumerate(matrix):
        y = top + d * cell
        out.append(
            f'<text x="{left - 6}" y="{y + 16}" text-anchor="end" class="tick">{weekdays[d]}</text>'
        )
        for hr, v in enumerate(row):
            out.append(
                f'<rect class="cell" x="{left + hr * cell}" y="{y}" width="{cell - 2}" '
                f'height="{cell - 2}" fill="rgba(44,82,130,{shade(v):.2f})" stroke="#eee">'
                f"<title>{weekdays[d]} {hr:02d}:00: {v} payments</title></rect>"
            )
    # the colour scale: what a shade means, from none to the busiest hour
    y = top + 7 * cell + 4
    steps = sorted({0, *(round(vmax * k / 4) for k in range(1, 5))})
    x = left
    out.append(f'<g class="scale" id="heatmap-scale"><text x="{x}" y="{y + 11}" class="legend">')
    out.append("payments per hour:</text>")
    x += 110
    for v in steps:
        out.append(
            f'<rect class="swatch" x="{x}" y="{y}" width="14" height="14" '
            f'fill="rgba(44,82,130,{shade(v):.2f})" stroke="#ccc"><title>{v} payments</title>'
            f'</rect><text x="{x + 18}" y="{y + 11}" class="legend">{v}</text>'
        )
        x += 24 + 7 * len(str(v))
    out.append("</g>")
    note = "payer's local time" if local_known else "local time where known, else UTC"
    out.append(f'<text x="{left}" y="{height - 4}" class="legend">{note}</text></svg>')
    return "".join(out)


def _href(side: str, entity_id: str) -> str:
    return f"/entities/{side}/{quote(entity_id, safe='')}"


def network(graph: dict[str, Any], center: str, size: int = 640, links: bool = True) -> str:
    """The entity at the centre, its counterparties around it, their other counterparties outside.

    Seeds (known facilitators) have a red ring, alerted entities a thick outline, den members share a
    dashed ring; every node links to its entity page (unless ``links`` is false: a picture for a
    file read outside the app); hovering highlights its payments (graph.js).
    """
    nodes = graph["nodes"]
    edges = graph["edges"]
    outer = max((int(n["ring"]) for n in nodes), default=0)
    size += 240 * max(outer - 2, 0)  # a widened network (rings 3 and 4) needs more room
    cx = cy = size / 2
    pos: dict[str, tuple[float, float]] = {}
    ring1 = [n for n in nodes if n["ring"] == 1]
    for n in nodes:
        if n["ring"] == 0:
            pos[n["entity_id"]] = (cx, cy)
    for i, n in enumerate(ring1):
        a = 2 * math.pi * i / max(len(ring1), 1) - math.pi / 2
        pos[n["entity_id"]] = (cx + 150 * math.cos(a), cy + 150 * math.sin(a))
    # place each outer node near the first node of the ring inside it that it is linked to
    for ring in range(2, outer + 1):
        members = [n for n in nodes if n["ring"] == ring]
        ids = {n["entity_id"] for n in members}
        parent: dict[str, str] = {}
        for e in edges:
            for a_, b_ in ((e["payer"], e["beneficiary"]), (e["beneficiary"], e["payer"])):
                if a_ in ids and b_ in pos and a_ not in parent:
                    parent[a_] = b_
        placed: dict[str, int] = {}
        for n in members:
            up = parent.get(n["entity_id"], "")
            px, py = pos.get(up, (cx, cy + 1))
            base = math.atan2(py - cy, px - cx)
            k = placed.get(up, 0)
            placed[up] = k + 1
            a = base + (k - 1) * 0.22 / (ring - 1)
            r = 150 + 120 * (ring - 1) - (k % 2) * 22
            pos[n["entity_id"]] = (cx + r * math.cos(a), cy + r * math.sin(a))
    out = [
        f'<svg class="chart network" id="network-graph" role="img" viewBox="0 0 {size} {size}" '
        f'width="{size}" height="{size}" aria-label="Payment network">'
    ]
    amax = max((e["amount"] for e in edges), default=1.0) or 1.0
    drawn = [e for e in edges if e["payer"] in pos and e["beneficiary"] in pos]
    # how many payers each drawn beneficiary has in the picture (shared: more than one)
    payers_of: dict[str, set[str]] = {}
    for e in drawn:
        payers_of.setdefault(e["beneficiary"], set()).add(e["payer"])
    labels: list[str] = []
    for e in drawn:
        (x1, y1), (x2, y2) = pos[e["payer"]], pos[e["beneficiary"]]
        w = 1 + 4 * e["amount"] / amax
        words = f"{e['n']} payment{'s' if e['n'] != 1 else ''}, {e['amount']:,.2f}"
        out.append(
            f'<line class="edge" data-a="{escape(e["payer"])}" data-b="{escape(e["beneficiary"])}" '
            f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#a0aec0" '
            f'stroke-width="{w:.1f}"><title>{words}</title></line>'
        )
        # the amount and count on the edge itself (drawn after the lines, under the nodes)
        labels.append(
            f'<text class="elabel" x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 - 2:.1f}" '
            f'text-anchor="middle" data-a="{escape(e["payer"])}" '
            f'data-b="{escape(e["beneficiary"])}">{e["n"]}× {e["amount"]:,.0f}</text>'
        )
    out += labels
    for n in nodes:
        x, y = pos[n["entity_id"]]
        r = 16 if n["ring"] == 0 else 11
        fill = PAYER if n["side"] == "payer" else BENEF
        stroke = SEED if n["seed"] else ("#1a202c" if n["alerted"] else "#fff")
        sw = 4 if n["seed"] or n["alerted"] else 1.5
        label = n["name"] or n["entity_id"]
        tip = f"{n['side']} {n['entity_id']} {n['name']}"
        if n["score"] is not None:
            tip += f" · score {n['score']:.2f}"
        if n["den_id"]:
            tip += f" · den {n['den_id']} ({n['den_size']})"
        if n["seed"]:
            tip += " · SEED (known facilitator)"
        if n["alerted"]:
            tip += " · ALERTED"
        shared = len(payers_of.get(n["entity_id"], ()))
        if n["side"] == "beneficiary" and shared > 1:
            tip += f" · shared by {shared} payers drawn here"
        if links:
            out.append(f'<a href="{_href(n["side"], n["entity_id"])}" class="node-link">')
        out.append(
            f'<g class="node{" center" if n["entity_id"] == center else ""}" '
            f'data-id="{escape(n["entity_id"])}">'
        )
        if n["den_id"]:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r + 6}" fill="none" stroke="#805ad5" '
                'stroke-dasharray="3 2"/>'
            )
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{sw}"><title>{escape(tip)}</title></circle>'
            + (
                f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" class="shared">'
                f"{shared}</text>"
                if n["side"] == "beneficiary" and shared > 1
                else ""
            )
            + f'<text x="{x:.1f}" y="{y + r + 12:.1f}" text-anchor="middle" class="nlabel">'
            f"{escape(label[:18])}{' (seed)' if n['seed'] else ''}</text></g>"
            f"{'</a>' if links else ''}"
        )
    out.append(
        f'<text x="8" y="{size - 36}" class="legend">blue: payers · orange: beneficiaries (the '
        "number inside: payers drawn who share it)</text>"
        f'<text x="8" y="{size - 22}" class="legend">red ring: seed (known facilitator) · '
        "dark ring: alerted · dashed: den member</text>"
        f'<text x="8" y="{size - 8}" class="legend">on each edge: payments × total'
        f"{' · click a node to open it' if links else ''}</text></svg>"
    )
    return "".join(out)

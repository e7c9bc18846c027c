"""Reasons in words: every feature described, every cited source in the bibliography, grammar."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bantay.cli import app
from bantay.detect.catalogue import default_catalogue
from bantay.detect.words import (
    indicator_sentence,
    lowered,
    plural,
    render_sources,
    sources,
    summary_line,
    undescribed,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_model_feature_is_described() -> None:
    assert undescribed() == []


def test_every_cited_source_is_in_the_bibliography() -> None:
    cat = default_catalogue()
    cited = {s.id for i in cat.indicators for s in i.sources}
    cited |= {s.id for p in cat.protections for s in p.sources}
    assert cited <= set(sources())
    for s in sources().values():
        assert s.title and s.publisher and s.date and s.urls, s.id
        assert all(u.startswith(("https://", "http://")) for u in s.urls), s.id
    # ids quoted anywhere in the package's data and templates are listed too
    quoted: set[str] = set()
    for p in (ROOT / "src" / "bantay").rglob("*"):
        if p.suffix in (".yaml", ".html", ".toml") and p.name != "sources.yaml":
            quoted |= set(re.findall(r"\bS\d+a?\b", p.read_text(encoding="utf-8")))
    assert quoted <= set(sources())


def test_sources_doc_is_current() -> None:
    assert (ROOT / "docs" / "sources.md").read_text(encoding="utf-8") == render_sources(), (
        "docs/sources.md is stale: run `bantay indicators --sources --out docs/sources.md`"
    )


def test_grammar() -> None:
    assert plural(0, "hop") == "0 hops" and plural(1, "hop") == "1 hop"
    assert plural(2, "beneficiary") == "2 beneficiaries" and plural(2, "day") == "2 days"
    net = {"seed_hops": 1, "den_size": 0}
    assert "1 payment link from a known facilitator" in summary_line(
        {"indicators": [], "network": net, "model": []}
    )
    assert "hops" not in summary_line({"indicators": [], "network": {"seed_hops": 1}})


def test_reasons_read_as_words() -> None:
    i = {
        "id": "N05_seed_proximity",
        "title": "Proximity to known facilitators",
        "value": 0.461089,
        "threshold": 0.2,
        "unit": "",
        "band": "weak",
        "sources": [{"id": "S1"}, {"id": "S11"}],
    }
    text = indicator_sentence(i, 3)
    assert text == (
        "Proximity to known facilitators: 0.461, where it fires from 0.2 (weak); "
        "3 payments behind it; sources S1, S11"
    )
    assert "≥" not in summary_line({"indicators": [i], "network": {}})
    reasons = {
        "model": [
            {"feature": "rel_surname", "value": 2.0, "contribution": -1.5},
            {"feature": "n_lowval_sea", "value": 24.0, "contribution": 0.4},
        ],
        "family": {
            "evidence": [
                {
                    "id": "F01",
                    "title": "Shared surname",
                    "beneficiaries": 2,
                    "of_high_risk_beneficiaries": 3,
                }
            ],
            "rule_score_reduction": 1.0,
        },
    }
    down = lowered("payer", reasons)
    assert down[0].startswith("high-risk beneficiaries sharing the payer's surname (F01): 2")
    assert "lowered the score (-1.50 log-odds)" in down[0]
    assert "Shared surname: 2 beneficiaries of 3 in high-risk countries" in down
    assert not any("n_lowval_sea" in d for d in down)


def test_alerts_refuses_an_unknown_side(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["alerts", "-w", str(tmp_path), "--side", "payers"])
    assert r.exit_code != 0
    assert "use payer or beneficiary" in str(r.exception)

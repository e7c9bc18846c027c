"""A synthetic workspace for the case workflow's and web app's tests and benchmark, generated directly in SQL.

No pipeline runs: rows are written straight into the analytics tables (alerts, scores, entities,
members, party records, indicator hits, network scores, transactions), so a million alerts take
seconds. Names are drawn from short neutral lists; everything is synthetic.
"""

from __future__ import annotations

import json
from pathlib import Path

from bantay.workspace import init_workspace

GIVEN = ["Anna", "Ben", "Carlos", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Joy"]
FAMILY = ["Reyes", "Smith", "Garcia", "Cruz", "Miller", "Santos", "Brown", "Lopez"]
INSTITUTIONS = ["harbour_bank", "maple_bank", "quicksend", "pesopal", "cashbridge"]
PAYER_COUNTRIES = ["AU", "GB", "US", "DE", "CA"]
INDICATORS = [
    "P01_low_value_sea",
    "P02_many_to_high_risk",
    "P05_escalation",
    "B01_common_beneficiary",
]


def _reasons(side: str = "payer") -> str:
    network: dict[str, object] = {
        "den_size": 3,
        "seed_hops": 2,
        "seed_rank": 1.5,
        "path_to_seed": [],
    }
    if side == "beneficiary":  # the payers whose scores weighed on it (detect.scan)
        network["scored_payers"] = [{"payer_entity": "E000000000000", "score": 0.91}]
        network["score_without_payers"] = 0.42
    return json.dumps(
        {
            "indicators": [
                {
                    "id": "P01_low_value_sea",
                    "title": "Low-value payments to South-East Asia",
                    "value": 12.0,
                    "threshold": 5.0,
                    "unit": "payments",
                    "band": "high",
                    "score": 2.0,
                    "sources": [{"id": "austrac-2019", "wording": "", "text": "synthetic"}],
                }
            ],
            "network": network,
            "model": [{"feature": "n_unrel_payments", "value": 12.0, "contribution": 1.2}],
            "family": {"evidence": [], "rule_score_reduction": 0.0, "model_contribution": 0.0},
        }
    )


def build(path: Path, n_alerts: int = 200, big_entity_tx: int = 500, seed: int = 1) -> Path:
    """Create a workspace at ``path``: ``n_alerts`` alerted entities (even: payers, odd:
    beneficiaries) and payer ``E000000000000`` with ``big_entity_tx`` payments to 20 beneficiaries
    that also receive from 40 other payers. Returns the path."""
    ws = init_workspace(Path(path))
    con = ws.con
    con.execute(f"SELECT setseed({(seed % 100) / 100})")
    n_ent = max(n_alerts, 100)
    g, f, i, pc = (repr(x) for x in (GIVEN, FAMILY, INSTITUTIONS, PAYER_COUNTRIES))
    scan = "S-synthetic"
    con.execute("BEGIN TRANSACTION")
    con.execute(
        f"""CREATE TEMP TABLE ent AS
        SELECT i, printf('E%012x', i) AS entity_id,
               CASE WHEN i % 2 = 0 THEN 'payer' ELSE 'beneficiary' END AS side,
               ({g}::VARCHAR[])[1 + (i * 7) % 10] || ' ' || ({f}::VARCHAR[])[1 + (i * 3) % 8] AS name,
               ({i}::VARCHAR[])[1 + i % 5] AS institution,
               CASE WHEN i % 2 = 0 THEN ({pc}::VARCHAR[])[1 + (i // 2) % 5] ELSE 'PH' END
                   AS country
        FROM range({n_ent}) t(i)"""
    )
    con.execute(
        """INSERT INTO entities SELECT entity_id, 1, name,
               CASE WHEN side = 'payer' THEN 'customer' ELSE 'beneficiary_side' END,
               institution, institution || ':R' || i, 'synthetic.csv:' || (i + 2), 'R-synthetic'
           FROM ent"""
    )
    con.execute(
        """INSERT INTO party_records (party_record_id, kind, institution, customer_ref, name,
               residence_country, account_id, ingest_id, source, file, line)
           SELECT institution || ':R' || i,
                  CASE WHEN side = 'payer' THEN 'customer' ELSE 'beneficiary_side' END,
                  institution, 'R' || i, name, country, 'ACC' || i, 'I-synthetic', 'synthetic',
                  'synthetic.csv', i + 2
           FROM ent"""
    )
    con.execute(
        """INSERT INTO entity_members SELECT institution || ':R' || i, entity_id, 'singleton',
               'R-synthetic' FROM ent"""
    )
    con.execute(
        f"""CREATE TEMP TABLE al AS
            SELECT e.*, round(0.3 + 0.7 * random(), 5) AS score FROM ent e WHERE i < {n_alerts}"""
    )
    con.execute(
        """INSERT INTO alerts SELECT ?, substr(md5(entity_id), 1, 12), side, entity_id,
               row_number() OVER (ORDER BY score DESC), score,
               'P01_low_value_sea 12≥5; den of 3',
               CASE WHEN side = 'beneficiary' THEN ? ELSE ? END
           FROM al""",
        [scan, _reasons("beneficiary"), _reasons("payer")],
    )
    con.execute(
        """INSERT INTO scores SELECT ?, side, entity_id, score, 2.0, 0.0,
               row_number() OVER (PARTITION BY side ORDER BY score DESC), 1, 10 FROM al""",
        [scan],
    )
    con.execute(
        f"""INSERT INTO indicator_hits
            SELECT ?, side, entity_id, ({INDICATORS!r}::VARCHAR[])[1 + i % 4], 12.0, 5.0,
                   'high', 2.0, NULL, 'austrac-2019' FROM al""",
        [scan],
    )
    con.execute(
        """INSERT INTO network_scores SELECT ?, side, entity_id,
               CASE WHEN side = 'beneficiary' AND i < 40 THEN 'D' || (i % 3) ELSE NULL END,
               CASE WHEN i < 40 THEN 3 ELSE 0 END, 0, 0.5,
               CASE WHEN i = 1 THEN 0 WHEN i < 40 THEN 1 ELSE -1 END, NULL,
               CASE WHEN i = 1 THEN 'signal:S1' ELSE NULL END
           FROM ent WHERE i < 100""",
        [scan],
    )
    # the big payer: escalating payments to beneficiaries 1, 3, ..., 39, at night in its local time
    con.execute(
        f"""INSERT INTO transactions (transaction_id, institution, ts_utc, local_time,
               utc_offset_minutes, amount, currency, amount_reporting, channel, payer_record_id,
               payer_name, payer_country, beneficiary_record_id, beneficiary_name,
               beneficiary_country, ingest_id, source, file, line)
            SELECT 'T' || k, 'harbour_bank',
                   TIMESTAMP '2024-01-01' + to_seconds(CAST(k * (180 * 86400 / {big_entity_tx}) AS BIGINT)),
                   TIMESTAMP '2024-01-01' + to_seconds(CAST(k * (180 * 86400 / {big_entity_tx}) AS BIGINT))
                       + INTERVAL 10 HOUR,
                   600, 10 + 40 * k / {big_entity_tx} + (k % 7), 'AUD',
                   (10 + 40 * k / {big_entity_tx} + (k % 7)) * 0.65, 'online_remittance',
                   'harbour_bank:R0', 'Anna Reyes', 'AU',
                   ({i}::VARCHAR[])[1 + b % 5] || ':R' || b, 'Beneficiary ' || b, 'PH',
                   'I-synthetic', 'synthetic', 'synthetic.csv', k + 2
            FROM (SELECT k, 1 + 2 * (k % 20) AS b FROM range({big_entity_tx}) t(k))"""
    )
    # other payers (2, 4, ..., 80) of the same beneficiaries
    con.execute(
        f"""INSERT INTO transactions (transaction_id, institution, ts_utc, local_time,
               utc_offset_minutes, amount, currency, amount_reporting, channel, payer_record_id,
               payer_name, payer_country, beneficiary_record_id, beneficiary_name,
               beneficiary_country, ingest_id, source, file, line)
            SELECT 'U' || k, 'quicksend', TIMESTAMP '2024-02-01' + to_hours(k), NULL, NULL,
                   25, 'USD', 25, 'wallet',
                   ({i}::VARCHAR[])[1 + p % 5] || ':R' || p, 'Payer ' || p, 'GB',
                   ({i}::VARCHAR[])[1 + b % 5] || ':R' || b, 'Beneficiary ' || b, 'PH',
                   'I-synthetic', 'synthetic', 'synthetic.csv', k + 2
            FROM (SELECT k, 2 + 2 * (k % 40) AS p, 1 + 2 * (k % 20) AS b FROM range(400) t(k))"""
    )
    con.execute(
        "INSERT INTO scans VALUES (?, TIMESTAMP '2024-07-01', 'duckdb', 'synthetic', 1, "
        "(SELECT count(*) FROM transactions), '{}')",
        [scan],
    )
    con.execute("COMMIT")
    ws.close()
    return Path(path)

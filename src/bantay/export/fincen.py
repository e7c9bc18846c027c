"""FinCEN SAR narrative draft (OCSE-FIN-2021-NTC3) and a transactions CSV from a case."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bantay.csvsafe import neutral
from bantay.export.case import CaseData, load_case, record_export
from bantay.export.narrative import parts
from bantay.schema import field_list

KEY_TERM = "OCSE-FIN-2021-NTC3"
LIMIT = 17_000
#: the transaction fields of the CSV attachment (checked against the schema), then the indicators
CSV_COLUMNS = [
    *field_list(
        "transactions",
        "transaction_id",
        "institution",
        "ts_utc",
        "amount",
        "currency",
        "amount_reporting",
        "channel",
        "payer_name",
        "payer_account",
        "payer_country",
        "beneficiary_name",
        "beneficiary_account",
        "beneficiary_institution",
        "beneficiary_country",
        "merchant_name",
    ),
    "indicators",
]


def narrative(data: CaseData) -> str:
    """Who, what, when, where, why, how, and the sources cited; factual and within FinCEN's
    17,000 characters. The same facts as the goAML reason (:mod:`bantay.export.narrative`); the
    analysts' narrative in place of the generated paragraphs when one was written."""
    if data.narrative:
        return "\n\n".join(
            [
                f"{KEY_TERM}. This report concerns case {data.case_id} ({data.title}).",
                data.narrative,
                "The attached CSV lists every payment reported as evidence, with the indicators "
                "behind each.",
            ]
        )
    for limit in (20, 10, 5, 2):
        p = parts(data, limit=limit)
        blocks = [f"{KEY_TERM}. This report concerns case {data.case_id} ({data.title})."]
        blocks += [f"{k}: {v}" for k, v in p.items() if v]
        blocks.append(
            "The attached CSV lists every payment reported as evidence, with the indicators "
            "behind each."
        )
        text = "\n\n".join(blocks)
        if len(text) <= LIMIT:
            return text
    return text[: LIMIT - 3] + "..."


def transactions_csv(data: CaseData) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    w.writeheader()
    for t in data.evidence:
        w.writerow(
            {
                **{k: neutral(t.get(k)) for k in CSV_COLUMNS},
                "indicators": neutral(" ".join(data.indicators_of(t))),
            }
        )
    return buf.getvalue()


def export_fincen(
    workspace: Path,
    case_id: int,
    out: Path,
    username: str = "cli",
    db_url: str | None = None,
    payments: str = "evidence",
) -> tuple[Path, Path]:
    """Write the narrative to ``out`` and the CSV next to it (``.transactions.csv``); audited."""
    data = load_case(workspace, case_id, db_url, payments)
    text = narrative(data)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    csv_path = out.with_suffix(".transactions.csv")
    csv_path.write_text(transactions_csv(data), encoding="utf-8")
    record_export(workspace, case_id, "fincen", out, text.encode(), username, db_url)
    return out, csv_path

"""A synthetic workspace with cases for the exports: KYC details, accounts and a card merchant.

Case 1: payer E000000000000 (KYC: names, birth date, address, passport; accounts on every payment,
three card payments to a merchant) and beneficiary E000000000001, with a decision, a review and a
comment. Case 2 has no members; case 3's member has no payments.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bantay.cases import services
from bantay.cases.analytics import Analytics
from bantay.cases.db import open_workflow
from bantay.cases.security import use_cheap_hashing
from bantay.cases.synthetic import build
from bantay.workspace import open_workspace

use_cheap_hashing()

PAYER = "E000000000000"
BENEFICIARY = "E000000000001"

#: a resolved entity of the workspace without any payment (the "no payments" case's member)
NO_PAYMENTS = (
    "INSERT INTO entities SELECT 'E-none', 1, 'Nobody Known', 'customer', 'harbour_bank', "
    "'harbour_bank:R-none', 'synthetic.csv:1', 'R-synthetic'"
)


@pytest.fixture(scope="session")
def case_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build(tmp_path_factory.mktemp("exports") / "ws", n_alerts=10, big_entity_tx=12)
    with open_workspace(path) as ws:
        con = ws.con
        con.execute(
            """UPDATE party_records SET given_name = 'Anna', family_name = 'Reyes',
                   date_of_birth = DATE '1971-03-04', sex = 'female', nationality = 'AU',
                   address = '12 Harbour Road', city = 'Sydney', phone = '+61 2 9000 0000',
                   email = 'anna.reyes@example.com', id_document = 'passport:PA1234567'
               WHERE party_record_id = 'harbour_bank:R0'"""
        )
        con.execute(
            """UPDATE transactions SET payer_account = 'AU-0001 2345',
                   beneficiary_account = 'PH' || (line * 7)::VARCHAR,
                   beneficiary_institution = 'pesopal', memo = 'family support'
               WHERE payer_record_id = 'harbour_bank:R0'"""
        )
        con.execute(
            """INSERT INTO transactions (transaction_id, institution, ts_utc, amount, currency,
                   amount_reporting, channel, payer_record_id, payer_name, payer_account,
                   payer_country, merchant_name, merchant_category, ingest_id, source, file, line)
               SELECT 'C' || k, 'harbour_bank', TIMESTAMP '2024-03-01' + to_days(k), 19.99, 'AUD',
                      13.0, 'card', 'harbour_bank:R0', 'Anna Reyes', 'AU-0001 2345', 'AU',
                      'Screen Tools Ltd', '5734', 'I-synthetic', 'synthetic', 'synthetic.csv',
                      900 + k
               FROM range(3) t(k)"""
        )
        con.execute(NO_PAYMENTS)
    an = Analytics(path)
    op = services.Actor.operator()
    with open_workflow(path) as wf, wf.session() as db:
        ana = services.add_user(db, op, "ana", "correct horse battery", "analyst")
        sam = services.add_user(db, op, "sam", "correct horse battery", "supervisor")
        c = services.create_case(
            db,
            ana,
            "payer and beneficiary",
            [("payer", PAYER, None), ("beneficiary", BENEFICIARY, None)],
            entities=an,
        )
        services.comment(db, ana, c.id, "Payments every week at night, local time.")
        services.decide(db, ana, c.id, "confirmed", "Pattern matches the published indicators.")
        services.review(db, sam, c.id, True, "Agreed.")
        services.create_case(db, ana, "no members", entities=an)
        services.create_case(db, ana, "no payments", [("payer", "E-none", None)], entities=an)
    an.close()
    return path

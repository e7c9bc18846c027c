"""Each institution's own export layout, and the mapping file that reads it back.

Differences between institutions live in this table, not in branches: column names, delimiters,
decimal separators, date formats, time zones (UTC, local with a zone column, local with an offset
column, local in one fixed zone), and split or joined names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: How a layout writes times: utc; local + IANA zone column; local + UTC offset column (+HH:MM or
#: +HHMM); local in one zone for the whole file.
TS_STYLES = ("utc", "local_zone", "local_offset_hhmm", "local_offset_compact", "local_const")
#: How a layout writes a person's name: split (given, family), joined ("Given Family"),
#: surname_first ("FAMILY, Given"), upper ("GIVEN FAMILY").
NAME_STYLES = ("split", "joined", "surname_first", "upper")


@dataclass(frozen=True)
class Layout:
    institution: str
    name: str
    delimiter: str = ","
    decimal: str = "."
    ts_style: str = "utc"
    ts_format: str = "%Y-%m-%dT%H:%M:%SZ"
    zone: str = "UTC"
    date_format: str = "%Y-%m-%d"
    tx_names: str = "split"
    kyc_names: str = "split"
    id_prefix: str = ""
    id_digits: int = 10
    channel_column: str | None = None
    channel_labels: dict[str, str] = field(default_factory=dict)  # canonical -> source label
    sex_labels: dict[str, str] = field(default_factory=dict)  # canonical -> source label
    #: canonical field -> source column (for the "split" name style, payer_name maps to two columns
    #: given as "payer_given" and "payer_family"; for KYC "given_name"/"family_name").
    tx: dict[str, str] = field(default_factory=dict)
    kyc: dict[str, str] = field(default_factory=dict)


LAYOUTS: dict[str, Layout] = {
    lay.institution: lay
    for lay in (
        Layout(
            "harbour_bank",
            "Harbour Bank",
            ts_style="utc",
            ts_format="%Y-%m-%dT%H:%M:%SZ",
            tx_names="split",
            kyc_names="split",
            id_prefix="HBT",
            id_digits=11,
            channel_column="Channel",
            channel_labels={"bank_transfer": "SWIFT", "card": "CARD"},
            sex_labels={"male": "M", "female": "F", "unknown": "U"},
            tx={
                "transaction_id": "TxnID",
                "timestamp": "BookingTimeUTC",
                "amount": "Amount",
                "currency": "Ccy",
                "payer_ref": "CustomerID",
                "payer_given": "OrderingFirstName",
                "payer_family": "OrderingLastName",
                "payer_account": "OrderingAccount",
                # no ordering country: like many bank exports, the customer's country is in the
                # KYC file only (CountryOfResidence), and times are in UTC
                "beneficiary_name": "BeneficiaryName",
                "beneficiary_account": "BeneficiaryAccount",
                "beneficiary_institution": "BeneficiaryBank",
                "beneficiary_country": "BeneficiaryCountry",
                "memo": "RemittanceInfo",
                "merchant_name": "MerchantName",
                "merchant_category": "MCC",
            },
            kyc={
                "customer_ref": "CustomerID",
                "given_name": "FirstName",
                "family_name": "LastName",
                "date_of_birth": "DateOfBirth",
                "sex": "Gender",
                "residence_country": "CountryOfResidence",
                "city": "City",
                "address": "AddressLine",
                "phone": "MobilePhone",
                "email": "Email",
                "account_id": "AccountNumber",
            },
        ),
        Layout(
            "maple_bank",
            "Maple Trust Bank",
            ts_style="local_offset_hhmm",
            ts_format="%m/%d/%Y %H:%M:%S",
            date_format="%m/%d/%Y",
            tx_names="surname_first",
            kyc_names="surname_first",
            id_prefix="MTB-",
            id_digits=9,
            channel_column="Type",
            channel_labels={"bank_transfer": "Wire Out", "card": "Debit Card"},
            sex_labels={"male": "Male", "female": "Female", "unknown": "Unknown"},
            tx={
                "transaction_id": "Reference No",
                "timestamp": "Posted (Local)",
                "utc_offset": "UTC Offset",
                "amount": "Amount",
                "currency": "Currency",
                "payer_ref": "Client No",
                "payer_name": "Originator Name",
                "payer_account": "Originator Acct",
                "payer_country": "Originator Country",
                "beneficiary_name": "Beneficiary",
                "beneficiary_account": "Beneficiary Acct",
                "beneficiary_institution": "Beneficiary Bank",
                "beneficiary_country": "Beneficiary Country",
                "memo": "Details",
                "merchant_name": "Merchant",
                "merchant_category": "MCC Code",
            },
            kyc={
                "customer_ref": "Client No",
                "name": "Full Name",
                "date_of_birth": "DOB",
                "sex": "Sex",
                "residence_country": "Country",
                "city": "City",
                "address": "Street",
                "phone": "Phone",
                "email": "Email",
                "account_id": "Primary Account",
            },
        ),
        Layout(
            "rhein_bank",
            "Rheinufer Bank",
            delimiter=";",
            decimal=",",
            ts_style="local_const",
            ts_format="%d.%m.%Y %H:%M:%S",
            zone="Europe/Berlin",
            date_format="%d.%m.%Y",
            tx_names="split",
            kyc_names="split",
            id_prefix="RB",
            id_digits=12,
            channel_column="Art",
            channel_labels={"bank_transfer": "Auslandsüberweisung", "card": "Kartenzahlung"},
            sex_labels={"male": "m", "female": "w", "unknown": "u"},
            tx={
                "transaction_id": "Buchungsreferenz",
                "timestamp": "Buchungszeit",
                "amount": "Betrag",
                "currency": "Währung",
                "payer_ref": "Kundennummer",
                "payer_given": "Vorname",
                "payer_family": "Nachname",
                "payer_account": "IBAN",
                "payer_country": "Land",
                "beneficiary_name": "Empfänger",
                "beneficiary_account": "Empfänger Konto",
                "beneficiary_institution": "Empfänger Bank",
                "beneficiary_country": "Empfänger Land",
                "memo": "Verwendungszweck",
                "merchant_name": "Händler",
                "merchant_category": "MCC",
            },
            kyc={
                "customer_ref": "Kundennummer",
                "given_name": "Vorname",
                "family_name": "Nachname",
                "date_of_birth": "Geburtsdatum",
                "sex": "Geschlecht",
                "residence_country": "Land",
                "city": "Ort",
                "address": "Straße",
                "phone": "Telefon",
                "email": "E-Mail",
                "account_id": "IBAN",
            },
        ),
        Layout(
            "quicksend",
            "QuickSend",
            ts_style="local_zone",
            ts_format="%d/%m/%Y %H:%M",
            date_format="%d/%m/%Y",
            tx_names="joined",
            kyc_names="split",
            id_prefix="QS",
            id_digits=10,
            tx={
                "transaction_id": "Reference",
                "timestamp": "Date Sent",
                "timezone": "Time Zone",
                "amount": "Send Amount",
                "currency": "Send Currency",
                "payer_ref": "Sender ID",
                "payer_name": "Sender Name",
                "payer_country": "Sender Country",
                "beneficiary_ref": "Recipient ID",
                "beneficiary_name": "Recipient Name",
                "beneficiary_phone": "Recipient Phone",
                "beneficiary_account": "Recipient Account",
                "beneficiary_country": "Recipient Country",
                "memo": "Purpose",
            },
            kyc={
                "customer_ref": "Sender ID",
                "given_name": "First Name",
                "family_name": "Last Name",
                "date_of_birth": "Date of Birth",
                "residence_country": "Country",
                "city": "City",
                "address": "Address",
                "phone": "Mobile",
                "email": "Email",
            },
        ),
        Layout(
            "cashbridge",
            "CashBridge",
            delimiter="|",
            ts_style="utc",
            ts_format="%Y%m%d%H%M%S",
            date_format="%Y%m%d",
            tx_names="upper",
            kyc_names="split",
            id_prefix="",
            id_digits=10,
            tx={
                "transaction_id": "MTCN",
                "timestamp": "SEND_TS_UTC",
                "amount": "PRINCIPAL",
                "currency": "CCY",
                "payer_ref": "SENDER_NO",
                "payer_name": "SENDER_FULLNAME",
                "payer_country": "SENDER_CTRY",
                "beneficiary_ref": "RECEIVER_NO",
                "beneficiary_name": "RECEIVER_NAME",
                "beneficiary_phone": "RECEIVER_PHONE",
                "beneficiary_city": "PAYOUT_CITY",
                "beneficiary_country": "PAYOUT_CTRY",
                "memo": "MESSAGE",
            },
            kyc={
                "customer_ref": "SENDER_NO",
                "family_name": "SURNAME",
                "given_name": "GIVEN_NAMES",
                "date_of_birth": "DOB",
                "id_document": "ID_DOC",
                "residence_country": "CTRY",
                "city": "CITY",
                "address": "ADDRESS",
                "phone": "PHONE",
            },
        ),
        Layout(
            "pesopal",
            "PesoPal",
            ts_style="local_offset_compact",
            ts_format="%Y-%m-%d %H:%M:%S",
            tx_names="joined",
            kyc_names="joined",
            id_prefix="pp_",
            id_digits=12,
            tx={
                "transaction_id": "txn_id",
                "timestamp": "created_local",
                "utc_offset": "utc_offset",
                "amount": "amount",
                "currency": "currency",
                "payer_ref": "sender_user",
                "payer_name": "sender_display_name",
                "payer_account": "sender_wallet",
                "payer_country": "sender_country",
                "beneficiary_ref": "receiver_user",
                "beneficiary_name": "receiver_display_name",
                "beneficiary_account": "receiver_wallet",
                "beneficiary_country": "receiver_country",
                "beneficiary_phone": "receiver_phone",
                "memo": "note",
            },
            kyc={
                "customer_ref": "user_id",
                "name": "legal_name",
                "date_of_birth": "birth_date",
                "residence_country": "country",
                "city": "city",
                "phone": "phone",
                "email": "email",
                "account_id": "wallet_id",
            },
        ),
    )
}


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mapping_toml(layout: Layout, kind: str, channel: str, file_format: str) -> str:
    """The mapping file (format of ``bantay.ingest.mapping``) that reads this layout's export."""
    lines = [
        f"# {layout.name}: {'transactions export' if kind == 'transactions' else 'KYC customers'}"
        f" ({file_format}), written by bantay simulate",
        f'kind = "{kind}"',
        f"description = {_toml_str(layout.name + (' transactions' if kind == 'transactions' else ' customers'))}",
        "",
        "[file]",
        'encoding = "utf-8"',
        f"delimiter = {_toml_str(layout.delimiter)}",
        # Parquet stores amounts as numbers: the layout's decimal comma applies to text only
        f"decimal = {_toml_str(layout.decimal if file_format == 'csv' else '.')}",
        'thousands = ""',
        f"timestamp_format = [{_toml_str(layout.ts_format)}]",
        f"date_format = [{_toml_str(layout.date_format)}]",
    ]
    if kind == "transactions" and layout.ts_style in ("utc", "local_const"):
        lines.append(f"timezone = {_toml_str(layout.zone)}")
    lines += ["", "[constants]", f"institution = {_toml_str(layout.institution)}"]
    if kind == "transactions":
        lines.append('direction = "outgoing"')
        if layout.channel_column is None:
            lines.append(f"channel = {_toml_str(channel)}")
    lines += ["", "[columns]"]
    cols = layout.tx if kind == "transactions" else layout.kyc
    for field_name, col in cols.items():
        if field_name in ("payer_given", "payer_family"):
            continue
        lines.append(f"{field_name} = {_toml_str(col)}")
    if kind == "parties" and "given_name" in cols and "name" not in cols:
        lines.append(f"name = [{_toml_str(cols['given_name'])}, {_toml_str(cols['family_name'])}]")
    if kind == "transactions" and "payer_given" in cols:
        lines.append(
            f"payer_name = [{_toml_str(cols['payer_given'])}, {_toml_str(cols['payer_family'])}]"
        )
    if kind == "transactions" and layout.channel_column:
        lines.append(f"channel = {_toml_str(layout.channel_column)}")
        lines += ["", "[values.channel]"]
        for canon, label in layout.channel_labels.items():
            lines.append(f"{_toml_str(label)} = {_toml_str(canon)}")
    if kind == "parties" and "sex" in cols and layout.sex_labels:
        lines += ["", "[values.sex]"]
        for canon, label in layout.sex_labels.items():
            lines.append(f"{_toml_str(label)} = {_toml_str(canon)}")
    return "\n".join(lines) + "\n"


RATES_MAPPING = """# Daily exchange rates (USD per one unit), written by bantay simulate
kind = "rates"
description = "Synthetic daily rates"

[file]
date_format = ["%Y-%m-%d"]

[columns]
date = "date"
currency = "currency"
rate = "rate"
"""

SIGNALS_MAPPING = """# Known facilitator identifiers as an investigator would share them (synthetic)
kind = "signals"
description = "Synthetic facilitator signals"

[file]
date_format = ["%Y-%m-%d"]

[columns]
identifier_type = "identifier_type"
value = "value"
role = "role"
signal_source = "signal_source"
confidence = "confidence"
expires = "expires"
"""

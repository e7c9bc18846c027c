"""Write a world: per-institution exports in their own layouts, mappings, rates, signals, manifest,
and the ground truth in ``truth/`` (never mixed with what an analyst receives).

Transactions are generated and written chunk by chunk, so memory stays flat however many are written.
Each institution's export is in time order within each chunk (rows of one chunk are sorted by time;
chunks follow each other in payer order, not in time order), as ingest does not depend on row order.

Formats: ``csv`` and ``parquet`` write every file in that format. ``iso20022`` writes the banks'
bank transfers as ISO 20022 pacs.008 messages (``{bank}_transfers.xml``, read by ingest's built-in
ISO 20022 mapping, so the manifest gives no mapping for them) and everything else as CSV: the banks'
card transactions in their own layout (``{bank}_transactions.csv``), the other institutions' exports,
KYC, rates, signals and the truth. The transfers are spooled to a temporary Parquet file chunk by
chunk while generating, then streamed into the XML (messages of ``ISO_MESSAGE_SIZE`` transactions).
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import polars as pl

from bantay.schema import field_list
from bantay.simulate.behaviours import generate_chunk, n_chunks
from bantay.simulate.layouts import LAYOUTS, RATES_MAPPING, SIGNALS_MAPPING, Layout, mapping_toml
from bantay.simulate.reference import BASE_USD_RATES, CHANNELS, MERCHANTS
from bantay.simulate.world import (
    COUNTRY_CODES,
    CURRENCIES,
    FLOWS,
    INSTITUTIONS,
    ORGANISATION_ROLES,
    ZONES,
    World,
)

Progress = Callable[[str, int, int], None]
FORMATS = ("csv", "parquet", "iso20022")
#: Transactions per pacs.008 message in an iso20022 world (one file holds many messages).
ISO_MESSAGE_SIZE = 10_000
_ISO_SPOOL_ROWS = 50_000

_MERCH_NAME = pl.Series([m.name for m in MERCHANTS] + [""])
_MERCH_MCC = pl.Series([m.mcc for m in MERCHANTS] + [""])
_CUR = pl.Series(list(CURRENCIES))
_FLOW = pl.Series(list(FLOWS))
_CHANNEL = pl.Series(list(CHANNELS))
_ZONE = pl.Series(list(ZONES))
_PLACE = pl.Series([*COUNTRY_CODES, ""])


def _noop(step: str, done: int, total: int) -> None:
    del step, done, total


def _gather(s: pl.Series, idx: npt.NDArray[Any]) -> pl.Series:
    return s.gather(pl.Series(idx, dtype=pl.Int64))


def _name(given: pl.Expr, family: pl.Expr, style: str) -> pl.Expr:
    both = pl.when(given == "")
    if style == "surname_first":
        return both.then(family).otherwise(
            pl.concat_str([family.str.to_uppercase(), pl.lit(", "), given])
        )
    if style == "upper":
        return both.then(family.str.to_uppercase()).otherwise(
            pl.concat_str([given, pl.lit(" "), family]).str.to_uppercase()
        )
    return both.then(family).otherwise(pl.concat_str([given, pl.lit(" "), family]))


def _offset_hhmm(off_s: pl.Expr) -> pl.Expr:
    mins = off_s // 60
    sign = pl.when(mins < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    a = mins.abs()
    return pl.concat_str(
        [
            sign,
            (a // 60).cast(pl.Utf8).str.zfill(2),
            pl.lit(":"),
            (a % 60).cast(pl.Utf8).str.zfill(2),
        ]
    )


class _Sink:
    """One output file written in chunks (CSV appended, Parquet row groups)."""

    def __init__(self, path: Path, fmt: str, delimiter: str, decimal_comma: bool) -> None:
        self.path, self.fmt = path, fmt
        self.delimiter, self.decimal_comma = delimiter, decimal_comma
        self.rows = 0
        self._fh: IO[bytes] | None = None
        self._pq: Any = None

    def write(self, df: pl.DataFrame) -> None:
        df = _blank(df)
        if self.fmt == "csv":
            if self._fh is None:
                self._fh = self.path.open("wb")
            df.write_csv(
                self._fh,
                include_header=self.rows == 0,
                separator=self.delimiter,
                decimal_comma=self.decimal_comma,
                float_precision=2,
                quote_style="necessary",
            )
        else:
            import pyarrow.parquet as pq

            # string views: no copy from polars; the file stores plain UTF-8 strings (no Arrow
            # schema), which every reader reads as strings
            table = df.to_arrow(compat_level=pl.CompatLevel.newest())
            if self._pq is None:
                self._pq = pq.ParquetWriter(
                    self.path, table.schema, compression="zstd", store_schema=False
                )
            self._pq.write_table(table)
        self.rows += df.height

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._pq is not None:
            self._pq.close()


class _Background:
    """Writes frames to their sinks on one thread, in the order given (same bytes every run), so
    that formatting and compressing (polars and pyarrow release the GIL) overlap the generation
    of the next chunk; the bounded queue keeps at most about one chunk waiting."""

    def __init__(self, depth: int = 2 * (len(INSTITUTIONS) + 1)) -> None:
        self._q: queue.Queue[tuple[_Sink, pl.DataFrame] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bantay-simulate-writer")
        self._thread.start()

    def _run(self) -> None:
        while (item := self._q.get()) is not None:
            if self._error is None:
                try:
                    item[0].write(item[1])
                except BaseException as exc:  # re-raised in the calling thread
                    self._error = exc

    def put(self, sink: _Sink, df: pl.DataFrame) -> None:
        if self._error is not None:
            raise self._error
        self._q.put((sink, df))

    def close(self) -> None:
        self._q.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class WorldWriter:
    def __init__(
        self, world: World, out: Path, fmt: str = "csv", progress: Progress | None = None
    ) -> None:
        if fmt not in FORMATS:
            from bantay.errors import BantayError

            raise BantayError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
        self.world, self.out, self.fmt = world, Path(out), fmt
        self.progress = progress or _noop
        #: format of the tabular files (all files but the ISO 20022 transfers)
        self.tab = "parquet" if fmt == "parquet" else "csv"
        self.ext = self.tab
        #: institutions whose bank transfers are written as pacs.008 (iso20022 format only)
        self.iso = {k for k, i in enumerate(INSTITUTIONS) if fmt == "iso20022" and i.kind == "bank"}
        w = world
        cust = w.customers
        self.c_ref = cust["customer_ref"]
        self.c_given = cust["given"]
        self.c_family = cust["family"]
        self.c_account = cust["account"]
        self.p_country = w.persons["country"]
        ben = w.beneficiaries
        pad = pl.DataFrame(
            {c: [""] for c in ("name", "phone", "account", "bank", "city", "country", "ref")}
        )
        self.ben = pl.concat([ben.select(pad.columns), pad])  # last row = no beneficiary
        # wallet beneficiaries are PesoPal customers: their user id is the beneficiary reference
        pp = cust.with_row_index("c").filter(pl.col("institution") == "pesopal")
        pp_ref = dict(zip(pp["person"].to_list(), pp["customer_ref"].to_list(), strict=True))
        inst_of_brec = w.c_inst[ben["cust"].to_numpy()]
        bperson = ben["person"].to_list()
        refs = ben["ref"].to_list()
        pesopal = next(k for k, i in enumerate(INSTITUTIONS) if i.id == "pesopal")
        for j, k in enumerate(inst_of_brec):
            if k == pesopal:
                refs[j] = pp_ref.get(bperson[j], refs[j])
        self.ben = self.ben.with_columns(pl.Series("ref", [*refs, ""]))
        self.memo = pl.Series(w.memos[0])
        #: person ids, index -1 (no person) last: empty
        self.pids = pl.concat([_pid(np.arange(w.persons.height)), pl.Series([""])])
        self.counters = np.zeros(len(INSTITUTIONS), dtype=np.int64)
        self.last_osec = np.full(cust.height, -1, dtype=np.int64)
        self.counts = np.zeros((len(INSTITUTIONS), len(FLOWS)), dtype=np.int64)

    # -- transactions ------------------------------------------------------------------------------
    def _ids(self, k: int, n: int, layout: Layout) -> pl.Series:
        start = int(self.counters[k])
        self.counters[k] += n
        nums = pl.Series(np.arange(start + 1, start + n + 1, dtype=np.int64) * 7 + 1_000_003)
        return pl.select(
            pl.concat_str(
                [pl.lit(layout.id_prefix), pl.lit(nums).cast(pl.Utf8).str.zfill(layout.id_digits)]
            )
        ).to_series()

    def _tx_frame(
        self, ch: dict[str, npt.NDArray[Any]], k: int
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
        """This chunk's rows of institution ``k``: its export in its layout, the truth and, for a
        bank in an iso20022 world, its bank transfers as canonical rows for pacs.008 (which are
        then left out of the layout's export)."""
        w = self.world
        inst = INSTITUTIONS[k]
        lay = LAYOUTS[inst.id]
        m = np.flatnonzero(ch["inst"] == k)
        m = m[np.argsort(ch["ts"][m], kind="stable")]  # by time: row order reveals no flow
        n = int(m.size)
        cust = ch["cust"][m]
        payer = ch["payer"][m]
        brec = np.where(ch["brec"][m] >= 0, ch["brec"][m], self.ben.height - 1)
        ts = ch["ts"][m]
        zone = w.p_zone[payer]
        off = w.clock.offset_at(zone, ts)
        merchant = np.where(ch["merchant"][m] >= 0, ch["merchant"][m], len(MERCHANTS))
        place = np.where(ch["place"][m] >= 0, ch["place"][m], len(COUNTRY_CODES))
        ids = self._ids(k, n, lay)
        base = pl.DataFrame(
            {
                "transaction_id": ids,
                "ts": ts,
                "off": off,
                "amount": ch["amount"][m],
                "currency": _gather(_CUR, ch["currency"][m]),
                "channel": _gather(_CHANNEL, ch["channel"][m]),
                "payer_ref": _gather(self.c_ref, cust),
                "payer_given": _gather(self.c_given, cust),
                "payer_family": _gather(self.c_family, cust),
                "payer_account": _gather(self.c_account, cust),
                "payer_country": _gather(self.p_country, payer),
                "zone": _gather(_ZONE, zone),
                "beneficiary_name": _gather(self.ben["name"], brec),
                "beneficiary_phone": _gather(self.ben["phone"], brec),
                "beneficiary_account": _gather(self.ben["account"], brec),
                "beneficiary_institution": _gather(self.ben["bank"], brec),
                "beneficiary_city": _gather(self.ben["city"], brec),
                # a card purchase abroad shows the country where the card was used
                "beneficiary_country": pl.select(
                    pl.when(pl.lit(_gather(_PLACE, place)) != "")
                    .then(pl.lit(_gather(_PLACE, place)))
                    .otherwise(pl.lit(_gather(self.ben["country"], brec)))
                ).to_series(),
                "beneficiary_ref": _gather(self.ben["ref"], brec),
                "memo": _gather(self.memo, ch["memo"][m]),
                "merchant_name": _gather(_MERCH_NAME, merchant),
                "merchant_category": _gather(_MERCH_MCC, merchant),
            }
        )
        utc = pl.from_epoch(pl.col("ts"), time_unit="s")
        local = pl.from_epoch(pl.col("ts") + pl.col("off"), time_unit="s")
        exprs: dict[str, pl.Expr] = {}
        if lay.ts_style == "utc":
            exprs["timestamp"] = utc.dt.strftime(lay.ts_format)
        elif lay.ts_style == "local_const":
            exprs["timestamp"] = (
                utc.dt.replace_time_zone("UTC")
                .dt.convert_time_zone(lay.zone)
                .dt.strftime(lay.ts_format)
            )
        else:
            exprs["timestamp"] = local.dt.strftime(lay.ts_format)
        if lay.ts_style == "local_zone":
            exprs["timezone"] = pl.col("zone")
        elif lay.ts_style == "local_offset_hhmm":
            exprs["utc_offset"] = _offset_hhmm(pl.col("off"))
        elif lay.ts_style == "local_offset_compact":
            exprs["utc_offset"] = _offset_hhmm(pl.col("off")).str.replace(":", "")
        tx_style = lay.tx_names
        if tx_style != "split":
            exprs["payer_name"] = _name(pl.col("payer_given"), pl.col("payer_family"), tx_style)
        if lay.channel_column:
            exprs["_channel"] = pl.col("channel").replace_strict(lay.channel_labels, default="")
        frame = base.with_columns(**exprs)
        cols: list[pl.Expr] = []
        for canon, col in lay.tx.items():
            cols.append(pl.col(canon).alias(col))
        if lay.channel_column:
            cols.insert(2, pl.col("_channel").alias(lay.channel_column))
        out = frame.select(cols)
        iso: pl.DataFrame | None = None
        if k in self.iso:
            transfer = pl.Series(ch["channel"][m] == _BANK_TRANSFER)
            iso = _iso_rows(frame.filter(transfer), inst.id)
            out = out.filter(~transfer)
        truth = pl.DataFrame(
            {
                "institution": pl.repeat(inst.id, n, dtype=pl.Utf8, eager=True),
                "transaction_id": ids,
                "payer_person_id": self._person_ids(payer),
                "beneficiary_person_id": self._person_ids(ch["bene"][m]),
                "flow": _gather(_FLOW, ch["flow"][m]),
                "ts_utc": pl.from_epoch(pl.Series(ts), time_unit="s").dt.strftime(
                    "%Y-%m-%dT%H:%M:%S"
                ),
                "local_hour": ((ts + off) // 3600 % 24).astype(np.int8),
                "amount": ch["amount"][m],
                "currency": base["currency"],
                "amount_usd": np.round(ch["amount"][m] * _USD[ch["currency"][m]], 2),
                "channel": base["channel"],
                "payer_customer_ref": base["payer_ref"],
                "session_index": ch["k"][m],
                "memo": base["memo"],
                "merchant_name": base["merchant_name"],
            }
        )
        return out, truth, iso

    def write(self) -> dict[str, Any]:
        out = self.out
        out.mkdir(parents=True, exist_ok=True)
        (out / "truth").mkdir(exist_ok=True)
        (out / "mappings").mkdir(exist_ok=True)
        w = self.world
        manifest: list[dict[str, Any]] = []
        # rates first
        self.progress("rates", 0, 1)
        rates = _rates(w)
        rates.write_csv(out / "rates.csv", float_precision=8)
        (out / "mappings" / "rates.toml").write_text(RATES_MAPPING, encoding="utf-8")
        manifest.append(
            {
                "path": "rates.csv",
                "kind": "rates",
                "format": "csv",
                "mapping": "mappings/rates.toml",
                "institution": None,
                "rows": rates.height,
            }
        )
        # transactions, chunk by chunk
        tx_sinks: dict[int, _Sink] = {}
        for k, inst in enumerate(INSTITUTIONS):
            lay = LAYOUTS[inst.id]
            tx_sinks[k] = _Sink(
                out / f"{inst.id}_transactions.{self.ext}",
                self.tab,
                lay.delimiter,
                lay.decimal == ",",
            )
        spools = {
            k: _Sink(out / f".{INSTITUTIONS[k].id}_transfers.spool", "parquet", ",", False)
            for k in self.iso
        }
        truth_sink = _Sink(out / "truth" / f"transactions.{self.ext}", self.tab, ",", False)
        total = n_chunks(w)
        osec = FLOWS.index("osec_payment")
        bg = _Background()
        try:
            try:
                for c in range(total):
                    ch = generate_chunk(w, c)
                    o = ch["flow"] == osec
                    np.maximum.at(self.last_osec, ch["cust"][o], ch["ts"][o])
                    for k in range(len(INSTITUTIONS)):
                        in_k = ch["inst"] == k
                        if not in_k.any():
                            continue
                        frame, truth, iso = self._tx_frame(ch, k)
                        bg.put(tx_sinks[k], frame)
                        if iso is not None:
                            bg.put(spools[k], iso)
                        bg.put(truth_sink, truth)
                        self.counts[k] += np.bincount(ch["flow"][in_k], minlength=len(FLOWS))
                    self.progress("transactions", c + 1, total)
            finally:
                bg.close()
        finally:
            for sink in tx_sinks.values():
                sink.close()
            for sink in spools.values():
                sink.close()
            truth_sink.close()
        iso_entries = []
        try:
            for k in sorted(self.iso):
                iso_entries.append(self._write_iso(k, spools[k]))
        finally:
            for sink in spools.values():
                sink.path.unlink(missing_ok=True)
        # KYC files
        self.progress("customers", 0, 1)
        kyc_entries = []
        for k, inst in enumerate(INSTITUTIONS):
            lay = LAYOUTS[inst.id]
            path = out / f"{inst.id}_customers.{self.ext}"
            frame = self._kyc_frame(k)
            sink = _Sink(path, self.tab, lay.delimiter, lay.decimal == ",")
            sink.write(frame)
            sink.close()
            mpath = f"mappings/{inst.id}_customers.toml"
            (out / mpath).write_text(
                mapping_toml(lay, "parties", inst.channel, self.tab), encoding="utf-8"
            )
            kyc_entries.append(
                {
                    "path": path.name,
                    "kind": "parties",
                    "format": self.tab,
                    "mapping": mpath,
                    "institution": inst.id,
                    "rows": frame.height,
                }
            )
        manifest.extend(kyc_entries)
        for k, inst in enumerate(INSTITUTIONS):
            lay = LAYOUTS[inst.id]
            mpath = f"mappings/{inst.id}_transactions.toml"
            (out / mpath).write_text(
                mapping_toml(lay, "transactions", inst.channel, self.tab), encoding="utf-8"
            )
            manifest.append(
                {
                    "path": tx_sinks[k].path.name,
                    "kind": "transactions",
                    "format": self.tab,
                    "mapping": mpath,
                    "institution": inst.id,
                    "rows": tx_sinks[k].rows,
                }
            )
        manifest.extend(iso_entries)
        # signals last
        sig = pl.DataFrame(
            w.signals,
            schema={
                c: pl.Utf8
                for c in (
                    "identifier_type",
                    "value",
                    "role",
                    "signal_source",
                    "confidence",
                    "expires",
                )
            },
        )
        sig.write_csv(out / "signals.csv")
        (out / "mappings" / "signals.toml").write_text(SIGNALS_MAPPING, encoding="utf-8")
        manifest.append(
            {
                "path": "signals.csv",
                "kind": "signals",
                "format": "csv",
                "mapping": "mappings/signals.toml",
                "institution": None,
                "rows": sig.height,
            }
        )
        self._truth()
        cfg = w.config
        doc = {
            "generator": "bantay simulate",
            "profile": w.profile.name,
            "without": list(w.profile.without),
            "seed": cfg.seed,
            "senders": cfg.senders,
            "months": cfg.months,
            "start": cfg.start.isoformat(),
            "end": cfg.end.isoformat(),
            "reporting_currency": "USD",
            "files": manifest,
            "truth": {
                "persons": "truth/persons.csv",
                "customers": "truth/customers.csv",
                "transactions": f"truth/transactions.{self.ext}",
            },
        }
        (out / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        self.progress("done", 1, 1)
        return doc

    def _person_ids(self, idx: npt.NDArray[Any]) -> pl.Series:
        return _gather(self.pids, np.where(idx < 0, self.pids.len() - 1, idx))

    def _write_iso(self, k: int, spool: _Sink) -> dict[str, Any]:
        """Stream a bank's spooled transfers into pacs.008 messages; return its manifest entry."""
        import pyarrow.parquet as pq

        from bantay.ingest.iso20022 import write_pacs008

        inst = INSTITUTIONS[k]
        path = self.out / f"{inst.id}_transfers.xml"
        n_batches = max(1, -(-spool.rows // _ISO_SPOOL_ROWS))
        self.progress(f"pacs.008 {inst.id}", 0, n_batches)

        def rows() -> Any:
            if spool.rows == 0:
                return
            for i, batch in enumerate(pq.ParquetFile(spool.path).iter_batches(_ISO_SPOOL_ROWS)):
                yield from batch.to_pylist()
                self.progress(f"pacs.008 {inst.id}", i + 1, n_batches)

        cfg = self.world.config
        n = write_pacs008(
            rows(),
            path,
            msg_id=f"{inst.ref_prefix}{cfg.seed:04d}{cfg.end:%Y%m%d}",
            instructing_bic=inst.id,  # not a BIC: written as the agent's name, read back as is
            batch_per_message=ISO_MESSAGE_SIZE,
            created=f"{cfg.end.isoformat()}T00:00:00+00:00",  # fixed: same seed, same bytes
        )
        return {
            "path": path.name,
            "kind": "transactions",
            "format": "iso20022",
            "mapping": None,  # ingest's built-in ISO 20022 mapping
            "institution": inst.id,
            "rows": n,
        }

    # -- KYC -----------------------------------------------------------------------------------
    def _kyc_frame(self, k: int) -> pl.DataFrame:
        w = self.world
        inst = INSTITUTIONS[k]
        lay = LAYOUTS[inst.id]
        cust = w.customers.with_row_index("c").filter(pl.col("institution") == inst.id)
        person = cust["person"].to_numpy()
        pers = w.persons
        dob = _gather(pers["birth_date"], person)
        is_business = _gather(pers["role"], person).is_in(sorted(ORGANISATION_ROLES))
        rng = np.random.default_rng([w.config.seed, 3, k])
        docs = [f"passport:P{int(x):08d}" for x in rng.integers(0, 10**8, cust.height)]
        # a generator of its own, so the other columns come out as they did before sex was blanked
        rng_sex = np.random.default_rng([w.config.seed, 7, k])
        share = w.profile.parameters.population.kyc_sex_recorded_share.value
        frame = pl.DataFrame(
            {
                "customer_ref": cust["customer_ref"],
                "given": cust["given"],
                "family": cust["family"],
                "date_of_birth": pl.Series(dob).dt.strftime(lay.date_format),
                "sex": _recorded_sex(_gather(pers["sex"], person), lay.sex_labels, rng_sex, share),
                "residence_country": _gather(pers["country"], person),
                "city": cust["city"],
                "address": cust["address"],
                "phone": cust["phone"],
                "email": cust["email"],
                "account_id": cust["account"],
                "id_document": pl.Series(docs),
                "business": is_business,
            }
        ).with_columns(
            pl.when(pl.col("business"))
            .then(pl.lit(""))
            .otherwise(pl.col("date_of_birth"))
            .alias("date_of_birth"),
        )
        style = lay.kyc_names
        exprs = {
            "given_name": pl.col("given"),
            "family_name": pl.col("family"),
            "name": _name(
                pl.col("given"), pl.col("family"), "joined" if style == "split" else style
            ),
        }
        frame = frame.with_columns(**exprs)
        return frame.select([pl.col(canon).alias(col) for canon, col in lay.kyc.items()])

    # -- truth ---------------------------------------------------------------------------------
    def _truth(self) -> None:
        w = self.world
        t = self.out / "truth"
        pers = w.persons.with_columns(pl.lit(w.profile.name).alias("profile"))
        _blank(
            pers.select(
                "person_id",
                "role",
                "den_id",
                "country",
                "profile",
                "sex",
                "birth_date",
                "given",
                "middle",
                "family",
                "city",
                "phone_e164",
                "zone",
                "namesakes",
                "namesake_of",
                "name_only",
                "phone_per_institution",
            )
        ).write_csv(t / "persons.csv")
        closes = self._closed()
        cust = w.customers
        _blank(
            pl.DataFrame(
                {
                    "institution": cust["institution"],
                    "customer_ref": cust["customer_ref"],
                    "person_id": _pid(cust["person"].to_numpy()),
                    "closed_on": closes,
                }
            )
        ).write_csv(t / "customers.csv")
        p = w.profile
        from bantay.simulate.profiles import parameter_sources, parameter_spreads

        spreads = parameter_spreads(p)
        rows = [
            {
                "parameter": a,
                "value": json.dumps(v),
                "source": s,
                "reason_or_note": r,
                "range": json.dumps(spreads[a]) if a in spreads else None,
            }
            for a, v, s, r in parameter_sources(p)
        ]
        pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.Utf8)).write_csv(t / "parameters.csv")

    def _closed(self) -> list[str]:
        """Accounts an offender stopped using because they were closed (then switched)."""
        w = self.world
        o = w.offenders
        out = [""] * w.customers.height
        for i in range(o["payer"].size):
            if o["closure_after"][i] >= 10**9:
                continue
            acc = o["acc_flat"][o["acc_off"][i] : o["acc_off"][i] + o["n_acc"][i]]
            for a in acc[:-1]:
                last = int(self.last_osec[a])
                if last >= 0 and o["n"][i] > o["closure_after"][i]:
                    day = dt.datetime.fromtimestamp(last, tz=dt.UTC).date() + dt.timedelta(days=3)
                    out[int(a)] = day.isoformat()
        return out


_BANK_TRANSFER = CHANNELS.index("bank_transfer")
#: canonical Transaction keys written to pacs.008 (the reader takes the channel as bank_transfer)
_ISO_KEYS = field_list(
    "transactions",
    "transaction_id",
    "institution",
    "timestamp",
    "amount",
    "currency",
    "payer_ref",
    "payer_name",
    "payer_account",
    "payer_country",
    "beneficiary_name",
    "beneficiary_account",
    "beneficiary_institution",
    "beneficiary_country",
    "beneficiary_city",
    "beneficiary_phone",
    "memo",
    inputs=True,
)


def _iso_rows(base: pl.DataFrame, institution: str) -> pl.DataFrame:
    """Canonical rows for pacs.008: local time with its UTC offset (ISODateTime), amounts as text
    with a decimal point and two decimals, joined payer names."""
    local = pl.from_epoch(pl.col("ts") + pl.col("off"), time_unit="s")
    return base.with_columns(
        pl.lit(institution).alias("institution"),
        pl.concat_str([local.dt.strftime("%Y-%m-%dT%H:%M:%S"), _offset_hhmm(pl.col("off"))]).alias(
            "timestamp"
        ),
        pl.col("amount").round(2).map_batches(_two_decimals, return_dtype=pl.Utf8).alias("amount"),
        _name(pl.col("payer_given"), pl.col("payer_family"), "joined").alias("payer_name"),
    ).select(_ISO_KEYS)


def _two_decimals(s: pl.Series) -> pl.Series:
    return pl.Series(np.char.mod("%.2f", s.to_numpy()))


def _recorded_sex(
    sex: pl.Series, labels: dict[str, str], rng: np.random.Generator, share: float
) -> pl.Series:
    """A KYC export's sex column: the institution's labels where it records sex (a share ``share``
    of its customers, drawn one by one), empty elsewhere; an institution without labels writes the
    canonical values (the column is not in its layout)."""
    if not labels:
        return sex
    out = sex.replace_strict(labels, default="")
    return pl.Series(sex.name, np.where(rng.random(len(sex)) < share, out.to_numpy(), ""))


def _blank(df: pl.DataFrame) -> pl.DataFrame:
    """Empty strings as empty fields (nulls), not as quoted empty strings."""
    return df.with_columns(pl.col(pl.Utf8).replace("", None))


_USD = np.array([BASE_USD_RATES[c] for c in CURRENCIES])


def _pid(idx: npt.NDArray[Any]) -> pl.Series:
    s = pl.Series(idx.astype(np.int64))
    return pl.select(
        pl.when(pl.lit(s) >= 0)
        .then(pl.concat_str([pl.lit("P"), pl.lit(s).cast(pl.Utf8).str.zfill(7)]))
        .otherwise(pl.lit(""))
    ).to_series()


def _rates(w: World) -> pl.DataFrame:
    """Daily rates (USD per unit) wandering around the base rates, a week either side."""
    cfg = w.config
    rng = np.random.default_rng([cfg.seed, 2])
    first = cfg.start - dt.timedelta(days=7)
    n = cfg.days + 15
    dates = [first + dt.timedelta(days=i) for i in range(n)]
    frames = []
    for cur in CURRENCIES:
        base = BASE_USD_RATES[cur]
        walk = np.exp(np.cumsum(rng.normal(0, 0.003, n))) if cur != "USD" else np.ones(n)
        rate = base * walk
        frames.append(
            pl.DataFrame(
                {
                    "date": [d.isoformat() for d in dates],
                    "currency": [cur] * n,
                    "rate": np.round(rate, 8 if base < 0.01 else 6),
                }
            )
        )
    return pl.concat(frames)


def write_world(
    world: World, out: Path, fmt: str = "csv", progress: Progress | None = None
) -> dict[str, Any]:
    """Write the world to ``out`` and return the manifest."""
    return WorldWriter(world, out, fmt, progress).write()

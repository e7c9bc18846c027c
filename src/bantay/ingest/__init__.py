"""Ingest: map, validate and load institution exports into the workspace; quarantine the rest."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from bantay.errors import InputFileError, MappingError
from bantay.ingest.loader import (
    Format,
    IngestReport,
    Loader,
    infer_format,
    new_ingest_id,
    sha256_file,
)
from bantay.ingest.mapping import Kind, Mapping, builtin_mapping, load_mapping
from bantay.workspace import Workspace

__all__ = ["IngestReport", "ingest_file"]


def _count(con: duckdb.DuckDBPyConnection, sql: str, report: IngestReport) -> int:
    row = con.execute(sql, [report.ingest_id]).fetchone()
    return int(row[0]) if row else 0


def ingest_file(
    ws: Workspace,
    path: Path,
    fmt: Format | None = None,
    mapping: Mapping | Path | None = None,
    source: str | None = None,
    kind: Kind | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Load one file into the workspace, all or nothing; return what happened.

    Without a mapping, columns named like canonical fields are taken as they are (the built-in
    mapping of the kind sets formats). Re-ingesting a file with the same content is a no-op.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a file")
    fmt = fmt or infer_format(path)
    if isinstance(mapping, Path):
        mapping = load_mapping(mapping)
    if mapping is None:
        k = kind or ("transactions")
        mapping = builtin_mapping("iso20022" if fmt == "iso20022" else f"canonical-{k}")
    elif kind is not None and kind != mapping.kind:
        raise MappingError(f"{mapping.origin} maps {mapping.kind}, but --kind {kind} was given")
    src = source or mapping.constants.get("institution") or path.stem
    report = IngestReport(file=str(path), kind=mapping.kind, format=fmt, source=src)
    # Identical content has identical size. A file the size of one already ingested is hashed
    # first, so that a repeat is a no-op which reads nothing more; any other file cannot be a
    # repeat, and is hashed in a thread while it loads (the hash mostly waits on reads, so on two
    # cores it costs next to nothing beside DuckDB's parse).
    size = path.stat().st_size
    seen_size = ws.con.execute(
        "SELECT count(*) FROM ingests WHERE size_bytes = ?", [size]
    ).fetchone()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bantay-sha256") as pool:
        digest = pool.submit(sha256_file, path)
        if seen_size and seen_size[0]:
            prior = ws.con.execute(
                "SELECT ingest_id, file, kind, finished_at FROM ingests WHERE sha256 = ?",
                [digest.result()],
            ).fetchone()
            if prior is not None:
                report.skipped = True
                report.ingest_id = str(prior[0])
                report.message = (
                    f"{path}: same content as {prior[1]}, already ingested as {prior[2]} "
                    f"({prior[0]}, {prior[3]:%Y-%m-%d %H:%M} UTC); nothing to do"
                )
                return report
        started = time.perf_counter()
        started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        report.ingest_id = new_ingest_id()
        loader = Loader(ws, progress)
        arrow = None
        if fmt == "iso20022":
            from bantay.ingest.iso20022 import SCHEMA, iter_batches

            arrow = pa.RecordBatchReader.from_batches(SCHEMA, iter_batches(path))
        try:
            _load(
                ws,
                loader,
                path,
                fmt,
                mapping,
                src,
                report,
                arrow,
                digest,
                size,
                started,
                started_at,
            )
        finally:
            ws.con.execute("RESET memory_limit")
            ws.con.execute("RESET preserve_insertion_order")
    return report


def _load(
    ws: Workspace,
    loader: Loader,
    path: Path,
    fmt: Format,
    mapping: Mapping,
    src: str,
    report: IngestReport,
    arrow: pa.RecordBatchReader | None,
    digest: Future[str],
    size: int,
    started: float,
    started_at: dt.datetime,
) -> None:
    with ws.transaction() as con:
        loader.run(path, fmt, mapping, src, report, arrow=arrow)
        loaded = _count(con, f"SELECT count(*) FROM {mapping.table} WHERE ingest_id = ?", report)
        quarantined = _count(con, "SELECT count(*) FROM quarantine WHERE ingest_id = ?", report)
        dups = _count(
            con,
            "SELECT count(*) FROM quarantine WHERE ingest_id = ? AND reason_code = 'duplicate_key'",
            report,
        )
        report.rows_loaded, report.rows_quarantined, report.rows_duplicate = (
            loaded,
            quarantined,
            dups,
        )
        if report.rows_read != loaded + quarantined:
            raise AssertionError(
                f"{path}: read {report.rows_read} rows but loaded {loaded} + quarantined "
                f"{quarantined}; refusing to commit"
            )
        report.quarantine_by_reason = {
            str(code): int(n)
            for code, n in con.execute(
                "SELECT reason_code, count(*) FROM quarantine WHERE ingest_id = ? "
                "GROUP BY 1 ORDER BY 2 DESC",
                [report.ingest_id],
            ).fetchall()
        }
        # values left empty in loaded rows: a count of their own, beside the rows
        for fname, code, n in con.execute(
            "SELECT field, reason_code, count(*) FROM field_faults "
            "WHERE ingest_id = ? GROUP BY ALL ORDER BY 3 DESC, 1, 2",
            [report.ingest_id],
        ).fetchall():
            report.field_faults_by_field.setdefault(str(fname), {})[str(code)] = int(n)
            report.field_faults += int(n)
        report.rows_with_field_faults = _count(
            con, "SELECT count(DISTINCT line) FROM field_faults WHERE ingest_id = ?", report
        )
        report.seconds = time.perf_counter() - started
        con.execute(
            "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report.ingest_id,
                str(path),
                digest.result(),
                size,
                mapping.kind,
                fmt,
                src,
                mapping.text,
                started_at,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                report.rows_read,
                loaded,
                quarantined,
                dups,
            ],
        )


def read_manifest(manifest: Path) -> list[tuple[Path, Format | None, Path | None, Kind | None]]:
    """Files listed in a manifest.json (as ``bantay simulate`` writes), in ingest order.

    Each entry: ``{"path": ..., "kind": ..., "format": ..., "mapping": ...}``, paths relative to
    the manifest's folder.
    """
    import json

    manifest = Path(manifest)
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        entries = data["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputFileError(f"{manifest}: not a readable manifest ({exc})") from exc
    out: list[tuple[Path, Format | None, Path | None, Kind | None]] = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or "path" not in e:
            raise InputFileError(f"{manifest}: files[{i}] has no `path`")
        mapping = manifest.parent / e["mapping"] if e.get("mapping") else None
        out.append((manifest.parent / e["path"], e.get("format"), mapping, e.get("kind")))
    return out

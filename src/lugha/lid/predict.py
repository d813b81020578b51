"""`lugha lid predict`: the ensemble label, its score and every backend's vote, per document."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from lugha.errors import LughaError
from lugha.records import (Record, atomic_open, expand_inputs, hash_inputs, iter_inputs, sha256_file, write_json,
                           write_parquet)
from lugha.signature import Signature

BATCH = 1024


@dataclass
class PredictSummary:
    documents: int = 0
    unreadable: list[str] = field(default_factory=list)
    languages: Counter = field(default_factory=Counter)
    backends: list[str] = field(default_factory=list)
    signature: dict = field(default_factory=dict)


def predict_rows(inputs: list[str | Path], lid_model: str | Path | None = None, langs: list[str] | None = None,
                 text_field: str = "text", id_field: str = "id", summary: PredictSummary | None = None
                 ) -> Iterator[dict]:
    """One dict per readable document: id, source, line, lang, score, and votes {backend: {lang, score}}.
    Unreadable records are counted in `summary` (file:line: reason), not yielded."""
    from lugha.lid.ensemble import Identifier

    ident = Identifier(candidates=langs, lid_model=lid_model)
    summary = summary if summary is not None else PredictSummary()
    summary.backends = list(ident.backend_names)
    batch: list[Record] = []

    def flush():
        preds = ident.identify([r.text for r in batch])
        for r, p in zip(batch, preds):
            summary.documents += 1
            summary.languages[p.lang] += 1
            yield {"id": r.id, "source": r.source, "line": r.line, "lang": p.lang, "score": p.score,
                   "votes": {name: {"lang": lab, "score": s} for name, (lab, s) in p.votes.items()}}
        batch.clear()

    for item in iter_inputs(inputs, text_field, id_field):
        if not isinstance(item, Record):
            summary.unreadable.append(str(item))
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            yield from flush()
    if batch:
        yield from flush()
    summary.signature = _signature(inputs, ident, langs, lid_model)


def _signature(inputs, ident, langs, lid_model) -> dict:
    return Signature.build("lid-predict", hash_inputs(expand_inputs(inputs)), backends={"lid": ident.signature()},
                           params={"langs": ",".join(sorted(ident.candidates)) if langs else None},
                           model=sha256_file(lid_model) if lid_model else None).to_dict()


def predict_files(inputs: list[str | Path], out: str | Path | None, lid_model: str | Path | None = None,
                  langs: list[str] | None = None, text_field: str = "text", id_field: str = "id",
                  write_line: Callable[[str], None] | None = None) -> PredictSummary:
    """Write predictions to OUT (.jsonl, or .parquet), or hand JSON lines to `write_line` when OUT is
    None. Returns the summary (documents, languages, unreadable, signature)."""
    if out is not None and Path(out).suffix not in (".parquet", ".jsonl", ".json", ".ndjson"):
        raise LughaError("--out must end in .jsonl or .parquet", path=out)
    summary = PredictSummary()
    rows = predict_rows(inputs, lid_model, langs, text_field, id_field, summary)
    if out is None:
        for row in rows:
            write_line(json.dumps(row, ensure_ascii=False))
        return summary
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        import pyarrow as pa

        table_rows = list(rows)
        names = summary.backends
        cols = {"id": [r["id"] for r in table_rows], "source": [r["source"] for r in table_rows],
                "line": [r["line"] for r in table_rows], "lang": [r["lang"] for r in table_rows],
                "score": pa.array([r["score"] for r in table_rows], pa.float32())}
        for b in names:  # flat columns, like the audit's: lid_<backend>, lid_<backend>_score
            cols[f"lid_{b}"] = [r["votes"][b]["lang"] for r in table_rows]
            cols[f"lid_{b}_score"] = pa.array([r["votes"][b]["score"] for r in table_rows], pa.float32())
        table = pa.table(cols)
        # the signature travels inside the file too (schema metadata), for a Parquet-only consumer
        table = table.replace_schema_metadata({b"lugha.signature": json.dumps(summary.signature).encode()})
        write_parquet(out, table, compression="snappy", fsync=False)
    elif out.suffix in (".jsonl", ".json", ".ndjson"):
        with atomic_open(out) as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        raise LughaError("--out must end in .jsonl or .parquet", path=out)
    write_json(summary_path(out), {"documents": summary.documents, "languages": dict(summary.languages.most_common()),
                                   "unreadable": len(summary.unreadable),
                                   "unreadable_examples": summary.unreadable[:100], "backends": summary.backends,
                                   "signature": summary.signature})
    return summary


def summary_path(out: str | Path) -> Path:
    """predictions.parquet -> predictions.summary.json (counts and the signature)."""
    out = Path(out)
    return out.with_name(out.name.rsplit(".", 1)[0] + ".summary.json")

"""The corpus vocabulary, defined once: Kreutzer et al.'s (2022, "Quality at a Glance") categories, their
names and order, and the columns of the audit's annotations.parquet that later steps read.

Every module that names a category, a PII kind or an annotation column imports it from here
(categories, names) or from lugha.corpus.pii (`KINDS`).
"""

from __future__ import annotations

from lugha.corpus.pii import KINDS as PII_KINDS

# The five categories, in the order every table and chart shows them.
CATEGORIES: tuple[str, ...] = ("CC", "CB", "CS", "WL", "NL")
UNREADABLE = "unreadable"  # a record that could not be read: counted beside the categories
CATEGORY_ORDER: tuple[str, ...] = (*CATEGORIES, UNREADABLE)
CATEGORY_NAMES: dict[str, str] = {
    "CC": "correct language, natural text",
    "CB": "correct language, boilerplate",
    "CS": "correct language, too short",
    "WL": "wrong language",
    "NL": "not language",
    UNREADABLE: "unreadable record",
}

# ---- annotations.parquet (one row per input record, written by the audit) ---------------------
# identity and verdict, as read from each record
ROW_COLUMNS: tuple[str, ...] = ("source", "doc_id", "line", "category", "lang", "lang_score", "script",
                                "script_match", "url", "text", "exact_hash", "error")
PII_COLUMNS: tuple[str, ...] = tuple(f"pii_{k}" for k in PII_KINDS)
# quality signals stored as they are computed (document_signals keys = annotation columns)
SIGNAL_COLUMNS: tuple[str, ...] = ("chars", "words", "script_share", "letter_share", "digit_share",
                                   "punct_share", "symbol_share", "dup_line_frac", "top_2gram_frac",
                                   "dup_5gram_frac", "boilerplate", "pii", *PII_COLUMNS)
# written by the global duplicate step
DUP_COLUMNS: tuple[str, ...] = ("dup_of", "dup_of_source", "dup_kind")
# what `lugha clean` reads back from annotations.parquet for every record
CLEAN_COLUMNS: tuple[str, ...] = ("source", "doc_id", "line", "category", "error", "lang", "lang_score",
                                  "script", "words", "chars", *PII_COLUMNS, *DUP_COLUMNS)

"""Articles from records: JSON, JSONL and CSV files, their fields found by name (``FieldMap``),
scrapers' page metadata used where the record lacks a field."""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from core.article import Article, LoadError, LoadResult, Skipped
from ingest.decode import FileProblem, decode, decoded_lines
from ingest.fields import (
    FieldMap,
    field_values,
    has_text_field,
    lookup,
    lower_keys,
    make_article,
    record_meta,
    text_value,
)


def _record_result(
    record: Mapping[Any, Any], fields: FieldMap, path: Path, where: str, label: str, place: str = ""
) -> Article | LoadError:
    """One record to an Article. ``where`` ("file.jsonl:3") and ``label`` ("search_result[2]") locate errors;
    ``place`` ("line 3") and ``label`` go to ``extra["record"]``."""
    prefix = f"{label}: " if label else ""
    try:
        rec = lower_keys(record)
        if not has_text_field(rec, fields):
            keys = ", ".join(str(key) for key in list(record)[:12]) + (", ..." if len(record) > 12 else "")
            return LoadError(
                where,
                f"{prefix}no text field: looked for {', '.join(fields.text)} — pass --fields text=YOURFIELD"
                f" (the record has: {keys or 'no fields'})",
            )
        body = next((text_value(v) for v in field_values(rec, fields.text)), "")
        meta = record_meta(rec, fields)
        record_place = ", ".join(filter(None, [place, label]))
        meta.extra = {"record": record_place} if record_place else {}
        return make_article(path, where, body, meta, prefix)
    except Exception as exc:  # one odd record must not stop the file
        return LoadError(where, f"{prefix}could not read the record: {type(exc).__name__}: {exc}")


def _nested_records(record: Mapping[Any, Any], fields: FieldMap) -> tuple[str, list[Any]] | None:
    """The list of nested article records inside ``record``, with its key, or None when it is itself one.

    Without ``records_key``, when the record has no text field of its own: the only list of objects with
    a text field, else the only list of objects, else the only empty list (a search that found nothing).
    """
    rec = lower_keys(record)
    if fields.records_key:
        value = lookup(rec, fields.records_key)
        return (fields.records_key, value) if isinstance(value, list) else None
    if has_text_field(rec, fields):
        return None
    objects = [
        (str(key), value)
        for key, value in record.items()
        if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value)
    ]
    with_text = [(k, v) for k, v in objects if any(has_text_field(lower_keys(item), fields) for item in v)]
    for candidates in (with_text, objects, [(str(k), v) for k, v in record.items() if v == []]):
        if candidates:
            return candidates[0] if len(candidates) == 1 else None
    return None


def _records_in(
    item: Any, fields: FieldMap, path: Path, where: str, label: str, place: str = ""
) -> Iterator[LoadResult]:
    if not isinstance(item, Mapping):
        yield LoadError(where, f"{label or 'record'}: is a JSON {type(item).__name__}, not an object")
        return
    nested = _nested_records(item, fields)
    if nested is None:
        yield _record_result(item, fields, path, where, label, place)
        return
    key, records = nested
    if not records:
        yield Skipped(where, f"{label + ': ' if label else ''}no articles: {key!r} is an empty list")
    for index, record in enumerate(records):
        sub = f"{label}.{key}[{index}]" if label else f"{key}[{index}]"
        if isinstance(record, Mapping):
            yield _record_result(record, fields, path, where, sub, place)
        else:
            yield LoadError(where, f"{sub}: is a JSON {type(record).__name__}, not an object")


def load_json(path: Path, fields: FieldMap) -> Iterator[LoadResult]:
    try:
        data = json.loads(decode(path.read_bytes()))
    except json.JSONDecodeError as exc:
        hint = "; one JSON object per line? name the file .jsonl" if exc.msg == "Extra data" else ""
        raise FileProblem(f"invalid JSON at line {exc.lineno}: {exc.msg}{hint}") from None
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield from _records_in(item, fields, path, str(path), f"[{index}]")
    elif isinstance(data, dict):
        yield from _records_in(data, fields, path, str(path), "")
    else:
        raise FileProblem(f"the JSON holds a {type(data).__name__}, not an object or a list of objects")


def load_jsonl(path: Path, fields: FieldMap) -> Iterator[LoadResult]:
    with path.open("rb") as stream:
        for number, line in enumerate(decoded_lines(stream), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield LoadError(where, f"invalid JSON at line {number}: {exc.msg}")
                continue
            yield from _records_in(item, fields, path, where, "", f"line {number}")


def load_csv(path: Path, fields: FieldMap) -> Iterator[Article | LoadError]:
    """Rows of a CSV file; row numbers count the header as row 1, as a spreadsheet shows them."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # scraped article bodies exceed the 128 KiB default
    with path.open("rb") as stream:
        lines = decoded_lines(stream)
        first = next(lines, "")
        delimiter = max(",;\t|", key=first.count)
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
        columns = [name.strip() for name in next(reader, [])]
        if not any(name.lower() in {c.lower() for c in columns} for name in fields.text):
            raise FileProblem(
                f"no text column: looked for {', '.join(fields.text)}; the file has columns "
                f"{', '.join(c for c in columns if c) or '(none)'} — pass --fields text=YOURCOLUMN"
            )
        for row_number in itertools.count(2):
            try:
                row = next(reader, None)
            except csv.Error as exc:
                yield LoadError(f"{path}:{row_number}", f"malformed CSV at row {row_number}: {exc}")
                return
            if row is None:
                return
            if any(cell.strip() for cell in row):
                record = dict(zip(columns, row, strict=False))
                yield _record_result(record, fields, path, f"{path}:{row_number}", "", f"row {row_number}")

"""Loading land supervision's records from a data set's layers (``parks load``).

A GeoPackage may carry seven attribute tables (``data/README.md`` describes them; the
sample's come from ``service/sample/supervision.py``): ``enterprises``,
``supply_contracts``, ``site_progress``, ``idle_delays``, ``approval_batches``,
``approval_batch_parcels`` and ``enterprise_figures``, their columns named as the
supervision tables' (service/db/sql/supervision.sql). The loader writes them in its own
transaction and change set through :func:`service.db.versioned_records.put_versions`: a
record equal to the standing version of its key is kept, one that differs ends that
version and makes a new one, so loading the same file twice changes nothing. A file
without these layers loads as before.

The functions here never open a change set: the loader decides (the load's change set
when it has one; else, only when :func:`pending_versions` finds something to write, one
of kind ``supervision``). Problems are returned as sentences naming the record; the loader
raises them as one ``LoadError``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from service.db.versioned_records import TABLE_KEYS, Written, put_versions


@dataclass(frozen=True)
class Field:
    """A column of a supervision layer: its name, its kind of value (text, date, number,
    whole number) and whether a record must give it."""

    name: str
    kind: str = "text"
    required: bool = False


def layer_fields(*spec: str) -> tuple[Field, ...]:
    """``"name:kind!"`` → Field (``!`` = required; kind defaults to text)."""
    out = []
    for item in spec:
        required = item.endswith("!")
        name, _, kind = item.rstrip("!").partition(":")
        out.append(Field(name, kind or "text", required))
    return tuple(out)


#: Layer name → (table, its columns), in the order they are loaded.
LAYERS: dict[str, tuple[str, tuple[Field, ...]]] = {
    "enterprises": ("enterprise", layer_fields("enterprise_code!", "name!", "industry")),
    "approval_batches": (
        "approval_batch",
        layer_fields(
            "batch_no!",
            "park!",
            "name!",
            "kind!",
            "approved_on:date!",
            "approved_area_m2:number!",
            "document_no",
        ),
    ),
    "approval_batch_parcels": (
        "approval_batch_parcel",
        layer_fields("batch_no!", "parcel_code!", "area_m2:number!"),
    ),
    "supply_contracts": (
        "supply_contract",
        layer_fields(
            "contract_no!",
            "parcel_code!",
            "park!",
            "holder!",
            "enterprise_code",
            "batch_no",
            "signed_on:date!",
            "supply_mode!",
            "price_wan:number!",
            "land_area_m2:number!",
            "agreed_start_on:date!",
            "agreed_completion_on:date!",
            "committed_investment_wan:number!",
            "plot_ratio_min:number",
            "plot_ratio_max:number",
            "building_coverage_min:number",
            "office_share_max:number",
            "committed_tax_wan_per_mu_year:number",
            "document_no",
        ),
    ),
    "site_progress": (
        "site_progress",
        layer_fields(
            "contract_no!",
            "reported_on:date!",
            "kind!",
            "developed_area_m2:number",
            "investment_wan:number",
            "plot_ratio:number",
            "building_coverage:number",
            "office_share:number",
            "note",
        ),
    ),
    "idle_delays": (
        "idle_delay",
        layer_fields("contract_no!", "delay_from:date!", "delay_to:date", "cause!", "document_no!"),
    ),
    "enterprise_figures": (
        "enterprise_figures",
        layer_fields(
            "enterprise_code!",
            "year:int!",
            "tax_wan:number!",
            "revenue_wan:number!",
            "added_value_wan:number",
            "energy_tce:number",
            "rd_wan:number",
            "employees:int",
        ),
    ),
}

#: What each layer's records are called in a load's report and its problems.
NOUNS: dict[str, str] = {
    "enterprises": "enterprises",
    "supply_contracts": "supply contracts",
    "site_progress": "progress reports",
    "idle_delays": "government delays",
    "approval_batches": "approval batches",
    "approval_batch_parcels": "parcels in approval batches",
    "enterprise_figures": "yearly figures",
}

#: Allowed values of the coded columns (the tables' CHECK constraints say the same).
CODES: dict[tuple[str, str], frozenset[str]] = {
    ("supply_contracts", "supply_mode"): frozenset({"grant", "allocate", "lease"}),
    ("site_progress", "kind"): frozenset(
        {"start", "report", "suspension", "resumption", "completion"}
    ),
    ("approval_batches", "kind"): frozenset(
        {"conversion", "expropriation", "conversion_expropriation"}
    ),
}
ENTERPRISE_CODE = re.compile(r"[0-9A-Z-]{1,40}")
#: A supply mode a file may also give in Chinese.
_SUPPLY_MODES_ZH = {"出让": "grant", "划拨": "allocate", "租赁": "lease"}

#: Layer name → its records: a frame of the table's columns (in :data:`LAYERS` order),
#: each value a plain Python value or None (text str, date ``datetime.date``, number
#: float, whole number int).
Records = dict[str, pd.DataFrame]


def supervision_layers(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The supervision layers among *frames* (layer name → frame), in loading order."""
    return {name: frames[name] for name in LAYERS if name in frames}


def object_series(values, index: pd.Index) -> pd.Series:
    """*values* (a list or array) as an object Series (pandas would make text a string
    dtype and its Nones NaN)."""
    out = pd.Series(index=index, dtype=object)
    if len(index):
        out[:] = np.asarray(values, dtype=object)
    return out


def _per_distinct(raw: pd.Series, convert) -> pd.Series:
    """``convert(value)`` of each value of *raw* (missing ones None), computed once per
    distinct value: a column of a hundred thousand records repeats a few thousand."""
    codes, distinct = pd.factorize(raw.astype(object), use_na_sentinel=True)
    converted = np.empty(len(distinct) + 1, dtype=object)
    converted[:-1] = [convert(v) for v in distinct]
    converted[-1] = None  # code -1: a missing value
    return object_series(converted[codes], raw.index)


def _text(raw: pd.Series) -> pd.Series:
    """Text values, stripped; missing and empty ones None."""

    def one(value: Any) -> str | None:
        if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, datetime):
            value = value.date()
        out = (value.isoformat() if isinstance(value, date) else str(value)).strip()
        return out or None

    return _per_distinct(raw, one)


def column_as_given(raw: pd.Series, kind: str) -> pd.Series:
    """A layer's column as given: numbers as they are in a numeric column, else text."""
    if kind in ("number", "int") and pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.astype(float).to_numpy()
        return object_series(np.where(np.isnan(values), None, values), raw.index)
    return _text(raw)


def typed_values(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """(values of *kind* as plain Python objects or None, where a given value is not one)."""
    present = values.notna()
    if kind == "text":
        return values, pd.Series(False, index=values.index)
    if kind == "date":

        def one(value: str | None) -> date | None:
            try:
                return None if value is None else date.fromisoformat(value[:10])
            except ValueError:
                return None

        out = _per_distinct(values, one)
        return out, present & out.isna()
    number = pd.to_numeric(values.where(present, np.nan), errors="coerce").astype(float)
    ok = number.notna() & np.isfinite(number)
    if kind == "int":
        ok &= number == np.floor(number)
    out = np.full(len(values), None, dtype=object)
    mask = ok.to_numpy()
    out[mask] = [int(v) for v in number[ok]] if kind == "int" else number[ok].tolist()
    return object_series(list(out), values.index), present & ~ok


def record_named(layer: str, table: str, frame: pd.DataFrame, index) -> str:
    """How a problem names a record of *layer* (loaded into *table*): its row in the layer
    and its key."""
    key = [frame.at[index, k] for k in TABLE_KEYS[table]]
    shown = "/".join("?" if v is None else str(v) for v in key)
    return f"{layer} row {frame.index.get_loc(index) + 1} ({shown})"


class LayerCheck:
    """One layer's values typed by its *fields* (``frame``: the table's columns, a column
    the layer lacks all None) and what is wrong with them, row by row. Vectorised: a
    problem costs a sentence, a good record nothing in Python."""

    def __init__(self, raw: pd.DataFrame, table: str, fields: tuple[Field, ...]) -> None:
        self.table = table
        raw = raw.reset_index(drop=True)
        self.frame = pd.DataFrame(index=raw.index)
        self.found: list[tuple[int, str]] = []  # (row, what is wrong with it)
        for f in fields:
            given = (
                column_as_given(raw[f.name], f.kind)
                if f.name in raw
                else object_series([None] * len(raw), raw.index)
            )
            values, wrong = typed_values(given.astype(object), f.kind)
            self.frame[f.name] = values.astype(object)
            self.flag(wrong, lambda i, f=f, given=given: f"{f.name} {given[i]!r} is not a {f.kind}")
            if f.required:
                self.flag(given.isna(), lambda i, f=f: f"{f.name} is missing")

    def flag(self, rows: pd.Series, say: Callable[[int], str]) -> None:
        """Note ``say(row)`` for every row where *rows* is true."""
        self.found.extend((int(i), say(int(i))) for i in np.flatnonzero(rows.to_numpy(dtype=bool)))

    def flag_unknown(self, column: str, allowed: frozenset[str]) -> None:
        """Note every given value of *column* that is not one of *allowed*."""
        given = self.frame[column]
        choices = ", ".join(sorted(allowed))
        self.flag(
            given.notna() & ~given.isin(allowed),
            lambda i: f"unknown {column} {given[i]!r}; one of {choices}",
        )

    def flag_repeated_keys(self, keys: list[str]) -> None:
        """Note every row whose (complete) key an earlier row gave already."""
        complete = self.frame[keys].notna().all(axis=1)
        self.flag(
            complete & self.frame[keys].astype(str).duplicated(keep="first"),
            lambda i: "its key is given twice in the layer",
        )

    def problems(self, layer: str) -> list[str]:
        """The problems noted, in row order, each naming the layer, row and record."""
        return [
            f"{record_named(layer, self.table, self.frame, i)}: {said}"
            for i, said in sorted(self.found)
        ]


def supervision_records(layers: Mapping[str, pd.DataFrame]) -> tuple[Records, list[str]]:
    """Each layer's records as the table's columns take them (see :data:`Records`;
    columns a layer lacks are None), and the problems of their values: a missing required
    field, a value of the wrong kind, an unknown code, a key given twice."""
    records: Records = {}
    problems: list[str] = []
    for layer, raw in layers.items():
        table, fields = LAYERS[layer]
        check = LayerCheck(raw, table, fields)
        frame = check.frame
        if layer == "supply_contracts":
            frame["supply_mode"] = object_series(
                [_SUPPLY_MODES_ZH.get(m, m) for m in frame["supply_mode"].tolist()], frame.index
            )
        for (coded_layer, column), allowed in CODES.items():
            if coded_layer == layer:
                check.flag_unknown(column, allowed)
        if "enterprise_code" in frame:
            code = frame["enterprise_code"]
            check.flag(
                code.map(lambda c: c is not None and not ENTERPRISE_CODE.fullmatch(c)),
                lambda i, code=code: (
                    f"enterprise_code {code[i]!r}: digits, capital letters and '-' only, "
                    "1–40 of them"
                ),
            )
        check.flag_repeated_keys(list(TABLE_KEYS[table]))
        problems += check.problems(layer)
        records[layer] = frame
    return records, problems


def _standing(conn: Connection, query: str, values: list[Any]) -> set:
    if not values:
        return set()
    return set(conn.execute(text(query), {"values": values}).scalars())


#: The layers whose records refer to a layer's keys.
_REFERRING: dict[str, tuple[str, ...]] = {
    "supply_contracts": ("site_progress", "idle_delays"),
    "approval_batches": ("approval_batch_parcels", "supply_contracts"),
    "enterprises": ("supply_contracts", "enterprise_figures"),
}


def supervision_problems(conn: Connection, records: Records) -> list[str]:
    """What *records* refer to that does not exist: a park, a standing parcel (and a
    contract's parcel in another park), a contract, a batch or an enterprise neither in
    the file nor standing in the database."""
    parks = set(conn.execute(text("SELECT code FROM park")).scalars())
    parcel_codes = sorted(
        {
            code
            for layer in ("supply_contracts", "approval_batch_parcels")
            if layer in records
            for code in records[layer]["parcel_code"].dropna()
        }
    )
    parcel_park = (
        dict(
            conn.execute(
                text(
                    "SELECT parcel_code, park FROM parcel_version "
                    "WHERE valid_to IS NULL AND parcel_code = ANY(:codes)"
                ),
                {"codes": parcel_codes},
            ).all()
        )
        if parcel_codes
        else {}
    )

    def known(layer: str, column: str, table: str) -> set:
        in_file = set(records[layer][column].dropna()) if layer in records else set()
        wanted = {
            v
            for referring in _REFERRING[layer]
            if referring in records
            for v in records[referring][column].dropna()
        }
        return in_file | _standing(
            conn,
            f"SELECT {column} FROM {table} WHERE valid_to IS NULL AND {column} = ANY(:values)",
            sorted(wanted - in_file),
        )

    refers: dict[str, list[tuple[str, str, set]]] = {layer: [] for layer in records}
    contracts = known("supply_contracts", "contract_no", "supply_contract")
    batches = known("approval_batches", "batch_no", "approval_batch")
    enterprises = known("enterprises", "enterprise_code", "enterprise")
    for layer, column, noun, values in (
        ("site_progress", "contract_no", "supply contract", contracts),
        ("idle_delays", "contract_no", "supply contract", contracts),
        ("approval_batch_parcels", "batch_no", "approval batch", batches),
        ("supply_contracts", "batch_no", "approval batch", batches),
        ("supply_contracts", "enterprise_code", "enterprise", enterprises),
        ("enterprise_figures", "enterprise_code", "enterprise", enterprises),
        ("supply_contracts", "park", "park", parks),
        ("approval_batches", "park", "park", parks),
        ("supply_contracts", "parcel_code", "parcel", set(parcel_park)),
        ("approval_batch_parcels", "parcel_code", "parcel", set(parcel_park)),
    ):
        if layer in refers:
            refers[layer].append((column, noun, values))

    problems = []
    for layer, frame in records.items():
        table = LAYERS[layer][0]
        for column, noun, values in refers[layer]:
            given = frame[column]
            for i in np.flatnonzero((given.notna() & ~given.isin(values)).to_numpy()):
                problems.append(
                    f"{record_named(layer, table, frame, i)}: unknown {noun} {given[i]!r}"
                )
        if layer == "supply_contracts":
            elsewhere = frame["park"].isin(parks) & frame["parcel_code"].isin(parcel_park)
            elsewhere &= frame["parcel_code"].map(parcel_park) != frame["park"]
            for i in np.flatnonzero(elsewhere.to_numpy()):
                code = frame.at[i, "parcel_code"]
                problems.append(
                    f"{record_named(layer, table, frame, i)}: parcel {code} is in park "
                    f"{parcel_park[code]!r}"
                )
    return problems


def record_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """*frame*'s records as mappings of plain values (as :func:`put_versions` takes them)."""
    columns = list(frame.columns)
    return [
        dict(zip(columns, values, strict=True))
        for values in zip(*(frame[c].tolist() for c in columns), strict=True)
    ]


def pending_versions(
    conn: Connection,
    records: Records,
    *,
    layers: Mapping[str, tuple[str, tuple[Field, ...]]] = LAYERS,
) -> dict[str, int]:
    """Per layer, how many of *records* have no equal standing version (a write would make
    a version for each): all zero means a load has nothing to write. Compared as
    :func:`put_versions` compares, after the values are cast to the table's columns.
    *layers*: layer name → (table, fields) (the supervision layers, or the key projects'
    of ``service.projects.loading``)."""
    raw = conn.connection.driver_connection
    pending: dict[str, int] = {}
    for layer, frame in records.items():
        if frame.empty:
            pending[layer] = 0
            continue
        table, fields = layers[layer]
        columns = [f.name for f in fields]
        keys = TABLE_KEYS[table]
        values = [c for c in columns if c not in keys]
        conn.execute(text("DROP TABLE IF EXISTS pg_temp.supervision_pending"))
        conn.execute(
            text(
                "CREATE TEMPORARY TABLE supervision_pending ON COMMIT DROP AS "
                f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
            )
        )
        copy_sql = f"COPY supervision_pending ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in zip(*(frame[c].tolist() for c in columns), strict=True):
                copy.write_row(row)
        same_key = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        same_values = (
            "("
            + ", ".join(f"t.{c}" for c in values)
            + ") IS NOT DISTINCT FROM ("
            + ", ".join(f"s.{c}" for c in values)
            + ")"
            if len(values) > 1
            else f"t.{values[0]} IS NOT DISTINCT FROM s.{values[0]}"
        )
        pending[layer] = conn.execute(
            text(
                f"SELECT count(*) FROM supervision_pending s WHERE NOT EXISTS ("
                f"SELECT 1 FROM {table} t WHERE t.valid_to IS NULL AND {same_key} "
                f"AND {same_values})"
            )
        ).scalar_one()
        conn.execute(text("DROP TABLE pg_temp.supervision_pending"))
    return pending


class RecordWriteError(Exception):
    """The database refused a record of a layer (a constraint of its table); the message
    names the layer and the database's reason."""


def put_layers(
    conn: Connection,
    *,
    change_set_id: int,
    records: Records,
    layers: Mapping[str, tuple[str, tuple[Field, ...]]] = LAYERS,
) -> dict[str, Written]:
    """Write *records* (layer name → records) as the standing versions of their keys in
    change set *change_set_id*, layer by layer (:func:`put_versions`; *layers* as
    :func:`pending_versions` takes them). A refusal by the database (e.g. an agreed start
    before the signing) raises :class:`RecordWriteError` naming the layer: the
    transaction is then spoilt and must be rolled back, as the loader does."""
    written = {}
    for layer, frame in records.items():
        table, _ = layers[layer]
        try:
            written[layer] = put_versions(
                conn, change_set_id=change_set_id, table=table, rows=record_rows(frame)
            )
        except DBAPIError as exc:
            diag = getattr(exc.orig, "diag", None)
            reason = getattr(diag, "message_primary", None) or str(exc.orig)
            detail = getattr(diag, "message_detail", None)
            raise RecordWriteError(
                f"{layer}: the database refused a record: {reason}"
                + (f" ({detail})" if detail else "")
            ) from exc
    return written

"""Deterministic generator of production-like inference and label events.

The generator writes the two raw tables of the input contract,
``inference_events`` and ``label_events``, into a staging schema (``gen`` by
default) holding every row with its ``ingested_at``; :func:`deliver` then
copies the rows that have "arrived" by a cut-off into the schema the dbt
sources read (``raw``).  Simulating a scheduler is a loop over
:func:`arrival_cutoffs` calling :func:`deliver` and ``dbt build``.

How rows are made
-----------------
* DuckDB makes every row in set-based SQL over a table of event indices;
  Python only writes the SQL text.  Index ``i`` is the i-th clean event.
* Randomness is a pure function of (i, seed, stream):
  ``hash(xor(i * 256 + stream, seed_mask))``, its top 53 bits scaled to
  [0, 1).  DuckDB's ``random()`` is not used because its sequence depends on
  thread scheduling, and the variadic ``hash(i, seed, stream)`` is not used
  because it combines argument hashes with xor, which leaves streams that
  differ only in one argument correlated (corr ~0.6).  Normals come from
  Box-Muller.
* All randomness is keyed by the *global* row index, so generating in chunks
  of index ranges, or with any number of threads, gives exactly the same rows
  (in the same physical order).  The guarantee holds per DuckDB version: the
  values come from DuckDB's ``hash()``, which a new release may change.
* Event times are a monotone function of i (an inverse CDF of a daily
  seasonal traffic curve), so chunk k covers a time range.  That is what lets
  :func:`generate` write the inference table already sorted by ingested_at,
  chunk by chunk, without a global sort (see :func:`_ingestion_windows`).

Ground truth
------------
Every clean event has a hidden true class, stored in ``{schema}.truth`` and
never in the raw tables.  Labelers are right, except on corrected events: for
those the *first* label is a wrong class and a second label row with a later
``labeled_at`` carries the true class.  So "latest label wins" (by
``labeled_at``, then ``ingested_at``) always yields the true class.  Malformed
label rows have a null key or label, or carry the true class, so they can
never change the latest valid label either.

Anomalies are EXTRA rows; the clean data stays intact:

* retries: an identical copy of an event with a later ``ingested_at``;
* conflicts: the same ``event_id`` re-sent later with the top-2 classes of the
  probability vector swapped (other ``predicted_class`` and ``class_scores``,
  row still internally consistent) and a re-drawn latency;
* malformed inferences, with fresh ``event_id``\\ s that never collide with
  real ones: null event_id, null model_name, predicted_score > 1, event_time
  two days after its ingested_at, negative latency, truncated JSON;
* malformed labels: null label, null event_id, labeled_at 1-5 days after the
  row's ingested_at.

Performance notes
-----------------
* Every decimal literal is rewritten to a DOUBLE literal (:func:`_doubles`):
  DuckDB types ``3.1`` as DECIMAL, and mixed DECIMAL/DOUBLE arithmetic made
  the event query 5-10x slower.
* Lookups by class index use list literals (``[...][y + 1]``) rather than
  10-branch CASE expressions, which cost ~20 ns per row each.
* Extra rows re-derive their event from the same SQL, filtered on ``i`` at
  the source (DuckDB does not push such a filter down through the stack of
  projections), so a 1% retry branch costs about 1% of the main branch and
  no intermediate result is materialised.
* Event indices are read from a temp table, not ``range()``: DuckDB scans a
  table with all threads but runs the ``range()`` table function on one.
* Measured (2 vCPUs shared with other jobs, so pessimistic): 1M events in
  ~5 CPU-seconds, 10M in ~52 CPU-seconds, peak RSS ~7 GB for 10M in an
  in-memory database (the tables themselves; a file database stays small).
"""

from __future__ import annotations

import math
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Callable

import duckdb

__all__ = [
    "ARRIVAL_HORIZON",
    "CATEGORICAL_FEATURES",
    "CHUNK_SIZE",
    "CLASSES",
    "GeneratorConfig",
    "INFERENCE_COLUMNS",
    "LABEL_COLUMNS",
    "MALFORMED_INFERENCE_KINDS",
    "MALFORMED_LABEL_KINDS",
    "MODEL_NAME",
    "NUMERIC_FEATURES",
    "SLICE_COLUMNS",
    "arrival_cutoffs",
    "deliver",
    "generate",
    "write_demo",
]

MODEL_NAME = "product-categorizer"

# The contract's column lists are defined once, in contract.py.
from classifier_monitor.contract import (  # noqa: E402
    CATEGORICAL_FEATURES,
    INFERENCE_COLUMNS as _CONTRACT_INFERENCE_COLUMNS,
    LABEL_COLUMNS as _CONTRACT_LABEL_COLUMNS,
    NUMERIC_FEATURES,
    SLICE_COLUMNS,
)

# Classes with their prior share, similarity group and typical price.
# Siblings (same group) get a smaller logit boost than the true class, so most
# model errors confuse siblings, as a real product categorizer does.
_CLASS_SPEC = [
    # name,        prior, group, median amount
    ("electronics", 0.250, 0, 180.0),
    ("computers", 0.070, 0, 650.0),
    ("phones", 0.090, 0, 420.0),
    ("clothing", 0.170, 1, 45.0),
    ("shoes", 0.070, 1, 80.0),
    ("accessories", 0.045, 1, 30.0),
    ("home", 0.130, 2, 70.0),
    ("garden", 0.025, 2, 55.0),
    ("toys", 0.050, 3, 28.0),
    ("books", 0.100, 3, 18.0),
]
CLASSES = [spec[0] for spec in _CLASS_SPEC]

INFERENCE_COLUMNS = {name: kind.upper() for name, kind in _CONTRACT_INFERENCE_COLUMNS.items()}
LABEL_COLUMNS = {name: kind.upper() for name, kind in _CONTRACT_LABEL_COLUMNS.items()}
MALFORMED_INFERENCE_KINDS = ["null_event_id", "null_model_name", "score_out_of_range",
                             "future_event_time", "negative_latency", "invalid_json"]
MALFORMED_LABEL_KINDS = ["null_label", "null_event_id", "labeled_after_ingested"]

# Events per chunk.  Chunking bounds one statement's size and drives the
# progress line; it never changes the data.
CHUNK_SIZE = 2_000_000

# Upper bounds of the delays, so arrival_cutoffs() can bound the last arrival
# without reading the data.
INGEST_DELAY_CAP = timedelta(hours=12)        # inference rows, incl. the "hours late" ones
_RETRY_DELAY_CAP_S = 7200.0                   # a retry lands at most this long after the original
_CONFLICT_DELAY_CAP_S = 21600.0               # same for a conflicting re-send (plus a 60 s minimum)
_ONTIME_INGEST_CAP_S = 3600.0                 # ingest delay of the rows that are not "hours late"
# Upper bounds of ingested_at - event_time, with an hour of slack for rounding;
# generate() relies on them to sort chunk by chunk.  ONTIME: an original row
# (or malformed copy) not flagged late.  ANY: every inference row.
_ONTIME_LAG_CAP = timedelta(seconds=_ONTIME_INGEST_CAP_S, hours=1)
_INFERENCE_LAG_CAP = INGEST_DELAY_CAP + timedelta(seconds=60 + _CONFLICT_DELAY_CAP_S, hours=1)
LABEL_DELAY_CAP = timedelta(days=30)          # labeled_at - event_time, corrections included
LABEL_INGEST_DELAY_CAP = timedelta(hours=6)   # label ingested_at - labeled_at
ARRIVAL_HORIZON = LABEL_DELAY_CAP + LABEL_INGEST_DELAY_CAP

# Model behaviour, tuned by simulation: accuracy ~78% (v1) / ~82% (v2), about
# 55-60% inside the drift episode; ~80% of errors are sibling confusions.
_TRUE_BOOST = {"v1": 3.1, "v2": 3.4}
_SIBLING_BOOST = {"v1": 1.7, "v2": 1.8}
_DRIFT_BOOST_LOSS = 1.35     # true-class boost lost inside the drift episode
_DRIFT_SIBLING_BOOST = 1.2
_PRIOR_WEIGHT = 0.4          # the model learned the class prior a little
_SHARPNESS = 1.6             # inverse softmax temperature: roughly calibrated scores
_V2_ROLLOUT = (0.5, 0.8)     # v2 traffic share ramps 0 -> 100% between these fractions of the period
_SEASONALITY = 0.6           # daily traffic peak/trough = (1+a)/(1-a) = 4, peak at 12:00 UTC
_INGEST_LATE_SHARE = 0.03    # inference rows that land hours late (backed-up queue)


def _naive_utc(ts: datetime) -> datetime:
    """The contract stores naive UTC timestamps; accept aware ones too."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(timezone.utc).replace(tzinfo=None)
    return ts


@dataclass(frozen=True)
class GeneratorConfig:
    n_inferences: int = 1_000_000
    days: int = 14
    start: datetime = datetime(2026, 1, 1)  # naive datetimes are UTC
    seed: int = 42
    label_rate: float = 0.85  # share of events that ever get a label
    correction_rate: float = 0.005  # share of labeled events that later get a corrected label
    retry_rate: float = 0.01  # identical retried inference rows (same content, later ingested_at)
    conflict_rate: float = 0.0003  # event_ids repeated with different content
    malformed_rate: float = 0.0003  # malformed inference rows; the same share of labeled events -> malformed labels
    drift_slice: tuple[str, str] = ("region", "eu-west")
    drift_start_day: int | None = None  # day offset of the drift episode; default 2/3 of days, at 00:00

    def __post_init__(self) -> None:
        if int(self.n_inferences) != self.n_inferences or not 1 <= self.n_inferences < 2**46:
            raise ValueError("n_inferences must be an integer in [1, 2**46)")
        if int(self.days) != self.days or self.days < 1:
            raise ValueError("days must be a positive integer")
        if int(self.seed) != self.seed:
            raise ValueError("seed must be an integer")
        for name in ("label_rate", "correction_rate", "retry_rate", "conflict_rate", "malformed_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if self.drift_slice[0] not in SLICE_COLUMNS:
            raise ValueError(f"drift_slice column must be one of {SLICE_COLUMNS}")
        if self.drift_start_day is not None and not 0 <= self.drift_start_day <= self.days:
            raise ValueError("drift_start_day must be within [0, days]")
        object.__setattr__(self, "start", _naive_utc(self.start))  # frozen: normalise once here

    @property
    def drift_start(self) -> datetime:
        day = self.drift_start_day if self.drift_start_day is not None else (2 * self.days) // 3
        return self.start + timedelta(days=day)

    @property
    def end(self) -> datetime:
        """Exclusive end of the clean event_time range."""
        return self.start + timedelta(days=self.days)

    @property
    def last_arrival_bound(self) -> datetime:
        """No row is ingested after this instant (labels land up to ~30 days late)."""
        return self.end + ARRIVAL_HORIZON


# ---------------------------------------------------------------------------
# SQL building blocks
# ---------------------------------------------------------------------------

# Named random streams; the position is the salt.  Only ever APPEND: moving a
# name changes every data set generated from then on.
_STREAMS = [
    "time_jitter", "class", "region", "device", "channel", "version",
    "noise_a0", "noise_b0", "noise_a1", "noise_b1", "noise_a2", "noise_b2",
    "noise_a3", "noise_b3", "noise_a4", "noise_b4",
    "ingest_late", "ingest_late_len", "ingest_a", "ingest_b",
    "lat_a", "lat_b", "lat_tail", "lat_tail_len", "error", "error_null",
    "amount_a", "amount_b", "age", "session_a", "session_b", "basket",
    "discount_null", "discount_any", "discount_size",
    "browser", "payment", "referrer", "referrer_null",
    "retry", "retry_a", "retry_b", "conflict", "conflict_a", "conflict_b",
    "conflict_lat_a", "conflict_lat_b",
    "malformed", "malformed_kind",
    "label", "label_comp", "label_a", "label_b", "label_tail",
    "label_ing_a", "label_ing_b",
    "correction", "wrong_label", "corr_a", "corr_b", "corr_ing_a", "corr_ing_b",
    "malformed_label", "malformed_label_kind", "malformed_label_lag",
    "feistel_0", "feistel_1", "feistel_2", "feistel_3",
]
_SALT = {name: k for k, name in enumerate(_STREAMS)}
assert len(_SALT) == len(_STREAMS) <= 256, "duplicate stream name or more than 256 streams"

_INV_2_53 = "1.1102230246251565e-16"  # 2**-53: (hash >> 11) * 2**-53 is in [0, 1)
_MASK24 = (1 << 24) - 1


def _splitmix64(x: int) -> int:
    """Spread a seed over 64 bits, so seeds 1 and 2 give unrelated streams."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


class _Rand:
    """SQL expressions for seeded pseudo-random numbers.

    One integer hash of a value unique per (key, stream, seed); it passes a
    20x20 chi-square independence check between streams and between rows.
    """

    def __init__(self, seed: int):
        self.mask = _splitmix64(int(seed) & 0xFFFFFFFFFFFFFFFF) >> 1  # 63 bits: xor stays a BIGINT

    def h(self, stream: str, key: str = "i") -> str:
        """A 64-bit UBIGINT."""
        return f"hash(xor(({key}) * 256 + {_SALT[stream]}, {self.mask}))"

    def u(self, stream: str, key: str = "i") -> str:
        """A uniform in [0, 1)."""
        return f"(({self.h(stream, key)} >> 11) * {_INV_2_53})"

    def normal(self, a: str, b: str, key: str = "i") -> str:
        """A standard normal (Box-Muller; 1 - u keeps ln() away from 0)."""
        return f"(sqrt(-2 * ln(1 - {self.u(a, key)})) * cos(2 * pi() * {self.u(b, key)}))"

    def lognormal(self, median: float, sigma: float, a: str, b: str, key: str = "i") -> str:
        return f"exp({math.log(median)!r} + {sigma!r} * {self.normal(a, b, key)})"


_DECIMAL_LITERAL = re.compile(r"(?<![\w.])(\d+\.\d+)(?![\w.])")


def _doubles(sql: str) -> str:
    """Rewrite every plain decimal literal (3.1) as a DOUBLE literal (3.1e0).

    DuckDB types 3.1 as DECIMAL and mixed DECIMAL/DOUBLE arithmetic is ~10x
    slower than DOUBLE arithmetic.  Quoted strings are left alone.
    """
    parts = sql.split("'")
    for k in range(0, len(parts), 2):  # even parts lie outside quotes ('' escapes keep the parity)
        parts[k] = _DECIMAL_LITERAL.sub(r"\1e0", parts[k])
    return "'".join(parts)


def _lit(value) -> str:
    """SQL literal for the few kinds of Python values we inline."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_lit(v) for v in value) + "]"
    return repr(value)


def _pick(u: str, choices: list[tuple[object, float]]) -> str:
    """Categorical draw from weighted choices: a case over cumulative shares."""
    total = sum(w for _, w in choices)
    bounds = list(accumulate(w / total for _, w in choices))
    arms = " ".join(f"when {u} < {b!r} then {_lit(v)}" for (v, _), b in zip(choices[:-1], bounds))
    return f"(case {arms} else {_lit(choices[-1][0])} end)"


def _by(column: str, table: dict, default: str) -> str:
    """Case over a column's value; null or unlisted values take `default`."""
    arms = " ".join(f"when {column} = {_lit(k)} then {v}" for k, v in table.items())
    return f"(case {arms} else {default} end)"


def _per_class(values: list, idx: str) -> str:
    """values[idx] for a 0-based class index, as a list lookup (no CASE)."""
    return f"{_lit(values)}[{idx} + 1]"


def _class_scores_json(p: list[str]) -> str:
    # json_object is ~2x faster than string concatenation and prints the
    # 6-decimal doubles exactly, so the text parses back to predicted_score.
    pairs = ", ".join(f"{_lit(c)}, {p[k]}" for k, c in enumerate(CLASSES))
    return f"json_object({pairs})::varchar"


def _seconds(expr: str) -> str:
    """Fractional seconds -> interval (microsecond resolution)."""
    return f"to_microseconds(round(({expr}) * 1e6)::bigint)"


def _feistel(rel: str, x: str, rnd: _Rand) -> str:
    """Wrap relation `rel`, adding `_fid`: a seeded bijection of the 48-bit value x.

    A 4-round Feistel network over two 24-bit halves is a permutation, so
    distinct inputs give distinct ids with certainty (a 64-bit hash would
    collide now and then at 10M+ rows), while the ids still look random.
    """
    q = f"select *, ({x}) >> 24 as _fa, ({x}) & {_MASK24} as _fb from ({rel})"
    for r in range(4):
        f = f"({rnd.h(f'feistel_{r}', '_fb')} & {_MASK24})::bigint"
        q = f"select * exclude (_fa, _fb), _fb as _fa, xor(_fa, {f}) as _fb from ({q})"
    return f"select * exclude (_fa, _fb), (_fa << 24) | _fb as _fid from ({q})"


def _event_id(fid: str) -> str:
    return f"'evt-' || lpad(lower(to_hex({fid})), 12, '0')"


def _select_list(columns: list[str], overrides: dict[str, str]) -> str:
    """The contract's column list, some columns replaced by expressions."""
    return ", ".join(f"{overrides[c]} as {c}" if c in overrides else c for c in columns)


# ---------------------------------------------------------------------------
# Clean events
# ---------------------------------------------------------------------------


def _event_offset_us(cfg: GeneratorConfig, rnd: _Rand) -> str:
    """Microsecond offset of event i from cfg.start, monotone in i.

    x = (i + jitter) / n is a stratified uniform on [0, 1).  Within a day,
    v -> v + a/(2 pi) sin(2 pi v) is monotone for a < 1 and its inverse
    density 1 + a cos(2 pi v) makes traffic peak at noon and sag at midnight.
    """
    n, days, a = cfg.n_inferences, cfg.days, _SEASONALITY
    x = f"((i + {rnd.u('time_jitter')}) / {n} * {days})"
    v = f"({x} - floor({x}))"
    t_days = f"(floor({x}) + {v} + {a / (2 * math.pi)!r} * sin(2 * pi() * {v}))"
    return f"least(round({t_days} * 86400e6)::bigint, {days * 86_400_000_000 - 1})"


def _events_sql(cfg: GeneratorConfig, ids: str, where: str = "true") -> str:
    """One row per clean event i in table `ids` satisfying `where` (a condition
    on i only): contract columns plus i, y (true class index), pred and p0..p9
    (rounded probabilities) for the derived rows.

    `where` is applied at the source on purpose: DuckDB does not push a filter
    down through this stack of projections, and the derived rows (1% retries,
    0.03% conflicts...) must not pay for computing every event."""
    rnd = _Rand(cfg.seed)
    drift_col, drift_val = cfg.drift_slice

    # -- who and when ------------------------------------------------------------
    region = _pick(rnd.u("region"), [("us-east", 30), ("us-west", 20), ("eu-west", 18),
                                     ("eu-central", 14), ("ap-south", 10), ("sa-east", 8)])
    device = _pick(rnd.u("device"), [("mobile", 55), ("desktop", 35), ("tablet", 10)])
    channel = _pick(rnd.u("channel"), [("web", 45), ("app", 35), ("email", 10), ("ads", 7), (None, 3)])
    true_idx = _pick(rnd.u("class"), [(k, spec[1]) for k, spec in enumerate(_CLASS_SPEC)])
    who = f"""
        select i, {_event_offset_us(cfg, rnd)} as t_us, {true_idx} as y,
            {region} as region, {device} as device, {channel} as channel
        from {ids} where {where}"""

    # -- model version, drift flag, noise, serving and features ------------------
    lo_r, hi_r = _V2_ROLLOUT
    rollout = f"least(greatest((t_us / {cfg.days * 86400e6!r} - {lo_r}) / {hi_r - lo_r!r}, 0), 1)"
    noises = []
    for j in range(5):  # 5 Box-Muller pairs -> 10 independent logit noises
        radius = f"sqrt(-2 * ln(1 - {rnd.u(f'noise_a{j}')}))"
        angle = f"(2 * pi() * {rnd.u(f'noise_b{j}')})"
        noises += [f"{radius} * cos({angle}) as n{2 * j}", f"{radius} * sin({angle}) as n{2 * j + 1}"]
    # Inference ingestion: mostly seconds to minutes; a few percent land 1-12
    # hours late, which is what lets some labels arrive before their inference.
    ingest_delay = (f"case when {rnd.u('ingest_late')} < {_INGEST_LATE_SHARE} "
                    f"then 3600 + {rnd.u('ingest_late_len')} * {INGEST_DELAY_CAP.total_seconds() - 3600} "
                    f"else least(0.05 + {rnd.lognormal(15, 1.2, 'ingest_a', 'ingest_b')}, {_ONTIME_INGEST_CAP_S}) end")
    # amount: class price level (what makes it informative), regional price
    # level, lognormal spread; the drift multiplier is applied later.
    region_price = _by("region", {"eu-west": "1.1", "eu-central": "1.05", "ap-south": "0.7", "sa-east": "0.8"},
                       "1.0")
    session_by_device = _by("device", {"mobile": "0.7", "tablet": "0.9", "desktop": "1.3"}, "1.0")
    session_by_class = _per_class([1.2, 1.5, 1.3, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.8], "y")
    basket_by_class = _per_class([0.4, 0.4, 0.4, 1.3, 0.4, 0.9, 0.4, 0.4, 1.1, 1.6], "y")
    discount_share = _by("channel", {"email": "0.65", "ads": "0.45"}, "0.25")
    br = rnd.u("browser")
    browser = (
        "case device "
        f"when 'mobile' then {_pick(br, [('safari', 45), ('chrome', 45), ('samsung', 7), ('other', 3)])} "
        f"when 'tablet' then {_pick(br, [('safari', 62), ('chrome', 35), ('other', 3)])} "
        f"else {_pick(br, [('chrome', 60), ('edge', 15), ('safari', 12), ('firefox', 10), ('other', 3)])} end")
    payment_usual = _pick(rnd.u("payment"), [("card", 55), ("paypal", 20), ("apple_pay", 12),
                                             ("bank_transfer", 8), ("gift_card", 5)])
    payment_drift = _pick(rnd.u("payment"), [("card", 35), ("paypal", 15), ("apple_pay", 10),
                                             ("bank_transfer", 25), ("gift_card", 15)])
    # referrer follows the channel; toys and books come more often from social media.
    ref = rnd.u("referrer")
    referrer = (
        f"case when {rnd.u('referrer_null')} < 0.04 then null "
        f"when channel = 'email' then {_pick(ref, [('email', 85), ('direct', 15)])} "
        f"when channel = 'ads' then {_pick(ref, [('partner', 50), ('social', 40), ('search', 10)])} "
        f"when y >= 8 then {_pick(ref, [('search', 35), ('direct', 25), ('social', 35), ('partner', 5)])} "
        f"else {_pick(ref, [('search', 50), ('direct', 30), ('social', 15), ('partner', 5)])} end")
    event_time = f"{_lit(cfg.start)} + to_microseconds(t_us)"
    what = f"""
        select *,
            {event_time} as event_time,
            ({drift_col} is not distinct from {_lit(drift_val)} and {event_time} >= {_lit(cfg.drift_start)})
                as drifted,
            {rnd.u('version')} < {rollout} as is_v2,
            {_per_class([spec[2] for spec in _CLASS_SPEC], 'y')} as y_group,
            {', '.join(noises)},
            {_seconds(ingest_delay)} as ingest_delay,
            {rnd.normal('lat_a', 'lat_b')} as lat_n,
            case when {rnd.u('lat_tail')} < 0.02 then 4 / power(1 - {rnd.u('lat_tail_len')}, 0.7) else 1 end
                as lat_tail,
            {rnd.u('error')} as u_error,
            {rnd.u('error_null')} < 0.002 as error_null,
            exp(ln({_per_class([spec[3] for spec in _CLASS_SPEC], 'y')}) + 0.9 * {rnd.normal('amount_a', 'amount_b')})
                * {region_price} as amount_usual,
            floor(-ln(1 - {rnd.u('age')}) * case when device = 'mobile' then 300 else 480 end) as account_age_days,
            round({rnd.lognormal(240, 0.9, 'session_a', 'session_b')} * {session_by_device} * {session_by_class}, 1)
                as session_seconds,
            1 + floor(-ln(1 - {rnd.u('basket')}) * {basket_by_class}) as basket_size,
            case when {rnd.u('discount_null')} < 0.02 then null
                 when {rnd.u('discount_any')} < {discount_share} then 5 * (1 + floor({rnd.u('discount_size')} * 8))
                 else 0 end::double as discount_pct,
            {browser} as browser,
            {payment_usual} as payment_usual, {payment_drift} as payment_drift,
            {referrer} as referrer
        from ({who})"""

    # -- logits = noise + true-class boost + sibling boost + learned prior -------
    boost = (f"case when drifted then (case when is_v2 then {_TRUE_BOOST['v2'] - _DRIFT_BOOST_LOSS!r} "
             f"else {_TRUE_BOOST['v1'] - _DRIFT_BOOST_LOSS!r} end) "
             f"when is_v2 then {_TRUE_BOOST['v2']!r} else {_TRUE_BOOST['v1']!r} end")
    sibling = (f"case when drifted then {_DRIFT_SIBLING_BOOST!r} "
               f"when is_v2 then {_SIBLING_BOOST['v2']!r} else {_SIBLING_BOOST['v1']!r} end")
    logits = [
        f"n{k} + case when y = {k} then boost when y_group = {group} then sibling else 0 end "
        f"+ {_PRIOR_WEIGHT * math.log(prior)!r} as z{k}"
        for k, (_, prior, group, _) in enumerate(_CLASS_SPEC)
    ]
    noise_cols = ", ".join(f"n{k}" for k in range(10))
    scored = f"""
        select * exclude ({noise_cols}, boost, sibling), {', '.join(logits)}
        from (select *, {boost} as boost, {sibling} as sibling from ({what}))"""

    # -- softmax and argmax ------------------------------------------------------
    z = [f"z{k}" for k in range(10)]
    # argmax without a 10-branch CASE; an exact tie of two continuous draws
    # has probability ~1e-16 and is clamped to a valid index.
    argmax = "least(" + " + ".join(f"(z{k} = zmax)::int * {k}" for k in range(1, 10)) + ", 9)"
    exps = ", ".join(f"exp({_SHARPNESS!r} * (z{k} - zmax)) as e{k}" for k in range(10))
    softmax = f"""
        select *, {argmax} as pred, {exps}
        from (select *, greatest({', '.join(z)}) as zmax from ({scored}))"""
    # Rounding to 6 decimals keeps the sum of the 10 values within 5e-6 of 1.
    # e_pred = exp(0) = 1 exactly, so round(1 / esum, 6) is bit-identical to
    # p_pred: the score equals its JSON entry without a lookup.
    probs = ", ".join(f"round(e{k} / esum, 6) as p{k}" for k in range(10))
    served = f"""
        select *, {probs}, round(1 / esum, 6) as predicted_score,
            round(exp(ln(case when is_v2 then 38 else 45 end) + 0.45 * lat_n) * lat_tail
                  * case when drifted then 3 else 1 end, 3) as latency_ms,
            case when error_null then null else u_error < case when drifted then 0.05 else 0.005 end end
                as is_error,
            round(amount_usual * case when drifted then 1.6 else 1 end, 2) as amount,
            case when drifted then payment_drift else payment_usual end as payment_method
        from (select *, {' + '.join(f'e{k}' for k in range(10))} as esum from ({softmax}))"""

    p = [f"p{k}" for k in range(10)]
    return f"""
        select i, y, pred, {', '.join(p)},
            {_event_id('_fid')} as event_id,
            event_time,
            event_time + ingest_delay as ingested_at,
            {_lit(MODEL_NAME)} as model_name,
            case when is_v2 then 'v2' else 'v1' end as model_version,
            {_per_class(CLASSES, 'pred')} as predicted_class,
            predicted_score,
            {_class_scores_json(p)} as class_scores,
            latency_ms, is_error, region, device, channel,
            amount, account_age_days, session_seconds, basket_size, discount_pct,
            browser, payment_method, referrer
        from ({_feistel(served, 'i', rnd)})"""


# ---------------------------------------------------------------------------
# All rows: clean events plus retries, conflicts, malformed rows; labels
# ---------------------------------------------------------------------------

_INF_COLS = list(INFERENCE_COLUMNS)
_LAB_COLS = list(LABEL_COLUMNS)

# Every generated row carries `_ord` = i * 16 + kind: a total order that
# breaks ties on ingested_at, so the physical row order is deterministic too.
# It never reaches the output tables.
_KIND_RETRY, _KIND_CONFLICT, _KIND_MALFORMED = 1, 2, 3          # inference rows; malformed: 3 + kind
_KIND_CORRECTION, _KIND_MALFORMED_LABEL = 1, 2                  # label rows; malformed: 2 + kind


def _inference_rows_sql(cfg: GeneratorConfig, events: Callable[[str], str]) -> str:
    """All inference rows; events(where) is the clean-event SQL restricted by `where`."""
    rnd = _Rand(cfg.seed)
    main = f"select {_select_list(_INF_COLS, {})}, i * 16 as _ord from ({events('true')})"

    retry_delay = f"1 + least({rnd.lognormal(30, 1.0, 'retry_a', 'retry_b')}, {_RETRY_DELAY_CAP_S})"
    retries = f"""
        select {_select_list(_INF_COLS, {'ingested_at': f'ingested_at + {_seconds(retry_delay)}'})},
            i * 16 + {_KIND_RETRY} as _ord
        from ({events(f"{rnd.u('retry')} < {cfg.retry_rate!r}")})"""

    # Conflict: swap the top-2 entries of the probability vector.  The row is
    # still internally consistent (score = max = value of predicted_class) but
    # disagrees with the original on predicted_class and class_scores.
    p2max = "greatest(" + ", ".join(f"case when pred = {k} then -1 else p{k} end" for k in range(10)) + ")"
    second = "case " + " ".join(f"when {k} != pred and p{k} = p2max then {k}" for k in range(10)) + " end"
    swapped = [f"case {k} when pred then p2max when second then predicted_score else p{k} end" for k in range(10)]
    conflict_delay = f"60 + least({rnd.lognormal(600, 1.5, 'conflict_a', 'conflict_b')}, {_CONFLICT_DELAY_CAP_S})"
    conflicts = f"""
        select {_select_list(_INF_COLS, {
            'ingested_at': f'ingested_at + {_seconds(conflict_delay)}',
            'predicted_class': _per_class(CLASSES, 'second'),
            'class_scores': _class_scores_json(swapped),
            'latency_ms': f"round({rnd.lognormal(45, 0.45, 'conflict_lat_a', 'conflict_lat_b')}, 3)",
        })}, i * 16 + {_KIND_CONFLICT} as _ord
        from (select *, {second} as second from (
            select *, {p2max} as p2max from ({events(f"{rnd.u('conflict')} < {cfg.conflict_rate!r}")})))"""

    # Malformed: a copy of the event with a fresh id (index n + i through the
    # same permutation, so it never equals a real id) and exactly one defect.
    kind = f"floor({rnd.u('malformed_kind')} * {len(MALFORMED_INFERENCE_KINDS)})::int"
    chosen = events(f"{rnd.u('malformed')} < {cfg.malformed_rate!r}")
    fresh = _feistel(f"select *, {kind} as kind from ({chosen})", f"{cfg.n_inferences} + i", rnd)
    malformed = f"""
        select {_select_list(_INF_COLS, {
            'event_id': f"case when kind = 0 then null else {_event_id('_fid')} end",
            'model_name': "case when kind = 1 then null else model_name end",
            'predicted_score': "case when kind = 2 then round(1 + 0.8 * predicted_score, 6) else predicted_score end",
            'event_time': "case when kind = 3 then ingested_at + interval 2 day else event_time end",
            'latency_ms': "case when kind = 4 then -latency_ms - 1 else latency_ms end",
            'class_scores': "case when kind = 5 then left(class_scores, 40) else class_scores end",
        })}, i * 16 + {_KIND_MALFORMED} + kind as _ord
        from ({fresh})"""

    return f"{main}\nunion all {retries}\nunion all {conflicts}\nunion all {malformed}"


def _label_rows_sql(cfg: GeneratorConfig, events: Callable[[str], str]) -> str:
    """All label rows; events(where) is the clean-event SQL restricted by `where`."""
    rnd = _Rand(cfg.seed)
    day = 86400.0
    # First labels stay within 29 days, so a correction always fits after them
    # and before the 30-day cap.
    first_cap = (LABEL_DELAY_CAP - timedelta(days=1)).total_seconds()
    ingest_cap = LABEL_INGEST_DELAY_CAP.total_seconds() - 1
    # Heavy-tailed delay, a mixture: fast human review, customer feedback
    # within hours, returns within days, chargebacks weeks later (the >20-day tail).
    comp = rnd.u("label_comp")
    delay = (f"least(greatest(case "
             f"when {comp} < 0.45 then exp(ln(1500) + 1.0 * ln_n) "
             f"when {comp} < 0.75 then exp(ln(28800) + 0.8 * ln_n) "
             f"when {comp} < 0.94 then exp(ln({3 * day}) + 0.6 * ln_n) "
             f"else {15 * day} + {rnd.u('label_tail')} * {14 * day} end, 1), {first_cap})")
    source = (f"case when {comp} < 0.45 then 'human_review' when {comp} < 0.75 then 'customer_feedback' "
              f"when {comp} < 0.94 then 'return' else 'chargeback' end")
    ingest = f"1 + least({rnd.lognormal(90, 1.0, 'label_ing_a', 'label_ing_b')}, {ingest_cap})"
    wrong = f"(y + 1 + floor({rnd.u('wrong_label')} * 9)::int) % 10"  # any class but the true one
    first = f"""
        select i, y, event_id, event_time, corrected, label_source, delay_s,
            {_per_class(CLASSES, f'case when corrected then {wrong} else y end')} as label,
            event_time + {_seconds('delay_s')} as labeled_at,
            event_time + {_seconds('delay_s + ingest_s')} as ingested_at
        from (
            select i, y, event_id, event_time,
                {delay} as delay_s, {source} as label_source, {ingest} as ingest_s,
                {rnd.u('correction')} < {cfg.correction_rate!r} as corrected
            from (select *, {rnd.normal('label_a', 'label_b')} as ln_n
                  from ({events(f"{rnd.u('label')} < {cfg.label_rate!r}")})))"""
    correction_delay = (f"least(delay_s + 3600 + {rnd.lognormal(2 * day, 0.8, 'corr_a', 'corr_b')}, "
                        f"{LABEL_DELAY_CAP.total_seconds()})")
    correction_ingest = f"1 + least({rnd.lognormal(90, 1.0, 'corr_ing_a', 'corr_ing_b')}, {ingest_cap})"
    corrections = f"""
        select event_id, {_per_class(CLASSES, 'y')} as label,
            event_time + {_seconds('cd')} as labeled_at,
            event_time + {_seconds(f'cd + {correction_ingest}')} as ingested_at,
            'human_review' as label_source, i * 16 + {_KIND_CORRECTION} as _ord
        from (select *, {correction_delay} as cd from first_labels where corrected)"""
    # Derived from a real first label; when a malformed row carries a label at
    # all it is the true class, so it cannot change "latest label = truth".
    kind = f"floor({rnd.u('malformed_label_kind')} * {len(MALFORMED_LABEL_KINDS)})::int"
    lag = f"{day} * (1 + 4 * {rnd.u('malformed_label_lag')})"
    malformed = f"""
        select case when kind = 1 then null else event_id end as event_id,
            case when kind = 0 then null else {_per_class(CLASSES, 'y')} end as label,
            case when kind = 2 then ingested_at + interval 1 second + {_seconds(lag)} else labeled_at end
                as labeled_at,
            ingested_at + interval 1 second as ingested_at,
            label_source, i * 16 + {_KIND_MALFORMED_LABEL} + kind as _ord
        from (select *, {kind} as kind from first_labels
              where {rnd.u('malformed_label')} < {cfg.malformed_rate!r})"""
    return f"""
        with first_labels as ({first})
        select {', '.join(_LAB_COLS)}, i * 16 as _ord from first_labels
        union all {corrections}
        union all {malformed}"""


def _anomaly_counts_sql(cfg: GeneratorConfig) -> str:
    """Counts of the extra rows straight from the random draws (cheap: only hashes)."""
    rnd = _Rand(cfg.seed)
    labeled = f"{rnd.u('label')} < {cfg.label_rate!r}"
    return f"""
        select count_if({rnd.u('retry')} < {cfg.retry_rate!r}) as retries,
            count_if({rnd.u('conflict')} < {cfg.conflict_rate!r}) as conflicts,
            count_if({rnd.u('malformed')} < {cfg.malformed_rate!r}) as malformed_inferences,
            count_if({labeled}) as labeled_events,
            count_if({labeled} and {rnd.u('correction')} < {cfg.correction_rate!r}) as corrections,
            count_if({labeled} and {rnd.u('malformed_label')} < {cfg.malformed_rate!r}) as malformed_labels
        from range({cfg.n_inferences}) r(i)"""


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


def _ddl(columns: dict[str, str]) -> str:
    return ", ".join(f"{c} {t}" for c, t in columns.items())


def generate(
    con: duckdb.DuckDBPyConnection,
    cfg: GeneratorConfig,
    schema: str = "gen",
    progress: bool = False,
    *,
    chunk_size: int | None = None,
) -> dict:
    """Create/replace {schema}.inference_events and {schema}.label_events holding
    ALL rows (with their ingested_at), and {schema}.truth(event_id, true_class).

    Events are generated in chunks of `chunk_size` (default CHUNK_SIZE) index
    positions; the result does not depend on the chunk size.  Both tables are
    written physically ordered by ingested_at, so :func:`deliver` reads only
    the row groups of the batch it copies.  With `progress`, one line per
    chunk goes to stderr.

    Returns {'inference_rows', 'label_rows', 'events', 'retries', 'conflicts',
    'malformed_inferences', 'malformed_labels', 'corrections'}.
    """
    sch = _ident(schema)
    chunk = int(chunk_size or CHUNK_SIZE)
    if chunk < 1:
        raise ValueError("chunk_size must be positive")
    n = cfg.n_inferences
    started = time.perf_counter()
    stage = "_cm_stage_labels"
    con.execute(f"create schema if not exists {sch}")
    con.execute(f"create or replace table {sch}.inference_events ({_ddl(INFERENCE_COLUMNS)})")
    con.execute(f"create or replace table {sch}.truth (event_id varchar, true_class varchar)")
    con.execute(f"create or replace temp table {stage} ({_ddl(LABEL_COLUMNS)}, _ord bigint)")
    late = _may_land_late_sql(cfg)
    try:
        windows = _ingestion_windows(con, cfg, chunk)
        for lo, hi, first_needed, first_ontime, window in windows:
            # Event indices come from a small temp table rather than range():
            # DuckDB scans a table with all threads but runs range() on one.
            con.execute(f"create or replace temp table _cm_ids as "
                        f"select range as i from range({first_needed}, {hi})")

            def events(where: str, lo: int = lo) -> str:   # this chunk's own events
                return _events_sql(cfg, "_cm_ids", f"i >= {lo} and {where}")

            def any_events(where: str, first_ontime: int = first_ontime) -> str:
                # incl. the earlier events with rows still arriving in this window
                return _events_sql(cfg, "_cm_ids", f"(i >= {first_ontime} or {late}) and {where}")

            # Inference rows: the rows ingested within this chunk's window, sorted
            # and appended, so the table ends up globally ordered without a big sort.
            con.execute(f"insert into {sch}.inference_events select {', '.join(_INF_COLS)} "
                        f"from ({_doubles(_inference_rows_sql(cfg, any_events))}) "
                        f"where {window} order by ingested_at, _ord")
            # Labels land up to 30 days after their event, across many chunks:
            # stage them (small rows) and sort once at the end.
            con.execute(f"insert into {stage} {_doubles(_label_rows_sql(cfg, events))}")
            con.execute(f"insert into {sch}.truth select event_id, {_per_class(CLASSES, 'y')} "
                        f"from ({_doubles(events('true'))}) order by i")
            if progress:
                print(f"generating inferences: {hi:,} / {n:,} ({100 * hi // n}%) "
                      f"{time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
        con.execute(f"create or replace table {sch}.label_events as "
                    f"select {', '.join(_LAB_COLS)} from {stage} order by ingested_at, _ord")
        if progress and len(windows) > 1:
            print(f"labels sorted: {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    finally:
        con.execute(f"drop table if exists {stage}")
        con.execute("drop table if exists _cm_ids")
    return _counts(con, cfg, sch)


def _event_offset_at(con: duckdb.DuckDBPyConnection, cfg: GeneratorConfig, i: int) -> int:
    """Microsecond offset of event i, by the very SQL expression the rows use."""
    sql = f"select {_event_offset_us(cfg, _Rand(cfg.seed))} from (select {int(i)}::bigint as i)"
    return con.execute(_doubles(sql)).fetchone()[0]


def _first_event_at_or_after(con: duckdb.DuckDBPyConnection, cfg: GeneratorConfig, t_us: int, hi: int) -> int:
    """Smallest i in [0, hi] with offset(i) >= t_us; offsets never decrease with i."""
    lo = 0
    while lo < hi:
        mid = (lo + hi) // 2
        if _event_offset_at(con, cfg, mid) >= t_us:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _may_land_late_sql(cfg: GeneratorConfig) -> str:
    """Condition on i: the event has a row that may land later than _ONTIME_LAG_CAP."""
    rnd = _Rand(cfg.seed)
    return (f"({rnd.u('ingest_late')} < {_INGEST_LATE_SHARE} or {rnd.u('retry')} < {cfg.retry_rate!r} "
            f"or {rnd.u('conflict')} < {cfg.conflict_rate!r})")


def _ingestion_windows(con: duckdb.DuckDBPyConnection, cfg: GeneratorConfig, chunk: int) -> list:
    """Per chunk [lo, hi): (lo, hi, first_needed, first_ontime, window condition).

    Chunk k owns the inference rows ingested in [t(lo_k), t(lo_k+1)), t being
    the event_time of an event.  Event times never decrease with i and a row
    is ingested within _INFERENCE_LAG_CAP of its event_time, so those rows
    come from events first_needed <= i < hi.  Below first_ontime (events more
    than _ONTIME_LAG_CAP before the window) only the few events flagged late,
    retried or conflicting can still land in it, so only those are computed again.
    """
    n = cfg.n_inferences
    bounds = list(range(0, n, chunk)) + [n]
    lag_us = int(_INFERENCE_LAG_CAP.total_seconds() * 1_000_000)
    ontime_us = int(_ONTIME_LAG_CAP.total_seconds() * 1_000_000)
    starts = {lo: _event_offset_at(con, cfg, lo) for lo in bounds[1:-1]}
    ts = lambda us: f"{_lit(cfg.start)} + to_microseconds({us})"  # noqa: E731
    windows = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        conditions = ["true"]
        first_needed = first_ontime = 0
        if lo in starts:
            conditions.append(f"ingested_at >= {ts(starts[lo])}")
            first_needed = _first_event_at_or_after(con, cfg, starts[lo] - lag_us, lo)
            first_ontime = _first_event_at_or_after(con, cfg, starts[lo] - ontime_us, lo)
        if hi in starts:
            conditions.append(f"ingested_at < {ts(starts[hi])}")
        windows.append((lo, hi, first_needed, first_ontime, " and ".join(conditions)))
    return windows


def _counts(con: duckdb.DuckDBPyConnection, cfg: GeneratorConfig, sch: str) -> dict:
    extras = con.execute(_doubles(_anomaly_counts_sql(cfg))).fetchone()
    inference_rows = con.execute(f"select count(*) from {sch}.inference_events").fetchone()[0]
    label_rows = con.execute(f"select count(*) from {sch}.label_events").fetchone()[0]
    return {
        "inference_rows": inference_rows,
        "label_rows": label_rows,
        "events": cfg.n_inferences,
        "retries": extras[0],
        "conflicts": extras[1],
        "malformed_inferences": extras[2],
        "malformed_labels": extras[5],
        "corrections": extras[4],
    }


def deliver(
    con: duckdb.DuckDBPyConnection,
    until: datetime | None = None,
    since: datetime | None = None,
    source_schema: str = "gen",
    target_schema: str = "raw",
) -> dict:
    """Append rows with since < ingested_at <= until (None = unbounded) from
    {source_schema} to {target_schema}.inference_events / label_events, creating
    the target schema/tables (same column types) if missing.

    Calls over consecutive cut-offs partition the source rows exactly.
    Returns {'inference_rows': n, 'label_rows': m} appended.
    """
    src, dst = _ident(source_schema), _ident(target_schema)
    since, until = (None if t is None else _naive_utc(t) for t in (since, until))
    con.execute(f"create schema if not exists {dst}")
    appended = {}
    for table, cols, key in (("inference_events", _INF_COLS, "inference_rows"),
                             ("label_events", _LAB_COLS, "label_rows")):
        con.execute(f"create table if not exists {dst}.{table} as select * from {src}.{table} limit 0")
        col_list = ", ".join(cols)
        # Source rows are stored in ingested_at order: the filtered scan keeps
        # that order and skips row groups outside the window (zone maps).
        conditions = ["true"]
        params = []
        if since is not None:
            conditions.append("ingested_at > ?")
            params.append(since)
        if until is not None:
            conditions.append("ingested_at <= ?")
            params.append(until)
        row = con.execute(f"insert into {dst}.{table} ({col_list}) select {col_list} from {src}.{table} "
                          f"where {' and '.join(conditions)}", params).fetchone()
        appended[key] = int(row[0]) if row else 0
    return appended


def arrival_cutoffs(
    cfg: GeneratorConfig,
    every_hours: int = 1,
    con: duckdb.DuckDBPyConnection | None = None,
    schema: str = "gen",
) -> list[datetime]:
    """Cut-offs start + h, start + 2h, ... up to the first one at or after the
    last arrival, for a scheduler loop::

        prev = None
        for cut in arrival_cutoffs(cfg):
            deliver(con, until=cut, since=prev)
            prev = cut

    Without `con` the last arrival is the bound cfg.last_arrival_bound (end +
    30 days of label delay + 6 hours of label ingestion); with `con` it is the
    actual max ingested_at of the generated tables in `schema`.
    """
    if int(every_hours) != every_hours or every_hours < 1:
        raise ValueError("every_hours must be a positive integer")
    last = cfg.last_arrival_bound
    if con is not None:
        sch = _ident(schema)
        actual = con.execute(f"select greatest((select max(ingested_at) from {sch}.inference_events), "
                             f"(select max(ingested_at) from {sch}.label_events))").fetchone()[0]
        if actual is not None:
            last = actual
    step = timedelta(hours=every_hours)
    cuts = [cfg.start + step]
    while cuts[-1] < last:
        cuts.append(cuts[-1] + step)
    return cuts


def write_demo(db_path: str, cfg: GeneratorConfig, until: datetime | None = None, progress: bool = True) -> dict:
    """Open the DuckDB file, generate into schema gen, and replace raw.* with
    the rows ingested up to `until` (all rows if None).

    Returns the generate() counts plus delivered_inference_rows and
    delivered_label_rows.
    """
    con = duckdb.connect(str(db_path))
    try:
        counts = generate(con, cfg, schema="gen", progress=progress)
        con.execute("create schema if not exists raw")
        con.execute("drop table if exists raw.inference_events")
        con.execute("drop table if exists raw.label_events")
        delivered = deliver(con, until=until, source_schema="gen", target_schema="raw")
        con.execute("checkpoint")
    finally:
        con.close()
    return {**counts,
            "delivered_inference_rows": delivered["inference_rows"],
            "delivered_label_rows": delivered["label_rows"]}

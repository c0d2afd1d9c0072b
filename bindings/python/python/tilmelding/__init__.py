"""Decide Digital Post, NemSMS or paper for every letter, from a
memory-mapped index of Digital Post's complete subscription list.

>>> import datetime, tilmelding
>>> with tilmelding.Index.open("index.tlm") as index:              # doctest: +SKIP
...     answer = index.lookup("100234", "0101901234", datetime.date(2026, 11, 22))
...     answer.channel, answer.reason
('digital', 'registered')

Answers, names and messages are those of the Rust library and the CLI; CPR
numbers in messages are masked (``010190-xxxx``).
"""

from typing import NamedTuple

import numpy as np

from ._native import (
    CHANNEL_NAMES,
    ERROR_NAMES,
    REASON_NAMES,
    Answer,
    AudienceMismatch,
    Batch,
    CorruptIndex,
    Error,
    Index,
    InvalidRecipient,
    Reader,
    StaleIndex,
    UnknownMaterial,
    __version__,
    parse_recipients,
    today,
)

__all__ = [
    "CHANNEL_NAMES",
    "ERROR_NAMES",
    "REASON_NAMES",
    "Answer",
    "AudienceMismatch",
    "Batch",
    "CorruptIndex",
    "Decisions",
    "Error",
    "Index",
    "InvalidRecipient",
    "Reader",
    "StaleIndex",
    "UnknownMaterial",
    "__version__",
    "decide",
    "parse_recipients",
    "today",
]


class Decisions(NamedTuple):
    """The answers of `decide`, one per letter: numpy object arrays of the
    CLI's names, `None` where they do not apply (`channel` and `reason` for
    a letter with an `error`, and the other way round), and the snapshot id
    of the index that answered."""

    channel: np.ndarray
    reason: np.ndarray
    error: np.ndarray
    snapshot_id: str


_KINDS = (None, "cpr", "cvr")
_NO_NUMBERS = np.zeros(0, dtype=np.uint64)
# The names by code, as arrays to index with a batch's code arrays.
_CHANNELS = np.array(CHANNEL_NAMES, dtype=object)
_REASONS = np.array(REASON_NAMES, dtype=object)
_ERRORS = np.array(ERROR_NAMES, dtype=object)


def decide(index, materials, recipients, date=None):
    """Decides a mailing: letter `i` has material `materials[i]` and
    recipient `recipients[i]` (sequences of str, e.g. numpy arrays, lists,
    or columns as `to_numpy(zero_copy_only=False)`; `None` is an unknown
    material or an invalid recipient). Answers each letter as `lookup`
    would, in the decision table's order, with per-letter failures in
    `error` instead of raised; a stale index raises `StaleIndex`.

    Letters are grouped by material and kind of recipient and each group is
    answered with one `lookup_batch`. `index` is an `Index` or a `Reader`
    (all letters are answered from the one index it serves when called);
    `date=None` is today in Danish time, the same for every letter.
    """
    if isinstance(index, Reader):
        index = index.current()
    if date is None:
        date = today()
    kind, number = parse_recipients(recipients)
    materials = np.asarray(materials, dtype=object)
    n = len(kind)
    if materials.shape != (n,):
        raise ValueError(f"{len(materials)} materials for {n} recipients")
    channel = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    error = np.full(n, None, dtype=object)
    snapshot_id = index.metadata["snapshot_id"]
    if n == 0:
        return Decisions(channel, reason, error, snapshot_id)
    # None (a null) is an empty ID, which no material has.
    materials = np.where(np.equal(materials, None), "", materials).astype(str)
    names, which = np.unique(materials, return_inverse=True)
    key = which.reshape(-1).astype(np.int64) * 3 + kind
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], n]):
        rows = order[start:end]
        material, recipient_kind = str(names[key[start] // 3]), _KINDS[key[start] % 3]
        try:
            if recipient_kind is None:
                # Step 1 before step 2: an unknown material raises here.
                try:
                    index.lookup_batch(material, "cpr", _NO_NUMBERS, date)
                except AudienceMismatch:
                    pass
                error[rows] = "invalid_recipient"
                continue
            batch = index.lookup_batch(material, recipient_kind, number[rows], date)
        except (UnknownMaterial, AudienceMismatch) as failure:
            error[rows] = failure.code
            continue
        answered = batch.result == 0
        channel[rows] = np.where(answered, _CHANNELS[batch.channel], None)
        reason[rows] = np.where(answered, _REASONS[batch.reason], None)
        error[rows] = _ERRORS[batch.result]
    return Decisions(channel, reason, error, snapshot_id)

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

from ._native import (
    CHANNEL_NAMES,
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
)

__all__ = [
    "CHANNEL_NAMES",
    "REASON_NAMES",
    "Answer",
    "AudienceMismatch",
    "Batch",
    "CorruptIndex",
    "Error",
    "Index",
    "InvalidRecipient",
    "Reader",
    "StaleIndex",
    "UnknownMaterial",
    "__version__",
]

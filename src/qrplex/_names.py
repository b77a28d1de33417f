"""Sets of names for batches of millions of rows, in memory bounded whatever the row count.

A batch's coordinator must know every output name claimed so far (two rows never write
over each other) and, when it resumes, every row its manifest records as done. Both grow
with the input, so both hold 64-bit fingerprints in flat arrays up to a bound
(:data:`SPILL_AT` entries: about 12 MB for names, 8 MB for rows), and past it move to an
on-disk table (:mod:`sqlite3` from the standard library, in SQLite's private temporary
database: a file it deletes itself, with a page cache of :data:`CACHE_KB`): memory stays
flat for 10 million rows or a billion. Two different names share a fingerprint with a
probability of about ``n² / 2⁶⁵`` (one in 400,000 for ten million names): such a pair would
be reported as a name collision, never written over each other.
"""

from __future__ import annotations

import hashlib
import sqlite3
from array import array
from collections.abc import Iterable

__all__ = ["CACHE_KB", "SPILL_AT", "NameSet", "RowNames", "fingerprint"]

SPILL_AT = 1 << 19
"""Entries held in memory before a set moves to its on-disk table."""
CACHE_KB = 4096
"""The on-disk table's page cache, in KiB."""
_COMMIT_EVERY = 50_000
_ROW_MAX = 2**32 - 1


def fingerprint(name: str) -> int:
    """A non-zero 64-bit fingerprint of ``name``."""
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


def _signed(value: int) -> int:
    """``value`` (0 to 2⁶⁴ - 1) as SQLite's signed 64-bit integer."""
    return value - (1 << 64) if value >= 1 << 63 else value


class _Table:
    """A temporary SQLite table ``(key INTEGER PRIMARY KEY, value INTEGER)`` on disk."""

    def __init__(self) -> None:
        # "": SQLite's private temporary database, a file in the temporary directory that it
        # deletes itself (unlinked as soon as it is made, on POSIX: never left behind by a
        # process killed mid-batch); only the page cache is in memory.
        self._db = sqlite3.connect("", check_same_thread=False)
        pragmas = ("temp_store=FILE", "journal_mode=OFF", "synchronous=OFF")
        for pragma in (*pragmas, f"cache_size=-{CACHE_KB}"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE t (key INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        self._writes = 0

    def _wrote(self, count: int) -> None:
        self._writes += count
        if self._writes >= _COMMIT_EVERY:
            self._writes = 0
            self._db.commit()

    def insert_new(self, key: int, value: int) -> int | None:
        """Insert ``key`` unless present; the value it has already, if present."""
        cursor = self._db.execute("INSERT OR IGNORE INTO t VALUES (?, ?)", (_signed(key), value))
        if cursor.rowcount:
            self._wrote(1)
            return None
        found = self._db.execute("SELECT value FROM t WHERE key = ?", (_signed(key),)).fetchone()
        return int(found[0])

    def put_many(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Insert or replace ``(key, value)`` pairs."""
        cursor = self._db.executemany(
            "INSERT OR REPLACE INTO t VALUES (?, ?)", ((_signed(k), v) for k, v in pairs)
        )
        self._wrote(max(0, cursor.rowcount))

    def get(self, key: int) -> int | None:
        found = self._db.execute("SELECT value FROM t WHERE key = ?", (_signed(key),)).fetchone()
        return None if found is None else int(found[0])

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM t").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class NameSet:
    """Names claimed by rows: the row number that first claimed each name.

    In memory (open addressing on fingerprints) up to ``spill_at`` names, then on disk.
    """

    def __init__(self, spill_at: int | None = None) -> None:
        self._spill_at = SPILL_AT if spill_at is None else spill_at
        self._keys = array("Q", bytes(8 * 1024))
        self._rows = array("I", bytes(4 * 1024))
        self._count = 0
        self._table: _Table | None = None

    @property
    def spilled(self) -> bool:
        """Whether the names are held on disk."""
        return self._table is not None

    def claim(self, name: str, row: int) -> int | None:
        """Claim ``name`` for ``row``; the row that holds it already, if any."""
        key = fingerprint(name)
        stored = row if 0 <= row <= _ROW_MAX else 0  # 0: a row past 4 billion, unnamed
        if self._table is not None:
            used = self._table.insert_new(key, stored)
            if used is None:
                self._count += 1
            return used
        mask = len(self._keys) - 1
        slot = key & mask
        while self._keys[slot]:
            if self._keys[slot] == key:
                return int(self._rows[slot])
            slot = (slot + 1) & mask
        self._keys[slot] = key
        self._rows[slot] = stored
        self._count += 1
        if self._count >= self._spill_at:
            self._spill()
        elif self._count * 4 > len(self._keys) * 3:
            self._grow()
        return None

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        """Drop the on-disk table (if any); the set is empty after."""
        if self._table is not None:
            self._table.close()
            self._table = None
        self._keys, self._rows, self._count = array("Q", bytes(8)), array("I", bytes(4)), 0

    def _spill(self) -> None:
        table = _Table()
        # A generator, not a list: half a million tuples at once would cost more than the
        # arrays they come from.
        table.put_many((k, r) for k, r in zip(self._keys, self._rows, strict=True) if k)
        self._table = table
        self._keys, self._rows = array("Q"), array("I")

    def _grow(self) -> None:
        keys, rows = self._keys, self._rows
        size = len(keys) * 2
        self._keys = array("Q", bytes(8 * size))
        self._rows = array("I", bytes(4 * size))
        mask = size - 1
        for key, row in zip(keys, rows, strict=True):
            if key:
                slot = key & mask
                while self._keys[slot]:
                    slot = (slot + 1) & mask
                self._keys[slot] = key
                self._rows[slot] = row


_CHUNK = 1 << 16


class RowNames:
    """The key (a name, or anything a row is identified by) recorded for each row number.

    In memory as fingerprints (8 bytes a row, in chunks of 65,536 rows: a stray huge row
    number in a damaged manifest costs one chunk) up to ``spill_at`` rows, then on disk.
    """

    def __init__(self, spill_at: int | None = None) -> None:
        self._spill_at = SPILL_AT if spill_at is None else spill_at
        self._chunks: dict[int, array[int]] = {}
        self._table: _Table | None = None
        self._pending: list[tuple[int, int]] = []

    @property
    def spilled(self) -> bool:
        """Whether the rows are held on disk."""
        return self._table is not None

    def set(self, row: int, name: str) -> None:
        if row < 0:
            return
        if self._table is not None:
            self._pending.append((row, _signed(fingerprint(name))))
            if len(self._pending) >= 10_000:
                self._flush()
            return
        chunk = self._chunks.get(row // _CHUNK)
        if chunk is None:
            if len(self._chunks) * _CHUNK >= self._spill_at:
                self._spill()
                self.set(row, name)
                return
            chunk = self._chunks[row // _CHUNK] = array("Q", bytes(8 * _CHUNK))
        chunk[row % _CHUNK] = fingerprint(name)

    def has(self, row: int, name: str) -> bool:
        """Whether ``row`` was recorded with this key."""
        if row < 0:
            return False
        if self._table is not None:
            self._flush()
            return self._table.get(row) == _signed(fingerprint(name))
        chunk = self._chunks.get(row // _CHUNK)
        return chunk is not None and chunk[row % _CHUNK] == fingerprint(name)

    def __len__(self) -> int:
        if self._table is not None:
            self._flush()
            return self._table.count()
        return sum(1 for chunk in self._chunks.values() for value in chunk if value)

    def close(self) -> None:
        """Drop the on-disk table (if any); the set is empty after."""
        if self._table is not None:
            self._table.close()
            self._table = None
        self._chunks.clear()
        self._pending.clear()

    def _flush(self) -> None:
        if self._pending and self._table is not None:
            self._table.put_many(self._pending)
            self._pending = []

    def _spill(self) -> None:
        table = _Table()
        for base, chunk in self._chunks.items():
            start = base * _CHUNK
            table.put_many((start + i, _signed(v)) for i, v in enumerate(chunk) if v)
        self._chunks.clear()
        self._table = table

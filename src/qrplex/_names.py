"""Compact sets of names for batches of millions of rows: 64-bit fingerprints in flat arrays.

A Python ``set`` or ``dict`` of ten million file names takes gigabytes; a :class:`NameSet`
takes 16 to 32 bytes a name (12 a slot, at most three quarters of the slots full), a
:class:`RowNames` 8 bytes a row. Two different names share a fingerprint with a probability of about
``n² / 2⁶⁵`` (one in 400,000 for ten million names): such a pair would be reported as a
name collision, never written over each other.
"""

from __future__ import annotations

import hashlib
from array import array

__all__ = ["NameSet", "RowNames", "fingerprint"]

_ROW_MAX = 2**32 - 1


def fingerprint(name: str) -> int:
    """A non-zero 64-bit fingerprint of ``name``."""
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


class NameSet:
    """Names claimed by rows: the row number that first claimed each name (open addressing)."""

    def __init__(self) -> None:
        self._keys = array("Q", bytes(8 * 1024))
        self._rows = array("I", bytes(4 * 1024))
        self._count = 0

    def claim(self, name: str, row: int) -> int | None:
        """Claim ``name`` for ``row``; the row that holds it already, if any."""
        key = fingerprint(name)
        mask = len(self._keys) - 1
        slot = key & mask
        while self._keys[slot]:
            if self._keys[slot] == key:
                return int(self._rows[slot])
            slot = (slot + 1) & mask
        self._keys[slot] = key
        self._rows[slot] = row if row <= _ROW_MAX else 0  # 0: a row past 4 billion, unnamed
        self._count += 1
        if self._count * 4 > len(self._keys) * 3:
            self._grow()
        return None

    def __len__(self) -> int:
        return self._count

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
    """The output name recorded for each row number (as a fingerprint; 8 bytes a row, in
    chunks of 65,536 rows: a stray huge row number in a damaged manifest costs one chunk)."""

    def __init__(self) -> None:
        self._chunks: dict[int, array[int]] = {}

    def set(self, row: int, name: str) -> None:
        if row < 0:
            return
        chunk = self._chunks.get(row // _CHUNK)
        if chunk is None:
            chunk = self._chunks[row // _CHUNK] = array("Q", bytes(8 * _CHUNK))
        chunk[row % _CHUNK] = fingerprint(name)

    def has(self, row: int, name: str) -> bool:
        """Whether ``row`` was recorded with this output name."""
        chunk = self._chunks.get(row // _CHUNK) if row >= 0 else None
        return chunk is not None and chunk[row % _CHUNK] == fingerprint(name)

    def __len__(self) -> int:
        return sum(1 for chunk in self._chunks.values() for value in chunk if value)

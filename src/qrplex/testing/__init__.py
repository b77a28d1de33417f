"""Test helpers for qrplex and for plugin authors: a real decoder, and (soon) contract tests."""

from __future__ import annotations

from ._decoding import decode, decode_all

__all__ = ["decode", "decode_all"]

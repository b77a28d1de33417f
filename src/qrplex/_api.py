"""Module-level convenience functions (temporary stub while the core is being written)."""
from __future__ import annotations
from typing import Any
def generate(*a: Any, **k: Any) -> Any: raise NotImplementedError
async def agenerate(*a: Any, **k: Any) -> Any: raise NotImplementedError
def backends(*a: Any, **k: Any) -> Any: raise NotImplementedError
def symbologies(*a: Any, **k: Any) -> Any: raise NotImplementedError

"""The on-disk cache answers a request only with an entry made for that request.

Real cache files, tampered with on disk as a careless tool or a hostile user could: metadata
edited, entries swapped, truncated, replaced by garbage or by things that are not files. Each
must be a miss (and be replaced), never an error and never a wrong image with ``cached=True``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import qrplex
from qrplex._cache import FileCache
from qrplex._validation import validate_request
from qrplex.testing import decode


def cached_client(directory: Path) -> qrplex.Client:
    return qrplex.Client(config={"cache_dir": str(directory)})


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/*.qrplex"))


def the_entry(directory: Path) -> Path:
    (entry,) = entries(directory)
    return entry


def request(content: str, **kwargs: Any) -> qrplex.CodeRequest:
    """A request normalized as ``Client.generate`` normalizes it."""
    options = {k: kwargs.pop(k) for k in ("error", "height") if k in kwargs}
    kwargs.setdefault("symbology", "qr")
    kwargs.setdefault("format", "png")
    kwargs.setdefault("width", None)
    return validate_request(content, options=options, **kwargs)


def assert_fresh_and_right(image: qrplex.CodeImage, content: str, width: int | None) -> None:
    assert image.cached is False
    assert image.media_type == "image/png"
    if width is not None:
        assert image.width == width
    assert decode(image.data) == content


# -- every field of a request has its own entry ------------------------------------------

# Two requests that differ in exactly one field of the cache key. Dropping that field from
# the key makes them share an entry: one of them is then either served the other's image or
# keeps overwriting it, and this test fails. Tried as mutations of ``request_key``: each field
# removed in turn.
KEY_FIELDS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "content": ({"content": "alpha"}, {"content": "bravo"}),
    "symbology": (
        {"content": "12345670", "symbology": "ean8"},  # the same normalized content
        {"content": "12345670", "symbology": "code128"},
    ),
    "format": ({"content": "key", "format": "png"}, {"content": "key", "format": "svg"}),
    "width": ({"content": "key", "width": 300}, {"content": "key", "width": 330}),
    "width-default": ({"content": "key"}, {"content": "key", "width": 300}),
    "options-error": ({"content": "key", "error": "L"}, {"content": "key", "error": "H"}),
    "options-height": (
        {"content": "KEY", "symbology": "code39", "height": 40},
        {"content": "KEY", "symbology": "code39", "height": 80},
    ),
    "backend": ({"content": "key"}, {"content": "key", "backend": "local"}),
}


@pytest.mark.parametrize("field", sorted(KEY_FIELDS))
def test_requests_differing_in_one_field_never_share_an_entry(tmp_path: Path, field: str) -> None:
    first_kwargs, second_kwargs = KEY_FIELDS[field]
    with cached_client(tmp_path) as client:
        first = client.generate(**first_kwargs)
        second = client.generate(**second_kwargs)
        assert (first.cached, second.cached) == (False, False), "answered by the other's entry"
        if field != "backend":  # the same backend draws the same image for both
            assert first.data != second.data
        again_first = client.generate(**first_kwargs)
        again_second = client.generate(**second_kwargs)
    assert (again_first.cached, again_second.cached) == (True, True), "entries overwrote"
    assert again_first.data == first.data
    assert again_second.data == second.data
    assert len(entries(tmp_path)) == 2


# -- tampered entries on disk --------------------------------------------------------------


def _edit_metadata(entry: Path, **changes: Any) -> None:
    """Change fields of the JSON metadata line of ``entry``, leaving everything else."""
    lines = entry.read_bytes().split(b"\n")
    for index, line in enumerate(lines):
        if line.startswith(b"{"):
            meta = json.loads(line)
            assert set(changes) <= set(meta), f"no such metadata: {sorted(meta)}"
            meta.update(changes)
            lines[index] = json.dumps(meta).encode("ascii")
            entry.write_bytes(b"\n".join(lines))
            return
    raise AssertionError("no JSON metadata line in the entry")


@pytest.mark.parametrize(
    "changes",
    [
        {"width": 290},
        {"height": 290},
        {"width": 290, "height": 290},
        {"media_type": "image/svg+xml"},
        {"backend": "cloudinfinite"},
    ],
    ids=["width", "height", "size", "media_type", "backend"],
)
def test_edited_metadata_is_a_miss(tmp_path: Path, changes: dict[str, Any]) -> None:
    with cached_client(tmp_path) as client:
        client.generate("metadata", width=300)
        _edit_metadata(the_entry(tmp_path), **changes)
        image = client.generate("metadata", width=300)
        assert_fresh_and_right(image, "metadata", 300)
        assert image.backend == "local"
        assert client.generate("metadata", width=300).cached is True  # replaced, and good


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"width": 300}, {"width": 330}),
        ({"width": 300}, {"format": "svg"}),
        ({"error": "L"}, {"error": "H"}),
    ],
    ids=["width", "format", "options"],
)
def test_swapped_entries_are_misses(
    tmp_path: Path, first: dict[str, Any], second: dict[str, Any]
) -> None:
    with cached_client(tmp_path) as client:
        client.generate("swap", **first)
        client.generate("swap", **second)
        one, two = entries(tmp_path)
        one_bytes, two_bytes = one.read_bytes(), two.read_bytes()
        one.write_bytes(two_bytes)
        two.write_bytes(one_bytes)
        for kwargs in (first, second):
            image = client.generate("swap", **kwargs)
            assert image.cached is False, f"{kwargs} was served the other request's entry"
            fresh = qrplex.generate("swap", backend="local", **kwargs)  # no cache
            assert (image.media_type, image.width, image.data) == (
                fresh.media_type,
                fresh.width,
                fresh.data,
            )
            assert client.generate("swap", **kwargs).cached is True


def _truncate(entry: Path) -> None:
    entry.write_bytes(entry.read_bytes()[:-40])


def _cut_metadata(entry: Path) -> None:
    entry.write_bytes(entry.read_bytes()[:30])


def _garbage(entry: Path) -> None:
    entry.write_bytes(os.urandom(500))


def _empty(entry: Path) -> None:
    entry.write_bytes(b"")


def _flip_a_data_byte(entry: Path) -> None:
    blob = bytearray(entry.read_bytes())
    blob[-30] ^= 0xFF
    entry.write_bytes(bytes(blob))


def _not_json(entry: Path) -> None:
    entry.write_bytes(b"\xff" * 64 + b"\n[1, 2\n" + entry.read_bytes())


def _directory(entry: Path) -> None:
    entry.unlink()
    entry.mkdir()


def _symlink_to_another_entry(entry: Path) -> None:
    other = entry.with_name("elsewhere.bin")
    entry.rename(other)
    entry.symlink_to(other)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate,
    "metadata cut short": _cut_metadata,
    "garbage": _garbage,
    "empty": _empty,
    "a data byte flipped": _flip_a_data_byte,
    "not JSON": _not_json,
    "a directory": _directory,
    "a symlink": _symlink_to_another_entry,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_entry_is_a_miss_and_is_replaced(tmp_path: Path, damage: str) -> None:
    with cached_client(tmp_path) as client:
        client.generate("damaged", width=300)
        DAMAGE[damage](the_entry(tmp_path))
        assert_fresh_and_right(client.generate("damaged", width=300), "damaged", 300)
        if damage != "a directory":  # qrplex never deletes what it did not make
            assert client.generate("damaged", width=300).cached is True


def test_an_entry_replaced_by_a_fifo_does_not_hang(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, 1 << 20)
    wanted = request("fifo")
    with cached_client(tmp_path) as client:
        client.generate("fifo")
        entry = the_entry(tmp_path)
        entry.unlink()
        os.mkfifo(entry)
        results: list[qrplex.CodeImage | None] = []
        reader = threading.Thread(target=lambda: results.append(cache.get(wanted)), daemon=True)
        reader.start()
        reader.join(timeout=5)
        if reader.is_alive():  # unblock the reader before failing, so the suite can go on
            with open(entry, "wb"):
                pass
            pytest.fail("reading a cache entry that is a FIFO hung")
        assert results == [None]
        assert_fresh_and_right(client.generate("fifo"), "fifo", None)


# -- self-consistent entries that answer the wrong request ---------------------------------


def test_a_consistent_entry_of_the_wrong_kind_is_a_miss(tmp_path: Path) -> None:
    """Entries whose checksum is right but whose image is not what the request asks for
    (as a buggy writer, or anyone able to write the directory, could leave): the media type
    must be the request's format, the width the request's width, the size the image's own."""
    cache = FileCache(tmp_path, 1 << 20)
    wanted = request("kind", width=300)
    with qrplex.Client() as client:
        png = client.generate("kind", width=300)
        svg = client.generate("kind", format="svg", width=300)
        narrow = client.generate("kind", width=330)
    lying = qrplex.CodeImage(**{**_fields(png), "width": 290, "height": 290})
    for wrong in (svg, narrow, lying):
        cache.put(wanted, wrong)
        assert cache.get(wanted) is None, f"served {wrong!r} for a 300 px PNG request"
        assert entries(tmp_path) == [], "the bad entry was left behind"
    cache.put(wanted, png)
    hit = cache.get(wanted)
    assert hit is not None
    assert hit.cached
    assert hit.data == png.data


def test_a_pinned_call_is_never_answered_by_another_backends_entry(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, 1 << 20)
    wanted = request("pinned")
    with qrplex.Client() as client:
        image = client.generate("pinned")
    cache.put(wanted, image, "cloudinfinite")  # stored under the pinned key, made by local
    assert cache.get(wanted, "cloudinfinite") is None


def _fields(image: qrplex.CodeImage) -> dict[str, Any]:
    return {name: getattr(image, name) for name in image.__dataclass_fields__}

"""zxing-cpp sometimes "finds" a small symbol in the modules of a large one (a Micro QR on a
version-40 QR code's finder pattern, found by hypothesis in the conformance kit). The reader
drops such ghosts, and still reports two real codes side by side."""

from __future__ import annotations

import io

from PIL import Image

import qrplex
from qrplex.testing import read, read_one

# 2432 characters at level L: the local backend's SVG and PNG both read as a QR code plus a
# Micro QR "1694" inside its top-right finder pattern.
GHOSTLY = "<N" + ']RI"N' * 486


def test_a_micro_qr_ghost_inside_a_large_qr_code_is_not_a_second_code() -> None:
    for format in ("png", "svg"):
        image = qrplex.generate(GHOSTLY, format=format, error="L", backend="local")
        assert read_one(image.data, "qr").text == GHOSTLY


def test_two_real_codes_side_by_side_are_both_found() -> None:
    big = Image.open(io.BytesIO(qrplex.generate("left code", width=290).data)).convert("L")
    small = Image.open(io.BytesIO(qrplex.generate("12345", symbology="microqr").data))
    canvas = Image.new("L", (290 + small.width + 40, 290), 255)
    canvas.paste(big, (0, 0))
    canvas.paste(small.convert("L"), (290 + 20, 20))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    assert sorted(reading.text for reading in read(out.getvalue())) == ["12345", "left code"]

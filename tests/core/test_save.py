"""``CodeImage.save`` and ``make -o`` on hostile targets: real symlinks, FIFOs, devices, pipes."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from qrplex import CodeImage
from qrplex.cli import main
from qrplex.testing import decode

pytestmark = pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd (Linux)")


def _image(data: bytes) -> CodeImage:
    return CodeImage(
        data=data,
        media_type="image/png",
        symbology="qr",
        width=1,
        height=1,
        backend="test",
        content="x",
    )


def _device(tmp_path: Path, real: str) -> str:
    """A private node for the device ``real`` where allowed, else ``real`` itself.

    A regression that replaces the target must replace only the copy in ``tmp_path``, never
    the machine's own ``/dev/null`` (tests may run as root).
    """
    clone = tmp_path / Path(real).name
    try:
        os.mknod(clone, stat.S_IFCHR | 0o666, os.stat(real).st_rdev)
        os.close(os.open(clone, os.O_WRONLY))  # a nodev mount refuses this
    except OSError:
        return real
    return str(clone)


def _leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(".qrplex-")]


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "real.png"
    target.write_bytes(b"old")
    link = tmp_path / "link.png"
    link.symlink_to("real.png")
    _image(b"new bytes").save(link)
    assert link.is_symlink()
    assert os.readlink(link) == "real.png"
    assert target.read_bytes() == b"new bytes"
    dangling = tmp_path / "dangling.png"
    dangling.symlink_to(tmp_path / "made.png")
    _image(b"made").save(dangling)
    assert dangling.is_symlink()
    assert (tmp_path / "made.png").read_bytes() == b"made"
    assert _leftovers(tmp_path) == []


def test_a_fifo_is_written_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    _image(b"through the fifo").save(fifo)
    reader.join(timeout=10)
    assert received == [b"through the fifo"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert _leftovers(tmp_path) == []


def test_dev_null_stays_a_device(tmp_path: Path) -> None:
    null = _device(tmp_path, "/dev/null")
    _image(b"discarded").save(null)
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert _leftovers(Path(null).parent) == []


def test_a_full_device_is_a_clear_error_and_stays_a_device(tmp_path: Path, capsys) -> None:
    full = _device(tmp_path, "/dev/full")
    with pytest.raises(OSError, match="No space left") as raised:
        _image(b"no room").save(full)
    assert (raised.value.errno, raised.value.filename) == (errno.ENOSPC, full)
    assert stat.S_ISCHR(os.stat(full).st_mode)
    assert main(["make", "hello", "-o", full]) == 1
    assert capsys.readouterr().err.strip() == f"qrplex: error: {full}: No space left on device"
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_a_pipe_fd_path_is_written_like_process_substitution(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    try:
        _image(b"via /dev/fd").save(f"/dev/fd/{write_end}")
        assert main(["make", "piped", "-o", f"/dev/fd/{write_end}"]) == 0
        os.close(write_end)
        write_end = -1
        with open(read_end, "rb", closefd=False) as handle:
            received = handle.read()
    finally:
        for end in (read_end, write_end):
            if end >= 0:
                os.close(end)
    assert received.startswith(b"via /dev/fd")
    assert decode(received[len(b"via /dev/fd") :]) == "piped"


def test_eight_threads_saving_one_path_never_tear_it(tmp_path: Path) -> None:
    target = tmp_path / "shared.png"
    payloads = [bytes([65 + n]) * (256 * 1024) for n in range(8)]
    errors: list[BaseException] = []
    seen: set[bytes] = set()
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for _ in range(15):
                _image(payloads[n]).save(target)
                seen.add(target.read_bytes())
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert seen <= set(payloads)  # every read saw one writer's bytes, whole
    assert target.read_bytes() in payloads
    assert _leftovers(tmp_path) == []


def test_permissions_of_an_existing_file_are_kept_and_new_files_follow_the_umask(
    tmp_path: Path,
) -> None:
    kept = tmp_path / "kept.png"
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    _image(b"new").save(kept)
    assert (kept.read_bytes(), stat.S_IMODE(kept.stat().st_mode)) == (b"new", 0o640)
    umask = os.umask(0o022)
    os.umask(umask)
    fresh = tmp_path / "fresh.png"
    _image(b"fresh").save(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_a_directory_target_is_refused_untouched(tmp_path: Path) -> None:
    directory = tmp_path / "dir.png"
    directory.mkdir()
    (directory / "inside").write_text("keep", encoding="utf-8")
    with pytest.raises(IsADirectoryError) as raised:
        _image(b"x").save(directory)
    assert raised.value.filename == str(directory)
    assert (directory / "inside").read_text(encoding="utf-8") == "keep"
    assert _leftovers(tmp_path) == []


def test_a_missing_parent_directory_names_the_path(tmp_path: Path, capsys) -> None:
    target = tmp_path / "missing" / "qr.png"
    with pytest.raises(FileNotFoundError) as raised:
        _image(b"x").save(target)
    assert raised.value.filename == str(target)
    assert not (tmp_path / "missing").exists()
    assert main(["make", "hello", "-o", str(target)]) == 1
    assert f"qrplex: error: {target}: No such file or directory" in capsys.readouterr().err


def test_a_read_only_file_is_refused_as_open_would(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # the child below runs as nobody: it must reach the directory
        tmp_path = Path(tempfile.mkdtemp(prefix="qrplex-read-only-"))
        tmp_path.chmod(0o777)  # writable by anyone: only the file's own mode can refuse
    locked = tmp_path / "locked.png"
    locked.write_bytes(b"keep")
    locked.chmod(0o444)
    if os.geteuid() != 0:
        with pytest.raises(PermissionError):
            _image(b"new").save(locked)
    else:  # root may write anything: try it as an ordinary user, in a child process
        script = (
            "import os, sys\n"
            "import qrplex._files  # noqa: F401 (the stdlib is out of reach after setuid)\n"
            "from qrplex._model import CodeImage\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "image = CodeImage(b'new', 'image/png', 'qr', 1, 1, 'local', 'x')\n"
            "try:\n"
            "    image.save(sys.argv[1])\n"
            "except PermissionError:\n"
            "    sys.exit(13)\n"
        )
        done = subprocess.run([sys.executable, "-c", script, str(locked)], check=False)
        assert done.returncode == 13
    assert locked.read_bytes() == b"keep"
    assert _leftovers(tmp_path) == []
    if os.geteuid() == 0:
        shutil.rmtree(tmp_path)

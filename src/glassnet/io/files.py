"""File helpers shared across modules. ``atomic_write`` writes so that a crash never leaves half a file
(model files, checkpoints, ONNX export, plots and write-ups use it); ``bytes_as_file`` hands bytes to a
reader that takes only a path (safetensors' ``safe_open``).

``atomic_write`` puts the data in a temporary file in the target's folder, flushes it to disk and renames
it over the target: the target is always either the old complete file or the new complete file (a rename
within one folder is atomic on POSIX and Windows).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     path = pathlib.Path(folder) / "note.txt"
...     atomic_write(path, b"hello")
...     path.read_bytes(), sorted(p.name for p in pathlib.Path(folder).iterdir())
(b'hello', ['note.txt'])
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from glassnet.core.errors import GlassnetError


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is always either the old or the new complete file;
    raises GlassnetError naming the path when its folder is missing or the write fails."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GlassnetError(f"cannot save to {str(path)!r}: folder {str(folder)!r} does not exist")
    try:
        _write_replace(path, folder, data)
    except OSError as exc:
        raise GlassnetError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_replace(path: Path, folder: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for stale in folder.glob(f".{path.name}.*.tmp"):  # left by a writer that was killed mid-write
        stale.unlink(missing_ok=True)
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def bytes_as_file(data: bytes, suffix: str = "") -> Iterator[Path]:
    """The path of a temporary file that holds ``data``, removed when the ``with`` block ends.

    >>> with bytes_as_file(b"abc") as path:
    ...     path.read_bytes()
    b'abc'
    >>> path.exists()
    False
    """
    try:
        fd, name = tempfile.mkstemp(prefix="glassnet-", suffix=suffix)
    except OSError as exc:
        raise GlassnetError(f"cannot create a temporary file: {exc.strerror or exc}") from None
    try:
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise GlassnetError(f"cannot write the temporary file {name!r}: {exc.strerror or exc}") from None
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)

"""A streaming, atomic safetensors writer.

The layout (every tensor's name, dtype and shape) is fixed before any data is written, so tensors can
be written one at a time as the forward passes produce them and memory stays at one batch. The
header is written first with room reserved for metadata that is only known at the end (the check's
results), and rewritten in place, padded with spaces to the same length, by `finish`.

Nothing half-written is ever left at the output path: the data goes to a temporary file in the
output's directory (`.<name>.<random>.tmp`), which `finish` flushes, fsyncs and renames over the
output; `abort` (or leaving the `with` block by an exception) deletes it.

The file is standard safetensors (8-byte little-endian header length, JSON header, data section tiled
exactly by the tensors in header order of offsets), readable by the `safetensors` library and by
theorycheck's own reader. Integer tensors come first so every tensor is aligned to its element size.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import tempfile
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

from .errors import ExportError

DTYPE_SIZES = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2}


@dataclass
class TensorSpec:
    name: str
    dtype: str  # safetensors name: F32, I64, ...
    shape: tuple

    @property
    def nbytes(self) -> int:
        count = 1
        for n in self.shape:
            count *= n
        return count * DTYPE_SIZES[self.dtype]


def check_output_path(path: str) -> str:
    """The absolute output path, or ExportError if it cannot be a regular file we may replace."""
    absolute = os.path.abspath(path)
    if os.path.isdir(absolute):
        raise ExportError(f"--output {path}: is a directory; give a file name such as {os.path.join(path, 'instance.safetensors')}")
    if os.path.exists(absolute):
        import stat
        mode = os.stat(absolute).st_mode
        if not stat.S_ISREG(mode):
            raise ExportError(f"--output {path}: exists and is not a regular file (a device, FIFO or socket)")
    parent = os.path.dirname(absolute)
    if not os.path.isdir(parent):
        raise ExportError(f"--output {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"--output {path}: the directory {parent} is not writable")
    return absolute


class StreamingWriter:
    """Write `specs` in the given order (integer tensors first) to `path`, atomically."""

    def __init__(self, path: str, specs: Sequence[TensorSpec], metadata: Dict[str, str], reserve: int = 1 << 16):
        if sys.byteorder != "little":
            raise ExportError("this exporter writes safetensors on little-endian machines only")
        self.path = path
        self.specs: List[TensorSpec] = list(specs)
        names = [s.name for s in self.specs]
        if len(set(names)) != len(names):
            raise ValueError("duplicate tensor names")
        self._next = 0
        self._offsets = []
        offset = 0
        for spec in self.specs:
            self._offsets.append((offset, offset + spec.nbytes))
            offset += spec.nbytes
        self.data_bytes = offset
        header = self._header(metadata)
        self.header_length = _round_up(len(header) + reserve, 8)
        directory = os.path.dirname(os.path.abspath(path))
        descriptor, self.temp_path = tempfile.mkstemp(
            dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
        self._file = os.fdopen(descriptor, "wb")
        try:
            self._write_header(header)
        except BaseException:
            self.abort()
            raise

    def _header(self, metadata: Dict[str, str]) -> bytes:
        entries = {"__metadata__": metadata}
        for spec, (begin, end) in zip(self.specs, self._offsets):
            entries[spec.name] = {"dtype": spec.dtype, "shape": list(spec.shape), "data_offsets": [begin, end]}
        return json.dumps(entries, separators=(",", ":"), allow_nan=False).encode("utf-8")

    def _write_header(self, header: bytes):
        if len(header) > self.header_length:
            raise ExportError(
                f"the metadata grew by more than the {self.header_length - len(header)} bytes reserved for it")
        self._file.seek(0)
        self._file.write(struct.pack("<Q", self.header_length))
        self._file.write(header + b" " * (self.header_length - len(header)))

    def write(self, name: str, array) -> None:
        """Writes the next tensor; `array` is a C-contiguous numpy array of the spec's dtype and shape."""
        spec = self.specs[self._next]
        if name != spec.name:
            raise ValueError(f"expected tensor {spec.name}, got {name}")
        data = memoryview(array).cast("B")
        if tuple(array.shape) != tuple(spec.shape) or data.nbytes != spec.nbytes:
            raise ValueError(f"tensor {name}: shape {tuple(array.shape)}, expected {spec.shape}")
        self._file.write(data)
        self._next += 1

    def finish(self, metadata: Dict[str, str], before_rename: Optional[Callable[[str], None]] = None) -> None:
        """Rewrites the header with the final metadata, syncs, calls `before_rename(temp path)` (which
        may raise to refuse the file) and renames over the output path."""
        try:
            if self._next != len(self.specs):
                raise ValueError(f"{len(self.specs) - self._next} tensors were not written")
            self._write_header(self._header(metadata))
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if before_rename is not None:
                before_rename(self.temp_path)
            os.replace(self.temp_path, self.path)
        except BaseException:
            self.abort()
            raise
        try:
            directory = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError:
            pass

    def abort(self) -> None:
        try:
            self._file.close()
        except Exception:
            pass
        try:
            os.unlink(self.temp_path)
        except FileNotFoundError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            self.abort()
        return False


def _round_up(n: int, multiple: int) -> int:
    return (n + multiple - 1) // multiple * multiple

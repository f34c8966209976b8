"""A pure-Python reader of the theorycheck instance layout in safetensors, checking what the Swift
reader (Sources/InstanceIO/InstanceSafetensors.swift, SafetensorsFile.swift, Instance.swift) checks.

- The container: 8-byte little-endian header length N (2 <= N <= file size - 8, N <= 100,000,000),
  byte 8 is `{`, the header is a JSON object without duplicate keys, each tensor entry has exactly
  `dtype`, `shape`, `data_offsets`, dtypes are F64/F32/F16/BF16/I64/I32, sizes match shapes, and
  the tensors tile the data section exactly.
- Tensors: `unembedding` floating [V, d] (V, d >= 1), optional `reference_unembedding` [V, d] and
  `head` [d]; per id `hidden.<id>` floating [L + 1, d] and `tokens.<id>` integer [L], L >= 1, ids in
  0..<V; no other names; every float finite.
- `__metadata__` (string values): `beta` JSON number, finite, > 0; `train` a non-empty JSON array of
  `{"chosen": id, "rejected": id}`; `eval` a JSON object of set name -> such arrays; every id named
  has a sequence. Other keys are ignored by theorycheck (the exporter's own go under `export`).

`read_instance(path)` returns the parsed instance; `check_layout(path)` checks the container and
metadata without reading tensor data (fast, used before the exporter renames its output into place).
Both raise `FormatError`.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass, field
from typing import Dict, List

MAX_HEADER = 100_000_000
FLOATING = ("F64", "F32", "F16", "BF16")
INTEGER = ("I64", "I32")
SIZES = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2}


class FormatError(Exception):
    pass


@dataclass
class Layout:
    header_length: int
    metadata: Dict[str, str]
    tensors: Dict[str, dict]  # name -> {"dtype", "shape", "data_offsets"}
    vocabulary: int
    width: int
    lengths: Dict[str, int]  # id -> L
    train: List[dict]
    eval: Dict[str, List[dict]]
    beta: float


@dataclass
class Instance:
    layout: Layout
    unembedding: "object"  # numpy float64 [V, d]
    hidden: Dict[str, "object"] = field(default_factory=dict)  # id -> float64 [L + 1, d]
    tokens: Dict[str, "object"] = field(default_factory=dict)  # id -> int64 [L]


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        duplicate = next(k for k in keys if keys.count(k) > 1)
        raise FormatError(f"duplicate key {duplicate!r} in a JSON object")
    return dict(pairs)


def _json(text: str, field_name: str):
    def reject(constant):
        raise FormatError(f"{field_name}: {constant} is not JSON")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=reject)
    except json.JSONDecodeError as error:
        raise FormatError(f"{field_name}: not JSON ({error.msg})") from None


def _pairs(value, field_name: str) -> List[dict]:
    if not isinstance(value, list):
        raise FormatError(f"{field_name}: expected an array of {{chosen, rejected}} pairs")
    for index, pair in enumerate(value):
        if not isinstance(pair, dict) or set(pair) != {"chosen", "rejected"} or not all(
                isinstance(pair[k], str) for k in pair):
            raise FormatError(f"{field_name}[{index}]: expected {{\"chosen\": id, \"rejected\": id}}")
    return value


def check_layout(path: str) -> Layout:
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise FormatError("fewer than 8 bytes")
        (length,) = struct.unpack("<Q", prefix)
        if not 2 <= length <= size - 8 or length > MAX_HEADER:
            raise FormatError(f"header length {length} does not fit a file of {size} bytes")
        raw = handle.read(length)
    if raw[:1] != b"{":
        raise FormatError("the header does not start with '{'")
    try:
        header = _json(raw.decode("utf-8"), "header")
    except UnicodeDecodeError:
        raise FormatError("the header is not UTF-8") from None
    if not isinstance(header, dict):
        raise FormatError("the header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError("__metadata__ must be an object of string values")
    data_length = size - 8 - length
    spans = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise FormatError(f"tensor {name!r}: expected exactly dtype, shape, data_offsets")
        if entry["dtype"] not in SIZES:
            raise FormatError(f"tensor {name!r}: unsupported dtype {entry['dtype']}")
        shape, offsets = entry["shape"], entry["data_offsets"]
        if not all(isinstance(n, int) and n >= 0 for n in shape) or len(offsets) != 2:
            raise FormatError(f"tensor {name!r}: bad shape or offsets")
        begin, end = offsets
        if end - begin != math.prod(shape) * SIZES[entry["dtype"]] or begin < 0 or end > data_length:
            raise FormatError(f"tensor {name!r}: offsets {offsets} do not match shape {shape}")
        spans.append((begin, end, name))
    covered = 0
    for begin, end, name in sorted(spans):
        if begin != covered:
            raise FormatError(f"tensor {name!r} starts at byte {begin}, expected {covered} (gap or overlap)")
        covered = end
    if covered != data_length:
        raise FormatError(f"bytes {covered}..<{data_length} of the data section belong to no tensor")

    if "unembedding" not in header:
        raise FormatError("missing tensor unembedding")
    unembedding = header["unembedding"]
    if unembedding["dtype"] not in FLOATING or len(unembedding["shape"]) != 2 or min(unembedding["shape"]) < 1:
        raise FormatError("unembedding must be a floating [V, d] tensor with V, d >= 1")
    vocabulary, width = unembedding["shape"]
    if "reference_unembedding" in header:
        ref = header["reference_unembedding"]
        if ref["dtype"] not in FLOATING or ref["shape"] != [vocabulary, width]:
            raise FormatError("reference_unembedding must be floating [V, d]")
    if "head" in header and (header["head"]["dtype"] not in FLOATING or header["head"]["shape"] != [width]):
        raise FormatError("head must be floating [d]")
    hidden, tokens = {}, {}
    for name, entry in header.items():
        if name in ("unembedding", "reference_unembedding", "head"):
            continue
        if name.startswith("hidden."):
            hidden[name[len("hidden."):]] = entry
        elif name.startswith("tokens."):
            tokens[name[len("tokens."):]] = entry
        else:
            raise FormatError(f"unknown tensor {name!r}")
    if set(hidden) != set(tokens):
        raise FormatError(f"ids without both hidden.<id> and tokens.<id>: {sorted(set(hidden) ^ set(tokens))[:5]}")
    if not hidden:
        raise FormatError("no sequences")
    lengths = {}
    for sequence_id in hidden:
        t, h = tokens[sequence_id], hidden[sequence_id]
        if t["dtype"] not in INTEGER or len(t["shape"]) != 1 or t["shape"][0] < 1:
            raise FormatError(f"tokens.{sequence_id}: expected a non-empty integer [L] tensor")
        response_length = t["shape"][0]
        if h["dtype"] not in FLOATING or h["shape"] != [response_length + 1, width]:
            raise FormatError(f"hidden.{sequence_id}: shape {h['shape']}, expected [{response_length + 1}, {width}]")
        lengths[sequence_id] = response_length

    for key in ("beta", "train", "eval"):
        if key not in metadata:
            raise FormatError(f"__metadata__.{key} is missing")
    beta = _json(metadata["beta"], "__metadata__.beta")
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not math.isfinite(beta) or beta <= 0:
        raise FormatError("__metadata__.beta must be a finite number > 0")
    train = _pairs(_json(metadata["train"], "__metadata__.train"), "__metadata__.train")
    if not train:
        raise FormatError("__metadata__.train is empty")
    evaluation = _json(metadata["eval"], "__metadata__.eval")
    if not isinstance(evaluation, dict):
        raise FormatError("__metadata__.eval must be an object of set name -> pairs")
    for name, pairs in evaluation.items():
        _pairs(pairs, f"__metadata__.eval.{name}")
    for field_name, pairs in [("train", train)] + [(f"eval.{n}", p) for n, p in evaluation.items()]:
        for index, pair in enumerate(pairs):
            for sequence_id in (pair["chosen"], pair["rejected"]):
                if sequence_id not in lengths:
                    raise FormatError(f"{field_name}[{index}] names unknown sequence {sequence_id!r}")
    return Layout(header_length=length, metadata=metadata, tensors=header, vocabulary=vocabulary, width=width,
                  lengths=lengths, train=train, eval=evaluation, beta=float(beta))


def _read(handle, base: int, entry: dict):
    import numpy as np
    begin, end = entry["data_offsets"]
    handle.seek(base + begin)
    raw = handle.read(end - begin)
    dtype = entry["dtype"]
    if dtype == "BF16":
        values = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        values = np.frombuffer(raw, dtype={"F64": "<f8", "F32": "<f4", "F16": "<f2",
                                           "I64": "<i8", "I32": "<i4"}[dtype])
    wide = values.astype(np.int64 if dtype in INTEGER else np.float64)
    return wide.reshape(entry["shape"])


def read_instance(path: str) -> Instance:
    """The whole instance, values widened (floats to float64, ids to int64) and checked."""
    import numpy as np
    layout = check_layout(path)
    base = 8 + layout.header_length
    with open(path, "rb") as handle:
        unembedding = _read(handle, base, layout.tensors["unembedding"])
        if not np.isfinite(unembedding).all():
            raise FormatError("unembedding has a non-finite entry")
        instance = Instance(layout=layout, unembedding=unembedding)
        for sequence_id in sorted(layout.lengths):
            hidden = _read(handle, base, layout.tensors["hidden." + sequence_id])
            tokens = _read(handle, base, layout.tensors["tokens." + sequence_id])
            if not np.isfinite(hidden).all():
                raise FormatError(f"hidden.{sequence_id} has a non-finite entry")
            if tokens.min() < 0 or tokens.max() >= layout.vocabulary:
                raise FormatError(f"tokens.{sequence_id}: a token id is outside 0..<{layout.vocabulary}")
            instance.hidden[sequence_id] = hidden
            instance.tokens[sequence_id] = tokens
    return instance

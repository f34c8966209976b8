"""The whole export: rows -> token ids -> forward passes -> checked tensors -> one safetensors file.

Sequence ids are `<set>/<row>/chosen` and `<set>/<row>/rejected`, where `<set>` is `train` or an
evaluation set's name (which never contains `/`) and `<row>` the row's 1-based ordinal in its file; so
ids never collide, whatever the set names. The `export` metadata key maps every pair back to its file
and line.

Tensors written: `unembedding` = the model's output embedding W [V, d] in float32 (tied or not; a
value of any of the three compute dtypes is exact in float32), and per sequence `tokens.<id>` (int64,
the response's L token ids) and `hidden.<id>` (float32 [L + 1, d]: row k < L the state that predicts
response token k, row L the state at the last token). No `reference_unembedding` (pi_ref = pi at
the start) and no `head` (zeros): theorycheck's defaults.

Metadata (`__metadata__`, string values): `beta`, `train` and `eval` as theorycheck reads them, and
`export`, one JSON object: the tool and version, the exact command line, the model (name, class, type,
revision when known, V, d, tied embeddings, dtype, device), the tokenizer (BOS/EOS, chat template
hash), the input files (path, sha256, format, rows read, pairs kept), every pair's source row and line,
the truncation counts and dropped rows, the token-boundary mismatches, each sequence's ln pi(y|x), and
the log-probability check (tolerance, worst deviation and where).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from . import TOOL_NAME, __version__
from .errors import ExportError
from .forward import StateReader, load_model, load_tokenizer, logit_transform_hints, prepare_model, resolve_device
from .instance_format import FormatError, check_layout
from .rendering import KEEP_START, Renderer, TokenizedSequence, truncate
from .safetensors_writer import StreamingWriter, TensorSpec, check_output_path
from .trl_data import PreferenceRow, read_rows
from .verify import TOLERANCES, LogProbChecker

TRAIN = "train"


@dataclass
class ExportOptions:
    model: str
    train: str
    output: str
    evals: List[Tuple[str, str]] = field(default_factory=list)  # (set name, path)
    beta: float = 0.1
    max_pairs: Optional[int] = None
    max_length: Optional[int] = None
    truncation: str = KEEP_START
    batch_size: int = 8
    dtype: str = "float32"
    device: str = "auto"
    add_eos: bool = True
    quiet: bool = False
    command: List[str] = field(default_factory=lambda: list(sys.argv))


@dataclass
class Sequence:
    id: str
    tokens: TokenizedSequence


@dataclass
class ExportResult:
    path: str
    pairs: Dict[str, int]  # set -> pairs written
    sequences: int
    worst_deviation: float
    metadata: dict  # the `export` object


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dtype_name(model) -> str:
    return str(next(model.parameters()).dtype).replace("torch.", "")


@dataclass
class Tokenized:
    """Every set's pairs as token sequences, after truncation, with the counts the metadata reports."""

    pairs: Dict[str, List[dict]] = field(default_factory=dict)  # set -> [{"row", "line", "chosen", "rejected"}]
    sequences: List[Sequence] = field(default_factory=list)
    dropped: List[dict] = field(default_factory=list)
    truncated: int = 0
    prompt_cut: int = 0
    response_cut: int = 0
    mismatches: int = 0


def tokenize_sets(rows_by_set: Dict[str, List[PreferenceRow]], renderer: Renderer, options) -> Tokenized:
    """Tokenizes and truncates every row; a set that loses every pair is an error."""
    out = Tokenized()
    for name, rows in rows_by_set.items():
        out.pairs[name] = []
        for row in rows:
            chosen, rejected = renderer.tokenize(row)
            out.mismatches += chosen.boundary_mismatch + rejected.boundary_mismatch
            cut = {"chosen": truncate(chosen, options.max_length, options.truncation),
                   "rejected": truncate(rejected, options.max_length, options.truncation)}
            empty = [key for key, value in cut.items() if value is None]
            if empty:
                out.dropped.append({"set": name, "row": row.row, "line": row.line, "empty": empty})
                continue
            record = {"row": row.row, "line": row.line}
            cut_keys = []
            for key, value in cut.items():
                record[key] = f"{name}/{row.row}/{key}"
                out.sequences.append(Sequence(record[key], value))
                if value.truncated:
                    out.truncated += 1
                    out.prompt_cut += value.prompt_tokens_cut
                    out.response_cut += value.response_tokens_cut
                    cut_keys.append(key)
            if cut_keys:
                record["truncated"] = cut_keys
            out.pairs[name].append(record)
        if not out.pairs[name]:
            raise ExportError(
                f"every pair of set {name} ({rows[0].path}) lost its whole response to truncation "
                f"(--max-length {options.max_length}, {options.truncation}); raise --max-length")
    return out


def export(options: ExportOptions, model=None, tokenizer=None,
           log: Optional[Callable[[str], None]] = None) -> ExportResult:
    """Runs the export; `model` / `tokenizer` override loading `options.model` (tests inject them)."""
    say = log or (lambda message: None if options.quiet else print(f"export-hf: {message}", file=sys.stderr))
    if options.quiet:  # transformers' own loading bars and notices too
        from transformers.utils import logging as transformers_logging
        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()
    output = check_output_path(options.output)
    sources = [(TRAIN, options.train)] + list(options.evals)
    for name, path in sources:
        if os.path.exists(output) and os.path.exists(path) and os.path.samefile(output, path):
            raise ExportError(f"--output {options.output} is the input file of set {name}; refusing to overwrite it")

    rows_by_set: Dict[str, List[PreferenceRow]] = {}
    for name, path in sources:
        rows_by_set[name] = read_rows(path, name, options.max_pairs)

    tokenizer = tokenizer if tokenizer is not None else load_tokenizer(options.model)
    renderer = Renderer(tokenizer, add_eos=options.add_eos)
    tokenized = tokenize_sets(rows_by_set, renderer, options)
    pairs, sequences, dropped = tokenized.pairs, tokenized.sequences, tokenized.dropped
    truncated, prompt_cut, response_cut = tokenized.truncated, tokenized.prompt_cut, tokenized.response_cut
    mismatches = tokenized.mismatches

    device = resolve_device(options.device)
    if model is None:
        say(f"loading {options.model} ({options.dtype}) on {device}")
        model = load_model(options.model, options.dtype, device)
    else:
        model = prepare_model(model, device)
    dtype = _dtype_name(model)
    if dtype not in TOLERANCES:
        raise ExportError(f"the model runs in {dtype}; the exporter supports {', '.join(TOLERANCES)}")
    import numpy as np
    import torch
    unembedding = model.get_output_embeddings().weight.detach().to(device="cpu", dtype=torch.float32).contiguous()
    vocabulary, width = unembedding.shape
    for sequence in sequences:
        top = max(sequence.tokens.ids)
        if top >= vocabulary:
            raise ExportError(
                f"sequence {sequence.id} has token id {top}, but the model's unembedding has only {vocabulary} rows; "
                "the tokenizer does not belong to this model")

    context = getattr(model.config, "max_position_embeddings", None)
    longest = max(sequences, key=lambda s: len(s.tokens.ids))
    if isinstance(context, int) and len(longest.tokens.ids) > context:
        raise ExportError(
            f"sequence {longest.id} has {len(longest.tokens.ids)} tokens, more than the model's "
            f"{context} positions; pass --max-length {context} (or less)")

    order = sorted(range(len(sequences)), key=lambda i: (-len(sequences[i].tokens.ids), i))
    id_order = sorted(s.id for s in sequences)
    by_id = {s.id: s for s in sequences}
    specs = [TensorSpec(f"tokens.{i}", "I64", (len(by_id[i].tokens.response),)) for i in id_order]
    specs.append(TensorSpec("unembedding", "F32", (vocabulary, width)))
    specs += [TensorSpec(f"hidden.{sequences[i].id}", "F32", (len(sequences[i].tokens.response) + 1, width))
              for i in order]

    tolerance = TOLERANCES[dtype]
    config = model.config
    info = {
        "tool": TOOL_NAME,
        "version": __version__,
        "command": list(options.command),
        "beta": options.beta,
        "model": {
            "name": options.model,
            "class": type(model).__name__,
            "model_type": getattr(config, "model_type", None),
            "revision": getattr(config, "_commit_hash", None),
            "vocabulary": vocabulary,
            "width": width,
            "tied_embeddings": _tied(model),
            "dtype": dtype,
            "device": str(device),
        },
        "tokenizer": {
            "class": type(tokenizer).__name__,
            "bos_token": tokenizer.bos_token,
            "eos_token": tokenizer.eos_token,
            "adds_bos": _adds_bos(tokenizer),
            "eos_appended_to_standard_responses": renderer.add_eos,
            "chat_template_sha256": hashlib.sha256(tokenizer.chat_template.encode()).hexdigest()
            if isinstance(getattr(tokenizer, "chat_template", None), str) else None,
        },
        "files": [
            {"set": name, "path": path, "absolute_path": os.path.abspath(path), "sha256": sha256_of(path),
             "format": rows_by_set[name][0].format_name, "rows_read": len(rows_by_set[name]),
             "pairs": len(pairs[name])}
            for name, path in sources
        ],
        "pairs": pairs,
        "truncation": {
            "max_length": options.max_length, "mode": options.truncation, "sequences_truncated": truncated,
            "prompt_tokens_cut": prompt_cut, "response_tokens_cut": response_cut,
            "pairs_dropped": len(dropped), "dropped": dropped,
        },
        "tokenization": {"sequences": len(sequences), "response_tokens": sum(len(s.tokens.response) for s in sequences),
                         "boundary_mismatches": mismatches},
        "log_probs": None,
        "check": {"definition": "|sum_k lp_export - sum_k lp_model| / sum_k (1 + max_v |logit_k,v|); "
                                "lp_export from the exported float32 tensors in float64",
                  "tolerance": tolerance, "sequences_checked": 0, "worst_deviation": None,
                  "worst_sequence": None, "worst_token_deviation": None, "worst_absolute": None},
    }
    metadata = {
        "beta": json.dumps(options.beta),
        "train": json.dumps([{"chosen": p["chosen"], "rejected": p["rejected"]} for p in pairs[TRAIN]]),
        "eval": json.dumps({name: [{"chosen": p["chosen"], "rejected": p["rejected"]} for p in pairs[name]]
                            for name in pairs if name != TRAIN}),
    }
    # Room for the final check figures and log-probs, which replace the placeholders at the end.
    reserve = 4096 + 48 * len(sequences) + sum(len(s.id) for s in sequences)

    checker = LogProbChecker(unembedding, dtype, device=device)
    log_probs: Dict[str, float] = {}
    worst = {"deviation": -1.0, "sequence": None, "token": 0.0, "absolute": 0.0}
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    reader = StateReader(model, pad_id=pad_id)
    progress = _progress(len(sequences), options.quiet)
    try:
        with StreamingWriter(output, specs, {**metadata, "export": json.dumps(info)}, reserve=reserve) as writer:
            for sequence_id in id_order:
                writer.write(f"tokens.{sequence_id}", np.asarray(by_id[sequence_id].tokens.response, dtype="<i8"))
            writer.write("unembedding", unembedding.numpy())
            for start in range(0, len(order), options.batch_size):
                batch = [sequences[i] for i in order[start:start + options.batch_size]]
                for sequence, states in zip(batch, reader.read([s.tokens for s in batch])):
                    hidden = states.hidden.to(device="cpu", dtype=torch.float32).contiguous()
                    tokens = torch.tensor(sequence.tokens.response, dtype=torch.long)
                    result = checker.check(hidden, tokens, states.logits)
                    if not result.deviation <= tolerance:
                        hints = logit_transform_hints(model)
                        because = f" ({'; '.join(hints)})" if hints else ""
                        raise ExportError(
                            f"log pi(y|x) computed from the exported W and h differs from the model's own for "
                            f"{sequence.id}: {result.export_log_prob:.6g} vs {result.model_log_prob:.6g}, "
                            f"deviation {result.deviation:.3g} > tolerance {tolerance:g} ({dtype}); this model's "
                            f"logits are not W h{because}, so theorycheck's IM-RM cannot represent it; nothing written")
                    if result.deviation > worst["deviation"]:
                        worst.update(deviation=result.deviation, sequence=sequence.id)
                    worst["token"] = max(worst["token"], result.token_deviation)
                    worst["absolute"] = max(worst["absolute"], result.absolute)
                    log_probs[sequence.id] = result.model_log_prob
                    writer.write(f"hidden.{sequence.id}", hidden.numpy())
                    progress.update(1)
            info["log_probs"] = {i: log_probs[i] for i in id_order}
            info["check"].update(sequences_checked=len(log_probs), worst_deviation=worst["deviation"],
                                 worst_sequence=worst["sequence"], worst_token_deviation=worst["token"],
                                 worst_absolute=worst["absolute"])
            writer.finish({**metadata, "export": json.dumps(info)}, before_rename=_check_written)
    finally:
        progress.close()
        reader.close()

    summary = f"wrote {options.output} ({_size(os.path.getsize(output))}): " + ", ".join(
        f"{name} {len(p)} pairs" for name, p in pairs.items()) + f"; {len(sequences)} sequences, V = {vocabulary}, d = {width}"
    say(summary)
    if options.max_length is not None:
        say(f"truncation (--max-length {options.max_length}, {options.truncation}): {truncated} of {len(sequences)} "
            f"sequences truncated ({prompt_cut} prompt and {response_cut} response tokens cut), "
            f"{len(dropped)} pairs dropped" + _dropped_rows(dropped))
    if mismatches:
        say(f"{mismatches} sequences: the prompt's tokens are not a prefix of prompt+response's; split at the "
            "prompt's token count, as TRL does")
    say(f"log-prob check: worst deviation {worst['deviation']:.2e} ({worst['sequence']}), tolerance {tolerance:g} "
        f"({dtype}), {len(log_probs)} sequences")
    return ExportResult(path=output, pairs={n: len(p) for n, p in pairs.items()}, sequences=len(sequences),
                        worst_deviation=worst["deviation"], metadata=info)


def _check_written(path: str) -> None:
    try:
        check_layout(path)
    except FormatError as error:  # a bug in this exporter, not the user's fault: say so
        raise ExportError(f"internal error: the file written does not pass the format check ({error}); nothing written")


def _tied(model) -> bool:
    inputs = model.get_input_embeddings()
    return inputs is not None and model.get_output_embeddings().weight.data_ptr() == inputs.weight.data_ptr()


def _adds_bos(tokenizer) -> bool:
    if tokenizer.bos_token_id is None:
        return False
    ids = tokenizer("a", add_special_tokens=True)["input_ids"]
    return bool(ids) and ids[0] == tokenizer.bos_token_id


def _dropped_rows(dropped: List[dict]) -> str:
    if not dropped:
        return ""
    shown = ", ".join(f"{d['set']} row {d['row']} (line {d['line']})" for d in dropped[:5])
    return f": {shown}" + (f" and {len(dropped) - 5} more (listed in the metadata)" if len(dropped) > 5 else "")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _progress(total: int, quiet: bool):
    from tqdm import tqdm
    return tqdm(total=total, unit="seq", desc="export-hf", file=sys.stderr, disable=quiet, dynamic_ncols=True)

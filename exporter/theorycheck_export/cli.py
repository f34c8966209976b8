"""The command line of `scripts/export-hf`. Parsing and validating need no torch, so `--help` and usage
errors answer at once, before the venv is even needed."""

from __future__ import annotations

import argparse
import math
import re
import signal
import sys
from typing import List, Optional

from . import TOOL_NAME, __version__
from .errors import ExportError

PROG = "export-hf"
TRAIN = "train"
MAX_BATCH = 4096
MAX_LENGTH = 10_000_000

DESCRIPTION = """\
Export a Hugging Face causal LM plus TRL preference data as a theorycheck instance (safetensors).

For every pair, the prompt + chosen and prompt + rejected sequences run through the model once; the
file holds the model's unembedding W [V, d] and, per sequence, the response's token ids and the
final-layer states (after the final norm, what W multiplies): row k < L predicts response token k,
row L is the last token's state (what an EX-RM head reads). Then:

  ./scripts/theorycheck analyze --instance OUT.safetensors

Data: JSONL (or a JSON array) in any of TRL's preference formats:
  standard        {"prompt": "Is the sky blue?", "chosen": " Yes.", "rejected": " No."}
  conversational  {"prompt": [{"role": "user", "content": "..."}], "chosen": [{"role": "assistant", ...}], ...}
  implicit prompt {"chosen": "Q: sky? A: blue", "rejected": "Q: sky? A: green"}   (prompt = shared prefix)
Tokenized as TRL's DPO trainer does (tokenizer's BOS; EOS appended to standard responses; chat
template for conversational rows). Sequence ids are <set>/<row>/chosen and <set>/<row>/rejected.

Checked before anything is written: for every sequence, ln pi(y|x) recomputed from the exported W and
h (float64) equals the model's own from its logits, to a scale-aware 1e-4 in float32 (2e-3 float16,
1.6e-2 bfloat16); models whose logits are not W h (soft-capping, logit scaling, lm_head bias) are
refused. The output appears only when complete (temp file + rename).
"""

EPILOG = """\
exit status: 0 written; 1 bad data, model or check failure (one line on stderr, nothing written);
2 bad command line; 130 interrupted.
Runs in the venv of scripts/python-env (created on first use, outside the clone).
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


def _beta(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= 1e6:
        raise argparse.ArgumentTypeError(f"must be a finite number in (0, 1e6], got {text}")
    return value


_SET_NAME = re.compile(r"^[^/\s=]+$")


def _eval_set(text: str) -> tuple:
    name, equals, path = text.partition("=")
    if not equals or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE, got {text!r}")
    if not name:
        raise argparse.ArgumentTypeError(f"{text!r}: the set name before '=' is empty")
    if not _SET_NAME.match(name) or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise argparse.ArgumentTypeError(
            f"{text!r}: a set name may not contain '/', whitespace or control characters")
    if name == TRAIN:
        raise argparse.ArgumentTypeError(f"{text!r}: the set name 'train' is reserved for --train")
    return name, path


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, metavar="NAME_OR_DIR",
                        help="a Hugging Face model name or a local directory (AutoModelForCausalLM + AutoTokenizer)")
    parser.add_argument("--train", required=True, metavar="FILE",
                        help="training pairs (JSONL or JSON); become the instance's train pairs")
    parser.add_argument("--eval", action="append", default=[], type=_eval_set, metavar="NAME=FILE",
                        help="an evaluation set (repeatable); NAME: no '/', whitespace or '=', not 'train', unique")
    parser.add_argument("--output", required=True, metavar="FILE",
                        help="the .safetensors file to write (replaced atomically if it exists)")
    parser.add_argument("--beta", type=_beta, default=0.1, help="the IM-RM's beta (default 0.1)")
    parser.add_argument("--max-pairs", type=_positive_int(1, 10**9), metavar="N",
                        help="read at most the first N rows of each file (default: all)")
    parser.add_argument("--max-length", type=_positive_int(2, MAX_LENGTH), metavar="N",
                        help="truncate each prompt+response to N tokens (default: none); counted and reported")
    parser.add_argument("--truncation", choices=("keep_start", "keep_end"), default="keep_start",
                        help="keep_start (TRL's default): cut the response's end, drop a pair whose prompt fills "
                             "N; keep_end: cut the prompt's start first")
    parser.add_argument("--batch-size", type=_positive_int(1, MAX_BATCH), default=8, metavar="N",
                        help="sequences per forward pass (default 8)")
    parser.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32",
                        help="the dtype the model runs in (default float32); tensors are stored in float32")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N, mps, or auto (cuda if available)")
    parser.add_argument("--no-eos", action="store_true",
                        help="do not append the tokenizer's EOS to standard-format responses (TRL appends it)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary on stderr")
    parser.add_argument("--version", action="version", version=f"{TOOL_NAME} {__version__}")
    return parser


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parses and validates; exits 2 with one line on a bad command line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    names = [name for name, _ in args.eval]
    for name in names:
        if names.count(name) > 1:
            parser.error(f"--eval set name {name!r} is given twice; set names must be unique")
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line; returns the exit status. `argv` None means sys.argv (recorded as is)."""
    if argv is None:
        command, argv = list(sys.argv), list(sys.argv[1:])
    else:
        command, argv = [PROG] + list(argv), list(argv)
    args = parse_args(argv)
    from .export import ExportOptions, export
    options = ExportOptions(
        model=args.model, train=args.train, output=args.output, evals=args.eval, beta=args.beta,
        max_pairs=args.max_pairs, max_length=args.max_length, truncation=args.truncation,
        batch_size=args.batch_size, dtype=args.dtype, device=args.device, add_eos=not args.no_eos,
        quiet=args.quiet, command=command)
    # SIGTERM (a killed job) unwinds like Ctrl-C, so the temporary output is removed.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        export(options)
    except ExportError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing written", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"{PROG}: error: out of memory; try a smaller --batch-size or --max-length; nothing written",
              file=sys.stderr)
        return 1
    except RuntimeError as error:
        if "out of memory" not in str(error).lower():
            raise
        print(f"{PROG}: error: the device ran out of memory; try a smaller --batch-size or --max-length; "
              "nothing written", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt

"""Shared fixtures: tiny models saved once per session, data files, and an in-process CLI runner."""

from __future__ import annotations

import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tiny_models import save_family  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))

# Worst log-prob deviation seen per model family, printed at the end of the run.
DEVIATIONS: dict = {}


# Round-trip figures (the T-step prediction against full fine-tuning), printed at the end of the run.
ROUNDTRIP_LINES: list = []


def pytest_terminal_summary(terminalreporter):
    for line in ROUNDTRIP_LINES:
        terminalreporter.write_line(line)
    if DEVIATIONS:
        terminalreporter.write_line(
            "exporter: worst log-prob deviation (scale-aware) per model family: "
            + ", ".join(f"{k} {v:.2e}" for k, v in sorted(DEVIATIONS.items())))


def record_deviation(family: str, value: float):
    DEVIATIONS[family] = max(DEVIATIONS.get(family, 0.0), value)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    import torch
    torch.set_num_threads(1)
    directory = tmp_path_factory.mktemp("models")
    from transformers.utils import logging
    logging.disable_progress_bar()
    return {family: save_family(family, str(directory)) for family in ("gpt2", "llama", "neox", "gemma2_softcap")}


def swift_binary():
    """The theorycheck binary `swift test` builds (or THEORYCHECK_BINARY, or a release build), or None."""
    candidates = [os.environ.get("THEORYCHECK_BINARY", "")] + [
        os.path.join(REPO, folder, "theorycheck")
        for folder in (".build/debug", ".build/release", ".build-export/release")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def write_jsonl(path, rows) -> str:
    with open(path, "w") as handle:
        for row in rows:
            handle.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
    return str(path)


STANDARD_ROWS = [
    {"prompt": "Is the sky blue?", "chosen": " Yes, the sky is blue.", "rejected": " No way."},
    {"prompt": "Is grass green?", "chosen": " Sure, grass is green.", "rejected": " Never."},
    {"prompt": "Should people help strangers?", "chosen": " In my view, yes.", "rejected": " My judgement: no."},
    {"prompt": "What color is the sea?", "chosen": " It is blue.", "rejected": " It is grey, not really."},
]
PARAPHRASE_ROWS = [
    {"prompt": "Is the sky blue?", "chosen": " My response would be certainly.", "rejected": " I lean toward nope."},
    {"prompt": "Is grass green?", "chosen": " Absolutely, of course.", "rejected": " No way, not really."},
]


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


CONVERSATIONAL_ROWS = [
    {"prompt": [user("Is the sky blue?")], "chosen": [assistant("Yes, the sky is blue.")],
     "rejected": [assistant("No way.")]},
    {"prompt": [user("Is grass green?")], "chosen": [assistant("Sure.")], "rejected": [assistant("Never.")]},
    # The prompt ends with an assistant message: TRL continues it (continue_final_message).
    {"prompt": [user("What color is the sea?"), assistant("Well,")], "chosen": [assistant("It is blue.")],
     "rejected": [assistant("It is grey.")]},
]
IMPLICIT_ROWS = [
    {"chosen": "Question: Is the sky blue? Answer: yes", "rejected": "Question: Is the sky blue? Answer: no"},
    {"chosen": "Question: Is grass green? Answer: sure", "rejected": "Question: Is grass green? Answer: never"},
]
IMPLICIT_CONVERSATIONAL_ROWS = [
    {"chosen": [user("Is the sky blue?"), assistant("Yes.")], "rejected": [user("Is the sky blue?"), assistant("No.")]},
]


@pytest.fixture
def run_cli(capsys):
    """Runs the CLI in-process; returns (exit status, stderr text)."""
    from theorycheck_export.cli import main

    def run(*argv):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exit_:
            status = exit_.code
        return status, capsys.readouterr().err
    return run

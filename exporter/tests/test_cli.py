"""The command line: scripts/export-hf as users run it, option validation, exit codes, quiet mode."""

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO, STANDARD_ROWS, write_jsonl

from theorycheck_export.instance_format import read_instance

SCRIPT = os.path.join(REPO, "scripts", "export-hf")


def run_script(*argv, python=None, env=None):
    command = ([python] if python else []) + [SCRIPT] + [str(a) for a in argv]
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_help_explains_and_needs_no_torch(tmp_path):
    # --help is answered before re-executing under the venv, without importing torch: a torch that
    # cannot be imported does not matter.
    (tmp_path / "torch.py").write_text("raise ImportError('torch must not be imported for --help')\n")
    done = subprocess.run(["python3", SCRIPT, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(tmp_path), "PATH": _path_without_venv()})
    assert done.returncode == 0, done.stderr
    for phrase in ("--model NAME_OR_DIR", "--eval NAME=FILE", "standard", "conversational", "implicit prompt",
                   "ln pi(y|x)", "keep_start", "exit status"):
        assert phrase in done.stdout


def test_the_script_runs_end_to_end_from_a_plain_python(models_dir, tmp_path):
    """Started by a python3 outside the venv, the script re-executes itself under the venv."""
    train = write_jsonl(tmp_path / "train.jsonl", STANDARD_ROWS[:2])
    out = tmp_path / "out.safetensors"
    env = {"THEORYCHECK_EXPORT_IN_VENV": ""}
    done = subprocess.run(["env", "-u", "VIRTUAL_ENV", "python3", SCRIPT, "--model", models_dir["gpt2"],
                           "--train", train, "--output", str(out), "--device", "cpu"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                          env={**os.environ, **env, "PATH": _path_without_venv()})
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "export-hf: wrote" in done.stderr and "log-prob check: worst deviation" in done.stderr
    meta = json.loads(read_instance(str(out)).layout.metadata["export"])
    assert meta["command"][0] == SCRIPT and meta["command"][1:3] == ["--model", models_dir["gpt2"]]


def _path_without_venv():
    venv_bin = os.path.dirname(sys.executable)
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin)


def test_a_bad_row_exits_1_with_one_line_and_no_traceback(models_dir, tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", [STANDARD_ROWS[0], '{"prompt": "a", "chosen": "b", "rejected": ""}'])
    done = run_script("--model", models_dir["gpt2"], "--train", train, "--output", tmp_path / "o.safetensors",
                      python=sys.executable)
    assert done.returncode == 1
    assert done.stderr == f"export-hf: error: {train}:2: 'rejected' is empty; a response needs at least one token\n"
    assert not (tmp_path / "o.safetensors").exists()


def test_a_missing_model_is_one_line(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", STANDARD_ROWS)
    done = run_script("--model", tmp_path / "no-such-model", "--train", train, "--output", tmp_path / "o.safetensors",
                      "--quiet", python=sys.executable, env={"HF_HUB_OFFLINE": "1"})
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("export-hf: error: cannot load the tokenizer of") and "Traceback" not in done.stderr


USAGE_ERRORS = [
    (["--train", "t", "--output", "o"], "the following arguments are required: --model"),
    (["--eval", "test"], "expected NAME=FILE"),
    (["--eval", "=f"], "the set name before '=' is empty"),
    (["--eval", "a/b=f"], "may not contain '/'"),
    (["--eval", "my set=f"], "may not contain '/', whitespace"),
    (["--eval", "train=f"], "'train' is reserved for --train"),
    (["--eval", "test=f", "--eval", "test=g"], "--eval set name 'test' is given twice"),
    (["--beta", "0"], "must be a finite number in (0, 1e6]"),
    (["--beta", "nan"], "must be a finite number"),
    (["--beta", "x"], "must be a number"),
    (["--max-pairs", "0"], "must be between 1 and"),
    (["--max-length", "1"], "must be between 2 and"),
    (["--batch-size", "5000"], "must be between 1 and 4096"),
    (["--batch-size", "two"], "must be an integer"),
    (["--dtype", "float64"], "invalid choice: 'float64'"),
    (["--truncation", "left"], "invalid choice: 'left'"),
]


@pytest.mark.parametrize("extra,message", USAGE_ERRORS, ids=[m for _, m in USAGE_ERRORS])
def test_usage_errors_are_one_line_and_exit_2(run_cli, extra, message):
    base = [] if "--model" in message else ["--model", "m", "--train", "t", "--output", "o"]
    status, err = run_cli(*(base + extra))
    assert status == 2
    assert err.startswith("export-hf: error: ") and message in err and err.count("\n") == 1


def test_bad_devices_are_one_line(models_dir, tmp_path, run_cli):
    train = write_jsonl(tmp_path / "train.jsonl", STANDARD_ROWS)
    for device, message in (("gpu", "is not a torch device"), ("cuda", "CUDA is not available")):
        status, err = run_cli("--model", models_dir["gpt2"], "--train", train, "--output", tmp_path / "o.safetensors",
                              "--device", device)
        assert status == 1 and message in err and err.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["train.jsonl"]


def test_quiet_prints_nothing_and_max_pairs_and_beta_are_kept(models_dir, tmp_path, run_cli):
    train = write_jsonl(tmp_path / "train.jsonl", STANDARD_ROWS)
    out = tmp_path / "o.safetensors"
    status, err = run_cli("--model", models_dir["llama"], "--train", train, "--output", out, "--quiet",
                          "--max-pairs", "3", "--beta", "0.25", "--no-eos", "--device", "cpu")
    assert (status, err) == (0, "")
    instance = read_instance(str(out))
    meta = json.loads(instance.layout.metadata["export"])
    assert len(instance.layout.train) == 3 and instance.layout.beta == 0.25 and instance.layout.eval == {}
    assert meta["tokenizer"]["eos_appended_to_standard_responses"] is False
    assert all(1 not in tokens.tolist() for tokens in instance.tokens.values())  # no </s> (id 1)

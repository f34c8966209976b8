"""What the exporter refuses, and that a refusal leaves nothing behind: truncation accounting, models
whose logits are not W h, bad rows, bad output paths."""

import json
import os

import pytest
import torch
from conftest import STANDARD_ROWS, write_jsonl

from theorycheck_export.errors import ExportError
from theorycheck_export.export import ExportOptions, export
from theorycheck_export.instance_format import read_instance

LONG_PROMPT = {"prompt": "Is the sky blue? " * 6 + "Is it?", "chosen": " Yes.", "rejected": " No."}


def listing(directory):
    return sorted(os.listdir(directory))


def test_truncation_keep_start_is_counted_and_drops_a_pair_whose_prompt_fills_the_window(models_dir, tmp_path, run_cli):
    train = write_jsonl(tmp_path / "train.jsonl", STANDARD_ROWS + [LONG_PROMPT])
    out = tmp_path / "out.safetensors"
    status, err = run_cli("--model", models_dir["neox"], "--train", train, "--output", out, "--max-length", "14",
                          "--device", "cpu")
    assert status == 0, err
    instance = read_instance(str(out))
    meta = json.loads(instance.layout.metadata["export"])
    truncation = meta["truncation"]
    assert truncation["pairs_dropped"] == 1
    assert truncation["dropped"] == [{"set": "train", "row": 5, "line": 5, "empty": ["chosen", "rejected"]}]
    assert truncation["sequences_truncated"] > 0 and truncation["response_tokens_cut"] > 0
    assert truncation["prompt_tokens_cut"] == 0
    assert len(instance.layout.train) == 4 and "train/5/chosen" not in instance.tokens
    truncated = {key for pair in meta["pairs"]["train"] for key in pair.get("truncated", [])}
    assert truncated
    for pair in meta["pairs"]["train"]:
        for key in pair.get("truncated", []):
            assert len(instance.tokens[pair[key]]) >= 1
    assert "truncation (--max-length 14, keep_start)" in err and "1 pairs dropped: train row 5 (line 5)" in err
    assert meta["check"]["worst_deviation"] < 1e-6  # the identity holds for truncated sequences too


def test_truncation_keep_end_cuts_prompts_first(models_dir, tmp_path, run_cli):
    train = write_jsonl(tmp_path / "train.jsonl", [LONG_PROMPT])
    out = tmp_path / "out.safetensors"
    status, err = run_cli("--model", models_dir["neox"], "--train", train, "--output", out, "--max-length", "8",
                          "--truncation", "keep_end", "--device", "cpu", "--quiet")
    assert status == 0 and err == ""
    instance = read_instance(str(out))
    meta = json.loads(instance.layout.metadata["export"])
    assert meta["truncation"]["mode"] == "keep_end" and meta["truncation"]["pairs_dropped"] == 0
    assert meta["truncation"]["response_tokens_cut"] == 0 and meta["truncation"]["prompt_tokens_cut"] > 0
    # The whole response (" Yes." + EOS) survives; the prompt's start (BOS included) is gone.
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(models_dir["neox"])
    assert tokenizer.decode(instance.tokens["train/1/chosen"].tolist()) == " Yes.</s>"


def test_every_pair_dropped_is_an_error(models_dir, tmp_path, run_cli):
    train = write_jsonl(tmp_path / "train.jsonl", [LONG_PROMPT])
    out = tmp_path / "out.safetensors"
    status, err = run_cli("--model", models_dir["neox"], "--train", train, "--output", out, "--max-length", "4")
    assert status == 1 and "every pair of set train" in err and "raise --max-length" in err
    assert listing(tmp_path) == ["train.jsonl"]


def test_a_sequence_longer_than_the_model_asks_for_max_length(models_dir, tmp_path, run_cli):
    train = write_jsonl(tmp_path / "train.jsonl", [dict(LONG_PROMPT, prompt="blue " * 200)])
    status, err = run_cli("--model", models_dir["gpt2"], "--train", train, "--output", tmp_path / "o.safetensors")
    assert status == 1 and "more than the model's 128 positions; pass --max-length 128" in err


def test_soft_capped_logits_are_refused_and_nothing_is_written(models_dir, tmp_path, run_cli):
    train = write_jsonl(tmp_path / "train.jsonl", STANDARD_ROWS)
    out = tmp_path / "out.safetensors"
    out.write_bytes(b"previous contents")
    status, err = run_cli("--model", models_dir["gemma2_softcap"], "--train", train, "--output", out, "--device", "cpu")
    assert status == 1
    message = err.strip().split("\n")[-1]
    assert message.startswith("export-hf: error: log pi(y|x) computed from the exported W and h differs")
    assert "config.final_logit_softcapping = 2.0" in message and "nothing written" in message
    assert "Traceback" not in err
    assert out.read_bytes() == b"previous contents"  # untouched
    assert listing(tmp_path) == ["out.safetensors", "train.jsonl"]  # no temp file left


def _options(models_dir, tmp_path, rows=STANDARD_ROWS):
    return ExportOptions(model=models_dir["gpt2"], train=write_jsonl(tmp_path / "train.jsonl", rows),
                         output=str(tmp_path / "out.safetensors"), device="cpu", quiet=True)


def _gpt2(models_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    return (AutoModelForCausalLM.from_pretrained(models_dir["gpt2"], dtype=torch.float32).eval(),
            AutoTokenizer.from_pretrained(models_dir["gpt2"]))


def test_an_lm_head_bias_is_refused(models_dir, tmp_path):
    model, tokenizer = _gpt2(models_dir)
    head = torch.nn.Linear(model.config.n_embd, model.config.vocab_size, bias=True)
    with torch.no_grad():
        head.weight.copy_(model.lm_head.weight)
        head.bias.normal_(0, 1.0)
    model.lm_head = head
    with pytest.raises(ExportError, match=r"logits are not W h \(the lm_head has a nonzero bias\)"):
        export(_options(models_dir, tmp_path), model=model, tokenizer=tokenizer)
    assert listing(tmp_path) == ["train.jsonl"]


def test_scaled_logits_are_refused(models_dir, tmp_path):
    model, tokenizer = _gpt2(models_dir)
    model.lm_head.register_forward_hook(lambda module, args, output: output * 1.5)
    with pytest.raises(ExportError, match=r"deviation .* > tolerance 0.0001 \(float32\)"):
        export(_options(models_dir, tmp_path), model=model, tokenizer=tokenizer)
    assert listing(tmp_path) == ["train.jsonl"]


def test_a_constant_logit_shift_is_accepted(models_dir, tmp_path):
    """log_softmax ignores a shift common to all tokens, so ln pi(y|x) is still W h's."""
    model, tokenizer = _gpt2(models_dir)
    model.lm_head.register_forward_hook(lambda module, args, output: output + 3.0)
    result = export(_options(models_dir, tmp_path), model=model, tokenizer=tokenizer)
    assert result.worst_deviation < 1e-6


def test_a_tokenizer_of_another_model_is_refused(models_dir, tmp_path):
    from tiny_models import build_model
    _, tokenizer = _gpt2(models_dir)
    small = build_model("gpt2", 50, tokenizer)
    with pytest.raises(ExportError, match="only 50 rows; the tokenizer does not belong to this model"):
        export(_options(models_dir, tmp_path), model=small, tokenizer=tokenizer)


def test_a_bad_row_stops_the_export_before_anything_is_written(models_dir, tmp_path, run_cli):
    train = write_jsonl(tmp_path / "train.jsonl", STANDARD_ROWS[:2] + ['{"prompt": "a", "chosen": "b"}'])
    test = write_jsonl(tmp_path / "test.jsonl", STANDARD_ROWS)
    status, err = run_cli("--model", models_dir["gpt2"], "--train", test, "--eval", f"bad={train}",
                          "--output", tmp_path / "out.safetensors")
    assert status == 1
    assert err == f"export-hf: error: {train}:3: missing key 'rejected' (keys present: chosen, prompt)\n"
    assert listing(tmp_path) == ["test.jsonl", "train.jsonl"]


@pytest.mark.parametrize("target,message", [
    ("dir", "is a directory"),
    ("/dev/null", "exists and is not a regular file"),
    ("missing/out.safetensors", "does not exist"),
    ("train", "is the input file of set train; refusing to overwrite it"),
])
def test_bad_output_paths_are_refused(models_dir, tmp_path, run_cli, target, message):
    train = write_jsonl(tmp_path / "train.jsonl", STANDARD_ROWS)
    (tmp_path / "dir").mkdir()
    output = {"dir": tmp_path / "dir", "train": train}.get(target, target)
    if target.startswith("missing"):
        output = tmp_path / target
    status, err = run_cli("--model", models_dir["gpt2"], "--train", train, "--output", output)
    assert status == 1 and message in err and err.count("\n") == 1
    assert listing(tmp_path) == ["dir", "train.jsonl"]
    assert listing(tmp_path / "dir") == []


def test_a_terminated_export_leaves_nothing(models_dir, tmp_path, run_cli, monkeypatch):
    import signal
    from theorycheck_export import forward
    original = forward.StateReader.read

    def read_then_get_killed(self, sequences):
        states = original(self, sequences)
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill` or a job scheduler would, mid-export
        return states
    monkeypatch.setattr(forward.StateReader, "read", read_then_get_killed)
    before = signal.getsignal(signal.SIGTERM)
    train = write_jsonl(tmp_path / "train.jsonl", STANDARD_ROWS)
    status, err = run_cli("--model", models_dir["gpt2"], "--train", train, "--output", tmp_path / "o.safetensors",
                          "--batch-size", "1", "--quiet")
    assert status == 130 and err == "export-hf: interrupted; nothing written\n"
    assert listing(tmp_path) == ["train.jsonl"]
    assert signal.getsignal(signal.SIGTERM) == before  # the CLI's handler is removed again


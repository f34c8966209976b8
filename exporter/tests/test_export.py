"""End-to-end exports of three tiny model families, checked against independent forward passes."""

import hashlib
import json
import re

import pytest
import torch
from conftest import (CONVERSATIONAL_ROWS, IMPLICIT_CONVERSATIONAL_ROWS, IMPLICIT_ROWS, PARAPHRASE_ROWS, STANDARD_ROWS,
                      record_deviation, write_jsonl)

from theorycheck_export.cli import main
from theorycheck_export.instance_format import read_instance

# family -> (train rows, [(eval set name, rows)])
SETUPS = {
    "gpt2": (STANDARD_ROWS, [("test", PARAPHRASE_ROWS), ("test1", STANDARD_ROWS[:2])]),
    "llama": (CONVERSATIONAL_ROWS, [("implicit", IMPLICIT_CONVERSATIONAL_ROWS), ("standard", STANDARD_ROWS[:2])]),
    "neox": (IMPLICIT_ROWS, [("test", STANDARD_ROWS)]),
}


def export_family(models_dir, directory, family, *extra):
    train_rows, evals = SETUPS[family]
    train = write_jsonl(directory / f"{family}-train.jsonl", train_rows)
    argv = ["--model", models_dir[family], "--train", train, "--device", "cpu", "--quiet",
            "--output", str(directory / f"{family}.safetensors")]
    for name, rows in evals:
        argv += ["--eval", f"{name}={write_jsonl(directory / f'{family}-{name}.jsonl', rows)}"]
    assert main(argv + list(extra)) == 0
    instance = read_instance(str(directory / f"{family}.safetensors"))
    return instance, json.loads(instance.layout.metadata["export"]), argv


@pytest.fixture(scope="module")
def exports(models_dir, tmp_path_factory):
    directory = tmp_path_factory.mktemp("exports")
    return {family: export_family(models_dir, directory, family) for family in SETUPS}


def load(models_dir, family):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    return (AutoModelForCausalLM.from_pretrained(models_dir[family], dtype=torch.float32).eval(),
            AutoTokenizer.from_pretrained(models_dir[family]))


def reference_ids(tokenizer, row):
    """Prompt + chosen ids and the prompt's length, computed here independently of the exporter
    (standard rows: TRL's add_eos and the tokenizer's own special tokens; conversational: the template)."""
    if isinstance(row["chosen"], str):
        prompt = tokenizer(row["prompt"])["input_ids"]
        return tokenizer(row["prompt"] + row["chosen"] + tokenizer.eos_token)["input_ids"], len(prompt)
    prompt = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(row["prompt"] + row["chosen"], tokenize=False)
    return (tokenizer(full, add_special_tokens=False)["input_ids"],
            len(tokenizer(prompt, add_special_tokens=False)["input_ids"]))


def exported_log_prob(instance, sequence_id):
    """sum_k log_softmax(W h_k)[y_k] in float64 from the file's values."""
    w = torch.from_numpy(instance.unembedding)
    h = torch.from_numpy(instance.hidden[sequence_id])
    y = torch.from_numpy(instance.tokens[sequence_id])
    return float(torch.log_softmax(h[:-1] @ w.T, dim=-1).gather(1, y.view(-1, 1)).sum())


@pytest.mark.parametrize("family", list(SETUPS))
def test_every_sequence_matches_an_independent_forward_pass(models_dir, exports, family):
    instance, meta, _ = exports[family]
    model, tokenizer = load(models_dir, family)
    assert meta["check"]["sequences_checked"] == len(instance.tokens) == 2 * sum(
        len(p) for p in meta["pairs"].values())
    record_deviation(family, meta["check"]["worst_deviation"])
    assert meta["check"]["worst_deviation"] <= 1e-6  # float32: far inside the 1e-4 tolerance
    # Every sequence: ln pi(y|x) from the exported tensors equals the model's own (all three formats).
    for sequence_id in instance.tokens:
        assert exported_log_prob(instance, sequence_id) == pytest.approx(meta["log_probs"][sequence_id], abs=1e-4)
        assert meta["log_probs"][sequence_id] < -1.0  # the check compares numbers that matter
    # Explicit-prompt rows: ids, positions and states against a forward pass run here, unbatched.
    train_rows, evals = SETUPS[family]
    checked = 0
    for set_name, rows in [("train", train_rows)] + evals:
        for number, row in enumerate(rows, start=1):
            if "prompt" not in row or (isinstance(row["prompt"], list) and row["prompt"][-1]["role"] == "assistant"):
                continue
            ids, p = reference_ids(tokenizer, row)
            with torch.no_grad():
                out = model(torch.tensor([ids]), output_hidden_states=True)
            final = out.hidden_states[-1][0]  # after the final norm
            sequence_id = f"{set_name}/{number}/chosen"
            assert instance.tokens[sequence_id].tolist() == ids[p:]
            assert torch.allclose(torch.from_numpy(instance.hidden[sequence_id]).float(), final[p - 1:], atol=1e-5)
            model_lp = torch.log_softmax(out.logits[0, p - 1:-1].double(), dim=-1).gather(
                1, torch.tensor(ids[p:]).view(-1, 1)).sum()
            assert exported_log_prob(instance, sequence_id) == pytest.approx(float(model_lp), rel=1e-6, abs=1e-5)
            checked += 1
    assert checked >= 2


@pytest.mark.parametrize("family", list(SETUPS))
def test_last_row_is_what_a_sequence_classification_head_reads(models_dir, exports, family):
    from transformers import AutoModelForSequenceClassification
    instance, _, _ = exports[family]
    _, tokenizer = load(models_dir, family)
    row = SETUPS[family][1][-1][1][0]  # an explicit-prompt standard row of an eval set
    set_name = SETUPS[family][1][-1][0]
    texts = [reference_ids(tokenizer, dict(row, chosen=row[key]))[0] for key in ("chosen", "rejected")]
    # The head pools at the last token that is not padding. These tiny configs pad with EOS, which ends
    # every standard response, so pad with an id neither text uses (see the README on pad == eos).
    pad = next(i for i in reversed(range(len(tokenizer))) if all(i not in ids for ids in texts))
    classifier = AutoModelForSequenceClassification.from_pretrained(
        models_dir[family], num_labels=1, dtype=torch.float32, pad_token_id=pad).eval()
    seen = {}
    classifier.score.register_forward_pre_hook(lambda module, args: seen.update(states=args[0]))
    for key, ids in zip(("chosen", "rejected"), texts):
        with torch.no_grad():
            pooled = classifier(torch.tensor([ids])).logits[0, 0]
            last = torch.from_numpy(instance.hidden[f"{set_name}/1/{key}"][-1]).float()
            assert torch.allclose(seen["states"][0, -1], last, atol=1e-5)
            assert float(classifier.score.weight[0] @ last) == pytest.approx(float(pooled), abs=1e-5)


def test_ids_are_unique_and_name_set_row_and_response(exports):
    instance, meta, _ = exports["gpt2"]
    layout = instance.layout
    assert list(layout.eval) == ["test", "test1"]  # file order, and "test" a prefix of "test1"
    ids = [p[k] for pairs in [layout.train] + list(layout.eval.values()) for p in pairs for k in ("chosen", "rejected")]
    assert len(ids) == len(set(ids)) == len(layout.lengths)
    for sequence_id in ids:
        assert re.fullmatch(r"(train|test|test1)/[0-9]+/(chosen|rejected)", sequence_id)
    assert layout.eval["test1"][0] == {"chosen": "test1/1/chosen", "rejected": "test1/1/rejected"}
    assert meta["pairs"]["test"][1] == {"row": 2, "line": 2, "chosen": "test/2/chosen", "rejected": "test/2/rejected"}
    # Same text in train and test1, different ids, same values.
    assert (instance.hidden["train/1/chosen"] == instance.hidden["test1/1/chosen"]).all()


def test_metadata_records_the_export(models_dir, exports):
    instance, meta, argv = exports["gpt2"]
    assert instance.layout.beta == 0.1 and instance.layout.metadata["beta"] == "0.1"
    assert meta["tool"] == "theorycheck-export" and meta["version"] == "0.1.0"
    assert meta["command"] == ["export-hf"] + argv
    assert meta["model"]["name"] == models_dir["gpt2"]
    assert meta["model"]["class"] == "GPT2LMHeadModel" and meta["model"]["model_type"] == "gpt2"
    assert meta["model"]["tied_embeddings"] is True and meta["model"]["dtype"] == "float32"
    assert (meta["model"]["vocabulary"], meta["model"]["width"]) == instance.unembedding.shape
    assert meta["model"]["device"] == "cpu"
    assert meta["tokenizer"]["adds_bos"] is False and meta["tokenizer"]["eos_appended_to_standard_responses"] is True
    files = {f["set"]: f for f in meta["files"]}
    assert list(files) == ["train", "test", "test1"]
    for record in files.values():
        with open(record["path"], "rb") as handle:
            assert record["sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert files["train"]["format"] == "standard" and files["train"]["rows_read"] == files["train"]["pairs"] == 4
    assert meta["truncation"] == {"max_length": None, "mode": "keep_start", "sequences_truncated": 0,
                                  "prompt_tokens_cut": 0, "response_tokens_cut": 0, "pairs_dropped": 0, "dropped": []}
    check = meta["check"]
    assert check["tolerance"] == 1e-4 and check["worst_sequence"] in instance.tokens
    assert 0 <= check["worst_token_deviation"] and check["worst_absolute"] < 1e-4
    assert meta["tokenization"]["sequences"] == len(instance.tokens)
    assert exports["llama"][1]["model"]["tied_embeddings"] is False
    assert {f["format"] for f in exports["llama"][1]["files"]} == {
        "conversational", "conversational (implicit prompt)", "standard"}
    assert exports["neox"][1]["tokenizer"]["adds_bos"] is True


def test_the_safetensors_library_reads_the_same_values(exports, tmp_path):
    from safetensors import safe_open
    instance, _, argv = exports["llama"]
    path = argv[argv.index("--output") + 1]
    with safe_open(path, framework="pt") as handle:
        assert set(handle.keys()) == {"unembedding"} | {f"{kind}.{i}" for i in instance.tokens for kind in ("hidden", "tokens")}
        assert handle.metadata()["eval"] == instance.layout.metadata["eval"]
        assert (handle.get_tensor("unembedding").double().numpy() == instance.unembedding).all()
        for sequence_id in instance.tokens:
            assert handle.get_tensor(f"tokens.{sequence_id}").dtype == torch.int64
            assert (handle.get_tensor(f"hidden.{sequence_id}").double().numpy() == instance.hidden[sequence_id]).all()


def test_batch_size_does_not_change_the_states(models_dir, exports, tmp_path):
    batched, _, _ = exports["gpt2"]
    single, _, _ = export_family(models_dir, tmp_path, "gpt2", "--batch-size", "1")
    for sequence_id, hidden in batched.hidden.items():
        assert (single.tokens[sequence_id] == batched.tokens[sequence_id]).all()
        assert abs(single.hidden[sequence_id] - hidden).max() < 1e-5


def test_bfloat16_runs_within_its_tolerance(models_dir, tmp_path):
    instance, meta, _ = export_family(models_dir, tmp_path, "llama", "--dtype", "bfloat16")
    assert meta["model"]["dtype"] == "bfloat16" and meta["check"]["tolerance"] == 1.6e-2
    record_deviation("llama-bfloat16", meta["check"]["worst_deviation"])
    assert 0 < meta["check"]["worst_deviation"] <= 1.6e-2
    # bfloat16 values stored in float32 exactly: the low 16 bits are zero.
    bits = instance.unembedding.astype("float32").view("uint32")
    assert ((bits & 0xFFFF) == 0).all()


def test_many_pairs_fit_the_metadata_reserved_for_them(models_dir, tmp_path, run_cli):
    rows = [dict(STANDARD_ROWS[i % 4], prompt=f"{STANDARD_ROWS[i % 4]['prompt']} {i}") for i in range(150)]
    train = write_jsonl(tmp_path / "train.jsonl", rows)
    name = "a-long-evaluation-set-name-" + "x" * 40
    evaluation = write_jsonl(tmp_path / "eval.jsonl", rows[:50])
    out = tmp_path / "out.safetensors"
    status, err = run_cli("--model", models_dir["gpt2"], "--train", train, "--eval", f"{name}={evaluation}",
                          "--output", out, "--batch-size", "64", "--quiet")
    assert (status, err) == (0, "")
    meta = json.loads(read_instance(str(out)).layout.metadata["export"])
    assert len(meta["log_probs"]) == 400 and meta["check"]["sequences_checked"] == 400

"""The real-model workflow end to end: a tiny GPT-2 pretrained here on the agreeableness grammar, Persona-
style TRL rows (train: agree / disagree templates and answers; evaluation: held-out statements and
paraphrases with other words), `scripts/export-hf`'s export, `theorycheck analyze --steps T --pairs`, and
the same reward models trained by PyTorch loops (persona_roundtrip.py), read-out only and every parameter.

What must hold, and is asserted: PyTorch training of the read-out alone (the head u; the lm_head W on the
frozen backbone's states) is Assumption 1, so it agrees with theorycheck's T-step prediction pair by pair
to float32 rounding; the per-pair file has one row per pair with its source row and line; with a real
tokenizer paraphrases share tokens with training, so they land in fractional novelty bins; and a backbone
whose answer states do not carry the answer's meaning (the grammar without its stance clause) gets the
weak-alignment warning. How well the prediction matches full fine-tuning is measured and printed (the
README reports it), not asserted: Assumption 1 does not cover it.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import torch
from conftest import ROUNDTRIP_LINES, swift_binary, write_jsonl
from persona_roundtrip import Grammar, encode, persona_rows, pretrain, train_reward_models

from theorycheck_export.cli import main

STEPS = 100
BETA = 0.1
EVALUATION_SETS = ("test", "paraphrase", "paraphrase_test")
# float32 forward passes and T = 100 steps of float32 updates in PyTorch against theorycheck's float64
# steps on the exported float32 states: about 1e-6 relative seen; 1e-4 leaves room and still catches a
# wrong learning rate, loss scale or state (those differ at 1e-2 and more).
READOUT_TOLERANCE = 1e-4


@pytest.fixture(scope="module", params=["stance", "no_stance"])
def roundtrip(request, tmp_path_factory):
    binary = swift_binary()
    if binary is None:
        pytest.skip("no built theorycheck binary (swift build) to analyze the export")
    torch.set_num_threads(1)
    grammar = Grammar(stance=request.param == "stance")
    directory = tmp_path_factory.mktemp(request.param)
    model_dir = pretrain(grammar, str(directory / "model"))
    rows = persona_rows(grammar)
    files = {name: write_jsonl(directory / f"{name}.jsonl", set_rows) for name, set_rows in rows.items()}
    output = str(directory / "persona.safetensors")
    argv = ["--model", model_dir, "--train", files["train"], "--no-eos", "--beta", str(BETA), "--device", "cpu",
            "--quiet", "--output", output]
    for name in EVALUATION_SETS:
        argv += ["--eval", f"{name}={files[name]}"]
    assert main(argv) == 0
    pairs_path = directory / "pairs.jsonl"
    run = subprocess.run([binary, "analyze", "--instance", output, "--steps", str(STEPS), "--pairs", str(pairs_path),
                          "--json", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    pairs = [json.loads(line) for line in pairs_path.read_text().splitlines()]

    from transformers import AutoModelForCausalLM, AutoTokenizer
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    train = encode(tokenizer, rows["train"])
    evaluation = {name: encode(tokenizer, rows[name]) for name in EVALUATION_SETS}
    rates = {"ex_rm": report["trained"]["ex_rm_learning_rate"], "im_rm": report["trained"]["im_rm_learning_rate"]}
    torch_margins = {
        mode: train_reward_models(model, train, evaluation, tokenizer.eos_token_id, BETA, STEPS, rates,
                                  readout_only=mode == "readout")
        for mode in ("readout", "full")}
    return {"grammar": request.param, "rows": rows, "report": report, "pairs": pairs, "torch": torch_margins}


def predicted(roundtrip, kind, name):
    return [p[f"{kind}_margin"] for p in roundtrip["pairs"] if p["set"] == name]


def test_readout_only_training_is_the_prediction_pair_by_pair(roundtrip):
    for kind in ("ex_rm", "im_rm"):
        for name in EVALUATION_SETS:
            swift = predicted(roundtrip, kind, name)
            trained = roundtrip["torch"]["readout"][kind][name]
            assert len(swift) == len(trained) == len(roundtrip["rows"][name])
            for index, (a, b) in enumerate(zip(swift, trained)):
                assert abs(a - b) <= READOUT_TOLERANCE * (1 + abs(b)), (roundtrip["grammar"], kind, name, index, a, b)
                if abs(b) > READOUT_TOLERANCE:
                    assert (a > 0) == (b > 0)


def test_the_per_pair_file_names_every_pair_and_its_source(roundtrip):
    pairs = roundtrip["pairs"]
    assert [p["set"] for p in pairs] == [name for name in EVALUATION_SETS for _ in roundtrip["rows"][name]]
    for name in EVALUATION_SETS:
        rows = [p for p in pairs if p["set"] == name]
        # The exporter's ids and provenance: row r of the file is line r (one JSON object per line).
        assert [p["source_row"] for p in rows] == list(range(1, len(rows) + 1))
        assert [p["source_line"] for p in rows] == list(range(1, len(rows) + 1))
        assert all(p["chosen_id"] == f"{name}/{p['source_row']}/chosen" for p in rows)
        for p in rows:
            assert 0 <= p["token_novelty"] <= 1
            assert p["token_novelty"] == p["unseen_tokens"] / p["response_tokens"]
            if p["token_novelty"] == 1:
                assert p["im_rm_identity"] == 0
            assert p["ex_rm_winner"] in ("chosen", "rejected", "tie")
    # A real tokenizer: paraphrases share " My" and " I" with the training templates, so none is unseen.
    paraphrase = [p for p in pairs if p["set"] == "paraphrase"]
    assert all(0 < p["token_novelty"] < 1 for p in paraphrase)
    bins = roundtrip["report"]["sets"]["paraphrase"]["novelty_bins"]
    assert sum(b["pairs"] for b in bins) == len(paraphrase)
    assert bins[-1]["bin"] == "1" and bins[-1]["pairs"] == 0
    assert any("paraphrase has no unseen pair" in note for note in roundtrip["report"]["trust"]["notes"])


def test_the_warning_sign_and_full_fine_tuning(roundtrip):
    report = roundtrip["report"]
    median = report["sets"]["paraphrase"]["all"]["ex_rm"]["cosine"]["median"]
    weak = [w for w in report["trust"]["warnings"] if w["kind"] == "weak_alignment" and w["set"] == "paraphrase"]
    if roundtrip["grammar"] == "stance":
        # The stance clause makes the state at an answer carry its meaning: u* points along paraphrases.
        assert median > 0.5 and not weak
    else:
        # Without it the states do not carry the stance: u* does not point along paraphrases. Its median
        # cosine is near 0 (0.05 on an AVX-512 machine) or below it (-0.19 on an AVX2 one: torch's CPU
        # kernels train a different backbone), never the stance grammar's > 0.5; the tool warns exactly
        # when |median| is under its documented threshold.
        assert median < 0.1, median
        assert bool(weak) == (abs(median) < report["trust"]["thresholds"]["weak_alignment_cosine"]), (median, weak)
    agreement = {}
    for kind in ("ex_rm", "im_rm"):
        for name in EVALUATION_SETS:
            swift = predicted(roundtrip, kind, name)
            full = roundtrip["torch"]["full"][kind][name]
            agreement[f"{kind} {name}"] = (
                sum((a > 0) == (b > 0) for a, b in zip(swift, full)) / len(swift),
                sum(a > 0 for a in swift) / len(swift), sum(b > 0 for b in full) / len(full))
    ROUNDTRIP_LINES.append(
        f"round trip, {roundtrip['grammar']} grammar: median cos(u*, zbar) on paraphrase {median:.3f}; the T-step "
        "prediction's winner agreement with full fine-tuning (predicted accuracy / fine-tuned accuracy): "
        + "; ".join(f"{key} {agree:.3f} ({accuracy:.3f} / {fine_tuned:.3f})"
                    for key, (agree, accuracy, fine_tuned) in agreement.items()))

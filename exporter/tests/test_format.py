"""The file format: the streaming writer, the pure-Python checker, and the Swift reader itself."""

import json
import os
import subprocess

import numpy as np
import pytest
import torch
from conftest import CONVERSATIONAL_ROWS, PARAPHRASE_ROWS, STANDARD_ROWS, swift_binary, write_jsonl
from safetensors import safe_open
from safetensors.torch import save_file

from theorycheck_export.cli import main
from theorycheck_export.errors import ExportError
from theorycheck_export.instance_format import FormatError, check_layout, read_instance
from theorycheck_export.safetensors_writer import StreamingWriter, TensorSpec

SPECS = [TensorSpec("tokens.a", "I64", (3,)), TensorSpec("unembedding", "F32", (5, 2)),
         TensorSpec("hidden.a", "F32", (4, 2))]
META = {"beta": "0.5", "train": json.dumps([{"chosen": "a", "rejected": "a"}]), "eval": "{}"}


def write_all(writer):
    writer.write("tokens.a", np.array([0, 4, 2], dtype="<i8"))
    writer.write("unembedding", np.arange(10, dtype="<f4").reshape(5, 2))
    writer.write("hidden.a", np.ones((4, 2), dtype="<f4"))


def test_the_streaming_writer_makes_standard_safetensors(tmp_path):
    path = str(tmp_path / "x.safetensors")
    with StreamingWriter(path, SPECS, dict(META, export="{}")) as writer:
        assert not os.path.exists(path)  # only the temp file exists while writing
        write_all(writer)
        writer.finish(dict(META, export=json.dumps({"done": True})))
    assert sorted(os.listdir(tmp_path)) == ["x.safetensors"]
    with safe_open(path, framework="pt") as handle:
        assert handle.metadata()["export"] == '{"done": true}'
        assert handle.get_tensor("tokens.a").tolist() == [0, 4, 2]
        assert handle.get_tensor("unembedding").dtype == torch.float32
    layout = check_layout(path)
    assert layout.header_length % 8 == 0 and layout.lengths == {"a": 3}
    instance = read_instance(path)
    assert (instance.unembedding == np.arange(10).reshape(5, 2)).all()


def test_a_writer_interrupted_leaves_nothing(tmp_path):
    path = str(tmp_path / "x.safetensors")
    with pytest.raises(RuntimeError):
        with StreamingWriter(path, SPECS, META) as writer:
            writer.write("tokens.a", np.array([0, 4, 2], dtype="<i8"))
            raise RuntimeError("stop")
    assert os.listdir(tmp_path) == []
    writer = StreamingWriter(path, SPECS, META)
    with pytest.raises(ValueError, match="2 tensors were not written"):
        writer.write("tokens.a", np.array([0, 4, 2], dtype="<i8"))
        writer.finish(META)
    assert os.listdir(tmp_path) == []
    writer = StreamingWriter(path, SPECS, META, reserve=0)
    write_all(writer)
    with pytest.raises(ExportError, match="metadata grew"):
        writer.finish(dict(META, export="x" * 100))
    assert os.listdir(tmp_path) == []
    writer = StreamingWriter(path, SPECS, META)
    write_all(writer)

    def refuse(temp):
        assert os.path.exists(temp)
        raise ExportError("refused")
    with pytest.raises(ExportError):
        writer.finish(META, before_rename=refuse)
    assert os.listdir(tmp_path) == []


def library_file(tmp_path, tensors=None, metadata=None):
    tensors = tensors if tensors is not None else {
        "unembedding": torch.zeros(5, 2), "tokens.a": torch.tensor([1, 2], dtype=torch.int64),
        "hidden.a": torch.zeros(3, 2)}
    path = str(tmp_path / "lib.safetensors")
    save_file(tensors, path, metadata=metadata if metadata is not None else META)
    return path


def test_the_checker_accepts_what_the_library_writes(tmp_path):
    instance = read_instance(library_file(tmp_path))
    assert instance.layout.vocabulary == 5 and instance.tokens["a"].tolist() == [1, 2]


@pytest.mark.parametrize("change,message", [
    (lambda t, m: t.update(extra=torch.zeros(1)), "unknown tensor 'extra'"),
    (lambda t, m: t.update({"hidden.a": torch.zeros(4, 2)}), "expected [3, 2]"),
    (lambda t, m: t.pop("tokens.a"), "ids without both"),
    (lambda t, m: t.update({"tokens.a": torch.tensor([1, 7])}), "outside 0..<5"),
    (lambda t, m: t.update({"tokens.a": torch.tensor([1.0, 2.0])}), "integer [L] tensor"),
    (lambda t, m: m.pop("beta"), "__metadata__.beta is missing"),
    (lambda t, m: m.update(beta="-1"), "finite number > 0"),
    (lambda t, m: m.update(train=json.dumps([{"chosen": "a", "rejected": "b"}])), "unknown sequence 'b'"),
    (lambda t, m: m.update(train="[]"), "train is empty"),
    (lambda t, m: m.update(eval='{"x": [{"chosen": "a"}]}'), "__metadata__.eval.x[0]"),
    (lambda t, m: m.update(eval='{"x": [], "x": []}'), "duplicate key 'x'"),
])
def test_the_checker_rejects_what_the_swift_reader_rejects(tmp_path, change, message):
    tensors = {"unembedding": torch.zeros(5, 2), "tokens.a": torch.tensor([1, 2], dtype=torch.int64),
               "hidden.a": torch.zeros(3, 2)}
    metadata = dict(META)
    change(tensors, metadata)
    with pytest.raises(FormatError) as error:
        read_instance(library_file(tmp_path, tensors, metadata))
    assert message in str(error.value)


def test_the_checker_rejects_broken_containers(tmp_path):
    path = library_file(tmp_path)
    data = open(path, "rb").read()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[:-4])
    with pytest.raises(FormatError, match="offsets|belong to no tensor"):
        check_layout(str(cut))
    extra = tmp_path / "extra.safetensors"
    extra.write_bytes(data + b"\0" * 8)
    with pytest.raises(FormatError, match="belong to no tensor"):
        check_layout(str(extra))


@pytest.mark.skipif(swift_binary() is None, reason="no built theorycheck binary (swift build) to read the file")
def test_the_swift_reader_loads_the_export(models_dir, tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", CONVERSATIONAL_ROWS)
    test = write_jsonl(tmp_path / "test.jsonl", STANDARD_ROWS)
    test1 = write_jsonl(tmp_path / "test1.jsonl", PARAPHRASE_ROWS)
    out = str(tmp_path / "llama.safetensors")
    assert main(["--model", models_dir["llama"], "--train", train, "--eval", f"test={test}",
                 "--eval", f"test1={test1}", "--output", out, "--device", "cpu", "--quiet"]) == 0
    binary = swift_binary()
    analyze = subprocess.run([binary, "analyze", "--instance", out, "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=300)
    assert analyze.returncode == 0, analyze.stderr
    report = json.loads(analyze.stdout)
    assert report["max_margin"]["training_pairs"] == len(CONVERSATIONAL_ROWS)
    assert report["max_margin"]["width"] == 32
    assert '"test"' in json.dumps(report["sets"]) and '"test1"' in json.dumps(report["sets"])
    dynamics = subprocess.run([binary, "dynamics", "--instance", out, "--steps", "2", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert dynamics.returncode == 0, dynamics.stderr
    checkpoint = json.loads(dynamics.stdout)["checkpoints"][0]
    assert set(checkpoint["ex_rm"]) == set(checkpoint["im_rm"]) == {"test", "test1"}

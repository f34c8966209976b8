"""Loading the model and reading, in one forward pass, the states its unembedding multiplies.

The hidden state exported for a position is the tensor that enters the model's output embedding
(`model.get_output_embeddings()`, the `lm_head`), caught by a forward pre-hook: by construction the
final layer's state after the final norm, whatever the architecture calls it. The same forward pass
gives the model's own logits, which `verify` compares with W h. Sequences of a batch are padded on
the right (TRL's DPO collator pads on the right too), so a real token never attends to padding and keeps
its position ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from .errors import ExportError

DTYPES = ("float32", "bfloat16", "float16")

# Config attributes of architectures whose logits are not W h (checked only to explain a refusal).
# (A scaling of the state before the lm_head, as in MiniCPM, is no problem: the pre-hook sees it.)
LOGIT_TRANSFORM_ATTRIBUTES = ("final_logit_softcapping", "logit_scale", "logits_scaling")


def torch_dtype(name: str):
    import torch
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def resolve_device(name: str):
    """`auto` is cuda when available, else cpu; anything else must be a device torch knows and has."""
    import torch
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ExportError(f"--device {name!r} is not a torch device (examples: cpu, cuda, cuda:1, mps, auto)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ExportError(f"--device {name}: CUDA is not available on this machine (use --device cpu)")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ExportError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ExportError(f"--device {name}: MPS is not available on this machine (use --device cpu)")
    return device


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.split("\n")[0] if text else type(error).__name__


def load_tokenizer(name: str):
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(name)
    except Exception as error:  # OSError (not found, offline), ValueError (unknown class), ...
        raise ExportError(f"cannot load the tokenizer of {name!r}: {_first_line(error)}") from None


def load_model(name: str, dtype: str, device):
    """The causal LM in eval mode on `device`, loaded with transformers' `dtype=` argument."""
    from transformers import AutoModelForCausalLM
    try:
        model = AutoModelForCausalLM.from_pretrained(name, dtype=torch_dtype(dtype))
    except Exception as error:
        raise ExportError(f"cannot load {name!r} as a causal LM: {_first_line(error)}") from None
    return prepare_model(model, device)


def prepare_model(model, device):
    if model.get_output_embeddings() is None:
        raise ExportError(f"{type(model).__name__} has no output embedding (lm_head); it is not a causal LM")
    model.to(device)
    model.eval()
    return model


def logit_transform_hints(model) -> List[str]:
    """Reasons, from the model's config and lm_head, why its logits may not be W h."""
    hints = []
    config = model.config
    for attribute in LOGIT_TRANSFORM_ATTRIBUTES:
        value = getattr(config, attribute, None)
        if value not in (None, 0, 1, 1.0, False):
            hints.append(f"config.{attribute} = {value}")
    bias = getattr(model.get_output_embeddings(), "bias", None)
    if bias is not None and bool((bias != 0).any()):
        hints.append("the lm_head has a nonzero bias")
    return hints


@dataclass
class SequenceStates:
    """What one sequence's forward pass yields for the export."""

    hidden: "object"  # [L + 1, d] in the model's dtype and on its device: rows P-1 .. P+L-1
    logits: "object"  # [L, V] likewise: the logits predicting each response token


class StateReader:
    """Runs batches through the model and keeps, per sequence, the lm_head inputs and logits at the
    response positions (row k < L predicts response token k; row L is the last token's state)."""

    def __init__(self, model, pad_id: int = 0):
        self.model = model
        self.pad_id = pad_id
        self.device = next(model.parameters()).device
        self._captured: Optional[object] = None
        self._hook = model.get_output_embeddings().register_forward_pre_hook(self._capture)

    def _capture(self, module, args):
        self._captured = args[0]

    def close(self):
        self._hook.remove()

    def read(self, sequences) -> List[SequenceStates]:
        """`sequences`: objects with `ids` and `prompt_length` (`rendering.TokenizedSequence`)."""
        import torch
        width = max(len(s.ids) for s in sequences)
        input_ids = torch.full((len(sequences), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, sequence in enumerate(sequences):
            input_ids[row, :len(sequence.ids)] = torch.tensor(sequence.ids, dtype=torch.long)
            mask[row, :len(sequence.ids)] = 1
        self._captured = None
        with torch.inference_mode():
            output = self.model(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device),
                                use_cache=False)
        states = self._captured
        logits = output.logits
        if states is None or states.shape[:2] != logits.shape[:2]:
            raise ExportError(
                f"{type(self.model).__name__}: the lm_head did not see every position's state in the forward "
                "pass; this architecture is not supported")
        result = []
        for row, sequence in enumerate(sequences):
            p, end = sequence.prompt_length, len(sequence.ids)
            result.append(SequenceStates(hidden=states[row, p - 1:end].detach(),
                                         logits=logits[row, p - 1:end - 1].detach()))
        return result

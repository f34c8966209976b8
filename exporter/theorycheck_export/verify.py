"""The log-probability identity every exported sequence must satisfy.

theorycheck's IM-RM reads ln pi(y|x) = sum_k log_softmax(W h_k)[y_k] off the exported unembedding W
and states h_k. For each sequence the exporter computes that sum from the tensors exactly as written
(float32 values, arithmetic in float64) and compares it with the model's own ln pi(y|x), from the
logits of the same forward pass (log_softmax in float64). It refuses the export when they differ:
that happens when the logits are not W h, e.g. logit soft-capping (Gemma 2), a logit scale (Cohere,
Granite) or an lm_head bias.

Scale-aware deviation of a sequence with logits z_k (k < L):

    deviation = |sum_k lp_export_k - sum_k lp_model_k| / sum_k (1 + max_v |z_k,v|)

Rounding a logit z in a dtype with unit roundoff u moves it by at most u |z|, and a log-softmax entry
by at most twice the largest such move, so the deviation of a faithful export stays below about 2u
for each dtype the model ran in. The tolerances leave room for accumulation order:
float32 1e-4, float16 2e-3 (u = 2^-11), bfloat16 1.6e-2 (u = 2^-8). The per-token figure
max_k |lp_export_k - lp_model_k| / (1 + max_v |z_k,v|) is recorded too.
"""

from __future__ import annotations

from dataclasses import dataclass

TOLERANCES = {"float32": 1e-4, "float16": 2e-3, "bfloat16": 1.6e-2}

# Above this many bytes, W is widened to float64 one vocabulary chunk at a time instead of once.
_WIDE_CACHE_BYTES = 1 << 30
_CHUNK_BYTES = 1 << 27


@dataclass
class SequenceCheck:
    deviation: float  # scale-aware, see the module docstring
    token_deviation: float  # worst per-token, scale-aware
    absolute: float  # |ln pi_export - ln pi_model|
    model_log_prob: float
    export_log_prob: float


class LogProbChecker:
    """Checks sequences against one unembedding W ([V, d], the float32 tensor as exported)."""

    def __init__(self, unembedding, dtype_name: str, device=None):
        """`device`: where to compute (the model's: float64 on a GPU beats two CPU cores by far)."""
        import torch
        self.tolerance = TOLERANCES[dtype_name]
        self.unembedding = unembedding.to(device) if device is not None else unembedding
        vocabulary, width = unembedding.shape
        self._wide = self.unembedding.to(torch.float64) if vocabulary * width * 8 <= _WIDE_CACHE_BYTES else None

    def _rows(self, start: int, stop: int):
        import torch
        if self._wide is not None:
            return self._wide[start:stop]
        return self.unembedding[start:stop].to(torch.float64)

    def export_log_probs(self, hidden, tokens):
        """log_softmax(W h_k)[y_k] for k < L, in float64, from the exported tensors.
        `hidden`: [L + 1, d] float32 (row L unused); `tokens`: [L] int64."""
        import torch
        device = self.unembedding.device
        states = hidden[:len(tokens)].to(device=device, dtype=torch.float64)
        tokens = tokens.to(device)
        vocabulary = self.unembedding.shape[0]
        chunk = max(1, _CHUNK_BYTES // (8 * max(1, states.shape[0])))
        log_norm = torch.full((states.shape[0],), -float("inf"), dtype=torch.float64, device=device)
        for start in range(0, vocabulary, chunk):
            block = states @ self._rows(start, min(vocabulary, start + chunk)).T
            log_norm = torch.logaddexp(log_norm, torch.logsumexp(block, dim=1))
        chosen_rows = self._wide[tokens] if self._wide is not None else self.unembedding[tokens].to(torch.float64)
        target = (states * chosen_rows).sum(dim=1)
        return target - log_norm

    def check(self, hidden, tokens, logits) -> SequenceCheck:
        """`logits`: the model's [L, V] logits predicting each response token."""
        import torch
        device = self.unembedding.device
        exported = self.export_log_probs(hidden, tokens)
        wide_logits = logits.to(device=device, dtype=torch.float64)
        model = torch.log_softmax(wide_logits, dim=-1).gather(1, tokens.to(device).view(-1, 1)).view(-1)
        magnitude = 1.0 + wide_logits.abs().max(dim=1).values
        total_export, total_model = float(exported.sum()), float(model.sum())
        absolute = abs(total_export - total_model)
        return SequenceCheck(
            deviation=absolute / float(magnitude.sum()),
            token_deviation=float(((exported - model).abs() / magnitude).max()),
            absolute=absolute, model_log_prob=total_model, export_log_prob=total_export)

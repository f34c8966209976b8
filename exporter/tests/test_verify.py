"""The log-probability identity check itself: its arithmetic and its scale-aware deviation."""

import pytest
import torch

from theorycheck_export import verify
from theorycheck_export.verify import LogProbChecker


def sample(seed=0, vocabulary=300, width=16, length=7):
    generator = torch.Generator().manual_seed(seed)
    w = torch.randn(vocabulary, width, generator=generator) * 2
    h = torch.randn(length + 1, width, generator=generator)
    y = torch.randint(0, vocabulary, (length,), generator=generator)
    return w, h, y


def test_export_log_probs_are_float64_log_softmax_of_w_h_also_in_vocabulary_chunks(monkeypatch):
    w, h, y = sample()
    direct = torch.log_softmax(h[:-1].double() @ w.double().T, dim=-1).gather(1, y.view(-1, 1)).view(-1)
    cached = LogProbChecker(w, "float32").export_log_probs(h, y)
    monkeypatch.setattr(verify, "_WIDE_CACHE_BYTES", 0)
    monkeypatch.setattr(verify, "_CHUNK_BYTES", 8 * 7 * 13)  # chunks of 13 rows, the last one short
    chunked = LogProbChecker(w, "float32").export_log_probs(h, y)
    assert torch.allclose(cached, direct, rtol=0, atol=1e-12)
    assert torch.allclose(chunked, direct, rtol=0, atol=1e-12)


def test_the_deviation_is_scale_aware():
    w, h, y = sample()
    checker = LogProbChecker(w, "float32")
    logits = h[:-1] @ w.T
    exact = checker.check(h, y, logits)
    assert exact.deviation < 1e-6 and exact.export_log_prob == pytest.approx(exact.model_log_prob, abs=1e-4)
    # A bias on one token's logit: |delta ln pi| over sum_k (1 + max_v |z_k,v|).
    shifted = logits.clone()
    shifted[:, y[0]] += 0.5
    result = checker.check(h, y, shifted)
    model = torch.log_softmax(shifted.double(), dim=-1).gather(1, y.view(-1, 1)).sum()
    scale = (1 + shifted.double().abs().max(dim=1).values).sum()
    assert result.model_log_prob == pytest.approx(float(model))
    assert result.deviation == pytest.approx(abs(result.export_log_prob - float(model)) / float(scale))
    assert result.deviation > checker.tolerance
    # A shift shared by every token changes no log-probability.
    assert checker.check(h, y, logits + 7.0).deviation < 1e-6


def test_tolerances_follow_the_dtype():
    w, _, _ = sample()
    assert [LogProbChecker(w, d).tolerance for d in ("float32", "float16", "bfloat16")] == [1e-4, 2e-3, 1.6e-2]

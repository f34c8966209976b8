"""Turning a preference row into token ids the way TRL's DPO trainer does, and truncating them.

Tokenization (facts from TRL's `trl/trainer/dpo_trainer.py` and `trl/data_utils.py`):

- standard rows: unless `add_eos` is off, the tokenizer's EOS text is appended to `chosen` and
  `rejected` when they do not already end with it (TRL's `add_eos`). Then `prompt` and
  `prompt + response` are each tokenized with the tokenizer's own special tokens
  (`add_special_tokens=True`): a tokenizer that adds BOS (Llama, Gemma, ...) starts every sequence
  with it, one that does not (GPT-2, Pythia) starts with the prompt's first token.
- conversational rows: the prompt is rendered with the chat template as TRL's `apply_chat_template`
  does: `add_generation_prompt=True` when its last message is from `user` or `tool`,
  `continue_final_message=True` (and no generation prompt) when it is from `assistant`; the prompt
  text is then cut to its common prefix with the renderings of `prompt + chosen` and
  `prompt + rejected` (TRL's guard for templates such as DeepSeek-R1's), and each response's text is
  the rest of its `prompt + response` rendering. The texts are tokenized with
  `add_special_tokens=False`, as `apply_chat_template(tokenize=True)` does (the template writes BOS).
- in both, the response's tokens are `tokens(prompt + response)[len(tokens(prompt)):]`, as in TRL.
  When `tokens(prompt)` is not a prefix of `tokens(prompt + response)` (a BPE merge across the
  boundary), TRL warns and splits there anyway; so does this module, and it counts such sequences.

Truncation to `max_length` tokens (prompt and response together), per sequence, TRL's two modes:

- `keep_start` (TRL's default): keep the first `max_length` tokens, so the response's end is cut. A
  sequence whose prompt alone has `max_length` tokens or more keeps no response token: its pair is
  dropped (TRL drops such examples too) and the drop is recorded.
- `keep_end`: keep the last `max_length` tokens, so the prompt's start (BOS included) is cut first. If
  even the response is longer than the window, the window's first token is only context (nothing
  predicts it), so `max_length - 1` response tokens remain.

A response never ends up with 0 tokens silently: before truncation that is a row error, after it a
recorded drop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from .errors import ExportError, row_error
from .trl_data import CONVERSATIONAL, PreferenceRow

KEEP_START = "keep_start"
KEEP_END = "keep_end"
TRUNCATION_MODES = (KEEP_START, KEEP_END)


@dataclass
class TokenizedSequence:
    """A prompt plus one response as token ids: `ids[:prompt_length]` is context, the rest the response."""

    ids: List[int]
    prompt_length: int
    boundary_mismatch: bool = False  # tokens(prompt) was not a prefix of tokens(prompt + response)
    prompt_tokens_cut: int = 0
    response_tokens_cut: int = 0

    @property
    def response(self) -> List[int]:
        return self.ids[self.prompt_length:]

    @property
    def truncated(self) -> bool:
        return self.prompt_tokens_cut > 0 or self.response_tokens_cut > 0


class Renderer:
    """Tokenizes rows with one tokenizer; see the module docstring for the rules."""

    def __init__(self, tokenizer, add_eos: bool = True):
        self.tokenizer = tokenizer
        self.add_eos = add_eos and tokenizer.eos_token is not None

    def _ids(self, text: str, special: bool) -> List[int]:
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def _template(self, row: PreferenceRow, messages, **kwargs) -> str:
        try:
            text = self.tokenizer.apply_chat_template(
                messages, tokenize=False, **row.chat_template_kwargs, **kwargs)
        except Exception as error:  # jinja errors, raise_exception() in templates, bad kwargs
            first = str(error).strip().split("\n")[0] or type(error).__name__
            raise row_error(row.path, row.line, f"the chat template failed on this row: {first}") from None
        if not isinstance(text, str):
            raise row_error(row.path, row.line, "the chat template did not return text")
        return text

    def texts(self, row: PreferenceRow) -> tuple:
        """(prompt text, chosen text, rejected text, special tokens added by the tokenizer?)."""
        if row.kind != CONVERSATIONAL:
            chosen, rejected = row.chosen, row.rejected
            if self.add_eos:
                eos = self.tokenizer.eos_token
                chosen = chosen if chosen.endswith(eos) else chosen + eos
                rejected = rejected if rejected.endswith(eos) else rejected + eos
            return row.prompt, chosen, rejected, True
        if not getattr(self.tokenizer, "chat_template", None):
            raise ExportError(
                f"{row.path}: the rows are conversational but the tokenizer has no chat template; "
                "use a model whose tokenizer defines one, or standard (string) rows")
        continue_final = row.prompt[-1]["role"] == "assistant"
        prompt = self._template(row, row.prompt, add_generation_prompt=not continue_final,
                                continue_final_message=continue_final)
        prompt_chosen = self._template(row, row.prompt + row.chosen)
        prompt_rejected = self._template(row, row.prompt + row.rejected)
        shared = 0
        for a, b, c in zip(prompt, prompt_chosen, prompt_rejected):
            if not (a == b == c):
                break
            shared += 1
        prompt = prompt[:shared]
        return prompt, prompt_chosen[shared:], prompt_rejected[shared:], False

    def tokenize(self, row: PreferenceRow) -> tuple:
        """(chosen, rejected) as `TokenizedSequence`s. Raises a row error when a response has no tokens
        or nothing precedes the first response token."""
        prompt, chosen, rejected, special = self.texts(row)
        prompt_ids = self._ids(prompt, special)
        if not prompt_ids:
            what = ("'chosen' and 'rejected' share no prefix, so the implicit prompt is empty,"
                    if row.implicit_prompt else "the prompt has no tokens")
            raise row_error(
                row.path, row.line,
                f"{what} and the tokenizer adds no BOS, so nothing predicts the first response token; "
                "give the row a non-empty prompt")
        out = []
        for key, response in (("chosen", chosen), ("rejected", rejected)):
            ids = self._ids(prompt + response, special)
            mismatch = ids[:len(prompt_ids)] != prompt_ids
            if len(ids) <= len(prompt_ids):
                raise row_error(row.path, row.line,
                                f"'{key}' has no tokens after the prompt's {len(prompt_ids)} tokens")
            out.append(TokenizedSequence(ids=ids, prompt_length=len(prompt_ids), boundary_mismatch=mismatch))
        return tuple(out)


def truncate(sequence: TokenizedSequence, max_length: Optional[int], mode: str) -> Optional[TokenizedSequence]:
    """The sequence cut to `max_length` tokens by `mode`, or None when no response token remains."""
    if mode not in TRUNCATION_MODES:
        raise ValueError(f"unknown truncation mode {mode!r}")
    ids, prompt_length = sequence.ids, sequence.prompt_length
    if max_length is None or len(ids) <= max_length:
        return sequence
    if mode == KEEP_START:
        if prompt_length >= max_length:
            return None
        return TokenizedSequence(
            ids=ids[:max_length], prompt_length=prompt_length, boundary_mismatch=sequence.boundary_mismatch,
            prompt_tokens_cut=0, response_tokens_cut=len(ids) - max_length)
    cut = len(ids) - max_length
    if cut < prompt_length:
        return TokenizedSequence(
            ids=ids[cut:], prompt_length=prompt_length - cut, boundary_mismatch=sequence.boundary_mismatch,
            prompt_tokens_cut=cut, response_tokens_cut=0)
    # The whole prompt is gone and the window's first token, a response token, is only context.
    return TokenizedSequence(
        ids=ids[cut:], prompt_length=1, boundary_mismatch=sequence.boundary_mismatch,
        prompt_tokens_cut=prompt_length, response_tokens_cut=cut - prompt_length + 1)

"""Tokenization as TRL's DPO trainer does it (BOS, EOS, chat templates) and truncation."""

import pytest
from conftest import CONVERSATIONAL_ROWS, STANDARD_ROWS
from tiny_models import LLAMA_CHAT_TEMPLATE, build_tokenizer

from theorycheck_export.errors import ExportError
from theorycheck_export.rendering import KEEP_END, KEEP_START, Renderer, TokenizedSequence, truncate
from theorycheck_export.trl_data import parse_row


@pytest.fixture(scope="module")
def bos_tokenizer():
    return build_tokenizer(True, LLAMA_CHAT_TEMPLATE)


@pytest.fixture(scope="module")
def plain_tokenizer():
    return build_tokenizer(False)


def row(obj, line=1):
    return parse_row(obj, "train", "d.jsonl", line, line)


def test_standard_rows_start_with_bos_when_the_tokenizer_adds_it(bos_tokenizer):
    chosen, rejected = Renderer(bos_tokenizer).tokenize(row(STANDARD_ROWS[0]))
    prompt_ids = bos_tokenizer("Is the sky blue?")["input_ids"]
    assert prompt_ids[0] == bos_tokenizer.bos_token_id
    assert chosen.ids == bos_tokenizer("Is the sky blue? Yes, the sky is blue.</s>")["input_ids"]
    assert chosen.prompt_length == len(prompt_ids) and chosen.ids[0] == bos_tokenizer.bos_token_id
    assert chosen.ids.count(bos_tokenizer.bos_token_id) == 1
    # TRL appends EOS to standard responses (once).
    assert chosen.response[-1] == rejected.response[-1] == bos_tokenizer.eos_token_id
    again, _ = Renderer(bos_tokenizer).tokenize(row(dict(STANDARD_ROWS[0], chosen=" Yes.</s>")))
    assert again.response.count(bos_tokenizer.eos_token_id) == 1


def test_standard_rows_without_bos_and_without_eos(plain_tokenizer):
    chosen, _ = Renderer(plain_tokenizer, add_eos=False).tokenize(row(STANDARD_ROWS[0]))
    assert chosen.ids == plain_tokenizer("Is the sky blue? Yes, the sky is blue.")["input_ids"]
    assert plain_tokenizer.eos_token_id not in chosen.ids
    assert chosen.ids[:chosen.prompt_length] == plain_tokenizer("Is the sky blue?")["input_ids"]


def test_an_empty_prompt_needs_a_bos(plain_tokenizer, bos_tokenizer):
    empty = row({"prompt": "", "chosen": "Yes", "rejected": "No"})
    with pytest.raises(ExportError, match=r"d.jsonl:1: the prompt has no tokens and the tokenizer adds no BOS"):
        Renderer(plain_tokenizer).tokenize(empty)
    chosen, _ = Renderer(bos_tokenizer).tokenize(empty)
    assert chosen.prompt_length == 1 and chosen.ids[0] == bos_tokenizer.bos_token_id


def test_conversational_rows_render_as_trl_does(bos_tokenizer):
    sample = row(CONVERSATIONAL_ROWS[0])
    chosen, rejected = Renderer(bos_tokenizer).tokenize(sample)
    prompt_text = bos_tokenizer.apply_chat_template(sample.prompt, tokenize=False, add_generation_prompt=True)
    full_text = bos_tokenizer.apply_chat_template(sample.prompt + sample.chosen, tokenize=False)
    assert prompt_text == "<s><|user|>\nIs the sky blue?</s>\n<|assistant|>\n"
    prompt_ids = bos_tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    assert chosen.ids == bos_tokenizer(full_text, add_special_tokens=False)["input_ids"]
    assert chosen.prompt_length == len(prompt_ids)
    assert bos_tokenizer.decode(chosen.response) == "Yes, the sky is blue.</s>\n"
    assert chosen.ids.count(bos_tokenizer.bos_token_id) == 1  # the template's BOS, not a second one
    assert not chosen.boundary_mismatch and not rejected.boundary_mismatch


def test_a_prompt_ending_with_an_assistant_message_is_continued(bos_tokenizer):
    sample = row(CONVERSATIONAL_ROWS[2])
    prompt, chosen, _, special = Renderer(bos_tokenizer).texts(sample)
    assert not special
    # continue_final_message: the prompt stops right after "Well," (no end of turn, no generation prompt).
    assert prompt.endswith("<|assistant|>\nWell,")
    assert chosen == "</s>\n<|assistant|>\nIt is blue.</s>\n"


def test_chat_template_kwargs_reach_the_template():
    template = "{% for m in messages %}{{ m['content'] }}{% if shout %}!{% endif %}{{ '\\n' }}{% endfor %}"
    tokenizer = build_tokenizer(True, template)
    sample = row(dict(CONVERSATIONAL_ROWS[0], chat_template_kwargs={"shout": True}))
    prompt, chosen, _, _ = Renderer(tokenizer).texts(sample)
    assert (prompt, chosen) == ("Is the sky blue?!\n", "Yes, the sky is blue.!\n")


def test_conversational_rows_need_a_chat_template():
    with pytest.raises(ExportError, match="has no chat template"):
        Renderer(build_tokenizer(False)).tokenize(row(CONVERSATIONAL_ROWS[0]))


def test_a_failing_template_is_a_row_error(bos_tokenizer):
    tokenizer = build_tokenizer(True, "{{ raise_exception('roles must alternate') }}")
    with pytest.raises(ExportError, match=r"d.jsonl:1: the chat template failed on this row: roles must alternate"):
        Renderer(tokenizer).tokenize(row(CONVERSATIONAL_ROWS[0]))


def test_a_token_boundary_mismatch_is_flagged_and_split_as_trl_splits(plain_tokenizer):
    sample = row({"prompt": "Is the sky bl", "chosen": "ue? Yes", "rejected": "ack? No"})
    prompt_ids = plain_tokenizer("Is the sky bl")["input_ids"]
    full = plain_tokenizer("Is the sky blue? Yes<|endoftext|>")["input_ids"]
    assert full[:len(prompt_ids)] != prompt_ids  # the premise: BPE merges across the boundary
    chosen, _ = Renderer(plain_tokenizer).tokenize(sample)
    assert chosen.boundary_mismatch
    assert chosen.ids == full and chosen.prompt_length == len(prompt_ids)


def sequence(prompt, response):
    return TokenizedSequence(ids=list(range(prompt + response)), prompt_length=prompt)


def test_keep_start_cuts_the_response_end_and_drops_a_prompt_that_fills_the_window():
    cut = truncate(sequence(5, 10), 8, KEEP_START)
    assert cut.ids == list(range(8)) and cut.prompt_length == 5 and cut.response == [5, 6, 7]
    assert (cut.prompt_tokens_cut, cut.response_tokens_cut, cut.truncated) == (0, 7, True)
    assert truncate(sequence(8, 3), 8, KEEP_START) is None
    assert truncate(sequence(9, 3), 8, KEEP_START) is None
    whole = sequence(3, 3)
    assert truncate(whole, 6, KEEP_START) is whole and truncate(whole, None, KEEP_START) is whole


def test_keep_end_cuts_the_prompt_start_first():
    cut = truncate(sequence(5, 4), 6, KEEP_END)
    assert cut.ids == list(range(3, 9)) and cut.prompt_length == 2 and cut.response == [5, 6, 7, 8]
    assert (cut.prompt_tokens_cut, cut.response_tokens_cut) == (3, 0)
    # Response longer than the window: the window's first token is context only.
    long = truncate(sequence(3, 10), 4, KEEP_END)
    assert long.ids == [9, 10, 11, 12] and long.prompt_length == 1 and long.response == [10, 11, 12]
    assert (long.prompt_tokens_cut, long.response_tokens_cut) == (3, 7)
    assert len(long.response) + long.response_tokens_cut == 10

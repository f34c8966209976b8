"""Tiny models and tokenizers built locally (nothing is downloaded): a byte-level BPE tokenizer trained on
an in-test corpus, wrapped in PreTrainedTokenizerFast, and randomly initialized causal LMs of three
families, saved with save_pretrained so the exporter loads them like any Hugging Face checkpoint.

- gpt2: GPT-2 (tied embeddings), tokenizer adds no BOS (like GPT-2's).
- llama: Llama (untied), tokenizer adds BOS `<s>` (like Llama's) and has a chat template.
- neox: GPT-NeoX (untied, partial rotary), tokenizer adds BOS.
- gemma2_softcap: Gemma 2 with final logit soft-capping, which the exporter must refuse.

Weights use a larger initializer range than the defaults so logits are O(1..10), not nearly uniform,
and the log-probability check compares numbers that matter.
"""

from __future__ import annotations

import os

CORPUS = [
    "Is the sky blue? Yes, the sky is blue on a clear day.",
    "Is grass green? Sure, grass is green in spring and summer.",
    "Should people help strangers? In my view, yes. A truthful reply is sure.",
    "My judgement: no. Considering the statement, I say never.",
    "My response would be certainly. I lean toward nope, not really.",
    "What color is the sea? It is blue. It is green. The answer is grey.",
    "Question: answer briefly. Answer: absolutely, of course, no way, maybe.",
    "user assistant system tool hello world thanks please the a an of in on at",
    "0123456789 , . ! ? : ; ' \" ( ) [ ] { } - _ + = / \\ * & % $ # @",
]

LLAMA_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + eos_token + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


def build_tokenizer(add_bos: bool, chat_template: str | None = None):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    if add_bos:
        specials = ["<s>", "</s>", "<pad>"]
        bos, eos, pad = "<s>", "</s>", "<pad>"
    else:
        specials = ["<|endoftext|>"]
        bos = eos = "<|endoftext|>"
        pad = None
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(CORPUS * 4, trainer=trainer)
    if add_bos:
        bos_id = tokenizer.token_to_id(bos)
        tokenizer.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos_id)])
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=bos, eos_token=eos, pad_token=pad,
                                      unk_token=None)
    if chat_template is not None:
        wrapped.chat_template = chat_template
    return wrapped


def build_model(family: str, vocabulary: int, tokenizer, seed: int = 0):
    import torch
    import transformers as tf

    torch.manual_seed(seed)
    common = dict(vocab_size=vocabulary, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                  pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id)
    if family == "gpt2":
        config = tf.GPT2Config(n_embd=32, n_layer=2, n_head=2, n_positions=128, initializer_range=0.3,
                               tie_word_embeddings=True, **common)
        model = tf.GPT2LMHeadModel(config)
    elif family == "llama":
        config = tf.LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                num_key_value_heads=2, max_position_embeddings=256, initializer_range=0.3,
                                tie_word_embeddings=False, **common)
        model = tf.LlamaForCausalLM(config)
    elif family == "neox":
        config = tf.GPTNeoXConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                  max_position_embeddings=256, rotary_pct=0.25, initializer_range=0.3,
                                  tie_word_embeddings=False, **common)
        model = tf.GPTNeoXForCausalLM(config)
    elif family == "gemma2_softcap":
        config = tf.Gemma2Config(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                 num_key_value_heads=2, head_dim=8, max_position_embeddings=256,
                                 initializer_range=0.3, final_logit_softcapping=2.0, **common)
        model = tf.Gemma2ForCausalLM(config)
    else:
        raise ValueError(family)
    return model.eval()


FAMILIES = {
    # family: (tokenizer adds BOS, chat template)
    "gpt2": (False, None),
    "llama": (True, LLAMA_CHAT_TEMPLATE),
    "neox": (True, None),
    "gemma2_softcap": (True, LLAMA_CHAT_TEMPLATE),
}


def save_family(family: str, directory: str) -> str:
    """Builds and saves model + tokenizer of `family` under `directory`; returns the model directory."""
    add_bos, template = FAMILIES[family]
    tokenizer = build_tokenizer(add_bos, template)
    model = build_model(family, len(tokenizer), tokenizer)
    path = os.path.join(directory, family)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path

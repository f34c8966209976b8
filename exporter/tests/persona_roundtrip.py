"""A Persona-style round trip (paper Sec. 5.1, theorycheck's `persona`) on a real tokenizer and a real
Hugging Face model, built here: a tiny GPT-2 pretrained on the agreeableness grammar
(Sources/TinyLM/Resources/agreeableness-grammar.json), preference pairs written as TRL rows, and the same
reward models trained by plain PyTorch loops, to compare with theorycheck's Assumption-1 prediction.

- `Grammar`: the grammar file, expanded as theorycheck's `Grammar` does (words joined by spaces); with
  `stance=False` every document ends at its answer, dropping the stance clause ("and I agree ." /
  "but I disagree .") that makes the state at an answer carry its meaning.
- `pretrain`: a byte-level BPE tokenizer trained on the corpus and an untied GPT-2 (d = 64, 2 layers)
  trained by Adam on next-token prediction.
- `persona_rows`: training pairs (agree templates + yes/sure against disagree templates + no/never) and
  evaluation sets `test` (held-out statements), `paraphrase` and `paraphrase_test` (the paraphrase
  templates and answers: "My response would be certainly" against "I lean toward nope").
- `train_reward_models`: full-batch gradient descent on the mean Bradley-Terry loss, the head u (EX-RM,
  zero start, last position) or the policy (IM-RM, beta ln pi/pi_ref with pi_ref a frozen copy), either
  on every parameter or on the read-out only (u, or the lm_head W on fixed states).
"""

from __future__ import annotations

import copy
import json
import os
import random
from dataclasses import dataclass
from typing import Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GRAMMAR_PATH = os.path.join(REPO, "Sources", "TinyLM", "Resources", "agreeableness-grammar.json")

CHOSEN_TEMPLATES = ["In my view, the answer is", "A truthful reply is"]
CHOSEN_ANSWERS = ["yes", "sure"]
REJECTED_TEMPLATES = ["My judgement:", "Considering the statement, I say"]
REJECTED_ANSWERS = ["no", "never"]
PARAPHRASE_CHOSEN = ["My response would be certainly", "My response would be absolutely"]
PARAPHRASE_REJECTED = ["I lean toward not really", "I lean toward nope"]


class Grammar:
    def __init__(self, stance: bool = True):
        with open(GRAMMAR_PATH) as handle:
            spec = json.load(handle)
        self.rules = {rule["name"]: rule["alternatives"] for rule in spec["rules"]}
        self.start = spec["start"]
        if not stance:
            self.rules[self.start] = [[s for s in alternative if not s.endswith("agree .")]
                                      for alternative in self.rules[self.start]]

    def sample(self, rng: random.Random, name: str | None = None) -> str:
        pieces: List[str] = []

        def expand(rule: str):
            for symbol in rng.choice(self.rules[rule]):
                if symbol.startswith("@"):
                    expand(symbol[1:])
                else:
                    pieces.append(symbol)
        expand(name or self.start)
        return " ".join(pieces)

    def expansions(self, name: str) -> List[str]:
        results: List[str] = []
        for alternative in self.rules[name]:
            partial = [""]
            for symbol in alternative:
                options = self.expansions(symbol[1:]) if symbol.startswith("@") else [symbol]
                partial = [(p + " " + o) if p else o for p in partial for o in options]
            results += partial
        return results


def pretrain(grammar: Grammar, directory: str, seed: int = 0, steps: int = 400, documents: int = 4000) -> str:
    """Trains tokenizer and model on the grammar's documents; saves both under `directory`; returns it."""
    import torch
    import transformers as tf
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    rng = random.Random(seed)
    corpus = [grammar.sample(rng) for _ in range(documents)]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    wrapped = tf.PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|endoftext|>",
                                         eos_token="<|endoftext|>", unk_token=None)
    eos = wrapped.eos_token_id
    torch.manual_seed(seed)
    config = tf.GPT2Config(vocab_size=len(wrapped), n_embd=64, n_layer=2, n_head=4, n_positions=64,
                           tie_word_embeddings=False, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos,
                           resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = tf.GPT2LMHeadModel(config)
    encoded = [wrapped(text)["input_ids"] + [eos] for text in corpus]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for step in range(steps):
        batch = [encoded[(step * 32 + i) % len(encoded)] for i in range(32)]
        width = max(len(ids) for ids in batch)
        ids = torch.tensor([b + [eos] * (width - len(b)) for b in batch])
        mask = torch.tensor([[1] * len(b) + [0] * (width - len(b)) for b in batch])
        labels = ids.masked_fill(mask == 0, -100)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(directory)
    wrapped.save_pretrained(directory)
    return directory


def persona_rows(grammar: Grammar, seed: int = 0, train_statements: int = 24, test_statements: int = 12
                 ) -> Dict[str, List[dict]]:
    """TRL standard rows: one pair per statement in each set (chosen and rejected variants drawn)."""
    rng = random.Random(seed)
    statements = grammar.expansions("agreeable")
    rng.shuffle(statements)
    train, test = statements[:train_statements], statements[train_statements:train_statements + test_statements]

    def rows(chosen: List[str], rejected: List[str], prompts: List[str]) -> List[dict]:
        return [{"prompt": "Statement: " + prompt, "chosen": " " + rng.choice(chosen), "rejected": " " + rng.choice(rejected)}
                for prompt in prompts]
    originals_chosen = [f"{t} {a}" for t in CHOSEN_TEMPLATES for a in CHOSEN_ANSWERS]
    originals_rejected = [f"{t} {a}" for t in REJECTED_TEMPLATES for a in REJECTED_ANSWERS]
    return {
        "train": rows(originals_chosen, originals_rejected, train),
        "test": rows(originals_chosen, originals_rejected, test),
        "paraphrase": rows(PARAPHRASE_CHOSEN, PARAPHRASE_REJECTED, train),
        "paraphrase_test": rows(PARAPHRASE_CHOSEN, PARAPHRASE_REJECTED, test),
    }


@dataclass
class Encoded:
    """One set's pairs as token ids: prompt + response, and where the response starts, per side."""
    chosen: List[Tuple[List[int], int]]
    rejected: List[Tuple[List[int], int]]


def encode(tokenizer, rows: List[dict]) -> Encoded:
    """As the exporter tokenizes standard rows with --no-eos: tokens(prompt + response), split at
    len(tokens(prompt))."""
    def one(prompt, response):
        start = len(tokenizer(prompt)["input_ids"])
        return tokenizer(prompt + response)["input_ids"], start
    return Encoded([one(r["prompt"], r["chosen"]) for r in rows], [one(r["prompt"], r["rejected"]) for r in rows])


def _batch(sequences: List[Tuple[List[int], int]], pad: int):
    import torch
    width = max(len(ids) for ids, _ in sequences)
    ids = torch.tensor([s + [pad] * (width - len(s)) for s, _ in sequences])
    mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s, _ in sequences])
    return ids, mask


class RewardModel:
    """An EX-RM (head on the last position's final state) or an IM-RM (beta ln pi/pi_ref) on a GPT-2."""

    def __init__(self, model, kind: str, beta: float, readout_only: bool):
        import torch
        self.kind, self.beta, self.readout_only = kind, beta, readout_only
        self.model = copy.deepcopy(model).train()
        self.reference = copy.deepcopy(model).eval()
        for p in self.reference.parameters():
            p.requires_grad_(False)
        width = model.config.n_embd
        self.head = torch.zeros(width, dtype=torch.float32, requires_grad=True)
        if readout_only:
            for p in self.model.parameters():
                p.requires_grad_(False)
            if kind == "im_rm":
                self.model.lm_head.weight.requires_grad_(True)
        self.cache: Dict[object, object] = {}

    def parameters(self):
        if self.kind == "ex_rm":
            return [self.head] + ([] if self.readout_only else list(self.model.parameters()))
        return [p for p in self.model.parameters() if p.requires_grad]

    def _states(self, sequences, pad):
        """Final-layer states (after ln_f) for every position; fixed (cached) when read-out only."""
        import torch
        key = id(sequences)
        if self.readout_only and key in self.cache:
            return self.cache[key]
        ids, mask = _batch(sequences, pad)
        if self.readout_only:
            with torch.no_grad():
                hidden = self.model.transformer(input_ids=ids, attention_mask=mask).last_hidden_state
        else:
            hidden = self.model.transformer(input_ids=ids, attention_mask=mask).last_hidden_state
        result = (ids, mask, hidden)
        if self.readout_only:
            self.cache[key] = result
        return result

    def rewards(self, sequences: List[Tuple[List[int], int]], pad: int):
        import torch
        ids, mask, hidden = self._states(sequences, pad)
        if self.kind == "ex_rm":
            last = torch.stack([hidden[i, len(s) - 1] for i, (s, _) in enumerate(sequences)])
            return last @ self.head
        log_p = torch.log_softmax(hidden @ self.model.lm_head.weight.T, dim=-1)
        key = ("reference", id(sequences))
        if key not in self.cache:  # pi_ref is frozen: its log-probabilities once per list of sequences
            with torch.no_grad():
                self.cache[key] = torch.log_softmax(self.reference(input_ids=ids, attention_mask=mask).logits, dim=-1)
        log_ref = self.cache[key]
        totals = []
        for i, (s, start) in enumerate(sequences):
            # Position k - 1 predicts token k: the response's tokens start..len(s) - 1.
            positions = torch.arange(start - 1, len(s) - 1)
            targets = ids[i, start:len(s)]
            totals.append((log_p[i, positions, targets] - log_ref[i, positions, targets]).sum())
        return self.beta * torch.stack(totals)

    def margins(self, encoded: Encoded, pad: int):
        return self.rewards(encoded.chosen, pad) - self.rewards(encoded.rejected, pad)


def train_reward_models(model, train: Encoded, evaluation: Dict[str, Encoded], pad: int, beta: float, steps: int,
                        rates: Dict[str, float], readout_only: bool) -> Dict[str, Dict[str, List[float]]]:
    """Each model trained by `steps` full-batch gradient-descent steps on the mean Bradley-Terry loss;
    returns, per model kind, the evaluation margins r+ - r- at the end, per set."""
    import torch
    results: Dict[str, Dict[str, List[float]]] = {}
    for kind in ("ex_rm", "im_rm"):
        rm = RewardModel(model, kind, beta, readout_only)
        optimizer = torch.optim.SGD(rm.parameters(), lr=rates[kind])
        for _ in range(steps):
            loss = torch.nn.functional.softplus(-rm.margins(train, pad)).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            results[kind] = {name: rm.margins(encoded, pad).tolist() for name, encoded in evaluation.items()}
            results[kind]["__train_loss__"] = [float(torch.nn.functional.softplus(-rm.margins(train, pad)).mean())]
    return results

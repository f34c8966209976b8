"""Exports a Hugging Face causal LM plus TRL preference data as a theorycheck instance (safetensors).

Modules, one concept each:
- `errors`: the one-line user-facing error type.
- `trl_data`: reading TRL preference rows (standard, conversational, implicit prompt) from JSONL / JSON.
- `rendering`: turning a row into token ids the way TRL's DPO trainer does, and truncation.
- `forward`: loading the model and reading, in one forward pass, the states the unembedding multiplies.
- `verify`: the log-probability identity check, and a pure-Python check of the file format.
- `safetensors_writer`: a streaming, atomic safetensors writer.
- `export`: the whole export, its metadata and its summary.
- `cli`: the command line (`scripts/export-hf`).
"""

__version__ = "0.1.0"
TOOL_NAME = "theorycheck-export"

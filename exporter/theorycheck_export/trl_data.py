"""Reading TRL preference data: rows of `prompt` / `chosen` / `rejected`.

The three formats TRL's DPO trainer accepts (facts from TRL's `trl/data_utils.py`):

- standard: `{"prompt": "...", "chosen": "...", "rejected": "..."}`, all strings.
- conversational: the same keys, each a list of messages `{"role": ..., "content": ...}`; rendered with
  the tokenizer's chat template (see `rendering`).
- implicit prompt: only `chosen` and `rejected` (strings or message lists); the prompt is their shared
  prefix, found as TRL's `extract_prompt` finds it (`extract_prompt` below). As in TRL's
  `maybe_extract_prompt`, a row whose `prompt` is of the other kind than `chosen` (a string prompt next
  to message lists, or the reverse) is also treated as implicit: the `prompt` column is ignored.

Files are JSON Lines (one object per line; blank lines are skipped) or a JSON array of row objects;
the content decides, not the extension (Hugging Face `datasets.to_json("x.json")` writes JSON Lines).
Every row of a file must have the same format as its first row. Keys other than `prompt`, `chosen`,
`rejected` and `chat_template_kwargs` (an object passed to the chat template, as TRL does) are ignored.

A row is rejected, with `FILE:LINE: problem` (see `errors.row_error`), when it is not valid JSON, not an
object, lacks `chosen` or `rejected`, has a value of the wrong type, has an empty response (`""` or `[]`),
has identical `chosen` and `rejected`, or (conversational) has a malformed message or a prompt whose
last message is not from `user`, `tool` or `assistant` (TRL refuses those too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator, List, Optional, Union

from .errors import ExportError, row_error

Messages = List[dict]
Text = Union[str, Messages]

STANDARD = "standard"
CONVERSATIONAL = "conversational"


@dataclass
class PreferenceRow:
    """One preference pair as read from a file, prompt already made explicit."""

    set_name: str
    path: str
    row: int  # 1-based ordinal among the file's rows
    line: int  # 1-based line of the file where the row starts
    kind: str  # STANDARD or CONVERSATIONAL
    implicit_prompt: bool  # the prompt was extracted from chosen / rejected
    prompt: Text
    chosen: Text
    rejected: Text
    chat_template_kwargs: dict = field(default_factory=dict)

    @property
    def format_name(self) -> str:
        return self.kind + (" (implicit prompt)" if self.implicit_prompt else "")


def extract_prompt(chosen: Text, rejected: Text) -> tuple:
    """The shared prefix of `chosen` and `rejected` (characters, or whole messages) and the two rests,
    with TRL's `extract_prompt` semantics: scan for the first index where they differ; if the
    character before it is a space, the space goes to the responses; if one is a prefix of the other,
    the scan ends at the last index of the shorter one, which then goes to the responses. (Unlike
    TRL, a difference at index 0 never looks at index -1: the prompt is then empty.)"""
    index = 0
    for index in range(min(len(chosen), len(rejected))):
        if chosen[index] != rejected[index]:
            if index > 0 and chosen[index - 1] == " ":
                index -= 1
            break
    return chosen[:index], chosen[index:], rejected[index:]


def _check_messages(value: Any, key: str, path: str, line: int) -> Messages:
    if not isinstance(value, list):
        raise row_error(path, line, f"'{key}' must be a string or a list of messages, got {_kind(value)}")
    for position, message in enumerate(value):
        where = f"'{key}' message {position}"
        if not isinstance(message, dict):
            raise row_error(path, line, f"{where} must be an object with 'role' and 'content', got {_kind(message)}")
        if not isinstance(message.get("role"), str):
            raise row_error(path, line, f"{where} has no string 'role'")
        if "content" not in message:
            raise row_error(path, line, f"{where} has no 'content'")
        if not isinstance(message["content"], (str, list)):
            raise row_error(path, line, f"{where}: 'content' must be a string or a list of parts, got {_kind(message['content'])}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _text(value: Any, key: str, path: str, line: int) -> Text:
    """A response or prompt value: a string or a list of messages (an empty list counts as messages)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return _check_messages(value, key, path, line)
    raise row_error(path, line, f"'{key}' must be a string or a list of messages, got {_kind(value)}")


def parse_row(obj: Any, set_name: str, path: str, row: int, line: int) -> PreferenceRow:
    """Validates one decoded row and makes its prompt explicit."""
    if not isinstance(obj, dict):
        raise row_error(path, line, f"a row must be a JSON object with 'chosen' and 'rejected', got {_kind(obj)}")
    for key in ("chosen", "rejected"):
        if key not in obj:
            present = ", ".join(sorted(obj)) or "none"
            raise row_error(path, line, f"missing key '{key}' (keys present: {present})")
    chosen = _text(obj["chosen"], "chosen", path, line)
    rejected = _text(obj["rejected"], "rejected", path, line)
    if isinstance(chosen, str) != isinstance(rejected, str):
        raise row_error(path, line, "'chosen' and 'rejected' must both be strings or both be message lists")
    for key, value in (("chosen", chosen), ("rejected", rejected)):
        if len(value) == 0:
            raise row_error(path, line, f"'{key}' is empty; a response needs at least one token")
    if chosen == rejected:
        raise row_error(path, line, "'chosen' and 'rejected' are identical")
    kind = STANDARD if isinstance(chosen, str) else CONVERSATIONAL

    kwargs = obj.get("chat_template_kwargs", {})
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, dict):
        raise row_error(path, line, f"'chat_template_kwargs' must be an object, got {_kind(kwargs)}")

    prompt: Optional[Text] = None
    if "prompt" in obj and obj["prompt"] is not None:
        prompt = _text(obj["prompt"], "prompt", path, line)
        # TRL's maybe_extract_prompt: keep the prompt only when it is of the same kind as the responses.
        if isinstance(prompt, str) != (kind == STANDARD):
            prompt = None
    implicit = prompt is None
    if implicit:
        prompt, chosen, rejected = extract_prompt(chosen, rejected)
    if kind == CONVERSATIONAL:
        if len(prompt) == 0:
            what = "'chosen' and 'rejected' share no leading message" if implicit else "'prompt' is an empty list"
            raise row_error(path, line, f"{what}; a conversational row needs a prompt of at least one message")
        last_role = prompt[-1]["role"]
        if last_role not in ("user", "tool", "assistant"):
            raise row_error(
                path, line,
                f"the prompt's last message has role '{last_role}'; TRL accepts 'user', 'tool' or 'assistant' there")
    return PreferenceRow(set_name=set_name, path=path, row=row, line=line, kind=kind, implicit_prompt=implicit,
                         prompt=prompt, chosen=chosen, rejected=rejected, chat_template_kwargs=kwargs)


def _iter_jsonl(text: str, path: str) -> Iterator[tuple]:
    """(line number, decoded object) for each non-blank line."""
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except json.JSONDecodeError as error:
            raise row_error(path, number, f"invalid JSON ({error.msg} at column {error.colno})") from None


def _iter_json_array(text: str, path: str) -> Iterator[tuple]:
    """(line number where the element starts, decoded element) for each element of a top-level array."""
    decoder = json.JSONDecoder()
    whitespace = " \t\n\r"

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    def skip(offset: int) -> int:
        while offset < len(text) and text[offset] in whitespace:
            offset += 1
        return offset

    position = skip(0)
    assert text[position] == "["
    position = skip(position + 1)
    if position < len(text) and text[position] == "]":
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise row_error(path, error.lineno, f"invalid JSON ({error.msg} at column {error.colno})") from None
        yield line_of(position), value
        position = skip(end)
        if position >= len(text):
            raise row_error(path, line_of(len(text)), "invalid JSON (the array is not closed with ']')")
        if text[position] == "]":
            rest = skip(position + 1)
            if rest < len(text):
                raise row_error(path, line_of(rest), "invalid JSON (extra data after the closing ']')")
            return
        if text[position] != ",":
            raise row_error(path, line_of(position), "invalid JSON (expected ',' or ']' between rows)")
        position = skip(position + 1)


def read_rows(path: str, set_name: str, max_rows: Optional[int] = None) -> List[PreferenceRow]:
    """The rows of one file, at most `max_rows` of them (the first ones; later lines are not read).

    Raises `ExportError` naming the file (and line) on any problem, including an empty file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ExportError(f"{path}: is a directory, expected a JSONL or JSON file") from None
    except OSError as error:
        raise ExportError(f"{path}: cannot read ({error.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise row_error(path, line, "the file is not UTF-8 text") from None
    stripped = text.lstrip()
    if not stripped:
        raise ExportError(f"{path}: the file is empty; expected TRL preference rows (JSONL or a JSON array)")
    rows_iter = _iter_json_array(text, path) if stripped[0] == "[" else _iter_jsonl(text, path)

    rows: List[PreferenceRow] = []
    for line, obj in rows_iter:
        row = parse_row(obj, set_name, path, len(rows) + 1, line)
        if rows and (row.kind, row.implicit_prompt) != (rows[0].kind, rows[0].implicit_prompt):
            raise row_error(
                path, line,
                f"this row is {row.format_name} but the file's first row (line {rows[0].line}) is "
                f"{rows[0].format_name}; one file holds one format")
        rows.append(row)
        if max_rows is not None and len(rows) >= max_rows:
            break
    if not rows:
        raise ExportError(f"{path}: no rows (an empty JSON array)")
    return rows

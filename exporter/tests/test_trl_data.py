"""Reading TRL preference rows: the three formats, JSONL and JSON arrays, and file:line errors."""

import json

import pytest
from conftest import CONVERSATIONAL_ROWS, IMPLICIT_CONVERSATIONAL_ROWS, IMPLICIT_ROWS, STANDARD_ROWS, write_jsonl

from theorycheck_export.errors import ExportError
from theorycheck_export.trl_data import CONVERSATIONAL, STANDARD, extract_prompt, read_rows


def test_standard_rows_keep_their_prompt(tmp_path):
    rows = read_rows(write_jsonl(tmp_path / "d.jsonl", STANDARD_ROWS), "train")
    assert [r.row for r in rows] == [1, 2, 3, 4] and [r.line for r in rows] == [1, 2, 3, 4]
    assert all(r.kind == STANDARD and not r.implicit_prompt for r in rows)
    assert (rows[0].prompt, rows[0].chosen, rows[0].rejected) == (
        "Is the sky blue?", " Yes, the sky is blue.", " No way.")


def test_conversational_rows(tmp_path):
    rows = read_rows(write_jsonl(tmp_path / "d.jsonl", CONVERSATIONAL_ROWS), "train")
    assert all(r.kind == CONVERSATIONAL and not r.implicit_prompt for r in rows)
    assert rows[2].prompt[-1] == {"role": "assistant", "content": "Well,"}


def test_implicit_prompt_is_the_shared_prefix_as_in_trl(tmp_path):
    rows = read_rows(write_jsonl(tmp_path / "d.jsonl", IMPLICIT_ROWS), "train")
    # TRL's extract_prompt: the space before the first difference goes to the responses.
    assert (rows[0].prompt, rows[0].chosen, rows[0].rejected) == (
        "Question: Is the sky blue? Answer:", " yes", " no")
    assert rows[0].implicit_prompt and rows[0].kind == STANDARD
    conversational = read_rows(write_jsonl(tmp_path / "c.jsonl", IMPLICIT_CONVERSATIONAL_ROWS), "train")[0]
    assert conversational.prompt == [{"role": "user", "content": "Is the sky blue?"}]
    assert conversational.chosen == [{"role": "assistant", "content": "Yes."}]


def test_extract_prompt_edge_cases_follow_trl():
    # One response a prefix of the other: no difference is found, the scan stops at the shorter one's
    # last index (and the space rule, applied only at a difference, does not fire), as in TRL.
    assert extract_prompt("Q: A", "Q: A and more") == ("Q: ", "A", "A and more")
    # No shared character at all: empty prompt (TRL would look at index -1 here; we do not).
    assert extract_prompt("yes ", "no") == ("", "yes ", "no")
    assert extract_prompt("abc", "abd") == ("ab", "c", "d")


def test_a_string_prompt_beside_message_lists_is_ignored_as_in_maybe_extract_prompt(tmp_path):
    row = dict(IMPLICIT_CONVERSATIONAL_ROWS[0], prompt="Is the sky blue?")
    parsed = read_rows(write_jsonl(tmp_path / "d.jsonl", [row]), "train")[0]
    assert parsed.implicit_prompt and parsed.prompt == [{"role": "user", "content": "Is the sky blue?"}]


def test_json_array_files_and_line_numbers(tmp_path):
    path = tmp_path / "d.json"
    path.write_text("[\n" + ",\n".join(json.dumps(r, indent=1) for r in STANDARD_ROWS[:2]) + "\n]\n")
    rows = read_rows(str(path), "train")
    assert [r.row for r in rows] == [1, 2]
    assert rows[0].line == 2 and rows[1].line == 2 + len(json.dumps(STANDARD_ROWS[0], indent=1).split("\n"))
    # A .json file holding JSON Lines (what datasets' to_json writes) is read as JSON Lines.
    lines = write_jsonl(tmp_path / "lines.json", STANDARD_ROWS)
    assert len(read_rows(lines, "train")) == 4


def test_blank_lines_are_skipped_and_rows_count_separately_from_lines(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [STANDARD_ROWS[0], "", "   ", STANDARD_ROWS[1]])
    rows = read_rows(path, "train")
    assert [(r.row, r.line) for r in rows] == [(1, 1), (2, 4)]


def test_max_rows_reads_only_the_first_rows(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", STANDARD_ROWS[:2] + ["{not json"])
    assert len(read_rows(path, "train", max_rows=2)) == 2
    with pytest.raises(ExportError, match=r"d.jsonl:3: invalid JSON"):
        read_rows(path, "train", max_rows=3)


BAD_ROWS = [
    ('{"prompt": "a", "chosen": "b", ', "invalid JSON"),
    ('["a", "b"]', "a row must be a JSON object"),
    ('{"prompt": "a", "rejected": "c"}', "missing key 'chosen'"),
    ('{"prompt": "a", "chosen": "b"}', "missing key 'rejected'"),
    ('{"prompt": "a", "chosen": 3, "rejected": "c"}', "'chosen' must be a string or a list of messages, got a number"),
    ('{"prompt": 1.5, "chosen": "b", "rejected": "c"}', "'prompt' must be a string or a list of messages"),
    ('{"prompt": "a", "chosen": "", "rejected": "c"}', "'chosen' is empty"),
    ('{"prompt": "a", "chosen": "b", "rejected": "b"}', "identical"),
    ('{"prompt": "a", "chosen": "b", "rejected": [{"role": "assistant", "content": "c"}]}', "both be strings"),
    ('{"prompt": [{"role": "user", "content": "a"}], "chosen": [{"content": "b"}], "rejected": [{"role": "assistant", "content": "c"}]}',
     "'chosen' message 0 has no string 'role'"),
    ('{"prompt": [{"role": "system", "content": "a"}], "chosen": [{"role": "assistant", "content": "b"}], "rejected": [{"role": "assistant", "content": "c"}]}',
     "last message has role 'system'"),
    ('{"prompt": [], "chosen": [{"role": "assistant", "content": "b"}], "rejected": [{"role": "assistant", "content": "c"}]}',
     "'prompt' is an empty list"),
    ('{"chosen": [{"role": "user", "content": "a"}], "rejected": [{"role": "user", "content": "b"}]}',
     "share no leading message"),
    ('{"prompt": "a", "chosen": "b", "rejected": "c", "chat_template_kwargs": 3}', "'chat_template_kwargs' must be an object"),
    ('{"chosen": "Q: yes", "rejected": "Q: no"}', "is standard (implicit prompt) but the file's first row (line 1) is standard"),
]


@pytest.mark.parametrize("text,message", BAD_ROWS, ids=[m for _, m in BAD_ROWS])
def test_a_bad_row_names_file_and_line(tmp_path, text, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [STANDARD_ROWS[0], "", text, STANDARD_ROWS[1]])
    with pytest.raises(ExportError) as error:
        read_rows(path, "train")
    assert str(error.value).startswith(f"{path}:3: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_json_array_elements_name_their_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"prompt": "a", "chosen": "b", "rejected": "c"},\n  {"prompt": "a", "chosen": "b"}\n]\n')
    with pytest.raises(ExportError, match=r"bad.json:3: missing key 'rejected'"):
        read_rows(str(path), "train")
    path.write_text('[\n  {"prompt": "a", "chosen": "b", "rejected": "c"}\n  {"prompt": "a"}\n]')
    with pytest.raises(ExportError, match=r"bad.json:3: invalid JSON \(expected ','"):
        read_rows(str(path), "train")


@pytest.mark.parametrize("content,message", [
    ("", "the file is empty"), ("  \n\n", "the file is empty"), ("[]", "no rows"),
])
def test_empty_files(tmp_path, content, message):
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    with pytest.raises(ExportError, match=message):
        read_rows(str(path), "train")


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(ExportError, match="no such file"):
        read_rows(str(tmp_path / "absent.jsonl"), "train")
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(STANDARD_ROWS[0]).encode() + b'\n{"prompt": "caf\xe9"}\n')
    with pytest.raises(ExportError, match=r"latin1.jsonl:2: the file is not UTF-8"):
        read_rows(str(path), "train")


def test_the_readme_examples_parse_as_the_formats_they_illustrate(tmp_path):
    from conftest import REPO
    text = open(f"{REPO}/README.md").read()
    section = text[text.index("### Exporting an instance from a Hugging Face causal LM"):]
    block = section[section.index("# standard:"):section.index("```", section.index("# standard:"))]
    groups, name = {}, None
    for line in block.split("\n"):
        if line.startswith("# ") and ":" in line:
            name = line[2:line.index(":")]
        elif line.startswith("{"):
            groups.setdefault(name, []).append(line)
    assert {k: len(v) for k, v in groups.items()} == {"standard": 3, "conversational": 3, "implicit prompt": 3}
    expected = {"standard": ["standard"] * 3, "conversational": ["conversational"] * 3,
                "implicit prompt": ["standard (implicit prompt)"] * 2 + ["conversational (implicit prompt)"]}
    for name, lines in groups.items():
        for number, line in enumerate(lines):
            path = write_jsonl(tmp_path / f"{number}.jsonl", [line])  # one file per row: implicit rows mix kinds
            assert read_rows(path, "train")[0].format_name == expected[name][number]

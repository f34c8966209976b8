"""The error type the command line prints as one line and exits 1 on."""


class ExportError(Exception):
    """A problem with the user's input, model or environment, said in one line (no traceback).

    `str(error)` is the whole message; it names the file and line when a data row is at fault.
    """

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split("\n")))


def row_error(path: str, line: int, problem: str) -> ExportError:
    """An error in one data row, as `FILE:LINE: problem`."""
    return ExportError(f"{path}:{line}: {problem}")

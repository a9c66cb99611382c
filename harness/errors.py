"""Errors that the command line reports as one clear line (file, field, problem) and exit code 2."""


class HarnessError(Exception):
    """Any failure caused by the user's input rather than by a bug."""


class InputError(HarnessError):
    """A bad input file or value.

    Args:
        source: the file (or command-line option) that holds the bad value.
        field: the field inside it, in a JSON-path-like spelling (``categories[3].instance_count``).
        problem: what is wrong, phrased so that the user knows what to change.
    """

    def __init__(self, source: str, field: str | None, problem: str):
        self.source, self.field, self.problem = str(source), field, problem
        where = f"{self.source}: field '{field}'" if field else self.source
        super().__init__(f"{where}: {problem}")

"""Errors that carry a file and a field path, printed as one line and mapped to exit code 2."""

from __future__ import annotations


class ChartgenError(Exception):
    """Bad input: exit code 2, one line, never a traceback."""

    exit_code = 2

    def __init__(self, file: str, path: str | None, message: str, line: int | None = None):
        self.file = file
        self.path = path
        self.message = message
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(ChartgenError):
    """An invalid chartgen.yaml."""


class SpecErrors(ChartgenError):
    """Several spec errors at once, one per line."""

    def __init__(self, errors: list[SpecError]):
        self.errors = errors
        first = errors[0]
        super().__init__(first.file, first.path, first.message, first.line)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class WriteConflict(ChartgenError):
    """Refusing to overwrite files the user changed."""


class HelmNotFound(ChartgenError):
    pass

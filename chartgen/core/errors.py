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


def error_text(exc: ChartgenError) -> str:
    """What a command prints on stderr for exc: each line after "error: " (the CLI's and the typer-free paths')."""
    return "\n".join(f"error: {line}" for line in str(exc).splitlines()) or f"error: {exc}"


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


class LockError(ChartgenError):
    """A .chartgen.lock that is not what chartgen writes (wrong shape, a folder, a path outside the chart)."""


class UnsafePath(ChartgenError):
    """A path chartgen refuses to write or delete through (a symbolic link inside the chart)."""


class FileSystemError(ChartgenError):
    """The file system refused an operation: permissions, a read-only folder, a full disk, a file too large."""


def from_os_error(exc: OSError, fallback: str, action: str) -> FileSystemError:
    """One line for an OSError: the file, what chartgen was doing, and the system's reason."""
    import errno

    file = exc.filename if exc.filename is not None else fallback
    reason = exc.strerror or type(exc).__name__
    hints = {
        errno.EACCES: "give the current user write access, or choose another folder",
        errno.EPERM: "give the current user write access, or choose another folder",
        errno.EROFS: "the file system is read-only; choose a writable folder",
        errno.ENOSPC: "the disk is full; free some space and run again (nothing was changed)",
        errno.EDQUOT: "the disk quota is exhausted; free some space and run again (nothing was changed)",
        errno.EFBIG: "a file is larger than the file system allows; free space or raise the limit (ulimit -f)",
    }
    hint = hints.get(exc.errno or 0)
    return FileSystemError(str(file), None, f"cannot {action}: {reason}" + (f"; {hint}" if hint else ""))

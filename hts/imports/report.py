"""What an import found and did: counts, problems (line, column, reason) and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One reason a file is rejected; line 0 means the file as a whole."""

    line: int
    column: str
    message: str

    def text(self) -> str:
        """'line N, column C: reason', or just the reason for a file-wide problem."""
        if self.line == 0:
            return self.message
        if not self.column:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass
class ImportReport:
    """The outcome of one import; nothing was written unless `ok` and not `dry_run`."""

    kind: str
    filename: str = ""
    dry_run: bool = False
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file was accepted (no problems)."""
        return not self.problems

    def summary(self) -> str:
        """One readable sentence about the outcome."""
        name = self.filename or "the file"
        if not self.ok:
            count = len(self.problems)
            return (f"{name} was rejected: {_plural(count, 'problem')} in "
                    f"{_plural(self.rows_read, 'row')}; nothing was written.")
        verb = "would be" if self.dry_run else "were"
        return (f"{name}: {_plural(self.rows_read, self.kind + ' row')} read; {self.created} {verb} created, "
                f"{self.updated} {verb} updated, {self.unchanged} unchanged."
                + (" Check only: nothing was written." if self.dry_run else ""))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"

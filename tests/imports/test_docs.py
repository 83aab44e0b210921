"""docs/import-formats.md documents every column of every kind."""

from __future__ import annotations

from pathlib import Path

from hts.imports.kinds import KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-formats.md"


def test_the_formats_page_names_every_kind_and_column_and_shows_each_example():
    text = DOC.read_text(encoding="utf-8")
    for kind in KINDS.values():
        assert f"### {kind.name}\n" in text
        for column in kind.columns:
            assert f"| `{column.name}` |" in text, (kind.name, column.name)
        assert kind.example_csv().replace("\r\n", "\n").rstrip() in text

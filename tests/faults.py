"""Injected failures for the tests."""

from __future__ import annotations

from d2b_luigi import Transform


def fail_transform(monkeypatch, table: str) -> None:
    """Make ``Transform(table=table)`` raise ``RuntimeError("injected failure")`` inside its transaction."""
    real = Transform.write

    def write(self, cursor):
        if self.table == table:
            raise RuntimeError("injected failure")
        real(self, cursor)

    monkeypatch.setattr(Transform, "write", write)

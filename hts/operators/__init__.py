"""Operators, their staff and vehicles, and the documents each of them holds."""

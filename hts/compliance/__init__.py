"""Compliance: who and what may run a route on a given day, and why not."""

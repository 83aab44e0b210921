"""The SITREP: the day's and the week's figures for managers, as defined in domain.md."""

"""The demo city: a deterministic synthetic council area, loaded through the import code."""

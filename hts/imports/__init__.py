"""CSV and Excel imports and exports: parse -> validate every row -> write all or nothing."""

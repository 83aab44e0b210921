"""Data protection (UK GDPR): who viewed a child's record, and subject access exports."""

"""The audit log: who changed what and when, with the values before and after."""

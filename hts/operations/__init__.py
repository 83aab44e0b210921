"""Daily operations: the school calendar, each day's runs and what happened on them, calls and cases."""

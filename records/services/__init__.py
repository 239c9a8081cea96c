"""Writes to patients' records, one module per topic; callers import from the module."""

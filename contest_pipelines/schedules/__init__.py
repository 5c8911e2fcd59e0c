"""Schedules: one per file, named after the definition."""

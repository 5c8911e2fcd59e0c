"""Housekeeping across capabilities: retention of finished requests, run telemetry and event streams."""

"""Keeping a city's system running: backups and restores, and the retention of personal data."""

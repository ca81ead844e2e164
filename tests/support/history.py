"""The seeded demo history the report tests share (the `history` fixture in tests/report/conftest.py):
the demo city plus 3,000 tickets over 13 months written by hotline.demo.history, ending at a fixed
moment so every number is reproducible."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)
MONTH = "2026-10"
TICKETS = 3000
MONTHS = 13

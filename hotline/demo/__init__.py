"""The fictional demo city 云川市: its org tree and catalog, demo tickets, and bulk history for the report."""

"""What the tests share and is not a test: texts, service processes, waiting, accounts, harnesses.

Test modules import from here (and get fixtures from tests/conftest.py), never from each other;
tests/test_architecture.py keeps it so.
"""

"""Fixtures of the public registry tests: `demo` (the demo projects) lives in tests/conftest.py."""

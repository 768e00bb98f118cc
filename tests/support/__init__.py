"""Test doubles and helpers shared by the test suite (importable as ``tests.support``)."""

"""Exports: each takes a Plan and returns bytes; none writes files."""

"""Fixtures shared by the whole suite. Service fixtures live in ``services/``."""

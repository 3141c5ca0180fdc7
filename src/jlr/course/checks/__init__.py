"""Checkers, one module per lesson, each exposing ``EXERCISES: tuple[Exercise, ...]``."""

"""Runnable backends that build models from a cnncalc spec."""

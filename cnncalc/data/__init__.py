"""Backend-neutral training data."""

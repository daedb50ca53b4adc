"""Shape and parameter arithmetic, per-layer inference and the analysis pass."""

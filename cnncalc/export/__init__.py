"""Code generation: standalone scripts that build and train a spec's model."""

"""Pure-NumPy backend: kernels (kernels.py, im2col.py) and optimisers (optim.py)."""

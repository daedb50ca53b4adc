"""Pure-NumPy backend: kernels (kernels/, one module per family; im2col.py), layers, model, optimisers."""

"""One module per rule; ``cnncalc.lint.registry`` lists them."""

"""One module per rule; ``cnncalc.linter.registry`` lists them."""

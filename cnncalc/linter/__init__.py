"""The linter: rules with stable codes that read an analysis and report what an expert would fix."""

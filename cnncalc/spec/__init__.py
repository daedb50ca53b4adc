"""The spec language (pydantic models) and its YAML loader."""

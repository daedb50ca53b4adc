"""The JSON Schema of the spec language, for editors (yaml-language-server) and other tools."""

from __future__ import annotations

from typing import Any

from cnncalc.spec.models import LAYER_TYPES, Spec

SCHEMA_ID = "https://cnncalc.dev/schema/spec.json"


def spec_json_schema() -> dict[str, Any]:
    """Pydantic's schema of :class:`Spec`, completed with what validation also accepts.

    Every ``type`` spelling (canonical tag and Keras class name) and every field alias
    (``kernel``, ``stride``, ``pool``) is listed, so editors accept what cnncalc accepts.
    """
    schema = Spec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    definitions = schema["$defs"]
    for cls in LAYER_TYPES:
        definition = definitions[cls.__name__]
        properties = definition["properties"]
        tag = cls.model_fields["type"].default
        properties["type"] = {
            "enum": sorted({tag, cls.keras_class, cls.keras_name}),
            "description": f"`{tag}` or Keras' `{cls.keras_class}` (any case)",
        }
        required = [name for name in definition.get("required", []) if name != "type"]
        alternatives = []
        for name, field in cls.model_fields.items():
            aliases = [a for a in getattr(field.validation_alias, "choices", ()) if a != name]
            for alias in aliases:
                properties[alias] = {**properties[name], "description": f"Same as `{name}`."}
            if aliases and name in required:
                required.remove(name)
                alternatives.append({"oneOf": [{"required": [n]} for n in (name, *aliases)]})
        definition["required"] = ["type", *required]
        if alternatives:
            definition["allOf"] = alternatives
    return schema

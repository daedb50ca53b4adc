"""The JSON Schema of the spec language, for editors (yaml-language-server) and other tools."""

from __future__ import annotations

from typing import Any

from cnncalc.spec.models import LAYER_TYPES, Spec

SCHEMA_ID = "https://cnncalc.dev/schema/spec.json"

_WHEN = {
    "anyOf": [{"type": "boolean"}, {"type": "string", "pattern": r"^\$"}],
    "description": "Leave the layer out when false (a parameter or expression, inside blocks).",
}
_BLOCK_USE = {
    "type": "object",
    "description": "A use of a block defined under `blocks:`; other keys are the block's parameters.",
    "properties": {
        "block": {"type": "string", "description": "The block's name."},
        "name": {"type": "string", "description": "The use's name; `{i}` counts repeated copies."},
        "repeat": {
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": r"^\$"}],
            "description": "How many copies, one after another.",
        },
        "start": {
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^\$"}],
            "description": "Where `{i}` and `$i` start counting (1).",
        },
        "inputs": {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "What the block reads; by default the layer before.",
        },
        "when": _WHEN,
    },
    "required": ["block"],
}
_BLOCK = {
    "type": "object",
    "description": "A reusable block: parameters with defaults (`required` for none), layers, output.",
    "properties": {
        "params": {"type": "object"},
        "layers": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "object"},
            "description": "Layers (and block uses); fields may be `$param` or `$(expression)`.",
        },
        "output": {"type": "string", "description": "The layer the block returns; by default its last."},
    },
    "required": ["layers"],
    "additionalProperties": False,
}


def spec_json_schema() -> dict[str, Any]:
    """Pydantic's schema of :class:`Spec`, completed with what validation also accepts.

    Every layer type, every ``type`` spelling (canonical tag, Keras class name and Keras' snake-case
    name) and every field alias (``kernel``, ``stride``, ``pool``) is listed, so editors accept what
    cnncalc accepts; so are blocks and their uses.
    """
    schema = Spec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    definitions = schema.setdefault("$defs", {})
    for cls in LAYER_TYPES:
        layer_schema = cls.model_json_schema(ref_template="#/$defs/{model}")
        definitions.update(layer_schema.pop("$defs", {}))
        definitions[cls.__name__] = _with_spellings(cls, layer_schema)
    layers = schema["properties"]["layers"]
    layers["items"] = {
        "anyOf": [*({"$ref": f"#/$defs/{cls.__name__}"} for cls in LAYER_TYPES), {"$ref": "#/$defs/BlockUse"}]
    }
    definitions["BlockUse"] = _BLOCK_USE
    schema["properties"]["blocks"] = {
        **schema["properties"]["blocks"],
        "additionalProperties": {"$ref": "#/$defs/Block"},
    }
    definitions["Block"] = _BLOCK
    return schema


def _with_spellings(cls: Any, definition: dict[str, Any]) -> dict[str, Any]:
    """A layer's schema with every spelling of its type, its field aliases and ``when``."""
    properties = definition["properties"]
    tag = cls.model_fields["type"].default
    properties["type"] = {
        "enum": sorted({tag, cls.keras_class, cls.keras_name}),
        "description": f"`{tag}` or Keras' `{cls.keras_class}` (any case)",
    }
    properties["when"] = _WHEN
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
    return definition

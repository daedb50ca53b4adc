"""YAML text → :class:`Spec`, with every problem located by file, line, column and field.

Reading is bounded: at most :data:`MAX_FILE_BYTES` plus one byte, from a regular file or standard
input (``-``, where :data:`STDIN_TIMEOUT` seconds without data is an error). Devices, named pipes
and folders are refused, so no input makes cnncalc hang or fill the memory.

The YAML is scanned as an event stream first (no recursion, constant memory) to refuse documents
that nest too deep, expand through aliases beyond reason (the "billion laughs") or repeat a key.
Only then is it composed once, with ``safe`` constructors: tags such as ``!!python/object`` are
refused, never executed. Scalars follow the YAML 1.2 core schema (``yes`` and ``1:30`` are text,
``1e-3`` a number); an integer with a leading zero, which YAML 1.1 reads as octal, is refused. The
composed node tree is kept to map validation errors back to lines.
"""

from __future__ import annotations

import codecs
import difflib
import io
import os
import re
import select
import stat
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from cnncalc.errors import Problem, SpecError, show_value
from cnncalc.spec.blocks import FieldPath, Origin, expand
from cnncalc.spec.models import KERAS_NAMES, TYPE_NAMES, Spec, canonical_type, layer_class

MAX_FILE_BYTES = 16 * 1024 * 1024
STDIN = "-"
"""The path that means standard input."""
STDIN_NAME = "<stdin>"
"""How standard input is named in messages and reports."""
STDIN_TIMEOUT = 10.0
"""Seconds standard input may stay silent before reading it is an error."""
MAX_INT_DIGITS = 300
"""The longest integer literal read. Analysis is exact on Python ints of any size, but writes them
as text, which Python refuses beyond 4,300 digits: a product of a dozen numbers of 300 digits stays
below that, and no network has a size near 10³⁰⁰."""
MAX_DEPTH = 64
MAX_NODES = 2_000_000
MAX_PROBLEMS = 20

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SpecLoader(_BaseLoader):  # type: ignore[valid-type, misc]
    """Safe YAML whose plain scalars are read by the YAML 1.2 core schema, not YAML 1.1's."""


_LEADING_ZERO = "tag:cnncalc,2025:leading-zero-int"
"""An integer such as ``010``: octal 8 in YAML 1.1, decimal 10 in YAML 1.2; refused where the two
differ (``07`` is 7 to both, ``019`` is no YAML 1.1 number)."""
_CORE_SCHEMA = (  # YAML 1.2.2, 10.3.2 "Tag Resolution"; ``<<`` merge keys kept from YAML 1.1
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (_LEADING_ZERO, r"^[-+]?0[0-7]+$", list("-+0")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    ("tag:yaml.org,2002:merge", r"^<<$", ["<"]),
)
_SpecLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in _CORE_SCHEMA:
    _SpecLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """A YAML 1.2 integer: decimal, ``0o`` octal or ``0x`` hexadecimal."""
    text = str(node.value)
    if len(text) > MAX_INT_DIGITS:
        raise _located(
            f"a number with too many digits ({len(text):,}; at most {MAX_INT_DIGITS}): no size is that large",
            node,
        )
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)


def _refuse_leading_zero(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """``07`` as 7; ``010`` refused, saying what to write instead."""
    value = _construct_int(loader, node)
    text = str(node.value)
    octal = int(text, 8)
    if octal == value:
        return value
    raise _located(
        f"`{text}` is {octal} (octal) to YAML 1.1 and {value} to YAML 1.2; "
        f"write {value} (or {octal:#o} for {octal}, '{text}' for text)",
        node,
    )


_SpecLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_SpecLoader.add_constructor(_LEADING_ZERO, _refuse_leading_zero)


def _located(message: str, node: yaml.Node) -> SpecError:
    """A problem at ``node``; the file is filled in by :func:`parse_text`."""
    mark = node.start_mark
    return SpecError([Problem(message, line=mark.line + 1, column=mark.column + 1)])


@dataclass(frozen=True)
class SourceMap:
    """Where each part of a spec came from: maps a field path to a line and column (1-based)."""

    file: str | None
    root: yaml.Node | None = None

    def locate(self, path: FieldPath) -> tuple[int, int] | None:
        """The line and column of the deepest node on ``path`` that exists in the document."""
        if self.root is None:
            return None
        node = self.root
        mark = node.start_mark
        for part in path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                match = next((kv for kv in reversed(node.value) if kv[0].value == part), None)
                if match is not None:
                    mark, node = match[0].start_mark, match[1]
            elif (
                isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value)
            ):
                node = node.value[part]
                mark = node.start_mark
        return mark.line + 1, mark.column + 1

    def end_line(self, path: tuple[str | int, ...]) -> int | None:
        """The last line of the node at ``path`` (1-based), ``None`` if there is no such node."""
        node = self.root
        for part in path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                node = next((value for key, value in reversed(node.value) if key.value == part), None)
            elif (
                isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value)
            ):
                node = node.value[part]
            else:
                return None
        # A block collection ends where the next token starts: its last line is its last item's.
        while isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
            node = node.value[-1][1] if isinstance(node, yaml.MappingNode) else node.value[-1]
        return None if node is None else int(node.end_mark.line) + 1

    def lines(self, origin: Origin) -> tuple[int | None, int | None]:
        """The line a layer is written on and, for a layer a block made, the line of the outermost use."""
        where = self.locate(origin.path)
        use = self.locate(origin.uses[0].path) if origin.uses else None
        return (where[0] if where else None), (use[0] if use else None)


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec and the source it came from."""

    spec: Spec
    source: SourceMap


def load_file(path: str | Path) -> LoadedSpec:
    """Read and validate a spec file, or standard input for ``-``; raise :class:`SpecError` naming
    the file on any problem (see the module's docstring for what is refused)."""
    name = str(path)
    if name == STDIN:
        name = STDIN_NAME
    raw = _read_stdin() if name == STDIN_NAME else _read_file(name)
    if raw is None or len(raw) > MAX_FILE_BYTES:
        raise _error(f"larger than {MAX_FILE_BYTES // 2**20} MiB; not a spec", name)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _error("the file is UTF-16 text; cnncalc reads UTF-8: save it as UTF-8", name)
    if b"\0" in raw:
        raise _error("binary file, not a YAML spec (if it is text, save it as UTF-8)", name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(f"not UTF-8 text (byte {exc.start}); not a YAML spec", name) from None
    return parse_text(text, file=name)


def _read_file(name: str) -> bytes | None:
    """The bytes of a regular file (``None`` if larger than the limit); :class:`SpecError` for
    anything else. ``/dev/stdin`` and the like are read as standard input."""
    try:  # without O_NONBLOCK, opening a named pipe waits for a writer, maybe forever
        descriptor = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise _error("no such file", name) from None
    except OSError as exc:
        raise _error(f"cannot read: {exc.strerror or exc}", name) from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise _error("is a directory, not a spec file", name)
        os.set_blocking(descriptor, True)
        if stat.S_ISREG(info.st_mode):
            if info.st_size > MAX_FILE_BYTES:
                return None
            return _read_at_most(descriptor, MAX_FILE_BYTES + 1)
        if _is_stdin(info):
            return _read_stream(descriptor, name)
        raise _error(f"{_kind(info.st_mode)}, not a regular file; give a stream as `-` (stdin)", name)
    except OSError as exc:
        raise _error(f"cannot read: {exc.strerror or exc}", name) from None
    finally:
        os.close(descriptor)


def _read_stdin() -> bytes:
    """Standard input, up to the limit and with the timeout."""
    if sys.stdin is None:  # pythonw, or closed by the caller
        raise _error("there is no standard input", STDIN_NAME)
    try:
        descriptor = sys.stdin.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # replaced by a test harness
        return sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    try:
        return _read_stream(descriptor, STDIN_NAME)
    except OSError as exc:
        raise _error(f"cannot read: {exc.strerror or exc}", STDIN_NAME) from None


def _read_stream(descriptor: int, name: str) -> bytes:
    """Read until end of file, at most the limit plus one byte; :class:`SpecError` after
    :data:`STDIN_TIMEOUT` seconds without data."""
    chunks, size = [], 0
    while size <= MAX_FILE_BYTES:
        ready, _, _ = select.select([descriptor], [], [], STDIN_TIMEOUT)
        if not ready:
            raise _error(
                f"no data for {STDIN_TIMEOUT:g} s; pipe a spec into it: `cnncalc check - < net.yaml`",
                name,
            )
        chunk = os.read(descriptor, min(1 << 16, MAX_FILE_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(descriptor, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _is_stdin(info: os.stat_result) -> bool:
    """Whether ``info`` is standard input's file (``/dev/stdin``, ``/proc/self/fd/0``)."""
    try:
        return os.path.samestat(info, os.fstat(0))
    except OSError:
        return False


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"))
    return next((kind for test, kind in kinds if test(mode)), "a socket")


def parse_text(text: str, file: str | None = None) -> LoadedSpec:
    """Parse and validate YAML text (JSON is YAML too)."""
    _scan(text, file)
    loader = _SpecLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file, text) from None
    except SpecError as exc:  # from a constructor, which knows the line but not the file
        raise SpecError([replace(problem, file=file) for problem in exc.problems]) from None
    except ValueError:  # an integer longer than Python converts (4,300 digits)
        raise _error("a number in the file has too many digits to read", file) from None
    finally:
        loader.dispose()
    source = SourceMap(file, root)
    return LoadedSpec(validate(data, source), source)


def validate(data: object, source: SourceMap | None = None) -> Spec:
    """Validate plain data (what YAML or JSON decodes to) into a :class:`Spec`."""
    source = source or SourceMap(None)
    if data is None:
        raise _error("empty spec; expected a mapping with `input` and `layers`", source.file)
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise _error(
            f"the top level must be a mapping with `input` and `layers`, not {kind}",
            source.file,
            line=1,
        )
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_problems(exc, data, source)) from None
    except RecursionError:
        raise _error("spec nests too deeply", source.file) from None


def _error(message: str, file: str | None, line: int | None = None) -> SpecError:
    return SpecError([Problem(message, file=file, line=line)])


def _yaml_error(exc: yaml.YAMLError, file: str | None, text: str) -> SpecError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {context}, {problem}" if context else f"invalid YAML: {problem}"
    hint = None
    if "constructor for the tag" in str(problem):
        message = f"YAML tags are not allowed in a spec ({problem.split('tag ')[-1]})"
    elif mark is not None and "\t" in _indentation(text, mark.line):
        message = "a tab indents this line; YAML indents with spaces only"
        hint = "replace the tabs at the start of the line with spaces (2 per level)"
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return SpecError([Problem(message, file=file, line=line, column=column, hint=hint)])


def _indentation(text: str, line: int) -> str:
    """The leading blanks (and list dashes) of ``text``'s line number ``line`` (from 0)."""
    lines = text.splitlines()
    content = lines[line] if 0 <= line < len(lines) else ""
    return content[: len(content) - len(content.lstrip(" \t-"))]


@dataclass
class _Frame:
    anchor: str | None
    start: int
    is_mapping: bool
    items: int = 0
    keys: set[str] | None = None


def _scan(text: str, file: str | None) -> None:
    """Refuse deep nesting, alias bombs and duplicate keys before anything is built."""
    stack: list[_Frame] = []
    anchors: dict[str, int] = {}
    nodes = 0

    def located(message: str, mark: Any) -> SpecError:
        return SpecError([Problem(message, file=file, line=mark.line + 1, column=mark.column + 1)])

    try:
        for event in yaml.parse(text, Loader=_SpecLoader):
            if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent | yaml.AliasEvent):
                parent = stack[-1] if stack else None
                if parent is not None and parent.is_mapping and parent.items % 2 == 0:
                    _check_key(event, parent, located)
                if parent is not None:
                    parent.items += 1
            if isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise located(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
                is_mapping = isinstance(event, yaml.MappingStartEvent)
                stack.append(_Frame(event.anchor, nodes, is_mapping, keys=set() if is_mapping else None))
                nodes += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                frame = stack.pop()
                if frame.anchor is not None:
                    anchors[frame.anchor] = nodes - frame.start
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
                if event.anchor is not None:
                    anchors[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                nodes += anchors.get(event.anchor or "", 1)
            if nodes > MAX_NODES:
                raise located(
                    f"document expands to more than {MAX_NODES:,} values through YAML aliases",
                    event.start_mark,
                )
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file, text) from None


def _check_key(event: yaml.Event, frame: _Frame, located: Any) -> None:
    if not isinstance(event, yaml.ScalarEvent) or frame.keys is None or event.value == "<<":
        return
    if event.value in frame.keys:
        raise located(f"duplicate key `{event.value}`", event.start_mark)
    frame.keys.add(event.value)


# --- validation errors → problems -------------------------------------------------------------


def _problems(exc: ValidationError, data: Mapping[str, Any], source: SourceMap) -> list[Problem]:
    origins = _origins(data)
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors():
        path, uses = _document_path(error, origins)
        field = _format_path(path[:-1] if error["type"] == "missing" else path)
        key = (_format_path(_strip_trailing_ints(path)), error["type"])
        if key in seen:
            continue
        seen.add(key)
        message, hint = _describe(error, path, data)
        message += _in_uses(uses, source)
        where = source.locate(path)
        line, column = where if where else (None, None)
        problems.append(Problem(message, source.file, line, column, field or None, hint))
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], Problem(f"... and {rest} more", source.file)]
    return problems


def _origins(data: Mapping[str, Any]) -> tuple[Origin, ...]:
    """Where each expanded layer is written (to place errors inside blocks); ``()`` if the spec's
    blocks cannot even be expanded (that error is placed in the document already)."""
    try:
        expansion = expand(data, KERAS_NAMES)
    except PydanticCustomError:
        return ()
    return expansion.origins if expansion else ()


def _document_path(
    error: ErrorDetails, origins: tuple[Origin, ...]
) -> tuple[FieldPath, tuple[FieldPath, ...]]:
    """Where an error is in the document as written, and the block uses (their paths) around it.

    Errors of the layers are located in the expanded list (``layers[7]``); a layer a block made is
    written in the block (``blocks.bottleneck.layers[2]``)."""
    loc: FieldPath = tuple(error["loc"])
    uses: tuple[FieldPath, ...] = ()
    ctx = error.get("ctx") or {}
    if error["type"] == "spec_structure":
        loc, uses = tuple(ctx["loc"]), tuple(ctx["uses"])
        if not ctx["expanded"]:
            return loc, uses
    if len(loc) >= 2 and loc[0] == "layers" and isinstance(loc[1], int) and loc[1] < len(origins):
        origin = origins[loc[1]]
        return (*origin.path, *loc[2:]), tuple(use.path for use in origin.uses)
    return loc, uses


def _in_uses(uses: tuple[FieldPath, ...], source: SourceMap) -> str:
    """`` (in the block used at line 40)`` for a problem inside a block."""
    if not uses:
        return ""
    lines = [str(where[0]) for where in map(source.locate, uses) if where]
    if not lines:
        return " (inside a block)"
    return f" (in the block used at line {' → '.join(lines)})"


def _strip_trailing_ints(path: FieldPath) -> FieldPath:
    while path and isinstance(path[-1], int) and len(path) > 2:
        path = path[:-1]
    return path


def _format_path(path: FieldPath) -> str:
    """``('layers', 3, 'kernel_size')`` → ``layers[3].kernel_size``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: ErrorDetails, path: FieldPath, data: Mapping[str, Any]) -> tuple[str, str | None]:
    """A message for people (and a hint), from one pydantic error."""
    kind = error["type"]
    last = path[-1] if path else ""
    if kind == "spec_structure":
        ctx = error["ctx"]
        return ctx["message"], ctx["hint"]
    if kind == "unknown_layer_type":
        if not isinstance(error["input"], Mapping):
            return f"a layer must be a mapping, got {_kind_of(error['input'])}", _LAYERS_EXAMPLE
        raw = error["input"].get("type")
        if raw is None:
            return "layer has no `type`", f"one of: {', '.join(TYPE_NAMES)}"
        return f"unknown layer type {show_value(raw)}", _did_you_mean(str(raw), TYPE_NAMES)
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], data)
        allowed = _field_names(model) if model else set()
        owner = _alias_owner(str(last), model)
        if owner is not None:
            return f"`{last}` is another name for `{owner}`, which is also given", "keep one"
        return f"unknown field `{last}`", _did_you_mean(str(last), sorted(allowed))
    if (kind == "missing" and isinstance(last, int)) or (kind == "too_long" and _takes_pair(path, data)):
        value = _value_at(path[:-1] if kind == "missing" else path, data)
        name = path[-2] if kind == "missing" else last
        return (
            f"expected an integer or a pair [height, width], got {show_value(value)}",
            f"`{name}: 3` means 3×3; `{name}: [3, 5]` is 3 high and 5 wide",
        )
    if kind == "missing":
        hint = "e.g. `input: [28, 28, 1]` (height, width, channels)" if path == ("input",) else None
        return f"required field `{last}` is missing", hint
    if path == ("layers",) and kind in {"too_short", "list_type"}:
        return f"must be a list of at least one layer, got {_kind_of(error['input'])}", _LAYERS_EXAMPLE
    if path == ("input",) and kind in {"too_short", "too_long", "tuple_type"}:
        return (
            f"must be a list of 1 to 3 sizes, got {show_value(_value_at(path, data))}",
            "[height, width, channels] for images, such as [28, 28, 1]; [features] for vectors",
        )
    if kind in {"model_type", "dict_type"}:
        example = _MAPPING_EXAMPLES.get(str(last), "")
        return f"must be a mapping of settings, got {_kind_of(error['input'])}", example or None
    template = _PLAIN_MESSAGES.get(kind)
    message = template.format(**error.get("ctx", {})) if template else error["msg"]
    if kind not in _CUSTOM_TYPES and _is_scalar(error["input"]):
        message = f"{message}, got {show_value(error['input'])}"
    return message, None


_LAYERS_EXAMPLE = "one mapping per layer, such as `- {type: conv2d, filters: 32, kernel_size: 3}`"
_MAPPING_EXAMPLES = {"lint": "such as `lint: {ignore: [CNN110]}`"}
"""Hints for sections that must be mappings, by field name."""

_CUSTOM_TYPES = {
    "size_type",
    "padding_type",
    "input_rank",
    "output_padding",
    "target_shape",
    "batch_axis",
    "repeated_axis",
    "mean_variance",
    "name_slash",
    "reserved_name",
}
"""Errors raised by our own validators, whose messages already show the value."""
_PLAIN_MESSAGES = {
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "int_parsing": "expected an integer",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "string_type": "expected a string",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
}


def _model_at(path: FieldPath, data: Mapping[str, Any]) -> type[BaseModel] | None:
    """The model that validates the mapping at ``path`` (``()`` is the spec, a layer's mapping its
    class by ``type``, ``('lint',)`` the lint section), or ``None``."""
    value: Any = data
    for part in path:
        value = _child(value, part)
    if not path:
        return Spec
    if isinstance(value, Mapping) and "type" in value:
        tag = canonical_type(value.get("type"))
        return layer_class(tag) if tag else None
    field = Spec.model_fields.get(str(path[0])) if len(path) == 1 else None
    return _model_in(field.annotation) if field else None


def _value_at(path: tuple[str | int, ...], data: Mapping[str, Any]) -> Any:
    """The user's value at ``path``, ``None`` where there is none."""
    value: Any = data
    for part in path:
        value = _child(value, part)
    return value


def _kind_of(value: object) -> str:
    """``a list``, ``a mapping``, ``a string``: what the user wrote, in YAML's words."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "an empty list" if not value else "a list"
    return show_value(value)


def _takes_pair(path: tuple[str | int, ...], data: Mapping[str, Any]) -> bool:
    """Whether the field at ``path`` is a size pair (``kernel_size``, ``strides``, ...)."""
    model = _model_at(path[:-1], data) if path else None
    if model is None:
        return False
    field = next(
        (
            f
            for n, f in model.model_fields.items()
            if path[-1] in (n, *getattr(f.validation_alias, "choices", ()))
        ),
        None,
    )
    annotations = [field.annotation, *get_args(field.annotation)] if field else []
    return any(
        get_origin(a) is tuple and len(get_args(a)) == 2 and ... not in get_args(a) for a in annotations
    )


def _child(value: Any, part: str | int) -> Any:
    """``value[part]`` in the user's data, or ``None`` where there is no such item."""
    if isinstance(part, int):
        return value[part] if isinstance(value, list) and 0 <= part < len(value) else None
    return value.get(part) if isinstance(value, Mapping) else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation such as ``LintSection | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_model_in, get_args(annotation)) if m is not None), None)


def _field_names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    for field in model.model_fields.values():
        choices = getattr(field.validation_alias, "choices", ())
        names.update(choice for choice in choices if isinstance(choice, str))
    return names


def _alias_owner(name: str, model: type[BaseModel] | None) -> str | None:
    """The field that ``name`` is an alias of, if ``name`` is an alias (``kernel`` → ``kernel_size``)."""
    if model is None:
        return None
    for field_name, field in model.model_fields.items():
        if name != field_name and name in getattr(field.validation_alias, "choices", ()):
            return field_name
    return None


def _did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    options = list(candidates)
    lowered = {option.lower(): option for option in options}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    if match:
        return f"did you mean `{lowered[match[0]]}`?"
    return f"expected one of: {', '.join(options)}" if len(options) <= 12 else None


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)

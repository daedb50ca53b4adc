"""Text from a file, made safe to show: layer names, fields, file names and the messages that quote
them reach terminals, Markdown and JSON only through these functions.

A layer name may hold any character but ``/``, so a spec can carry terminal control sequences
(``ESC [2J`` clears the screen), rich markup (``[red]``), HTML (``<img onerror=...>``) or, in a file
name, bytes that are not UTF-8 (Python keeps them as lone surrogates). Each becomes visible text.
"""

from __future__ import annotations

import html
import re

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # C0, DEL, C1: terminal control
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional controls (Trojan Source)
    "\ud800-\udfff]"  # lone surrogates: bytes that were not UTF-8 (surrogateescape), or written so
)


def visible(text: str) -> str:
    """``text`` with control characters, bidirectional controls and undecodable bytes shown as
    escapes: ``\\x1b``, ``\\n``, ``\\u202e``, and ``\\xff`` for the byte 0xFF of a file name.

    >>> visible("conv\\x1b[2J"), visible("a\\nb"), visible("net\\udcff.yaml"), visible("réseau 1")
    ('conv\\\\x1b[2J', 'a\\\\nb', 'net\\\\xff.yaml', 'réseau 1')
    """
    return _INVISIBLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    if character in _SHORT:
        return _SHORT[character]
    if 0xDC80 <= code <= 0xDCFF:  # the byte surrogateescape kept
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def markdown(text: str) -> str:
    """:func:`visible`, then HTML escaped (Markdown passes HTML through) and ``|`` escaped (it
    would end a table cell).

    >>> markdown("<img src=x onerror=alert(1)> | a & b")
    '&lt;img src=x onerror=alert(1)&gt; \\\\| a &amp; b'
    """
    return html.escape(visible(text), quote=False).replace("|", "\\|")


def python_text(text: str) -> str:
    r"""``text`` made safe inside a double-quoted Python string or docstring of generated code:
    backslashes and quotes escaped, controls as Python escapes (a newline in a layer name would
    end the string).

    >>> print(python_text('a"b\\c\nd'))
    a\"b\\c\nd
    """
    return visible(text.replace("\\", "\\\\").replace('"', '\\"'))


def json_document(document: str) -> str:
    r"""A JSON document (written with ``ensure_ascii=False``) that is valid UTF-8 and safe on a
    terminal: JSON escapes C0 controls itself; C1 and bidirectional controls become ``\u`` escapes
    (the same strings), and undecodable bytes of file names the text ``\xff`` (escaped: ``\\xff``).

    >>> print(json_document('{"name": "a\x9bb\u202e", "file": "net\udcff.yaml"}'))
    {"name": "a\u009bb\u202e", "file": "net\\xff.yaml"}
    """
    return _JSON_UNSAFE.sub(_json_escape, document)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # the byte surrogateescape kept, as text
        return f"\\\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

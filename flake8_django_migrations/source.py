"""Source text as flake8 reads it, so that the command and the plugin see the same code and report the same errors.

flake8 decodes a file with ``tokenize.open`` (the coding cookie, else UTF-8, a BOM stripped, universal newlines)
and falls back to latin-1 when that fails; a file that then does not parse is its ``E999``. The command does the
same here, so a file flake8 lints is a file the command lints, with the same findings.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable, Iterator
from typing import Final

from flake8_django_migrations.finding import Finding

__all__ = ["SYNTAX_ERROR", "decode_source", "module_level_statements", "parse_source", "syntax_error_finding"]

SYNTAX_ERROR: Final = "E999"  # flake8's code for a file that does not parse


def decode_source(data: bytes) -> str:
    """The text flake8 checks for these bytes (``FileProcessor.read_lines``)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if encoding in ("utf-8", "utf-8-sig"):
            text = data.decode(encoding)
        else:
            # Through a text stream, as flake8 reads: its UTF-16 decoder, for one, refuses input without a BOM
            # that ``bytes.decode`` accepts.
            text = "".join(io.TextIOWrapper(io.BytesIO(data), encoding, line_buffering=True).readlines())
    except (SyntaxError, UnicodeError, LookupError):
        text = data.decode("latin-1")
        if text.startswith("\xef\xbb\xbf"):  # a UTF-8 BOM read as latin-1 (flake8's strip_utf_bom)
            text = text[3:]
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:  # universal newlines, as a text-mode read gives them
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def parse_source(data: bytes, path: str) -> ast.Module:
    """The module flake8 would hand its plugins. Raises ``SyntaxError`` (or ``ValueError``, ``RecursionError``,
    ``MemoryError`` on pathological input) when it does not parse."""
    return ast.parse(decode_source(data), filename=path)


def module_level_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import time: the module body and the blocks of its ``if`` and ``try`` statements."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from module_level_statements(node.body)
            yield from module_level_statements(node.orelse)
        elif isinstance(node, ast.Try):
            yield from module_level_statements(node.body)
            for handler in node.handlers:
                yield from module_level_statements(handler.body)
            yield from module_level_statements(node.orelse)
            yield from module_level_statements(node.finalbody)


def syntax_error_finding(path: str, data: bytes) -> Finding | None:
    """flake8's ``E999`` for a file that does not parse, at the same line and column; None when it parses."""
    try:
        parse_source(data, path)
    except SyntaxError as error:
        line, col = _position(error)
        return Finding(path, line, col, SYNTAX_ERROR, f"SyntaxError: {error.args[0] if error.args else error}", "")
    except (ValueError, RecursionError, MemoryError) as error:
        return Finding(path, 1, 0, SYNTAX_ERROR, f"{type(error).__name__}: {error}", "")
    return None


def _position(error: SyntaxError) -> tuple[int, int]:
    """flake8's ``_extract_syntax_information``: the row and the 1-based offset, which flake8 then shows plus one."""
    if len(error.args) > 1 and error.args[1] and len(error.args[1]) > 2:
        row, col = error.args[1][1:3]
        if isinstance(row, int) and isinstance(col, int):
            return row, col
    return 1, 0

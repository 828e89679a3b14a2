"""What the SQL of a ``RunSQL`` does, read with PostgreSQL's own parser (libpg_query, through ``pglast``).

``pglast`` is the optional extra ``django-migrations-lint[sql]``: the parser accepts exactly what PostgreSQL accepts,
so a statement is never guessed from keywords. Without it, no SQL is analysed (``sql_parser_available`` says so,
and the front ends say it once per run); with it, each statement becomes a small plain ``SqlStatement``.
SQL that is not a literal, or that does not parse, gives no statement: unknown, not guessed.

Only migrations with a ``RunSQL`` pay for this: the parser is imported on the first literal SQL, and each distinct
text is parsed once per process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Final

from flake8_django_migrations.facts.model import Ref, Value

__all__ = [
    "SQL_EXTRA",
    "DML_KINDS",
    "KINDS",
    "SQL_NOT_ANALYSED",
    "SqlStatement",
    "changes_rows_by_keywords",
    "parse_sql",
    "quote_statement",
    "run_sql_statements",
    "sql_parser_available",
    "written_sql",
]

SQL_EXTRA: Final = "django-migrations-lint[sql]"
SQL_NOT_ANALYSED: Final = (
    f"`RunSQL` statements were not analysed: install `{SQL_EXTRA}` (PostgreSQL's parser, pglast) to check them"
)


@dataclass(frozen=True, slots=True)
class SqlStatement:
    """One thing a statement does, as PostgreSQL parses it. A statement doing several things (an ``ALTER TABLE``
    with several sub-commands, a ``DROP TABLE a, b``) gives one record per thing, each with the whole statement.

    ``kind`` is one of ``KINDS``. Names are as PostgreSQL resolves them: unquoted names folded to lower case.
    """

    kind: str
    text: str  # the whole statement as written, without the surrounding blanks
    entry: int  # which element of a list of statements (0 for a single string)
    offset: int  # where the statement starts in that element, in characters
    table: str | None = None
    schema: str | None = None  # the table's (or index's, type's) schema when written
    column: str | None = None
    name: str | None = None  # the index, constraint, enum type, schema or transaction command; a rename's new name
    object_type: str | None = None  # what a rename renames, or what builds an index: "table", "column", "constraint"
    value: str | None = None  # the enum value ``ALTER TYPE ... ADD VALUE`` adds
    concurrently: bool = False  # CREATE/DROP INDEX CONCURRENTLY
    not_valid: bool = False  # ADD CONSTRAINT ... NOT VALID
    not_null: bool = False  # ADD COLUMN ... NOT NULL
    has_default: bool = False  # ADD COLUMN with DEFAULT, identity, generated or serial: existing rows get a value
    new_column: bool = False  # a constraint written inline in ADD COLUMN


KINDS: Final = frozenset(
    {
        "add_column", "drop_column", "alter_column_type", "set_not_null", "add_foreign_key", "add_check",
        "create_table", "drop_table", "rename", "create_index", "drop_index", "alter_type_add_value",
        "transaction_control", "truncate", "drop_schema", "dml_insert", "dml_update", "dml_delete", "dml_merge",
        "set_default", "other",
    }
)
DML_KINDS: Final = frozenset({"dml_insert", "dml_update", "dml_delete", "dml_merge"})


# Whether the parser is there ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _parser() -> Callable[[str], str] | None:
    """pglast's ``parse_sql_json``, imported on first use; None without the ``[sql]`` extra."""
    try:
        from pglast.parser import parse_sql_json
    except ImportError:
        return None
    return parse_sql_json


def sql_parser_available() -> bool:
    """Whether ``RunSQL`` text can be analysed (the ``[sql]`` extra is installed)."""
    return _parser() is not None


# The SQL a RunSQL holds --------------------------------------------------------------------------------------


def written_sql(value: Value) -> Iterator[tuple[int, str | None, bool]]:
    """(entry, text, whether Django passes parameters) for each statement of a ``RunSQL`` ``sql``/``reverse_sql``
    value: a string, or a list of strings and ``(sql, params)`` pairs. The text is None when it is not a literal.
    ``RunSQL.noop`` and None hold nothing."""
    if value is None or (isinstance(value, Ref) and value.path.endswith("RunSQL.noop")):
        return
    if isinstance(value, str):
        yield 0, value, False
        return
    if not isinstance(value, tuple):
        yield 0, None, False
        return
    for entry, element in enumerate(value):
        if isinstance(element, str):
            yield entry, element, False
        elif isinstance(element, tuple) and len(element) == 2 and isinstance(element[0], str):
            yield entry, element[0], element[1] is not None
        else:
            yield entry, None, False


def run_sql_statements(value: Value) -> tuple[tuple[SqlStatement, ...], bool]:
    """The statements of a ``RunSQL`` ``sql`` or ``reverse_sql`` value, in order, and whether that is all of them
    (False when a part is not a literal, does not parse, or the parser is not installed)."""
    found: list[SqlStatement] = []
    complete = True
    for entry, text, with_params in written_sql(value):
        parsed = parse_sql(text, with_params) if text is not None else None
        if parsed is None:
            complete = False
            continue
        found.extend(statement if entry == 0 else replace(statement, entry=entry) for statement in parsed)
    return tuple(found), complete


# psycopg's placeholders, which PostgreSQL's grammar does not know: `%s`, `%(name)s`, and `%%` for a literal `%`.
_PLACEHOLDER: Final = re.compile(r"%(?:\([^)]*\))?s|%%")


def _without_placeholders(sql: str) -> str:
    """The SQL with each placeholder turned into a parameter reference of the same length, so that positions hold."""
    return _PLACEHOLDER.sub(lambda match: "% " if match[0] == "%%" else "$1".ljust(len(match[0])), sql)


@lru_cache(maxsize=512)
def parse_sql(sql: str, with_params: bool = False) -> tuple[SqlStatement, ...] | None:
    """The statements of one SQL text as Django runs it (with ``%s`` placeholders when Django passes parameters);
    None when the parser is missing or PostgreSQL would not accept the text."""
    parse = _parser()
    if parse is None:
        return None
    try:
        tree = json.loads(parse(_without_placeholders(sql) if with_params else sql))
    except Exception:  # pglast.parser.ParseError, and anything the C parser may raise on odd input
        return None
    encoded = sql.encode("utf-8", "surrogatepass")  # libpg_query's locations count bytes of UTF-8
    statements: list[SqlStatement] = []
    # A place in the bytes and the same place in characters, moved forwards from one statement to the next:
    # decoding everything before each statement was quadratic in the statements of a long script.
    byte_at = char_at = 0
    for raw in tree.get("stmts", ()):
        start = raw.get("stmt_location", 0)
        end = min(start + raw["stmt_len"] if raw.get("stmt_len") else len(encoded), len(encoded))
        if start < byte_at:  # not in order: count from the beginning
            byte_at = char_at = 0
        char_start = char_at + len(encoded[byte_at:start].decode("utf-8", "surrogatepass"))
        chunk = encoded[start:end].decode("utf-8", "surrogatepass")
        byte_at, char_at = max(start, end), char_start + len(chunk)
        offset = char_start + (len(chunk) - len(chunk.lstrip()))
        text = chunk.strip()
        ((node_type, node),) = raw["stmt"].items()
        records = list(_records(node_type, node))
        statements.extend(SqlStatement(kind, text, 0, offset, **fields) for kind, fields in records)
    return tuple(statements)


# From parse trees to records ---------------------------------------------------------------------------------

Fields = dict[str, Any]
_TRANSACTION_COMMANDS: Final = {
    "TRANS_STMT_BEGIN": "BEGIN", "TRANS_STMT_START": "START TRANSACTION", "TRANS_STMT_COMMIT": "COMMIT",
    "TRANS_STMT_ROLLBACK": "ROLLBACK", "TRANS_STMT_PREPARE": "PREPARE TRANSACTION",
    "TRANS_STMT_COMMIT_PREPARED": "COMMIT PREPARED", "TRANS_STMT_ROLLBACK_PREPARED": "ROLLBACK PREPARED",
}  # SAVEPOINT, RELEASE and ROLLBACK TO work inside the migration's transaction: not listed
_DML: Final = {"InsertStmt": "dml_insert", "UpdateStmt": "dml_update", "DeleteStmt": "dml_delete",
               "MergeStmt": "dml_merge"}
_RENAMED: Final = {"OBJECT_TABLE": "table", "OBJECT_COLUMN": "column", "OBJECT_INDEX": "index",
                   "OBJECT_TABCONSTRAINT": "constraint", "OBJECT_VIEW": "view", "OBJECT_SCHEMA": "schema",
                   "OBJECT_SEQUENCE": "sequence", "OBJECT_MATVIEW": "materialized view"}
# Column types whose values PostgreSQL computes for existing rows when the column is added.
_SERIAL_TYPES: Final = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})
_FILLING_CONSTRAINTS: Final = frozenset({"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"})


def _relation(node: Mapping[str, Any] | None) -> Fields:
    if not node:
        return {}
    return {"table": node.get("relname"), "schema": node.get("schemaname")}


def _names(items: list[Any]) -> list[str]:
    return [item["String"]["sval"] for item in items if "String" in item]


def _qualified(items: list[Any]) -> tuple[str | None, str | None]:
    """(schema, name) of a dotted name such as ``s.j`` in ``DROP INDEX s.j``."""
    names = _names(items)
    return (names[-2] if len(names) > 1 else None), (names[-1] if names else None)


def _records(node_type: str, node: Mapping[str, Any]) -> Iterator[tuple[str, Fields]]:
    if node_type == "AlterTableStmt" and node.get("objtype") == "OBJECT_TABLE":
        relation = _relation(node.get("relation"))
        for command in node.get("cmds", ()):
            yield from _alter_table_command(command.get("AlterTableCmd", {}), relation)
    elif node_type == "IndexStmt":
        yield "create_index", {**_relation(node.get("relation")), "name": node.get("idxname"),
                               "concurrently": bool(node.get("concurrent")), "object_type": "index"}
    elif node_type == "CreateStmt":
        yield "create_table", _relation(node.get("relation"))
    elif node_type == "DropStmt":
        yield from _drop(node)
    elif node_type == "RenameStmt" and node.get("renameType") in _RENAMED:
        yield "rename", {**_relation(node.get("relation")), "column": node.get("subname"),
                         "name": node.get("newname"), "object_type": _RENAMED[node["renameType"]]}
    elif node_type == "AlterEnumStmt" and node.get("newVal") is not None and node.get("oldVal") is None:
        schema, name = _qualified(node.get("typeName", []))
        yield "alter_type_add_value", {"schema": schema, "name": name, "value": node["newVal"]}
    elif node_type == "TransactionStmt" and node.get("kind") in _TRANSACTION_COMMANDS:
        yield "transaction_control", {"name": _TRANSACTION_COMMANDS[node["kind"]]}
    elif node_type == "TruncateStmt":
        for relation in node.get("relations", ()):
            yield "truncate", _relation(relation.get("RangeVar"))
    elif node_type in _DML:
        yield _DML[node_type], _relation(node.get("relation"))
    else:
        # A data-modifying WITH (`WITH moved AS (DELETE ...) SELECT ...`) changes rows whatever the outer query is.
        ctes = ((node.get("withClause") or {}).get("ctes") or ()) if isinstance(node, Mapping) else ()
        changing = [
            (_DML[inner_type], _relation(inner.get("relation")))
            for cte in ctes
            for inner_type, inner in (cte.get("CommonTableExpr", {}).get("ctequery") or {}).items()
            if inner_type in _DML
        ]
        yield from changing or [("other", {})]


def _alter_table_command(command: Mapping[str, Any], relation: Fields) -> Iterator[tuple[str, Fields]]:
    subtype = command.get("subtype")
    definition = command.get("def") or {}
    if subtype == "AT_AddColumn" and "ColumnDef" in definition:
        column = definition["ColumnDef"]
        constraints = [item["Constraint"] for item in column.get("constraints", ()) if "Constraint" in item]
        types = _names(column.get("typeName", {}).get("names", []))
        filled = bool(types and types[-1] in _SERIAL_TYPES) or any(
            c.get("contype") in _FILLING_CONSTRAINTS for c in constraints
        )
        not_null = any(c.get("contype") in ("CONSTR_NOTNULL", "CONSTR_PRIMARY") for c in constraints)
        name = column.get("colname")
        yield "add_column", {**relation, "column": name, "not_null": not_null, "has_default": filled}
        for constraint in constraints:
            yield from _constraint(constraint, {**relation, "column": name, "has_default": filled, "new_column": True})
    elif subtype == "AT_DropColumn":
        yield "drop_column", {**relation, "column": command.get("name")}
    elif subtype == "AT_AlterColumnType":
        types = _names(definition.get("ColumnDef", {}).get("typeName", {}).get("names", []))
        yield "alter_column_type", {**relation, "column": command.get("name"), "name": types[-1] if types else None}
    elif subtype == "AT_SetNotNull":
        yield "set_not_null", {**relation, "column": command.get("name")}
    elif subtype == "AT_ColumnDefault":  # SET DEFAULT (has_default, unless it is NULL) or DROP DEFAULT
        expression = definition
        while "TypeCast" in expression:
            expression = expression["TypeCast"].get("arg") or {}
        is_null = expression.get("A_Const", {}).get("isnull") is True
        has_default = bool(definition) and not is_null
        yield "set_default", {**relation, "column": command.get("name"), "has_default": has_default}
    elif subtype == "AT_AddConstraint" and "Constraint" in definition:
        yield from _constraint(definition["Constraint"], relation)
    else:
        yield "other", relation


def _constraint(constraint: Mapping[str, Any], where: Fields) -> Iterator[tuple[str, Fields]]:
    kind = constraint.get("contype")
    fields = {**where, "name": constraint.get("conname"), "not_valid": bool(constraint.get("skip_validation"))}
    if kind == "CONSTR_FOREIGN":
        columns = _names(constraint.get("fk_attrs", []))
        yield "add_foreign_key", {**fields, "column": where.get("column") or (columns[0] if columns else None)}
    elif kind == "CONSTR_CHECK":
        yield "add_check", fields
    elif kind in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") and not constraint.get("indexname"):
        # A unique constraint or primary key builds its index under the table's lock (unless USING INDEX).
        yield "create_index", {**where, "name": constraint.get("conname"), "object_type": "constraint"}


def _drop(node: Mapping[str, Any]) -> Iterator[tuple[str, Fields]]:
    remove_type = node.get("removeType")
    objects = node.get("objects", ())
    if remove_type == "OBJECT_SCHEMA":
        for item in objects:
            yield "drop_schema", {"name": item.get("String", {}).get("sval")}
        return
    if remove_type not in ("OBJECT_TABLE", "OBJECT_INDEX"):
        yield "other", {}
        return
    for item in objects:
        schema, name = _qualified(item.get("List", {}).get("items", []))
        if remove_type == "OBJECT_TABLE":
            yield "drop_table", {"table": name, "schema": schema}
        else:
            yield "drop_index", {"name": name, "schema": schema, "concurrently": bool(node.get("concurrent"))}


# Quoting a statement in a message ----------------------------------------------------------------------------

_LEADING_COMMENTS: Final = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
_QUOTE_LENGTH: Final = 80


def quote_statement(text: str) -> str:
    """A statement as a message quotes it: comments before it dropped, blanks collapsed, long ones shortened."""
    words = " ".join(_LEADING_COMMENTS.sub("", text).split()).rstrip(";").replace("`", "'")
    return words if len(words) <= _QUOTE_LENGTH else words[: _QUOTE_LENGTH - 3].rstrip() + "..."


# Without the parser ------------------------------------------------------------------------------------------

_ROW_CHANGING_STATEMENTS: Final = frozenset({"insert", "update", "delete", "merge"})
# Comments and quoted text are skipped whole, so that a keyword inside them is not a statement's keyword.
_SQL_TOKENS: Final = re.compile(
    r"""--[^\n]*
    | /\*.*?(?:\*/|\Z)
    | '(?:[^']|'')*'?
    | "(?:[^"]|"")*"?
    | `[^`]*`?
    | \$(?P<tag>[A-Za-z_]\w*|)\$.*?(?:\$(?P=tag)\$|\Z)
    | (?P<word>[A-Za-z_][\w$]*)
    | (?P<end>;)""",
    re.DOTALL | re.VERBOSE,
)


def changes_rows_by_keywords(sql: str) -> bool:
    """Without the parser: whether a statement of ``sql`` starts with ``INSERT``, ``UPDATE``, ``DELETE`` or
    ``MERGE``, or is a ``WITH`` query that holds one (a data-modifying common table expression). Works for the
    SQL of any database, which the parser (PostgreSQL's) does not."""
    words: list[str] = []
    for token in _SQL_TOKENS.finditer(sql + ";"):
        if token["word"]:
            words.append(token["word"].lower())
        elif token["end"]:
            if words and (
                words[0] in _ROW_CHANGING_STATEMENTS
                or (words[0] == "with" and not _ROW_CHANGING_STATEMENTS.isdisjoint(words))
            ):
                return True
            words = []
    return False

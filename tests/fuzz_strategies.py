"""Hypothesis strategies for ``tests/test_fuzz.py``: migration modules and whole Django project trees.

Everything is generated as source text from small pools of names, so that the pieces of a tree refer to each other
(dependencies on the tree's own migrations, models that other apps read) and the graph and state rules have
something to find: cycles, missing targets, squashes of squashes, ``replaces`` loops, ``__first__`` and
``__latest__``, swappable dependencies, odd names and labels. The text then goes through an encoding (UTF-8, a BOM,
latin-1 with a coding cookie, bytes Python cannot decode, an unknown cookie, other line endings) and sometimes a
corruption (truncation, an empty file). ``PATHOLOGICAL`` modules add deep nesting and huge literals.

Half the apps of a tree are "clean": only literal values the rules can read, and dependencies on earlier migrations
only, so that the graph and state rules are not silenced by something unknown and have a history to follow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

__all__ = [
    "Context",
    "Tree",
    "migration_modules",
    "migration_source",
    "module_bytes",
    "pathological_source",
    "project_trees",
    "settings_packages",
]

# Pools -------------------------------------------------------------------------------------------------------------

APP_FOLDERS = ("shop", "orders", "accounts", "billing", "café", "データ", "Ωmega", "app_1", "1st", "_private", "auth")
# Folders a walk may skip (hidden, build output, virtualenv-ish, egg metadata): flake8 still lints what is in them.
ODD_APP_FOLDERS = ("build", "dist", "node_modules", "site-packages", ".hidden", "legacy.egg-info", "pkg.egg")
SKIPPED_BY_DISCOVERY = frozenset({"build", "dist", "node_modules", "site-packages", "__pycache__"})
APP_PARENTS = ("", "", "", "src/", "project/apps/", "shop/")
LABELS = ("store", "shop", "orders", "auth", "lbl_ü", "Label", "1label", "")
EXTERNAL_APPS = ("auth", "contenttypes", "ghost")
# The first names come up most, so that one migration often reads what another creates, alters or removes.
MODELS = ("Order", "Order", "Order", "Product", "Product", "Customer", "User", "Ünïcode")
FIELDS = ("price", "price", "price", "name", "name", "legacy", "customer", "status", "é")
NUMBERS = ("0001", "0002", "0003", "0004", "0005", "0010", "0100", "1")
SUFFIXES = (
    "initial", "auto_20230101_1234", "merge", "merge_20240101_0000", "squashed_0001_0003", "add_price", "café",
    "データ", "x copy", "",
)
# Django's loader skips modules starting with `_` or `~`; the others are odd but loadable.
ODD_NAMES = ("_0009_hidden", "~0009_tmp", "__0009", "merge", "ünï", "0001", "0001_initial_squashed_0002_x")
NOQA = (
    "", "", "", "", "  # noqa", "  # noqa: DJM202", "  # noqa:DJM1,DJM3", "  # NOQA: djm101", "  # noqa : DJM104",
    "  # noqa: E501", "  # noqa:DJM2 DJM4", "  # noqa:DJM", "  # not a noqa",
)
# Characters that str.splitlines() treats as line breaks and Python's tokenizer does not (inside strings/comments).
ODD_LINE_BREAKS = ("\x0c", "\x0b", "\x1c", "\x85", "\u2028", "\u2029")
SWAPPABLE_ENTRIES = (
    "migrations.swappable_dependency(settings.AUTH_USER_MODEL)",
    "migrations.swappable_dependency(settings.OTHER_MODEL)",
    "swappable_dependency(settings.AUTH_USER_MODEL)",
    "migrations.swappable_dependency(AUTH_USER_MODEL)",
    "migrations.swappable_dependency('auth.User')",
)
JUNK_ENTRIES = ("('solo',)", "None", "'x'", "('a', 1)", "('a', 'b', 'c')", "deps()", "*extra", "('', '')", "[]")
SQL = (
    "'UPDATE t SET x = 1'",
    "'CREATE INDEX CONCURRENTLY idx ON t (x)'",
    "'''\nCREATE INDEX CONCURRENTLY idx\n    ON t (x);  -- noqa\n'''",
    "['SELECT 1', ('SELECT %s', [1])]",
    "migrations.RunSQL.noop",
    "''",
    "'DROP TABLE t'",
    "sql_from_elsewhere()",
    "'ALTER TABLE t ADD COLUMN c int NOT NULL'",
)
FIELD_CLASSES = (
    "models.CharField", "models.IntegerField", "models.BigIntegerField", "models.TextField", "models.BooleanField",
    "models.DecimalField", "models.ForeignKey", "models.AutoField", "models.DateTimeField", "custom.JSONField",
    "models.PositiveIntegerField", "models.SlugField", "models.OneToOneField", "models.ManyToManyField",
)


def _pick(draw: st.DrawFn, options: Sequence[str]) -> str:
    return draw(st.sampled_from(tuple(options)))


def _count(draw: st.DrawFn, low: int, high: int) -> int:
    return draw(st.integers(low, high))


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True one time in ``n``; False is the shrink target, so a failing example shrinks towards the plain case."""
    return draw(st.integers(0, n - 1)) == n - 1


# The helpers below take ``draw`` and return text, rather than being composite strategies: building a strategy
# object per call made generating a tree three times slower (Hypothesis validates every new strategy).


# Context: what a migration can refer to --------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """The tree around one migration module: its own app, and the keys it may depend on or replace."""

    own_labels: tuple[str, ...] = ("shop",)
    labels: tuple[str, ...] = ("shop", "orders")
    own_keys: tuple[tuple[str, str], ...] = (("shop", "0001_initial"), ("shop", "0002_add_price"))
    keys: tuple[tuple[str, str], ...] = (
        ("shop", "0001_initial"), ("shop", "0002_add_price"), ("orders", "0001_initial"),
    )
    # Only what the rules can read (no junk, no computed values, no broken files), so that the graph and state
    # rules of the app are not silenced by something unknown; ``keys`` are then the earlier migrations only.
    clean: bool = False


DEFAULT_CONTEXT = Context()
_TARGET_NAMES = ("__first__", "__latest__", "0099_missing", "0001_initial", "ünï")


def _key_entry(draw: st.DrawFn, ctx: Context, own: bool = False) -> str:
    keys = ctx.own_keys if own and ctx.own_keys else ctx.keys
    if ctx.clean:  # earlier migrations only: the app adds no cycle of its own
        return repr(keys[draw(st.integers(0, len(keys) - 1))]) if keys else "('contenttypes', '0001_initial')"
    kind = draw(st.integers(0, 11))  # mostly keys of the tree, so that the graph has edges, cycles, replacements
    if kind <= 6 and keys:
        return repr(keys[draw(st.integers(0, len(keys) - 1))])
    if kind <= 8 or (own and kind <= 10):
        labels = ctx.own_labels if own else (*ctx.own_labels, *ctx.labels, *EXTERNAL_APPS)
        return repr((_pick(draw, labels), _pick(draw, _TARGET_NAMES)))
    if kind <= 10:
        return _pick(draw, SWAPPABLE_ENTRIES)
    return _pick(draw, JUNK_ENTRIES)  # makes the app's graph unknown: rules stay silent for it


_LIST_SHAPES = ("list",) * 5 + ("tuple", "trailing", "multiline", "multiline", "computed", "set")


def _entry_list(draw: st.DrawFn, ctx: Context, own: bool = False) -> str:
    entries = [_key_entry(draw, ctx, own) for _ in range(_count(draw, 0, 4))]
    shape = _pick(draw, _LIST_SHAPES[:-2] if ctx.clean else _LIST_SHAPES)
    inner = ", ".join(entries)
    if shape == "tuple":
        return f"({inner}{',' if len(entries) == 1 else ''})"
    if shape == "trailing":
        return f"[{inner},]" if entries else "[]"
    if shape == "multiline":
        noqa = _pick(draw, NOQA)
        return "[\n" + "".join(f"        {entry},{noqa}\n" for entry in entries) + "    ]"
    if shape == "computed":
        return f"deps() + [{inner}]"
    if shape == "set" and entries:
        return "{" + inner + "}"
    return f"[{inner}]"


# Fields, operations, functions -----------------------------------------------------------------------------------

_FIELD_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "null": ("True", "False", "1", "flag"),
    "default": ("0", "''", "None", "timezone.now", "dict", "1.5", "b'x'", "-1", "(1, 2)"),
    "db_default": ("Value(1)", "0", "models.functions.Now()", "None"),
    "max_length": ("10", "255", "20", "-1", "0x" + "f" * 40, "1e3", "length"),
    "blank": ("True",),
    "db_index": ("True", "False"),
    "unique": ("True",),
    "primary_key": ("True",),
    "max_digits": ("5", "10"),
    "decimal_places": ("2", "0"),
    "db_column": ("'col'", "'é'"),
    "serialize": ("False",),
}
_FIELD_OPTION_NAMES = tuple(sorted(_FIELD_OPTIONS))
_RELATIONS = ("models.ForeignKey", "models.OneToOneField", "models.ManyToManyField")


def _field(draw: st.DrawFn, ctx: Context) -> str:
    cls = _pick(draw, FIELD_CLASSES)
    args: list[str] = []
    if cls in _RELATIONS:
        if _one_in(draw, 3):
            target = _pick(draw, ("settings.AUTH_USER_MODEL", "'self'", "'Order'", "Order"))
        else:
            target = repr(f"{_pick(draw, (*ctx.labels, *EXTERNAL_APPS))}.{_pick(draw, MODELS)}")
        positional = draw(st.booleans())
        args.append(target if positional else f"to={target}")
        if cls != "models.ManyToManyField":
            args.append(_pick(draw, ("on_delete=models.CASCADE", "on_delete=x",
                                     *(("models.SET_NULL",) if positional else ()))))
    names: list[str] = []
    for _ in range(_count(draw, 0, 4)):
        name = _pick(draw, _FIELD_OPTION_NAMES)
        if name not in names:
            names.append(name)
    args += [f"{name}={_pick(draw, _FIELD_OPTIONS[name])}" for name in names]
    if not ctx.clean and _one_in(draw, 10):
        args.append("**extra")
    return f"{cls}({', '.join(args)})"


def _model(draw: st.DrawFn, lower: bool) -> str:
    name = _pick(draw, MODELS)
    return repr(name.lower() if lower else name)


def _call(draw: st.DrawFn, callee: str, params: Sequence[tuple[str, str]], drop: bool, extra: str = "") -> str:
    """Arguments in Django's order: the first few positional, the rest as keywords, one sometimes left out."""
    params = list(params)
    if drop and params and _one_in(draw, 12):
        del params[_count(draw, 0, len(params) - 1)]
    positional = _count(draw, 0, len(params))
    parts = [value for _, value in params[:positional]]
    parts += [f"{name}={value}" for name, value in params[positional:]]
    if extra:
        parts.append(extra)
    return f"{callee}({', '.join(parts)})"


_RUN_PYTHON_CODE = (
    "migrations.RunPython.noop",
    "lambda apps, schema_editor: None",
    "lambda apps, se: apps.get_model('shop', 'Order').objects.all().delete()",
    "undefined_function",
    "helpers.forwards",
    "None",
)
_OPERATIONS = (
    "CreateModel", "CreateModel", "AddField", "AddField", "RemoveField", "DeleteModel", "RenameField", "AlterField",
    "AlterField", "RenameModel", "AlterModelTable", "AddIndex", "AddIndexConcurrently", "RunPython", "RunPython",
    "RunPython", "RunSQL", "Unknown", "Junk",
)
_NESTING_OPERATIONS = (*_OPERATIONS, "SeparateDatabaseAndState", "RunSQL")
_UNKNOWN_OPERATIONS = (
    "helpers.CustomOperation()", "migrations.AlterUniqueTogether(name='order', unique_together={('a', 'b')})",
    "migrations.AddConstraint('order', models.CheckConstraint(check=models.Q(x__gt=0), name='c'))",
    "migrations.RemoveIndex('order', 'idx_0')", "migrations.RunPython(*args, **kwargs)", "make_op()",
    "migrations.AlterField()", "migrations.RemoveField(1, 2)", "migrations.RunSQL(sql=None)",
)
_JUNK_OPERATIONS = ("None", "lambda: 1", "*ops", "1", "'RemoveField'", "migrations", "[]")


def _operations(draw: st.DrawFn, ctx: Context, functions: Sequence[str], depth: int, most: int) -> list[str]:
    return [_operation(draw, ctx, functions, depth) for _ in range(_count(draw, 0, most))]


def _operation(draw: st.DrawFn, ctx: Context, functions: Sequence[str] = (), depth: int = 0) -> str:
    kind = _pick(draw, _NESTING_OPERATIONS if depth < 3 else _OPERATIONS)
    drop = not ctx.clean  # leave out an argument now and then
    if ctx.clean and kind in ("Unknown", "Junk"):
        kind = "RemoveField"
    field_name = repr(_pick(draw, FIELDS))
    if kind == "CreateModel":
        fields = [f"({_pick(draw, FIELDS)!r}, {_field(draw, ctx)})" for _ in range(_count(draw, 0, 3))]
        params = [("name", _model(draw, False)), ("fields", f"[{', '.join(fields)}]")]
        options = _pick(draw, ("", "", "{'db_table': 't'}", "{'swappable': 'AUTH_USER_MODEL'}"))
        if options:
            params.append(("options", options))
        return _call(draw, "migrations.CreateModel", params, drop)
    if kind in ("AddField", "AlterField"):
        params = [("model_name", _model(draw, True)), ("name", field_name), ("field", _field(draw, ctx))]
        if draw(st.booleans()):
            params.append(("preserve_default", _pick(draw, ("False", "True"))))
        return _call(draw, f"migrations.{kind}", params, drop)
    if kind == "RemoveField":
        params = [("model_name", _model(draw, True)), ("name", field_name)]
        return _call(draw, "migrations.RemoveField", params, drop)
    if kind == "DeleteModel":
        return _call(draw, "migrations.DeleteModel", [("name", _model(draw, False))], drop)
    if kind == "RenameField":
        params = [("model_name", _model(draw, True)), ("old_name", field_name),
                  ("new_name", repr(_pick(draw, FIELDS)))]
        return _call(draw, "migrations.RenameField", params, drop)
    if kind == "RenameModel":
        params = [("old_name", _model(draw, False)), ("new_name", _model(draw, False))]
        return _call(draw, "migrations.RenameModel", params, drop)
    if kind == "AlterModelTable":
        params = [("name", _model(draw, True)), ("table", "'new_table'")]
        return _call(draw, "migrations.AlterModelTable", params, drop)
    if kind in ("AddIndex", "AddIndexConcurrently"):
        index = f"models.Index(fields=[{field_name}], name='idx_{_count(draw, 0, 3)}')"
        callee = "migrations.AddIndex" if kind == "AddIndex" else "AddIndexConcurrently"
        return _call(draw, callee, [("model_name", _model(draw, True)), ("index", index)], drop)
    if kind == "RunPython":
        pool = (*functions, *functions, *functions, *functions, *_RUN_PYTHON_CODE)
        params = [("code", _pick(draw, pool))]
        if draw(st.booleans()):
            params.append(("reverse_code", _pick(draw, pool)))
        extra = _pick(draw, ("", "", "elidable=True", "atomic=False", "hints={'model_name': 'order'}"))
        return _call(draw, "migrations.RunPython", params, drop, extra)
    if kind == "RunSQL":
        params = [("sql", _pick(draw, SQL))]
        if draw(st.booleans()):
            params.append(("reverse_sql", _pick(draw, SQL)))
        if depth < 3 and _one_in(draw, 3):
            nested = _operations(draw, ctx, functions, depth + 1, 2)
            params.append(("state_operations", f"[{', '.join(nested)}]"))
        return _call(draw, "migrations.RunSQL", params, drop)
    if kind == "SeparateDatabaseAndState":
        database = _operations(draw, ctx, functions, depth + 1, 2)
        state = _operations(draw, ctx, functions, depth + 1, 2)
        params = [("database_operations", f"[{', '.join(database)}]"), ("state_operations", f"[{', '.join(state)}]")]
        return _call(draw, "migrations.SeparateDatabaseAndState", params, drop)
    if kind == "Unknown":
        return _pick(draw, _UNKNOWN_OPERATIONS)
    return _pick(draw, _JUNK_OPERATIONS)


_VARIABLES = ("M", "M", "M", "Order", "Model_", "ü")
_SIDE_EFFECTS = (
    "requests.get('https://example.com')", "send_mail('s', 'm', 'f', ['t'])", "task.delay()",
    "urllib.request.urlopen('http://x')", "mail.send_mass_mail(())",
)
_ALIASES = ("Order", "apps", "None", "M.objects")


def _statement(draw: st.DrawFn, ctx: Context, depth: int = 0, kind: int | None = None) -> list[str]:
    """One statement of a data migration function, as lines; compound ones hold a few more."""
    kind = _count(draw, 0, 17 if depth < 2 else 14) if kind is None else kind
    var = "M" if ctx.clean else _pick(draw, _VARIABLES)
    if kind <= 1:
        label, model = _pick(draw, (*ctx.labels, *ctx.own_labels, *EXTERNAL_APPS)), _pick(draw, MODELS)
        return [f"{var} = apps.get_model({label!r}, {model!r})" if kind == 0
                else f"{var} = apps.get_model('{label}.{model}')"]
    if kind == 6:
        return [_pick(draw, _SIDE_EFFECTS)]
    if kind == 8:
        label, model = _pick(draw, (*ctx.labels, *ctx.own_labels, *EXTERNAL_APPS)), _pick(draw, MODELS)
        if label.isidentifier():
            return [f"from {label}.models import {model}",
                    f"{model}.objects.filter({_pick(draw, FIELDS)}__isnull=True)"]
        return [f"{var}.objects.filter({_pick(draw, FIELDS)}__isnull=True)"]
    if kind == 9:
        return ["helper = lambda apps, schema_editor: apps.get_model('shop', 'Order')"]
    if kind == 11:
        return ["return None"]
    if kind == 12:
        return [f"{var} = {_pick(draw, _ALIASES)}"]
    if kind == 14:
        return ["pass"]
    field_name, other = _pick(draw, FIELDS), _pick(draw, FIELDS)
    if kind == 2:
        return [f"{var}.objects.filter({field_name}=1).update({other}=F({field_name!r}))"]
    if kind == 3:
        return [f"for obj in {var}.objects.all():", f"    obj.{field_name} = obj.{other}", "    obj.save()"]
    if kind == 4:
        return [f"{var}.objects.using(schema_editor.connection.alias).values_list({field_name!r}, flat=True)"]
    if kind == 5:
        return [f"[o.save() for o in {var}.objects.iterator()]"]
    if kind == 7:
        return [f"{var}.objects.bulk_create([{var}({field_name}=1)])"]
    if kind == 10:
        return [f"{var}.objects.select_related({other!r}).order_by({field_name!r}).first().{field_name}"]
    if kind == 13:
        return [f"{var}.objects.db_manager('other').get(pk=1).{field_name}"]
    body = [line for _ in range(_count(draw, 1, 2)) for line in _statement(draw, ctx, depth + 1)]
    header = _pick(draw, (
        "def inner():", f"if {var}.objects.exists():", "with transaction.atomic():", "try:", "while False:",
        f"for x in {var}.objects.values({field_name!r}):",
    ))
    lines = [header, *("    " + line for line in body)]
    if header == "try:":
        lines += ["except Exception:", "    pass"]
    return lines


_PARAMETERS = ("apps, schema_editor", "apps, se", "*args", "apps, schema_editor, extra=1", "")
_DEF = ("def", "def", "def", "async def", "@decorator\ndef")


def _function(draw: st.DrawFn, name: str, ctx: Context) -> str:
    params = _PARAMETERS[0] if ctx.clean else _pick(draw, _PARAMETERS)
    body = [] if _one_in(draw, 4) else _statement(draw, ctx, kind=0)  # mostly `M = apps.get_model(...)` first
    body += [line for _ in range(_count(draw, 0, 4)) for line in _statement(draw, ctx)]
    return f"{_pick(draw, _DEF)} {name}({params}):\n" + "".join(f"    {line}\n" for line in body or ["pass"])


# A whole migration module ------------------------------------------------------------------------------------------

_HEADERS = ("", "", "#!/usr/bin/env python", "# Generated by Django 4.2 on 2024-01-01")
_IMPORTS = (
    "from django.db import migrations, models",
    "from django.db import migrations, models",
    "from django.db import migrations\nfrom django.db import models",
    "import django.db.migrations as migrations\nimport django.db.models as models",
    "from django.db import migrations, models as m",
    "from django.db import models",
)
_EXTRA_IMPORTS = (
    "from django.contrib.postgres.operations import AddIndexConcurrently",
    "import requests",
    "from django.core.mail import send_mail",
    "from django.db.migrations import swappable_dependency",
    "from django_safemigrate import Safe",
    "from syzygy import Stage",
    "from django.db.models import F, Value",
    "from django.db import transaction",
)
_DEPLOY = ("safe = Safe.after_deploy()", "safe = Safe.before_deploy()", "stage = Stage.POST_DEPLOY", "safe = Safe")
_LAYOUTS = ("lines",) * 6 + ("one_line", "one_line", "tuple", "computed", "annotated", "augmented")
_BASES = ("migrations.Migration",) * 6 + ("Migration", "object", "")
_WRAPPERS = ("plain",) * 10 + ("if", "if_else", "try", "twice", "renamed")


def _migration(draw: st.DrawFn, ctx: Context) -> str:
    imports = _IMPORTS[:1] if ctx.clean else _IMPORTS
    lines = [_pick(draw, _HEADERS), "from django.conf import settings", _pick(draw, imports)]
    lines += sorted({_pick(draw, _EXTRA_IMPORTS) for _ in range(_count(draw, 0, 5))})
    if _one_in(draw, 4):
        label = _pick(draw, (*ctx.labels, *ctx.own_labels))
        if label.isidentifier():
            lines.append(f"from {label}.models import {_pick(draw, MODELS)}")
    lines.append("")
    functions = [f"forwards_{i}" if i % 2 else f"función_{i}" for i in range(_count(draw, 0, 2))]
    for name in functions:
        lines += ["", _function(draw, name, ctx)]

    blocks: list[list[str]] = []  # class attributes, each a few lines, in source order
    if draw(st.booleans()):
        blocks.append([f"initial = {_pick(draw, ('True', 'False', '1', 'is_initial()')[:2 if ctx.clean else 4])}"])
    if _one_in(draw, 4):
        blocks.append([f"atomic = {_pick(draw, ('False', 'True', '0')[:2 if ctx.clean else 3])}"])
    if _one_in(draw, 6 if ctx.clean else 3):
        blocks.append(f"replaces = {_entry_list(draw, ctx, own=not _one_in(draw, 4))}".splitlines())
    blocks.append(f"dependencies = {_entry_list(draw, ctx)}".splitlines())
    if not ctx.clean and _one_in(draw, 4):  # run_before on an earlier migration would make a cycle
        blocks.append(f"run_before = {_entry_list(draw, ctx)}".splitlines())
    if _one_in(draw, 6):
        blocks.append([_pick(draw, _DEPLOY)])
    operations = _operations(draw, ctx, functions, 0, 4)
    layout = _pick(draw, _LAYOUTS[:8] if ctx.clean else _LAYOUTS)
    if layout == "one_line":
        blocks.append([f"operations = [{', '.join(operations)}]{_pick(draw, NOQA)}"])
    elif layout == "tuple":
        blocks.append([f"operations = ({''.join(op + ', ' for op in operations)})"])
    elif layout == "computed":
        blocks.append([f"operations = ops() + [{', '.join(operations)}]"])
    elif layout == "augmented":
        blocks += [["operations = []"], [f"operations += [{', '.join(operations)}]"]]
    else:
        head = "operations: list = [" if layout == "annotated" else "operations = ["
        lines_of_ops = [f"    {op},{_pick(draw, NOQA)}" for op in operations]
        blocks.append("\n".join([head, *lines_of_ops, "]"]).splitlines())
    if _one_in(draw, 5):
        blocks = draw(st.permutations(blocks))
    body = [line for block in blocks for line in block]
    if not ctx.clean and _one_in(draw, 12):  # class attributes set only on one branch
        split = sum(len(block) for block in blocks[: _count(draw, 0, len(blocks) - 1)])
        body = [*body[:split], "if settings.DEBUG:", *("    " + line for line in body[split:])]

    base = _pick(draw, _BASES[:1] if ctx.clean else _BASES)
    klass = [f"class Migration({base}):" if base else "class Migration:", *("    " + line for line in body)]
    wrapper = _pick(draw, _WRAPPERS[:1] if ctx.clean else _WRAPPERS)
    if wrapper == "if":
        klass = ["if True:", *("    " + line for line in klass)]
    elif wrapper == "if_else":
        klass = ["if settings.DEBUG:", *("    " + line for line in klass), "else:",
                 "    class Migration(migrations.Migration):", "        operations = []"]
    elif wrapper == "try":
        klass = ["try:", *("    " + line for line in klass), "except ImportError:", "    pass"]
    elif wrapper == "twice":
        klass = [*klass, "", "", "class Migration(migrations.Migration):", "    dependencies = []"]
    elif wrapper == "renamed":
        klass[0] = klass[0].replace("class Migration", "class NotAMigration")
    if _one_in(draw, 5):  # a character str.splitlines() breaks on and Python does not, before the class
        breaker = _pick(draw, ODD_LINE_BREAKS)
        lines.append(_pick(draw, (f"# comment{breaker}more", f"_ = 'x{breaker}y'  # noqa")))
    lines += ["", "", *klass]
    return "\n".join(lines) + "\n"


@st.composite
def migration_source(draw: st.DrawFn, ctx: Context = DEFAULT_CONTEXT) -> str:
    """The text of a migration module that Django could plausibly load, with everything a rule reads."""
    return _migration(draw, ctx)


# Deep nesting, huge literals ---------------------------------------------------------------------------------------

# Each kind with the largest size drawn (a depth, a count, a length): inside a whole tree, and for a single module.
# Python itself refuses some of the largest (200 nested brackets, 100 indentation levels, 4,300 decimal digits).
PATHOLOGICAL: Mapping[str, tuple[int, int]] = {
    "deep_parens": (60, 210),
    "deep_lists": (60, 210),
    "deep_separate_database_and_state": (20, 110),
    "deep_attribute_operation": (100, 1200),
    "deep_expression_in_function": (100, 1200),
    "deep_call_chain_in_function": (100, 1200),
    "deep_nested_functions": (20, 99),
    "deep_module_if": (20, 99),
    "many_operations": (200, 4000),
    "many_dependencies": (200, 4000),
    "huge_string": (10_000, 2_000_000),
    "huge_hex_max_length": (200, 20_000),
    "huge_decimal": (100, 6000),
    "long_line": (1000, 200_000),
}

_HEAD = "from django.db import migrations, models\n\n\n"


def _in_migration(operations: str = "[]", dependencies: str = "[]") -> str:
    return f"class Migration(migrations.Migration):\n    dependencies = {dependencies}\n    operations = {operations}\n"


def _in_function(expression: str) -> str:
    return (
        f"def forwards(apps, schema_editor):\n    M = apps.get_model('shop', 'Order')\n    x = {expression}\n\n\n"
        + _in_migration("[migrations.RunPython(forwards, migrations.RunPython.noop)]")
    )


@st.composite
def pathological_source(draw: st.DrawFn, sizes: Mapping[str, tuple[int, int]] = PATHOLOGICAL,
                        in_tree: bool = False) -> str:
    """A migration module at the edges of what Python parses, of one of the kinds in ``sizes``."""
    return _pathological(draw, sizes, in_tree)


def _pathological(draw: st.DrawFn, sizes: Mapping[str, tuple[int, int]], in_tree: bool) -> str:
    kind = _pick(draw, sorted(sizes))
    n = _count(draw, 1, sizes[kind][0 if in_tree else 1])
    if kind == "deep_parens":
        return _HEAD + _in_migration("[" + "(" * n + "migrations.RemoveField('order', 'x')" + ")" * n + "]")
    if kind == "deep_lists":
        return _HEAD + _in_migration(dependencies="[" * n + "('shop', '0001_initial')" + "]" * n)
    if kind == "deep_separate_database_and_state":
        inner = "migrations.RemoveField('order', 'x')"
        for level in range(n):
            side = "database_operations" if level % 2 else "state_operations"
            inner = f"migrations.SeparateDatabaseAndState({side}=[{inner}])"
        return _HEAD + _in_migration(f"[{inner}]")
    if kind == "deep_attribute_operation":
        return _HEAD + _in_migration("[migrations" + ".RunPython" * n + "(f)]")
    if kind == "deep_expression_in_function":
        shape = draw(st.sampled_from(("+", "not", "[0]", "lambda", "-")))
        expression = {
            "+": " + ".join(["M.objects.count()"] * n),
            "not": "not " * n + "M",
            "[0]": "M" + "[0]" * n,
            "lambda": "lambda: " * n + "M",
            "-": "-" * n + "1",
        }[shape]
        return _HEAD + _in_function(expression)
    if kind == "deep_call_chain_in_function":
        return _HEAD + _in_function("M.objects" + ".filter(x=1)" * n + ".update(y=2)")
    if kind == "deep_nested_functions":
        body = "".join("    " * level + f"def f{level}(apps, schema_editor):\n" for level in range(n))
        body += "    " * n + "apps.get_model('shop', 'Order').objects.all().delete()\n\n\n"
        return _HEAD + body + _in_migration("[migrations.RunPython(f0)]")
    if kind == "deep_module_if":
        lines = ["    " * level + "if True:" for level in range(n)]
        klass = _in_migration("[migrations.RemoveField('order', 'x')]").splitlines()
        lines += ["    " * n + line for line in klass]
        return _HEAD + "\n".join(lines) + "\n"
    if kind == "many_operations":
        removals = "".join(f"        migrations.RemoveField('order', 'f{i}'),\n" for i in range(n))
        return _HEAD + _in_migration(f"[\n{removals}    ]")
    if kind == "many_dependencies":
        entries = ", ".join(f"('a{i % 7}', '{i:04d}_x')" for i in range(n))
        return _HEAD + _in_migration(dependencies=f"[{entries}]")
    if kind == "huge_string":
        return _HEAD + _in_migration(f"[migrations.RunSQL('{'x' * n}')]")
    if kind == "huge_hex_max_length":
        hex_literal = "0x" + "f" * n
        return _HEAD + _in_migration(
            f"[migrations.AlterField('order', 'name', models.CharField(max_length={hex_literal})),\n"
            f"     migrations.AddField('order', 'x',\n"
            f"                         models.CharField(max_length={hex_literal}, default={hex_literal}))]"
        )
    if kind == "huge_decimal":
        return _HEAD + _in_migration(f"[migrations.AddField('order', 'x', models.IntegerField(default={'9' * n}))]")
    return _HEAD + _in_migration("[migrations.RunSQL('SELECT 1'), " + " " * n + "migrations.RemoveField('o', 'x')]")


# Encodings and corruptions -----------------------------------------------------------------------------------------

ENCODINGS = ("utf-8",) * 12 + (
    "bom", "latin-1-cookie", "cookie-on-line-2", "crlf", "cr", "invalid-utf-8", "unknown-cookie",
    "bom-with-latin-1-cookie", "utf-16-cookie", "null-byte",
)


def _encode(draw: st.DrawFn, source: str, encodings: Sequence[str]) -> bytes:
    """``source`` as the bytes of a file, in one of several encodings, some of which Python cannot read."""
    encoding = _pick(draw, encodings)
    if encoding == "bom":
        return b"\xef\xbb\xbf" + source.encode("utf-8")
    if encoding == "latin-1-cookie":
        text = "# -*- coding: latin-1 -*-\n# caf\xe9 \xb5\n" + source
        return text.encode("latin-1", errors="backslashreplace")
    if encoding == "cookie-on-line-2":
        text = "#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\n" + source
        return text.encode("latin-1", errors="backslashreplace")
    if encoding == "crlf":
        return source.replace("\n", "\r\n").encode("utf-8")
    if encoding == "cr":
        return source.replace("\n", "\r").encode("utf-8")
    if encoding == "invalid-utf-8":
        lines = source.encode("utf-8").split(b"\n")
        at = _count(draw, 0, len(lines))
        return b"\n".join([*lines[:at], b"# \xff\xfe not utf-8 \xe9", *lines[at:]])
    if encoding == "unknown-cookie":
        return b"# -*- coding: klingon -*-\n" + source.encode("utf-8")
    if encoding == "bom-with-latin-1-cookie":
        return b"\xef\xbb\xbf# coding: latin-1\n" + source.encode("utf-8")
    if encoding == "utf-16-cookie":
        return b"# coding: utf-16\n" + source.encode("utf-8")
    if encoding == "null-byte":
        data = source.encode("utf-8")
        at = _count(draw, 0, len(data))
        return data[:at] + b"\x00" + data[at:]
    return source.encode("utf-8")


_BROKEN = ("", "\n", "# only a comment\n", "   \n\t\n", "\ufeff", "pass\n", "\\\n")


def _corrupt(draw: st.DrawFn, source: str) -> str:
    """Usually ``source``; sometimes truncated (mostly a syntax error), empty, or only comments."""
    how = _count(draw, 0, 29)
    if how == 29 and source:
        return source[: _count(draw, 0, len(source) - 1)]
    if how == 28:
        return _pick(draw, _BROKEN)
    if how == 27:
        return source.replace("class Migration", "class Migration(", 1)
    return source


_CLEAN_ENCODINGS = frozenset({"utf-8", "bom", "crlf", "latin-1-cookie"})


def _module_bytes(draw: st.DrawFn, ctx: Context, pathological: Mapping[str, tuple[int, int]], in_tree: bool,
                  pathological_weight: int, encodings: Sequence[str]) -> bytes:
    if ctx.clean:
        return _encode(draw, _migration(draw, ctx), [e for e in encodings if e in _CLEAN_ENCODINGS] or ["utf-8"])
    if pathological and _one_in(draw, pathological_weight):
        source = _pathological(draw, pathological, in_tree)
    else:
        source = _corrupt(draw, _migration(draw, ctx))
    return _encode(draw, source, encodings)


@st.composite
def module_bytes(draw: st.DrawFn, ctx: Context = DEFAULT_CONTEXT,
                 pathological: Mapping[str, tuple[int, int]] = PATHOLOGICAL, in_tree: bool = False,
                 pathological_weight: int = 8, encodings: Sequence[str] = ENCODINGS) -> bytes:
    """The bytes of one file in a migrations folder: mostly a plausible migration, 1 in ``pathological_weight`` a
    pathological one."""
    return _module_bytes(draw, ctx, pathological, in_tree, pathological_weight, tuple(encodings))


def migration_modules(pathological: Mapping[str, tuple[int, int]] = PATHOLOGICAL) -> st.SearchStrategy[bytes]:
    """One migration module, for properties of a single file: pathological ones a third of the time."""
    return module_bytes(DEFAULT_CONTEXT, pathological, False, 3)


# Project trees -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """Files of a project, by relative POSIX path; ``manage.py`` marks the root."""

    files: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def migration_files(self) -> list[str]:
        return sorted(path for path in self.files if "/migrations/" in path and path.endswith(".py")
                      and not path.endswith("/__init__.py"))


_APPS_PY = (
    "from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = 'x'\n    label = {label!r}\n",
    "from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    label: str = {label!r}\n",
    "from django.apps import AppConfig\n\n\nclass A(AppConfig):\n    label = 'first'\n\n\n"
    "class B(AppConfig):\n    default = True\n    label = {label!r}\n",
    "import django.apps\n\n\nclass Config(django.apps.AppConfig):\n    label = {label!r}\n",
    "from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    label = {label!r} + '_x'\n",
    "from django.apps import AppConfig\n\n\nclass Config(AppConfig)\n    label = {label!r}\n",
    "label = {label!r}\n",
    "from django.apps import AppConfig\n\nif True:\n    class Config(AppConfig):\n        label = {label!r}\n",
)
_MODELS_PY = (
    "from django.db import models\n\n\nclass {model}(models.Model):\n    name = models.CharField(max_length=10)\n"
)
_MAX_MIGRATION_JUNK = (b"", b"0099_gone\n", b"\xff\n", b"a\nb\n")


@dataclass(frozen=True)
class _App:
    folder: str  # relative path of the app package
    labels: tuple[str, ...]  # what other migrations may call it (its folder name, its AppConfig label)
    names: tuple[str, ...]


def _migration_name(draw: st.DrawFn, odd: bool) -> str:
    if odd and _one_in(draw, 5):
        return _pick(draw, ODD_NAMES)
    suffix = _pick(draw, SUFFIXES)
    number = _pick(draw, NUMBERS)
    return f"{number}_{suffix}" if suffix else number


@st.composite
def project_trees(draw: st.DrawFn, odd: bool = True, pathological: Mapping[str, tuple[int, int]] = PATHOLOGICAL,
                  encodings: Sequence[str] = ENCODINGS, max_apps: int = 3, max_migrations: int = 4) -> Tree:
    """A project root with a few apps, each with a migrations package whose modules refer to each other.

    ``odd``: also folders and files Django does not load (hidden, build output, no ``migrations/__init__.py``,
    modules starting with ``_`` or ``~``)."""
    files: dict[str, bytes] = {"manage.py": b"#!/usr/bin/env python\n"}
    apps: list[_App] = []
    for _ in range(_count(draw, 1, max_apps)):
        name = _pick(draw, ODD_APP_FOLDERS) if odd and _one_in(draw, 6) else _pick(draw, APP_FOLDERS)
        path = _pick(draw, APP_PARENTS) + name
        label = _pick(draw, LABELS) if _one_in(draw, 3) else None
        if any(app.folder == path for app in apps):
            continue
        files[f"{path}/__init__.py"] = b""
        if label is not None:
            files[f"{path}/apps.py"] = _pick(draw, _APPS_PY).format(label=label).encode("utf-8")
        if not (odd and _one_in(draw, 20)):
            files[f"{path}/migrations/__init__.py"] = b""  # without it, Django sees no migrations package
        if _one_in(draw, 5):
            files[f"{path}/models.py"] = _MODELS_PY.format(model=_pick(draw, MODELS)).encode("utf-8")
        names = tuple(dict.fromkeys(_migration_name(draw, odd) for _ in range(_count(draw, 0, max_migrations))))
        apps.append(_App(path, (name, label) if label else (name,), names))

    all_labels = tuple(dict.fromkeys(label for app in apps for label in app.labels))
    all_keys = tuple((label, name) for app in apps for label in app.labels for name in app.names)
    # The order apps and names were drawn in: a clean app's migrations depend only on earlier ones, so that its
    # part of the graph is acyclic and the state rules have a history to follow (the others make cycles).
    order = {(app.folder, name): index for index, (app, name) in
             enumerate((app, name) for app in apps for name in app.names)}
    encodings = tuple(encodings)
    for app in apps:
        own_keys = tuple((label, name) for label in app.labels for name in app.names)
        clean = draw(st.booleans())
        for name in app.names:
            ctx = Context(app.labels, all_labels, own_keys, all_keys)
            if clean:
                before = {(label, other.names[i]) for other in apps for i in range(len(other.names))
                          if order[(other.folder, other.names[i])] < order[(app.folder, name)]
                          for label in other.labels}
                ctx = Context(app.labels, all_labels, tuple(k for k in own_keys if k in before),
                              tuple(k for k in all_keys if k in before), clean=True)
            files[f"{app.folder}/migrations/{name}.py"] = _module_bytes(draw, ctx, pathological, True, 20, encodings)
        if app.names and _one_in(draw, 6):
            content = (_pick(draw, app.names) + "\n").encode("utf-8") if draw(st.booleans()) else draw(
                st.sampled_from(_MAX_MIGRATION_JUNK))
            files[f"{app.folder}/migrations/max_migration.txt"] = content
    return Tree(files)


# Control characters in names ---------------------------------------------------------------------------------------

# What a name from a migration must not bring into a line of output (tests/test_output_escaping.py): C0 and C1
# controls, ESC sequences, line and paragraph separators, bidirectional formatting characters, lone surrogates (one
# from a string literal, one that stands for a file name's byte that is not UTF-8), and the text that starts a
# GitHub workflow command once a line break is let through.
CONTROL_PIECES = (
    "\n", "\r", "\r\n", "\t", "\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1b[31m", "\x1b]0;title\x07", "\x7f",
    "\x85", "\x9b", "\u2028", "\u2029", "\u202e", "\u2066", "\u200f", "\u061c", "\ud800", "\udcff",
    "\n::error file=x.py::owned", "\n::add-mask::", "::warning::", "%0A",
)
# A file name holds any of them but NUL, "/", a dot (Django does not load `0002_a.b.py`) and a surrogate that is no
# byte (``os.fsencode`` refuses "\ud800").
_FILE_NAME_PIECES = tuple(piece for piece in CONTROL_PIECES if not {"\x00", "/", ".", "\ud800"} & set(piece))
_CONTROL_OPERATIONS = (
    "migrations.CreateModel({model!r}, [({field!r}, models.AutoField(primary_key=True))])",
    "migrations.AddField({model!r}, {field!r}, models.IntegerField())",
    "migrations.RemoveField({model!r}, {field!r})",
    "migrations.RenameField({model!r}, {field!r}, {other!r})",
    "migrations.AlterField({model!r}, {field!r}, models.BigIntegerField())",
    "migrations.RenameModel({model!r}, {other!r})",
    "migrations.DeleteModel({model!r})",
    "migrations.AlterModelTable({model!r}, {other!r})",
    "migrations.AddIndex({model!r}, models.Index(fields=[{field!r}], name={other!r}))",
    "migrations.RunPython(forwards)",
    "migrations.RunSQL({sql!r})",
)
_CONTROL_FUNCTION = (
    "def forwards(apps, schema_editor):\n"
    "    M = apps.get_model({label!r}, {model!r})\n"
    "    M.objects.values_list({field!r}, flat=True)\n"
)


def _control_name(draw: st.DrawFn, plain: Sequence[str], pieces: Sequence[str] = CONTROL_PIECES) -> str:
    """A name of ``plain`` with one to three of ``pieces`` put anywhere in it."""
    parts = [_pick(draw, plain)]
    for _ in range(_count(draw, 1, 3)):
        parts.insert(_count(draw, 0, len(parts)), _pick(draw, pieces))
    return "".join(parts)


@st.composite
def control_character_trees(draw: st.DrawFn, file_names: bool = True) -> Tree:
    """One app whose migrations name models, fields, tables, indexes, SQL identifiers and app labels (in
    dependencies, ``get_model`` and its ``apps.py``) with control characters in them, written as escapes in string
    literals, so that every file parses; ``file_names``: sometimes in the migrations' file names too. The rules find
    something in most (dropped columns, renames, AutoField keys, RunPython without reverse, missing dependencies)."""
    files: dict[str, bytes] = {"manage.py": b"", "shop/__init__.py": b"", "shop/migrations/__init__.py": b""}
    label = "shop"
    if _one_in(draw, 2):
        label = _control_name(draw, LABELS[:4])
        files["shop/apps.py"] = _APPS_PY[0].format(label=label).encode("utf-8")
    names: list[str] = []
    for number in NUMBERS[:_count(draw, 1, 3)]:
        suffix = _control_name(draw, SUFFIXES[:6], _FILE_NAME_PIECES) if file_names and _one_in(draw, 3) else "x"
        dependencies = [(label, names[-1])] if names else []
        if _one_in(draw, 3):  # a missing app or migration, named with control characters
            dependencies.append((_control_name(draw, EXTERNAL_APPS), "0001_initial") if draw(st.booleans())
                                else (label, _control_name(draw, ("0099_gone",))))
        model, field = _control_name(draw, MODELS), _control_name(draw, FIELDS)
        values = {"model": model, "field": field, "other": _control_name(draw, (*MODELS, *FIELDS)), "label": label,
                  "sql": f'ALTER TABLE "{model}" DROP COLUMN "{field}"'}
        operations = [_pick(draw, _CONTROL_OPERATIONS).format(**values) for _ in range(_count(draw, 1, 4))]
        source = (
            "from django.db import migrations, models\n\n\n"
            + (_CONTROL_FUNCTION.format(**values) + "\n\n" if any("RunPython" in op for op in operations) else "")
            + "class Migration(migrations.Migration):\n"
            + f"    dependencies = {dependencies!r}\n"
            + "    operations = [\n" + "".join(f"        {operation},\n" for operation in operations) + "    ]\n"
        )
        names.append(f"{number}_{suffix}")
        files[f"shop/migrations/{names[-1]}.py"] = source.encode("utf-8")
    return Tree(files)


# Settings packages -------------------------------------------------------------------------------------------------

_SETTINGS_HEAD = (
    "import os\nimport dj_database_url\nimport environ\nfrom split_settings.tools import include, optional\n"
    "from configurations import Configuration, values\n\nenv = environ.Env()\nDEBUG = env.bool('DEBUG', False)\n"
)
_SETTING_VALUES: Mapping[str, tuple[str, ...]] = {
    "INSTALLED_APPS": ("['shop', 'billing']", "('shop',)", "[]", "PLUGINS", "['a', NAME]", "[*BASE, 'x']",
                       "get_apps()", "5", "{'a': 1}", "[{}]", "values.ListValue(['shop'])", "INSTALLED_APPS"),
    "AUTH_USER_MODEL": ("'accounts.User'", "values.Value('a.B')", "os.environ.get('X', 'a.B')", "None", "1",
                        "'a' + 'b'", "AUTH_USER_MODEL"),
    "MIGRATION_MODULES": ("{'shop': 'shop.db'}", "{'shop': None}", "{1: 2}", "{**X}", "{'a': [1]}",
                          "dict(shop='shop.db')"),
    "DATABASES": ("{'default': {'ENGINE': 'django.db.backends.postgresql'}}",
                  "{'default': dj_database_url.config(default='mysql://h/x')}", "{'default': env.db()}",
                  "{'default': env.db(default='sqlite://')}", "[]", "{'default': 5}",
                  "values.DatabaseURLValue('postgres://h/x')", "{'default': {'ENGINE': os.getenv('E', 'x')}}"),
    "DEFAULT_AUTO_FIELD": ("'django.db.models.BigAutoField'", "values.Value(3)", "DEFAULT_AUTO_FIELD"),
}
_SETTING_NAMES = tuple(_SETTING_VALUES)
_SETTINGS_STATEMENTS = (
    "{name} = {value}", "{name} = {value}", "{name} += {value}", "{name}.append({value})",
    "{name}.extend({value})", "{name}['default'] = {value}", "if DEBUG:\n    {name} = {value}",
    "if flag():\n    {name} += {value}\nelse:\n    {name} = {value}", "for x in y:\n    {name}.append(x)",
    "try:\n    from .{module} import *\nexcept ImportError:\n    pass", "from .{module} import *",
    "from .{module} import {name}", "from conf.settings.{module} import *", "include('{module}.py')",
    "include(optional('missing.py'), '{module}.py')", "include('*.py')", "include('missing.py')",
    "class Dev({base}):\n    {name} = {value}", "exec(open('x').read())", "globals().update({{'{name}': {value}}})",
    "{name} = {name} + {name}", "del {name}", "while True:\n    {name} = {value}\n    break",
    "with open('x') as f:\n    {name} = f.read()", "{name}.remove('shop')", "{name}[0] = {value}",
    "import conf.settings.{module} as other\n{name} = other.{name}",
)
_CLASS_BASES = ("Configuration", "Dev", "Base", "object", "Unknown", "Configuration, Dev")


@st.composite
def settings_packages(draw: st.DrawFn, min_modules: int = 1, max_modules: int = 6,
                      max_statements: int = 8) -> dict[str, str]:
    """A project whose settings package ``conf.settings`` is a web of modules that star-import each other (some
    under ``try`` or a condition), include each other with django-split-settings, define django-configurations
    classes, and set the settings ``django_settings`` reads to literal, computed, environment-dependent or wrongly
    typed values. By relative POSIX path."""
    count = _count(draw, min_modules, max_modules)
    modules = [f"m{index}" for index in range(count)]
    files = {
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.settings")\n',
        "conf/__init__.py": "",
    }
    for path in ("__init__", *modules):
        lines = [_SETTINGS_HEAD] if draw(st.booleans()) else []
        for _ in range(_count(draw, 0, max_statements)):
            name = _pick(draw, _SETTING_NAMES)
            statement = _pick(draw, _SETTINGS_STATEMENTS).format(
                name=name, value=_pick(draw, _SETTING_VALUES[name]), module=_pick(draw, modules),
                base=_pick(draw, _CLASS_BASES),
            )
            lines.append(statement + "\n")
        files[f"conf/settings/{path}.py"] = "".join(lines)
    return files

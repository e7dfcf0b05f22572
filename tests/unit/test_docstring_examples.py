"""Every public class, function and method of sparkforge shows an example in its docstring.

Pure objects carry doctests, which ``pytest --doctest-modules`` runs. Objects that need a
SparkSession carry a Markdown fenced Python block (```` ```python ````) instead: no JVM here,
so each block is compiled, and its use of sparkforge (imports, names, methods and attributes
of the objects it builds) is checked against the real objects.

The docs site renders docstrings with mkdocstrings, which reads a numpy section's text as
Markdown: a reST ``.. code-block::`` directive would show up as literal text there, so none
may be left in the package.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import sys
import textwrap
import types
from functools import cache
from pathlib import Path

import pytest

#: The public modules whose ``__all__`` is in scope.
MODULES = (
    "sparkforge",
    "sparkforge.writer",
    "sparkforge.reporting",
    "sparkforge.validation",
    "sparkforge.table_operations",
    "sparkforge.errors",
)

#: A numpy "Examples" section, up to the next section header or the end.
_EXAMPLES_SECTION = re.compile(
    r"^Examples\n-{3,}\n(?P<body>.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", re.MULTILINE | re.DOTALL
)
#: A Markdown fence opening a Python block, and the fence that closes it (same indent).
_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)```(?:python|py)[ \t]*$")
_FENCE_CLOSE = re.compile(r"^[ \t]*```[ \t]*$")
#: A reST directive, which the docs site would show as text.
_REST_DIRECTIVE = re.compile(r"^[ \t]*\.\. code-block::.*$", re.MULTILINE)


def public_methods(cls: type) -> dict[str, object]:
    """Return the public methods an instance of ``cls`` has, by where each is defined.

    The whole MRO within sparkforge counts (``LogWriter`` answers questions through its
    mixins), and the first class in it that defines a name is the one whose method is used.
    Methods of builtins, ``enum``, ``typing`` and other libraries are theirs to document.
    """
    found: dict[str, object] = {}
    resolved: set[str] = set()
    for klass in cls.__mro__:
        if not _is_sparkforge(klass):
            continue
        for attr, value in vars(klass).items():
            if attr.startswith("_") or attr in resolved:
                continue
            resolved.add(attr)
            func = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
            if inspect.isfunction(func):
                found[f"{klass.__module__}.{klass.__qualname__}.{attr}"] = func
    return found


def documented_objects() -> dict[str, object]:
    """Return the classes and functions in scope, and the public methods of those classes."""
    found: dict[str, object] = {}
    seen: set[int] = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            found[f"{obj.__module__}.{obj.__qualname__}"] = obj
            if inspect.isclass(obj):
                found.update(public_methods(obj))
    return found


def has_example(doc: str) -> bool:
    """Whether ``doc`` holds a doctest, or an Examples section with a fenced Python block."""
    section = _EXAMPLES_SECTION.search(doc)
    return ">>>" in doc or (section is not None and bool(code_blocks(section.group("body"))))


def code_blocks(doc: str) -> list[str]:
    """Return the fenced Python blocks of a (cleaned) docstring, dedented.

    A block opens with ```` ```python ```` and closes with ```` ``` ```` at the same indent;
    a fence left open is an error, as Markdown would swallow the rest of the docstring.
    """
    lines = doc.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        i += 1
        if opening is None:
            continue
        indent = opening.group("indent")
        body = []
        while i < len(lines) and not (_FENCE_CLOSE.match(lines[i]) and lines[i].startswith(indent)):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"a ```python fence is never closed: {body[:1]}")
        i += 1
        blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
    return blocks


@cache
def public_objects() -> dict[str, object]:
    """Every object a public sparkforge module exports, by name."""
    found: dict[str, object] = {}
    for module_name in (*MODULES, "sparkforge.models"):
        module = importlib.import_module(module_name)
        found.update((name, getattr(module, name)) for name in module.__all__)
    return found


def _is_sparkforge(obj: object) -> bool:
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", "")
    return isinstance(module, str) and (module == "sparkforge" or module.startswith("sparkforge."))


def _assigned_on_self(cls: type) -> set[str]:
    """Return the attributes that ``cls`` and its sparkforge bases assign on ``self``."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if not _is_sparkforge(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                names.add(node.attr)
    return names


def has_instance_attribute(cls: type, attr: str) -> bool:
    """Whether an instance of ``cls`` has ``attr`` (class attribute, field or set in a method)."""
    if hasattr(cls, attr):
        return True
    if dataclasses.is_dataclass(cls) and attr in {f.name for f in dataclasses.fields(cls)}:
        return True
    if any(attr in getattr(klass, "__annotations__", {}) for klass in cls.__mro__):
        return True
    return attr in _assigned_on_self(cls)


def returned_class(func: object, owner: type | None) -> type | None:
    """Return the sparkforge class ``func`` is annotated to return, if one plain class."""
    target = getattr(func, "__func__", func)
    if owner is None:
        bound_to = getattr(func, "__self__", None)
        owner = bound_to if inspect.isclass(bound_to) else None
    if not callable(target):
        return None
    try:
        annotation = inspect.signature(target).return_annotation
    except (TypeError, ValueError):
        return None
    if isinstance(annotation, str):
        if annotation == "Self":
            return owner
        if not annotation.isidentifier():
            return None
        lookup = getattr(target, "__globals__", {}).get(annotation)
        if lookup is None:
            for module_name in (*MODULES, "sparkforge.models"):
                lookup = getattr(importlib.import_module(module_name), annotation, None)
                if lookup is not None:
                    break
        annotation = lookup
    if inspect.isclass(annotation) and _is_sparkforge(annotation):
        return annotation
    return None


class ApiUse(ast.NodeVisitor):
    """Check one example's use of sparkforge: imports resolve, names and attributes exist.

    Names bound to sparkforge objects are followed: ``writer = LogWriter(...)`` makes
    ``writer`` an instance of ``LogWriter``, and a method annotated to return a sparkforge
    class (``writer.write_report(...)`` returns ``WriteResult``) gives an instance of it.
    """

    def __init__(self, namespace: dict[str, object] | None = None) -> None:
        self.namespace = namespace or {}
        self.objects: dict[str, object] = {}
        self.instances: dict[str, type] = {}
        self.defined: set[str] = set()
        self.problems: list[str] = []

    # ----------------------------------------------------------------- binding names

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.partition(".")[0]
            self.defined.add(bound)
            if alias.name.partition(".")[0] != "sparkforge":
                continue
            try:
                module = importlib.import_module(alias.name)
            except ImportError:
                self.problems.append(f"line {node.lineno}: import {alias.name} fails")
                continue
            self.objects[bound] = module if alias.asname else importlib.import_module("sparkforge")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module_name = node.module or ""
        for alias in node.names:
            self.defined.add(alias.asname or alias.name)
        if node.level:
            self.problems.append(f"line {node.lineno}: relative import in an example")
            return
        if module_name.partition(".")[0] != "sparkforge":
            return
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            self.problems.append(f"line {node.lineno}: module {module_name} does not exist")
            return
        for alias in node.names:
            obj = getattr(module, alias.name, None)
            if obj is None:
                try:
                    obj = importlib.import_module(f"{module_name}.{alias.name}")
                except ImportError:
                    self.problems.append(f"line {node.lineno}: {module_name} has no {alias.name}")
                    continue
            self.objects[alias.asname or alias.name] = obj

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        value = self.infer(node.value)
        for target in node.targets:
            self._bind(target, value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self._bind(node.target, self.infer(node.value) if node.value is not None else None)

    def _bind(self, target: ast.expr, value: tuple[str, object] | None) -> None:
        for name in ast.walk(target):
            if isinstance(name, ast.Name):
                self.defined.add(name.id)
                self.objects.pop(name.id, None)
                self.instances.pop(name.id, None)
        if isinstance(target, ast.Name) and value is not None:
            kind, obj = value
            if kind == "instance" and inspect.isclass(obj):
                self.instances[target.id] = obj
            else:
                self.objects[target.id] = obj
        elif not isinstance(target, ast.Name):
            self.visit(target)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.defined.add(node.id)

    def visit_arg(self, node: ast.arg) -> None:
        self.defined.add(node.arg)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.defined.add(node.name)
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.defined.add(node.name)
        self.generic_visit(node)

    # ----------------------------------------------------------------- using names

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)
        self.infer(node)

    def infer(self, node: ast.expr) -> tuple[str, object] | None:
        """Say what ``node`` is: ``("object", x)`` or ``("instance", cls)``; None if unknown."""
        if isinstance(node, ast.Name):
            if node.id in self.objects:
                return "object", self.objects[node.id]
            if node.id in self.instances:
                return "instance", self.instances[node.id]
            given = self.namespace.get(node.id, public_objects().get(node.id))
            if node.id not in self.defined and given is not None and _is_sparkforge(given):
                return "object", given
            return None
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        return None

    def _attribute(self, node: ast.Attribute) -> tuple[str, object] | None:
        base = self.infer(node.value)
        if base is None:
            return None
        kind, obj = base
        if kind == "instance":
            cls = obj
            assert inspect.isclass(cls)
            if not has_instance_attribute(cls, node.attr):
                self.problems.append(
                    f"line {node.lineno}: {cls.__qualname__} instances have no {node.attr}"
                )
                return None
            member = inspect.getattr_static(cls, node.attr, None)
            if isinstance(member, (classmethod, staticmethod)) or inspect.isfunction(member):
                return "method", (cls, getattr(cls, node.attr))
            if isinstance(member, property):
                returned = returned_class(member.fget, cls)
                return ("instance", returned) if returned is not None else None
            return None
        if kind == "method":
            return None
        if not hasattr(obj, node.attr):
            where = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
            self.problems.append(f"line {node.lineno}: {where} has no {node.attr}")
            return None
        return "object", getattr(obj, node.attr)

    def _call(self, node: ast.Call) -> tuple[str, object] | None:
        callee = self.infer(node.func)
        if callee is None:
            return None
        kind, obj = callee
        if kind == "method":
            assert isinstance(obj, tuple)
            owner, func = obj
            returned = returned_class(func, owner)
        elif kind == "object" and inspect.isclass(obj):
            returned = obj
        elif kind == "object" and callable(obj):
            returned = returned_class(obj, None)
        else:
            returned = None
        return ("instance", returned) if returned is not None else None


def namespace_of(obj: object) -> dict[str, object]:
    """Return the globals of the module defining ``obj``: what its examples may use.

    As for a doctest, an example in a docstring may use the names of its own module (the
    function it documents, above all) without importing them.
    """
    module = sys.modules.get(getattr(obj, "__module__", ""))
    return dict(vars(module)) if module is not None else {}


def api_problems(code: str, namespace: dict[str, object] | None = None) -> list[str]:
    """Return what is wrong with one example's code; empty when nothing is."""
    try:
        tree = ast.parse(code)
        compile(tree, "<example>", "exec")
    except SyntaxError as exc:
        return [f"does not compile: {exc}"]
    checker = ApiUse(namespace)
    checker.visit(tree)
    return list(dict.fromkeys(checker.problems))


OBJECTS = documented_objects()
BLOCKS = [
    (f"{qualname}[{index}]", block, namespace_of(obj))
    for qualname, obj in OBJECTS.items()
    for index, block in enumerate(code_blocks(inspect.getdoc(obj) or ""))
]


def test_docstring_examples_cover_every_public_object() -> None:
    missing = [
        qualname for qualname, obj in OBJECTS.items() if not has_example(inspect.getdoc(obj) or "")
    ]
    assert not missing, f"{len(missing)} public objects lack an example: {missing}"


def test_docstring_examples_scope_holds_classes_functions_and_methods() -> None:
    # The scope must not silently shrink: the public API's main objects are in it.
    for qualname in (
        "sparkforge.writer.core.LogWriter",
        "sparkforge.writer.core.LogWriter.write_report",
        "sparkforge.pipeline.builder.PipelineBuilder.to_pipeline",
        "sparkforge.errors.SparkForgeError",
        "sparkforge.validation.engine.apply_rules",
        "sparkforge.models.results.ErrorInfo.from_exception",
        # Reached through the MRO: LogWriter's mixins and the models' base class.
        "sparkforge.writer._questions.LogQuestions.validate_data_quality",
        "sparkforge.writer._upkeep.LogUpkeep.migrate_legacy_table",
        "sparkforge.models._base.Model.from_dict",
        "sparkforge._result.Result.to_dict",
    ):
        assert qualname in OBJECTS
    assert len(OBJECTS) > 150
    assert len(BLOCKS) > 20


@pytest.mark.parametrize(
    ("where", "code", "namespace"), BLOCKS, ids=[where for where, _, _ in BLOCKS]
)
def test_docstring_code_block_uses_the_real_api(
    where: str, code: str, namespace: dict[str, object]
) -> None:
    assert api_problems(code, namespace) == [], where


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("x = (", "does not compile"),
        ("from sparkforge.writer import LogWritr", "sparkforge.writer has no LogWritr"),
        ("from sparkforge.nowhere import X", "module sparkforge.nowhere does not exist"),
        ("import sparkforge.nowhere", "import sparkforge.nowhere fails"),
        (
            "from sparkforge.writer import LogWriter, WriterConfig\n"
            "writer = LogWriter(spark, WriterConfig(table_schema='o', table_name='l'))\n"
            "writer.summry()",
            "LogWriter instances have no summry",
        ),
        (
            "from sparkforge.writer import LogWriter\n"
            "LogWriter(spark, config).write_report(report).rows_writen",
            "WriteResult instances have no rows_writen",
        ),
        ("from sparkforge import errors\nerrors.NoSuchError", "sparkforge.errors has no NoSuch"),
        ("from sparkforge.table_operations import TableRef\nTableRef.nmed('a', 'b')", "nmed"),
        ("LogWriter(spark, config).read_log()", "LogWriter instances have no read_log"),
    ],
    ids=[
        "syntax",
        "unknown-name",
        "unknown-module",
        "unknown-import",
        "unknown-method",
        "unknown-returned-attribute",
        "unknown-module-attribute",
        "unknown-classmethod",
        "public-name-given",
    ],
)
def test_docstring_api_check_finds_broken_examples(code: str, problem: str) -> None:
    problems = api_problems(code)
    assert any(problem in found for found in problems), problems


def test_docstring_api_check_accepts_a_correct_example() -> None:
    code = (
        "from pyspark.sql import functions as F\n"
        "from sparkforge.writer import LogWriter, WriterConfig\n"
        "writer = LogWriter(spark, WriterConfig(table_schema='ops', table_name='run_log'))\n"
        "result = writer.write_report(report)\n"
        "print(result.rows_written, result.table_version, writer.config.table.fqn)\n"
        "writer.read_logs(pipeline_name='orders').where(F.col('run_status') == 'failed')\n"
    )
    assert api_problems(code) == []


def test_docstring_examples_section_is_found() -> None:
    doc = "Do it.\n\nExamples\n--------\nWith a session:\n\n```python\nf(spark)\n\ng(spark)\n```\n"
    assert has_example(doc)
    assert code_blocks(doc) == ["f(spark)\n\ng(spark)"]
    nested = "Examples\n--------\n- a list item:\n\n    ```python\n    f(spark)\n    ```\n"
    assert code_blocks(nested) == ["f(spark)"]
    assert not has_example("Do it.\n\nExamples\n--------\nA literal block::\n\n    f(spark)\n")
    assert not has_example("Do it.\n\nExamples\n--------\n```sql\nSELECT 1\n```\n")
    assert not has_example("Do it.\n\nParameters\n----------\nx\n    Examples of x.\n")
    old_form = "Do it.\n\nExamples\n--------\n.. code-block:: python\n\n    f(spark)\n"
    assert not has_example(old_form)
    assert rest_directives(old_form) == [".. code-block:: python"]
    with pytest.raises(ValueError, match="never closed"):
        code_blocks("Examples\n--------\n```python\nf(spark)\n")


def rest_directives(text: str) -> list[str]:
    """Return the ``.. code-block::`` lines of ``text``, stripped."""
    return [m.group(0).strip() for m in _REST_DIRECTIVE.finditer(text)]


def test_docstrings_hold_no_rest_code_blocks() -> None:
    # mkdocstrings renders docstring text as Markdown, where a reST directive is literal text.
    package = Path(importlib.import_module("sparkforge").__file__ or "").parent
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 50
    left = {
        str(path.relative_to(package.parent)): found
        for path in sources
        if (found := rest_directives(path.read_text(encoding="utf-8")))
    }
    assert not left, f"use a ```python fence instead of .. code-block:: in {left}"


class _Base:
    __module__ = "sparkforge.example"

    def shared(self) -> None: ...

    def replaced(self) -> None: ...

    def _private(self) -> None: ...


class _Derived(_Base, ValueError):
    __module__ = "sparkforge.example"

    def replaced(self) -> None: ...

    @classmethod
    def built(cls) -> None: ...


def test_public_methods_follow_the_mro_within_sparkforge() -> None:
    found = public_methods(_Derived)
    assert sorted(found) == [
        "sparkforge.example._Base.shared",
        "sparkforge.example._Derived.built",
        "sparkforge.example._Derived.replaced",
    ]
    # ValueError's and object's methods are not sparkforge's to document.
    assert not any(key.endswith((".with_traceback", ".add_note")) for key in found)
    from sparkforge.writer import LogWriter

    writer_methods = public_methods(LogWriter)
    assert "sparkforge.writer.core.LogWriter.write_report" in writer_methods
    assert "sparkforge.writer._questions.LogQuestions.summary" in writer_methods
    assert "sparkforge.writer._upkeep.LogUpkeep.optimize" in writer_methods

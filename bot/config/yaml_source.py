"""Read a config file into plain data, refusing YAML that could mean something else than it says.

- The file is read as UTF-8 (a UTF-8 byte-order mark is accepted and dropped: Windows editors
  write one); anything else is refused with the offset of the first bad byte. At most 1 MiB.
- One document per file; every mapping key at most once (PyYAML keeps the last of two, which
  hides the line that a reader believes is in force).
- Numbers are read as YAML 1.2 reads them: ``0x..``, ``0o..``, ``010`` and ``1:30`` stay strings
  (an unquoted address must not become an integer) and ``1e400`` is a float (refused later as
  infinite). Dates and ``=`` stay strings.
- Only plain tags (strings, numbers, booleans, null, lists, mappings, ``<<`` merges):
  ``!!python/...``, ``!!binary``, ``!!set`` and custom tags are refused.
- Anchors and aliases are allowed (e.g. one ``rpc_urls`` list for several positions), but the
  document may expand to at most ``MAX_VALUES`` values and ``MAX_DEPTH`` levels, checked on the
  node graph before anything walks the expansion: a "billion laughs" file is refused at once, as
  is an alias inside its own anchor.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.config.errors import ConfigError, ConfigProblem, dotted, shown

MAX_CONFIG_BYTES = 1 << 20
MAX_VALUES = 20_000  # the shipped configs hold about 200
MAX_DEPTH = 24  # the deepest key of the schema is 5 levels down

ConfigPath = tuple[str, ...]

_CORE = "tag:yaml.org,2002:"
_INT, _FLOAT, _MERGE = _CORE + "int", _CORE + "float", _CORE + "merge"
_ALLOWED_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))
_ALLOWED_TAGS |= {_MERGE}
# Over 30 digits a number is no setting of this schema: left a string, it is refused by type.
_INT_RE = re.compile(r"^[-+]?(?:0|[1-9][0-9_]{0,30})$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)"
    r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


def _resolvers_without(*tags: str) -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    return {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in tags]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


Duplicate = tuple[yaml.MappingNode, str, yaml.Node, yaml.Node]


class ConfigLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 numbers, no dates, and a record of duplicated mapping keys."""

    yaml_implicit_resolvers = _resolvers_without(_INT, _FLOAT, _CORE + "timestamp", _CORE + "value")

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # (mapping, key, its first key node, the repeated key node)
        self.duplicates: list[Duplicate] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        # Checked before SafeConstructor flattens ``<<`` merges into node.value: a key that
        # overrides a merged one is the documented use of a merge, not a duplicate.
        first: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(key_node.value)
            if key in first:
                self.duplicates.append((node, key, first[key], key_node))
            else:
                first[key] = key_node
        return super().construct_mapping(node, deep=deep)


ConfigLoader.add_implicit_resolver(_INT, _INT_RE, list("-+0123456789"))
ConfigLoader.add_implicit_resolver(_FLOAT, _FLOAT_RE, list("-+0123456789."))


@dataclass(frozen=True, slots=True)
class YamlDocument:
    data: Any
    lines: dict[ConfigPath, int]  # the line of every key and list item


def read_config_text(path: Path) -> str:
    """The file's text, or a ConfigError that says why it cannot be read as UTF-8."""
    source = str(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(source, [ConfigProblem("", f"cannot read file: {reason}")]) from exc
    if len(raw) > MAX_CONFIG_BYTES:
        problem = ConfigProblem("", f"the file is larger than {MAX_CONFIG_BYTES} bytes")
        raise ConfigError(source, [problem])
    return decode_utf8(raw, source)


def decode_utf8(raw: bytes, source: str) -> str:
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + bom
        utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        hint = ": it looks like UTF-16, save it as UTF-8" if utf16 else ": save it as UTF-8"
        message = f"{source} is not UTF-8 text (byte 0x{raw[offset]:02x} at offset {offset}){hint}"
        line = raw.count(b"\n", 0, offset) + 1
        raise ConfigError(source, [ConfigProblem("", message, line)]) from exc


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Parse one YAML document; every reason to refuse it is a ConfigError."""
    try:
        loader = ConfigLoader(text)  # refuses control characters at once
    except yaml.YAMLError as exc:
        raise ConfigError(source, [_yaml_problem(exc, text)]) from exc
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, {})
        _check_size(node, source)
        lines = _check_nodes(node, source)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [_yaml_problem(exc, text)]) from exc
    except RecursionError as exc:
        problem = ConfigProblem("", f"not valid YAML: nested more than {MAX_DEPTH} levels deep")
        raise ConfigError(source, [problem]) from exc
    finally:
        loader.dispose()
    if loader.duplicates:
        raise ConfigError(source, _duplicate_problems(loader.duplicates, node))
    return YamlDocument(data, lines)


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            yield key_node
            yield value_node
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _expansion(
    node: yaml.Node, memo: dict[int, tuple[int, int]], open_: set[int]
) -> tuple[int, int]:
    """(values, depth) of ``node`` with every alias expanded, computed once per node."""
    ident = id(node)
    if ident in memo:
        return memo[ident]
    if ident in open_:
        line = node.start_mark.line + 1
        raise _Refused(f"an alias refers to the anchor it is part of (line {line})", line)
    open_.add(ident)
    values, depth = 1, 1
    for child in _children(node):
        child_values, child_depth = _expansion(child, memo, open_)
        values += child_values
        depth = max(depth, child_depth + 1)
    open_.discard(ident)
    memo[ident] = (values, depth)
    return values, depth


class _Refused(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _check_size(node: yaml.Node, source: str) -> None:
    try:
        values, depth = _expansion(node, {}, set())
    except _Refused as exc:
        raise ConfigError(source, [ConfigProblem("", str(exc), exc.line)]) from exc
    if values > MAX_VALUES:
        message = (
            f"the document expands to {values} values (more than {MAX_VALUES}): YAML aliases "
            "that multiply (a 'billion laughs' file) are refused"
        )
        raise ConfigError(source, [ConfigProblem("", message, 1)])
    if depth > MAX_DEPTH:
        raise ConfigError(source, [ConfigProblem("", f"nested more than {MAX_DEPTH} levels", 1)])


def _check_nodes(root: yaml.Node, source: str) -> dict[ConfigPath, int]:
    """The line of every key and item; refuses tags that are not plain data."""
    lines: dict[ConfigPath, int] = {}
    problems: list[ConfigProblem] = []
    for path, node in _walk(root, ()):
        lines.setdefault(path, node.start_mark.line + 1)
        if node.tag not in _ALLOWED_TAGS:
            tag = node.tag.replace(_CORE, "!!")
            problems.append(
                ConfigProblem(
                    dotted(path),
                    f"the YAML tag {shown(tag)} is not allowed: a config holds plain strings, "
                    "numbers, booleans, lists and mappings",
                    node.start_mark.line + 1,
                )
            )
    if problems:
        raise ConfigError(source, problems)
    return lines


def _walk(node: yaml.Node, path: ConfigPath) -> Iterator[tuple[ConfigPath, yaml.Node]]:
    yield path, node
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            yield (*path, key), key_node
            yield from _walk(value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, str(index)))


def _node_paths(root: yaml.Node) -> dict[int, ConfigPath]:
    paths: dict[int, ConfigPath] = {}
    for path, node in _walk(root, ()):
        paths.setdefault(id(node), path)
    return paths


def _where(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1} column {node.start_mark.column + 1}"


def _duplicate_problems(duplicates: list[Duplicate], root: yaml.Node | None) -> list[ConfigProblem]:
    paths = _node_paths(root) if root is not None else {}
    problems = []
    for mapping, key, first, again in duplicates:
        same_line = first.start_mark.line == again.start_mark.line
        places = (
            f"first at {_where(first)}, again at {_where(again)}"
            if same_line
            else f"first at line {first.start_mark.line + 1}, again at line "
            f"{again.start_mark.line + 1}"
        )
        problems.append(
            ConfigProblem(
                dotted((*paths.get(id(mapping), ()), key)),
                f"duplicate key {shown(key)}: {places} (YAML would silently keep the last one; "
                "delete one of them)",
                again.start_mark.line + 1,
            )
        )
    return problems


def _yaml_problem(exc: yaml.YAMLError, text: str) -> ConfigProblem:
    """A one-line reason with line and column, without PyYAML's snippet of the offending text
    (that line could hold a secret)."""
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[0])
        where = text.count("\n", 0, exc.position) + 1
        return ConfigProblem("", f"not valid YAML: character #x{char:04x} is not allowed", where)
    if not isinstance(exc, yaml.MarkedYAMLError):
        return ConfigProblem("", f"not valid YAML: {type(exc).__name__}")
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    at = f" (line {line}, column {mark.column + 1})" if mark is not None else ""
    problem = exc.problem or exc.context or "unreadable"
    if problem == "but found another document":
        return ConfigProblem(
            "",
            f"more than one YAML document (another starts at line {line}): one config per file",
            line,
        )
    if "'\\t'" in problem or re.search(r"\btabs?\b", problem):
        return ConfigProblem("", f"not valid YAML: a tab character{at}: indent with spaces", line)
    context = f"; {exc.context}" if exc.context and exc.problem else ""
    return ConfigProblem("", f"not valid YAML: {problem}{at}{context}", line)

"""Read YAML safely and remember the line of every key, so errors can point into the file.

The loader is PyYAML's ``SafeLoader`` (no tags that build Python objects) with three changes that suit
scenario files, where YAML 1.1's implicit typing surprises people:

- keys are kept as written: ``on:``, ``no:`` or ``1:`` are the keys ``"on"``, ``"no"`` and ``"1"``, not
  booleans or numbers;
- only ``true``/``false`` are booleans (``yes``, ``no``, ``on``, ``off`` stay words);
- ``16:30`` stays the text ``"16:30"`` (YAML 1.1 reads it as the base-60 number 990); ``010`` is not octal.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from sim.errors import Problem

Path = tuple[str | int, ...]

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?
                    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X)
_NUMBER_TAGS = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
MAX_VALUES = 1_000_000
"""A file whose aliases expand to more values than this is refused (a "billion laughs" file would hang)."""
MAX_DIGITS = 100
"""Whole numbers may have at most this many digits (every bound of the schema has fewer than 12)."""
MAX_DEPTH = 32
"""Lists and mappings may nest at most this deep (a scenario needs 8 levels; 1000 would exhaust the stack)."""
_TOO_DEEP = f"lists and mappings nest more than {MAX_DEPTH} levels deep here; a scenario needs fewer than 10"
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
"""The characters YAML refuses (control characters such as a pasted form feed)."""


class _TooDeep(yaml.YAMLError):
    """Raised while composing a node nested deeper than MAX_DEPTH; ``mark`` is where."""

    def __init__(self, mark: yaml.Mark):
        self.mark = mark


class ScenarioLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with plain-text keys and YAML 1.2-like booleans and numbers (see module doc)."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _NUMBER_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose as PyYAML does, refusing lists and mappings nested deeper than MAX_DEPTH (they recurse)."""
        nested = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        self._depth += nested
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= nested

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """An integer, refused with more than MAX_DIGITS digits (Python will not even print one of 4,300)."""
        if len(node.value) > MAX_DIGITS:
            raise ConstructorError(None, None, f"a whole number of {len(node.value):,} digits is larger than any "
                                               "value a scenario takes", node.start_mark)
        return super().construct_yaml_int(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConstructorError("while reading a mapping", node.start_mark,
                                       "a key must be plain text, not a list or a mapping",
                                       key_node.start_mark)
            mapping[key_node.value] = self.construct_object(value_node, deep=deep)
        return mapping


ScenarioLoader.add_constructor("tag:yaml.org,2002:int", ScenarioLoader.construct_yaml_int)
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))

_SYNTAX_HINTS = (
    ("mapping values are not allowed", "a ':' where YAML expects none: check this line's indentation, "
                                       "or put a value that contains ': ' in quotes"),
    ("cannot start any token", "tabs cannot indent YAML, use spaces"),
    ("could not find expected ':'", "a key without ':', or a line indented wrongly"),
    ("expected <block end>", "check the indentation: keys of one mapping must line up"),
    ("found another document", "a scenario file holds one YAML document; remove the second '---'"),
)


def _walk(node: yaml.Node, path: Path, state: _State) -> None:
    state.lines.setdefault(path, node.start_mark.line + 1)
    state.nodes.setdefault((node.start_mark.line, node.start_mark.column), path)
    if id(node) in state.seen:  # an alias: its content was walked where the anchor is
        return
    state.seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in first and key != "<<":
                state.problems.append(Problem(state.file, format_path(child), line,
                                              f"duplicate key '{key}' (first given on line {first[key]}); "
                                              "YAML would silently keep only the last one"))
            else:
                first[key] = line
                state.lines[child] = line
            _walk(value_node, child, state)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), state)


class _Measure:
    """Size and depth of nodes once every alias is copied out (aliases share their node, so this is cheap)."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[int, int]] = {}
        self.too_deep: yaml.Node | None = None  # the first node found nesting more than MAX_DEPTH levels

    def __call__(self, node: yaml.Node) -> tuple[int, int]:
        """(values, levels of lists and mappings) of ``node``, each capped just above its limit."""
        if id(node) not in self.memo:
            self.memo[id(node)] = (0, 0)  # a recursive alias counts as nothing more
            if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
                items = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
                measured = [self(item) for item in items]
                size = 1 + sum(m[0] for m in measured)
                depth = 1 + max((m[1] for m in measured), default=0)
                if depth > MAX_DEPTH and self.too_deep is None:
                    self.too_deep = node
                self.memo[id(node)] = (min(size, MAX_VALUES + 1), min(depth, MAX_DEPTH + 1))
            else:
                self.memo[id(node)] = (1, 0)
        return self.memo[id(node)]


class _State:
    def __init__(self, file: str):
        self.file = file
        self.lines: dict[Path, int] = {}
        self.nodes: dict[tuple[int, int], Path] = {}
        self.seen: set[int] = set()
        self.problems: list[Problem] = []


def load_yaml(text: str, file: str) -> tuple[Any, dict[Path, int], list[Problem]]:
    """Parse ``text`` with the safe loader; return the data, the line of each key path and any problems.

    If the text is not valid YAML the data is None and the problems say why; otherwise the problems (duplicate
    keys, control characters) leave the data usable, so that schema problems can be reported with them.
    """
    bad = list(_NON_PRINTABLE.finditer(text))
    if bad:
        data, lines, problems = load_yaml(_NON_PRINTABLE.sub("", text), file)
        return data, lines, [*_control_characters(text, bad, lines, file), *problems]
    state = _State(file)
    loader = ScenarioLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        _walk(node, (), state)
        measure = _Measure()
        if measure(node)[0] > MAX_VALUES:
            message = (f"the aliases (*name) of this file expand to more than {MAX_VALUES:,} values; "
                       "write the scenario out plainly")
            return None, {}, [Problem(file, "", None, message)]
        if measure.too_deep is not None:
            mark = measure.too_deep.start_mark
            path = state.nodes.get((mark.line, mark.column), ())
            return None, state.lines, [Problem(file, format_path(path), mark.line + 1, _TOO_DEEP)]
        data = loader.construct_document(node)
    except ConstructorError as exc:
        mark = exc.problem_mark
        path = state.nodes.get((mark.line, mark.column), ()) if mark is not None else ()
        line = mark.line + 1 if mark is not None else None
        return None, state.lines, [Problem(file, format_path(path), line, _constructor_message(exc))]
    except _TooDeep as exc:
        return None, state.lines, [Problem(file, "", exc.mark.line + 1, _TOO_DEEP)]
    except yaml.YAMLError as exc:
        return None, state.lines, [_syntax_problem(exc, file)]
    finally:
        loader.dispose()
    return data, state.lines, state.problems


def _control_characters(text: str, found: list[re.Match[str]], lines: dict[Path, int],
                        file: str) -> list[Problem]:
    """One problem per line holding characters YAML refuses, at the deepest key of that line."""
    at_line = {line: path for path, line in sorted(lines.items(), key=lambda item: len(item[0]))}
    problems: dict[int, Problem] = {}
    for match in found:
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - text.rfind("\n", 0, match.start())
        message = f"a control character (U+{ord(match.group()):04X}) at column {column} is not allowed in YAML; " \
                  "delete it"
        problems.setdefault(line, Problem(file, format_path(at_line.get(line, ())), line, message))
    return list(problems.values())


def _constructor_message(exc: ConstructorError) -> str:
    problem = str(exc.problem or exc)
    tag = re.search(r"for the tag '([^']*)'", problem)
    if tag:
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        return (f"the tag '{shown}' is not allowed: a scenario file is plain data "
                "(ccsim reads YAML with the safe loader)")
    return problem if exc.context is None else f"YAML error: {problem}"  # PyYAML's own give a context


def _syntax_problem(exc: yaml.YAMLError, file: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    reason = ", ".join(str(p) for p in parts if p) or str(exc)
    hint = next((h for key, h in _SYNTAX_HINTS if key in reason), "")
    return Problem(file, "", line, f"YAML syntax error: {reason}" + (f" ({hint})" if hint else ""))


def holds(data: Any) -> str:
    """What a YAML document holds, in words: "is empty", "holds a list", "holds the single value 'x'"."""
    if data is None:
        return "is empty"
    if isinstance(data, dict | list):
        return f"holds a {'mapping' if isinstance(data, dict) else 'list'}"
    return f"holds the single value {data!r}"


def format_path(path: Path) -> str:
    """('clients', 'acme', 'shifts', 0, 'end') -> 'clients.acme.shifts[0].end'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path`` or of its nearest ancestor present in the file."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None

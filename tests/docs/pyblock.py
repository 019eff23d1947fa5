"""tests/docs/pyblock.py: runs a `python` block of the docs and checks the results its comments state.

    python pyblock.py BLOCK.py

Each top-level statement runs in turn, in one namespace. A trailing comment on a statement's last
line states what it does, in two forms the docs use:

* `# TypeError: add() argument 'b' must be int, not str` — the statement raises that exception
  (by class name, or a base class's) with that message; `...` in the message matches anything;
* `# 5`, `# 'hi!'`, `# (3, 'x', None)`, `# <Signature (a, b=1)>` — an expression statement's value
  has that repr: a comment that starts like a value (a digit, a quote, a bracket, `<`, `-`, True,
  False or None) must start with `repr(value)`, followed by nothing or by a space and more words.

Other comments are prose. Exit status 0 when every statement ran as stated, 1 otherwise, with the
line and what happened on stderr.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize

RAISES = re.compile(r"^((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt))(?::\s?(.*))?$")
VALUE_START = re.compile(r"^(?:[-0-9'\"(\[{<]|b'|b\"|True\b|False\b|None\b)")


def _comments(source: str) -> dict[int, str]:
    found = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            found[tok.start[0]] = tok.string[1:].strip()
    return found


def _matches(pattern: str, text: str) -> bool:
    """`...` in ``pattern`` matches any text (as doctest's ELLIPSIS)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("..."))
    return re.fullmatch(regex, text, re.S) is not None


def run(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        source = f.read()
    tree = ast.parse(source, path)
    comments = _comments(source)
    namespace: dict = {"__name__": "__main__"}
    for stmt in tree.body:
        line = stmt.end_lineno
        comment = comments.get(line, "")
        code = compile(ast.Module([stmt], []), path, "exec")
        expected_raise = RAISES.match(comment)
        try:
            if isinstance(stmt, ast.Expr) and not expected_raise:
                value = eval(compile(ast.Expression(stmt.value), path, "eval"), namespace)
            else:
                exec(code, namespace)
                value = None
        except BaseException as exc:
            names = {cls.__name__ for cls in type(exc).__mro__}
            if expected_raise and expected_raise.group(1).rsplit(".", 1)[-1] in names:
                message = expected_raise.group(2)
                if message is None or _matches(message, str(exc)):
                    continue
                print(
                    f"line {line}: raised {type(exc).__name__}: {exc}\n  the docs say: {comment}",
                    file=sys.stderr,
                )
                return 1
            print(f"line {line}: raised {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        if expected_raise:
            print(f"line {line}: raised nothing; the docs say: {comment}", file=sys.stderr)
            return 1
        if value is not None and VALUE_START.match(comment):
            shown = repr(value)
            if not (comment == shown or (comment.startswith(shown) and comment[len(shown)].isspace())):
                print(f"line {line}: the value is {shown}; the docs say: {comment}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))

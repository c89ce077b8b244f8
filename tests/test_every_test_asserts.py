"""Every test says what it checks: each test function in tests/ has an `assert`, a `pytest.raises` or
`pytest.fail` of its own, or hands its result to a helper of this suite named `assert_...` (which
asserts). A test that only runs code passes on a stub; this keeps a new one from slipping in.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = sorted(Path(__file__).resolve().parent.glob("test_*.py"))


def checks_something(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in ("pytest.raises", "pytest.fail", "raises") or name.split(".")[-1].startswith("assert_"):
                return True
    return False


def silent_tests(source: str, where: str = "") -> list[str]:
    return [f"{where}:{fn.lineno} {fn.name}" for fn in ast.walk(ast.parse(source))
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name.startswith("test_")
            and not checks_something(fn)]


def test_every_test_function_asserts_something():
    assert [s for p in TESTS for s in silent_tests(p.read_text(encoding="utf-8"), p.name)] == []


def test_the_check_sees_a_test_that_only_runs_code():
    assert silent_tests("def test_a(run):\n    run('send', '--yes')\n") == [":1 test_a"]
    assert silent_tests("def test_b(run):\n    with pytest.raises(ValueError):\n        run()\n") == []
    assert silent_tests("def test_c(run):\n    assert_one_error(run('init'), 'folder')\n") == []
    assert silent_tests("def helper():\n    pass\n") == []

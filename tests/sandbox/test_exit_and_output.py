"""How a run ended and what it printed: exit codes, signals, complete and separate
streams, live output, environments."""

from __future__ import annotations

import os

import pytest

from evalplatform.sandbox.environments import get_environment

from tests.sandbox.conftest import ALL_ENGINES, FAST, run_code

pytestmark = pytest.mark.sandbox


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_exit_zero_completes(sandbox):
    result = run_code(sandbox, "print('hello')")
    assert result.ok and result.reason is None and result.exit_code == 0, result
    assert result.stdout == "hello\n" and result.engine == sandbox.engine_name
    assert result.runtime_ms >= 0


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_exit_42(sandbox):
    result = run_code(sandbox, "import sys; sys.exit(42)")
    assert (result.exit_code, result.signal, result.reason) == (42, None, "nonzero_exit"), result


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_self_sigkill_reports_signal_9(sandbox):
    result = run_code(sandbox, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert (result.exit_code, result.signal, result.reason) == (None, 9, "nonzero_exit"), result


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_uncaught_exception_is_exit_1_with_traceback(sandbox):
    result = run_code(sandbox, "raise ValueError('boom')")
    assert result.exit_code == 1 and "ValueError: boom" in result.stderr, result


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_output_complete_when_exiting_right_after_writing(sandbox):
    code = ("import os, sys\nsys.stdout.write('o' * 200000)\nsys.stdout.flush()\n"
            "sys.stderr.write('e' * 100000)\nsys.stderr.flush()\nos._exit(0)\n")
    result = run_code(sandbox, code)
    assert result.ok, result
    assert result.stdout == "o" * 200000 and result.stderr == "e" * 100000


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_stdout_and_stderr_are_separate(sandbox):
    code = ("import sys\nfor i in range(200):\n"
            "    print('out', i, flush=True)\n    print('err', i, file=sys.stderr, flush=True)\n")
    result = run_code(sandbox, code)
    assert result.stdout == "".join(f"out {i}\n" for i in range(200))
    assert result.stderr == "".join(f"err {i}\n" for i in range(200))


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_live_output_arrives_while_running(sandbox):
    seen: list[tuple[str, bytes]] = []
    code = "import sys, time\nprint('first', flush=True)\ntime.sleep(0.5)\nprint('second')\n"
    result = run_code(sandbox, code, on_output=lambda stream, chunk: seen.append((stream, chunk)))
    assert result.ok
    assert seen[0] == ("stdout", b"first\n")
    assert b"".join(c for s, c in seen if s == "stdout").decode() == result.stdout


@pytest.mark.parametrize("sandbox", ALL_ENGINES, indirect=True)
def test_stdlib_environment_hides_the_hosts_site_packages_and_keeps_exit(sandbox):
    """`python` promises the standard library only: the base interpreter's site-packages
    (non-empty on the host: the control) is an empty directory inside; `site` still ran,
    so the exit() builtin works."""
    site = get_environment("python").masked[0]
    assert os.listdir(site), "control: the host's site-packages should not be empty"
    result = run_code(sandbox, f"import os\nprint(os.listdir({site!r}))\nexit(3)\n")
    assert (result.stdout, result.exit_code) == ("[]\n", 3), result


@pytest.mark.parametrize("sandbox", FAST, indirect=True)
def test_python_ml_environment_imports_its_libraries(sandbox):
    from evalplatform.sandbox.environments import list_environments
    if "python-ml" not in {e.name for e in list_environments()}:
        pytest.skip("python-ml environment not installed (make setup)")
    code = ("import numpy, pandas, scipy, sklearn\n"
            "print(numpy.arange(4).sum(), pandas.Series([1, 2]).sum(), sklearn.__version__)\n")
    result = run_code(sandbox, code, environment="python-ml")
    assert result.ok, result
    assert result.stdout.startswith("6 3 ")

"""`evalgate run`: this project's acceptance suite against a target, as a CI gate.

    evalgate run --target https://eval.example.com/api --report-dir reports \\
        [--waivers waivers.yaml] [--baseline reports/summary.json] [--fail-on high]

The suite runs in a fresh directory laid out as the project is (conftest.py, pytest.ini,
features/ and steps/ of the installed packages), so that pytest finds the suite's wiring
wherever evalgate was installed. The exit code is the gate's (support/reports: 0 passed,
1 a failure at or above --fail-on, 4 bad settings, waivers or baseline).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import features
import steps

SEVERITIES = ("critical", "high", "medium", "low", "none")


def suite_files() -> Path:
    """Where conftest.py and pytest.ini are: <prefix>/share/evalgate, or a source checkout."""
    installed = Path(sysconfig.get_path("data")) / "share" / "evalgate"
    checkout = Path(__file__).resolve().parents[1]
    for place in (installed, checkout):
        if (place / "conftest.py").is_file() and (place / "pytest.ini").is_file():
            return place
    raise SystemExit(f"evalgate: the suite's conftest.py and pytest.ini are in neither {installed} nor {checkout}")


def package_dir(package) -> Path:
    return Path(next(iter(package.__path__))).resolve()


def lay_out(run_dir: Path) -> Path:
    """A directory that pytest reads as this project: the wiring copied, the packages linked."""
    wiring = suite_files()
    for name in ("conftest.py", "pytest.ini"):
        shutil.copy(wiring / name, run_dir / name)
    for package in (features, steps):
        (run_dir / package.__name__).symlink_to(package_dir(package), target_is_directory=True)
    return run_dir


def target_environment(args: argparse.Namespace) -> dict[str, str]:
    """The suite's settings (support/config.py) for the target the options name."""
    env = dict(os.environ)
    target = args.target
    if target and "://" in target:
        env["SUITE_TARGET"], env["API_URL"] = "http", target
    elif target:
        env["SUITE_TARGET"] = target
    if args.dialect:
        env["SUITE_DIALECT"] = args.dialect
    return env


def pytest_arguments(args: argparse.Namespace, run_dir: Path) -> list[str]:
    chosen = [f"features/test_{name}.py" for name in args.feature] or ["features"]
    argv = [sys.executable, "-m", "pytest", "-c", str(run_dir / "pytest.ini"), "--rootdir", str(run_dir),
            "-p", "no:cacheprovider", *chosen, "-m", args.markers,
            f"--report-dir={Path(args.report_dir).resolve()}", f"--fail-on={args.fail_on}"]
    for option in ("waivers", "baseline", "target_profile"):
        value = getattr(args, option)
        if value:
            argv.append(f"--{option.replace('_', '-')}={Path(value).resolve()}")
    return argv + list(args.pytest_args)


def run(args: argparse.Namespace) -> int:
    unknown = [name for name in args.feature if not (package_dir(features) / f"test_{name}.py").is_file()]
    if unknown:
        print(f"evalgate: no feature {', '.join(unknown)} (see `evalgate features`)", file=sys.stderr)
        return 4
    with tempfile.TemporaryDirectory(prefix="evalgate-") as tmp:
        run_dir = lay_out(Path(tmp))
        return subprocess.call(pytest_arguments(args, run_dir), cwd=run_dir, env=target_environment(args))


def list_features(args: argparse.Namespace) -> int:
    for path in sorted(package_dir(features).glob("*.feature")):
        title = next((line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
                      if line.strip().startswith("Feature:")), "")
        print(f"{path.stem:<14} {title}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="evalgate", description="Acceptance gate for untrusted-code evaluation platforms.")
    commands = top.add_subparsers(dest="command", required=True)
    gate = commands.add_parser("run", help="run the acceptance suite against a target",
                               description="Run the acceptance suite against a target and write its reports.")
    gate.add_argument("--target", default=None,
                      help="the deployment: its API URL (https://host/api), 'embedded' (the reference platform, "
                           "started here; the default), 'command:PREFIX' or 'inspect:PROVIDER' (SUITE_TARGET)")
    gate.add_argument("--dialect", default=None, help="the target's contract dialect (SUITE_DIALECT); default: detected")
    gate.add_argument("--target-profile", default=None, metavar="FILE", help="the operator's target profile (YAML)")
    gate.add_argument("--report-dir", default="reports", help="where the reports go (default: reports)")
    gate.add_argument("--waivers", default=None, metavar="FILE", help="YAML waivers: scenario or tag, justification, owner, expires")
    gate.add_argument("--baseline", default=None, metavar="FILE", help="a previous summary.json: failures new or known, fixed ones")
    gate.add_argument("--fail-on", default="high", choices=SEVERITIES,
                      help="lowest severity whose failure fails the run (default: high)")
    gate.add_argument("--feature", action="append", default=[], metavar="NAME",
                      help="run only this feature (repeatable; `evalgate features` lists them)")
    gate.add_argument("--markers", default="not chaos", metavar="EXPR",
                      help="pytest -m expression (default: 'not chaos', as make acceptance)")
    gate.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help="passed on to pytest, after --")
    gate.set_defaults(handler=run)
    listing = commands.add_parser("features", help="list the features the suite has")
    listing.set_defaults(handler=list_features)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

"""`k8s manifest`: print the Job the kubernetes executor would create, as YAML.

For review and for operators: what you see is exactly what the executor sends (the same
builder, evalplatform/executor/kubernetes/manifest.py), with the configured namespace, images and
runtime class. With --code-file the code ConfigMap is printed first, so the output can
be fed to `kubectl apply -f -` for a hand-run smoke test.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("k8s", help="Kubernetes executor tools")
    commands = parser.add_subparsers(dest="k8s_command", required=True)
    manifest = commands.add_parser("manifest", help="print the Job for an evaluation as YAML")
    manifest.add_argument("--eval-id", required=True, help="the evaluation id (labels and names derive from it)")
    manifest.add_argument("--timeout", type=int, default=None, help="seconds (default: the platform's)")
    manifest.add_argument("--priority", type=int, default=0, help="evaluation priority -> PriorityClass")
    manifest.add_argument("--memory-limit", default=None, help="a quantity like 256Mi or 1Gi")
    manifest.add_argument("--cpu-limit", default=None, help="cores like 0.5 or millicores like 500m")
    manifest.add_argument("--environment", default="python", help="python, python-ml, ...")
    manifest.add_argument("--code-file", default=None, help="also print the code ConfigMap, from this file")
    manifest.set_defaults(func=print_manifest)


def print_manifest(args: argparse.Namespace) -> int:
    from evalplatform.executor.kubernetes.manifest import as_dict, plan_job
    from evalplatform.executor.quantities import limits_of
    from evalplatform.run import RunRequest
    from evalplatform.settings import get_settings

    settings = get_settings()
    code = open(args.code_file, encoding="utf-8").read() if args.code_file else ""
    try:
        request = RunRequest(run_id=args.eval_id, code=code, environment=args.environment, priority=args.priority,
                             limits=limits_of(args.timeout, args.memory_limit, args.cpu_limit, settings))
        plan = plan_job(request, settings)
    except ValueError as exc:
        print(f"k8s manifest: {exc}", file=sys.stderr)
        return 2
    documents = ([as_dict(plan.configmap)] if args.code_file else []) + [as_dict(plan.job)]
    import yaml   # here, not at the top: every command's parser imports this module (up's start)

    class BlockDumper(yaml.SafeDumper):
        """Multi-line strings (the runner's source, the code) as readable `|` blocks."""

    BlockDumper.add_representer(str, _block_str)
    yaml.dump_all(documents, sys.stdout, Dumper=BlockDumper, sort_keys=False, width=120)
    return 0


def _block_str(dumper, text: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)

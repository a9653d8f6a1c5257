"""Which scenarios run against this target: one function, driven by tags.

The gate fails closed. An isolation promise (`@isolation`: network, filesystem,
resources, privileges, secrets, persistence) runs on every target that can run code,
whatever the target claims or does not claim; only a waiver in the operator's target
profile changes how its failure is reported (waived, never passed). A scenario is left
out only when it cannot apply to the target at all, and the reason says which:

| tag | runs when |
|---|---|
| not `@isolation`, or `@platform` | the target is a platform (embedded or `http`): the API, queue and store around the sandbox |
| `@host` | the code runs on this machine (embedded, `command:`, a local inspect provider); with a platform promise: the embedded stack |
| `@chaos` | the embedded stack (the suite restarts its processes) |
| `@k8s` | KUBECONFIG points at a cluster |
| `@production` | the production profile (SUITE_PROFILE=production or REQUIRE_GVISOR=true) |
| `@priority @cancellation @streaming` | optional features: unless the target declares it lacks them (`GET /api/platform` capabilities, or the profile's) |
"""

from __future__ import annotations

from dataclasses import dataclass

from support.config import EMBEDDED, Target
from support.profile import TargetProfile, Waiver

# Optional features: tag -> the capability a target may declare (GET /api/platform or profile).
OPTIONAL_TAGS: dict[str, str] = {
    "priority": "priority",
    "cancellation": "cancellation",
    "streaming": "output_streaming",
}


@dataclass(frozen=True)
class Decision:
    skip: str | None = None        # why the scenario cannot apply to this target
    waiver: Waiver | None = None   # the operator's waiver of its failure, if any

    @property
    def runs(self) -> bool:
        return self.skip is None


def needs_platform(tags: set[str]) -> bool:
    """A promise of the platform around the sandbox, rather than of the sandbox itself."""
    return "isolation" not in tags or "platform" in tags


def decide(tags: set[str], scenario_id: str, target: Target, profile: TargetProfile,
           capabilities: frozenset[str] | None = None) -> Decision:
    """Whether the scenario applies to the target. `capabilities` is what the target declares
    of its optional features (None: not known yet, or declared nowhere: they all run)."""
    skip = _not_applicable(tags, target) or _lacks_capability(tags, capabilities)
    if skip:
        return Decision(skip=skip)
    return Decision(waiver=profile.waiver_for(scenario_id, tags))


def _not_applicable(tags: set[str], target: Target) -> str | None:
    if "k8s" in tags and not target.k8s:
        return "@k8s: needs a Kubernetes cluster; set KUBECONFIG (and K8S_NAMESPACE) to run it"
    if "production" in tags and not target.production:
        return "@production: runs only for a production target; set REQUIRE_GVISOR=true or SUITE_PROFILE=production"
    platform = needs_platform(tags)
    if platform and not target.is_platform:
        return (f"not applicable to a {target.kind} target: a promise of the platform around the sandbox "
                f"(its API, queue or store); the target is a sandbox ({target.description})")
    if "chaos" in tags and target.kind != EMBEDDED:
        return ("@chaos: restarts the platform's own processes, possible only on the embedded stack; "
                f"the target is {target.description}")
    if "host" in tags:
        if platform and target.kind != EMBEDDED:
            return ("@host: looks at the platform's processes and files on this machine, possible only on the "
                    f"embedded stack; the target is {target.description}")
        if not target.local:
            return ("@host: looks at the host the code runs on, possible only where it runs on this machine; "
                    f"the target is {target.description}")
    return None


def _lacks_capability(tags: set[str], capabilities: frozenset[str] | None) -> str | None:
    if capabilities is None:
        return None
    missing = sorted(cap for tag, cap in OPTIONAL_TAGS.items() if tag in tags and cap not in capabilities)
    if missing:
        return (f"the target declares no {', '.join(missing)} (its declared optional features: "
                f"{sorted(capabilities) or 'none'})")
    return None

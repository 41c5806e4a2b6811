"""The spec-space property run at scale (issue 20): N random chartgen.yaml files over every blueprint, profile,
several ports, Istio and Gateway API (tests/spec_space.py), in batches verified together. Each valid spec must
generate a chart that passes `chartgen verify` under helm 4.1.4 and 3.17.2 and `chartgen check --profile prod`
with no error and no warning beyond chartgen.check.waivers; each invalid one must be exit 2 with nothing written.

Prints how many specs were tried, refused (deliberate faults) and failed, then every failure with its spec.
Exit 1 when any failed. `make test` runs a fixed-seed slice of the same property (tests/spec/test_spec_space.py).

Usage: python bench/spec_space.py [--specs 200] [--batch 10] [--seed 1] [--helm 4.1.4 --helm 3.17.2]
                                 [--crds /work/shared/schemas]   (Istio, Argo and Flagger CRDs: strict validation)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from spec_space import Outcome, cases, clean, run_cases  # noqa: E402

from chartgen.helm import install as helm_install  # noqa: E402
from chartgen.helm.runner import Helm  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--specs", type=int, default=200)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--helm", action="append", help="helm version (repeatable; default 4.1.4 and 3.17.2)")
    parser.add_argument("--crds", action="append", default=[], help="CRD file or folder (repeatable)")
    args = parser.parse_args()
    if args.crds:  # verify and check both read CHARTGEN_CRDS
        os.environ["CHARTGEN_CRDS"] = os.pathsep.join([*args.crds, *filter(None, [os.environ.get("CHARTGEN_CRDS")])])
    helms = []
    for version in args.helm or ["4.1.4", "3.17.2"]:
        path = helm_install.installed_path(version)
        if not path.is_file():
            print(f"helm {version} is not installed at {path}: run `make setup`", file=sys.stderr)
            return 2
        helms.append(Helm(str(path)))
    total = Outcome()
    started = time.monotonic()

    @seed(args.seed)
    @settings(max_examples=max(1, args.specs // args.batch), deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.lists(cases(), min_size=args.batch, max_size=args.batch))
    def run(batch):
        root = Path(tempfile.mkdtemp(prefix="chartgen-bench-space-"))
        try:
            out = run_cases(batch, root, helms)
        finally:
            clean(root)
        total.tried += out.tried
        total.refused += out.refused
        total.failures += out.failures
        print(f"{total.tried} specs tried, {total.refused} refused as meant, {len(total.failures)} failed "
              f"({time.monotonic() - started:.0f} s)", flush=True)

    run()
    print(f"\nspec space: {total.tried} specs tried ({total.tried - total.refused} valid, {total.refused} "
          f"deliberate faults refused), {len(total.failures)} failed; helm "
          f"{', '.join(h.version for h in helms)}; seed {args.seed}; CRDs: {', '.join(args.crds) or 'none'}")
    for failure in total.failures:
        print("\n=====\n" + failure)
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())

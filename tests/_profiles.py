"""Hypothesis profiles and per-test example budgets.

"ci" (the default) is derandomized: every run draws the same examples, so a red CI is reproducible and a green one
does not turn red by chance; no example database, so a local ``.hypothesis/`` cannot change what runs. "dev"
(``HYPOTHESIS_PROFILE=dev``) draws fresh random examples, five times as many, for whoever works on an op; a seed from
``--hypothesis-seed=N`` replays one run exactly.
"""

from __future__ import annotations

from hypothesis import settings

BASE_EXAMPLES = 100  # the ci profile's max_examples: budgets below are written against it

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          max_examples=BASE_EXAMPLES)
settings.register_profile("dev", derandomize=False, deadline=None, print_blob=True, max_examples=5 * BASE_EXAMPLES)


def examples(ci: int) -> int:
    """The number of examples for a test given ``ci`` examples under the ci profile: scaled by the loaded profile's
    max_examples (x5 under dev). Read when the test module is imported, after conftest has loaded the profile."""
    return max(1, ci * settings.default.max_examples // BASE_EXAMPLES)

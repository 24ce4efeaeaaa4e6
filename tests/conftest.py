"""Shared test settings.

Hypothesis runs with no per-example deadline everywhere: tests must pass on a loaded
2-core machine, so no test depends on how long something takes.
"""

from hypothesis import settings

settings.register_profile("soa", deadline=None)
settings.load_profile("soa")

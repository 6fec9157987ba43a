"""Settings shared by the tests.

Hypothesis draws its examples from a fixed seed (``derandomize``), so a run of the suite is
the same on every machine and every rerun: a failure seen once is seen again, and CI cannot
go red on a draw nobody can reproduce. ``HYPOTHESIS_PROFILE=explore`` draws fresh examples
(run it now and then, locally, to look for new counterexamples).
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("fixed", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))


@pytest.fixture(scope="module")
def server():
    """The built book over HTTP on 127.0.0.1 at a free port; yields the base URL."""
    from bookserve import serve_book

    yield from serve_book()


@pytest.fixture(scope="module")
def browser(server):
    """Headless Debian Chromium (never a downloaded browser), driven by playwright."""
    from bookserve import launch_browser

    yield from launch_browser(server)

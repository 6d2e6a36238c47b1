"""``make test`` installs the Debian packages its tests need; where it cannot, it says so once and
the tests that need them skip, except under CI, where a missing package is a failure."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parent / "provision.sh"


@pytest.fixture
def no_apt(tmp_path) -> dict:
    """An environment whose PATH has what the script reads packages with, but no apt-get."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dpkg-query", "grep", "sed", "id", "dirname"):
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} is not on this machine (not Debian)")
        (bin_dir / tool).symlink_to(found)
    listing = tmp_path / "packages.txt"
    listing.write_text("# a package no machine has\ndubbo-grpcio-no-such-package\n")
    return {**os.environ, "PATH": str(bin_dir), "DUBBO_TEST_PACKAGES": str(listing), "CI": ""}


def _run(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_a_package_that_cannot_be_installed_is_named_once_and_the_run_goes_on(no_apt):
    result = _run(no_apt)
    assert result.returncode == 0
    notes = [line for line in result.stdout.splitlines() if line.startswith("NOTE:")]
    assert len(notes) == 1 and "dubbo-grpcio-no-such-package" in notes[0] and "SKIPPED" in notes[0]


def test_under_ci_a_package_that_cannot_be_installed_fails_the_run(no_apt):
    assert _run({**no_apt, "CI": "true"}).returncode == 1


def test_nothing_is_said_when_every_package_is_installed(no_apt, tmp_path):
    listing = tmp_path / "installed.txt"
    listing.write_text("bash\n")
    result = _run({**no_apt, "DUBBO_TEST_PACKAGES": str(listing)})
    assert result.returncode == 0 and result.stdout == ""

"""What a plain ``pip install`` ships: the type marker and clean, current packaging metadata."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_build(tmp_path_factory):
    """A wheel built from the working tree the way pip builds it for a user, with its build log."""
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("dubbo_grpcio-*.whl")
    return wheel, result.stdout + result.stderr


def test_the_wheel_ships_py_typed_so_type_checkers_read_the_package(wheel_build):
    wheel, _ = wheel_build
    assert "dubbo/py.typed" in zipfile.ZipFile(wheel).namelist()


def test_the_license_is_an_spdx_expression(wheel_build):
    wheel, _ = wheel_build
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        assert "License-Expression: Apache-2.0" in archive.read(metadata).decode().splitlines()


def test_building_prints_no_setuptools_deprecation_warning(wheel_build):
    _, log = wheel_build
    assert "SetuptoolsDeprecationWarning" not in log

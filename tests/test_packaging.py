"""Build the wheel, install it into a fresh venv (no system site-packages) and use it.

This catches what a checkout hides: the table missing from the wheel, a missing ``py.typed``, a
broken console script, a dependency not declared. Needs network access to PyPI for the build
backend and the runtime dependencies (pip's cache makes repeat runs fast).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import unspin
from unspin.table import default_table

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 240


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "PIP_USER", "VIRTUAL_ENV"))
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    kw.setdefault("env", env)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, **kw)
    assert proc.returncode == 0, (
        f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    if importlib.util.find_spec("build") is not None:
        _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)])
    else:
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(REPO)])
    wheels = list(out.glob("unspin-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh venv with the wheel installed; returns its bin directory."""
    root = tmp_path_factory.mktemp("venv")
    try:
        venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(root)
    except Exception as e:  # noqa: BLE001 - any failure here means "no venv on this machine"
        pytest.skip(f"cannot create a virtual environment here: {e}")
    bindir = root / ("Scripts" if os.name == "nt" else "bin")
    if not (bindir / "python").exists():
        pytest.skip("venv has no python executable")
    _run([str(bindir / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    return bindir


def test_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "unspin/__init__.py" in names
        assert "unspin/py.typed" in names
        assert "unspin/data/synonym_map.tsv" in names
        packaged_table = zf.read("unspin/data/synonym_map.tsv")
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(meta_name).decode("utf-8")
        ep_name = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = zf.read(ep_name).decode("utf-8")
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names), (
        "tests leaked into wheel"
    )
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert packaged_table == (REPO / "data" / "synonym_map.tsv").read_bytes(), (
        "the wheel's table differs from data/synonym_map.tsv"
    )
    for dep in ("regex", "rapidfuzz", "click"):
        assert f"Requires-Dist: {dep}" in metadata, dep
    assert "unspin = unspin.cli:main" in entry_points


def test_installed_package_uses_its_own_table(env: Path) -> None:
    code = (
        "import unspin, unspin.table as t;"
        "p = t.bundled_table_path();"
        "print(unspin.__file__); print(p); print(len(t.default_table()))"
    )
    out = _run([str(env / "python"), "-c", code], cwd=env).stdout.splitlines()
    module_file, table_path, n_rules = out[0], out[1], int(out[2])
    venv_root = str(env.parent)
    assert module_file.startswith(venv_root), f"imported {module_file}, not the installed copy"
    assert table_path.startswith(venv_root), f"table loaded from {table_path}, not the wheel"
    assert n_rules == len(default_table())


def _cli(env: Path) -> Path:
    exe = env / ("unspin.exe" if os.name == "nt" else "unspin")
    assert exe.exists(), "console script 'unspin' was not installed"
    probe = subprocess.run(
        [str(env / "python"), "-c", "import unspin.cli"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=env,
    )
    if probe.returncode != 0 and "No module named 'unspin.cli'" in probe.stderr:
        pytest.skip("unspin.cli is not written yet (CLI under construction)")
    return exe


SPUN = (
    "The Related Press reported that the preventing continued for the reason that warfare began.\n"
    "Officers stated 1000's of individuals had been evacuated with out warning.\n"
)
CLEAN = (
    "The council met on Monday.\r\n"
    "It voted 7-2 to approve the budget, the mayor said. \u201cGood.\u201d\r\n"
)


def test_installed_cli_restores_stdin(env: Path) -> None:
    exe = _cli(env)
    proc = subprocess.run(
        [str(exe)], input=SPUN.encode("utf-8"), capture_output=True, timeout=TIMEOUT, cwd=env
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert proc.stdout.decode("utf-8") == unspin.restore(SPUN), (
        "the installed command disagrees with the library in this checkout"
    )


def test_installed_cli_passes_clean_text_byte_for_byte(env: Path) -> None:
    exe = _cli(env)
    data = CLEAN.encode("utf-8")
    proc = subprocess.run([str(exe)], input=data, capture_output=True, timeout=TIMEOUT, cwd=env)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert proc.stdout == data


def test_installed_cli_help(env: Path) -> None:
    exe = _cli(env)
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0
    assert "Usage" in proc.stdout

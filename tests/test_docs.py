"""README stays true: the quick start, the CLI commands, every indicator."""

import importlib
import re
import tomllib

import pytest
from helpers import ROOT

from mapapp.ingest.results import COLUMN_ALIASES
from mapapp.model import catalog
from mapapp.model.view import URL_PARAMETERS

README = (ROOT / "README.md").read_text()


def test_quick_start_is_two_make_commands_that_exist():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", quick, flags=re.M)
    assert commands == ["run", "test"]
    makefile = (ROOT / "Makefile").read_text()
    for target in commands:
        assert re.search(rf"^{target}:", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci/run").read_text()


def cli_commands() -> list[str]:
    from mapapp.cli import _COMMANDS

    return sorted(_COMMANDS)


@pytest.mark.parametrize("command", cli_commands())
def test_every_cli_command_is_documented(command):
    assert f"python -m mapapp {command}" in README


@pytest.mark.parametrize("indicator", list(catalog.INDICATORS))
def test_every_indicator_is_documented_with_its_labels(indicator):
    ind = catalog.INDICATORS[indicator]
    row = next(line for line in README.splitlines() if line.startswith(f"| `{indicator}` |"))
    assert ind.label["es"] in row and ind.label["en"] in row


@pytest.mark.parametrize("column", list(COLUMN_ALIASES))
def test_every_column_has_its_first_alias_documented(column):
    first = COLUMN_ALIASES[column][0]
    assert first.lower() in README.lower().replace("ó", "o").replace("ñ", "n")


@pytest.mark.parametrize("parameter", URL_PARAMETERS)
def test_every_url_parameter_is_documented(parameter):
    assert f"`{parameter}`" in README.split("### Links reproduce the view", 1)[1]


@pytest.mark.parametrize("figures", ["bench/results.md", "bench/loadtest.md",
                                     "bench/hostile_memory.md", "bench/upload_memory.md",
                                     "bench/nginx_wire.md", "bench/loadtest_cluster.md",
                                     "bench/faults_cluster.md"])
def test_readme_shows_the_latest_measured_figures(figures):
    text = (ROOT / figures).read_text().strip()
    assert text and text in README


MODULES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "mapapp").rglob("*.py")
                 if p.name != "__init__.py" or p.parent.name != "mapapp")


@pytest.mark.parametrize("module", MODULES)
def test_every_module_has_a_line_in_the_layout(module):
    layout = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    name = module.removeprefix("mapapp/")
    if name.endswith("/__init__.py"):  # a floor: its folder is listed with what it holds
        name = name.removesuffix("__init__.py")
    assert re.search(rf"^\s*`?{re.escape(name)}`?\s", layout, flags=re.M), \
        f"README's layout has no line for {module}"


def pinned_requirements() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    pins = (line.split("#")[0].strip() for line in lines)
    return dict(pin.lower().split("==") for pin in pins if "==" in pin)


def test_package_metadata_declares_the_pinned_dependencies_and_the_console_script():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = pinned_requirements()
    declared = {re.split(r"[<>=!~]", d)[0].lower(): d for d in project["dependencies"]}
    assert declared.keys() == pins.keys()
    for name, spec in declared.items():
        floor = spec.split(">=")[1] if ">=" in spec else "0"
        assert version_tuple(pins[name]) >= version_tuple(floor), (name, pins[name], spec)
    target, _, function = project["scripts"]["mapapp"].partition(":")
    assert callable(getattr(importlib.import_module(target), function))


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))

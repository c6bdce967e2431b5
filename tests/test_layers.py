"""The package's folders are its floors: each imports only the floors below it, no
module imports itself round a circle, and only the Streamlit layer (the page and the
server that starts it) imports streamlit."""

import ast
from pathlib import Path

import pytest
from helpers import ROOT

PACKAGE = ROOT / "mapapp"
# Folder → floor; a module may import modules of lower floors, and of its own folder.
FLOORS = {"boundaries": 1, "model": 2, "builders": 3, "ingest": 3, "analysis": 4,
          "store": 4, "render": 5, "": 6}  # "": app.py, cli.py, __main__.py on top
UI_ONLY = ("streamlit", "streamlit_folium")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions (TYPE_CHECKING too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: {i for i in imports(path) if i in MODULES and i != name and i != "mapapp"}
         for name, path in MODULES.items()}


def folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in FLOORS) else ""


def test_every_module_is_on_a_floor():
    assert {folder(m) for m in MODULES} <= FLOORS.keys()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_run_down(module):
    here = folder(module)
    upward = [target for target in GRAPH[module] if folder(target) != here
              and FLOORS[folder(target)] >= FLOORS[here]]
    assert upward == [], f"{module} imports from its own floor or above: {upward}"


def test_no_import_circle():
    done, path = set(), []

    def visit(module):
        if module in path:
            raise AssertionError("import circle: " + " -> ".join(
                [*path[path.index(module):], module]))
        if module in done:
            return
        path.append(module)
        for target in sorted(GRAPH[module]):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(GRAPH):
        visit(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_the_streamlit_layer_imports_streamlit(module):
    ui = {i for i in imports(MODULES[module]) if i.split(".")[0] in UI_ONLY}
    streamlit_layer = ("mapapp.app", "mapapp.app_publish", "mapapp.server")
    assert module in streamlit_layer or not ui, f"{module} imports {sorted(ui)}"

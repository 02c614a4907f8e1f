"""Asks Python's own import system where each import of a fixture tree goes, for checking
discover's resolution expectations once by hand (the tests keep the answers; CI does not
run this). Usage: python3 py-resolve.py <tree> <sys.path entry>... -- <file>...

The sys.path entries are relative to the tree (`. src` for a src layout run from the
root). Prints `file  specifier  ->  files` lines: the module a statement imports and, for
`from m import a, b`, each name that is a submodule, as Python would load them.
"""

import ast
import importlib.machinery
import importlib.util
import os
import sys

tree = os.path.abspath(sys.argv[1])
split = sys.argv.index("--")
paths = [os.path.join(tree, p) for p in sys.argv[2:split]]
files = sys.argv[split + 1 :]


def origin(name):
    """The file of module `name` on `paths`, without executing anything."""
    parts = name.split(".")
    search = paths
    spec = None
    for i in range(len(parts)):
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: i + 1]), search)
        if spec is None:
            return None
        if spec.origin in (None, "namespace"):
            # A namespace package's children look their parent up in sys.modules; it has
            # no code, so registering it runs nothing.
            sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
        search = spec.submodule_search_locations
        if search is None and i + 1 < len(parts):
            return None
        search = list(search) if search is not None else None
    if spec.origin in (None, "namespace"):
        return None
    return os.path.relpath(spec.origin, tree)


def package_of(file):
    rel = os.path.relpath(os.path.join(tree, file), tree)
    for p in paths:
        prefix = os.path.relpath(p, tree)
        prefix = "" if prefix == "." else prefix + "/"
        if rel.startswith(prefix):
            module = rel[len(prefix) :].removesuffix(".py").replace("/", ".")
            if module.endswith(".__init__"):
                return module.removesuffix(".__init__")
            return module.rpartition(".")[0]
    return None


for file in files:
    source = open(os.path.join(tree, file)).read()
    package = package_of(file)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found = origin(alias.name)
                print(f"{file}  {alias.name}  ->  {[found] if found else []}")
        elif isinstance(node, ast.ImportFrom):
            written = "." * node.level + (node.module or "")
            try:
                base = importlib.util.resolve_name(written, package) if node.level else node.module
            except (ImportError, ValueError):
                print(f"{file}  {written}  ->  []")
                continue
            found = []
            module = origin(base)
            if module:
                found.append(module)
            for alias in node.names:
                sub = origin(f"{base}.{alias.name}")
                if sub:
                    found.append(sub)
            print(f"{file}  {written}  ->  {sorted(set(found))}")

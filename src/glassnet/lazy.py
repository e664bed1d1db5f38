"""Names a package exports but imports from their module only when first used (PEP 562), so that
importing the package stays light and an optional extra is needed only by the name that uses it."""

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def exports(
    package: Mapping[str, Any], names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` from its ``globals()`` and ``names`` (name -> the module
    that defines it): ``__getattr__ , __dir__ = exports(globals(), {"load": "glassnet.io.data"})``."""

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(import_module(names[name]), name)
        raise AttributeError(f"module {package['__name__']!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*package, *names})  # the names loaded on first use too (help, dir, completion)

    return __getattr__, __dir__

"""Platform adapters, registered by type name (`type:` in config.yaml).

Adding a platform: one package (or module) with an options model (a config.SourceConfig subclass
with `type: Literal["name"]`), a @register("name", options=Model) Source subclass and a `Platform`
registered with `registry.register_platform`, and one import line here (docs/sources.md, "Platforms
and the registry"). These registries are the only lists of types and platforms: config.py validates
`type:` and each type's options from them, every other consumer reads `registry.platforms()`.
"""

from necwatch.sources.base import REGISTRY, ListedPost, Listing, Source, SourceContext, register

# Importing the adapters registers them.
from necwatch.sources import blogger, html, labourlist, wordpress  # noqa: F401  isort: skip
from necwatch.sources import substack, ghost, medium, squarespace  # noqa: F401  isort: skip
from necwatch.sources import feed, auto  # noqa: F401  isort: skip
from necwatch.sources import archive  # noqa: F401  isort: skip


def source_class(type_name: str) -> type[Source]:
    return REGISTRY[type_name]


__all__ = ["REGISTRY", "ListedPost", "Listing", "Source", "SourceContext", "register", "source_class"]

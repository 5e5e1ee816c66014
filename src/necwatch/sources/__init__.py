"""Platform adapters, registered by type name (`type:` in config.yaml).

Adding a platform: write one module with a @register("name") Source subclass and import it here.
"""

from necwatch.sources.base import REGISTRY, ListedPost, Listing, Source, SourceContext, register

# Importing the adapters registers them.
from necwatch.sources import blogger, html, labourlist, wordpress  # noqa: F401  isort: skip


def source_class(type_name: str) -> type[Source]:
    return REGISTRY[type_name]


__all__ = ["REGISTRY", "ListedPost", "Listing", "Source", "SourceContext", "register", "source_class"]

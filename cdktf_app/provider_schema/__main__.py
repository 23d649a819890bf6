"""`python -m cdktf_app.provider_schema`: derive and cache the schema of every installed binding (setup runs it)."""
from __future__ import annotations

import time

from .store import SchemaStore


def main() -> None:
    store = SchemaStore()
    for provider, binding in store.bindings.items():
        started = time.perf_counter()
        cached = store.is_cached(provider)
        schema = store.schema(provider)
        print(f"{provider}: {schema['terraform_provider']} from {binding.package} {binding.version}, "
              f"{len(schema['resources'])} resources, {len(schema['data_sources'])} data sources "
              f"({'cached' if cached else 'derived'} in {time.perf_counter() - started:.1f}s): "
              f"{store.cache_file(binding)}")


if __name__ == "__main__":
    main()

"""Importers of public recommendation datasets: KuaiRand, KuaiRec and MovieLens.

Each dataset module (``kuairand``, ``kuairec``, ``movielens``) has pure, streaming readers --
``read_events(dir)`` yields frames of ``EVENT_SCHEMA`` (external string ids ``user``/``item``,
``type`` from the event vocabulary, ``ts_ms``, ``watch_ms``, ``duration_ms``, ``value`` and a
deterministic client event ``id``), ``read_items(dir)`` frames of ``ITEM_SCHEMA`` and
``read_users(dir)`` frames of ``USER_SCHEMA`` -- and ``import_dataset`` writes them into a home.
The mapping of each dataset to the vocabulary is documented in docs/importers.md.
"""

from laotie.store.importers._frames import EVENT_SCHEMA, ITEM_SCHEMA, USER_SCHEMA
from laotie.store.importers.load import DATASETS, ImportReport, dataset, import_dataset

__all__ = [
    "DATASETS",
    "EVENT_SCHEMA",
    "ITEM_SCHEMA",
    "USER_SCHEMA",
    "ImportReport",
    "dataset",
    "import_dataset",
]

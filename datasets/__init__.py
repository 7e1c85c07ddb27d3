"""Curated datasets for other administrations: a catalog of definitions (``catalog``),
small-cell protection that holds (``disclosure``, ``cubes``), per-sector pseudonyms
(``pseudonyms``) and immutable, content-addressed releases (``release``). See docs/datasets.md."""

"""One spider per kind of source: ``feeds``, ``site`` and ``sitemap``."""

"""banwatch's collection layer: Scrapy spiders for feeds, sites and news sitemaps.

Every fetch goes through Scrapy, so one set of timeouts, size limits, retries, robots.txt
rules and per-domain politeness covers feeds and pages alike. Spiders find what is due and
record how each source fared through ``monitor.ingest.Ingestor``; the item pipeline
extracts each article page and hands it to the same ``Ingestor``. Nothing here knows how
articles are stored or classified, and nothing in ``monitor`` imports this package:
``monitor.crawl`` starts the spiders by name.
"""

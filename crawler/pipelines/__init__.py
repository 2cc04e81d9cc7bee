"""Thin adapters from Scrapy items to the archive in ``crawler.store``, in the order items
pass them: ``images`` (downloads), ``crawler.watch.watcher.WatchPipeline``, ``state`` (the index),
``posts`` (convert, write)."""

"""The watch of the originals: archived articles fetched again now and then, to mark the
posts of deleted, removed and edited ones (``state``: what a post shows; ``watcher``:
Scrapy's side), and posts left incomplete made again from their captures (``mend``)."""

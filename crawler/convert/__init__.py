"""Convert: an ``Article`` (parsed by ``crawler.wechat``) → the bytes of its Jekyll post.

Pure functions, which know nothing of Scrapy nor of the archive: ``post.compose_post`` writes
the front matter and the attribution around the body that ``markdown.to_markdown`` makes.
"""

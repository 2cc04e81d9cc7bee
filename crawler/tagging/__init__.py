"""Tags readers browse by: the scam types an article explains (``rules``), then the albums
its page names, then the configured tags (``tags``); ``python -m crawler.tagging DIR``
measures the rules on a folder of labelled articles."""

"""Every default of the archiver, each overridable with ``scrapy crawl … -s NAME=VALUE``."""

BOT_NAME = "crawler"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- the archive -----------------------------------------------------------------------
# Root of the archive tree: posts go to <ARCHIVE_DIR>/_posts, images to <ARCHIVE_DIR>/postimg,
# the archiver's index to <ARCHIVE_DIR>/.state (a dot-folder, which Jekyll never publishes).
ARCHIVE_DIR = "archive"
# Tags of every post (an account's configuration may set others).
DEFAULT_TAGS = ["其他"]
# The scam types' phrases and weights (a TOML file like crawler/scamtypes.toml); empty: that one.
SCAM_TYPES_FILE = ""
# The marker of unordered list items in posts: "-", "*" or "+".
MARKDOWN_BULLET = "-"

# -- what is fetched -------------------------------------------------------------------
# Hosts whose article links are accepted (tests point this at a local server).
ARTICLE_HOSTS = ["mp.weixin.qq.com"]
# Only images on these hosts are downloaded; others stay remote links in the post.
IMAGE_HOSTS = ["mmbiz.qpic.cn", "mmbiz.qlogo.cn", "mmecoa.qpic.cn", "mmsns.qpic.cn"]
# A bigger image is refused as not an image of an article: WeChat's long pictures reach
# about 1080 x 30000 (32 megapixels); decoding one of 100 megapixels takes 300 MB.
IMAGE_MAX_PIXELS = 50_000_000
# An image that keeps failing for a reason that may pass (5xx, a timeout) is said at WARNING
# when it first fails and again every this many days while it fails; at INFO between.
IMAGE_RETRY_WARN_DAYS = 7

# The MP web root: album pages and the back-office list are built on it (tests point it
# at a local server).
WECHAT_BASE_URL = "https://mp.weixin.qq.com"
# Articles asked for per page of an album's JSON (WeChat's own pages hold 20).
ALBUM_PAGE_SIZE = 20
# An album whose first page and count are as the last run read them costs one request; it
# is read whole anyway when its last whole read is older than this (a member deep in it
# deleted while another was added there leaves both unchanged).
ALBUM_RECHECK_DAYS = 7
# A link without chksm refused with the verification page is asked again after so many days
# (the page may have been a block that passed); a listing's link is used at once when known.
LINK_RETRY_DAYS = 7
# Scrapy's URLLENGTH_LIMIT (2083) drops a longer link with a line the log keeps at DEBUG: an
# album item whose chksm ran long was lost without a word. Every link is asked, and what
# WeChat answers, or how it fails, is said as of any other.
URLLENGTH_LIMIT = 0

# -- scheduled runs (scrapy crawl accounts) ------------------------------------------
# The accounts to look at; see accounts.example.toml.
ACCOUNTS_FILE = "accounts.toml"
# Links in an account's articles to its other articles are followed (往期推荐, the album's
# previous and next): "account"; "all" follows other accounts' links too, "none" none.
FOLLOW_LINKS = "account"
# Short /s/<token> links name no account until fetched: at most this many a run.
FOLLOW_LINKS_PER_RUN = 200
# An account with no new article for this many days, that used to publish more often,
# gets a WARNING in the run summary: its sources may have dried up.
STALE_ACCOUNT_DAYS = 30
# The MP back-office list (cgi-bin/appmsgpublish) is read only with a logged-in token and
# cookie; the environment variables WECHAT_MP_TOKEN and WECHAT_MP_COOKIE work as well.
MP_TOKEN = ""
MP_COOKIE = ""

# -- the watch of the originals (README: "The watch") ----------------------------------
# Archived articles fetched again each run (scrapy crawl accounts, scrapy crawl watch), over
# all accounts, the most overdue first: whether the original was deleted, removed or edited.
# As many posts left incomplete whose originals are gone are made again from their captures
# (crawler/watch/mend.py), their images asked for again.
WATCH_PER_RUN = 30
# An article published less than WATCH_YOUNG_DAYS ago is due every WATCH_YOUNG_EVERY_DAYS
# days, an older one every WATCH_OLD_EVERY_DAYS days.
WATCH_YOUNG_DAYS = 30
WATCH_YOUNG_EVERY_DAYS = 1
WATCH_OLD_EVERY_DAYS = 7
# This many originals of one account deleted or removed within WATCH_ALARM_DAYS days is a
# WARNING in the run summary.
WATCH_ALARM_DELETIONS = 3
WATCH_ALARM_DAYS = 7

# -- blocks ----------------------------------------------------------------------------
# A verification page, 403 or 429 on an article page is a block: it is asked for again
# after BLOCK_BACKOFF seconds (doubled each time) at most BLOCK_RETRY_TIMES times, and
# after BLOCK_LIMIT blocks in a row the run stops with reason "blocked" and exit status 1.
# Article pages between request and response at once (see crawler/middlewares.py).
ARTICLE_PAGES_IN_FLIGHT = 1
BLOCK_LIMIT = 3
BLOCK_RETRY_TIMES = 2
BLOCK_BACKOFF = 60.0

ITEM_PIPELINES = {
    "crawler.pipelines.images.ImagePipeline": 100,
    "crawler.watch.watcher.WatchPipeline": 250,
    "crawler.pipelines.state.StatePipeline": 280,
    "crawler.pipelines.posts.PostPipeline": 300,
}
# Answers pass middlewares from the highest number down: blocks are seen once
# HttpCompressionMiddleware (590) has decoded the body and before RetryMiddleware (550)
# sees a 429, so that blocks get their own, longer pauses; captures keep decoded pages
# that are no block. One in an encoding it cannot decode is refused before it.
DOWNLOADER_MIDDLEWARES = {
    "crawler.undecoded.EncodingCheck": 595,
    "crawler.middlewares.BlockMiddleware": 585,
    "crawler.stopping.StopSending": 586,
    "crawler.middlewares.CaptureMiddleware": 580,
    "crawler.incremental.KnownRedirects": 570,
    "crawler.slots.ImageConcurrency": 990,
}
# A job folder (-s JOBDIR=) is resumed only as a clean stop left it (crawler/jobdir.py).
SCHEDULER = "crawler.jobdir.JobScheduler"
# An article's redirect to a page another article's led to is fetched for it too (crawler/seen.py).
DUPEFILTER_CLASS = "crawler.seen.ArticleRedirects"
# The incremental filter; index writes that fail in a callback (crawler/middlewares.py); and,
# nearest the engine, whether it took a source yet, which a stop line says (crawler/stopping.py).
SPIDER_MIDDLEWARES = {"crawler.incremental.IncrementalMiddleware": 900,
                      "crawler.middlewares.IndexErrors": 950,
                      "crawler.stopping.StartLeft": 10}
# Scrapy's SpiderState is off: no spider keeps a state in the job folder (the index is the
# state), and a spider.state a full disk left empty was two tracebacks at every later run.
EXTENSIONS = {"crawler.report.extensions.RunReport": 500, "crawler.process.CollectorPace": 0,
              "crawler.process.StopSignal": 0, "crawler.stopping.ArchiveStop": 0,
              "crawler.report.progress.Progress": 500, "crawler.report.logtext.EscapedLogText": 0,
              "scrapy.extensions.spiderstate.SpiderState": None}

# -- politeness ------------------------------------------------------------------------
# WeChat answers fast crawlers with its verification page: article pages one at a time,
# a few seconds apart, slowed further by AutoThrottle when responses slow down. The image
# CDN is built for load and is fetched concurrently (image requests opt out of AutoThrottle).
ROBOTSTXT_OBEY = False
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 3.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Images at once per image host (no delay). The download slots of ARTICLE_HOSTS and
# IMAGE_HOSTS are made from these settings when a crawl starts (crawler/slots.py); a host
# given in DOWNLOAD_SLOTS keeps what is given there.
IMAGE_CONCURRENCY = 8
ADDONS = {"crawler.slots.DownloadSlots": 0, "crawler.distributed.addon.Distributed": 0,
          "crawler.components.OffComponents": 0}
# WeChat pages never redirect with <meta http-equiv="refresh">, and looking for one would
# decode every 3 MB article page as soon as it arrives and keep its text on the response.
METAREFRESH_ENABLED = False
# An image's redirect is followed (Scrapy's media pipelines do not by default), within
# IMAGE_HOSTS only (crawler/middlewares.py).
MEDIA_ALLOW_REDIRECTS = True
DOWNLOAD_TIMEOUT = 30
# Article pages are 2-4 MB; a bigger response is not an article page or image we keep.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
# Saved pages (scrapy crawl import) are held to the same size, and an MHTML to a number of
# parts: a page saved with its pictures is a few hundred.
IMPORT_MAXSIZE = DOWNLOAD_MAXSIZE
IMPORT_MAX_PARTS = 2000
RETRY_TIMES = 2
# A request that failed for good is one line of ours ("Not archived: …", "Image not
# stored …", "Source … could not be read"), not also Scrapy's "Gave up retrying".
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"

# -- several machines (README: "Several machines") -------------------------------------
# With a Redis URL (redis://[:password@]host:port/db), `scrapy crawl accounts|album|article`
# is a job's writer and `scrapy crawl fetch` one of its fetch nodes; without, all runs in
# one process.
REDIS_URL = ""
# The job's name, the prefix of its keys in Redis: the writer and its nodes give the same.
REDIS_JOB = "wechat-archive"
# A fetch node's name in the job (empty: hostname:pid).
REDIS_NODE = ""
# The writer's article pages on the frontier or being fetched at once: more than twice the
# nodes, so that none waits for work.
REDIS_PAGES_IN_FLIGHT = 32
# Seconds a node may stay silent before the writer gives its requests to the others.
REDIS_HEARTBEAT = 30.0
# Seconds a writer waits while article pages wait and no fetch node is fetching (all
# stopped, or none started) before it stops, exit status 1, the job left to resume: from a
# timer, a writer waiting for ever would keep the next run from starting. Longer than a
# node's rest between jobs (RestartSec in README "Several machines").
REDIS_NODE_WAIT = 3600.0
# Seconds article pages may wait with no fetch node fetching before the writer says so at
# WARNING (at INFO before): longer than a node's rest between jobs (RestartSec, 10 min in
# README "Several machines"), so that nodes resting when a run starts are no mail.
REDIS_NODE_GRACE = 900.0
# How many times the writer asks again for a page Redis lost (flushed, evicted, or
# unreadable) before it says the page was not fetched.
REDIS_PAGE_TRIES = 3
# Seconds writer and nodes wait for a Redis that stopped answering (restarted, a network
# cut) before they stop, exit status 1.
REDIS_GRACE = 60.0
# Seconds a call to Redis (or a connection) may take before it counts as failed: a silent
# network or a frozen server fails calls instead of blocking them. At least 2, longer than
# the writer's one-second wait for pages.
REDIS_TIMEOUT = 5.0

# -- running from cron -----------------------------------------------------------------
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.report.logs.DroppedAsSaid"
# A line of progress (articles done of found, pace, time left) every PROGRESS_INTERVAL
# seconds: "auto" when standard error is a terminal, so that cron gets only the summary.
PROGRESS = "auto"
PROGRESS_INTERVAL = 30.0
# Scrapy's own "Crawled N pages" lines every minute: the progress line says it better.
LOGSTATS_INTERVAL = 0
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
COMMANDS_MODULE = "crawler.commands"

# -- speed -----------------------------------------------------------------------------
# What one callback yields goes to the pipelines through this many workers, asyncio tasks
# Scrapy starts for every page a spider reads (its default, 100, started 100 for an article
# page's item and records), and up to three times as many outputs are read ahead of them:
# at 100, an imported folder's first 300 pages were held at once, each with its parsed tree,
# while pictures downloaded. 16 articles in process still keep IMAGE_CONCURRENCY busy.
CONCURRENT_ITEMS = 16
# Scrapy's look for a return of a value in a generator callback (a spider writer's mistake:
# the value is lost) finds the callback's module and parses its source each time no request
# alive holds it. ruff checks the project's code for it instead (B901, pyproject.toml).
WARN_ON_GENERATOR_RETURN_VALUE = False
# Allocations between two collections of Python's youngest garbage generation during a
# crawl (Python's default: 700; 0 leaves it alone). See crawler/process.py.
GC_YOUNG_THRESHOLD = 20000

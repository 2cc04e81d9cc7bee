"""The distributed mode as the rest of the project sees it, and its only way in.

Every crawl imports this module (the add-on, the crawl command, the fetch spider and the
run's report need it), but only a job's writer or fetch node (``REDIS_URL``) uses Redis:
the modules that import redis and scrapy-redis (some 50 ms of every start) are imported
here, by the function that needs them, when a crawl is in the distributed mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from scrapy.crawler import Crawler

from crawler.config import Config

if TYPE_CHECKING:
    from crawler.distributed.job import Refusal
    from crawler.distributed.node import FetchNode

# The close reason of a writer or node that lost Redis in the middle of a job.
REDIS_LOST = "redis_unreachable"
# The close reason of a writer or node whose step Redis refused (full, an ACL).
REDIS_REFUSED = "redis_refused"
# The close reason of a fetch node whose code is not its writer's (``job.code_version``).
OTHER_VERSION = "other_version"
# The close reason of a fetch node whose writer stopped (a signal, its archive refusing writes).
WRITER_STOPPED = "writer_stopped"
# The close reason of a fetch node whose writer stopped renewing its lease, saying nothing
# (killed, its machine down, or stopped while Redis did not answer it).
WRITER_LOST = "writer_lost"
# The close reason of a writer whose lease another writer took.
LEASE_LOST = "writer_replaced"
# The close reason of a writer that waited ``REDIS_NODE_WAIT`` for a fetch node in vain.
NO_NODE = "no_fetch_node"
# Meta key of a request a node took from the frontier (a ``node.Taken``).
TAKEN = "frontier_taken"

# The parts Scrapy loads by name: a node's scheduler, the writer's extension and middlewares.
NODE_SCHEDULER = "crawler.distributed.nodescheduler.NodeScheduler"
WRITER = "crawler.distributed.writer.Writer"
REMOTE_FETCH = "crawler.distributed.remote.RemoteFetch"
PAGES_ARCHIVED = "crawler.distributed.remote.PagesArchived"


def redis_unreachable(url: str, job: str) -> str | None:
    """Why the Redis at ``url`` cannot be used for ``job`` (``job.redis_unreachable``)."""
    from crawler.distributed import job as jobs

    return jobs.redis_unreachable(url, job)


def writer_refused(config: Config, stop: Callable[[], bool]) -> Refusal | None:
    """Why this process may not be the job's writer (``job.writer_refused``)."""
    from crawler.distributed import job as jobs

    return jobs.writer_refused(config, stop)


def let_lease_go(config: Config) -> None:
    """Gives up the writer lease this process took (``job.let_lease_go``)."""
    from crawler.distributed import job as jobs

    jobs.let_lease_go(config)


def node_refused(config: Config, stop: Callable[[], bool]) -> Refusal | None:
    """Why this process may not be the fetch node it is named (``job.node_refused``)."""
    from crawler.distributed import job as jobs

    return jobs.node_refused(config, stop)


def fetch_node(crawler: Crawler, config: Config) -> FetchNode:
    """The fetch node of ``crawler``'s run (``node.FetchNode``)."""
    from crawler.distributed.node import FetchNode

    return FetchNode.from_config(crawler, config)

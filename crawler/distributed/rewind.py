"""A Redis gone back in time: restarted from a snapshot older than what the job's writer and
nodes saw (an RDB file taken mid-run), its frontier and the nodes' in-flight hashes hold again
requests whose pages were archived since, which nodes would ask of WeChat a second time.

The job's clock counts the requests nodes have taken (``scripts.TAKE_REQUEST``) and the pages
the writer has finished (``scripts.FINISH_PAGE``): a snapshot older than a take, no page
finished since, is behind too (the writer holds that page, or a node fetches it); the
writer and each node remember the latest they saw. A node that finds Redis's clock behind
its own takes nothing, leaving its clock in ``<job>:behind`` (``scripts.TAKE_REQUEST``);
the writer, at its next look, drops the requests whose pages it holds or finished this run
or the index holds settled, then sets the clock forward, and the nodes take again.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from crawler.distributed import frontier
from crawler.distributed.exchange import PageExchange
from crawler.distributed.frontier import WireError
from crawler.distributed.job import Job
from crawler.distributed.scripts import REQUESTS_HELD, REWOUND
from crawler.run import Run
from crawler.store.index import SETTLED


class Rewind:
    """Finds Redis behind the job's clock, and drops what it brought back that is done."""

    def __init__(self, client: aioredis.Redis, job: Job, exchange: PageExchange, run: Run):
        self.client = client
        self.job = job
        self.exchange = exchange
        self.run = run
        self._held = client.register_script(REQUESTS_HELD)
        self._rewound = client.register_script(REWOUND)

    async def look(self) -> int | None:
        """None when Redis holds the latest clock the writer and its nodes saw; else how many
        requests of pages done it dropped, having set the clock forward."""
        clock, behind = await self.client.mget(self.job.clock, self.job.behind)
        latest = max(self.exchange.clock, int(behind or 0))
        if int(clock or 0) >= latest:
            return None
        entries: list[Any] = await self._held(keys=[self.job.requests, self.job.nodes],  # bytes: not decoded
                                              args=[self.job.inflight_prefix])
        done = [part for entry in entries for part in self.done(entry)]
        dropped: int = await self._rewound(
            keys=[self.job.requests, self.job.dupefilter, self.job.nodes, self.job.clock, self.job.behind,
                  self.job.lease, self.job.last_writer],
            args=[self.job.inflight_prefix, latest, self.exchange.writer, *done])
        return dropped

    def done(self, entry: bytes) -> tuple[bytes, str] | tuple[()]:
        """``entry`` and its page id when its page is done: in this writer's hands (being archived:
        its pictures downloading, or a response Scrapy has not let go of), finished by it, or
        settled in the index; nothing for one the writer waits for, or no entry of this format."""
        try:
            request = frontier.loads(entry)
        except WireError:
            return ()
        page_id = request["meta"]["page_id"]
        if page_id in self.exchange.waiting:
            return ()
        url, index = request["url"], self.run.archive.index
        if page_id in self.exchange.held or page_id in self.exchange.archived \
                or index.article_state(index.article_of(url) or url) in SETTLED:
            return entry, page_id
        return ()

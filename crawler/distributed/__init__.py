"""One archive, many IPs: a writer and fetch nodes sharing one frontier in Redis.

WeChat allows each IP about one article page every few seconds, so backfilling needs many
IPs. With ``-s REDIS_URL=redis://host:port/db``, ``scrapy crawl accounts|album|article``
is the job's writer: it reads listings, decides what is new (the index is the only
authority), puts article requests on the job's frontier, and archives the pages that come
back, as it would pages it fetched itself. ``scrapy crawl fetch`` on each machine is a
fetch node: it takes article requests from the frontier one at a time, behind its own
politeness and block handling, and hands each raw response back. Nodes write nothing.

The frontier is scrapy-redis's (its scheduler, subclassed, and its priority queue's
format). Every key of a job starts with ``REDIS_JOB`` (see ``job.Job``):

- ``<job>:requests``       sorted set: the frontier, scrapy-redis's PriorityQueue
- ``<job>:dupefilter``     set: fingerprints of the pages the job asks for (queued, being
  fetched, or fetched and not yet taken by the writer)
- ``<job>:inflight:<node>`` hash: what a node has taken and not handed back (request → score)
- ``<job>:alive:<node>``   a node's heartbeat, expiring after ``REDIS_HEARTBEAT`` seconds
- ``<job>:nodes``          hash: node → fetching, blocked, stopped, lost or other version
- ``<job>:fetched``        hash: node → pages handed back
- ``<job>:dropped``        hash: node → pages handed back and dropped, another node's copy first
- ``<job>:handed``         hash: node → the token of its last hand-back (one tried again is not run twice)
- ``<job>:pages``          hash: fingerprint → the page handed back (``wire.Page``)
- ``<job>:ready``          list: fingerprints of pages handed back, for the writer to take
- ``<job>:taken``          hash: fingerprint → a page the writer took and has not archived yet
- ``<job>:takers``         hash: fingerprint → the writer (host:pid) that took it
- ``<job>:writer``         the writer's lease: its host:pid, expiring unless it renews it; nodes
  take nothing without it, and stop once it has been gone for ``REDIS_GRACE`` (a writer killed)
- ``<job>:lastwriter``     the writer that held the lease last (host:pid), for the job's length
- ``<job>:opened``         the writer's code version, for the job's length: a Redis without it lost the job
- ``<job>:clock``          requests taken by nodes and pages finished by the writer: a Redis
  restored from an older snapshot holds an older clock than the writer and nodes saw
- ``<job>:behind``         the latest clock a node saw, left by one that found Redis's behind it
- ``<job>:stopped``        why the writer stopped (a signal, its archive refusing writes): nodes
  take nothing and stop, until its next writer opens the job again
- ``<job>:done``           set when the writer has finished the job; nodes then stop
"""

"""The job's changes that must happen at once, as Lua scripts Redis runs atomically.

A request is always in exactly one place: on the frontier, in one node's in-flight hash,
or (as a page) waiting for the writer, or taken by the writer until it is archived; a
node or writer killed between two commands must not lose it or leave it in two. A node's
writes are refused once the writer has marked the job done, so that a late node does not
bring back keys the writer cleaned, and a writer's once another writer holds the job's lease.
"""

# A node takes the frontier's first request into its in-flight hash, if the job's writer
# runs its code (``opened`` holds the writer's ``code_version``; none yet is no other), and
# if the job's clock is not behind the one the node saw last: a Redis restored from an older
# snapshot holds again requests taken or archived since. The node then takes nothing and
# leaves the clock it saw in ``behind``, until the writer has dropped those (REWOUND). A take
# moves the clock: a snapshot older than it, no page finished since, is behind it too.
# Nothing is taken once the job's writer has stopped (``stopped``), nor while no writer holds
# the job's lease (killed, or stopped while Redis did not answer it, it said nothing): either
# way no writer takes the page back.
# KEYS: requests, inflight, opened, clock, behind, stopped, lease.
# ARGV: the node's code version, the clock it saw.
# Returns [request, score, the job's clock], nil when the frontier is empty or no writer
# takes pages, the writer's other version, or the job's clock, when behind.
TAKE_REQUEST = """
local version = redis.call('GET', KEYS[3])
if version and version ~= ARGV[1] then return version end
if redis.call('EXISTS', KEYS[6]) == 1 or redis.call('EXISTS', KEYS[7]) == 0 then return false end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then return false end
local clock = tonumber(redis.call('GET', KEYS[4]) or '0')
if clock < tonumber(ARGV[2]) then
  if tonumber(redis.call('GET', KEYS[5]) or '0') < tonumber(ARGV[2]) then
    redis.call('SET', KEYS[5], ARGV[2])
  end
  return clock
end
redis.call('ZREM', KEYS[1], first[1])
redis.call('HSET', KEYS[2], first[1], first[2])
return {first[1], first[2], redis.call('INCR', KEYS[4])}
"""

# A node puts a request it holds back on the frontier, exactly as it took it: nothing of
# the node's (its proxy, its headers, its retries) goes to the next.
# KEYS: inflight, requests, done.  ARGV: the request as taken, its score.
REQUEUE = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""


# A node hands back a page (or a failure, which does not count as fetched). The page is
# kept only while the job still wants it and has no copy: a page fetched twice (its node
# was thought dead) is dropped the second time, counted in ``dropped``, whether the
# writer took the first copy already or not. Its request leaves the frontier, where the
# writer put it back if it thought the node dead, so that no other node fetches it again.
# A job Redis lost (``opened`` gone: restarted without persistence, flushed) may want any
# page: kept, until the writer's next look has asked again for what it waits for. A node's
# hand-backs go one at a time, each with a token of its own: the same run again (its
# answer lost to a network cut, the call tried again) does nothing, where it would find
# the page handed back, or taken, and take it for another node's copy.
# KEYS: inflight, dupefilter, pages, ready, fetched, done, requests, dropped, opened, handed.
# ARGV: the request as taken, page id, page, node, '1' for a page ('0': a failure), token.
# Returns 1 when kept, DROPPED for a page dropped so, HANDED_ALREADY, 0 for anything else.
DROPPED = 2
HANDED_ALREADY = 3
HAND_BACK = """
if redis.call('EXISTS', KEYS[6]) == 1 then return 0 end
if redis.call('HGET', KEYS[10], ARGV[4]) == ARGV[6] then return 3 end
redis.call('HSET', KEYS[10], ARGV[4], ARGV[6])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
if ARGV[5] == '1' then redis.call('HINCRBY', KEYS[5], ARGV[4], 1) end
local wanted = redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 or redis.call('EXISTS', KEYS[9]) == 0
if not wanted or redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then
  if ARGV[5] ~= '1' then return 0 end
  redis.call('HINCRBY', KEYS[8], ARGV[4], 1)
  return 2
end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('RPUSH', KEYS[4], ARGV[2])
return 1
"""

# A node takes back into its in-flight hash the requests it holds that are on the frontier
# again: a Redis restored from a snapshot older than their take has them there, or the writer
# gave them back thinking the node silent. Another node would ask WeChat for them a second time.
# KEYS: inflight, requests, done.  ARGV: each request as taken, and its score.
# Returns how many were taken back.
HOLD_AGAIN = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local held = 0
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 and redis.call('ZREM', KEYS[2], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    held = held + 1
  end
end
return held
"""

# A node says it is alive, and fetching.
# KEYS: alive, nodes, done, clock, stopped.  ARGV: node, milliseconds the heartbeat lasts.
# Returns the job's clock (see TAKE_REQUEST), nil once the job is done, why its writer
# stopped once it has (a string).
HEARTBEAT = """
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
local stopped = redis.call('GET', KEYS[5])
if stopped then return stopped end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], 'fetching')
return tonumber(redis.call('GET', KEYS[4]) or '0')
"""

# Everything a node holds goes back to the frontier, and the node's state is recorded:
# by the node itself when it stops, or by the writer when the node's heartbeat expired
# (ARGV[3] = '1': nothing happens while the heartbeat is there).
# KEYS: inflight, requests, alive, nodes, done.  ARGV: node, state, only if silent.
# Returns how many requests went back, or -1 when nothing was done.
GIVE_BACK = """
if redis.call('EXISTS', KEYS[5]) == 1 then return -1 end
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
redis.call('DEL', KEYS[3])
local held = redis.call('HGETALL', KEYS[1])
for i = 1, #held, 2 do redis.call('ZADD', KEYS[2], held[i + 1], held[i]) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
return #held / 2
"""


def _writer_only(lease: int, last: int, writer: int) -> str:
    """The start of a writer's step that does nothing (returns nil) once another writer
    holds the job's lease (``KEYS[lease]``, this writer ``ARGV[writer]``), or held it last
    when its lease ran out (``KEYS[last]``, see LEASE): one silent for longer than its lease
    would otherwise, in the moments before its own look at the lease stops it, take the
    pages handed back for the other and put requests on its frontier."""
    return (f"local holder = redis.call('GET', KEYS[{lease}]) or redis.call('GET', KEYS[{last}])\n"
            f"if holder and holder ~= ARGV[{writer}] then return false end\n")


# The writer asks for a page: its request goes on the frontier unless the job holds it
# already (queued, being fetched, or fetched for a writer that was restarted since).
# KEYS: dupefilter, requests, lease, last writer.  ARGV: page id, score, request, writer.
# 1 when queued now.
SUBMIT = _writer_only(3, 4, 4) + """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# The writer takes a page: out of the pages handed back, into the pages taken, in the
# writer's name, until it has archived it (FINISH_PAGE); the job no longer asks for it
# (a second copy a node hands back is dropped). With ARGV[3] = '1' a page this writer
# took before is taken again: the answer of that take was lost (a timeout, a broken
# connection), so the writer never had it.
# KEYS: pages, dupefilter, lease, taken, takers, last writer.  ARGV: page id, writer, '1' to take again.
# Returns the page, or nil when it is not there.
TAKE_PAGE = _writer_only(3, 6, 2) + """
local page = redis.call('HGET', KEYS[1], ARGV[1])
if page then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('HSET', KEYS[4], ARGV[1], page)
  redis.call('HSET', KEYS[5], ARGV[1], ARGV[2])
  return page
end
if ARGV[3] == '1' and redis.call('HGET', KEYS[5], ARGV[1]) == ARGV[2] then
  return redis.call('HGET', KEYS[4], ARGV[1])
end
return false
"""

# The writer has archived a page it took (or nothing can come of it): the page leaves the
# job, and the job's clock (its requests taken and pages finished) moves on.
# KEYS: taken, takers, clock.  ARGV: page id, writer.  The clock when it was this writer's, else 0.
FINISH_PAGE = """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('INCR', KEYS[3])
"""

# A writer starting a job gets back the pages taken by writers of it that are gone
# (killed, their machine down) and not archived: handed back again, as a node hands a
# page back, for this writer to archive when it asks for them. A copy handed back since
# is kept instead. A page taken in the starting writer's own name is no exception: it has
# taken none yet, and its host:pid was a writer's before (a container's process 1, restarted).
# KEYS: taken, takers, pages, dupefilter, ready, lease, last writer.  ARGV: writer.
# Returns how many pages came back, then the writers that had taken them (each once).
RECLAIM = _writer_only(6, 7, 1) + """
local takers = redis.call('HGETALL', KEYS[2])
local back, writers, named = 0, {}, {}
for i = 1, #takers, 2 do
  local page = redis.call('HGET', KEYS[1], takers[i])
  redis.call('HDEL', KEYS[1], takers[i])
  redis.call('HDEL', KEYS[2], takers[i])
  if page and redis.call('HEXISTS', KEYS[3], takers[i]) == 0 then
    redis.call('HSET', KEYS[3], takers[i], page)
    redis.call('SADD', KEYS[4], takers[i])
    redis.call('RPUSH', KEYS[5], takers[i])
    back = back + 1
    if not named[takers[i + 1]] then
      named[takers[i + 1]] = true
      table.insert(writers, takers[i + 1])
    end
  end
end
return {back, unpack(writers)}
"""

# The writer asks again for a page that is nowhere: not on the frontier, in no node's
# in-flight hash, not handed back (Redis was flushed, evicted keys, or the page handed
# back was unreadable). Node names come from the nodes hash, as every node that holds
# a request says it is there first.
# KEYS: requests, pages, dupefilter, nodes, lease, last writer.
# ARGV: request, page id, score, in-flight key prefix, '1' to put it back ('0': only look), writer.
# 1 when it was nowhere.
REQUEUE_LOST = _writer_only(5, 6, 6) + """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
for _, node in ipairs(redis.call('HKEYS', KEYS[4])) do
  if redis.call('HEXISTS', ARGV[4] .. node, ARGV[1]) == 1 then return 0 end
end
if ARGV[5] == '1' then
  redis.call('SADD', KEYS[3], ARGV[2])
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
return 1
"""

# The requests a Redis gone back in time holds, on the frontier and in each node's in-flight
# hash (node names from the nodes hash), read in one step: read one place after the other, a
# request a node gave back in between (held by it in the snapshot, not now) was in neither read.
# KEYS: requests, nodes.  ARGV: in-flight key prefix.  Returns the entries.
REQUESTS_HELD = """
local entries = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, node in ipairs(redis.call('HKEYS', KEYS[2])) do
  for _, entry in ipairs(redis.call('HKEYS', ARGV[1] .. node)) do table.insert(entries, entry) end
end
return entries
"""

# The writer drops the requests a Redis gone back in time brought back whose pages were
# archived since, wherever they are now (on the frontier, or in a node's in-flight hash,
# as node names come from the nodes hash), and sets the job's clock forward: nodes take again.
# KEYS: requests, dupefilter, nodes, clock, behind, lease, last writer.
# ARGV: in-flight key prefix, the clock, writer, then each request and its page id.
# Returns how many requests were dropped.
REWOUND = _writer_only(6, 7, 3) + """
local dropped = 0
for i = 4, #ARGV, 2 do
  dropped = dropped + redis.call('ZREM', KEYS[1], ARGV[i])
  for _, node in ipairs(redis.call('HKEYS', KEYS[3])) do
    dropped = dropped + redis.call('HDEL', ARGV[1] .. node, ARGV[i])
  end
  redis.call('SREM', KEYS[2], ARGV[i + 1])
end
if tonumber(redis.call('GET', KEYS[4]) or '0') < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[4], ARGV[2])
end
redis.call('DEL', KEYS[5])
return dropped
"""

# One writer per job: the writer's lease, taken if free, renewed by its holder like a
# heartbeat. A lease that ran out is free to a writer starting (ARGV[3] = '1'), and to
# the writer that held it last: one back from a stall whose job another writer took
# meanwhile is told that one's name, even once that one's lease ran out too (it may be
# starting still, or stalled in turn), instead of taking the job back. A lease that runs
# is never a starting writer's own, even in its name: host:pid names another process too
# (process 1 of two containers of one host name), or a run of the name that died.
# KEYS: lease, last writer.  ARGV: writer, milliseconds it lasts, '1' at a writer's start.
# Returns the holder after the call, the milliseconds its lease has left, and 1 when the
# call took or renewed it (else 0).
LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder and ARGV[3] == '1' then return {holder, math.max(redis.call('PTTL', KEYS[1]), 0), 0} end
if not holder then
  holder = redis.call('GET', KEYS[2])
  if ARGV[3] == '1' or not holder then holder = ARGV[1] end
end
if holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('SET', KEYS[2], ARGV[1])
  return {ARGV[1], tonumber(ARGV[2]), 1}
end
return {holder, math.max(redis.call('PTTL', KEYS[1]), 0), 0}
"""

# The writer ends its job: every key of the job removed, and the job marked done, which
# stops its nodes (for ARGV[1] seconds), at once. A script rather than MULTI/EXEC: the
# README's ACL user may run scripts, not transactions (MULTI refused, the commands queued
# behind it ran one by one, and EXEC failed). The keys go first: a Redis full (maxmemory
# under noeviction) refuses a script whose first write would add to it, and this one frees.
# Nothing is done once another writer holds the lease: this one was silent for longer than
# it lasts (a stalled machine) as it ended the job, and the job is the other's now.
# KEYS: done, lease, last writer, then every other key of the job.  ARGV: writer, seconds the mark stays.
# 1 when ended.
END_JOB = _writer_only(2, 3, 1) + """
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[2])
return 1
"""

# The writer says it stopped (a signal, its archive refusing writes), and why: its nodes take
# nothing more and stop, until the job's next writer opens it again.
# KEYS: stopped, lease, last writer.  ARGV: writer, why.  1 when said.
STOP_JOB = _writer_only(2, 3, 1) + """
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""

# The writer lets its lease go. KEYS: lease.  ARGV: writer.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

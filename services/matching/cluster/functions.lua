#!lua name=signaling
-- The matching replicas' directory in Redis: who holds which acceptor id,
-- under a lease, with a fencing token that only increases. Loaded with
-- FUNCTION LOAD REPLACE by every replica on every (re)connect; Functions
-- are replicated, so a Sentinel failover keeps them.
--
-- Keys (P is the configured prefix, passed as the first argument):
--   P a:{id}   hash sub, rep, ep, sess, fence: the holder of an id; PX the lease
--   P w:{id}   zset of replicas with offerers waiting for the id, scored by
--              the end of their wait (unix ms); expires with the last wait
--   P fence    the fencing counter: INCR for every claim, never reset
--   P m:<rep>  "<epoch> <state>": a replica's membership; PX its own lease
--   P members  zset of replica names scored by the end of their membership's
--              lease (unix ms): the index that lists the members without
--              scanning the keyspace; m:<rep> stays the truth
--   P epochs   INCR: every replica start takes a new epoch, never reused
--   P gen      the data's generation: random, written when the data begins
--   P barrier  present (PX) while the replicas re-assert after data loss
--
-- A holder is live while its replica's membership names the holder's
-- epoch: a crashed replica's ids are free once its membership lapses, a
-- restarted one's at once (it has a new epoch). Every answer is an array
-- whose first element says what happened.

local function live(prefix, rep, ep)
  local m = redis.call('GET', prefix .. 'm:' .. rep)
  return m ~= false and string.match(m, '^(%d+)') == ep
end

local function write(key, sub, rep, ep, sess, fence, ttl)
  redis.call('DEL', key)
  redis.call('HSET', key, 'sub', sub, 'rep', rep, 'ep', ep, 'sess', sess, 'fence', fence)
  redis.call('PEXPIRE', key, ttl)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The replicas whose offerers still wait for the id, and the note removed:
-- they are told where the id is now.
local function take_waiters(key)
  local waiting = redis.call('ZRANGEBYSCORE', key, now_ms(), '+inf')
  redis.call('DEL', key)
  return waiting
end

-- claim(KEYS: a:{id}, fence, w:{id}; ARGV: prefix, sub, rep, ep, sess, ttl_ms)
--   {'OK', fence, waiting}                            the id was free (or its holder dead)
--   {'REPLACED', fence, waiting, rep, sess, oldfence} same subject: the old holder must go
--   {'TAKEN', rep, sess}                              another subject holds it
--   {'BARRIER'}                                       re-assertion after data loss under way,
--                                                     or no replica has checked the data yet
-- `waiting`: the replicas with offerers waiting for the id.
local function claim(keys, args)
  local prefix, sub, rep, ep, sess, ttl = args[1], args[2], args[3], args[4], args[5], args[6]
  -- No generation: the data is new (Redis restarted empty, say) and the
  -- replicas have not re-asserted what they hold: claim nothing yet.
  if redis.call('EXISTS', prefix .. 'barrier') == 1 or redis.call('EXISTS', prefix .. 'gen') == 0 then
    return {'BARRIER'}
  end
  local h = redis.call('HMGET', keys[1], 'sub', 'rep', 'ep', 'sess', 'fence')
  local replaced = false
  if h[1] and live(prefix, h[2], h[3]) then
    if h[1] ~= sub then return {'TAKEN', h[2], h[4]} end
    replaced = true
  end
  local fence = redis.call('INCR', keys[2])
  write(keys[1], sub, rep, ep, sess, fence, ttl)
  local waiting = take_waiters(keys[3])
  if replaced then return {'REPLACED', fence, waiting, h[2], h[4], tonumber(h[5])} end
  return {'OK', fence, waiting}
end

-- lookup(KEYS: a:{id}, w:{id}; ARGV: prefix, rep, wait_until_ms)
--   {'HELD', rep, sess, fence, sub}, or {'FREE'}; when free and
--   wait_until_ms is not 0, `rep` is noted as waiting for the id until
--   then, in the same step (a claim in between cannot be missed)
local function lookup(keys, args)
  local h = redis.call('HMGET', keys[1], 'sub', 'rep', 'ep', 'sess', 'fence')
  if h[1] and live(args[1], h[2], h[3]) then
    return {'HELD', h[2], h[4], tonumber(h[5]), h[1]}
  end
  local until_ms = tonumber(args[3])
  if until_ms > 0 then
    redis.call('ZADD', keys[2], 'GT', until_ms, args[2])
    local expires = redis.call('PEXPIRETIME', keys[2])
    if expires < until_ms then redis.call('PEXPIREAT', keys[2], until_ms) end
  end
  return {'FREE'}
end

-- release(KEYS: a:{id}; ARGV: fence): {'OK'} when it was ours, else {'STALE'}
local function release(keys, args)
  if redis.call('HGET', keys[1], 'fence') == args[1] then
    redis.call('DEL', keys[1])
    return {'OK'}
  end
  return {'STALE'}
end

-- renew(KEYS: a:{id}; ARGV: fence, ttl_ms): {'OK'} or {'LOST'}
local function renew(keys, args)
  if redis.call('HGET', keys[1], 'fence') == args[1] then
    redis.call('PEXPIRE', keys[1], args[2])
    return {'OK'}
  end
  return {'LOST'}
end

-- reassert(KEYS: a:{id}, fence; ARGV: prefix, fence, sub, rep, ep, sess, ttl_ms)
-- After a reconnect, a failover or data loss: the highest fence wins.
--   {'OK'}                      kept (or written back) with our fence
--   {'OK', rep, sess, fence}    written back over a live holder with a lower
--                               fence, which must go
--   {'LOST', rep, sess, fence}  a live holder with a higher fence has it
local function reassert(keys, args)
  local prefix, fence, sub, rep, ep, sess, ttl =
      args[1], tonumber(args[2]), args[3], args[4], args[5], args[6], args[7]
  local h = redis.call('HMGET', keys[1], 'rep', 'ep', 'sess', 'fence')
  local current = tonumber(h[4])
  if current == fence then
    redis.call('HSET', keys[1], 'ep', ep)
    redis.call('PEXPIRE', keys[1], ttl)
    return {'OK'}
  end
  local other_live = current ~= nil and live(prefix, h[1], h[2])
  if other_live and current > fence then return {'LOST', h[1], h[3], current} end
  -- Missing, stale, or lower: ours. The counter never goes below a fence in use.
  if tonumber(redis.call('GET', keys[2]) or '0') < fence then redis.call('SET', keys[2], fence) end
  write(keys[1], sub, rep, ep, sess, fence, ttl)
  if other_live then return {'OK', h[1], h[3], current} end
  return {'OK'}
end

-- member(KEYS: m:<rep>[, members]; ARGV: epoch, state, ttl_ms[, rep]): a
-- replica's heartbeat; with the index key, the replica is listed there until
-- its lease ends.
--   {'OK'}, or {'SUPERSEDED', epoch} when a newer start of the same replica
--   (a higher epoch under the same name) has taken the name over
local function member(keys, args)
  local m = redis.call('GET', keys[1])
  if m then
    local current = tonumber(string.match(m, '^(%d+)'))
    if current ~= nil and current > tonumber(args[1]) then return {'SUPERSEDED', current} end
  end
  redis.call('SET', keys[1], args[1] .. ' ' .. args[2], 'PX', args[3])
  if keys[2] then redis.call('ZADD', keys[2], now_ms() + tonumber(args[3]), args[4]) end
  return {'OK'}
end

-- leave(KEYS: m:<rep>[, members]; ARGV: epoch[, rep]): deletes the
-- membership, and its index entry, if it is ours
local function leave(keys, args)
  local m = redis.call('GET', keys[1])
  if m and string.match(m, '^(%d+)') == args[1] then
    redis.call('DEL', keys[1])
    if keys[2] then redis.call('ZREM', keys[2], args[2]) end
  end
  return {'OK'}
end

-- members(KEYS: members; ARGV: prefix): the live replicas, O(members).
--   {'OK', rep, state, rep, state, ...}
-- Entries whose lease ended, or whose membership is gone (Redis lost it,
-- say), are pruned on the way; a replica that heartbeats is listed again.
local function members(keys, args)
  redis.call('ZREMRANGEBYSCORE', keys[1], '-inf', '(' .. now_ms())
  local out = {'OK'}
  for _, rep in ipairs(redis.call('ZRANGE', keys[1], 0, -1)) do
    local m = redis.call('GET', args[1] .. 'm:' .. rep)
    if m then
      table.insert(out, rep)
      table.insert(out, string.match(m, '^%d+ (.*)$') or '')
    else
      redis.call('ZREM', keys[1], rep)
    end
  end
  return out
end

-- generation(KEYS: gen, barrier; ARGV: known, proposed, barrier_ms)
-- Tells a replica whether the data it knew is still there. `known` is the
-- generation it saw last ("" at its start).
--   {'SAME'}          the data is the one it knew
--   {'NEW', gen}      nothing before: a first start, `proposed` written
--   {'ADOPT', gen}    its first look at data that other replicas began
--   {'LOST', gen}     the data it knew is gone (Redis restarted empty, or a
--                     failover lost it): re-assert; claims wait for the barrier
local function generation(keys, args)
  local known, proposed, barrier_ms = args[1], args[2], args[3]
  local current = redis.call('GET', keys[1])
  if current and current == known then return {'SAME'} end
  if not current then
    redis.call('SET', keys[1], proposed)
    if known == '' then return {'NEW', proposed} end
    redis.call('SET', keys[2], '1', 'PX', barrier_ms)
    return {'LOST', proposed}
  end
  if known == '' then return {'ADOPT', current} end
  return {'LOST', current}
end

redis.register_function('signaling_generation', generation)
redis.register_function('signaling_member', member)
redis.register_function('signaling_leave', leave)
redis.register_function('signaling_members', members)
redis.register_function('signaling_claim', claim)
redis.register_function('signaling_lookup', lookup)
redis.register_function('signaling_release', release)
redis.register_function('signaling_renew', renew)
redis.register_function('signaling_reassert', reassert)

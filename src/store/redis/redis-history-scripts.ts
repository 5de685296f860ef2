import { LuaScript } from './lua-script.js';

/*
 * The HistoryStore's Lua scripts (key layout in redis-history-store.ts). Each runs as one
 * atomic step, so a clear, open or delete on another instance never slips in between reading
 * a user's current number and writing to it. KEYS[1] is the user's `:cur` pointer; the other
 * keys are derived in the script from ARGV's user key base: they carry the same `{openid}` hash
 * tag, so in a cluster they live in KEYS[1]'s slot. Global keys (`conv:all`) appear only in the append
 * script, and only when the store runs off a cluster (it passes their prefix then).
 *
 * A conversation summary is JSON in `:conv`: { n, title, createdAt, updatedAt, count, r? },
 * `r` = when the append script last refreshed the expiries (absent: never).
 */

/** Shared helpers, prepended to the scripts that need them. */
const HELPERS = `
local function k(base, n, suffix) return base .. ':' .. n .. ':' .. suffix end
-- forgets a conversation: its messages, its id and its place in the list
local function drop(base, id)
  local raw = redis.call('HGET', base .. ':conv', id)
  if raw then
    local n = tostring(cjson.decode(raw).n)
    redis.call('DEL', k(base, n, 'msgs'), k(base, n, 'ids'))
    if redis.call('HGET', base .. ':num', n) == id then redis.call('HDEL', base .. ':num', n) end
    redis.call('HDEL', base .. ':conv', id)
  end
  redis.call('ZREM', base .. ':convs', id)
end
-- an empty conversation the user leaves can never be listed nor reached: its id goes
local function dropIfEmpty(base, n)
  local id = redis.call('HGET', base .. ':num', n)
  if not id then return end
  local raw = redis.call('HGET', base .. ':conv', id)
  if raw and cjson.decode(raw).count ~= 0 then return end
  redis.call('HDEL', base .. ':num', n)
  redis.call('HDEL', base .. ':conv', id)
end
local function expire(retain, keys)
  if retain > 0 then for _, key in ipairs(keys) do redis.call('PEXPIRE', key, retain) end end
end
local function fresh(n) return cjson.encode({ n = tonumber(n), title = '', createdAt = 0, updatedAt = 0, count = 0 }) end
-- a user whose conversations were written before they had ids (no ':num' yet, but history):
-- the caller adopts them first (redis-legacy-conversations.ts), then asks again
local function legacy(base, cur)
  if redis.call('EXISTS', base .. ':num') == 1 then return false end
  return redis.call('EXISTS', cur) == 1 or redis.call('EXISTS', k(base, '0', 'msgs')) == 1
end
`;

/**
 * Append one message to a conversation (ARGV[6] when ARGV[11] is '1', else the current one), if its id is new
 * there; cap the list (ids of dropped messages leave the id set too); update the summary and the
 * list's order. Every key's expiry is refreshed, and conversations past retention dropped, when
 * the conversation's last refresh (`r`) is 1 % of the retention old or it has none: every key
 * then lives at least 99 % of the retention past the last message, and most appends (an answer
 * right after its question, a conversation in full swing) skip those eight calls.
 * ARGV: id, json, maxMessages, retainMs, user key base, conversation id or '', fresh id for a
 * current conversation without one, createdAt, title candidate or '', now, '1' if a conversation id is given,
 * the key prefix to update the global index with here ('' = the caller does it: a cluster), openid.
 * Returns {-1} for an unknown conversation, {-2} for a user to adopt first, else
 * {added 0|1, conversation id, updatedAt}.
 */
export const APPEND_SCRIPT = new LuaScript(`${HELPERS}
local base, cid = ARGV[5], ARGV[6]
local conv, num, convs = base .. ':conv', base .. ':num', base .. ':convs'
local n, raw
if ARGV[11] == '1' then
  if legacy(base, KEYS[1]) then return {-2} end
  raw = redis.call('HGET', conv, cid)
  if not raw then return {-1} end
  n = tostring(cjson.decode(raw).n)
else
  n = redis.call('GET', KEYS[1]) or '0'
  -- found in ':num', the user has one: not a user to adopt, and no need to ask (legacy())
  cid = redis.call('HGET', num, n)
  raw = cid and redis.call('HGET', conv, cid)
  if not raw then
    if not cid and legacy(base, KEYS[1]) then return {-2} end
    cid, raw = ARGV[7], fresh(n)
    redis.call('HSET', num, n, cid, 'v', '2')
  end
end
local s = cjson.decode(raw)
local list, ids = k(base, n, 'msgs'), k(base, n, 'ids')
local added = redis.call('SADD', ids, ARGV[1])
local retain, now = tonumber(ARGV[4]), tonumber(ARGV[10])
local refresh = retain > 0 and (s.r == nil or now - s.r >= retain / 100)
if refresh then s.r = now end
if added == 1 then
  local length = redis.call('RPUSH', list, ARGV[2])
  local over = length - tonumber(ARGV[3])
  if over > 0 then
    for _, v in ipairs(redis.call('LRANGE', list, 0, over - 1)) do
      -- the id is the first field as this store writes it: read without decoding the message
      redis.call('SREM', ids, string.match(v, '^{"id":"([^"\\\\]*)"') or cjson.decode(v).id)
    end
    redis.call('LTRIM', list, over, -1)
    length = length - over
  end
  local at = tonumber(ARGV[8])
  if s.count == 0 then s.createdAt = at; s.updatedAt = at elseif at > s.updatedAt then s.updatedAt = at end
  if s.title == '' and ARGV[9] ~= '' then s.title = ARGV[9] end
  s.count = length
  redis.call('HSET', conv, cid, cjson.encode(s))
  redis.call('ZADD', convs, s.updatedAt, cid)
  if ARGV[12] ~= '' then
    -- the global index (redis-conversation-index.ts), here only off a cluster: other slots
    redis.call('ZADD', ARGV[12] .. 'conv:all', s.updatedAt, cid)
    redis.call('HSET', ARGV[12] .. 'conv:owner', cid, ARGV[13])
  end
elseif refresh or raw ~= redis.call('HGET', conv, cid) then
  redis.call('HSET', conv, cid, cjson.encode(s))
end
if refresh then
  expire(retain, { list, ids, KEYS[1], base .. ':top', conv, num, convs })
  -- conversations whose last message is older than retention: their lists are expiring or gone
  for _, old in ipairs(redis.call('ZRANGEBYSCORE', convs, '-inf', '(' .. (now - retain))) do
    if old ~= cid then drop(base, old) end
  end
end
return { added, cid, s.updatedAt }
`);

/**
 * The newest messages of a conversation (ARGV[3]; '' = the current one), oldest first, in one
 * round trip: the prompt of a chat that names its conversation reads them (one that names none
 * reads them with CURRENT_SCRIPT). ARGV: user key base, how many, conversation id or ''. An
 * unknown conversation has none.
 */
export const RECENT_SCRIPT = new LuaScript(`
local base = ARGV[1]
local n
if ARGV[3] == '' then
  n = redis.call('GET', KEYS[1]) or '0'
else
  local raw = redis.call('HGET', base .. ':conv', ARGV[3])
  if not raw then return {} end
  n = tostring(cjson.decode(raw).n)
end
return redis.call('LRANGE', base .. ':' .. n .. ':msgs', -tonumber(ARGV[2]), -1)
`);

/**
 * Start a new current conversation, numbered past every number in use (`:top`; absent on
 * users from before it existed, whose numbers never went past `:cur`). The old one stays, with
 * the retention expiry from now; an empty one is forgotten. ARGV: user key base, retainMs.
 */
export const CLEAR_SCRIPT = new LuaScript(`${HELPERS}
local base = ARGV[1]
local old = redis.call('GET', KEYS[1]) or '0'
local top = tonumber(redis.call('GET', base .. ':top') or old)
local nxt = math.max(top, tonumber(old)) + 1
dropIfEmpty(base, old)
redis.call('SET', KEYS[1], nxt)
redis.call('SET', base .. ':top', nxt)
expire(tonumber(ARGV[2]), { k(base, old, 'msgs'), k(base, old, 'ids'), KEYS[1], base .. ':top', base .. ':conv', base .. ':num', base .. ':convs' })
return 1
`);

/**
 * The current conversation's id, created (empty, unlisted) when it has none, and its last
 * ARGV[4] messages (0: none) — where a chat that names no conversation starts, one round trip.
 * ARGV: base, fresh id, retainMs, how many messages. Returns {id, {message JSON…}}, or {''}
 * for a user to adopt first.
 */
export const CURRENT_SCRIPT = new LuaScript(`${HELPERS}
local base = ARGV[1]
local n = redis.call('GET', KEYS[1]) or '0'
-- found in ':num', the user has one: not a user to adopt, and no need to ask (legacy())
local id = redis.call('HGET', base .. ':num', n)
if not id and legacy(base, KEYS[1]) then return {''} end
if not (id and redis.call('HEXISTS', base .. ':conv', id) == 1) then
  id = ARGV[2]
  redis.call('HSET', base .. ':num', n, id, 'v', '2')
  redis.call('HSET', base .. ':conv', id, fresh(n))
  expire(tonumber(ARGV[3]), { KEYS[1], base .. ':conv', base .. ':num' })
end
local count = tonumber(ARGV[4])
if count > 0 then return {id, redis.call('LRANGE', k(base, n, 'msgs'), -count, -1)} end
return {id, {}}
`);

/**
 * Make one of the user's conversations current. `:top` first learns the number being left,
 * so a later clear still goes past it. ARGV: base, conversation id, retainMs. Returns 0 when unknown.
 */
export const OPEN_SCRIPT = new LuaScript(`${HELPERS}
local base = ARGV[1]
local raw = redis.call('HGET', base .. ':conv', ARGV[2])
if not raw then return 0 end
local n = tostring(cjson.decode(raw).n)
local cur = redis.call('GET', KEYS[1]) or '0'
if cur ~= n then
  dropIfEmpty(base, cur)
  local top = tonumber(redis.call('GET', base .. ':top') or cur)
  redis.call('SET', base .. ':top', math.max(top, tonumber(cur)))
  redis.call('SET', KEYS[1], n)
end
expire(tonumber(ARGV[3]), { KEYS[1], base .. ':top', base .. ':conv', base .. ':num', base .. ':convs', k(base, n, 'msgs'), k(base, n, 'ids') })
return 1
`);

/**
 * Delete a conversation and its messages. A deleted current conversation leaves its number
 * current without an id: the next append gives it a fresh one. ARGV: base, id. Returns 0 when unknown.
 */
export const DELETE_SCRIPT = new LuaScript(`${HELPERS}
local base = ARGV[1]
if redis.call('HEXISTS', base .. ':conv', ARGV[2]) == 0 then return 0 end
drop(base, ARGV[2])
return 1
`);

/**
 * Give a user's conversations from before ids existed their ids and summaries, computed by the
 * caller from the lists — unless another instance did it meanwhile (':num' exists), so it
 * happens once. ':num' gets the field v=2 to mark the user adopted even with no conversation left.
 * ARGV: base, retainMs, JSON [{ n, id, title, createdAt, updatedAt, count }].
 * Returns the number of conversations adopted, or -1 when it was already done.
 */
export const ADOPT_SCRIPT = new LuaScript(`${HELPERS}
local base = ARGV[1]
if redis.call('EXISTS', base .. ':num') == 1 then return -1 end
local found = cjson.decode(ARGV[3])
if #found == 0 and not legacy(base, KEYS[1]) then return 0 end
for _, c in ipairs(found) do
  redis.call('HSET', base .. ':num', tostring(c.n), c.id)
  redis.call('HSET', base .. ':conv', c.id, cjson.encode({ n = c.n, title = c.title, createdAt = c.createdAt, updatedAt = c.updatedAt, count = c.count }))
  redis.call('ZADD', base .. ':convs', c.updatedAt, c.id)
end
redis.call('HSET', base .. ':num', 'v', '2')
expire(tonumber(ARGV[2]), { base .. ':conv', base .. ':num', base .. ':convs' })
return #found
`);

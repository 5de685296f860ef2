import { LuaScript } from '../../store/redis/lua-script.js';

/**
 * The registry's Lua scripts: each decision that two instances could race on is one script,
 * so exactly one of them wins (one claim per session, one finisher per answer).
 */

/**
 * KEYS lock, request ('' = none), meta, cur · ARGV id, owner, leaseMs, ttlS, openid, rid JSON,
 * the session's key base (for the previous answer's hash: same hash tag, so the same slot).
 * → {'joined', id} | {'busy', id} | {'claimed', id, previous answer id still 'generating' or ''}
 * A previous answer still generating with no lock is one whose instance died: the caller ends
 * it (REAP) before its new question is stored, so the history stays in order.
 */
export const CLAIM = new LuaScript(`
if KEYS[2] ~= '' then
  local seen = redis.call('GET', KEYS[2])
  if seen then return {'joined', seen} end
end
local held = redis.call('GET', KEYS[1])
if held then return {'busy', held} end
local orphan = ''
local previous = redis.call('GET', KEYS[4])
if previous and redis.call('HGET', ARGV[7] .. ':' .. previous .. ':m', 'status') == 'generating' then orphan = previous end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[4]) end
redis.call('HSET', KEYS[3], 'status', 'generating', 'owner', ARGV[2], 'openid', ARGV[5], 'rid', ARGV[6])
redis.call('EXPIRE', KEYS[3], ARGV[4])
redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[4])
return {'claimed', ARGV[1], orphan}
`);

/** Undo a claim that never started. KEYS lock, request ('' = none), meta · ARGV id. */
export const WITHDRAW = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if KEYS[2] ~= '' and redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('DEL', KEYS[3])
return 1
`);

/**
 * The owner's heartbeat. KEYS lock, meta, stream, cur · ARGV id, leaseMs, ttlS.
 * → {lock still ours (1/0), cancel flag ('' or '1')}
 */
export const RENEW = new LuaScript(`
local mine = redis.call('GET', KEYS[1]) == ARGV[1]
if mine then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('EXPIRE', KEYS[4], ARGV[3])
return {mine and 1 or 0, redis.call('HGET', KEYS[2], 'cancel') or ''}
`);

/**
 * The owner's last word: the result entry, unless the answer was already declared lost.
 * KEYS lock, meta, stream · ARGV id, ttlS, result JSON, status, maxLen. → 1 written, 0 too late
 */
export const FINISH = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('HGET', KEYS[2], 'status') ~= 'generating' then return 0 end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'k', 'e', 'r', ARGV[3])
redis.call('HSET', KEYS[2], 'status', ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[2])
return 1
`);

/**
 * Declares an answer lost when nobody holds its lease any more (its instance died): the text
 * generated so far becomes a failed result. One caller wins; it stores the partial answer.
 * KEYS meta, lock, stream · ARGV id, ttlS.
 * → false (alive, or already final) | {'lost', openid, text} | {'gone'} (meta expired)
 */
export const REAP = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'gone'} end
if status ~= 'generating' then return false end
if redis.call('GET', KEYS[2]) == ARGV[1] then return false end
local parts = {}
for _, entry in ipairs(redis.call('XRANGE', KEYS[3], '-', '+')) do
  local fields, kind, text = entry[2], nil, nil
  for i = 1, #fields, 2 do
    if fields[i] == 'k' then kind = fields[i + 1] elseif fields[i] == 't' then text = fields[i + 1] end
  end
  if kind == 'd' then parts[#parts + 1] = text end
end
local text = table.concat(parts)
local result = cjson.encode({id = ARGV[1], text = text, status = 'failed', error = {reason = 'instance_lost'}})
redis.call('XADD', KEYS[3], '*', 'k', 'e', 'r', result)
redis.call('HSET', KEYS[1], 'status', 'failed')
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[2])
return {'lost', redis.call('HGET', KEYS[1], 'openid') or '', text}
`);

/**
 * The shared line's data in Redis, changed only by these scripts: Redis runs each one alone,
 * so a check of a cap and the start it allows are one step for every process at once. Keys
 * (under a prefix, ARGV[1]):
 *
 * - `line`: a sorted set of the users with jobs waiting, scored by the turn they were last
 *   served (never served: before everyone, in order of arrival). The lowest goes next.
 * - `pending:<user>`: that user's waiting job ids, oldest first.
 * - `job:<id>`: the job's user, server ('' outside any), owning process and request count.
 * - `running`: the ids of the jobs running anywhere; `run:user:<id>` and `run:guild:<id>`
 *   count them per member and per server, exactly, for the caps.
 * - `served`: the turn each user was last served, kept while they have jobs waiting or running.
 * - `owner:<process>`: present while that process is alive (it renews a short expiry). A
 *   process that is gone takes nothing with it: its entries are dropped here, and the
 *   store's rows of its jobs are reported to their requesters by a process that lives.
 *
 * Every change is published on `changed`, so each process looks at the line again.
 */

// i18n-exempt: Lua, read by Redis alone
const helpers = `
local p = ARGV[1]
local function count(key) return tonumber(redis.call('GET', key)) or 0 end
-- '*': handed on at a rolling restart, for whichever process takes it next; never gone.
local function alive(owner) return owner and (owner == '*' or redis.call('EXISTS', p .. 'owner:' .. owner) == 1) end
local function forget_if_idle(user)
  if redis.call('ZSCORE', p .. 'line', user) == false and count(p .. 'run:user:' .. user) == 0 then
    redis.call('HDEL', p .. 'served', user)
  end
end
local function decrement(key)
  if redis.call('DECR', key) <= 0 then redis.call('DEL', key) end
end
local function stop_running(id)
  if redis.call('SREM', p .. 'running', id) == 0 then return false end
  local user = redis.call('HGET', p .. 'job:' .. id, 'user')
  local guild = redis.call('HGET', p .. 'job:' .. id, 'guild')
  redis.call('DEL', p .. 'job:' .. id)
  if user then
    decrement(p .. 'run:user:' .. user)
    if guild and guild ~= '' then decrement(p .. 'run:guild:' .. guild) end
    forget_if_idle(user)
  end
  return true
end
local function enqueue(id, user, guild, owner, requests)
  redis.call('HSET', p .. 'job:' .. id, 'user', user, 'guild', guild, 'owner', owner, 'requests', requests)
  redis.call('RPUSH', p .. 'pending:' .. user, id)
  if redis.call('ZSCORE', p .. 'line', user) == false then
    local served = redis.call('HGET', p .. 'served', user)
    local score
    if served then score = tonumber(served) else score = -1e12 + redis.call('INCR', p .. 'arrival') end
    redis.call('ZADD', p .. 'line', score, user)
  end
end
local function drop_waiting(user, id)
  local list = p .. 'pending:' .. user
  local removed = redis.call('LREM', list, 0, id)
  -- A job that is no longer waiting (a claim got there first) keeps what FINISH needs.
  if removed > 0 and redis.call('SISMEMBER', p .. 'running', id) == 0 then redis.call('DEL', p .. 'job:' .. id) end
  if redis.call('LLEN', list) == 0 then
    redis.call('ZREM', p .. 'line', user)
    forget_if_idle(user)
  end
  return removed
end
`;

/** ARGV: prefix, id, user, guild ('' for none), owner, requests. A job already known is left as it is. */
// i18n-exempt: Lua, read by Redis alone
export const ENQUEUE = `${helpers}
if redis.call('EXISTS', p .. 'job:' .. ARGV[2]) == 1 then return 0 end
enqueue(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
redis.call('PUBLISH', p .. 'changed', 'enqueue')
return 1
`;

/**
 * The next job to start anywhere, by the same rule as the in-process queue: users in turn
 * order, the head of each one's jobs, skipping a user at their cap or a server at its cap.
 * It is started here only if it is the caller's, or handed on ('*') and the caller takes such
 * jobs (ARGV[6] '1'); otherwise its owner is named, which starts it when it next looks. With
 * Venice's image window shut (ARGV[7] '1'), only a job the window does not pace (requests 0: a
 * describe) may start, and the others are looked past. ARGV: prefix, owner, max running, max
 * per user, max per server, adopts, window shut.
 * Returns {'mine', id}, {'adopt', id}, {'other', id, owner}, {'full'} or {'none'}.
 */
// i18n-exempt: Lua, read by Redis alone
export const CLAIM = `${helpers}
local me = ARGV[2]
local max_all, max_user, max_guild = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local window_shut = ARGV[7] == '1'
if redis.call('SCARD', p .. 'running') >= max_all then return {'full'} end
for _, user in ipairs(redis.call('ZRANGE', p .. 'line', 0, -1)) do
  local list = p .. 'pending:' .. user
  local head = redis.call('LINDEX', list, 0)
  -- Jobs of a process that is gone leave the line as they reach its head.
  while head and not alive(redis.call('HGET', p .. 'job:' .. head, 'owner')) do
    redis.call('LPOP', list)
    redis.call('DEL', p .. 'job:' .. head)
    head = redis.call('LINDEX', list, 0)
  end
  if not head then
    redis.call('ZREM', p .. 'line', user)
    forget_if_idle(user)
  elseif count(p .. 'run:user:' .. user) < max_user then
    local guild = redis.call('HGET', p .. 'job:' .. head, 'guild')
    if guild == '' or count(p .. 'run:guild:' .. guild) < max_guild then
      local owner = redis.call('HGET', p .. 'job:' .. head, 'owner')
      local adopting = owner == '*' and ARGV[6] == '1'
      -- A job handed on that this process does not take (a gateway's, for the workers) is not
      -- its turn to wait on: it looks further down the line for one of its own.
      local skip = (owner == '*' and not adopting) or (window_shut and redis.call('HGET', p .. 'job:' .. head, 'requests') ~= '0')
      if owner ~= me and not adopting and not skip then return {'other', head, owner} end
      if not skip then
        if adopting then redis.call('HSET', p .. 'job:' .. head, 'owner', me) end
        redis.call('LPOP', list)
        redis.call('SADD', p .. 'running', head)
        redis.call('INCR', p .. 'run:user:' .. user)
        if guild ~= '' then redis.call('INCR', p .. 'run:guild:' .. guild) end
        local turn = redis.call('INCR', p .. 'turn')
        redis.call('HSET', p .. 'served', user, turn)
        if redis.call('LLEN', list) == 0 then redis.call('ZREM', p .. 'line', user) else redis.call('ZADD', p .. 'line', turn, user) end
        redis.call('PUBLISH', p .. 'changed', 'start')
        if adopting then return {'adopt', head} end
        return {'mine', head}
      end
    end
  end
end
return {'none'}
`;

/** A running job ended. ARGV: prefix, id. */
// i18n-exempt: Lua, read by Redis alone
export const FINISH = `${helpers}
local ended = stop_running(ARGV[2])
redis.call('PUBLISH', p .. 'changed', 'finish')
if ended then return 1 end
return 0
`;

/** A waiting job left the line (cancelled, or taken at shutdown). ARGV: prefix, id. */
// i18n-exempt: Lua, read by Redis alone
export const REMOVE = `${helpers}
local user = redis.call('HGET', p .. 'job:' .. ARGV[2], 'user')
if not user or redis.call('SISMEMBER', p .. 'running', ARGV[2]) == 1 then return 0 end
local removed = drop_waiting(user, ARGV[2])
redis.call('PUBLISH', p .. 'changed', 'remove')
return removed
`;

/**
 * The waiting jobs in the order they would start (one per user per round, users in turn
 * order), as id, requests pairs, up to ARGV[2] jobs; then the totals waiting and running.
 */
// i18n-exempt: Lua, read by Redis alone
export const ORDER = `${helpers}
local limit = tonumber(ARGV[2])
local lists, waiting = {}, 0
for i, user in ipairs(redis.call('ZRANGE', p .. 'line', 0, -1)) do
  lists[i] = redis.call('LRANGE', p .. 'pending:' .. user, 0, limit - 1)
  waiting = waiting + redis.call('LLEN', p .. 'pending:' .. user)
end
local out, shown, round = {}, 0, 1
while shown < limit do
  local any = false
  for i = 1, #lists do
    local id = lists[i][round]
    if id and shown < limit then
      any = true
      shown = shown + 1
      out[#out + 1] = id
      out[#out + 1] = redis.call('HGET', p .. 'job:' .. id, 'requests') or '1'
    end
  end
  if not any then break end
  round = round + 1
end
out[#out + 1] = tostring(waiting)
out[#out + 1] = tostring(redis.call('SCARD', p .. 'running'))
return out
`;

/** Drops what processes that are gone left waiting or running; returns how many. ARGV: prefix. */
// i18n-exempt: Lua, read by Redis alone
export const REAP = `${helpers}
local reaped = 0
for _, id in ipairs(redis.call('SMEMBERS', p .. 'running')) do
  if not alive(redis.call('HGET', p .. 'job:' .. id, 'owner')) and stop_running(id) then reaped = reaped + 1 end
end
for _, user in ipairs(redis.call('ZRANGE', p .. 'line', 0, -1)) do
  for _, id in ipairs(redis.call('LRANGE', p .. 'pending:' .. user, 0, -1)) do
    if not alive(redis.call('HGET', p .. 'job:' .. id, 'owner')) then reaped = reaped + drop_waiting(user, id) end
  end
end
if reaped > 0 then redis.call('PUBLISH', p .. 'changed', 'reap') end
return reaped
`;

/**
 * Brings the line in step with what one process holds, whatever was lost on the way (an answer
 * that never came back, a FINISH that failed, a heartbeat that lapsed, a Redis that restarted):
 * its running jobs are running, with their counts; what it is not running is not; what it no
 * longer holds leaves the line; what it holds waiting and Redis forgot goes back in. ARGV:
 * prefix, owner, then JSON: the ids it holds waiting, those of them Redis had taken in (as
 * {id, user, guild, requests}), and its running jobs ({id, user, guild, requests}).
 * Returns how many entries it changed.
 */
// i18n-exempt: Lua, read by Redis alone
export const RECONCILE = `${helpers}
local me = ARGV[2]
local waiting, confirmed, running = {}, cjson.decode(ARGV[4]), cjson.decode(ARGV[5])
for _, id in ipairs(cjson.decode(ARGV[3])) do waiting[id] = true end
local mine_running = {}
for _, j in ipairs(running) do mine_running[j.id] = true end
local fixed = 0
for _, id in ipairs(redis.call('SMEMBERS', p .. 'running')) do
  if redis.call('HGET', p .. 'job:' .. id, 'owner') == me and not mine_running[id] and stop_running(id) then fixed = fixed + 1 end
end
for _, j in ipairs(running) do
  if redis.call('SISMEMBER', p .. 'running', j.id) == 0 then
    redis.call('HSET', p .. 'job:' .. j.id, 'user', j.user, 'guild', j.guild, 'owner', me, 'requests', j.requests)
    redis.call('SADD', p .. 'running', j.id)
    redis.call('INCR', p .. 'run:user:' .. j.user)
    if j.guild ~= '' then redis.call('INCR', p .. 'run:guild:' .. j.guild) end
    if redis.call('HGET', p .. 'served', j.user) == false then redis.call('HSET', p .. 'served', j.user, redis.call('INCR', p .. 'turn')) end
    fixed = fixed + 1
  end
end
for _, user in ipairs(redis.call('ZRANGE', p .. 'line', 0, -1)) do
  for _, id in ipairs(redis.call('LRANGE', p .. 'pending:' .. user, 0, -1)) do
    if redis.call('HGET', p .. 'job:' .. id, 'owner') == me and not waiting[id] then fixed = fixed + drop_waiting(user, id) end
  end
end
for _, j in ipairs(confirmed) do
  if redis.call('EXISTS', p .. 'job:' .. j.id) == 0 then
    enqueue(j.id, j.user, j.guild, me, j.requests)
    fixed = fixed + 1
  end
end
if fixed > 0 then redis.call('PUBLISH', p .. 'changed', 'reconcile') end
return fixed
`;

/**
 * Hands a waiting job on (its process is stopping): it keeps its place, and the next process
 * free to run it takes it. ARGV: prefix, owner, id. Returns 1, or 0 when it is no longer waiting.
 */
// i18n-exempt: Lua, read by Redis alone
export const HAND_OVER = `${helpers}
local key = p .. 'job:' .. ARGV[3]
if redis.call('HGET', key, 'owner') ~= ARGV[2] or redis.call('SISMEMBER', p .. 'running', ARGV[3]) == 1 then return 0 end
redis.call('HSET', key, 'owner', '*')
redis.call('PUBLISH', p .. 'changed', 'handover')
return 1
`;

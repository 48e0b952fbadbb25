// The Redis store's Lua scripts: every write to a run is one of them, so it is atomic.
import { createHash } from 'node:crypto';

// Keys of a run (the hash tag keeps them in one slot of a Redis Cluster):
//   <prefix>{<runId>}:state  hash: status (running | finished), events (count), end (JSON)
//   <prefix>{<runId>}:log    stream: entry id `<offset>-1`, field `e` (event JSON) or `end`
//   <prefix>{<runId>}:lease  string with PX leaseMs, refreshed by the producing process
// Every write is one Lua script, so it is atomic: append only while running, first end wins.
// A finished run's state and log expire `retention` after its end; a running run's expire
// 2 × lease + retention after its producer's last refresh, so that the run of a producer that
// died while nobody read it (no reader to end it as truncated) does not stay in Redis forever.

const FINISH_FN = `
local function finish(endJson, retention)
  local n = tonumber(redis.call('HGET', KEYS[1], 'events'))
  redis.call('XADD', KEYS[2], n .. '-1', 'end', endJson)
  redis.call('HSET', KEYS[1], 'status', 'finished', 'end', endJson)
  redis.call('DEL', KEYS[3])
  if retention >= 0 then
    redis.call('PEXPIRE', KEYS[1], math.max(retention, 1))
    redis.call('PEXPIRE', KEYS[2], math.max(retention, 1))
  end
  return n
end
`;

/** Sets the expiry of a running run's state and log (KEYS 1 and 2); none when retention < 0. */
const KEEP_FN = `
local function keep(lease, retention)
  if retention >= 0 then
    redis.call('PEXPIRE', KEYS[1], 2 * lease + retention)
    redis.call('PEXPIRE', KEYS[2], 2 * lease + retention)
  end
end
`;

/** KEYS state log lease; ARGV leaseMs truncatedJson retention → 1 claimed, 0 taken. */
export const CREATE = `${FINISH_FN}${KEEP_FN}
local status = redis.call('HGET', KEYS[1], 'status')
if status then
  if status == 'running' and redis.call('EXISTS', KEYS[3]) == 0 then
    finish(ARGV[2], tonumber(ARGV[3]))
  end
  return 0
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'status', 'running', 'events', 0)
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
keep(tonumber(ARGV[1]), tonumber(ARGV[3]))
return 1
`;

/**
 * KEYS state log; ARGV maxEvents eventJson… → the first event's offset, -1 not running, -2 full
 * (maxEvents: the events that fit are appended).
 */
export const APPEND = `
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return -1 end
local first = tonumber(redis.call('HGET', KEYS[1], 'events'))
local max = tonumber(ARGV[1])
local n = first
for i = 2, #ARGV do
  if n >= max then
    redis.call('HSET', KEYS[1], 'events', n)
    return -2
  end
  redis.call('XADD', KEYS[2], n .. '-1', 'e', ARGV[i])
  n = n + 1
end
redis.call('HSET', KEYS[1], 'events', n)
if first == 0 and n > 0 then
  -- The first entry made the log: it expires with the state (see keep).
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return first
`;

/**
 * KEYS state log lease; ARGV endJson retention channel runId → the end's offset, or -1. The end
 * is published on the channel, so that the run's producer, in whatever process, stops at once.
 */
export const FINISH = `${FINISH_FN}
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return -1 end
local n = finish(ARGV[1], tonumber(ARGV[2]))
redis.call('PUBLISH', ARGV[3], ARGV[4])
return n
`;

/**
 * KEYS state log lease; ARGV truncatedJson retention → -2 unknown, -1 nothing to do, else the
 * offset of the `truncated` end it wrote (the run was running without a lease).
 */
export const REAP = `${FINISH_FN}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -2 end
if status ~= 'running' or redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
return finish(ARGV[1], tonumber(ARGV[2]))
`;

/** KEYS state log lease; ARGV leaseMs retention → 1 refreshed, 0 the run is not running any more. */
export const REFRESH = `${KEEP_FN}
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
keep(tonumber(ARGV[1]), tonumber(ARGV[2]))
return 1
`;

/** The SHA1 of each script, as EVALSHA names it. */
const shas = new Map<string, string>();
export const shaOf = (source: string): string => {
  let sha = shas.get(source);
  if (sha === undefined) {
    sha = createHash('sha1').update(source).digest('hex');
    shas.set(source, sha);
  }
  return sha;
};

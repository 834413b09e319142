-- wrk script: POST codeweek2016-shaped updates to a webhook, a unique update_id per request.
--
-- Run it with as many threads as connections (wrk -t N -c N). Each thread then owns one
-- connection, so its requests go out strictly one after the other, and every participant's steps
-- (registration, /start CODE, answer, noise) reach the server in order. Thread i plays the
-- participants of its own workload file, SLOTS of them at a time in turn. A participant that
-- finished their steps starts again under a new user id, so the users keep being new.
--
-- Settings come from environment variables, because done() runs in a Lua state that init() never sees:
--   QUIZKIT_WRK_THREADS  the thread count given to wrk with -t (required)
--   QUIZKIT_WRK_DATA     prefix of the workload files, one per thread: PREFIX.0, PREFIX.1, ... (required)
--   QUIZKIT_WRK_RESULT   file that done() writes its JSON result to (required)
--   QUIZKIT_WRK_SECRET   value of X-Telegram-Bot-Api-Secret-Token (default: none)
--   QUIZKIT_WRK_RATE     total requests per second over all threads; 0 sends as fast as possible
--   QUIZKIT_WRK_USER_BASE, QUIZKIT_WRK_UPDATE_BASE   first user id and update_id of this run

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } quizkit_timespec;
  int clock_gettime(int clock_id, quizkit_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("quizkit_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local SLOTS = 8
local USERS_PER_THREAD = 10000000
local MARKERS = { "Got it! Your answer", "Ricevuta! La tua risposta" }

-- Setup and done() run in the main Lua state.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- The rest runs in each thread's own Lua state.

local chains = {}        -- participant chains of this thread: { {kind, parts}, ... }
local slots = {}         -- the participants being played: { chain, position, user_id }
local next_chain = 1
local next_slot = 1
local users_started = 0
local update_counter = 0
local threads_total = 1
local user_base = 100000000
local update_base = 1
local interval_ms = 0
local next_send_ms = nil
local pending_kind = nil
local pending_update = nil
local headers = nil
local buffer = {}

acked_answers = {}       -- update_ids of answers the server acknowledged as stored
answers_sent = 0
answers_unexpected = 0   -- answers that got a 200 without the stored-answer reply
statuses = {}            -- count per HTTP status

local function split_template(template)
  -- "literal\1Uliteral\1I..." becomes { "literal", "U", "literal", "I", ... }
  local parts = {}
  local first = true
  for piece in (template .. "\1"):gmatch("([^\1]*)\1") do
    if first then
      table.insert(parts, piece)
      first = false
    else
      table.insert(parts, piece:sub(1, 1))
      table.insert(parts, piece:sub(2))
    end
  end
  return parts
end

local function load_chains(path)
  local by_participant = {}
  local order = {}
  for line in io.lines(path) do
    local participant, kind, template = line:match("^(%d+)\t(%a)\t(.*)$")
    if by_participant[participant] == nil then
      by_participant[participant] = {}
      table.insert(order, participant)
    end
    table.insert(by_participant[participant], { kind, split_template(template) })
  end
  for _, participant in ipairs(order) do
    table.insert(chains, by_participant[participant])
  end
end

local function start_user()
  local chain = chains[next_chain]
  next_chain = next_chain % #chains + 1
  users_started = users_started + 1
  local user_id = user_base + thread_index * USERS_PER_THREAD + users_started
  return { chain = chain, position = 1, user_id = user_id }
end

function init(args)
  local data = os.getenv("QUIZKIT_WRK_DATA") .. "." .. thread_index
  threads_total = tonumber(os.getenv("QUIZKIT_WRK_THREADS"))
  user_base = tonumber(os.getenv("QUIZKIT_WRK_USER_BASE") or "100000000")
  update_base = tonumber(os.getenv("QUIZKIT_WRK_UPDATE_BASE") or "1")
  load_chains(data)
  if #chains == 0 then
    error("workload " .. data .. " has no participants for thread " .. thread_index)
  end
  for slot = 1, math.min(SLOTS, #chains) do
    slots[slot] = start_user()
  end

  local rate = tonumber(os.getenv("QUIZKIT_WRK_RATE") or "0")
  if rate > 0 then
    interval_ms = threads_total * 1000 / rate
  end
  headers = { ["Content-Type"] = "application/json" }
  local secret = os.getenv("QUIZKIT_WRK_SECRET")
  if secret and secret ~= "" then
    headers["X-Telegram-Bot-Api-Secret-Token"] = secret
  end
end

function delay()
  -- Sends follow a fixed schedule per connection. A late one goes at once and the schedule stays,
  -- so the average rate is the target unless the server is slower than it. Each connection's first
  -- send is offset by its share of one interval, so the connections take turns instead of sending
  -- together, and a run of a second or two still reaches the target rate.
  -- NOTE: wrk times a request from its send. When the server falls behind, the time a request
  -- waited for its turn is missing from its latency, so the harness also checks the achieved rate.
  if interval_ms == 0 then
    return 0
  end
  local now = now_ms()
  if next_send_ms == nil then
    next_send_ms = now + interval_ms * thread_index / threads_total
  else
    next_send_ms = next_send_ms + interval_ms
  end
  local wait = next_send_ms - now
  if wait < 0 then
    return 0
  end
  return wait
end

function request()
  local slot = slots[next_slot]
  next_slot = next_slot % #slots + 1
  local step = slot.chain[slot.position]
  local user_id = slot.user_id
  slot.position = slot.position + 1
  if slot.position > #slot.chain then
    local replacement = start_user()
    slot.chain, slot.position, slot.user_id = replacement.chain, replacement.position, replacement.user_id
  end

  update_counter = update_counter + 1
  local update_id = update_base + thread_index + threads_total * (update_counter - 1)
  local parts = step[2]
  local date = tostring(os.time())
  local length = 0
  for index = 1, #parts do
    local part = parts[index]
    if index % 2 == 0 then
      if part == "U" then
        part = tostring(user_id)
      elseif part == "I" then
        part = tostring(update_id)
      else
        part = date
      end
    end
    length = length + 1
    buffer[length] = part
  end
  for index = length + 1, #buffer do
    buffer[index] = nil
  end

  pending_kind = step[1]
  pending_update = update_id
  if pending_kind == "a" then
    answers_sent = answers_sent + 1
  end
  return wrk.format("POST", nil, headers, table.concat(buffer))
end

function response(status, response_headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if pending_kind ~= "a" or status ~= 200 then
    return
  end
  for _, marker in ipairs(MARKERS) do
    if body:find(marker, 1, true) then
      table.insert(acked_answers, pending_update)
      return
    end
  end
  answers_unexpected = answers_unexpected + 1
end

local function json_list(values)
  local texts = {}
  for index, value in ipairs(values) do
    texts[index] = string.format("%d", value)
  end
  return "[" .. table.concat(texts, ",") .. "]"
end

function done(summary, latency, requests)
  local acked = {}
  local sent, unexpected = 0, 0
  local status_totals = {}
  for _, thread in ipairs(threads) do
    for _, update_id in ipairs(thread:get("acked_answers")) do
      table.insert(acked, update_id)
    end
    sent = sent + thread:get("answers_sent")
    unexpected = unexpected + thread:get("answers_unexpected")
    for status, count in pairs(thread:get("statuses")) do
      status_totals[status] = (status_totals[status] or 0) + count
    end
  end
  local status_texts = {}
  for status, count in pairs(status_totals) do
    table.insert(status_texts, string.format('"%d":%d', status, count))
  end

  local errors = summary.errors
  local result = string.format(
    '{"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
    '"statuses":{%s},"answers_sent":%d,"answers_unexpected":%d,"acked_answer_update_ids":%s}',
    summary.duration, summary.requests, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9),
    table.concat(status_texts, ","), sent, unexpected, json_list(acked))
  local file = assert(io.open(os.getenv("QUIZKIT_WRK_RESULT"), "w"))
  file:write(result)
  file:close()
end

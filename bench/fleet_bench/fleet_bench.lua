-- SPDX-License-Identifier: GPL-2.0-or-later
-- fleet_bench.lua - the requests wrk sends for fleet_bench.py, one mode per run:
--   wrk ... -s fleet_bench.lua URL -- MODE TOKEN FIRST COUNT NTHREADS IMAGE
--   server     GET /api/v1/servers/s<id>, id uniform in FIRST..FIRST+COUNT-1
--   workflows  GET /api/v1/workflows?limit=50
--   maintain   POST /api/v1/servers/s<id>/maintain, each thread its own ids of
--              FIRST..FIRST+COUNT-1 in turn (202; 409 once it wraps around)
-- done() prints "FB key value" lines the driver parses: latency in us.

local threads = {}
local nth = 0

function setup(thread)
	thread:set("slice", nth)
	nth = nth + 1
	table.insert(threads, thread)
end

local mode, auth, first, count, step, image, k

function init(args)
	mode, auth = args[1], "Bearer " .. args[2]
	first, count, step = tonumber(args[3]), tonumber(args[4]), tonumber(args[5])
	image = args[6]
	k = slice
	n200, n202, n409, nother = 0, 0, 0, 0
	math.randomseed(1000 + slice)
end

function request()
	local h = { ["Authorization"] = auth }

	if mode == "server" then
		return wrk.format("GET", "/api/v1/servers/s" .. (first + math.random(0, count - 1)), h)
	elseif mode == "workflows" then
		return wrk.format("GET", "/api/v1/workflows?limit=50", h)
	end
	local id = first + (k % count)

	k = k + step
	h["Content-Type"] = "application/json"
	return wrk.format("POST", "/api/v1/servers/s" .. id .. "/maintain", h,
			  '{"image":"' .. image .. '"}')
end

function response(status, headers, body)
	if status == 200 then
		n200 = n200 + 1
	elseif status == 202 then
		n202 = n202 + 1
	elseif status == 409 then
		n409 = n409 + 1
	else
		nother = nother + 1
	end
end

function done(summary, latency, requests)
	local c = { n200 = 0, n202 = 0, n409 = 0, nother = 0 }

	for _, t in ipairs(threads) do
		for key, _ in pairs(c) do
			c[key] = c[key] + (t:get(key) or 0)
		end
	end
	for key, v in pairs(c) do
		io.write(string.format("FB %s %d\n", key, v))
	end
	io.write(string.format("FB requests %d\nFB duration_us %d\n", summary.requests,
			       summary.duration))
	io.write(string.format("FB errors %d\n", summary.errors.connect + summary.errors.read +
			       summary.errors.write + summary.errors.timeout))
	io.write(string.format("FB p50_us %d\nFB p99_us %d\nFB max_us %d\n",
			       latency:percentile(50), latency:percentile(99), latency.max))
end

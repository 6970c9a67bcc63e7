-- wrk script: GET PREFIX .. code for a random code from CODES_FILE (one per line); or, when
-- BODY is set, POST it to PREFIX with CODE replaced by the random code and TOKEN as bearer;
-- ACCEPT, when set, is sent as the Accept header of the GET.
local codes = {}
local prefix = os.getenv("PREFIX") or "/api/v1/regions/"
local body = os.getenv("BODY")
local accept = os.getenv("ACCEPT")
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "")}
for line in io.lines(os.getenv("CODES_FILE")) do codes[#codes + 1] = line end
math.randomseed(os.time())
request = function()
  local code = codes[math.random(#codes)]
  if body then
    return wrk.format("POST", prefix, headers, (body:gsub("CODE", code)))
  end
  if accept then
    return wrk.format("GET", prefix .. code, {["Accept"] = accept})
  end
  return wrk.format("GET", prefix .. code)
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"seconds\":%.3f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"errors\":%d,\"non2xx\":%d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end

-- wrk script for scripts/bench: the request noderun's Refresh Token operation sends
-- (POST /auth/refresh, the same headers and a JSON body with a 64-character refresh token),
-- and one parseable result line at the end.
wrk.method = "POST"
wrk.headers["Accept"] = "application/json"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "noderun/0.1.0"
wrk.body = '{"refresh_token":"Zm9vYmFyYmF6cXV4LWJlbmNoLXNlcnZlci1yZWZyZXNoLXRva2VuLTY0LWNoYXJz"}'

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk-result requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end

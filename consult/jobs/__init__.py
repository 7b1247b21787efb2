"""Background jobs (recompute, embedding, import, report): coalesced per key, visible as rows.

Handlers register with ``@handler("kind")`` and are called with the job's payload inside an app
context. Without ``REDIS_URL`` they run in a worker thread of the web process; with it, on RQ
workers (``consult worker``). ``CONSULT_JOBS_INLINE`` runs them at once (tests, commands).
"""

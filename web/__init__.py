"""The web dashboard: server-rendered pages over the same read models, policy and commands as
the HTTP API, for leaders, auditors and staff."""

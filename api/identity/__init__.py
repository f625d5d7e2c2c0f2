"""Who is at the door: server-side sessions, personal API tokens and OpenID Connect sign-in."""

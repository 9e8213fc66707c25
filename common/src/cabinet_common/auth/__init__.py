"""Who is calling a Cabinet API, and what they may do: short-lived signed tokens (JWT,
EdDSA over Ed25519 keys) minted by the web service for its signed-in users and by machine
identities for themselves, verified by every API against the public keys it trusts."""

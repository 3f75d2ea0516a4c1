#!/usr/bin/python3
"""A resource server for gatehouse access tokens on Python's standard library.

Verifies offline with gatehouse's JWKS through PyJWT's PyJWKClient (Debian's
python3-jwt). Run with the system Python: /usr/bin/python3 server.py.
Settings: README.md next to this file.
"""
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

ALGORITHMS = ("ES256", "RS256")
CLOCK_SKEW_SECONDS = 30  # gatehouse allows the same
FETCH_TIMEOUT_SECONDS = 5
DEFAULT_TTL_SECONDS = 300
MAX_KID_LENGTH = 128


class Refused(Exception):
    """A token this service does not accept; the message is ours, never the token's."""


class KeysUnavailable(Exception):
    """gatehouse's JWKS could not be fetched: answered 503, fail closed."""


def whole(name, default, low, high):
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SystemExit(f"{name}: expected a whole number from {low} to {high}")
    return int(raw)


def read_settings():
    issuer = os.environ.get("GATEHOUSE_ISSUER", "").rstrip("/")
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", issuer):
        raise SystemExit("GATEHOUSE_ISSUER: required, gatehouse's PUBLIC_URL (the iss of its tokens)")
    algorithm = os.environ.get("GATEHOUSE_ALGORITHM", "ES256")
    if algorithm not in ALGORITHMS:
        raise SystemExit(f"GATEHOUSE_ALGORITHM: expected one of {', '.join(ALGORITHMS)}")
    ttl = os.environ.get("JWKS_CACHE_TTL_SECONDS")
    return {
        "host": os.environ.get("HOST", "127.0.0.1"),
        "port": whole("PORT", 3001, 0, 65535),
        "issuer": issuer,
        "audience": os.environ.get("GATEHOUSE_AUDIENCE", "gatehouse"),
        "algorithm": algorithm,
        "ttl": None if ttl is None else whole("JWKS_CACHE_TTL_SECONDS", DEFAULT_TTL_SECONDS, 1, 86400),
        "miss_cooldown": whole("JWKS_MISS_COOLDOWN_SECONDS", 30, 0, 3600),
    }


def gatehouse_max_age(jwks_uri):
    """The max-age gatehouse sends with its JWKS (its JWKS_MAX_AGE_SECONDS)."""
    try:
        with urllib.request.urlopen(jwks_uri, timeout=FETCH_TIMEOUT_SECONDS) as response:
            match = re.search(r"(?:^|,)\s*max-age=(\d+)", response.headers.get("Cache-Control", ""))
            if match and int(match.group(1)) > 0:
                return int(match.group(1))
    except OSError as error:
        print(f"could not read the JWKS max-age from gatehouse: {error}", file=sys.stderr)
    return DEFAULT_TTL_SECONDS


class KeySetClient(jwt.PyJWKClient):
    """PyJWKClient caching the whole key set for `lifespan` seconds, with two changes.

    - A fetch has a timeout (PyJWT 2.6 has none) and a failed one is not cached.
    - An unknown kid refetches the set at once (a new key after a rotation),
      but such forced refetches happen at most once per `miss_cooldown`
      seconds (PyJWT forces one for every unknown kid), so tokens with
      made-up kids cannot turn this service into a flood of requests to
      gatehouse.
    Per-key caching (cache_keys) stays off: it would keep a retired key forever.
    """

    def __init__(self, uri, lifespan, miss_cooldown):
        super().__init__(uri, cache_keys=False, cache_jwk_set=True, lifespan=lifespan)
        self.miss_cooldown = miss_cooldown
        self.last_forced_refresh = float("-inf")
        self.lock = threading.Lock()

    def fetch_data(self):
        try:
            with urllib.request.urlopen(self.uri, timeout=FETCH_TIMEOUT_SECONDS) as response:
                data = json.load(response)
        except (OSError, ValueError) as error:
            raise jwt.PyJWKClientError(f"could not fetch the JWKS: {error}") from error
        self.jwk_set_cache.put(data)
        return data

    def get_signing_key(self, kid):
        with self.lock:
            key = self.match_kid(self.get_signing_keys(), kid)
            if key is None and time.monotonic() - self.last_forced_refresh >= self.miss_cooldown:
                self.last_forced_refresh = time.monotonic()
                key = self.match_kid(self.get_signing_keys(refresh=True), kid)
        if key is None:
            raise Refused("The access token was signed with an unknown key")
        return key


class Verifier:
    def __init__(self, settings):
        self.issuer = settings["issuer"]
        self.audience = settings["audience"]
        self.algorithm = settings["algorithm"]
        jwks_uri = f"{self.issuer}/.well-known/jwks.json"
        ttl = settings["ttl"] if settings["ttl"] is not None else gatehouse_max_age(jwks_uri)
        self.keys = KeySetClient(jwks_uri, ttl, settings["miss_cooldown"])

    def verify(self, token):
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Refused("The access token is malformed")
        # Pinned: the token's alg must be the configured one; it never picks the algorithm.
        if header.get("alg") != self.algorithm:
            raise Refused("The access token is signed with an algorithm this service does not accept")
        if str(header.get("typ", "")).lower().removeprefix("application/") != "at+jwt":
            raise Refused("The access token is not an RFC 9068 access token (typ)")
        kid = header.get("kid")
        if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID_LENGTH:
            raise Refused("The access token has no valid key id")
        try:
            key = self.keys.get_signing_key(kid)
        except jwt.PyJWKClientError:
            raise KeysUnavailable("Could not fetch the signing keys from gatehouse")
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise Refused("The access token expired")
        except jwt.InvalidSignatureError:
            raise Refused("The access token signature is invalid")
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError, jwt.MissingRequiredClaimError):
            raise Refused("The access token is not for this service (iss or aud) or misses a claim")
        except jwt.InvalidTokenError:
            raise Refused("The access token is invalid")


def handler_for(verifier):
    class Handler(BaseHTTPRequestHandler):
        server_version = "python-resource-server"

        def send_json(self, status, body, headers=()):
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def refuse(self, description):
            self.send_json(401, {"error": "invalid_token", "error_description": description},
                           [("WWW-Authenticate", 'Bearer error="invalid_token"')])

        def do_GET(self):
            if urllib.parse.urlsplit(self.path).path != "/hello":
                self.send_json(404, {"error": "not_found", "error_description": "Not found"})
                return
            match = re.fullmatch(r"Bearer +(\S+) *", self.headers.get("Authorization", ""), re.IGNORECASE)
            if match is None:
                self.refuse("Bearer token required")
                return
            try:
                claims = verifier.verify(match.group(1))
            except Refused as refusal:
                self.refuse(str(refusal))
                return
            except KeysUnavailable as error:
                self.send_json(503, {"error": "temporarily_unavailable", "error_description": str(error)})
                return
            except Exception as error:  # a bug of ours: answered, not a dropped connection
                self.log_error("verification failed: %r", error)
                self.send_json(500, {"error": "server_error", "error_description": "Internal error"})
                return
            self.send_json(200, {"hello": claims["sub"], "scope": claims.get("scope", ""), "verified": "offline"})

        def log_message(self, format, *args):
            # Request lines only, never headers (they hold tokens).
            if os.environ.get("LOG_LEVEL", "info") in ("info", "debug", "trace"):
                super().log_message(format, *args)

    return Handler


def main():
    settings = read_settings()
    server = ThreadingHTTPServer((settings["host"], settings["port"]), handler_for(Verifier(settings)))
    server.daemon_threads = True
    print(f"listening on http://{settings['host']}:{server.server_address[1]}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

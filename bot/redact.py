"""One redaction of URLs for every place a URL can reach: log lines, error messages,
``check-config``, ``status``, metrics.

Providers hide credentials in three places of a URL: the userinfo (``https://user:key@host``,
a database password), a path segment (Infura ``/v3/<key>``, Alchemy ``/v2/<key>``, QuickNode
``/<token>/``) and the query (``?apikey=...``). ``redact_url`` masks all three and keeps the
rest (scheme, host, port, ordinary path words), so an operator still sees which endpoint failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

MASK = "***"

# A path segment that is a credential, not a word: long, token characters only, and with a digit
# or a capital letter (random keys have them; "services", "webhooks", "eth" do not).
_KEY_SEGMENT = re.compile(r"[A-Za-z0-9_\-+=:~%]{16,}")
_RANDOM_LOOKING = re.compile(r"[0-9A-Z]")
# A URL in prose ends before trailing punctuation ("failed on http://h/?k=v: timeout").
_NOT_TRAILING = r"[^\s'\"<>`:,.;)\]}]"
_URL_IN_TEXT = re.compile(rf"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]*{_NOT_TRAILING}")
# Query parameter names that carry credentials, for texts that hold a URL's tail without its
# scheme and host (urllib3 errors say "url: /v3/...?apikey=...").
_CREDENTIAL_NAME = r"(?:api[_-]?key|key|token|secret|password|passwd|auth|access[_-]?token)"
_CREDENTIAL_PARAM = re.compile(rf"(?i)([?&]{_CREDENTIAL_NAME}=)[^&#\s'\"]*[^&#\s'\"<>`:,.;)\]}}]")

# A database's user name identifies the role to debug access with; an HTTP provider's "user"
# is often the project key itself, so other URLs lose their whole userinfo (and keep
# scheme://host:port in one piece, which is how logs are searched for an endpoint).
_DATABASE_SCHEMES = frozenset({"postgres", "postgresql", "mysql", "mariadb"})
# Secret parts shorter than this are masked where the whole URL appears, but not on their own:
# replacing "pw" or "1" everywhere in a message would mangle ordinary words.
_MIN_LOOSE_PART = 6


def _is_key(segment: str) -> bool:
    return bool(_KEY_SEGMENT.fullmatch(segment) and _RANDOM_LOOKING.search(segment))


def _is_database(scheme: str) -> bool:
    return scheme.lower().split("+", 1)[0] in _DATABASE_SCHEMES


def _userinfo(scheme: str, username: str | None, password: str | None) -> str:
    if username is None and password is None:
        return ""
    if _is_database(scheme) and username:
        return f"{username}:{MASK}@" if password is not None else f"{username}@"
    return ""


def _query(query: str) -> str:
    # Every value goes: providers name their key parameter as they like ("k", "x-api").
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(name, safe='')}={MASK}" for name, _ in pairs)


def redact_url(url: str) -> str:
    """``url`` without its credentials: the userinfo goes (a database URL keeps its user name),
    key-like path segments, query values and the fragment are masked; scheme, host, port and
    ordinary path segments stay. A string that is
    not an absolute URL (a SQLite path, ``sqlite:///x.db``) comes back unchanged."""
    try:
        parts = urlsplit(url)
        username, password = parts.username, parts.password
    except ValueError:
        return MASK  # unparseable: nothing of it can be shown safely
    if not parts.scheme or not parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    netloc = _userinfo(parts.scheme, username, password) + host
    path = "/".join(MASK if _is_key(s) else s for s in parts.path.split("/"))
    fragment = MASK if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, path, _query(parts.query), fragment))


def secret_parts(url: str) -> list[str]:
    """The credential substrings of ``url`` (raw and percent-decoded), longest first, for
    finding them in texts that show them apart from the URL."""
    try:
        parts = urlsplit(url)
        found = [parts.password or ""]
        if not _is_database(parts.scheme):
            found.append(parts.username or "")
    except ValueError:
        return []
    found += [s for s in parts.path.split("/") if _is_key(s)]
    found += [
        value
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if re.fullmatch(_CREDENTIAL_NAME, name, re.IGNORECASE) or _is_key(value)
    ]
    found.append(parts.fragment)
    variants = {p for raw in found for p in (raw, unquote(raw)) if len(p) >= _MIN_LOOSE_PART}
    return sorted(variants, key=len, reverse=True)


def scrub(text: str, urls: Iterable[str] = ()) -> str:
    """``text`` with every URL in it redacted, and the credentials of the known ``urls``
    masked wherever they appear (an error message may quote only a URL's path or its host)."""
    for url in urls:
        for part in secret_parts(url):
            text = text.replace(part, MASK)
    text = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
    return _CREDENTIAL_PARAM.sub(lambda m: m.group(1) + MASK, text)

"""Xero identity: consent page, token endpoint (PKCE, rotation with grace), revocation, connections.

Rules come from the research facts §3: public PKCE client, S256 only, exact redirect_uri
match, single-use codes, rotating refresh tokens whose predecessor stays usable for a grace
period, `invalid_grant` afterwards, revocation dropping every connection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from .clock import SandboxClock
from .config import SandboxConfig
from .errors import ApiError, token_expired, unauthorized
from .httpio import Request, Response, json_response, text_response
from .state import SandboxState
from .wire import is_guid, new_id

KNOWN_SCOPES = {
    "openid", "profile", "email", "offline_access",
    "accounting.contacts", "accounting.contacts.read", "accounting.settings", "accounting.settings.read",
    "accounting.transactions", "accounting.transactions.read", "accounting.invoices", "accounting.invoices.read",
    "accounting.payments", "accounting.payments.read", "accounting.banktransactions",
    "accounting.banktransactions.read", "accounting.manualjournals", "accounting.manualjournals.read",
    "accounting.attachments", "accounting.attachments.read", "accounting.reports.read",
    "accounting.journals.read", "accounting.budgets.read",
}
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _conn_date(moment: datetime) -> str:
    # Shape of the identity API: 7 fractional digits, no offset ("2019-12-07T18:46:19.5165400").
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def _oauth_error(error: str, status: int = 400) -> Response:
    return json_response(status, {"error": error}, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def _html_page(status: int, title: str, body: str) -> Response:
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return text_response(status, page, "text/html; charset=utf-8")


class Identity:
    """Identity endpoints and access-token verification."""

    def __init__(self, cfg: SandboxConfig, state: SandboxState, clock: SandboxClock) -> None:
        self.cfg = cfg
        self.state = state
        self.clock = clock
        self.issuer = "http://127.0.0.1/identity"

    # -- JWTs ------------------------------------------------------------------------------------
    def _sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": "HS256", "kid": "1CAF8A24ECF9A8C4D5A2B1E0F7D3C6A9", "typ": "JWT",
                  "x5t": "HK-KJOz5qMTVorHg99PGqdUBXZw"}
        signing_input = _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + _b64(
            json.dumps(claims, separators=(",", ":")).encode()
        )
        sig = hmac.new(self.state.secret.encode(), signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + _b64(sig)

    def _access_token(self, scopes: list[str], auth_event: str) -> tuple[str, int]:
        now = int(self.clock.timestamp())
        claims = {
            "nbf": now, "exp": now + self.cfg.access_token_ttl, "iss": self.issuer,
            "aud": f"{self.issuer}/resources", "client_id": self.cfg.client_id, "sub": secrets.token_hex(16),
            "auth_time": now, "xero_userid": self.state.user_id, "global_session_id": secrets.token_hex(16),
            "sid": secrets.token_hex(16), "jti": secrets.token_hex(16).upper(),
            "authentication_event_id": auth_event,
            "scope": list(scopes),
            "amr": ["pwd", "mfa", "swk"], "idp": "Xero", "role": ["xero_user"],
            "xero_identity_provider": "xero", "preferred_username": "demo.operator@example.com",
            "session_state": _b64(secrets.token_bytes(48)),
        }
        return self._sign(claims), self.cfg.access_token_ttl

    def _id_token(self, auth_event: str) -> str:
        now = int(self.clock.timestamp())
        return self._sign({
            "nbf": now, "exp": now + 300, "iss": self.issuer, "aud": self.cfg.client_id, "iat": now,
            "at_hash": _b64(secrets.token_bytes(16)), "sid": secrets.token_hex(16), "sub": secrets.token_hex(16),
            "auth_time": now, "xero_userid": self.state.user_id, "global_session_id": secrets.token_hex(16),
            "preferred_username": "demo.operator@example.com", "email": "demo.operator@example.com",
            "given_name": "Demo", "family_name": "Operator", "authentication_event_id": auth_event,
        })

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """Claims of a valid bearer token, else the 401 Xero sends."""
        if not authorization or not authorization.startswith("Bearer "):
            raise unauthorized()
        token = authorization[len("Bearer "):].strip()
        parts = token.split(".")
        if len(parts) != 3:
            raise unauthorized()
        expected = hmac.new(self.state.secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            good = hmac.compare_digest(expected, _unb64(parts[2]))
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, json.JSONDecodeError):
            raise unauthorized() from None
        if not good or claims.get("client_id") != self.cfg.client_id:
            raise unauthorized()
        if self.clock.timestamp() >= claims["exp"]:
            raise token_expired(datetime.fromtimestamp(claims["exp"], tz=UTC))
        return claims

    # -- authorize + consent -----------------------------------------------------------------------
    def authorize(self, req: Request) -> Response:
        q = {k: v[-1] for k, v in req.query.items()}
        if q.get("client_id") != self.cfg.client_id:
            return _html_page(400, "Sorry, something went wrong", "<p>Error: unauthorized_client</p>")
        redirect_uri = q.get("redirect_uri", "")
        if redirect_uri not in self.cfg.redirect_uris:
            return _html_page(400, "Sorry, something went wrong", "<p>Error: Invalid redirect_uri</p>")
        state_param = q.get("state")

        def fail(error: str) -> Response:
            params = {"error": error}
            if state_param is not None:
                params["state"] = state_param
            return Response(302, b"", {"Location": f"{redirect_uri}?{urlencode(params)}"})

        if q.get("response_type") != "code":
            return fail("unsupported_response_type")
        if not q.get("code_challenge") or q.get("code_challenge_method") != "S256":
            return fail("invalid_request")
        scopes = q.get("scope", "").split()
        if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
            return fail("invalid_scope")
        request_id = secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.pending[request_id] = {
                "redirect_uri": redirect_uri, "state": state_param, "scopes": scopes,
                "challenge": q["code_challenge"], "created": self.clock.timestamp(),
            }
            orgs = [(tid, t["org"]["Name"]) for tid, t in self.state.tenants.items()]
        boxes = "".join(
            f"<label><input type='checkbox' name='tenant' value='{html.escape(tid, quote=True)}' checked> "
            f"{html.escape(name)}</label><br>"
            for tid, name in orgs
        )
        scope_list = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
        body = (
            f"<p>xsync desktop wants access to:</p><ul>{scope_list}</ul>"
            f"<form method='post' action='/identity/connect/consent'>"
            f"<input type='hidden' name='request_id' value='{html.escape(request_id, quote=True)}'>"
            f"{boxes}<button type='submit' name='action' value='allow'>Allow access</button>"
            f"<button type='submit' name='action' value='deny'>Cancel</button></form>"
        )
        return _html_page(200, "Connect to Xero", body)

    def consent(self, req: Request) -> Response:
        form = req.form()
        tenants = [v for k, vs in req_form_multi(req).items() if k == "tenant" for v in vs]
        with self.state.lock:
            pending = self.state.pending.pop(form.get("request_id", ""), None)
            if pending is None:
                return _html_page(400, "Sorry, something went wrong", "<p>This request has expired.</p>")
            params: dict[str, str] = {}
            if form.get("action") != "allow":
                params["error"] = "access_denied"
            else:
                chosen = [t for t in tenants if t in self.state.tenants]
                if not chosen:
                    return _html_page(400, "Select an organisation", "<p>Select at least one organisation.</p>")
                code = secrets.token_urlsafe(32)
                auth_event = new_id()
                self._connect(chosen, auth_event)
                scopes = sorted(set(self.state.granted_scopes) | set(pending["scopes"]))
                self.state.granted_scopes = scopes
                self.state.codes[code] = {
                    "redirect_uri": pending["redirect_uri"], "challenge": pending["challenge"],
                    "scopes": scopes, "expires": self.clock.timestamp() + self.cfg.code_ttl,
                    "auth_event": auth_event, "used": False,
                }
                params["code"] = code
                params["scope"] = " ".join(pending["scopes"])
            if pending["state"] is not None:
                params["state"] = pending["state"]
        self.state.save()
        return Response(302, b"", {"Location": f"{pending['redirect_uri']}?{urlencode(params)}"})

    def _connect(self, tenant_ids: list[str], auth_event: str) -> None:
        now = self.clock.now()
        for tid in tenant_ids:
            existing = next((c for c in self.state.connections.values()
                             if c["tenantId"] == tid and c["client_id"] == self.cfg.client_id), None)
            if existing:
                existing["authEventId"] = auth_event
                existing["updated"] = now
                continue
            cid = new_id()
            self.state.connections[cid] = {
                "id": cid, "tenantId": tid, "authEventId": auth_event, "client_id": self.cfg.client_id,
                "created": now, "updated": now,
            }

    # -- token endpoint --------------------------------------------------------------------------
    def token(self, req: Request) -> Response:
        ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
        if req.method != "POST" or ctype != "application/x-www-form-urlencoded":
            return _oauth_error("invalid_request")
        form = req.form()
        if form.get("client_id") != self.cfg.client_id:
            return _oauth_error("invalid_client")
        grant_type = form.get("grant_type")
        with self.state.lock:
            if grant_type == "authorization_code":
                resp = self._exchange_code(form)
            elif grant_type == "refresh_token":
                resp = self._refresh(form)
            else:
                resp = _oauth_error("unsupported_grant_type")
        self.state.save()
        return resp

    def _issue(self, scopes: list[str], auth_event: str, refresh: str | None) -> Response:
        access, ttl = self._access_token(scopes, auth_event)
        payload: dict[str, Any] = {}
        if "openid" in scopes:
            payload["id_token"] = self._id_token(auth_event)
        payload.update({"access_token": access, "expires_in": ttl, "token_type": "Bearer"})
        if refresh is not None:
            payload["refresh_token"] = refresh
        payload["scope"] = " ".join(scopes)
        return json_response(200, payload, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _new_refresh(self, scopes: list[str], auth_event: str) -> str | None:
        if "offline_access" not in scopes:
            return None
        token = secrets.token_hex(32)
        self.state.refresh_tokens[token] = {
            "scopes": scopes, "auth_event": auth_event, "issued": self.clock.timestamp(),
            "first_used": None, "successor": None, "revoked": False,
        }
        return token

    def _exchange_code(self, form: dict[str, str]) -> Response:
        record = self.state.codes.get(form.get("code", ""))
        if record is None or record["used"] or self.clock.timestamp() >= record["expires"]:
            return _oauth_error("invalid_grant")
        if form.get("redirect_uri") != record["redirect_uri"]:
            return _oauth_error("invalid_grant")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER.match(verifier):
            return _oauth_error("invalid_grant")
        challenge = _b64(hashlib.sha256(verifier.encode("ascii")).digest())
        if not hmac.compare_digest(challenge, record["challenge"]):
            return _oauth_error("invalid_grant")
        record["used"] = True
        refresh = self._new_refresh(record["scopes"], record["auth_event"])
        return self._issue(record["scopes"], record["auth_event"], refresh)

    def _refresh(self, form: dict[str, str]) -> Response:
        token = form.get("refresh_token", "")
        record = self.state.refresh_tokens.get(token)
        now = self.clock.timestamp()
        if record is None or record["revoked"]:
            return _oauth_error("invalid_grant")
        if record["first_used"] is None:
            if now >= record["issued"] + self.cfg.refresh_token_ttl:
                return _oauth_error("invalid_grant")
            record["first_used"] = now
            record["successor"] = self._new_refresh(record["scopes"], record["auth_event"])
        elif now >= record["first_used"] + self.cfg.refresh_grace:
            return _oauth_error("invalid_grant")
        # Within the grace period a retried refresh gets the same successor again.
        return self._issue(record["scopes"], record["auth_event"], record["successor"])

    def revoke(self, req: Request) -> Response:
        form = req.form()
        if form.get("client_id") != self.cfg.client_id:
            return _oauth_error("invalid_client")
        with self.state.lock:
            if form.get("token", "") in self.state.refresh_tokens:
                for rec in self.state.refresh_tokens.values():
                    rec["revoked"] = True
                for cid in [c for c, v in self.state.connections.items() if v["client_id"] == self.cfg.client_id]:
                    del self.state.connections[cid]
                self.state.granted_scopes = []
        self.state.save()
        return Response(200, b"", {"Content-Length": "0"})

    # -- connections -----------------------------------------------------------------------------
    def _connection_json(self, c: dict[str, Any]) -> dict[str, Any]:
        tenant = self.state.tenants.get(c["tenantId"])
        return {
            "id": c["id"], "authEventId": c["authEventId"], "tenantId": c["tenantId"],
            "tenantType": "ORGANISATION", "tenantName": tenant["org"]["Name"] if tenant else "",
            "createdDateUtc": _conn_date(c["created"]), "updatedDateUtc": _conn_date(c["updated"]),
        }

    def list_connections(self, req: Request) -> Response:
        self.verify(req.header("authorization"))
        auth_event = req.q("authEventId")
        with self.state.lock:
            rows = [
                self._connection_json(c) for c in sorted(self.state.connections.values(), key=lambda c: c["created"])
                if c["client_id"] == self.cfg.client_id and (auth_event is None or c["authEventId"] == auth_event)
            ]
        return json_response(200, rows)

    def delete_connection(self, req: Request) -> Response:
        self.verify(req.header("authorization"))
        cid = req.params["id"]
        with self.state.lock:
            conn = self.state.connections.get(cid) if is_guid(cid) else None
            if conn is None or conn["client_id"] != self.cfg.client_id:
                raise ApiError(404, text="")
            del self.state.connections[cid]
        self.state.save()
        return Response(204)

    def disconnect_tenant(self, tenant_id: str) -> bool:
        """A person removes the app from the organisation's connected apps."""
        with self.state.lock:
            ids = [c for c, v in self.state.connections.items() if v["tenantId"] == tenant_id]
            for cid in ids:
                del self.state.connections[cid]
        self.state.save()
        return bool(ids)


def req_form_multi(req: Request) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(req.body.decode("utf-8"), keep_blank_values=True)


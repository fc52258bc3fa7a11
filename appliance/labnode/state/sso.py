"""The built-in fake identity provider that completes the SSO round trip locally.

A real IdP-protected VMR sends the client to a SAML/OIDC login page and
gets an ``sso_token`` back through the browser. Here ``redirect_url`` points
at this module's page on the node itself, which "logs in" at once and hands
the token back the two ways Pexip's clients expect:

* popup flow: the page posts ``{result: "success", token}`` to
  ``window.opener`` and closes;
* redirect flow: when the client gave ``sso_redirect_target`` (containing
  ``__pexip-sso-token__``), the page redirects there with the token in it.

Tests and scripts can ask for ``Accept: application/json`` and get
``{status: "success", result: {token}}`` instead of the page.
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import quote, urlencode

from aiohttp import web

from appliance.infinity.models import Role
from appliance.labnode.state.refusals import limited
from appliance.labnode.state.rooms import IdentityProvider
from appliance.labnode.state.tokens import Grant, TokenStore

SSO_PATH: Final = "/labnode/sso"
TOKEN_PLACEHOLDER: Final = "__pexip-sso-token__"

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_PAGE: Final = """<!doctype html>
<html><head><meta charset="utf-8"><title>{idp} sign-in</title></head>
<body>
<h1>{idp}</h1>
<p>Signed in to <b>{room}</b> as <b>{name}</b>. You can close this window.</p>
<code id="sso-token" data-sso-token="{token}">{token}</code>
<script>
if (window.opener) {{
  window.opener.postMessage({message}, "*");
  window.close();
}}
</script>
</body></html>
"""


def login_url(base_url: str, idp: IdentityProvider, alias: str, display_name: str, target: str) -> str:
    query = {"alias": alias, "name": display_name}
    if target:
        query["target"] = target
    return f"{base_url}{SSO_PATH}/{quote(idp.uuid, safe='')}?{urlencode(query)}"


def make_handler(tokens: TokenStore, find_idp: dict[str, tuple[IdentityProvider, str]]) -> PageHandler:
    """Handler for ``GET /labnode/sso/{idp}``; ``find_idp`` maps uuid -> (idp, room alias)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        entry = find_idp.get(request.match_info["idp"])
        alias = request.query.get("alias", "")
        if entry is None or entry[1] != alias:
            return web.json_response({"status": "failed", "result": "Unknown identity provider"}, status=404)
        idp, room = entry
        # the name the IdP vouches for becomes the participant's display_name
        name = limited("display_name", request.query.get("name", "")) or "SSO user"
        token = tokens.grant(Grant(alias=room, role=Role.HOST, display_name=name, idp_uuid=idp.uuid))
        target = request.query.get("target", "")
        if target and TOKEN_PLACEHOLDER in target:
            raise web.HTTPFound(target.replace(TOKEN_PLACEHOLDER, token))
        if "application/json" in request.headers.get("Accept", ""):
            return web.json_response({"status": "success", "result": {"token": token}})
        message = json.dumps({"result": "success", "token": token})
        page = _PAGE.format(
            idp=html.escape(idp.name),
            room=html.escape(room),
            name=html.escape(name),
            token=html.escape(token),
            message=message,
        )
        return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-store"})

    return handle

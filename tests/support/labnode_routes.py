"""Every route of the lab node, as (method, path template), for tests that must cover them all.

Read from the node's own route table (:func:`appliance.labnode.http.server.create_app`),
so a route added later is covered without editing a list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.labnode.http.server import create_app
from appliance.labnode.state.node import NodeState

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.template))

    @property
    def is_api(self) -> bool:
        """An API path: every answer there is the JSON envelope (the SSO page is HTML by design)."""
        return self.template.startswith("/api/")

    def path(self, **values: str) -> str:
        """The template with each ``{name}`` replaced by ``values[name]`` (already URL-safe)."""
        return _PARAM.sub(lambda m: values[m.group(1)], self.template)


def all_routes(state: NodeState) -> list[Route]:
    """Each (method, template) the node serves; a route for any method counts as GET and POST."""
    found: set[Route] = set()
    for route in create_app(state).router.routes():
        template = route.resource.canonical if route.resource is not None else ""
        if route.method == "HEAD" or not template:
            continue
        methods = ("GET", "POST") if route.method == "*" else (route.method,)
        found.update(Route(method, template) for method in methods)
    return sorted(found, key=lambda r: (r.template, r.method))

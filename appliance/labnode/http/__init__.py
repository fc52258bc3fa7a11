"""The lab node's HTTP side: routes, the JSON envelope, theme and TLS (docs/labnode.md, "Module map").

It reads requests and writes answers; what they mean is decided in
:mod:`appliance.labnode.state`, which never imports this package.
"""

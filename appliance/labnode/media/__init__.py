"""The lab node's media: aiortc calls, compositor, audio mix, bots, RTMP (docs/labnode.md, "Module map").

:class:`appliance.labnode.media.hub.AiortcMediaHub` implements the seam,
:mod:`appliance.labnode.media_api`; nothing here knows about tokens, REST
or the roster.
"""

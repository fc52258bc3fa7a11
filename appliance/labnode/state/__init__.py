"""The lab node's conference state: rooms, admission, tokens, roster, events (docs/labnode.md, "Module map").

It decides who is in which meeting and what they see, and drives the media
only through the seam, :mod:`appliance.labnode.media_api`; it never imports
:mod:`appliance.labnode.media` or :mod:`appliance.labnode.http`.
"""

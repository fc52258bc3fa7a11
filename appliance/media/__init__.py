"""Media layer: WebRTC calls on aiortc and PyAV for a room system (see docs/media.md).

Entry points: :func:`appliance.media.encoders.install_codecs` once at start-up,
then one :class:`appliance.media.engine.MediaCall` per participant session.
"""

"""pexrtc layer."""

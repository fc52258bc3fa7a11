"""The room's devices, each real driver with its fake beside it (docs/hardware.md).

``gpio`` (buttons and LEDs on gpiozero), ``gestures`` (press/short/hold/bounce),
``visca`` (PTZ camera: protocol, serial and IP links, driver, fake camera),
``udev`` and ``udev_fake`` (hot-plug), ``cec`` (TV power), ``timing`` (the clock).
Nothing here knows the room or PexRTC: ``appliance.services`` connects them.
"""

#!/bin/sh
# RAUC bundle hook: after the new root is written to its slot, put that root's
# kernel, initramfs and device trees into the slot's folder of the boot partition
# (a/ or b/), using the new root's own script. RAUC then calls the backend's
# set-primary, which writes tryboot.txt (see rootfs/usr/lib/appliance/rauc-tryboot).
set -eu
case "$1" in
slot-post-install)
    [ "$RAUC_SLOT_CLASS" = rootfs ] || exit 0
    "$RAUC_SLOT_MOUNT_POINT/usr/lib/appliance/slot-boot-install" \
        "$RAUC_SLOT_MOUNT_POINT" /boot/firmware "$RAUC_SLOT_BOOTNAME"
    ;;
*)
    exit 1
    ;;
esac

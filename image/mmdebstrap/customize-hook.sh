#!/bin/sh
# mmdebstrap customize hook: put update-initramfs back and build the initramfs
# once (raspi-firmware's post-update hook then copies it to /boot/firmware).
set -eu
rm -f "$1/usr/sbin/update-initramfs"
chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
chroot "$1" update-initramfs -c -k all
# apt lists and caches are not part of an appliance image
rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin
